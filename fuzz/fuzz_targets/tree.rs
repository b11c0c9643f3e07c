//! The tree parser: arbitrary bytes list entries up to the first corrupt one, each read
//! where the format puts it, never a panic; entries written in the format read back.
#![no_main]

use leakscope::testing::{check_tree_bytes, check_tree_round_trip, parse_entry};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [flags, rest @ ..] = data else {
        return;
    };
    let hash_len = [20, 32, 0, 1][usize::from(flags & 3)];
    if let Err(e) = check_tree_bytes(rest, hash_len) {
        panic!("{e}");
    }
    let _ = parse_entry(rest, usize::from(*flags), hash_len);
    // Entries from the input: a mode, a name without NUL, an id.
    let mut items = Vec::new();
    for chunk in rest.chunks(28) {
        let Some((head, name)) = chunk.split_first_chunk::<4>() else {
            break;
        };
        let mode = u32::from_le_bytes(*head);
        let name: Vec<u8> = name.iter().map(|&b| if b == 0 { b'_' } else { b }).collect();
        let mut id = [0u8; 20];
        for (i, b) in id.iter_mut().enumerate() {
            *b = (mode as u8).wrapping_add(i as u8);
        }
        items.push((mode, name, id));
    }
    if let Err(e) = check_tree_round_trip(&items) {
        panic!("{e}");
    }
});
