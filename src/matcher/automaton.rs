//! The prefilter: one Aho-Corasick automaton over every literal the rules name (prefixes and
//! suffixes, keywords, and the base64 forms of secrets' prefixes), searched without regard to
//! ASCII case and reporting overlapping matches, so one pass over the bytes finds every
//! literal of every rule.
//!
//! With hundreds of literals no packed prefilter applies and the automaton is a DFA whose cost
//! is one dependent table load per byte. The search therefore runs several lanes (parts of
//! the text) through the DFA in lock-step, so the processor overlaps their loads, over a
//! transition table of its own ([`Table`]) whose loop keeps every lane in a register.

use super::decode;
use crate::rules::{Anchor, RuleSet};
use crate::vocab::Class;
use aho_corasick::automaton::Automaton as _;
use aho_corasick::automaton::StateID;
use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, Input, MatchKind, dfa::DFA};

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
    search: Search,
    /// Every literal; automaton pattern `i` is literal `i`.
    pub literals: Vec<Literal>,
    /// Length of the longest literal.
    pub max_literal: usize,
}

/// The automaton: a DFA, or NFAs (for small inputs, or where the literals make a DFA too
/// large).
#[derive(Clone, Debug)]
enum Search {
    Dfa(Box<Table>),
    Nfa(Vec<Nfa>),
}

/// An NFA over some of the literals: its pattern `i` is literal `ids[i]`.
#[derive(Clone, Debug)]
struct Nfa {
    ac: AhoCorasick,
    ids: Vec<usize>,
}

impl Nfa {
    /// The literals `ids`, with or without regard to ASCII case (`kind` None: aho-corasick
    /// chooses).
    fn build(
        literals: &[Literal],
        ids: Vec<usize>,
        kind: Option<AhoCorasickKind>,
        fold: bool,
    ) -> Nfa {
        let patterns = ids.iter().map(|&i| literals[i].bytes.as_slice());
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(fold)
            .kind(kind)
            .build(patterns)
            .expect("rule literals always build an automaton");
        Nfa { ac, ids }
    }
}

/// How many lanes run through the DFA together (six kept the most in registers: 1.13 ns a byte
/// against 1.26 for five and 1.30 for seven), and the shortest share worth a lane of its own:
/// a lane stops a few bytes past its share, so even commit messages and a delta's regions are
/// worth splitting (git/git: 64 bytes beat 256 and 24).
const LANES: usize = 6;
const MIN_LANE: usize = 64;

/// How many leading characters of a literal's base64 form must not depend on its neighbours.
const BASE64_STABLE: usize = 4;

impl Automaton {
    /// Collects the literals of every rule (`enabled` says which rules run) and builds the
    /// automaton: a DFA for throughput, or with `small` a contiguous NFA, which builds in a
    /// fraction of the time (a pre-commit hook reads a few kilobytes).
    pub fn new(rules: &RuleSet, enabled: &[bool], small: bool) -> Automaton {
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
                for ctx in [b'=', b'"', b'\'', b' ', b':', b'\n'] {
                    sources.push([&[ctx][..], lit].concat());
                }
            }
            for src in sources {
                for enc in decode::base64_literals(&src, BASE64_STABLE) {
                    add(enc, Role::Base64, &mut literals);
                }
            }
        }
        let dfa = match small {
            true => None,
            false => DFA::builder()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .build(literals.iter().map(|l| l.bytes.as_slice()))
                .ok()
                .and_then(|dfa| Table::new(&dfa, &literals)),
        };
        let search = match dfa {
            Some(dfa) => Search::Dfa(Box::new(dfa)),
            // Two NFAs: exact literals with their case and keywords without, which build in
            // half the time of one NFA that ignores case for all.
            None => {
                let (exact, keywords): (Vec<usize>, Vec<usize>) =
                    (0..literals.len()).partition(|&i| literals[i].roles.iter().all(|r| r.exact()));
                let kind = small.then_some(AhoCorasickKind::ContiguousNFA);
                Search::Nfa(vec![
                    Nfa::build(&literals, exact, kind, false),
                    Nfa::build(&literals, keywords, kind, true),
                ])
            }
        };
        let max_literal = literals.iter().map(|l| l.bytes.len()).max().unwrap_or(0);
        Automaton {
            search,
            literals,
            max_literal,
        }
    }

    /// Every literal occurrence starting in `hay[from..to]`, as (position, literal index,
    /// role), in no particular order. Roles that need exact case are checked here.
    pub fn occurrences(
        &self,
        hay: &[u8],
        from: usize,
        to: usize,
        each: impl FnMut(usize, usize, Role),
    ) {
        self.occurrences_in(hay, &[(from, to)], each);
    }

    /// [`Automaton::occurrences`] in each of `regions` (sorted, disjoint).
    pub fn occurrences_in(
        &self,
        hay: &[u8],
        regions: &[(usize, usize)],
        mut each: impl FnMut(usize, usize, Role),
    ) {
        let mut emit = |start: usize, li: usize| {
            let lit = &self.literals[li];
            let exact = hay[start..].starts_with(&lit.bytes);
            for &role in &lit.roles {
                if exact || !role.exact() {
                    each(start, li, role);
                }
            }
        };
        let spans = regions.iter().filter_map(|&(from, to)| {
            let to = to.min(hay.len());
            (from < to).then(|| Span {
                lo: from,
                own: to,
                hi: hay.len().min(to + self.max_literal.saturating_sub(1)),
            })
        });
        match &self.search {
            Search::Dfa(dfa) => lanes(dfa, hay, split(spans, self.max_literal), &mut emit),
            Search::Nfa(nfas) => {
                for sp in spans {
                    for nfa in nfas {
                        let input = Input::new(hay).span(sp.lo..sp.hi);
                        for m in nfa.ac.find_overlapping_iter(input) {
                            if m.start() < sp.own {
                                emit(m.start(), nfa.ids[m.pattern().as_usize()]);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A part of the text one lane reads: from `lo`, keeping occurrences that start before `own`.
/// It reads on past `own` (at most to `hi`, the longest literal less one byte further) while
/// an occurrence begun before `own` may still be matching, so an occurrence that crosses into
/// the next part is found by the part it starts in ([`Table::tail`]).
#[derive(Clone, Copy, Debug)]
struct Span {
    lo: usize,
    own: usize,
    hi: usize,
}

/// Spans cut so that [`LANES`] lanes get about the same number of bytes: long spans split,
/// short ones dealt out whole, in order.
fn split(spans: impl Iterator<Item = Span>, max_literal: usize) -> [Vec<Span>; LANES] {
    let spans: Vec<Span> = spans.collect();
    let total: usize = spans.iter().map(|s| s.own - s.lo).sum();
    let mut out: [Vec<Span>; LANES] = Default::default();
    if total < LANES * MIN_LANE {
        out[0] = spans;
        return out;
    }
    let share = total.div_ceil(LANES);
    let (mut lane, mut filled) = (0, 0);
    for sp in spans {
        let mut lo = sp.lo;
        while lo < sp.own {
            let take = if lane + 1 == LANES {
                sp.own - lo
            } else {
                (sp.own - lo).min(share - filled)
            };
            let own = lo + take;
            let hi = if own == sp.own {
                sp.hi
            } else {
                (own + max_literal.saturating_sub(1)).min(sp.hi)
            };
            out[lane].push(Span { lo, own, hi });
            lo = own;
            filled += take;
            if filled == share && lane + 1 < LANES {
                lane += 1;
                filled = 0;
            }
        }
    }
    out
}

/// The eight bytes at `at`, first byte lowest (0 past the end, which the callers never reach).
#[inline(always)]
fn word(hay: &[u8], at: usize) -> u64 {
    hay.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// Runs the lanes' spans through the DFA, the lanes in lock-step while all have bytes left.
fn lanes(t: &Table, hay: &[u8], parts: [Vec<Span>; LANES], emit: &mut impl FnMut(usize, usize)) {
    // Each lane: its spans, the one it is in, its position and state.
    let mut next = [0usize; LANES];
    let mut at = [0usize; LANES];
    let mut sid = [t.start; LANES];
    let mut cur: [Option<Span>; LANES] = [None; LANES];
    let mut advance = |j: usize, cur: &mut [Option<Span>; LANES], at: &mut [usize; LANES]| {
        cur[j] = parts[j].get(next[j]).copied();
        next[j] += 1;
        if let Some(sp) = cur[j] {
            at[j] = sp.lo;
        }
    };
    for j in 0..LANES {
        advance(j, &mut cur, &mut at);
    }
    while let Some(spans) = all(&cur) {
        let steps = (0..LANES).map(|j| spans[j].own - at[j]).min().unwrap_or(0);
        // Eight bytes at a time, one word read per lane, and one test per byte for whether
        // any lane is in a matching state.
        for _ in 0..steps / 8 {
            let words: [u64; LANES] = std::array::from_fn(|j| word(hay, at[j]));
            for k in 0..8 {
                for j in 0..LANES {
                    sid[j] = t.step(sid[j], (words[j] >> (8 * k)) as u8);
                }
                if sid.iter().any(|&s| t.is_match(s)) {
                    for j in 0..LANES {
                        t.report(sid[j], at[j] + k, &spans[j], emit);
                    }
                }
            }
            for a in &mut at {
                *a += 8;
            }
        }
        for _ in 0..steps % 8 {
            for j in 0..LANES {
                sid[j] = t.step(sid[j], hay[at[j]]);
                t.report(sid[j], at[j], &spans[j], emit);
                at[j] += 1;
            }
        }
        for j in 0..LANES {
            if at[j] == spans[j].own {
                t.tail(hay, &spans[j], sid[j], emit);
                sid[j] = t.start;
                advance(j, &mut cur, &mut at);
            }
        }
    }
    for j in 0..LANES {
        while let Some(sp) = cur[j] {
            for (a, &b) in hay.iter().enumerate().take(sp.own).skip(at[j]) {
                sid[j] = t.step(sid[j], b);
                t.report(sid[j], a, &sp, emit);
            }
            t.tail(hay, &sp, sid[j], emit);
            sid[j] = t.start;
            advance(j, &mut cur, &mut at);
        }
    }
}

/// The lanes' current spans, if every lane has one.
fn all(cur: &[Option<Span>; LANES]) -> Option<[Span; LANES]> {
    let mut out = [Span {
        lo: 0,
        own: 0,
        hi: 0,
    }; LANES];
    for (o, c) in out.iter_mut().zip(cur) {
        *o = (*c)?;
    }
    Some(out)
}

/// The DFA's transitions, laid out for the search loop: ASCII letters folded and every byte
/// no literal holds merged into one symbol (so a state's row is short), states numbered
/// breadth-first from the start (so the rows the text visits most share cache lines), and
/// matching states first (so one comparison tells whether a state matches).
#[derive(Clone, Debug)]
struct Table {
    /// Each byte's symbol.
    symbol: [u8; 256],
    /// State `s` (a multiple of the stride) on symbol `c` goes to `next[s + c]`.
    next: Vec<u32>,
    /// log2 of the stride (a row's length).
    shift: u32,
    /// States below this match.
    matching: u32,
    /// The unanchored start state.
    start: u32,
    /// Matching state `s` ends literals `patterns[ends[s >> shift]..ends[(s >> shift) + 1]]`.
    ends: Vec<u32>,
    patterns: Vec<u32>,
    /// Each literal's length.
    lens: Vec<u32>,
    /// Each state's depth: how many of the last bytes read its longest literal prefix spans.
    depth: Vec<u32>,
}

impl Table {
    /// Lays out `dfa`, built over `literals` without regard to ASCII case.
    fn new(dfa: &DFA, literals: &[Literal]) -> Option<Table> {
        let start = dfa.start_state(Anchored::No).ok()?;
        // Symbols: one per byte a literal holds (folded), and one for every other byte, which
        // sends every state where the first such byte does.
        let mut used = [false; 256];
        for l in literals {
            for &b in &l.bytes {
                used[b.to_ascii_lowercase() as usize] = true;
            }
        }
        let mut symbol = [0u8; 256];
        let mut reps: Vec<u8> = (0..=255u8)
            .find(|&b| !used[b.to_ascii_lowercase() as usize])
            .into_iter()
            .collect();
        for b in 0..=255u8 {
            if used[b as usize] {
                symbol[b as usize] = u8::try_from(reps.len()).ok()?;
                reps.push(b);
            }
        }
        for b in 0..=255u8 {
            symbol[b as usize] = symbol[b.to_ascii_lowercase() as usize];
        }
        let shift = reps.len().next_power_of_two().trailing_zeros();
        // Every state, breadth-first from the start, and its transitions by breadth-first
        // number. aho-corasick's state ids index its own table, so a vector maps them.
        const NEW: u32 = u32::MAX;
        let mut number_of: Vec<u32> = Vec::new();
        let mut order = vec![start];
        let mut depth = vec![0u32];
        let mut moves: Vec<u32> = Vec::new();
        let mut i = 0;
        while let Some(&s) = order.get(i) {
            for &b in &reps {
                let n = dfa.next_state(Anchored::No, s, b).as_usize();
                if n >= number_of.len() {
                    number_of.resize(n + 1, NEW);
                }
                if number_of[n] == NEW {
                    number_of[n] = u32::try_from(order.len()).ok()?;
                    order.push(StateID::new(n).ok()?);
                    depth.push(depth[i] + 1);
                }
                moves.push(number_of[n]);
            }
            i += 1;
        }
        // Rows: matching states first, each group in breadth-first order. A state's depth is
        // its breadth-first distance from the start: the prefix it stands for is the shortest
        // way to reach it.
        let mut row_of = vec![0u32; order.len()];
        let mut rows: Vec<usize> = Vec::with_capacity(order.len());
        let mut matching = 0;
        for group in [true, false] {
            for (i, &s) in order.iter().enumerate() {
                if dfa.is_match(s) == group {
                    row_of[i] = u32::try_from(rows.len() << shift).ok()?;
                    rows.push(i);
                }
            }
            if group {
                matching = u32::try_from(rows.len() << shift).ok()?;
            }
        }
        let mut next = vec![0u32; rows.len() << shift];
        let mut ends = vec![0u32];
        let mut patterns = Vec::new();
        for (r, &i) in rows.iter().enumerate() {
            let row = &moves[i * reps.len()..(i + 1) * reps.len()];
            for (c, &m) in row.iter().enumerate() {
                next[(r << shift) + c] = row_of[m as usize];
            }
            let s = order[i];
            if dfa.is_match(s) {
                for m in 0..dfa.match_len(s) {
                    patterns.push(dfa.match_pattern(s, m).as_u32());
                }
                ends.push(u32::try_from(patterns.len()).ok()?);
            }
        }
        Some(Table {
            symbol,
            next,
            shift,
            matching,
            start: row_of[0],
            ends,
            patterns,
            lens: literals.iter().map(|l| l.bytes.len() as u32).collect(),
            depth: rows.iter().map(|&i| depth[i]).collect(),
        })
    }

    /// The state after `s` reads `b`.
    #[inline(always)]
    fn step(&self, s: u32, b: u8) -> u32 {
        self.next[(s + u32::from(self.symbol[b as usize])) as usize]
    }

    /// Whether state `s` matches.
    #[inline(always)]
    fn is_match(&self, s: u32) -> bool {
        s < self.matching
    }

    /// Reads on from `sp.own`, in state `s`, while a literal that began before it may still be
    /// matching (up to `sp.hi`): a few bytes in most texts, where reading to `sp.hi` is as long
    /// as the longest literal.
    fn tail(&self, hay: &[u8], sp: &Span, mut s: u32, emit: &mut impl FnMut(usize, usize)) {
        let mut at = sp.own;
        while at < sp.hi && self.depth[(s >> self.shift) as usize] as usize > at - sp.own {
            s = self.step(s, hay[at]);
            self.report(s, at, sp, emit);
            at += 1;
        }
    }

    /// Emits the literals that state `s`, reached by reading `hay[at]`, ends and that start in
    /// `sp`'s own part.
    #[inline(always)]
    fn report(&self, s: u32, at: usize, sp: &Span, emit: &mut impl FnMut(usize, usize)) {
        if self.is_match(s) {
            self.matched(s, at, sp, emit);
        }
    }

    /// [`Table::report`] for a matching state, out of the search loop's way.
    #[cold]
    #[inline(never)]
    fn matched(&self, s: u32, at: usize, sp: &Span, emit: &mut impl FnMut(usize, usize)) {
        let row = (s >> self.shift) as usize;
        let (Some(&a), Some(&b)) = (self.ends.get(row), self.ends.get(row + 1)) else {
            return;
        };
        for &p in self
            .patterns
            .get(a as usize..b as usize)
            .unwrap_or_default()
        {
            let len = self.lens[p as usize] as usize;
            let Some(start) = (at + 1).checked_sub(len) else {
                continue;
            };
            if start >= sp.lo && start < sp.own {
                emit(start, p as usize);
            }
        }
    }
}
