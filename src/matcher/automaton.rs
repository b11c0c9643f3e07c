//! The prefilter: one Aho-Corasick automaton over every literal the rules name (prefixes and
//! suffixes, keywords, and the base64 forms of secrets' prefixes), searched without regard to
//! ASCII case and reporting overlapping matches, so one pass over the bytes finds every
//! literal of every rule. Literals shorter than four bytes are found apart with `memmem`:
//! one short pattern among hundreds would force the automaton's prefilter onto short
//! fingerprints.

use super::decode;
use crate::rules::{Anchor, RuleSet};
use crate::vocab::Class;
use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};

/// What finding a literal at some position means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// Rule `.0`'s match starts here (the literal must match exactly, case included).
    Prefix(usize),
    /// Rule `.0`'s key ends with this literal (exactly).
    Suffix(usize),
    /// Rule `.0`'s key follows this keyword (any case).
    Keyword(usize),
    /// The base64 form of a secret's literal (exactly): the base64 run around it is decoded.
    Base64,
}

impl Role {
    /// Whether the literal must match with its case.
    fn exact(self) -> bool {
        !matches!(self, Role::Keyword(_))
    }
}

/// One literal and what it means.
#[derive(Clone, Debug)]
pub(super) struct Literal {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its meanings.
    pub roles: Vec<Role>,
}

/// The literals of a rule set and the automaton that finds them.
#[derive(Clone, Debug)]
pub(super) struct Automaton {
    ac: AhoCorasick,
    /// For each automaton pattern, its index in `literals`.
    ac_literal: Vec<usize>,
    /// Literals shorter than four bytes, found with `memmem` (exact case).
    short: Vec<(memchr::memmem::Finder<'static>, usize)>,
    /// Every literal.
    pub literals: Vec<Literal>,
    /// Length of the longest literal.
    pub max_literal: usize,
}

/// How many leading characters of a literal's base64 form must not depend on its neighbours.
const BASE64_STABLE: usize = 4;

impl Automaton {
    /// Collects the literals of every rule (`enabled` says which rules run) and builds the
    /// automaton.
    pub fn new(rules: &RuleSet, enabled: &[bool]) -> Automaton {
        let mut literals: Vec<Literal> = Vec::new();
        let mut index: std::collections::HashMap<(Vec<u8>, bool), usize> = Default::default();
        let mut add = |bytes: Vec<u8>, role: Role, literals: &mut Vec<Literal>| {
            // Keywords are matched without case, so they are folded; exact literals are not.
            let key = if role.exact() {
                (bytes.clone(), true)
            } else {
                (bytes.to_ascii_lowercase(), false)
            };
            let i = *index.entry(key).or_insert_with(|| {
                literals.push(Literal {
                    bytes: bytes.clone(),
                    roles: Vec::new(),
                });
                literals.len() - 1
            });
            if !literals[i].roles.contains(&role) {
                literals[i].roles.push(role);
            }
            i
        };
        let mut secret_prefixes: Vec<Vec<u8>> = Vec::new();
        for (ri, rule) in rules.rules.iter().enumerate() {
            if !enabled[ri] {
                continue;
            }
            for p in &rule.prefixes {
                let role = match rule.anchor {
                    Anchor::Prefix => Role::Prefix(ri),
                    Anchor::Suffix => Role::Suffix(ri),
                };
                add(p.as_bytes().to_vec(), role, &mut literals);
                let encodable = rule.class == Class::Secret
                    && rule.anchor == Anchor::Prefix
                    && rule.secret_group.is_none();
                if encodable && !secret_prefixes.contains(&p.as_bytes().to_vec()) {
                    secret_prefixes.push(p.as_bytes().to_vec());
                }
            }
            for k in &rule.keywords {
                add(k.as_bytes().to_vec(), Role::Keyword(ri), &mut literals);
            }
        }
        // Base64 forms in all three alignments, where at least four characters do not depend
        // on the neighbours. A literal too short for that (`re_`) also gets the forms of its
        // usual left contexts (`KEY=re_…`, `"re_…`).
        for lit in &secret_prefixes {
            let mut sources = vec![lit.clone()];
            if lit.len() < 4 {
                for ctx in [b'=', b'"'] {
                    sources.push([&[ctx][..], lit].concat());
                }
            }
            for src in sources {
                for enc in decode::base64_literals(&src, BASE64_STABLE) {
                    add(enc, Role::Base64, &mut literals);
                }
            }
        }
        let mut ac_patterns: Vec<&[u8]> = Vec::new();
        let mut ac_literal = Vec::new();
        let mut short = Vec::new();
        for (i, l) in literals.iter().enumerate() {
            // Short literals are exact: short keywords hold no letter, so case cannot matter.
            if l.bytes.len() < 4 {
                short.push((memchr::memmem::Finder::new(&l.bytes).into_owned(), i));
            } else {
                ac_patterns.push(&l.bytes);
                ac_literal.push(i);
            }
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&ac_patterns)
            .or_else(|_| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .ascii_case_insensitive(true)
                    .build(&ac_patterns)
            })
            .expect("rule literals always build an automaton");
        let max_literal = literals.iter().map(|l| l.bytes.len()).max().unwrap_or(0);
        Automaton {
            ac,
            ac_literal,
            short,
            literals,
            max_literal,
        }
    }

    /// Every literal occurrence starting in `hay[from..to]`, as (position, literal index, role),
    /// in no particular order. Roles that need exact case are checked here.
    pub fn occurrences(
        &self,
        hay: &[u8],
        from: usize,
        to: usize,
        mut each: impl FnMut(usize, usize, Role),
    ) {
        let to = to.min(hay.len());
        if from >= to {
            return;
        }
        let end = hay.len().min(to + self.max_literal);
        let mut emit = |start: usize, li: usize| {
            let lit = &self.literals[li];
            let exact = hay[start..].starts_with(&lit.bytes);
            for &role in &lit.roles {
                if exact || !role.exact() {
                    each(start, li, role);
                }
            }
        };
        for m in self
            .ac
            .find_overlapping_iter(Input::new(hay).span(from..end))
        {
            if m.start() < to {
                emit(m.start(), self.ac_literal[m.pattern().as_usize()]);
            }
        }
        for (finder, li) in &self.short {
            let n = finder.needle().len();
            let window = &hay[from..(to + n - 1).min(hay.len())];
            for at in finder.find_iter(window) {
                emit(from + at, *li);
            }
        }
    }
}
