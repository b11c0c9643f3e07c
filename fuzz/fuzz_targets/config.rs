//! The configuration loader on arbitrary text: `.leakscope.toml` parsed and applied to the
//! built-in rules, or an error, never a panic.
#![no_main]

use leakscope::testing::load_config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        load_config(text);
    }
});
