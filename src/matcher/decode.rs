//! Encodings undone before matching: UTF-16 text, base64 values and JSON/JavaScript string
//! escapes. Each decoder keeps enough to point a hit back at the encoded text.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD_INDIFFERENT;
use std::borrow::Cow;

/// Which UTF-16 byte order a text is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Utf16 {
    /// Little-endian (Windows' default).
    Le,
    /// Big-endian.
    Be,
}

/// Detects UTF-16 text: a byte order mark, or ASCII interleaved with NULs in the first
/// kilobyte.
pub fn detect_utf16(bytes: &[u8]) -> Option<Utf16> {
    match bytes {
        [0xFF, 0xFE, ..] => return Some(Utf16::Le),
        [0xFE, 0xFF, ..] => return Some(Utf16::Be),
        _ => {}
    }
    let head = &bytes[..bytes.len().min(1024) & !1];
    if head.len() < 8 {
        return None;
    }
    let pairs = head.len() / 2;
    let (mut le, mut be) = (0, 0);
    for p in head.chunks_exact(2) {
        if p[1] == 0 && p[0] != 0 {
            le += 1;
        } else if p[0] == 0 && p[1] != 0 {
            be += 1;
        }
    }
    if le * 10 >= pairs * 9 {
        Some(Utf16::Le)
    } else if be * 10 >= pairs * 9 {
        Some(Utf16::Be)
    } else {
        None
    }
}

/// Decodes UTF-16 into UTF-8, dropping a byte order mark; unpaired surrogates become U+FFFD.
/// Lines and code points are preserved, so locations computed on the result are those of the
/// original text.
pub fn decode_utf16(bytes: &[u8], order: Utf16) -> Vec<u8> {
    let units = bytes.chunks_exact(2).map(|p| match order {
        Utf16::Le => u16::from_le_bytes([p[0], p[1]]),
        Utf16::Be => u16::from_be_bytes([p[0], p[1]]),
    });
    let mut out = String::with_capacity(bytes.len() / 2);
    for (i, c) in char::decode_utf16(units).enumerate() {
        match c {
            // Only the first code unit can be a byte order mark; a second U+FEFF is text.
            Ok('\u{FEFF}') if i == 0 => {}
            Ok(c) => out.push(c),
            Err(_) => out.push(char::REPLACEMENT_CHARACTER),
        }
    }
    out.into_bytes()
}

/// Whether `b` belongs to the standard base64 alphabet (padding excluded).
#[inline]
pub fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// The parts of the base64 encoding of `literal` that do not depend on its neighbours, for
/// each of the three alignments the literal can have in the encoded stream. Parts shorter
/// than `min` characters are left out.
pub fn base64_literals(literal: &[u8], min: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for align in 0..3 {
        let mut data = vec![0u8; align];
        data.extend_from_slice(literal);
        let encoded = STANDARD_NO_PAD_INDIFFERENT.encode(&data);
        let bits_start = 8 * align;
        let bits_end = 8 * (align + literal.len());
        let first = bits_start.div_ceil(6);
        let last = bits_end / 6; // exclusive
        if last > first && last - first >= min {
            out.push(encoded.as_bytes()[first..last].to_vec());
        }
    }
    out
}

/// The base64 run around `at`: the maximal span of base64 characters, plus trailing `=`.
/// Runs longer than `limit` characters on either side are cut there.
pub fn base64_run(hay: &[u8], at: usize, limit: usize) -> (usize, usize) {
    let mut start = at;
    let floor = at.saturating_sub(limit);
    while start > floor && is_base64(hay[start - 1]) {
        start -= 1;
    }
    let mut end = at;
    let ceil = hay.len().min(at.saturating_add(limit));
    while end < ceil && is_base64(hay[end]) {
        end += 1;
    }
    while end < hay.len() && hay[end] == b'=' && end - start < limit.saturating_mul(2) {
        end += 1;
    }
    (start, end)
}

/// Extends the base64 run `hay[s..e]` across line breaks, as `base64` (76 columns) and
/// openssl (64) wrap it: a full line of at least 40 base64 characters continues on the next
/// line. At most `limit` bytes more on either side.
pub fn wrapped_run(hay: &[u8], s: usize, e: usize, limit: usize) -> (usize, usize) {
    const WIDTH: usize = 40;
    let full_line = |from: usize, to: usize| {
        to - from >= WIDTH && hay[from..to].iter().all(|&b| is_base64(b) || b == b'=')
    };
    let line_start = |at: usize| {
        hay[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
    };
    let (mut s, mut e) = (s, e);
    let (floor, ceil) = (
        s.saturating_sub(limit),
        e.saturating_add(limit).min(hay.len()),
    );
    // Forward: this line is full and ends with a break, the next starts with base64.
    loop {
        let brk = if hay[e..].starts_with(b"\r\n") {
            2
        } else if hay[e..].starts_with(b"\n") {
            1
        } else {
            break;
        };
        let next = e + brk;
        if next >= ceil
            || !hay.get(next).is_some_and(|&b| is_base64(b))
            || !full_line(line_start(e), e)
        {
            break;
        }
        let (_, ne) = base64_run(hay, next, ceil - next);
        e = ne;
    }
    // Backward: the line before is a full line of base64 that ends where this one starts.
    while s > floor && s == line_start(s) && s >= 2 {
        let prev_end = if s >= 2 && hay[s - 2] == b'\r' {
            s - 2
        } else {
            s - 1
        };
        let prev_start = line_start(prev_end);
        if prev_end <= prev_start || !full_line(prev_start, prev_end) {
            break;
        }
        s = prev_start;
    }
    (s, e)
}

/// The base64 characters of `hay[s..e]` without line breaks, and for each its offset in `hay`
/// (one more entry, for the end).
pub fn strip_breaks(hay: &[u8], s: usize, e: usize) -> (Vec<u8>, Vec<usize>) {
    let mut text = Vec::with_capacity(e - s);
    let mut map = Vec::with_capacity(e - s + 1);
    for (i, &b) in hay[s..e].iter().enumerate() {
        if b != b'\n' && b != b'\r' {
            text.push(b);
            map.push(s + i);
        }
    }
    map.push(e);
    (text, map)
}

/// Decodes a base64 run, forgiving missing padding and trailing bits; `None` if it is not
/// base64 or decodes to something that is mostly not text.
pub fn decode_base64_text(run: &[u8]) -> Option<Vec<u8>> {
    let trimmed = run
        .strip_suffix(b"==")
        .or_else(|| run.strip_suffix(b"="))
        .unwrap_or(run);
    // A length of 4n+1 cannot be base64: drop the stray character.
    let usable = &trimmed[..trimmed.len() - usize::from(trimmed.len() % 4 == 1)];
    let decoded = STANDARD_NO_PAD_INDIFFERENT
        .decode(usable)
        .ok()
        .or_else(|| {
            let cut = usable.len() - usable.len() % 4;
            STANDARD_NO_PAD_INDIFFERENT.decode(&usable[..cut]).ok()
        })?;
    let printable = decoded
        .iter()
        .filter(|&&b| b.is_ascii_graphic() || b.is_ascii_whitespace())
        .count();
    (printable * 10 >= decoded.len() * 8).then_some(decoded)
}

/// Text with JSON/JavaScript string escapes undone, and for each decoded byte the offset of
/// the encoded byte it came from (one more entry, for the end).
pub struct Unescaped {
    /// The decoded text.
    pub text: Vec<u8>,
    /// `map[i]` is the offset in the original of decoded byte `i`.
    pub map: Vec<usize>,
}

/// Undoes `\/`, `\\`, `\"`, `\'`, `\uXXXX`, `\xXX` and the single-letter escapes in
/// `window`, stopping at the first byte that ends a string (an unescaped quote). Returns
/// `None` when the window contains no escape, so callers keep the plain path.
pub fn unescape(window: &[u8]) -> Option<Unescaped> {
    memchr::memchr(b'\\', window)?;
    let mut text = Vec::with_capacity(window.len());
    let mut map = Vec::with_capacity(window.len() + 1);
    let mut i = 0;
    while i < window.len() {
        let b = window[i];
        if b == b'"' || b == b'\'' || b == b'`' {
            break;
        }
        if b != b'\\' {
            text.push(b);
            map.push(i);
            i += 1;
            continue;
        }
        let Some(&e) = window.get(i + 1) else { break };
        let (decoded, width): (Cow<'_, [u8]>, usize) = match e {
            b'u' => match window.get(i + 2..i + 6).and_then(hex_value) {
                Some(v) => match char::from_u32(v) {
                    Some(c) => (Cow::Owned(c.to_string().into_bytes()), 6),
                    None => break,
                },
                None => break,
            },
            b'x' => match window.get(i + 2..i + 4).and_then(hex_value) {
                Some(v) if v < 0x80 => (Cow::Owned(vec![v as u8]), 4),
                _ => break,
            },
            b'n' => (Cow::Borrowed(&b"\n"[..]), 2),
            b'r' => (Cow::Borrowed(&b"\r"[..]), 2),
            b't' => (Cow::Borrowed(&b"\t"[..]), 2),
            b'b' | b'f' | b'v' | b'0' => (Cow::Borrowed(&b" "[..]), 2),
            other => (Cow::Owned(vec![other]), 2),
        };
        for &d in decoded.iter() {
            text.push(d);
            map.push(i);
        }
        i += width;
    }
    map.push(i);
    Some(Unescaped { text, map })
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(s, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn base64_literals_appear_in_every_alignment() {
        let lit = b"sk_live_";
        let parts = base64_literals(lit, 4);
        assert_eq!(parts.len(), 3);
        for pad in 0..3 {
            let mut text = b"ab".repeat(pad);
            text.extend_from_slice(b"STRIPE=sk_live_0123");
            let enc = STANDARD.encode(&text);
            assert!(
                parts
                    .iter()
                    .any(|p| memchr::memmem::find(enc.as_bytes(), p).is_some()),
                "alignment with {pad} filler pairs: {enc}"
            );
        }
    }

    #[test]
    fn short_literal_only_has_the_aligned_form() {
        assert_eq!(base64_literals(b"re_", 4), vec![b"cmVf".to_vec()]);
    }

    #[test]
    fn utf16_detection() {
        let le: Vec<u8> = "KEY=value here\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(detect_utf16(&le), Some(Utf16::Le));
        assert_eq!(decode_utf16(&le, Utf16::Le), b"KEY=value here\n");
        assert_eq!(detect_utf16(b"plain ascii text here"), None);
    }

    #[test]
    fn unescape_maps_offsets() {
        let u = unescape(br#"ab\/cd\u005fe" tail"#).unwrap();
        assert_eq!(u.text, b"ab/cd_e");
        assert_eq!(u.map, vec![0, 1, 2, 4, 5, 6, 12, 13]);
        assert!(unescape(b"no escapes").is_none());
    }
}
