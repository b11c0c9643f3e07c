//! The rule loader on arbitrary TOML: rules added or an error, never a panic, and rules that
//! load compile.
#![no_main]

use leakscope::testing::load_rules;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(e) = load_rules(text)
    {
        panic!("{e}");
    }
});
