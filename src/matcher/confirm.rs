//! Confirming a candidate: the rule's pattern where its literal was found (or after its
//! keyword, or beside its paired identifier), the key's boundaries, placeholders, the rule's
//! `near` condition and its validator. What survives becomes a [`Hit`].

use super::{Decision, Hit, Matcher, decode, validate};
use crate::rules::{Anchor, Rule};
use crate::vocab::Encoding;
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// How much of a match's surroundings a confirmation may look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Check {
    /// Everything: `near` conditions, escaped keys.
    Full,
    /// Only the match itself and its immediate boundaries: what delta-aware scanning needs,
    /// since its decisions must depend on bytes within a bounded distance. A local check that
    /// fails is a sure miss; one that passes may still fail in full.
    Local,
}

/// The key minus its literal: what placeholder and entropy checks look at.
pub(super) fn body_of<'k>(rule: &Rule, key: &'k [u8]) -> &'k [u8] {
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

/// How far past its literal [`survives`] looks: far enough for any key's distinctive start,
/// short enough to keep delta-aware scanning's neighbourhood small.
pub(super) const SURVIVE_LOOKAHEAD: usize = 48;

/// The checks that reject most candidates before any regex runs, from the bytes just around
/// the candidate (`hay[at - 3..=at + min_len]`): the left boundary; a run of the bytes the
/// pattern can match long enough for its shortest match (or cut by a string escape); and,
/// for keys that start at their literal, no placeholder run or sequence (`xxxxx`, `123456`)
/// in those first bytes, which every key starting here would contain. Delta-aware scanning
/// relies on this depending on nothing else.
pub(super) fn survives(hay: &[u8], at: usize, lit_len: usize, rule: &Rule) -> bool {
    if !left_boundary(hay, at, rule) {
        return false;
    }
    let need = rule.min_len.saturating_sub(lit_len).min(SURVIVE_LOOKAHEAD);
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
    structural || rule.secret_group.is_some() || !validate::is_placeholder_prefix(&body[..need])
}

/// The byte before a key must not continue a word or the key's alphabet (base64 padding,
/// which only ends a value, is no continuation: `KEY=whsec_…`). A letter that ends a string
/// escape (`\n`) or a URL-encoded byte (`%3D`, `%22`, as in access logs and HAR files) does
/// not count.
pub(super) fn left_boundary(hay: &[u8], start: usize, rule: &Rule) -> bool {
    let Some(&prev) = start.checked_sub(1).and_then(|i| hay.get(i)) else {
        return true;
    };
    let continues = prev.is_ascii_alphanumeric()
        || prev == b'_'
        || (prev != b'=' && rule.charset.contains(prev));
    if !continues {
        return true;
    }
    let escape = start >= 2
        && hay[start - 2] == b'\\'
        && matches!(prev, b'n' | b'r' | b't')
        && (start < 3 || hay[start - 3] != b'\\');
    let url_encoded = start >= 3
        && hay[start - 3] == b'%'
        && hay[start - 2].is_ascii_hexdigit()
        && prev.is_ascii_hexdigit();
    escape || url_encoded
}

/// The byte after a key `hay[start..end]` must not continue its alphabet, and the key must
/// not be shown cut off (`sk_live_51Ab…`, `…***`).
pub(super) fn right_boundary(hay: &[u8], start: usize, end: usize, rule: &Rule) -> bool {
    match hay.get(end) {
        Some(&c) if rule.charset.contains(c) => false,
        _ => !truncated(hay, end, end - start, rule),
    }
}

/// Keys this long are whole even with `...` after them (`retrying with sk_live_<99>...`):
/// what documentation cuts off is a short start.
const WHOLE: usize = 40;

/// Whether a key of `len` bytes ending at `end` is shown cut off: followed by `...`, `…` or
/// `***`, from a rule whose keys vary in length, and short.
fn truncated(hay: &[u8], end: usize, len: usize, rule: &Rule) -> bool {
    let rest = &hay[end..];
    let marked = rest.starts_with(b"...")
        || rest.starts_with("\u{2026}".as_bytes())
        || rest.starts_with(b"***");
    marked && rule.min_len < rule.max_len && len < WHOLE
}

/// Whether one of the rule's `near` literals appears within its distance of `hay[s..e]`.
fn near_holds(hay: &[u8], s: usize, e: usize, rule: &Rule) -> bool {
    let Some(near) = &rule.near else {
        return true;
    };
    let lo = s.saturating_sub(near.within);
    let hi = hay.len().min(e.saturating_add(near.within));
    let region = &hay[lo..hi];
    near.any
        .iter()
        .any(|lit| memchr::memmem::find(region, lit.as_bytes()).is_some())
}

/// The span of the secret in a match: its `secret` group, or the whole match.
fn secret_span(rule: &Rule, caps: &regex::bytes::Captures<'_>) -> Option<(usize, usize)> {
    let m = match rule.secret_group {
        Some(g) => caps.get(g)?,
        None => caps.get(0)?,
    };
    Some((m.start(), m.end()))
}

/// The end of the run of the rule's bytes that follows literal `hay[at..at + lit_len]`, and
/// whether an escape that could stand for one more of them ends it (the key may go on in an
/// escaped form; `\n` after a word in a C string does not).
pub(super) fn escaped_run(hay: &[u8], at: usize, lit_len: usize, rule: &Rule) -> (usize, bool) {
    let cap = hay.len().min(at + rule.max_len);
    let from = (at + lit_len).min(cap);
    let run_end = from
        + hay[from..cap]
            .iter()
            .take_while(|&&b| rule.pattern_bytes.contains(b))
            .count();
    let escaped = hay.get(run_end) == Some(&b'\\')
        && match hay.get(run_end + 1) {
            Some(b'u' | b'x') => true,
            Some(b'n') => rule.pattern_bytes.contains(b'\n'),
            Some(b'r') => rule.pattern_bytes.contains(b'\r'),
            Some(b't') => rule.pattern_bytes.contains(b'\t'),
            Some(b'b' | b'f' | b'v' | b'0') => rule.pattern_bytes.contains(b' '),
            Some(&c) => rule.pattern_bytes.contains(c),
            None => false,
        };
    (run_end, escaped)
}

impl Matcher {
    /// A key starting at literal `hay[at..at + lit_len]` of rule `ri`.
    pub(super) fn confirm_prefix(
        &self,
        hay: &[u8],
        at: usize,
        lit_len: usize,
        ri: usize,
        check: Check,
    ) -> Option<Hit> {
        let rule = &self.rules.rules[ri];
        if !survives(hay, at, lit_len, rule) {
            return None;
        }
        let cap = hay.len().min(at + rule.max_len);
        if rule.secret_group.is_some() {
            let caps = rule.pattern.get().captures(&hay[at..cap])?;
            let end = at + caps.get(0)?.end();
            let (s, e) = secret_span(rule, &caps)?;
            if !right_boundary(hay, at, end, rule) {
                return None;
            }
            let secret = &hay[at + s..at + e];
            return self.finish(
                hay,
                (at, end),
                (at + s, at + e),
                Cow::Borrowed(secret),
                Encoding::Plain,
                ri,
                check,
            );
        }
        let (run_end, escaped) = escaped_run(hay, at, lit_len, rule);
        let plain = rule.pattern.get().find(&hay[at..cap]).map(|m| at + m.end());
        let (end, secret, encoding) = match plain {
            Some(end) if !(escaped && end == run_end) => {
                if !right_boundary(hay, at, end, rule) {
                    return None;
                }
                (end, Cow::Borrowed(&hay[at..end]), Encoding::Plain)
            }
            _ if escaped => {
                if check == Check::Local {
                    return None;
                }
                let (end, key) = self.confirm_escaped(hay, at, rule)?;
                let encoding = if key == hay[at..end] {
                    Encoding::Plain
                } else {
                    Encoding::Escaped
                };
                (end, Cow::Owned(key), encoding)
            }
            _ => return None,
        };
        self.finish(hay, (at, end), (at, end), secret, encoding, ri, check)
    }

    /// A key ending with literal `hay[at..at + lit_len]` of rule `ri`.
    pub(super) fn confirm_suffix(
        &self,
        hay: &[u8],
        at: usize,
        lit_len: usize,
        ri: usize,
    ) -> Option<Hit> {
        let rule = &self.rules.rules[ri];
        let lit_end = at + lit_len;
        let floor = lit_end.saturating_sub(rule.max_len);
        let m = rule.pattern.get().find(&hay[floor..lit_end])?;
        let start = floor + m.start();
        if !left_boundary(hay, start, rule) || !right_boundary(hay, start, lit_end, rule) {
            return None;
        }
        self.finish(
            hay,
            (start, lit_end),
            (start, lit_end),
            Cow::Borrowed(&hay[start..lit_end]),
            Encoding::Plain,
            ri,
            Check::Full,
        )
    }

    /// The first key of rule `ri` that starts within its window after keyword
    /// `hay[at..at + kw_len]`, on the keyword's line.
    pub(super) fn confirm_keyword(
        &self,
        hay: &[u8],
        at: usize,
        kw_len: usize,
        ri: usize,
        check: Check,
    ) -> Option<Hit> {
        let rule = &self.rules.rules[ri];
        let from = at + kw_len;
        let line_end = memchr::memchr(b'\n', &hay[from..hay.len().min(from + rule.window)])
            .map_or(hay.len(), |i| from + i);
        self.search(
            hay,
            from,
            line_end.min(from + rule.window),
            rule.max_len,
            ri,
            check,
        )
    }

    /// The key of rule `ri` closest to identifier `id` (a span), within the rule's pair
    /// distance, not overlapping it.
    pub(super) fn confirm_pair(&self, hay: &[u8], id: (usize, usize), ri: usize) -> Option<Hit> {
        let rule = &self.rules.rules[ri];
        let within = rule.pair.as_ref()?.within;
        let lo = id.0.saturating_sub(within);
        let hi = hay.len().min(id.1.saturating_add(within));
        let mut best: Option<Hit> = None;
        let dist = |h: &Hit| {
            if h.start >= id.1 {
                h.start - id.1
            } else {
                id.0.saturating_sub(h.end)
            }
        };
        let mut from = lo;
        while from < hi {
            let Some(h) = self.search(hay, from, hi, 0, ri, Check::Full) else {
                break;
            };
            from = h.end.max(from + 1);
            if (h.end <= id.0 || h.start >= id.1)
                && best.as_ref().is_none_or(|b| dist(&h) < dist(b))
            {
                best = Some(h);
            }
        }
        best
    }

    /// The first key of rule `ri` whose match starts in `hay[from..until]` and ends within
    /// `extra` bytes after `until`, found with the rule's unanchored pattern.
    fn search(
        &self,
        hay: &[u8],
        from: usize,
        until: usize,
        extra: usize,
        ri: usize,
        check: Check,
    ) -> Option<Hit> {
        let rule = &self.rules.rules[ri];
        let to = hay.len().min(until.saturating_add(extra));
        if from >= to {
            return None;
        }
        let window = &hay[from..to];
        for caps in rule.search.get().captures_iter(window) {
            let m = caps.get(0)?;
            if from + m.start() >= until {
                break;
            }
            let (ms, me) = (from + m.start(), from + m.end());
            let Some((s, e)) = secret_span(rule, &caps) else {
                continue;
            };
            let (s, e) = (from + s, from + e);
            // No literal starts these matches: the key itself must not continue a word.
            if !left_boundary(hay, s, rule) || !right_boundary(hay, ms, me, rule) {
                continue;
            }
            if let Some(h) = self.finish(
                hay,
                (ms, me),
                (s, e),
                Cow::Borrowed(&hay[s..e]),
                Encoding::Plain,
                ri,
                check,
            ) {
                return Some(h);
            }
        }
        None
    }

    /// The last checks on a match `whole` whose key is `secret` at `span`: placeholders, the
    /// rule's `near` condition, its validator; then the hit, with its published-example
    /// source.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        hay: &[u8],
        whole: (usize, usize),
        span: (usize, usize),
        secret: Cow<'_, [u8]>,
        encoding: Encoding,
        ri: usize,
        check: Check,
    ) -> Option<Hit> {
        let rule = &self.rules.rules[ri];
        let body = body_of(rule, &secret);
        let structural = rule.validator.as_ref().is_some_and(|v| v.is_structural());
        if !structural && validate::is_placeholder(body, rule.min_entropy) {
            return None;
        }
        if check == Check::Full && !near_holds(hay, whole.0, whole.1, rule) {
            return None;
        }
        let validated = match &rule.validator {
            Some(v) => validate::validate(v, &secret, body, &hay[whole.0..whole.1], hay)?,
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
            start: span.0,
            end: span.1,
            secret: secret.into_owned(),
            encoding,
            published,
            validated,
            paired: None,
            decision: Decision::Only,
            alternatives: Vec::new(),
        })
    }

    /// The key at `at` with JSON/JavaScript escapes undone: its encoded end and decoded text.
    fn confirm_escaped(&self, hay: &[u8], at: usize, rule: &Rule) -> Option<(usize, Vec<u8>)> {
        let cap = hay.len().min(at + rule.max_len.saturating_mul(6));
        let u = decode::unescape(&hay[at..cap])?;
        let m = rule.pattern.get().find(&u.text)?;
        if u.text
            .get(m.end())
            .is_some_and(|&c| rule.charset.contains(c))
        {
            return None;
        }
        let end = at + u.map[m.end()];
        if truncated(hay, end, m.end(), rule) {
            return None;
        }
        Some((end, u.text[..m.end()].to_vec()))
    }
}
