//! Support for the fuzz targets (`fuzz/`) and the property tests (`tests/it/props.rs`): the
//! crate internals they exercise, re-exported, and the properties themselves, written once
//! here as `check_*` functions that return what went wrong. Not part of the interface.
//!
//! Fake keys are assembled at run time from pieces, so no source file holds a whole key.

use crate::matcher::validate::{Validated, validate};
use crate::rules::Validator;
use std::sync::OnceLock;

pub use crate::config::Config;
pub use crate::matcher::decode::{
    Unescaped, Utf16, base64_run, decode_base64_text, decode_utf16, detect_utf16, is_base64,
    unescape,
};
pub use crate::matcher::{Hit, Matcher};
pub use crate::rules::RuleSet;
pub use crate::source::git::delta::{Delta, DeltaError, Op};
pub use crate::source::git::tree::{Entry, EntryKind, entries, parse_entry};

mod git;
pub use git::*;

/// A matcher over the built-in rules, built once.
pub fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| Matcher::new(RuleSet::builtin().expect("built-in rules load")))
}

/// Fake keys in providers' shapes, made at run time.
pub mod keys {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// `len` pseudo-random alphanumerics from `seed` (a fixed LCG; the integration tests use it too).
    pub fn body(seed: u64, len: usize) -> String {
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ALNUM[((x >> 33) % ALNUM.len() as u64) as usize] as char
            })
            .collect()
    }

    /// A Stripe live secret key (99 characters after the prefix, beginning `51`).
    pub fn stripe_live(seed: u64) -> String {
        ["sk_", "live_51", &body(seed, 97)].concat()
    }

    /// A Resend API key.
    pub fn resend(seed: u64) -> String {
        ["re_", &body(seed, 8), "_", &body(seed + 1, 24)].concat()
    }

    /// GitHub classic personal access tokens with valid CRC32 checksums (made with
    /// `scripts/fake-key.py spec 'ghp_{A-Za-z0-9:30}{crc32b62:6}'`), split into pieces.
    const GITHUB: [[&str; 3]; 3] = [
        ["ghp_", "Ik2zwEQHfwcepYyNG", "fB51YbmwxAscR4JYyya"],
        ["ghp_", "9382DFFX1Kvzq2TQm", "NmClrKboZzu3g4A6Li3"],
        ["ghp_", "PliIX6meolEmA61eQ", "jOMtei1jeZo3J1IrHSi"],
    ];

    /// GitHub token `i` (modulo the three there are).
    pub fn github(i: usize) -> String {
        GITHUB[i % GITHUB.len()].concat()
    }

    /// A fixed list of keys of several shapes: what the planted-key property plants.
    pub fn all() -> Vec<Vec<u8>> {
        vec![
            stripe_live(1).into_bytes(),
            stripe_live(2).into_bytes(),
            resend(3).into_bytes(),
            resend(4).into_bytes(),
            github(0).into_bytes(),
            github(1).into_bytes(),
            github(2).into_bytes(),
        ]
    }
}

/// Bytes that end a key on either side: none continues any of [`keys::all`].
pub const SEPARATORS: &[u8] = b" \n\"'\t";

/// The planted-key property: `key` placed between `left` and `right` (from [`SEPARATORS`])
/// inside arbitrary `before` and `after` is found with its span and its text. Text that the
/// matcher would take for UTF-16 is out of scope (the key's offsets are then those of the
/// decoded text): `Ok` without a check.
pub fn check_planted(
    m: &Matcher,
    before: &[u8],
    left: u8,
    key: &[u8],
    right: u8,
    after: &[u8],
) -> Result<(), String> {
    let mut text = before.to_vec();
    text.push(left);
    let start = text.len();
    text.extend_from_slice(key);
    let end = text.len();
    text.push(right);
    text.extend_from_slice(after);
    if detect_utf16(&text).is_some() {
        return Ok(());
    }
    let scanned = m.scan(&text);
    if scanned
        .hits
        .iter()
        .any(|h| h.start == start && h.end == end && h.secret == key)
    {
        return Ok(());
    }
    // A key planted inside a multi-line block (a PEM or PGP private key, reported whole) is
    // part of that secret: rotating the block is the finding.
    if scanned
        .hits
        .iter()
        .any(|h| h.start < start && end < h.end && h.secret.contains(&b'\n'))
    {
        return Ok(());
    }
    let hits: Vec<String> = scanned
        .hits
        .iter()
        .map(|h| {
            format!(
                "{} {}..{} {:?}",
                m.rules().rules[h.rule].id,
                h.start,
                h.end,
                String::from_utf8_lossy(&h.secret)
            )
        })
        .collect();
    Err(format!(
        "key {:?} planted at {start}..{end} of {:?} not found; hits: {hits:?}",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(&text),
    ))
}

/// The base64 round trip: `data` encoded with the base64 crate (padded or not) decodes back
/// to `data` when it is mostly text (and to nothing otherwise, by design); and the encoding,
/// set in text between bytes outside the alphabet, is the base64 run around any of its
/// characters.
pub fn check_base64(data: &[u8], padded: bool, before: &[u8], after: &[u8]) -> Result<(), String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    let encoded = if padded {
        STANDARD.encode(data)
    } else {
        STANDARD_NO_PAD.encode(data)
    };
    let printable = data
        .iter()
        .filter(|&&b| b.is_ascii_graphic() || b.is_ascii_whitespace())
        .count();
    let expected = (printable * 10 >= data.len() * 8).then(|| data.to_vec());
    let decoded = decode_base64_text(encoded.as_bytes());
    if decoded != expected {
        return Err(format!(
            "{encoded:?} decodes to {decoded:?}, expected {expected:?}"
        ));
    }
    let outside = |b: &u8| !is_base64(*b) && *b != b'=';
    let (Some(l), Some(r)) = (before.last(), after.first()) else {
        return Ok(());
    };
    if !outside(l) || !outside(r) {
        return Ok(());
    }
    let mut hay = before.to_vec();
    let s = hay.len();
    hay.extend_from_slice(encoded.as_bytes());
    let e = hay.len();
    hay.extend_from_slice(after);
    let unpadded = encoded.trim_end_matches('=').len();
    for at in (s..s + unpadded).step_by(unpadded.div_ceil(8).max(1)) {
        let run = base64_run(&hay, at, usize::MAX / 4);
        if run != (s, e) {
            return Err(format!(
                "base64 run around {at} is {run:?}, the encoding is at {:?}",
                (s, e)
            ));
        }
    }
    Ok(())
}

/// The UTF-16 round trip: `text` encoded as UTF-16 (with or without a byte order mark)
/// decodes back to `text`; ASCII text of four or more characters without NUL is detected as
/// UTF-16 of the right byte order.
pub fn check_utf16(text: &str, order: Utf16, bom: bool) -> Result<(), String> {
    let mut bytes = Vec::new();
    let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
    for u in units {
        bytes.extend(match order {
            Utf16::Le => u.to_le_bytes(),
            Utf16::Be => u.to_be_bytes(),
        });
    }
    let decoded = decode_utf16(&bytes, order);
    // A leading U+FEFF of the text itself is a byte order mark when there is none before it.
    let expected = match (bom, text.strip_prefix('\u{FEFF}')) {
        (false, Some(rest)) => rest,
        _ => text,
    };
    if decoded != expected.as_bytes() {
        return Err(format!(
            "{text:?} as UTF-16 {order:?} decodes to {:?}",
            String::from_utf8_lossy(&decoded)
        ));
    }
    let plain_ascii = text.is_ascii() && !text.contains('\0');
    if plain_ascii && (bom || text.len() >= 4) && detect_utf16(&bytes) != Some(order) {
        return Err(format!(
            "{text:?} as UTF-16 {order:?} is detected as {:?}",
            detect_utf16(&bytes)
        ));
    }
    Ok(())
}

/// Escapes `text` as a JSON or JavaScript string body would, each character in a form
/// chosen by the next byte of `choices` (cycled): as itself, `\uXXXX`, `\xXX`, or a short
/// escape (`\n`, `\/`, `\\`, `\"`, `\q` for `q`). Quotes and backslashes are always escaped.
/// Returns the escaped text, the text [`unescape`] should give back, and its position map.
pub fn escape(text: &str, choices: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    let mut decoded = Vec::new();
    let mut map = Vec::new();
    for (i, c) in text.chars().enumerate() {
        let choice = choices.get(i % choices.len().max(1)).copied().unwrap_or(0) % 4;
        let at = out.len();
        let mut utf8 = [0; 4];
        let mut expect: &[u8] = c.encode_utf8(&mut utf8).as_bytes();
        let special = matches!(c, '"' | '\'' | '`' | '\\');
        match c {
            _ if choice == 1 && (c as u32) < 0x10000 => {
                out.extend(format!("\\u{:04x}", c as u32).bytes())
            }
            _ if choice == 2 && c.is_ascii() => out.extend(format!("\\x{:02X}", c as u32).bytes()),
            '\n' => out.extend(b"\\n"),
            '\r' => out.extend(b"\\r"),
            '\t' => out.extend(b"\\t"),
            // `\b`, `\f`, `\v` and `\0` are decoded as a space.
            '\u{8}' | '\u{c}' | '\u{b}' | '\0' => {
                out.extend(match c {
                    '\u{8}' => b"\\b",
                    '\u{c}' => b"\\f",
                    '\u{b}' => b"\\v",
                    _ => b"\\0",
                });
                expect = b" ";
            }
            _ if special || (choice == 3 && c.is_ascii_punctuation()) => {
                out.push(b'\\');
                out.push(c as u8);
            }
            _ => out.extend_from_slice(expect),
        }
        // Each decoded byte points at the start of its escape, or at itself.
        for (k, &b) in expect.iter().enumerate() {
            decoded.push(b);
            map.push(if out[at] == b'\\' { at } else { at + k });
        }
    }
    map.push(out.len());
    (out, decoded, map)
}

/// The escape round trip: [`unescape`] of [`escape`]d `text` gives the text back, each
/// decoded byte mapped to the start of its encoding, and stops at an unescaped quote after it.
pub fn check_unescape(text: &str, choices: &[u8]) -> Result<(), String> {
    let (mut escaped, decoded, map) = escape(text, choices);
    escaped.extend_from_slice(b"\" tail \\n");
    // The tail's escape makes sure there is one, so the decoder never declines.
    match unescape(&escaped) {
        Some(u) if u.text == decoded && u.map == map => Ok(()),
        Some(u) => Err(format!(
            "{:?} unescapes to {:?} with map {:?}, expected {:?} with map {map:?}",
            String::from_utf8_lossy(&escaped),
            String::from_utf8_lossy(&u.text),
            u.map,
            String::from_utf8_lossy(&decoded),
        )),
        None => Err(format!(
            "{:?} has escapes but unescape gives nothing",
            String::from_utf8_lossy(&escaped)
        )),
    }
}

/// Runs the JWT validators on `key`: the any-JWT one, and a Supabase-style one (`issuer`
/// `supabase`, `role`).
pub fn validate_jwt(key: &[u8], role: &str) -> (Option<Validated>, Option<Validated>) {
    let jwt = Validator::Jwt {
        issuer: "supabase".into(),
        role: role.into(),
    };
    (
        validate(&Validator::AnyJwt, key, key, key, key),
        validate(&jwt, key, key, key, key),
    )
}

/// A JWT from a header and a payload (JSON), with `signature`.
pub fn make_jwt(header: &[u8], payload: &[u8], signature: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut out = e.encode(header).into_bytes();
    out.push(b'.');
    out.extend(e.encode(payload).bytes());
    out.push(b'.');
    out.extend(e.encode(signature).bytes());
    out
}

/// The JWT property: a token whose header names `alg` and whose payload holds `iss`, `role`,
/// `exp` is accepted by the any-JWT validator with those facts, and by the Supabase one
/// exactly when the algorithm is HS256, the role matches and the issuer is absent,
/// `supabase` or `supabase-demo`.
pub fn check_jwt(alg: &str, iss: Option<&str>, role: &str, exp: Option<i64>) -> Result<(), String> {
    let header = serde_json::json!({ "alg": alg, "typ": "JWT" });
    let mut payload = serde_json::json!({ "role": role });
    if let Some(i) = iss {
        payload["iss"] = i.into();
    }
    if let Some(e) = exp {
        payload["exp"] = e.into();
    }
    let key = make_jwt(
        header.to_string().as_bytes(),
        payload.to_string().as_bytes(),
        b"not a signature",
    );
    let (any, supabase) = validate_jwt(&key, "anon");
    let facts = any
        .and_then(|v| v.token)
        .ok_or_else(|| format!("any-jwt rejects {header} {payload}"))?;
    if facts.alg != alg || facts.iss.as_deref() != iss || facts.exp != exp {
        return Err(format!("any-jwt reads {facts:?} from {header} {payload}"));
    }
    let should = alg == "HS256"
        && role == "anon"
        && iss.is_none_or(|i| i == "supabase" || i == "supabase-demo");
    match supabase {
        Some(v) if should && v.demo == (iss == Some("supabase-demo")) => Ok(()),
        None if !should => Ok(()),
        other => Err(format!(
            "jwt(supabase, anon) gives {other:?} for {header} {payload}"
        )),
    }
}

/// Parses `.leakscope.toml` text and applies it to the built-in rules: errors, never panics.
pub fn load_config(text: &str) -> bool {
    let Ok(config) = Config::parse("fuzz.toml", text) else {
        return false;
    };
    static RUNBOOKS: OnceLock<crate::runbook::Runbooks> = OnceLock::new();
    let runbooks = RUNBOOKS.get_or_init(|| crate::runbook::Runbooks::builtin().expect("runbooks"));
    let mut rules = matcher().rules().clone();
    config.apply(&mut rules, runbooks).is_ok()
}

/// Adds a rule file's text to an empty rule set, and to the built-in rules: errors, never
/// panics. Rules that load compile.
pub fn load_rules(text: &str) -> Result<(), String> {
    let mut set = RuleSet::empty();
    if set.add_file("fuzz.toml", text).is_ok() {
        for r in &set.rules {
            r.compile_all()
                .map_err(|e| format!("rule {} loaded but does not compile: {e}", r.id))?;
        }
    }
    Ok(())
}

/// What structured fuzz inputs are built from: every rule's literals and keywords, every
/// rule example and look-alike (whole), the fake keys, and a few encodings' marks.
pub fn vocabulary() -> &'static [Vec<u8>] {
    static V: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    V.get_or_init(|| {
        let mut v: Vec<Vec<u8>> = Vec::new();
        for r in &matcher().rules().rules {
            v.extend(r.prefixes.iter().map(|p| p.as_bytes().to_vec()));
            v.extend(r.keywords.iter().map(|k| k.as_bytes().to_vec()));
            v.extend(
                r.examples
                    .iter()
                    .map(|e| crate::rules::unsplit(&e.text).into_bytes()),
            );
            v.extend(
                r.negative_examples
                    .iter()
                    .map(|e| crate::rules::unsplit(e.text()).into_bytes()),
            );
        }
        v.extend(keys::all());
        for mark in [
            "\\n", "\\u00", "\\x", "\\\"", "...", "***", "=", "==", "\n", "%3D",
        ] {
            v.push(mark.as_bytes().to_vec());
        }
        v.sort();
        v.dedup();
        v
    })
}

/// Turns fuzz input into text rich in what the matcher looks for: a NUL byte followed by two
/// bytes picks an entry of [`vocabulary`] (or, past its end, stands for a NUL); any other
/// byte stands for itself.
pub fn expand(input: &[u8]) -> Vec<u8> {
    let vocab = vocabulary();
    let mut out = Vec::with_capacity(input.len() * 4);
    let mut i = 0;
    while i < input.len() {
        if input[i] == 0 && i + 2 < input.len() {
            let n =
                usize::from(u16::from_le_bytes([input[i + 1], input[i + 2]])) % (vocab.len() + 1);
            match vocab.get(n) {
                Some(word) => out.extend_from_slice(word),
                None => out.push(0),
            }
            i += 3;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    out
}
