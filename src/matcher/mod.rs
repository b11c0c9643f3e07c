//! The matcher: bytes in, [`Hit`]s out.
//!
//! One Aho-Corasick automaton holds the literal prefixes of every rule and the base64 forms of
//! those prefixes. A rule's pattern runs only where its literal was found, anchored, in a
//! window as long as the longest key it can match; the neighbours of a match are checked in
//! code (`regex` has no look-around), then the body is checked for placeholders and the rule's
//! validator runs. Where several rules share a prefix (`sk_live_` is Stripe's and Clerk's),
//! [`resolve`] picks one. Encodings are undone first ([`decode`]): UTF-16 text is decoded as a
//! whole, base64 runs around a base64 literal are decoded and matched, and JSON/JavaScript
//! escapes inside a key are undone.

pub mod decode;
mod resolve;
pub mod validate;

use crate::rules::{Anchor, Rule, RuleSet};
use crate::vocab::Encoding;
use aho_corasick::{AhoCorasick, Input, MatchKind};
use sha2::{Digest, Sha256};
use std::borrow::Cow;

pub use resolve::Decision;

/// How far a base64 run is followed on either side of a base64 literal.
const BASE64_RUN_LIMIT: usize = 1 << 20;
/// The shortest base64 run worth decoding.
const BASE64_RUN_MIN: usize = 16;

/// A key found in a text, before it is classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Index of the rule in the matcher's [`RuleSet`].
    pub rule: usize,
    /// Byte offset where the key (or the encoded text holding it) starts in the scanned text.
    pub start: usize,
    /// Byte offset where it ends (exclusive).
    pub end: usize,
    /// The key's text after undoing any encoding.
    pub secret: Vec<u8>,
    /// The encoding the key was found in.
    pub encoding: Encoding,
    /// Where the key was published, when it is a well-known example or demo key.
    pub published: Option<String>,
    /// The project the key belongs to, when the key or its file tells (Supabase ref).
    pub project: Option<String>,
    /// How the rule was chosen among rules sharing the prefix.
    pub decision: Decision,
    /// Other rules the key may belong to, when the choice was a guess.
    pub alternatives: Vec<usize>,
}

/// The result of matching one input.
#[derive(Debug)]
pub struct Scanned<'a> {
    /// The text the hits' offsets refer to: the input, or its UTF-8 decoding when the input
    /// was UTF-16. Lines and code points are those of the input either way.
    pub text: Cow<'a, [u8]>,
    /// Whether the input was UTF-16.
    pub utf16: bool,
    /// Hits, ordered by offset.
    pub hits: Vec<Hit>,
}

/// Where keys start relative to an automaton literal, and which rules to confirm there.
#[derive(Clone, Debug)]
struct KeyStart {
    /// How many bytes before the literal the key's prefix starts (`k_live_` stands for
    /// `sk_live_`, `rk_live_` and `pk_live_`).
    offset: usize,
    /// The rule prefix that must be there.
    prefix: Vec<u8>,
    /// The rules with that prefix.
    rules: Vec<usize>,
}

/// What an automaton pattern stands for.
#[derive(Clone, Debug, Default)]
struct Literal {
    /// Key prefixes (or suffixes) this literal locates.
    keys: Vec<KeyStart>,
    /// The pattern is the base64 form of a literal that can start a secret.
    base64: bool,
}

/// Finds keys in bytes. Cheap to share between threads.
#[derive(Clone, Debug)]
pub struct Matcher {
    rules: RuleSet,
    /// The literals of four bytes or more.
    ac: AhoCorasick,
    /// For each automaton pattern, its index in `literals`.
    ac_literal: Vec<usize>,
    /// Shorter literals (`re_`), each found on its own with `memmem`: one three-byte pattern
    /// among forty would force the automaton's prefilter onto three-byte fingerprints and
    /// halve its speed.
    short: Vec<(memchr::memmem::Finder<'static>, usize)>,
    literals: Vec<Literal>,
    /// Length of the longest literal.
    max_literal: usize,
}

/// The automaton literal that locates `prefix`: prefixes of six bytes or more that differ only
/// in their first byte share one literal without it (`sk_live_`, `rk_live_` → `k_live_`),
/// which keeps the prefilter's pattern count, and its cost, down.
fn literal_for(prefix: &[u8], all: &[Vec<u8>]) -> (Vec<u8>, usize) {
    if prefix.len() >= 6 {
        let tail = &prefix[1..];
        let sharing = all
            .iter()
            .filter(|p| p.len() == prefix.len() && &p[1..] == tail)
            .count();
        if sharing >= 2 {
            return (tail.to_vec(), 1);
        }
    }
    (prefix.to_vec(), 0)
}

impl Matcher {
    /// Builds the automaton over every rule's literals and the base64 forms of those that can
    /// start a secret.
    pub fn new(rules: RuleSet) -> Matcher {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut literals: Vec<Literal> = Vec::new();
        let slot =
            |bytes: &[u8], patterns: &mut Vec<Vec<u8>>, literals: &mut Vec<Literal>| -> usize {
                match patterns.iter().position(|p| p == bytes) {
                    Some(i) => i,
                    None => {
                        patterns.push(bytes.to_vec());
                        literals.push(Literal::default());
                        patterns.len() - 1
                    }
                }
            };
        let all: Vec<Vec<u8>> = rules
            .rules
            .iter()
            .filter(|r| r.anchor == Anchor::Prefix)
            .flat_map(|r| r.prefixes.iter().map(|p| p.as_bytes().to_vec()))
            .collect();
        let mut secret_literals: Vec<Vec<u8>> = Vec::new();
        for (ri, rule) in rules.rules.iter().enumerate() {
            for p in &rule.prefixes {
                let (lit, offset) = match rule.anchor {
                    Anchor::Prefix => literal_for(p.as_bytes(), &all),
                    Anchor::Suffix => (p.as_bytes().to_vec(), 0),
                };
                let pi = slot(&lit, &mut patterns, &mut literals);
                let keys = &mut literals[pi].keys;
                match keys.iter_mut().find(|k| k.prefix == p.as_bytes()) {
                    Some(k) => k.rules.push(ri),
                    None => keys.push(KeyStart {
                        offset,
                        prefix: p.as_bytes().to_vec(),
                        rules: vec![ri],
                    }),
                }
                if rule.class == crate::vocab::Class::Secret && !secret_literals.contains(&lit) {
                    secret_literals.push(lit);
                }
            }
        }
        // A literal that extends another: when the longer one is found, the shorter one's
        // keys start there too (leftmost-longest reports only the longer).
        for pi in 0..patterns.len() {
            for pj in 0..patterns.len() {
                if pi != pj && patterns[pi].starts_with(&patterns[pj]) {
                    let extra = literals[pj].keys.clone();
                    literals[pi].keys.extend(extra);
                }
            }
        }
        // Base64 forms in all three alignments, where at least four characters do not depend
        // on the neighbours. A literal too short for that (`re_`) also gets the forms of its
        // usual left contexts (`KEY=re_…`, `"re_…`).
        for lit in &secret_literals {
            let mut sources = vec![lit.clone()];
            if lit.len() < 4 {
                for ctx in [b'=', b'"'] {
                    sources.push([&[ctx][..], lit].concat());
                }
            }
            for src in sources {
                for enc in decode::base64_literals(&src, 4) {
                    let pi = slot(&enc, &mut patterns, &mut literals);
                    literals[pi].base64 = true;
                }
            }
        }
        let mut ac_patterns: Vec<&[u8]> = Vec::new();
        let mut ac_literal = Vec::new();
        let mut short = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            if p.len() < 4 {
                short.push((memchr::memmem::Finder::new(p).into_owned(), i));
            } else {
                ac_patterns.push(p);
                ac_literal.push(i);
            }
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&ac_patterns)
            .expect("rule literals always build an automaton");
        let max_literal = patterns.iter().map(Vec::len).max().unwrap_or(0);
        Matcher {
            rules,
            ac,
            ac_literal,
            short,
            literals,
            max_literal,
        }
    }

    /// Every literal occurrence starting in `hay[from..to]`, as (position, literal index), in
    /// no particular order.
    fn occurrences(&self, hay: &[u8], from: usize, to: usize, mut each: impl FnMut(usize, usize)) {
        let to = to.min(hay.len());
        let end = hay.len().min(to + self.max_literal);
        let mut pos = from;
        while pos < to {
            let Some(m) = self.ac.find(Input::new(hay).span(pos..end)) else {
                break;
            };
            if m.start() >= to {
                break;
            }
            pos = m.start() + 1;
            each(m.start(), self.ac_literal[m.pattern().as_usize()]);
        }
        for (finder, li) in &self.short {
            let n = finder.needle().len();
            let window = &hay[from.min(to)..(to + n - 1).min(hay.len()).max(from.min(to))];
            for at in finder.find_iter(window) {
                each(from + at, *li);
            }
        }
    }

    /// The rules this matcher was built from.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Finds every key in `bytes`, undoing UTF-16, base64 and string escapes.
    pub fn scan<'a>(&self, bytes: &'a [u8]) -> Scanned<'a> {
        let (text, utf16) = match decode::detect_utf16(bytes) {
            Some(order) => (Cow::Owned(decode::decode_utf16(bytes, order)), true),
            None => (Cow::Borrowed(bytes), false),
        };
        let mut hits = self.find(&text, 0);
        if utf16 {
            for h in &mut hits {
                if h.encoding == crate::vocab::Encoding::Plain {
                    h.encoding = crate::vocab::Encoding::Utf16;
                }
            }
        }
        Scanned { text, utf16, hits }
    }

    /// How many bytes before and after a literal's start decide whether it is a candidate: a
    /// literal whose neighbourhood is copied intact (by a git delta) keeps its decision.
    pub fn neighbourhood(&self) -> (usize, usize) {
        let after = self
            .rules
            .rules
            .iter()
            .map(|r| r.min_len + 2)
            .chain(
                self.literals
                    .iter()
                    .flat_map(|l| l.keys.iter().map(|k| k.prefix.len() + 1)),
            )
            .max()
            .unwrap_or(0)
            .max(self.max_literal);
        (4, after + 2)
    }

    /// The starts of literals in `hay[from..to]` that survive the cheap checks of at least one
    /// rule, or that could start a base64 or suffix-anchored key (those always count). A text
    /// with none has no hits; the converse does not hold.
    pub fn candidates(&self, hay: &[u8], from: usize, to: usize, out: &mut Vec<u32>) {
        self.occurrences(hay, from, to, |start, li| {
            let lit = &self.literals[li];
            let keep = lit.base64
                || lit.keys.iter().any(|k| {
                    let Some(at) = start.checked_sub(k.offset) else {
                        return false;
                    };
                    hay[at..].starts_with(&k.prefix)
                        && k.rules.iter().any(|&ri| {
                            let rule = &self.rules.rules[ri];
                            rule.anchor == Anchor::Suffix || survives(hay, at, k.prefix.len(), rule)
                        })
                });
            if keep {
                out.push(start as u32);
            }
        });
    }

    /// Runs every rule's examples through the whole matcher (prefilter included): each example
    /// must give exactly one hit, of its rule, with the example's environment; each negative
    /// example must give none. Returns one line per failure.
    pub fn check_examples(&self) -> Result<(), Vec<String>> {
        let all: Vec<String> = self.rules.rules.iter().map(|r| r.id.clone()).collect();
        self.check_examples_of(&all)
    }

    /// [`Matcher::check_examples`] for the rules with these ids (custom rules at load time).
    pub fn check_examples_of(&self, ids: &[String]) -> Result<(), Vec<String>> {
        let mut failures = Vec::new();
        for rule in self.rules.rules.iter().filter(|r| ids.contains(&r.id)) {
            let has_markers = rule.live.is_some() || rule.test.is_some();
            if rule.examples.is_empty() {
                failures.push(format!("{}: no examples", rule.id));
            }
            for ex in &rule.examples {
                let text = crate::rules::unsplit(&ex.text);
                let hits = self.scan(text.as_bytes()).hits;
                let found: Vec<&str> = hits
                    .iter()
                    .map(|h| self.rules.rules[h.rule].id.as_str())
                    .collect();
                if found != [rule.id.as_str()] {
                    failures.push(format!(
                        "{}: example {:?} gave {:?}",
                        rule.id, ex.text, found
                    ));
                    continue;
                }
                let env = rule.environment(&hits[0].secret);
                match ex.environment {
                    Some(want) if want != env => failures.push(format!(
                        "{}: example {:?} has environment {env}, expected {want}",
                        rule.id, ex.text
                    )),
                    None if has_markers => failures.push(format!(
                        "{}: example {:?} must state its environment",
                        rule.id, ex.text
                    )),
                    _ => {}
                }
            }
            for neg in &rule.negative_examples {
                let hits = self.scan(crate::rules::unsplit(neg).as_bytes()).hits;
                if !hits.is_empty() {
                    let found: Vec<&str> = hits
                        .iter()
                        .map(|h| self.rules.rules[h.rule].id.as_str())
                        .collect();
                    failures.push(format!(
                        "{}: negative example {neg:?} gave {found:?}",
                        rule.id
                    ));
                }
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures)
        }
    }

    fn find(&self, hay: &[u8], depth: u8) -> Vec<Hit> {
        let mut raw = Vec::new();
        let mut base64_at: Vec<usize> = Vec::new();
        self.occurrences(hay, 0, hay.len(), |start, li| {
            let lit = &self.literals[li];
            for k in &lit.keys {
                let Some(at) = start.checked_sub(k.offset) else {
                    continue;
                };
                if !hay[at..].starts_with(&k.prefix) {
                    continue;
                }
                for &ri in &k.rules {
                    if let Some(h) = self.confirm(hay, at, k.prefix.len(), ri) {
                        raw.push(h);
                    }
                }
            }
            if lit.base64 && depth == 0 {
                base64_at.push(start);
            }
        });
        base64_at.sort_unstable();
        let mut decoded_until = 0;
        for start in base64_at {
            if start < decoded_until {
                continue;
            }
            let (s, e) = decode::base64_run(hay, start, BASE64_RUN_LIMIT);
            decoded_until = e;
            if e - s >= BASE64_RUN_MIN {
                raw.extend(self.find_base64(hay, s, e, depth));
            }
        }
        resolve::resolve(raw, hay, &self.rules)
    }

    /// Decodes the base64 run `hay[s..e]` (trying each start alignment, since the run may be
    /// glued to other base64-alphabet text) and maps the keys inside to the run's span.
    fn find_base64(&self, hay: &[u8], s: usize, e: usize, depth: u8) -> Vec<Hit> {
        for skip in 0..4 {
            if e - (s + skip) < BASE64_RUN_MIN {
                break;
            }
            let Some(decoded) = decode::decode_base64_text(&hay[s + skip..e]) else {
                continue;
            };
            let inner = self.find(&decoded, depth + 1);
            if inner.is_empty() {
                continue;
            }
            return inner
                .into_iter()
                .map(|mut h| {
                    h.start = s + skip;
                    h.end = e;
                    h.encoding = Encoding::Base64;
                    h
                })
                .collect();
        }
        Vec::new()
    }

    /// Checks a candidate: boundaries, the rule's pattern, placeholders, the validator.
    fn confirm(&self, hay: &[u8], at: usize, lit_len: usize, ri: usize) -> Option<Hit> {
        let rule = &self.rules.rules[ri];
        let (start, end, secret, encoding) = match rule.anchor {
            Anchor::Prefix => {
                if !survives(hay, at, lit_len, rule) {
                    return None;
                }
                let cap = hay.len().min(at + rule.max_len);
                let run_end = at
                    + lit_len
                    + hay[at + lit_len..cap]
                        .iter()
                        .take_while(|&&b| rule.pattern_bytes.contains(b))
                        .count();
                let escaped = hay.get(run_end) == Some(&b'\\');
                let plain = rule.pattern.find(&hay[at..cap]).map(|m| at + m.end());
                match plain {
                    Some(end) if !(escaped && end == run_end) => {
                        if !right_boundary(hay, end, rule) {
                            return None;
                        }
                        (at, end, Cow::Borrowed(&hay[at..end]), Encoding::Plain)
                    }
                    _ if escaped => {
                        let (end, key) = self.confirm_escaped(hay, at, rule)?;
                        let encoding = if key == hay[at..end] {
                            Encoding::Plain
                        } else {
                            Encoding::Escaped
                        };
                        (at, end, Cow::Owned(key), encoding)
                    }
                    _ => return None,
                }
            }
            Anchor::Suffix => {
                let lit_end = at + lit_len;
                let floor = lit_end.saturating_sub(rule.max_len);
                let m = rule.pattern.find(&hay[floor..lit_end])?;
                let start = floor + m.start();
                if !left_boundary(hay, start, rule) || !right_boundary(hay, lit_end, rule) {
                    return None;
                }
                (
                    start,
                    lit_end,
                    Cow::Borrowed(&hay[start..lit_end]),
                    Encoding::Plain,
                )
            }
        };
        let body = body_of(rule, &secret);
        let structural = rule.validator.as_ref().is_some_and(|v| v.is_structural());
        if !structural && validate::is_placeholder(body, rule.min_entropy) {
            return None;
        }
        let validated = match &rule.validator {
            Some(v) => validate::validate(v, &secret, body, hay)?,
            None => validate::Validated::default(),
        };
        let digest: [u8; 32] = Sha256::digest(&secret).into();
        let published = match self.rules.published.get(&digest) {
            Some(p) => Some(p.source.clone()),
            None if validated.demo => Some(format!(
                "{} demo key (local development and self-hosting templates)",
                self.rules.provider(rule).display
            )),
            None => None,
        };
        Some(Hit {
            rule: ri,
            start,
            end,
            secret: secret.into_owned(),
            encoding,
            published,
            project: validated.project,
            decision: Decision::Only,
            alternatives: Vec::new(),
        })
    }

    /// The key at `at` with JSON/JavaScript escapes undone: its encoded end and decoded text.
    fn confirm_escaped(&self, hay: &[u8], at: usize, rule: &Rule) -> Option<(usize, Vec<u8>)> {
        let cap = hay.len().min(at + rule.max_len.saturating_mul(6));
        let u = decode::unescape(&hay[at..cap])?;
        let m = rule.pattern.find(&u.text)?;
        if u.text
            .get(m.end())
            .is_some_and(|&c| rule.charset.contains(c))
        {
            return None;
        }
        let end = at + u.map[m.end()];
        if truncated(hay, end) {
            return None;
        }
        Some((end, u.text[..m.end()].to_vec()))
    }
}

/// The key minus its literal: what placeholder and entropy checks look at.
fn body_of<'k>(rule: &Rule, key: &'k [u8]) -> &'k [u8] {
    let lit = rule
        .prefixes
        .iter()
        .map(|p| p.as_bytes())
        .find(|p| match rule.anchor {
            Anchor::Prefix => key.starts_with(p),
            Anchor::Suffix => key.ends_with(p),
        });
    match (lit, rule.anchor) {
        (Some(p), Anchor::Prefix) => &key[p.len()..],
        (Some(p), Anchor::Suffix) => &key[..key.len() - p.len()],
        (None, _) => key,
    }
}

/// The checks that reject most candidates before any regex runs, from the bytes just around
/// the candidate (`hay[at - 3..=at + min_len]`): the left boundary; a run of the bytes the
/// pattern can match long enough for its shortest key (or cut by a string escape); and no
/// placeholder run or sequence (`xxxxx`, `123456`) in those first bytes, which every key
/// starting here would contain. Delta-aware scanning relies on this depending on nothing else.
fn survives(hay: &[u8], at: usize, lit_len: usize, rule: &Rule) -> bool {
    if !left_boundary(hay, at, rule) {
        return false;
    }
    let need = rule.min_len.saturating_sub(lit_len);
    let body = hay.get(at + lit_len..).unwrap_or_default();
    let run = body
        .iter()
        .take(need)
        .take_while(|&&b| rule.pattern_bytes.contains(b))
        .count();
    if run < need {
        return body.get(run) == Some(&b'\\');
    }
    let structural = rule.validator.as_ref().is_some_and(|v| v.is_structural());
    structural || !validate::is_placeholder_prefix(&body[..need])
}

/// The byte before a key must not continue a word or the key's alphabet (base64 padding,
/// which only ends a value, is no continuation: `KEY=whsec_…`). A letter that ends a string
/// escape (`\n`) does not count.
fn left_boundary(hay: &[u8], start: usize, rule: &Rule) -> bool {
    let Some(&prev) = start.checked_sub(1).and_then(|i| hay.get(i)) else {
        return true;
    };
    let continues = prev.is_ascii_alphanumeric()
        || prev == b'_'
        || (prev != b'=' && rule.charset.contains(prev));
    if !continues {
        return true;
    }
    start >= 2
        && hay[start - 2] == b'\\'
        && matches!(prev, b'n' | b'r' | b't')
        && (start < 3 || hay[start - 3] != b'\\')
}

/// The byte after a key must not continue its alphabet, and the key must not be shown cut
/// off (`sk_live_51Ab…`, `…***`).
fn right_boundary(hay: &[u8], end: usize, rule: &Rule) -> bool {
    match hay.get(end) {
        Some(&c) if rule.charset.contains(c) => false,
        _ => !truncated(hay, end),
    }
}

fn truncated(hay: &[u8], end: usize) -> bool {
    let rest = &hay[end..];
    rest.starts_with(b"...") || rest.starts_with("\u{2026}".as_bytes()) || rest.starts_with(b"***")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> Matcher {
        Matcher::new(RuleSet::builtin().unwrap())
    }

    fn key(parts: &[&str]) -> String {
        parts.concat()
    }

    #[test]
    fn matcher_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Matcher>();
        assert_send_sync::<RuleSet>();
    }

    #[test]
    fn finds_a_stripe_key_with_offsets() {
        let m = matcher();
        let k = key(&["sk_live_", "ErQHQwjyaxErPZDS3MoJaQNj"]);
        let text = format!("x = \"{k}\"\n");
        let s = m.scan(text.as_bytes());
        assert_eq!(s.hits.len(), 1);
        let h = &s.hits[0];
        assert_eq!(m.rules().rules[h.rule].id, "stripe-secret-key");
        assert_eq!((h.start, h.end), (5, 5 + k.len()));
        assert_eq!(h.secret, k.as_bytes());
    }

    #[test]
    fn base64_value_is_decoded() {
        use base64::Engine as _;
        let m = matcher();
        let k = key(&["re_", "N24nDGTE_7THxUDUb27c6kwViq4Vdkdxo"]);
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("RESEND={k}\n"));
        let text = format!("data:\n  env: {enc}\n");
        let s = m.scan(text.as_bytes());
        assert_eq!(s.hits.len(), 1, "{text}");
        assert_eq!(s.hits[0].encoding, Encoding::Base64);
        assert_eq!(s.hits[0].secret, k.as_bytes());
        assert_eq!(s.hits[0].start, text.find(&enc).unwrap());
    }

    #[test]
    fn escaped_slash_is_undone() {
        let m = matcher();
        let text = key(&[
            r#"{"secret":"whsec_"#,
            r#"BhsV+7V\/awWDoLtuW8UONMgJll6oLJ43"}"#,
        ]);
        let s = m.scan(text.as_bytes());
        assert_eq!(s.hits.len(), 1, "{text}");
        assert_eq!(s.hits[0].encoding, Encoding::Escaped);
        assert_eq!(
            s.hits[0].secret,
            key(&["whsec_", "BhsV+7V/awWDoLtuW8UONMgJll6oLJ43"]).as_bytes()
        );
        assert_eq!(s.hits[0].end, text.len() - 2);
    }

    #[test]
    fn utf16_text_is_decoded() {
        let m = matcher();
        let k = key(&["GOCSPX-", "lztMkxMlT8XXZO2fGfDb7CgWDl2y"]);
        let text = format!("secret={k}\r\n");
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let s = m.scan(&bytes);
        assert!(s.utf16);
        assert_eq!(s.hits.len(), 1);
        assert_eq!(s.hits[0].encoding, Encoding::Utf16);
        assert_eq!(s.hits[0].secret, k.as_bytes());
    }

    #[test]
    fn word_boundaries_hold() {
        let m = matcher();
        let k = key(&["re_", "N24nDGTE_7THxUDUb27c6kwViq4Vdkdxo"]);
        for text in [format!("pu{k}"), format!("{k}x"), format!("x_{k}")] {
            assert!(m.scan(text.as_bytes()).hits.is_empty(), "{text}");
        }
        assert_eq!(m.scan(format!("\\n{k}").as_bytes()).hits.len(), 1);
    }
}

#[cfg(test)]
mod rule_examples {
    use super::*;

    /// Every example of every built-in rule matches exactly once with the right rule and
    /// environment; every negative example matches nothing.
    #[test]
    fn builtin_rule_examples_hold() {
        let m = Matcher::new(RuleSet::builtin().unwrap());
        if let Err(failures) = m.check_examples() {
            panic!("{} failures:\n{}", failures.len(), failures.join("\n"));
        }
    }
}

#[cfg(test)]
mod resolution {
    use super::*;

    fn ids(m: &Matcher, text: &str) -> Vec<(String, Decision, Vec<String>)> {
        m.scan(text.as_bytes())
            .hits
            .iter()
            .map(|h| {
                (
                    m.rules().rules[h.rule].id.clone(),
                    h.decision,
                    h.alternatives
                        .iter()
                        .map(|&a| m.rules().rules[a].id.clone())
                        .collect(),
                )
            })
            .collect()
    }

    /// A 40-character body fits both Stripe's and Clerk's patterns and neither one's shape.
    fn ambiguous() -> String {
        ["sk_live_", "Qm3Tz8Wk2Lp9Vx4Rb7Nc1Hd6Fg5Js0Ay3Ek8Uo2"].concat()
    }

    #[test]
    fn shape_decides_first() {
        let m = Matcher::new(RuleSet::builtin().unwrap());
        let clerk = ["sk_live_", "kASAOsE1nYEZ9GlGHpYaax7LBejYWo6oScBVX4ANCc"].concat();
        // The shape wins even against a variable name that says otherwise.
        let got = ids(&m, &format!("STRIPE_SECRET_KEY={clerk}"));
        assert_eq!(
            got,
            vec![("clerk-secret-key".into(), Decision::Shape, vec![])]
        );
    }

    #[test]
    fn variable_name_then_file_then_likelier() {
        let m = Matcher::new(RuleSet::builtin().unwrap());
        let k = ambiguous();
        assert_eq!(
            ids(&m, &format!("CLERK_SECRET_KEY={k}")),
            vec![("clerk-secret-key".into(), Decision::Name, vec![])]
        );
        assert_eq!(
            ids(
                &m,
                &format!("import {{ clerkClient }} from \"@clerk/nextjs\";\nconst key = \"{k}\";")
            ),
            vec![("clerk-secret-key".into(), Decision::File, vec![])]
        );
        // A Clerk publishable key in the same file settles it too.
        let pk = ["pk_test_", "YnJhdmUtb3R0ZXItMTcuY2xlcmsuYWNjb3VudHMuZGV2JA"].concat();
        let got = ids(&m, &format!("a = \"{pk}\"\nb = \"{k}\"\n"));
        assert_eq!(got[1], ("clerk-secret-key".into(), Decision::File, vec![]));
        // Nothing to go on: the likelier provider, with the other as an alternative.
        assert_eq!(
            ids(&m, &format!("key = \"{k}\"")),
            vec![(
                "stripe-secret-key".into(),
                Decision::Likely,
                vec!["clerk-secret-key".into()]
            )]
        );
    }

    #[test]
    fn svix_shape_beats_stripe_for_whsec() {
        let m = Matcher::new(RuleSet::builtin().unwrap());
        let svix = ["whsec_", "BhsV+7V/awWDoLtuW8UONMgJll6oLJ43"].concat();
        let got = ids(&m, &format!("secret = \"{svix}\""));
        assert_eq!(got[0].0, "clerk-webhook-secret");
        assert_eq!(got[0].2, vec!["resend-webhook-secret".to_string()]);
        let got = ids(&m, &format!("RESEND_WEBHOOK_SECRET={svix}"));
        assert_eq!(
            got,
            vec![("resend-webhook-secret".into(), Decision::Name, vec![])]
        );
    }

    #[test]
    fn published_examples_are_recognised_by_digest() {
        let key = ["sk_test_", "Pq7Wn2Zr5Tx8Lm3Vb6Kc9Hd"].concat();
        let mut rules = RuleSet::builtin().unwrap();
        let plain = Matcher::new(rules.clone());
        assert_eq!(plain.scan(key.as_bytes()).hits[0].published, None);
        let digest = crate::finding::hex(&Sha256::digest(key.as_bytes()));
        rules
            .add_published(
                "test.toml",
                &format!(
                    "[[example]]\nsha256 = \"{digest}\"\nsource = \"a made-up documentation key\"\n"
                ),
            )
            .unwrap();
        let m = Matcher::new(rules);
        let hits = m.scan(format!("stripe.api_key = '{key}'").as_bytes()).hits;
        assert_eq!(
            hits[0].published.as_deref(),
            Some("a made-up documentation key")
        );
    }

    #[test]
    fn supabase_checksum_names_the_project() {
        let m = Matcher::new(RuleSet::builtin().unwrap());
        let key = ["sb_secret_", "0owWCLdCobmuMWZPTjRKuo_8UqSLXye"].concat();
        let with_url = format!("url = 'https://mnbvcxzlkjhgfdsapoiu.supabase.co'\nkey = '{key}'\n");
        assert_eq!(
            m.scan(with_url.as_bytes()).hits[0].project.as_deref(),
            Some("mnbvcxzlkjhgfdsapoiu")
        );
        let other = format!("url = 'https://qwertyuiopasdfghjklz.supabase.co'\nkey = '{key}'\n");
        assert_eq!(m.scan(other.as_bytes()).hits[0].project, None);
    }
}
