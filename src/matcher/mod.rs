//! The matcher: bytes in, [`Hit`]s out.
//!
//! One automaton finds every literal of every rule ([`automaton`]): the prefixes keys start
//! with, the keywords keys follow, and the base64 forms of secrets' prefixes. A rule's
//! pattern runs only where one of its literals was found, in a window as long as the longest
//! key it can match ([`confirm`]); identifiers found that way anchor a search for the secrets
//! paired with them. Then the key's neighbours, placeholders and the rule's validator are
//! checked. Where several rules match one key (`sk_live_` is Stripe's and Clerk's; a generic
//! rule and a provider's), [`resolve`] picks one. Encodings are undone first ([`decode`]):
//! UTF-16 text is decoded as a whole, base64 runs around a base64 literal are decoded and
//! matched, and JSON/JavaScript escapes inside a key are undone.

mod automaton;
mod confirm;
pub mod decode;
mod examples;
mod resolve;
#[cfg(test)]
mod tests;
pub mod validate;

use crate::rules::{Anchor, RuleSet};
use crate::vocab::Encoding;
use automaton::{Automaton, Role};
use confirm::{Check, SURVIVE_LOOKAHEAD};
use std::borrow::Cow;

pub use examples::check_examples;
pub use resolve::Decision;
pub use validate::{TokenFacts, Validated};

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
    /// What the rule's validator learned (project, encryption, token claims).
    pub validated: Validated,
    /// The identifier found beside the key and folded into it: (its rule, its text).
    pub paired: Option<(usize, Vec<u8>)>,
    /// How the rule was chosen among rules matching the same key.
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

/// Finds keys in bytes. Cheap to share between threads.
#[derive(Clone, Debug)]
pub struct Matcher {
    rules: RuleSet,
    automaton: Automaton,
    /// For each rule, the rules whose secrets pair with its identifiers.
    paired_by: Vec<Vec<usize>>,
    /// See [`Matcher::neighbourhood`].
    neighbourhood: (usize, usize),
}

impl Matcher {
    /// Builds the automaton over every enabled rule's literals: the rules of opt-in groups
    /// run only when their group is in `opt_in` (`generic`).
    pub fn with_opt_in(rules: RuleSet, opt_in: &[&str]) -> Matcher {
        Matcher::build(rules, opt_in, false)
    }

    /// [`Matcher::with_opt_in`] for jobs that read little (a pre-commit hook, stdin, listing
    /// rules): an automaton that builds in a third of the time and matches more slowly.
    /// Findings are the same.
    pub fn for_small_inputs(rules: RuleSet, opt_in: &[&str]) -> Matcher {
        Matcher::build(rules, opt_in, true)
    }

    fn build(mut rules: RuleSet, opt_in: &[&str], small: bool) -> Matcher {
        rules.retain(|r| r.opt_in.as_deref().is_none_or(|g| opt_in.contains(&g)));
        let enabled = vec![true; rules.rules.len()];
        let automaton = Automaton::new(&rules, &enabled, small);
        let mut paired_by = vec![Vec::new(); rules.rules.len()];
        for (ri, r) in rules.rules.iter().enumerate() {
            if let Some(p) = &r.pair
                && let Some(id) = rules.rules.iter().position(|x| x.id == p.rule)
            {
                paired_by[id].push(ri);
            }
        }
        let mut m = Matcher {
            rules,
            automaton,
            paired_by,
            neighbourhood: (0, 0),
        };
        m.neighbourhood = m.measure_neighbourhood();
        m
    }

    /// [`Matcher::with_opt_in`] with no opt-in group.
    pub fn new(rules: RuleSet) -> Matcher {
        Matcher::with_opt_in(rules, &[])
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
                if h.encoding == Encoding::Plain {
                    h.encoding = Encoding::Utf16;
                }
            }
        }
        Scanned { text, utf16, hits }
    }

    /// How far past a literal's start a candidate decision may look: a rule whose matches
    /// reach further is decided conservatively (any surviving occurrence counts).
    const REACH: usize = 256;

    /// How far past its literal's start a rule's local confirmation reads, if it is within
    /// [`Matcher::REACH`].
    fn reach(&self, ri: usize, lit_len: usize, role: Role) -> Option<usize> {
        let r = &self.rules.rules[ri];
        // A key's last byte, the byte after it, and a truncation mark (`...`) after that.
        let tail = 5;
        let reach = match role {
            Role::Prefix(_) => r.max_len + tail,
            Role::Keyword(_) => lit_len + r.window + r.max_len + tail,
            Role::Suffix(_) | Role::Base64 => return None,
        };
        (reach <= Self::REACH).then_some(reach)
    }

    /// How many bytes before and after a literal's start decide whether it is a candidate: a
    /// literal whose neighbourhood is copied intact (by a git delta) keeps its decision.
    pub fn neighbourhood(&self) -> (usize, usize) {
        self.neighbourhood
    }

    fn measure_neighbourhood(&self) -> (usize, usize) {
        let mut after = self.automaton.max_literal;
        for l in &self.automaton.literals {
            for &role in &l.roles {
                let need = match role {
                    Role::Prefix(ri) | Role::Keyword(ri) => {
                        match self.reach(ri, l.bytes.len(), role) {
                            Some(r) => r,
                            None => {
                                let r = &self.rules.rules[ri];
                                l.bytes.len()
                                    + r.min_len
                                        .saturating_sub(l.bytes.len())
                                        .min(SURVIVE_LOOKAHEAD)
                                    + 2
                            }
                        }
                    }
                    Role::Suffix(_) | Role::Base64 => l.bytes.len(),
                };
                after = after.max(need);
            }
        }
        (4, after + 2)
    }

    /// The starts of literals in `regions` of `hay` (sorted, disjoint) that could start a key:
    /// the key confirmed locally where its rule reaches no further than [`Matcher::REACH`],
    /// else the cheap checks passed; suffix and base64 literals always count. A text with none
    /// has no hits; the converse does not hold. Sorted, without repeats.
    pub fn candidates(&self, hay: &[u8], regions: &[(usize, usize)], out: &mut Vec<u32>) {
        self.automaton
            .occurrences_in(hay, regions, |start, li, role| {
                if out.last() != Some(&(start as u32)) && self.is_candidate(hay, start, li, role) {
                    out.push(start as u32);
                }
            });
        out.sort_unstable();
        out.dedup();
    }

    /// Whether literal `li`, found at `start` in its role, could start a key.
    fn is_candidate(&self, hay: &[u8], start: usize, li: usize, role: Role) -> bool {
        let len = self.automaton.literals[li].bytes.len();
        match role {
            Role::Prefix(ri) => {
                let r = &self.rules.rules[ri];
                confirm::survives(hay, start, len, r)
                    && (self.reach(ri, len, role).is_none()
                        || self
                            .confirm_prefix(hay, start, len, ri, Check::Local)
                            .is_some()
                        || confirm::escaped_run(hay, start, len, r).1)
            }
            Role::Keyword(ri) => {
                self.reach(ri, len, role).is_none()
                    || self
                        .confirm_keyword(hay, start, len, ri, Check::Local)
                        .is_some()
            }
            Role::Suffix(_) | Role::Base64 => true,
        }
    }

    fn find(&self, hay: &[u8], depth: u8) -> Vec<Hit> {
        let mut raw = Vec::new();
        let mut base64_at: Vec<usize> = Vec::new();
        self.automaton
            .occurrences(hay, 0, hay.len(), |start, li, role| {
                let len = self.automaton.literals[li].bytes.len();
                let hit = match role {
                    Role::Prefix(ri) => self.confirm_prefix(hay, start, len, ri, Check::Full),
                    Role::Suffix(ri) => self.confirm_suffix(hay, start, len, ri),
                    Role::Keyword(ri) => self.confirm_keyword(hay, start, len, ri, Check::Full),
                    Role::Base64 => {
                        if depth == 0 {
                            base64_at.push(start);
                        }
                        None
                    }
                };
                raw.extend(hit);
            });
        // Secrets located beside the identifiers just found.
        let mut paired = Vec::new();
        for h in &raw {
            for &ri in &self.paired_by[h.rule] {
                paired.extend(self.confirm_pair(hay, (h.start, h.end), ri));
            }
        }
        raw.extend(paired);
        base64_at.sort_unstable();
        let mut decoded_until = 0;
        for start in base64_at {
            if start < decoded_until {
                continue;
            }
            let (s, e) = decode::base64_run(hay, start, BASE64_RUN_LIMIT);
            let (s, e) = decode::wrapped_run(hay, s, e, BASE64_RUN_LIMIT);
            decoded_until = e;
            if e - s >= BASE64_RUN_MIN {
                raw.extend(self.find_base64(hay, s, e, depth));
            }
        }
        resolve::resolve(raw, hay, &self.rules)
    }

    /// Decodes the base64 run `hay[s..e]` (line breaks of wrapped base64 left out; trying each
    /// start alignment, since the run may be glued to other base64-alphabet text) and gives
    /// each key inside the span of the base64 characters that encode it.
    fn find_base64(&self, hay: &[u8], s: usize, e: usize, depth: u8) -> Vec<Hit> {
        let (text, map) = decode::strip_breaks(hay, s, e);
        for skip in 0..4 {
            if text.len() < skip + BASE64_RUN_MIN {
                break;
            }
            let Some(decoded) = decode::decode_base64_text(&text[skip..]) else {
                continue;
            };
            let inner = self.find(&decoded, depth + 1);
            if inner.is_empty() {
                continue;
            }
            // Decoded byte b comes from characters 4b/3 (rounded down) to 4(b+1)/3 (up).
            let last = text.len();
            return inner
                .into_iter()
                .map(|mut h| {
                    let first = (skip + h.start * 4 / 3).min(last);
                    let end = (skip + (h.end * 4).div_ceil(3)).min(last).max(first);
                    h.start = map[first];
                    h.end = if end > first {
                        map[end - 1] + 1
                    } else {
                        map[first]
                    };
                    h.encoding = Encoding::Base64;
                    h
                })
                .collect();
        }
        Vec::new()
    }
}

/// Whether a rule's literal anchors the start of its keys (for redaction and bodies).
pub fn literal_anchored(rules: &RuleSet, rule: usize) -> bool {
    let r = &rules.rules[rule];
    r.has_literal() && r.anchor == Anchor::Prefix && r.secret_group.is_none()
}
