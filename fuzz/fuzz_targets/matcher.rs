//! The matcher on arbitrary bytes: hits lie inside the text, in order, and a fake key
//! planted between separators into the same bytes is found with its span and its text.
#![no_main]

use leakscope::testing::{SEPARATORS, check_planted, expand, keys, matcher};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static KEYS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let keys = KEYS.get_or_init(keys::all);
    let m = matcher();
    let [choice, cut_lo, cut_hi, rest @ ..] = data else {
        return;
    };
    let text = expand(rest);
    let scanned = m.scan(&text);
    let mut last = 0;
    for h in &scanned.hits {
        assert!(h.start <= h.end && h.end <= scanned.text.len(), "{h:?} out of the text");
        assert!(h.start >= last, "hits out of order");
        last = h.start;
    }
    let key = &keys[usize::from(*choice) % keys.len()];
    let left = SEPARATORS[usize::from(*choice >> 3) % SEPARATORS.len()];
    let right = SEPARATORS[usize::from(*cut_lo >> 4) % SEPARATORS.len()];
    let cut = usize::from(u16::from_le_bytes([*cut_lo, *cut_hi])) % (text.len() + 1);
    if let Err(e) = check_planted(m, &text[..cut], left, key, right, &text[cut..]) {
        panic!("{e}");
    }
});
