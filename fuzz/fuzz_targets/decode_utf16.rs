//! The UTF-16 decoder: arbitrary bytes decode to UTF-8 in either byte order without
//! panicking; text encoded as UTF-16 decodes back to itself and ASCII is detected.
#![no_main]

use leakscope::testing::{Utf16, check_utf16, decode_utf16, detect_utf16};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [flags, rest @ ..] = data else {
        return;
    };
    let order = if flags & 1 == 1 { Utf16::Be } else { Utf16::Le };
    let decoded = decode_utf16(rest, order);
    assert!(std::str::from_utf8(&decoded).is_ok(), "decoding is not UTF-8");
    let _ = detect_utf16(rest);
    let text = String::from_utf8_lossy(rest);
    if let Err(e) = check_utf16(&text, order, flags & 2 == 2) {
        panic!("{e}");
    }
    // ASCII text: printable bytes of the input.
    let ascii: String = rest
        .iter()
        .map(|&b| char::from(b % 95 + 32))
        .collect();
    if let Err(e) = check_utf16(&ascii, order, flags & 4 == 4) {
        panic!("{e}");
    }
});
