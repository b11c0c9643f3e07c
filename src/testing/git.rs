//! The git side of the fuzz and property hooks: a delta encoder of our own (greedy and
//! scripted), the delta and tree properties, and delta-aware candidates against a full scan.

use super::*;

/// Appends `v` as a git delta header varint (seven bits a byte, low first).
pub(crate) fn encode_varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Appends a copy instruction (`len` in `1..=0x10000`).
fn push_copy(offset: usize, len: usize, out: &mut Vec<u8>) {
    debug_assert!((1..=0x10000).contains(&len) && offset <= u32::MAX as usize);
    let mut cmd = 0x80u8;
    let at = out.len();
    out.push(0);
    for i in 0..4 {
        let b = (offset >> (8 * i)) as u8;
        if b != 0 {
            cmd |= 1 << i;
            out.push(b);
        }
    }
    // A size of 0x10000 is written as no size bytes at all.
    let size = if len == 0x10000 { 0 } else { len };
    for i in 0..3 {
        let b = (size >> (8 * i)) as u8;
        if b != 0 {
            cmd |= 0x10 << i;
            out.push(b);
        }
    }
    out[at] = cmd;
}

/// Appends insert instructions for `bytes`.
fn push_insert(bytes: &[u8], out: &mut Vec<u8>) {
    for chunk in bytes.chunks(0x7f) {
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
}

/// A delta from `base` to `target` in git's format: a simple greedy encoder (16-byte blocks
/// of the base found in the target, extended forward), independent of the parser.
pub fn encode_delta(base: &[u8], target: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 16;
    let mut index = std::collections::HashMap::new();
    if base.len() >= BLOCK {
        for i in (0..=base.len() - BLOCK).rev() {
            index.insert(&base[i..i + BLOCK], i);
        }
    }
    let mut out = Vec::new();
    encode_varint(base.len() as u64, &mut out);
    encode_varint(target.len() as u64, &mut out);
    let (mut i, mut pending) = (0, 0);
    while i < target.len() {
        let found = target
            .get(i..i + BLOCK)
            .and_then(|block| index.get(block).copied());
        let Some(offset) = found else {
            i += 1;
            continue;
        };
        let mut len = BLOCK;
        while i + len < target.len()
            && offset + len < base.len()
            && target[i + len] == base[offset + len]
        {
            len += 1;
        }
        push_insert(&target[pending..i], &mut out);
        let mut done = 0;
        while done < len {
            let n = (len - done).min(0x10000);
            push_copy(offset + done, n, &mut out);
            done += n;
        }
        i += len;
        pending = i;
    }
    push_insert(&target[pending..], &mut out);
    out
}

/// A delta against `base` and the target it makes, from a script: each step copies a range
/// of the base or inserts bytes taken from the script (fuzz input drives it).
pub fn scripted_delta(base: &[u8], script: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut ops = Vec::new();
    let mut target = Vec::new();
    let mut s = script;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, rest) = s.split_at_checked(n)?;
        s = rest;
        Some(head)
    };
    while let Some(&[op]) = take(1) {
        if op & 1 == 1 && !base.is_empty() {
            let Some(&[a, b, c, d]) = take(4) else { break };
            let offset = usize::from(u16::from_le_bytes([a, b])) % base.len();
            let max = (base.len() - offset).min(0x10000);
            let len = usize::from(u16::from_le_bytes([c, d])) % max + 1;
            push_copy(offset, len, &mut ops);
            target.extend_from_slice(&base[offset..offset + len]);
        } else {
            let n = usize::from(op >> 1) + 1;
            let Some(bytes) = take(n) else { break };
            push_insert(bytes, &mut ops);
            target.extend_from_slice(bytes);
        }
    }
    let mut delta = Vec::new();
    encode_varint(base.len() as u64, &mut delta);
    encode_varint(target.len() as u64, &mut delta);
    delta.extend(ops);
    (delta, target)
}

/// Parses and applies arbitrary `delta` bytes to `base`: errors, never panics, and what
/// applies has the size the header says, made of the instructions' bytes.
pub fn check_delta_bytes(base: &[u8], delta: &[u8]) -> Result<(), String> {
    let Ok(d) = Delta::parse(delta) else {
        return Ok(());
    };
    // Skip deltas that promise more than a fuzz input could hold: `apply` reserves the
    // promised size up front (capped at 4 GiB), which the fuzzer's allocation limit reports.
    if d.result_size > 1 << 24 {
        return Ok(());
    }
    let mut out = Vec::new();
    let applied = d.apply(base, &mut out);
    if applied.is_err() {
        return Ok(());
    }
    if out.len() as u64 != d.result_size {
        return Err(format!(
            "{} bytes, the header says {}",
            out.len(),
            d.result_size
        ));
    }
    let mut expect = Vec::new();
    for op in d.ops() {
        match op.map_err(|e| format!("applied, but an instruction is bad: {e}"))? {
            Op::Copy { offset, len } => expect.extend_from_slice(&base[offset..offset + len]),
            Op::Insert { start, len } => expect.extend_from_slice(&delta[start..start + len]),
        }
    }
    if expect != out {
        return Err("the result is not what the instructions say".into());
    }
    Ok(())
}

/// The delta round trip: the delta [`encode_delta`] makes from `base` to `target`, parsed
/// and applied to `base`, gives `target`.
pub fn check_delta_round_trip(base: &[u8], target: &[u8]) -> Result<(), String> {
    let delta = encode_delta(base, target);
    let d = Delta::parse(&delta).map_err(|e| format!("parse: {e}"))?;
    let mut out = Vec::new();
    d.apply(base, &mut out).map_err(|e| format!("apply: {e}"))?;
    if out != target {
        return Err(format!(
            "applied delta gives {} bytes, not the {} of the target",
            out.len(),
            target.len()
        ));
    }
    Ok(())
}

/// The candidates of the blob `delta` makes from `base`, computed as history's blob pass does
/// for a deltified blob (from the base's candidates and the delta's instructions), and the
/// blob itself. `None` when the delta does not apply.
pub fn delta_path_candidates(
    m: &Matcher,
    base: &[u8],
    delta: &[u8],
) -> Option<(Vec<u32>, Vec<u8>)> {
    let d = Delta::parse(delta).ok()?;
    if d.result_size > 1 << 24 {
        return None;
    }
    let mut target = Vec::new();
    d.apply(base, &mut target).ok()?;
    let mut base_candidates = Vec::new();
    m.candidates(base, &[(0, base.len())], &mut base_candidates);
    let (c, _) = crate::source::git::history::delta_candidates(m, &target, &base_candidates, &d)?;
    Some((c, target))
}

/// The delta-aware history property: for a blob made by `delta` from `base`, the candidates
/// from the delta path equal those of a full scan of the blob.
pub fn check_delta_candidates(m: &Matcher, base: &[u8], delta: &[u8]) -> Result<(), String> {
    let Some((from_delta, target)) = delta_path_candidates(m, base, delta) else {
        return Ok(());
    };
    let mut full = Vec::new();
    m.candidates(&target, &[(0, target.len())], &mut full);
    if from_delta != full {
        let only_delta: Vec<u32> = from_delta
            .iter()
            .filter(|c| !full.contains(c))
            .copied()
            .collect();
        let only_full: Vec<u32> = full
            .iter()
            .filter(|c| !from_delta.contains(c))
            .copied()
            .collect();
        return Err(format!(
            "delta-path candidates differ from a full scan: only from the delta {only_delta:?}, \
             only from the full scan {only_full:?}; neighbourhood {:?}; target {:?}",
            m.neighbourhood(),
            String::from_utf8_lossy(&target)
        ));
    }
    Ok(())
}

/// Checks the tree entries read from arbitrary `data`: each starts where the previous one
/// ended, ends after it starts, and its name and id are where the format puts them; the
/// first corrupt entry ends the listing.
pub fn check_tree_bytes(data: &[u8], hash_len: usize) -> Result<(), String> {
    let mut pos = 0;
    let mut failed = false;
    for e in entries(data, hash_len) {
        if failed {
            return Err("entries go on after a corrupt one".into());
        }
        let Ok(e) = e else {
            failed = true;
            continue;
        };
        if e.end <= pos || e.end > data.len() {
            return Err(format!("entry at {pos} ends at {}", e.end));
        }
        let raw = &data[pos..e.end];
        let sp = raw.iter().position(|&b| b == b' ').ok_or("no space")?;
        let name = &raw[sp + 1..raw.len() - hash_len - 1];
        if name != e.name || e.id.as_bytes() != &raw[raw.len() - hash_len..] {
            return Err(format!("entry at {pos} misread"));
        }
        pos = e.end;
    }
    if !failed && pos != data.len() {
        return Err(format!("listing ends at {pos} of {}", data.len()));
    }
    Ok(())
}

/// The tree round trip: entries written in the format (`mode` in octal, `name`, a 20-byte id)
/// are read back as written.
pub fn check_tree_round_trip(items: &[(u32, Vec<u8>, [u8; 20])]) -> Result<(), String> {
    let mut data = Vec::new();
    for (mode, name, id) in items {
        data.extend(format!("{mode:o} ").bytes());
        data.extend_from_slice(name);
        data.push(0);
        data.extend_from_slice(id);
    }
    let got: Vec<_> = entries(&data, 20)
        .collect::<Result<_, ()>>()
        .map_err(|()| "a written entry does not parse".to_string())?;
    if got.len() != items.len() {
        return Err(format!(
            "{} entries written, {} read",
            items.len(),
            got.len()
        ));
    }
    for (e, (mode, name, id)) in got.iter().zip(items) {
        if e.mode != *mode || e.name != name.as_slice() || e.id.as_bytes() != id {
            return Err(format!("{e:?} read for ({mode:o}, {name:?})"));
        }
    }
    Ok(())
}
