//! Delta-aware history scanning: for a blob stored as a delta, the candidates computed from
//! its base's candidates and the delta's instructions (as the blob pass does) equal those of
//! a full scan of the blob. Bases are text rich in rule literals and keys ([`expand`]);
//! deltas come from a script of copies and inserts, or from our encoder.
#![no_main]

use leakscope::testing::{check_delta_candidates, encode_delta, expand, matcher, scripted_delta};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [a, b, rest @ ..] = data else {
        return;
    };
    let m = matcher();
    let cut = usize::from(u16::from_le_bytes([*a, *b])) % (rest.len() + 1);
    let (base, script) = rest.split_at(cut);
    let base = expand(base);
    let (delta, target) = scripted_delta(&base, script);
    if let Err(e) = check_delta_candidates(m, &base, &delta) {
        panic!("scripted delta: {e}");
    }
    // The same target, and the script's bytes expanded, encoded against the base.
    if let Err(e) = check_delta_candidates(m, &base, &encode_delta(&base, &target)) {
        panic!("encoded delta: {e}");
    }
    let mut edited = base.clone();
    let expanded = expand(script);
    let at = usize::from(*a) % (edited.len() + 1);
    edited.splice(at..at, expanded);
    if let Err(e) = check_delta_candidates(m, &base, &encode_delta(&base, &edited)) {
        panic!("encoded edit: {e}");
    }
});
