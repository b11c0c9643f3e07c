//! The classifier: where a verdict is decided.
//!
//! `verdict = f(class, environment, exposure, context)`, as in the table of `design.md`:
//! published examples and publishable keys are `public-safe`; a secret that has been exposed
//! (committed, tracked, shipped to browsers, or somewhere exposure cannot be known) is
//! `must-rotate`; a secret not yet exposed (staged, untracked, ignored) is `keep-private`.
//! Warnings ride on the findings they concern.

use crate::finding::{Finding, LineIndex, Secret, Snippet, Warning};
use crate::matcher::{Decision, Hit, Scanned};
use crate::rules::{Anchor, RuleSet};
use crate::vocab::{Class, Environment, Exposure, Severity, Verdict};

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

/// What the source knows about the file a text came from.
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    /// Display path, `/`-separated.
    pub path: &'a str,
    /// Exposure of the file as a whole (tracked, untracked, committed, …).
    pub exposure: Exposure,
}

/// What a text says about each of its hits, wherever the text sits: computed once per content
/// (a git blob may sit at many paths), classified per path later.
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
    pub location: crate::finding::Location,
    /// The line, for text content.
    pub snippet: Option<Snippet>,
    /// The browser-exposed variable the key is assigned to, if any.
    pub public_variable: bool,
    /// What follows `leakscope:allow` on the key's line, if the line has it.
    pub allow: Option<String>,
}

/// The marker of an inline allow comment.
pub const ALLOW_MARKER: &str = "leakscope:allow";

/// What follows the allow marker on the line holding `at`, trimmed of comment closers.
fn inline_allow(text: &[u8], at: usize) -> Option<String> {
    let start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
    let line = &text[start..end];
    let pos = memchr::memmem::find(line, ALLOW_MARKER.as_bytes())?;
    let tail = String::from_utf8_lossy(&line[pos + ALLOW_MARKER.len()..]).into_owned();
    let tail = tail
        .trim()
        .trim_end_matches("*/")
        .trim_end_matches("-->")
        .trim();
    Some(tail.trim_start_matches(':').trim().to_string())
}

/// Whether an inline allow (`leakscope:allow [RULE_ID] [reason]`) applies to `rule_id`, and
/// its justification.
pub fn allow_applies(tail: &str, rule_id: &str, rules: &RuleSet) -> Option<String> {
    let mut words = tail.splitn(2, char::is_whitespace);
    let first = words.next().unwrap_or("");
    if rules.get(first).is_some()
        || first.contains('-')
            && first
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        if first != rule_id {
            return None;
        }
        let reason = words.next().unwrap_or("").trim();
        return Some(if reason.is_empty() {
            format!("{ALLOW_MARKER} {rule_id}")
        } else {
            reason.to_string()
        });
    }
    Some(if tail.is_empty() {
        ALLOW_MARKER.to_string()
    } else {
        tail.to_string()
    })
}

/// Computes the facts of every hit of a scanned text. `binary` content gets no snippets.
pub fn text_facts(rules: &RuleSet, scanned: &Scanned<'_>, binary: bool) -> TextFacts {
    let text: &[u8] = &scanned.text;
    let mut index = LineIndex::new(text);
    let hits = scanned
        .hits
        .iter()
        .map(|hit| {
            let location = index.locate(hit.start, hit.end);
            HitFacts {
                location,
                snippet: (!binary).then(|| snippet(rules, text, &index, hit, &scanned.hits)),
                public_variable: public_variable(text, hit.start).is_some(),
                allow: (!binary).then(|| inline_allow(text, hit.start)).flatten(),
            }
        })
        .collect();
    TextFacts {
        minified: text
            .split(|&b| b == b'\n')
            .any(|line| line.len() > BUNDLE_LINE),
        hits,
    }
}

/// The verdict and severity of a key, from its class, environment and exposure.
pub fn verdict(
    class: Class,
    environment: Environment,
    exposure: Exposure,
    published: bool,
    has_warnings: bool,
    rule_severity: Severity,
) -> (Verdict, Severity) {
    if published || class == Class::Publishable {
        let severity = if has_warnings {
            Severity::Low
        } else {
            Severity::Info
        };
        return (Verdict::PublicSafe, severity);
    }
    match exposure {
        Exposure::Staged | Exposure::Untracked | Exposure::Ignored => {
            (Verdict::KeepPrivate, Severity::Medium)
        }
        Exposure::Client => (Verdict::MustRotate, Severity::Critical),
        Exposure::Committed | Exposure::Tracked | Exposure::Unknown => {
            let severity = if environment == Environment::Test {
                Severity::High.min(rule_severity)
            } else {
                rule_severity
            };
            (Verdict::MustRotate, severity)
        }
    }
}

/// Turns the hits of one text into findings, for the text at `origin`.
pub fn classify(
    rules: &RuleSet,
    hits: &[Hit],
    facts: &TextFacts,
    origin: Origin<'_>,
) -> Vec<Finding> {
    if hits.is_empty() {
        return Vec::new();
    }
    let bundle = is_bundle(origin.path, facts.minified);
    let prod = is_production_path(origin.path);
    let envs: Vec<Environment> = hits
        .iter()
        .map(|h| rules.rules[h.rule].environment(&h.secret))
        .collect();
    let mut out = Vec::with_capacity(hits.len());
    for (i, hit) in hits.iter().enumerate() {
        let rule = &rules.rules[hit.rule];
        let provider = rules.provider(rule);
        let environment = envs[i];
        let secret = Secret::new(&hit.secret);
        let literal = literal_of(rules, hit);
        let redacted = secret.redacted(literal, rule.anchor == Anchor::Suffix);
        let hf = &facts.hits[i];

        let client = rule.class == Class::Secret && (bundle || hf.public_variable);
        let exposure = if client {
            Exposure::Client
        } else {
            origin.exposure
        };

        let mut warnings = Vec::new();
        if let Some(source) = &hit.published {
            warnings.push(Warning {
                code: "published-example",
                message: format!("A published example key ({source}): public knowledge, not a leak; replace it before going live."),
            });
        }
        if environment == Environment::Test && prod {
            warnings.push(Warning {
                code: "test-key-in-production-config",
                message: format!(
                    "A {} test key in production configuration: production should use live keys.",
                    provider.display
                ),
            });
        }
        if environment != Environment::Unknown {
            let other = match environment {
                Environment::Live => Environment::Test,
                _ => Environment::Live,
            };
            let mixed = hits
                .iter()
                .zip(&envs)
                .any(|(h, &e)| e == other && rules.rules[h.rule].provider == rule.provider);
            if mixed {
                warnings.push(Warning {
                    code: "mixed-live-and-test",
                    message: format!(
                        "Live and test {} keys in one file: check each environment gets its own.",
                        provider.display
                    ),
                });
            }
        }
        warnings.sort();

        let (verdict, mut severity) = verdict(
            rule.class,
            environment,
            exposure,
            hit.published.is_some(),
            !warnings.is_empty(),
            rule.severity,
        );
        if let (Verdict::MustRotate, Some(s)) = (verdict, rule.severity_override) {
            severity = s;
        }

        let mut runbooks = vec![rule.runbook.clone()];
        let mut alternatives = Vec::new();
        for &a in &hit.alternatives {
            let alt = &rules.rules[a];
            if !runbooks.contains(&alt.runbook) {
                runbooks.push(alt.runbook.clone());
            }
            let p = rules.provider(alt).id.clone();
            if p != provider.id && !alternatives.contains(&p) {
                alternatives.push(p);
            }
        }

        let message = message(rules, hit, &redacted, environment, verdict, exposure);
        let suppressions = hf
            .allow
            .as_deref()
            .and_then(|tail| allow_applies(tail, &rule.id, rules))
            .map(|justification| crate::finding::Suppression {
                kind: crate::finding::SuppressionKind::InSource,
                justification,
            })
            .into_iter()
            .collect();
        out.push(Finding {
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            provider: provider.id.clone(),
            kind: rule.kind,
            class: rule.class,
            environment,
            verdict,
            severity,
            exposure,
            path: origin.path.to_string(),
            location: hf.location,
            snippet: hf.snippet.clone(),
            secret_sha256: secret.sha256(),
            fingerprint: secret.fingerprint(&rule.id),
            secret,
            redacted,
            encoding: hit.encoding,
            warnings,
            message,
            runbooks,
            alternatives,
            project: hit.project.clone(),
            published: hit.published.clone(),
            provenance: None,
            suppressions,
        });
    }
    out
}

/// The literal the key starts (or ends) with, for redaction.
fn literal_of<'r>(rules: &'r RuleSet, hit: &Hit) -> &'r str {
    let rule = &rules.rules[hit.rule];
    rule.prefixes
        .iter()
        .find(|p| match rule.anchor {
            Anchor::Prefix => hit.secret.starts_with(p.as_bytes()),
            Anchor::Suffix => hit.secret.ends_with(p.as_bytes()),
        })
        .map_or("", |p| p.as_str())
}

fn message(
    rules: &RuleSet,
    hit: &Hit,
    redacted: &str,
    environment: Environment,
    verdict: Verdict,
    exposure: Exposure,
) -> String {
    let rule = &rules.rules[hit.rule];
    let env = match environment {
        Environment::Live => " (live)",
        Environment::Test => " (test)",
        Environment::Unknown => "",
    };
    let what = format!("{}{env} {redacted}", rule.name);
    let guess = if hit.decision == Decision::Likely && !hit.alternatives.is_empty() {
        let others: Vec<&str> = hit
            .alternatives
            .iter()
            .map(|&a| rules.rules[a].name.as_str())
            .collect();
        format!(
            " The provider is a guess from the key's prefix: it may instead be a {}; both runbooks apply.",
            others.join(" or a ")
        )
    } else {
        String::new()
    };
    let action = match (verdict, exposure) {
        (Verdict::PublicSafe, _) if hit.published.is_some() => {
            "a published example key, public knowledge: no rotation needed.".to_string()
        }
        (Verdict::PublicSafe, _) => "publishable by design: no action needed.".to_string(),
        (Verdict::KeepPrivate, Exposure::Staged) => {
            "staged but not committed yet: unstage it and keep it out of git.".to_string()
        }
        (Verdict::KeepPrivate, Exposure::Ignored) => {
            "in a git-ignored file: keep it ignored and out of builds.".to_string()
        }
        (Verdict::KeepPrivate, _) => {
            "in an untracked file: add the file to .gitignore before anything commits it."
                .to_string()
        }
        (Verdict::MustRotate, Exposure::Client) => {
            "shipped to browsers (public variable or client bundle): rotate it now.".to_string()
        }
        (Verdict::MustRotate, Exposure::Tracked) => {
            "in a file tracked by git: rotate it, then remove it from the file and history."
                .to_string()
        }
        (Verdict::MustRotate, Exposure::Committed) => "committed to git: rotate it.".to_string(),
        (Verdict::MustRotate, _) => {
            "exposure unknown (outside git): treat it as exposed and rotate it.".to_string()
        }
    };
    format!("{what}: {action}{guess}")
}

/// The line around a hit, with every key on it redacted (and raw).
fn snippet(
    rules: &RuleSet,
    text: &[u8],
    index: &LineIndex<'_>,
    hit: &Hit,
    hits: &[Hit],
) -> Snippet {
    let (ls, le) = index.line_bounds(hit.start);
    // Cut long lines to a window around the key, on character boundaries.
    let from = floor_char(text, hit.start.saturating_sub(SNIPPET_SIDE * 4).max(ls));
    let to = ceil_char(
        text,
        (hit.end + SNIPPET_SIDE * 4).min(le).max(hit.end.min(le)),
    );
    let from = trim_chars_before(text, from, hit.start, SNIPPET_SIDE);
    let to = trim_chars_after(text, hit.end.min(to), to, SNIPPET_SIDE);
    let mut redacted = String::new();
    let mut raw = String::new();
    if from > ls {
        redacted.push('\u{2026}');
        raw.push('\u{2026}');
    }
    let mut pos = from;
    for h in hits.iter().filter(|h| h.start < to && h.end > from) {
        let s = h.start.max(pos);
        let piece = String::from_utf8_lossy(&text[pos..s]);
        redacted.push_str(&piece);
        raw.push_str(&piece);
        let secret = Secret::new(&h.secret);
        let rule = &rules.rules[h.rule];
        redacted.push_str(&secret.redacted(literal_of(rules, h), rule.anchor == Anchor::Suffix));
        raw.push_str(&String::from_utf8_lossy(&text[s..h.end.min(to)]));
        pos = h.end.min(to).max(pos);
    }
    let piece = String::from_utf8_lossy(&text[pos..to]);
    redacted.push_str(&piece);
    raw.push_str(&piece);
    if to < le {
        redacted.push('\u{2026}');
        raw.push('\u{2026}');
    }
    Snippet { redacted, raw }
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
    let line_start = memchr::memrchr(b'\n', &text[..start]).map_or(0, |i| i + 1);
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
    fn verdict_table() {
        use Class::*;
        use Exposure as E;
        let v = |c, env, e, pubx| verdict(c, env, e, pubx, false, Severity::Critical);
        assert_eq!(
            v(Publishable, Environment::Live, E::Tracked, false),
            (Verdict::PublicSafe, Severity::Info)
        );
        assert_eq!(
            v(Secret, Environment::Live, E::Tracked, true),
            (Verdict::PublicSafe, Severity::Info)
        );
        assert_eq!(
            v(Secret, Environment::Live, E::Committed, false),
            (Verdict::MustRotate, Severity::Critical)
        );
        assert_eq!(
            v(Secret, Environment::Test, E::Tracked, false),
            (Verdict::MustRotate, Severity::High)
        );
        assert_eq!(
            v(Secret, Environment::Test, E::Client, false),
            (Verdict::MustRotate, Severity::Critical)
        );
        assert_eq!(
            v(Secret, Environment::Live, E::Unknown, false),
            (Verdict::MustRotate, Severity::Critical)
        );
        for e in [E::Staged, E::Untracked, E::Ignored] {
            assert_eq!(
                v(Secret, Environment::Live, e, false),
                (Verdict::KeepPrivate, Severity::Medium)
            );
        }
        assert_eq!(
            verdict(
                Publishable,
                Environment::Test,
                E::Tracked,
                false,
                true,
                Severity::Info
            ),
            (Verdict::PublicSafe, Severity::Low)
        );
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
