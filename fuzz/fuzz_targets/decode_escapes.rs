//! The string-escape decoder: on arbitrary bytes its position map is consistent (one entry
//! per decoded byte and one for the end, never decreasing, within the input, a plain byte
//! mapped to itself); text escaped in every way JSON and JavaScript allow decodes back, each
//! byte mapped to the start of its escape.
#![no_main]

use leakscope::testing::{check_unescape, unescape};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [split, rest @ ..] = data else {
        return;
    };
    if let Some(u) = unescape(rest) {
        assert_eq!(u.map.len(), u.text.len() + 1, "map length");
        assert!(u.map.windows(2).all(|w| w[0] <= w[1]), "map decreases");
        assert!(*u.map.last().unwrap() <= rest.len(), "map past the end");
        for (i, &b) in u.text.iter().enumerate() {
            let src = rest[u.map[i]];
            assert!(src == b || src == b'\\', "byte {i} maps to {src:?}");
        }
    }
    let cut = usize::from(*split) % (rest.len() + 1);
    let (choices, text) = rest.split_at(cut);
    if let Err(e) = check_unescape(&String::from_utf8_lossy(text), choices) {
        panic!("{e}");
    }
});
