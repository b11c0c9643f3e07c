//! The git delta parser: arbitrary deltas against arbitrary bases apply or fail, never
//! panic, and what applies is what the instructions say; deltas made by an encoder of our
//! own, from a (base, target) pair or from a script of copies and inserts, give the target.
#![no_main]

use leakscope::testing::{
    Delta, check_delta_bytes, check_delta_round_trip, encode_delta, scripted_delta,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [a, b, rest @ ..] = data else {
        return;
    };
    let cut = usize::from(u16::from_le_bytes([*a, *b])) % (rest.len() + 1);
    let (base, other) = rest.split_at(cut);
    if let Err(e) = check_delta_bytes(base, other) {
        panic!("arbitrary delta: {e}");
    }
    if let Err(e) = check_delta_round_trip(base, other) {
        panic!("encoded delta: {e}");
    }
    let (delta, target) = scripted_delta(base, other);
    let mut out = Vec::new();
    Delta::parse(&delta)
        .and_then(|d| d.apply(base, &mut out))
        .unwrap_or_else(|e| panic!("scripted delta: {e}"));
    assert_eq!(out, target, "scripted delta");
    // The scripted target encoded again, against the same base.
    if let Err(e) = check_delta_round_trip(base, &target) {
        panic!("re-encoded delta: {e}");
    }
    let _ = encode_delta(&target, base);
});
