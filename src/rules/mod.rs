//! Rules as data: the provider files in `rules/*.toml`, embedded at build time, parsed and
//! checked into a [`RuleSet`].
//!
//! A rule file names one provider and lists its rules. Each rule says what a key looks like
//! (literal `prefixes`, a `pattern`, the `charset` its body is drawn from), what it is
//! (`kind`, `class`, `severity`), how to tell it from look-alikes (`validator`, `shape`),
//! which runbook rotates it, and carries `examples` and `negative_examples` that
//! [`RuleSet::check_examples`] runs through the whole matcher.
//!
//! Example keys are stored split by the marker [`SPLIT_MARKER`] so that no rule file is
//! itself a credential; [`unsplit`] removes it.

use crate::vocab::{Class, Environment, Kind, Severity};
use regex::bytes::Regex;
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// The marker that splits example keys in rule files and fixtures; removed before use.
pub const SPLIT_MARKER: &str = "~~";

/// The provider files, runbooks and published-example digests under `rules/`, embedded at
/// build time (`build.rs` lists the directory), so adding a provider is adding files.
pub mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
}

/// Removes the [`SPLIT_MARKER`] from example text.
pub fn unsplit(text: &str) -> String {
    text.replace(SPLIT_MARKER, "")
}

/// A rule file or rule that cannot be used, with the file and rule it concerns.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The TOML itself is malformed or does not fit the schema.
    #[error("{file}: {message}")]
    Parse {
        /// The rule file.
        file: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A rule is well-formed TOML but not a usable rule.
    #[error("{file}: rule `{rule}`: {message}")]
    Invalid {
        /// The rule file.
        file: String,
        /// The rule id.
        rule: String,
        /// What is wrong.
        message: String,
    },
}

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
    prefixes: Vec<String>,
    #[serde(default)]
    anchor: Anchor,
    pattern: String,
    charset: String,
    #[serde(default)]
    shape: Option<String>,
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
    runbook: String,
    description: String,
    #[serde(default)]
    examples: Vec<Example>,
    #[serde(default)]
    negative_examples: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublished {
    #[serde(default)]
    example: Vec<PublishedExample>,
}

/// A key published in a provider's documentation or tools, known only by its digest.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedExample {
    /// Lowercase hex SHA-256 of the key's text.
    pub sha256: String,
    /// Where it was published.
    pub source: String,
}

/// Where a rule's literal sits in the key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Anchor {
    /// The literal starts the key (`sk_live_…`).
    #[default]
    Prefix,
    /// The literal ends the key (`….apps.googleusercontent.com`).
    Suffix,
}

/// A structural check that a pattern match really is this kind of key.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Validator {
    /// An HS256 JWT whose payload has this issuer and role.
    Jwt {
        /// The `iss` claim (the demo issuer `<issuer>-demo` marks a published example).
        issuer: String,
        /// The `role` claim.
        role: String,
    },
    /// A Clerk publishable key: base64 of a host followed by `$`.
    ClerkPublishableKey,
    /// A Supabase opaque key: its checksum is checked against project refs in the same file.
    SupabaseChecksum,
}

impl Validator {
    /// Whether the validator proves the key's structure, so that placeholder and entropy
    /// checks on the body would only add false negatives.
    pub fn is_structural(&self) -> bool {
        matches!(self, Validator::Jwt { .. } | Validator::ClerkPublishableKey)
    }
}

/// One example of a rule: text that must produce exactly one finding of the rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// The text, with keys split by [`SPLIT_MARKER`].
    pub text: String,
    /// The environment the finding must report, for rules with live/test markers.
    #[serde(default)]
    pub environment: Option<Environment>,
}

/// A provider: the owner of a family of rules, and the context that points to it.
#[derive(Clone, Debug)]
pub struct Provider {
    /// Stable id (`stripe`), used in every output.
    pub id: String,
    /// Human name (`Stripe`).
    pub display: String,
    /// Lowercase words that, in the variable name on a key's line, point to this provider.
    pub line_context: Vec<String>,
    /// Case-sensitive markers that, anywhere in the same file, point to this provider.
    pub file_context: Vec<String>,
    /// Which provider to name when nothing else settles a shared prefix (higher wins).
    pub priority: i32,
}

/// A compiled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable kebab-case id (`stripe-secret-key`).
    pub id: String,
    /// Human name (`Stripe secret key`).
    pub name: String,
    /// Index of the provider in [`RuleSet::providers`].
    pub provider: usize,
    /// What the key is.
    pub kind: Kind,
    /// Secret or publishable.
    pub class: Class,
    /// Severity when an exposed live (or unmarked) key of this rule must be rotated.
    pub severity: Severity,
    /// The configuration file's severity for every must-rotate finding of this rule.
    pub severity_override: Option<Severity>,
    /// The literals the prefilter looks for.
    pub prefixes: Vec<String>,
    /// Whether the literals start or end the key.
    pub anchor: Anchor,
    /// The pattern as written.
    pub pattern_source: String,
    /// The pattern, anchored at the start of the window it runs on (at the end, for suffix
    /// literals).
    pub pattern: Regex,
    /// The characters a key body is made of: a key may not be preceded or followed by one.
    pub charset: ByteSet,
    /// A pattern that, when it matches the whole key, makes this rule win over other rules
    /// sharing a prefix.
    pub shape: Option<Regex>,
    /// Marker of live keys (`_live_`).
    pub live: Option<String>,
    /// Marker of test keys (`_test_`).
    pub test: Option<String>,
    /// Structural check.
    pub validator: Option<Validator>,
    /// Minimum Shannon entropy of the body in bits per character (placeholder rejection).
    pub min_entropy: f64,
    /// A pattern whose first group, in a key, names the account the key belongs to (the keys
    /// of one Stripe account share it): what the rotation plan groups by.
    pub account: Option<Regex>,
    /// Id of the runbook that rotates this key.
    pub runbook: String,
    /// What the key grants and why it is or is not safe to expose.
    pub description: String,
    /// Examples that must match.
    pub examples: Vec<Example>,
    /// Look-alikes that must not match.
    pub negative_examples: Vec<String>,
    /// Every byte the pattern can match: a key lies inside a run of these bytes, so a run
    /// shorter than `min_len` rejects a candidate before any regex runs.
    pub pattern_bytes: ByteSet,
    /// The longest text the pattern can match.
    pub max_len: usize,
    /// The shortest text the pattern can match.
    pub min_len: usize,
    /// The file the rule came from.
    pub file: String,
}

impl Rule {
    /// The environment of a matched key, from its markers.
    pub fn environment(&self, key: &[u8]) -> Environment {
        let has = |m: &Option<String>| {
            m.as_deref()
                .is_some_and(|m| memchr::memmem::find(key, m.as_bytes()).is_some())
        };
        if has(&self.live) {
            Environment::Live
        } else if has(&self.test) {
            Environment::Test
        } else {
            Environment::Unknown
        }
    }
}

/// A set of bytes, for charset and boundary checks.
#[derive(Clone, Copy)]
pub struct ByteSet([bool; 256]);

impl ByteSet {
    /// Parses a character-class body such as `A-Za-z0-9_-` (ranges and single characters;
    /// a `-` first or last is literal).
    pub fn parse(spec: &str) -> Result<ByteSet, String> {
        let mut set = [false; 256];
        let b = spec.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if i + 2 < b.len() && b[i + 1] == b'-' {
                let (lo, hi) = (b[i], b[i + 2]);
                if lo > hi {
                    return Err(format!("bad range `{}-{}`", lo as char, hi as char));
                }
                for c in lo..=hi {
                    set[c as usize] = true;
                }
                i += 3;
            } else {
                set[b[i] as usize] = true;
                i += 1;
            }
        }
        if !spec.is_ascii() {
            return Err("charset must be ASCII".into());
        }
        Ok(ByteSet(set))
    }

    /// Whether `byte` is in the set.
    #[inline]
    pub fn contains(&self, byte: u8) -> bool {
        self.0[byte as usize]
    }
}

impl fmt::Debug for ByteSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s: String = (0u8..=255)
            .filter(|&c| self.0[c as usize])
            .map(|c| c as char)
            .collect();
        write!(f, "ByteSet({s:?})")
    }
}

/// All rules and providers, checked and compiled; the input of the matcher.
#[derive(Clone, Debug)]
pub struct RuleSet {
    /// Providers, in file order.
    pub providers: Vec<Provider>,
    /// Rules, in file order.
    pub rules: Vec<Rule>,
    /// Published example keys by SHA-256 digest.
    pub published: HashMap<[u8; 32], PublishedExample>,
}

impl RuleSet {
    /// The built-in rules and published examples.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet {
            providers: Vec::new(),
            rules: Vec::new(),
            published: HashMap::new(),
        };
        for (file, text) in builtin::RULE_FILES {
            set.add_file(file, text)?;
        }
        for (file, text) in builtin::PUBLISHED_FILES {
            set.add_published(file, text)?;
        }
        Ok(set)
    }

    /// Adds the rules of one provider file. A provider already known gains the rules.
    pub fn add_file(&mut self, file: &str, text: &str) -> Result<(), RuleError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| RuleError::Parse {
            file: file.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let provider = match self.providers.iter().position(|p| p.id == raw.provider) {
            Some(i) => i,
            None => {
                self.providers.push(Provider {
                    id: raw.provider.clone(),
                    display: raw.display.clone(),
                    line_context: raw.line_context.iter().map(|s| s.to_lowercase()).collect(),
                    file_context: raw.file_context.clone(),
                    priority: raw.priority,
                });
                self.providers.len() - 1
            }
        };
        for r in raw.rule {
            let rule = compile(file, provider, r)?;
            if self.rules.iter().any(|x| x.id == rule.id) {
                return Err(RuleError::Invalid {
                    file: file.into(),
                    rule: rule.id,
                    message: "duplicate rule id".into(),
                });
            }
            self.rules.push(rule);
        }
        Ok(())
    }

    /// Adds a list of published example digests.
    pub fn add_published(&mut self, file: &str, text: &str) -> Result<(), RuleError> {
        let raw: RawPublished = toml::from_str(text).map_err(|e| RuleError::Parse {
            file: file.into(),
            message: e.to_string().trim_end().to_string(),
        })?;
        for ex in raw.example {
            let digest = parse_digest(&ex.sha256).ok_or_else(|| RuleError::Parse {
                file: file.into(),
                message: format!("`{}` is not a lowercase hex SHA-256 digest", ex.sha256),
            })?;
            self.published.insert(digest, ex);
        }
        Ok(())
    }

    /// Looks up a rule by id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Keeps only the rules for which `keep` holds.
    pub fn retain(&mut self, keep: impl Fn(&Rule) -> bool) {
        self.rules.retain(|r| keep(r));
    }

    /// The provider of a rule.
    pub fn provider(&self, rule: &Rule) -> &Provider {
        &self.providers[rule.provider]
    }

    /// The ids of every runbook the rules refer to.
    pub fn runbook_ids(&self) -> BTreeSet<&str> {
        self.rules.iter().map(|r| r.runbook.as_str()).collect()
    }
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
    if r.prefixes.is_empty() || r.prefixes.iter().any(|p| p.len() < 3) {
        return Err(invalid(
            "every rule needs literal prefixes of at least 3 bytes".into(),
        ));
    }
    let hir = regex_syntax::parse(&r.pattern).map_err(|e| invalid(format!("pattern: {e}")))?;
    let max_len = hir
        .properties()
        .maximum_len()
        .ok_or_else(|| invalid("pattern must have a bounded length (use {m,n})".into()))?;
    let min_len = hir.properties().minimum_len().unwrap_or(0);
    let mut pattern_bytes = ByteSet([false; 256]);
    hir_bytes(&hir, &mut pattern_bytes);
    // The pattern runs on a window that starts at the literal (or ends with it, for suffix
    // literals); the shape must fit a whole key.
    let windowed = match r.anchor {
        Anchor::Prefix => format!("^(?:{})", r.pattern),
        Anchor::Suffix => format!("(?:{})$", r.pattern),
    };
    let pattern = Regex::new(&windowed).map_err(|e| invalid(format!("pattern: {e}")))?;
    let shape = match &r.shape {
        Some(s) => {
            Some(Regex::new(&format!("^(?:{s})$")).map_err(|e| invalid(format!("shape: {e}")))?)
        }
        None => None,
    };
    let charset = ByteSet::parse(&r.charset).map_err(|e| invalid(format!("charset: {e}")))?;
    let account = match &r.account {
        Some(a) => {
            let re = Regex::new(a).map_err(|e| invalid(format!("account: {e}")))?;
            if re.captures_len() < 2 {
                return Err(invalid("account: the pattern needs a capture group".into()));
            }
            Some(re)
        }
        None => None,
    };
    if let Some(p) = r.prefixes.iter().find(|p| p.len() > max_len) {
        return Err(invalid(format!("prefix `{p}` is longer than the pattern")));
    }
    if r.class == Class::Publishable && r.severity != Severity::Info {
        return Err(invalid("publishable rules have severity `info`".into()));
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
        pattern_source: r.pattern,
        pattern,
        pattern_bytes,
        charset,
        shape,
        live: r.live,
        test: r.test,
        validator: r.validator,
        min_entropy: r.min_entropy.unwrap_or(if structural { 0.0 } else { 3.0 }),
        account,
        runbook: r.runbook,
        description: r.description,
        examples: r.examples,
        negative_examples: r.negative_examples,
        max_len,
        min_len,
        file: file.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load() {
        let set = RuleSet::builtin().expect("built-in rules load");
        assert!(set.rules.len() >= 16);
        assert!(set.published.len() >= 5);
    }

    #[test]
    fn byteset_parses_ranges_and_literal_dash() {
        let s = ByteSet::parse("A-Za-z0-9_-").unwrap();
        for c in [b'A', b'z', b'5', b'_', b'-'] {
            assert!(s.contains(c), "{}", c as char);
        }
        for c in [b'+', b'/', b'=', b'.', b' '] {
            assert!(!s.contains(c), "{}", c as char);
        }
    }

    #[test]
    fn malformed_rule_file_names_line_and_column() {
        let mut set = RuleSet::builtin().unwrap();
        let err = set
            .add_file("bad.toml", "provider = \"x\"\ndisplay = 3\n")
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("bad.toml: "), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn unbounded_pattern_is_rejected() {
        let mut set = RuleSet::builtin().unwrap();
        let text = r#"
provider = "x"
display = "X"
[[rule]]
id = "x-key"
name = "X key"
kind = "api-key"
class = "secret"
severity = "high"
prefixes = ["xk_"]
pattern = 'xk_[a-z]+'
charset = "a-z"
runbook = "x"
description = "x"
"#;
        let err = set.add_file("x.toml", text).unwrap_err().to_string();
        assert!(err.contains("bounded length"), "{err}");
    }
}
