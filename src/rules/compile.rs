//! The rule files' schema, and turning a parsed rule into a checked, compiled [`Rule`].

use super::{
    Alone, Anchor, ByteSet, DeclaredWarning, Example, LazyRegex, Near, NegativeExample, Pair,
    Provider, PublishedExample, Rule, RuleError, RuleSet, Validator,
};
use crate::vocab::{Class, Kind, Severity};
use serde::Deserialize;

/// Keys follow their keyword within this many bytes unless the rule says otherwise.
const DEFAULT_WINDOW: usize = 80;

/// The raw schema of one provider file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    provider: String,
    display: String,
    #[serde(default)]
    line_context: Vec<String>,
    #[serde(default)]
    file_context: Vec<String>,
    #[serde(default)]
    priority: i32,
    #[serde(default)]
    keys_page: Option<String>,
    #[serde(default)]
    overlap: Option<String>,
    #[serde(default)]
    production_runbook: Option<String>,
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    name: String,
    kind: Kind,
    class: Class,
    severity: Severity,
    #[serde(default)]
    prefixes: Vec<String>,
    #[serde(default)]
    anchor: Anchor,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    window: Option<usize>,
    #[serde(default)]
    pair: Option<Pair>,
    #[serde(default)]
    alone: Alone,
    pattern: String,
    #[serde(default)]
    max_len: Option<usize>,
    charset: String,
    #[serde(default)]
    shape: Option<String>,
    #[serde(default)]
    near: Option<Near>,
    #[serde(default)]
    fallback: u8,
    #[serde(default)]
    opt_in: Option<String>,
    #[serde(default)]
    live: Option<String>,
    #[serde(default)]
    test: Option<String>,
    #[serde(default)]
    validator: Option<Validator>,
    #[serde(default)]
    min_entropy: Option<f64>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    warnings: Vec<DeclaredWarning>,
    runbook: String,
    description: String,
    #[serde(default)]
    examples: Vec<Example>,
    #[serde(default)]
    negative_examples: Vec<NegativeExample>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublished {
    #[serde(default)]
    example: Vec<PublishedExample>,
}

fn parse_error(file: &str, e: toml::de::Error) -> RuleError {
    RuleError::Parse {
        file: file.to_string(),
        message: e.to_string().trim_end().to_string(),
    }
}

/// Adds the rules of one provider file to `set`.
pub(super) fn add_file(set: &mut RuleSet, file: &str, text: &str) -> Result<(), RuleError> {
    add_files(set, &[(file, text)])
}

/// Adds the rules of several provider files, parsing and compiling them on a few threads of
/// their own (the global thread pool is not built yet when rules load); the result is the
/// same as adding them one by one, in order.
pub(super) fn add_files(set: &mut RuleSet, files: &[(&str, &str)]) -> Result<(), RuleError> {
    type Parsed = Result<(RawFile, Vec<Rule>), RuleError>;
    let one = |(file, text): &(&str, &str)| -> Parsed {
        let mut raw: RawFile = toml::from_str(text).map_err(|e| parse_error(file, e))?;
        // The provider's index is set below, in file order.
        let rules = std::mem::take(&mut raw.rule)
            .into_iter()
            .map(|r| compile(file, 0, r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((raw, rules))
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let chunk = files.len().div_ceil(threads).max(1);
    let parsed: Vec<Parsed> = if threads < 2 || files.len() < 8 {
        files.iter().map(one).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = files
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };
    let mut ids: std::collections::HashSet<String> =
        set.rules.iter().map(|r| r.id.clone()).collect();
    for result in parsed {
        let (raw, rules) = result?;
        let provider = provider_index(set, &raw);
        for mut rule in rules {
            rule.provider = provider;
            if !ids.insert(rule.id.clone()) {
                return Err(RuleError::Invalid {
                    file: rule.file.clone(),
                    rule: rule.id,
                    message: "duplicate rule id".into(),
                });
            }
            set.rules.push(rule);
        }
    }
    Ok(())
}

/// The index of the file's provider in `set`, added when new.
fn provider_index(set: &mut RuleSet, raw: &RawFile) -> usize {
    if let Some(i) = set.providers.iter().position(|p| p.id == raw.provider) {
        return i;
    }
    set.providers.push(Provider {
        id: raw.provider.clone(),
        display: raw.display.clone(),
        line_context: raw.line_context.iter().map(|s| s.to_lowercase()).collect(),
        file_context: raw.file_context.clone(),
        priority: raw.priority,
        keys_page: raw.keys_page.clone(),
        overlap: raw.overlap.clone(),
        production_runbook: raw.production_runbook.clone(),
    });
    set.providers.len() - 1
}

/// Adds a list of published example digests to `set`.
pub(super) fn add_published(set: &mut RuleSet, file: &str, text: &str) -> Result<(), RuleError> {
    let raw: RawPublished = toml::from_str(text).map_err(|e| parse_error(file, e))?;
    for ex in raw.example {
        let digest = parse_digest(&ex.sha256).ok_or_else(|| RuleError::Parse {
            file: file.into(),
            message: format!("`{}` is not a lowercase hex SHA-256 digest", ex.sha256),
        })?;
        set.published.insert(digest, ex);
    }
    Ok(())
}

fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, chunk) in hex.as_bytes().chunks(2).enumerate() {
        let s = std::str::from_utf8(chunk).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// Adds every byte `hir` can match to `set` (any byte of a non-ASCII character counts).
fn hir_bytes(hir: &regex_syntax::hir::Hir, set: &mut ByteSet) {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => {
            for &b in lit.0.iter() {
                set.0[b as usize] = true;
            }
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.ranges() {
                let (lo, hi) = (r.start() as u32, r.end() as u32);
                for b in lo.min(0x80)..=hi.min(0x7F) {
                    set.0[b as usize] = true;
                }
                if hi >= 0x80 {
                    for b in 0x80..=0xFF {
                        set.0[b] = true;
                    }
                }
            }
        }
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    set.0[b as usize] = true;
                }
            }
        }
        HirKind::Repetition(r) => hir_bytes(&r.sub, set),
        HirKind::Capture(c) => hir_bytes(&c.sub, set),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => hs.iter().for_each(|h| hir_bytes(h, set)),
    }
}

fn compile(file: &str, provider: usize, r: RawRule) -> Result<Rule, RuleError> {
    let invalid = |message: String| RuleError::Invalid {
        file: file.into(),
        rule: r.id.clone(),
        message,
    };
    if r.id.is_empty()
        || !r
            .id
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return Err(invalid("id must be lowercase kebab-case".into()));
    }
    if r.prefixes.is_empty() && r.keywords.is_empty() && r.pair.is_none() {
        return Err(invalid(
            "a rule needs prefixes, keywords or a pair to be found by".into(),
        ));
    }
    let shortest = if r.alone == Alone::Drop { 2 } else { 3 };
    if r.prefixes.iter().any(|p| p.len() < shortest) {
        return Err(invalid(format!(
            "literal prefixes need at least {shortest} bytes"
        )));
    }
    // Keywords are found without regard to case by the automaton, which takes four bytes or
    // more; a shorter keyword must hold no letter (`://`), since it is found as it is.
    if r.keywords.iter().any(|k| {
        !k.is_ascii() || k.len() < 3 || (k.len() < 4 && k.bytes().any(|b| b.is_ascii_alphabetic()))
    }) {
        return Err(invalid(
            "keywords need four ASCII bytes, or three with no letter".into(),
        ));
    }
    if r.anchor == Anchor::Suffix && (r.prefixes.is_empty() || !r.keywords.is_empty()) {
        return Err(invalid(
            "a suffix anchor needs literal prefixes and no keywords".into(),
        ));
    }
    // Keys are bytes: patterns run without Unicode, so `[^\s]` is one byte and lengths are
    // counted in bytes.
    let source = format!("(?-u){}", r.pattern);
    let parse = |re: &str| {
        regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(re)
            .map_err(Box::new)
    };
    let hir = parse(&source).map_err(|e| invalid(format!("pattern: {e}")))?;
    // Long keys (PEM blocks) give their bound apart: a counted repetition that long would
    // unroll into a large automaton.
    let max_len = match (r.max_len, hir.properties().maximum_len()) {
        (Some(n), Some(m)) => n.min(m),
        (Some(n), None) => n,
        (None, Some(m)) => m,
        (None, None) => {
            return Err(invalid(
                "pattern must have a bounded length (use {m,n}, or give max_len)".into(),
            ));
        }
    };
    let min_len = hir.properties().minimum_len().unwrap_or(0);
    let mut pattern_bytes = ByteSet([false; 256]);
    hir_bytes(&hir, &mut pattern_bytes);
    // The pattern runs on a window that starts at the literal (or ends with it, for suffix
    // literals); keyword and pair searches run it unanchored.
    let windowed = match r.anchor {
        Anchor::Prefix => format!("(?-u)^(?:{})", r.pattern),
        Anchor::Suffix => format!("(?-u)(?:{})$", r.pattern),
    };
    parse(&windowed).map_err(|e| invalid(format!("pattern: {e}")))?;
    let pattern = LazyRegex::new(windowed);
    let search = LazyRegex::new(source);
    let secret_group = hir_capture_index(&hir, "secret");
    let shape = match &r.shape {
        Some(s) => {
            let re = format!("(?-u)^(?:{s})$");
            parse(&re).map_err(|e| invalid(format!("shape: {e}")))?;
            Some(LazyRegex::new(re))
        }
        None => None,
    };
    let charset = ByteSet::parse(&r.charset).map_err(|e| invalid(format!("charset: {e}")))?;
    let account = match &r.account {
        Some(a) => {
            let re = format!("(?-u){a}");
            let hir = parse(&re).map_err(|e| invalid(format!("account: {e}")))?;
            if hir.properties().explicit_captures_len() < 1 {
                return Err(invalid("account: the pattern needs a capture group".into()));
            }
            Some(LazyRegex::new(re))
        }
        None => None,
    };
    if r.anchor == Anchor::Prefix
        && let Some(p) = r.prefixes.iter().find(|p| p.len() > max_len)
    {
        return Err(invalid(format!("prefix `{p}` is longer than the pattern")));
    }
    if r.class == Class::Publishable && r.severity != Severity::Info {
        return Err(invalid("publishable rules have severity `info`".into()));
    }
    if let Some(n) = &r.near
        && (n.any.is_empty() || n.within == 0)
    {
        return Err(invalid("near: needs literals and a distance".into()));
    }
    for w in &r.warnings {
        if w.code.parse::<Kind>().is_err() {
            return Err(invalid(format!(
                "warning code `{}` must be kebab-case",
                w.code
            )));
        }
    }
    if let Some(Validator::Crc32Base62 { digits, .. }) = &r.validator
        && !(1..=11).contains(digits)
    {
        return Err(invalid("crc32-base62: digits must be 1 to 11".into()));
    }
    let structural = r.validator.as_ref().is_some_and(Validator::is_structural);
    Ok(Rule {
        id: r.id.clone(),
        name: r.name,
        provider,
        kind: r.kind,
        class: r.class,
        severity: r.severity,
        severity_override: None,
        prefixes: r.prefixes,
        anchor: r.anchor,
        keywords: r.keywords.iter().map(|k| k.to_ascii_lowercase()).collect(),
        window: r.window.unwrap_or(DEFAULT_WINDOW),
        pair: r.pair,
        alone: r.alone,
        pattern_source: r.pattern,
        pattern,
        search,
        secret_group,
        pattern_bytes,
        charset,
        shape,
        near: r.near,
        fallback: r.fallback,
        opt_in: r.opt_in,
        live: r.live,
        test: r.test,
        validator: r.validator,
        min_entropy: r.min_entropy.unwrap_or(if structural { 0.0 } else { 3.0 }),
        account,
        warnings: r.warnings,
        runbook: r.runbook,
        description: r.description,
        examples: r.examples,
        negative_examples: r.negative_examples,
        max_len,
        min_len,
        file: file.into(),
    })
}

/// The index of the capture group named `name` in `hir` (group 0 is the whole match).
fn hir_capture_index(hir: &regex_syntax::hir::Hir, name: &str) -> Option<usize> {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(c) => {
            if c.name.as_deref() == Some(name) {
                Some(c.index as usize)
            } else {
                hir_capture_index(&c.sub, name)
            }
        }
        HirKind::Repetition(r) => hir_capture_index(&r.sub, name),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => {
            hs.iter().find_map(|h| hir_capture_index(h, name))
        }
        _ => None,
    }
}
