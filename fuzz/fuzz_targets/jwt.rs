//! The JWT validators: arbitrary tokens are accepted or not, never a panic; a token made from
//! chosen claims is read back with those facts, and the Supabase validator accepts exactly
//! the HS256 tokens of its role and issuer.
#![no_main]

use leakscope::testing::{check_jwt, make_jwt, validate_jwt};
use libfuzzer_sys::fuzz_target;

const ALGS: [&str; 5] = ["HS256", "RS256", "none", "ES256", "hs256"];
const ISSUERS: [Option<&str>; 5] = [
    None,
    Some("supabase"),
    Some("supabase-demo"),
    Some("supabase-demo-x"),
    Some("https://issuer.example"),
];
const ROLES: [&str; 3] = ["anon", "service_role", ""];

fuzz_target!(|data: &[u8]| {
    let [flags, a, b, rest @ ..] = data else {
        return;
    };
    let _ = validate_jwt(rest, "anon");
    // Header and payload from the input, as a token.
    let cut = usize::from(*a) % (rest.len() + 1);
    let (header, payload) = rest.split_at(cut);
    let _ = validate_jwt(&make_jwt(header, payload, b"sig"), "service_role");
    let alg = ALGS[usize::from(*flags) % ALGS.len()];
    let iss = ISSUERS[usize::from(*flags >> 3) % ISSUERS.len()];
    let role = ROLES[usize::from(*b) % ROLES.len()];
    let exp = (flags & 0x80 != 0).then(|| i64::from_le_bytes([*a, *b, 0, 0, 0, 0, 0, 0]) - 1000);
    if let Err(e) = check_jwt(alg, iss, role, exp) {
        panic!("{e}");
    }
    // Arbitrary text as the issuer.
    if let Ok(text) = std::str::from_utf8(rest)
        && let Err(e) = check_jwt(alg, Some(text), role, exp)
    {
        panic!("{e}");
    }
});
