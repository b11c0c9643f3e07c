//! The base64 decoder: arbitrary runs decode or not, never panic; random bytes encoded with
//! the base64 crate decode back; the run around any character of an encoding set in text is
//! the encoding.
#![no_main]

use leakscope::testing::{base64_run, check_base64, decode_base64_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [flags, split, rest @ ..] = data else {
        return;
    };
    let _ = decode_base64_text(rest);
    if !rest.is_empty() {
        let at = usize::from(*split) % rest.len();
        let (s, e) = base64_run(rest, at, 1 + usize::from(*flags));
        assert!(s <= at && at <= e && e <= rest.len(), "run {s}..{e} around {at}");
    }
    // The payload, and the text the encoding is set in, from the rest of the input.
    let cut = usize::from(*split) % (rest.len() + 1);
    let (payload, around) = rest.split_at(cut);
    let mid = around.len() / 2;
    let before = [b"value: \"".as_slice(), &around[..mid]].concat();
    let after = [b"\"\n".as_slice(), &around[mid..]].concat();
    if let Err(e) = check_base64(payload, flags & 1 == 1, &before, &after) {
        panic!("{e}");
    }
});
