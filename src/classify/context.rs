//! What a text says about each of its hits, wherever the text sits: line and columns, the line
//! as a snippet, the variable the key is assigned to, an inline allow comment, whether the text
//! is a minified bundle. Computed once per content (a git blob may sit at many paths) in time
//! linear in the text and the number of hits.

use crate::finding::{Location, Secret, Snippet};
use crate::matcher::Hit;
use crate::rules::{Anchor, RuleSet};

/// Variable prefixes that frameworks inline into client bundles.
pub const PUBLIC_PREFIXES: &[&str] = &[
    "NEXT_PUBLIC_",
    "VITE_",
    "EXPO_PUBLIC_",
    "REACT_APP_",
    "PUBLIC_",
    "NUXT_PUBLIC_",
    "GATSBY_",
];

/// Path fragments of built client bundles.
const BUNDLE_DIRS: &[&str] = &[
    ".next/static/",
    "dist/assets/",
    "build/static/",
    "out/_next/",
];

/// A `.js` file with a line longer than this is a minified bundle.
const BUNDLE_LINE: usize = 5000;

/// Longest line kept in a snippet, in characters either side of the key.
const SNIPPET_SIDE: usize = 80;

/// How far back from a key its variable name is looked for.
const VARIABLE_LOOKBACK: usize = 256;

/// The marker of an inline allow comment.
pub const ALLOW_MARKER: &str = "leakscope:allow";

/// The facts of every hit of one text.
#[derive(Clone, Debug)]
pub struct TextFacts {
    /// Some line is longer than a hand-written one (a minified bundle, if the path is `.js`).
    pub minified: bool,
    /// Per hit, in the hits' order.
    pub hits: Vec<HitFacts>,
}

/// Where a hit is and what surrounds it.
#[derive(Clone, Debug)]
pub struct HitFacts {
    /// Line and columns.
    pub location: Location,
    /// The line, for text content.
    pub snippet: Option<Snippet>,
    /// The browser-exposed variable the key is assigned to (`NEXT_PUBLIC_…`), if any.
    pub public_variable: Option<String>,
    /// What follows `leakscope:allow` on the key's line, if the line has it.
    pub allow: Option<String>,
}

/// Unicode code points in UTF-8 text (each invalid byte counts as one).
pub fn code_points(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// A cursor that only moves forward through a text, keeping line, column and the current
/// line's bounds, so locating sorted offsets costs one pass.
struct Cursor<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
    column: usize,
    line_end: Option<usize>,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a [u8]) -> Self {
        Cursor {
            text,
            pos: 0,
            line: 1,
            line_start: 0,
            column: 1,
            line_end: None,
        }
    }

    /// Moves to `to` (not before the current position) and returns (line, column).
    fn advance(&mut self, to: usize) -> (usize, usize) {
        let to = to.min(self.text.len()).max(self.pos);
        let span = &self.text[self.pos..to];
        crate::work::add(&crate::work::LINE_BYTES, span.len());
        match memchr::memrchr(b'\n', span) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', span).count();
                self.line_start = self.pos + last + 1;
                self.column = 1 + code_points(&self.text[self.line_start..to]);
                self.line_end = None;
            }
            None => self.column += code_points(span),
        }
        self.pos = to;
        (self.line, self.column)
    }

    /// The current line's byte range, without its line ending.
    fn line_bounds(&mut self) -> (usize, usize) {
        let end = *self.line_end.get_or_insert_with(|| {
            let end = memchr::memchr(b'\n', &self.text[self.pos..])
                .map_or(self.text.len(), |i| self.pos + i);
            crate::work::add(&crate::work::LINE_BYTES, end - self.pos);
            end
        });
        let end = if end > self.line_start && self.text[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        (self.line_start, end)
    }
}

/// The literal a hit's key starts (or ends) with, for redaction.
pub fn literal_of<'r>(rules: &'r RuleSet, hit: &Hit) -> &'r str {
    let rule = &rules.rules[hit.rule];
    rule.prefixes
        .iter()
        .find(|p| match rule.anchor {
            Anchor::Prefix => hit.secret.starts_with(p.as_bytes()),
            Anchor::Suffix => hit.secret.ends_with(p.as_bytes()),
        })
        .map_or("", |p| p.as_str())
}

/// The redacted preview of a hit's key.
pub fn redacted(rules: &RuleSet, hit: &Hit) -> String {
    let rule = &rules.rules[hit.rule];
    Secret::new(&hit.secret).redacted(literal_of(rules, hit), rule.anchor == Anchor::Suffix)
}

/// Computes the facts of every hit of `text` (hits ordered by start). `binary` content gets
/// no snippets and no inline allows.
pub fn text_facts(rules: &RuleSet, text: &[u8], hits: &[Hit], binary: bool) -> TextFacts {
    let n = hits.len();
    let mut starts: Vec<(usize, usize, usize)> = Vec::with_capacity(n); // (line, column, …)
    let mut bounds: Vec<(usize, usize)> = Vec::with_capacity(n);
    let mut cursor = Cursor::new(text);
    let mut allows: Vec<Option<String>> = Vec::with_capacity(n);
    let mut allow_line: Option<(usize, Option<String>)> = None;
    for h in hits {
        let (line, column) = cursor.advance(h.start);
        starts.push((line, column, 0));
        let b = cursor.line_bounds();
        bounds.push(b);
        let allow = if binary {
            None
        } else {
            match &allow_line {
                Some((ls, a)) if *ls == b.0 => a.clone(),
                _ => {
                    let a = inline_allow(&text[b.0..b.1]);
                    allow_line = Some((b.0, a.clone()));
                    a
                }
            }
        };
        allows.push(allow);
    }
    // Ends are not sorted when hits overlap: locate them in a pass of their own.
    let mut by_end: Vec<usize> = (0..n).collect();
    by_end.sort_by_key(|&i| hits[i].end);
    let mut ends = vec![(0, 0); n];
    let mut cursor = Cursor::new(text);
    for i in by_end {
        ends[i] = cursor.advance(hits[i].end);
    }
    let longest = hits.iter().map(|h| h.end - h.start).max().unwrap_or(0);
    let facts = hits
        .iter()
        .enumerate()
        .map(|(i, hit)| HitFacts {
            location: Location {
                line: starts[i].0,
                column: starts[i].1,
                end_line: ends[i].0,
                end_column: ends[i].1,
            },
            snippet: (!binary).then(|| snippet(rules, text, bounds[i], i, hits, longest)),
            public_variable: public_variable(text, hit.start),
            allow: allows[i].take(),
        })
        .collect();
    TextFacts {
        minified: text
            .split(|&b| b == b'\n')
            .any(|line| line.len() > BUNDLE_LINE),
        hits: facts,
    }
}

/// What follows the allow marker on `line`, trimmed of comment closers.
fn inline_allow(line: &[u8]) -> Option<String> {
    let pos = memchr::memmem::find(line, ALLOW_MARKER.as_bytes())?;
    let tail = String::from_utf8_lossy(&line[pos + ALLOW_MARKER.len()..]).into_owned();
    let tail = tail
        .trim()
        .trim_end_matches("*/")
        .trim_end_matches("-->")
        .trim();
    Some(tail.trim_start_matches(':').trim().to_string())
}

/// The line around hit `i`, with every key on it redacted (and raw). `(ls, le)` are the
/// line's bounds.
fn snippet(
    rules: &RuleSet,
    text: &[u8],
    (ls, le): (usize, usize),
    i: usize,
    hits: &[Hit],
    longest: usize,
) -> Snippet {
    let hit = &hits[i];
    // Cut long lines to a window around the key, on character boundaries.
    let from = floor_char(text, hit.start.saturating_sub(SNIPPET_SIDE * 4).max(ls));
    let to = ceil_char(
        text,
        (hit.end + SNIPPET_SIDE * 4).min(le).max(hit.end.min(le)),
    );
    let from = trim_chars_before(text, from, hit.start, SNIPPET_SIDE);
    let to = trim_chars_after(text, hit.end.min(to), to, SNIPPET_SIDE);
    let mut redacted_line = String::new();
    let mut raw = String::new();
    if from > ls {
        redacted_line.push('\u{2026}');
        raw.push('\u{2026}');
    }
    let mut pos = from;
    // Hits are sorted by start: those in the window start at most a key's length before it.
    let first = hits.partition_point(|h| h.start + longest <= from);
    for h in hits[first..].iter().take_while(|h| h.start < to) {
        if h.end <= from || h.end <= pos {
            continue;
        }
        let s = h.start.max(pos);
        let piece = String::from_utf8_lossy(&text[pos..s]);
        redacted_line.push_str(&piece);
        raw.push_str(&piece);
        redacted_line.push_str(&redacted(rules, h));
        raw.push_str(&String::from_utf8_lossy(&text[s..h.end.min(to)]));
        pos = h.end.min(to).max(pos);
    }
    let piece = String::from_utf8_lossy(&text[pos..to]);
    redacted_line.push_str(&piece);
    raw.push_str(&piece);
    if to < le {
        redacted_line.push('\u{2026}');
        raw.push('\u{2026}');
    }
    Snippet {
        redacted: redacted_line,
        raw,
    }
}

fn floor_char(text: &[u8], mut i: usize) -> usize {
    while i > 0 && i < text.len() && (text[i] as i8) < -0x40 {
        i -= 1;
    }
    i
}

fn ceil_char(text: &[u8], mut i: usize) -> usize {
    while i < text.len() && (text[i] as i8) < -0x40 {
        i += 1;
    }
    i
}

/// Moves `from` forward so that at most `n` characters remain before `until`.
fn trim_chars_before(text: &[u8], from: usize, until: usize, n: usize) -> usize {
    let mut count = 0;
    let mut i = until;
    while i > from {
        i -= 1;
        if (text[i] as i8) >= -0x40 {
            count += 1;
            if count == n {
                return i;
            }
        }
    }
    from
}

/// Moves `to` back so that at most `n` characters follow `after`.
fn trim_chars_after(text: &[u8], after: usize, to: usize, n: usize) -> usize {
    let mut count = 0;
    let mut i = after;
    while i < to {
        if (text[i] as i8) >= -0x40 {
            if count == n {
                return i;
            }
            count += 1;
        }
        i += 1;
    }
    to
}

/// The browser-exposed variable a key at `start` is assigned to, if any:
/// `NEXT_PUBLIC_X=…`, `VITE_X: "…"`, `"REACT_APP_X": "…"`.
pub fn public_variable(text: &[u8], start: usize) -> Option<String> {
    let floor = start.saturating_sub(VARIABLE_LOOKBACK);
    let line_start = memchr::memrchr(b'\n', &text[floor..start]).map_or(floor, |i| floor + i + 1);
    let before = &text[line_start..start];
    let mut i = before.len();
    let skip = |i: &mut usize, set: &[u8]| {
        while *i > 0 && set.contains(&before[*i - 1]) {
            *i -= 1;
        }
    };
    skip(&mut i, b" \t\"'`");
    if i == 0 || !matches!(before[i - 1], b'=' | b':') {
        return None;
    }
    i -= 1;
    skip(&mut i, b" \t\"'`");
    let end = i;
    while i > 0 && (before[i - 1].is_ascii_alphanumeric() || before[i - 1] == b'_') {
        i -= 1;
    }
    let name = std::str::from_utf8(&before[i..end]).ok()?;
    PUBLIC_PREFIXES
        .iter()
        .any(|p| name.starts_with(p) && name.len() > p.len())
        .then(|| name.to_string())
}

/// A built client bundle: a known output directory, or a minified `.js` file.
pub fn is_bundle(path: &str, minified: bool) -> bool {
    let p = format!("/{path}");
    if BUNDLE_DIRS.iter().any(|d| p.contains(&format!("/{d}"))) {
        return true;
    }
    minified && [".js", ".mjs", ".cjs"].iter().any(|e| path.ends_with(e))
}

/// A path naming production configuration: `prod` or `production` as a word in any
/// component (`.env.production`, `config.prod.yaml`, `deploy/prod/…`).
pub fn is_production_path(path: &str) -> bool {
    path.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case("prod") || w.eq_ignore_ascii_case("production"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_counts_code_points_and_lines() {
        let text = "a\nx = \"é sk\"\n".as_bytes();
        let at = text.windows(2).position(|w| w == b"sk").unwrap();
        let mut c = Cursor::new(text);
        assert_eq!(c.advance(at), (2, 8));
        assert_eq!(c.line_bounds(), (2, text.len() - 1));
        assert_eq!(c.advance(at + 2), (2, 10));
    }

    #[test]
    fn public_variables() {
        let t = b"NEXT_PUBLIC_STRIPE_SECRET=sk";
        assert_eq!(
            public_variable(t, t.len() - 2).as_deref(),
            Some("NEXT_PUBLIC_STRIPE_SECRET")
        );
        let t = b"  VITE_KEY: \"sk";
        assert_eq!(public_variable(t, t.len() - 2).as_deref(), Some("VITE_KEY"));
        let t = b"STRIPE_SECRET_KEY=sk";
        assert_eq!(public_variable(t, t.len() - 2), None);
        let t = b"PUBLIC_=sk";
        assert_eq!(public_variable(t, t.len() - 2), None);
    }

    #[test]
    fn production_paths() {
        for p in [
            ".env.production",
            "config.prod.yaml",
            "production.json",
            "deploy/prod/app.env",
        ] {
            assert!(is_production_path(p), "{p}");
        }
        for p in ["product.json", ".env.local", "reproduce/x"] {
            assert!(!is_production_path(p), "{p}");
        }
    }
}
