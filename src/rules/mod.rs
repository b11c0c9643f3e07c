//! Rules as data: the provider files in `rules/*.toml`, embedded at build time, parsed and
//! checked into a [`RuleSet`].
//!
//! A rule file names one provider (with where its keys are managed) and lists its rules. Each
//! rule says what a key looks like, what it is (`kind`, `class`, `severity`), how to tell it
//! from look-alikes (`validator`, `shape`, `near`), which runbook rotates it, and carries
//! `examples` and `negative_examples` that the matcher's own check runs through the whole
//! matcher. A key is located one of three ways:
//!
//! - by a literal it starts with (`prefixes`, `sk_live_`) or ends with (`anchor = "suffix"`);
//! - by a keyword it follows on the same line (`keywords`, matched without regard to case,
//!   `twilio`, `aws_secret_access_key`), when the key itself has no distinctive literal;
//! - next to a paired identifier (`pair`: the AWS secret access key beside its key id).
//!
//! A `pattern` may name the secret inside the match with a group `(?P<secret>…)` (the
//! password of a connection string): the finding, its redaction and its digests cover only
//! that. Example keys are stored split by [`SPLIT_MARKER`] so that no rule file is itself a
//! credential; [`unsplit`] removes it.

mod compile;
mod pattern;

pub use pattern::{ByteSet, LazyRegex};

use crate::vocab::{Class, Environment, Kind, Severity};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};

/// The marker that splits example keys in rule files and fixtures; removed before use.
pub const SPLIT_MARKER: &str = "~~";

/// The opt-in group of the generic detector (`--generic`).
pub const GENERIC: &str = "generic";

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
    /// The literal starts the match (`sk_live_…`).
    #[default]
    Prefix,
    /// The literal ends the key (`….apps.googleusercontent.com`).
    Suffix,
}

/// A structural check that a pattern match really is this kind of key.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Validator {
    /// An HS256 JWT whose payload has this role, and this issuer unless the issuer is absent
    /// (the first Supabase keys carried only `role`, `iat` and `exp`).
    Jwt {
        /// The `iss` claim (the demo issuer `<issuer>-demo` marks a published example).
        issuer: String,
        /// The `role` claim.
        role: String,
    },
    /// Any JWT: a header and payload that decode to JSON objects, the header naming an `alg`.
    /// Its algorithm, issuer and expiry become facts of the finding.
    AnyJwt,
    /// A Clerk publishable key: base64 of a host followed by `$`.
    ClerkPublishableKey,
    /// A Supabase opaque key: its checksum is checked against project refs in the same file.
    SupabaseChecksum,
    /// The key ends with a base62 CRC32 of what precedes the checksum (GitHub, npm and
    /// others): `digits` characters, computed over the key from `from` (0: the whole key
    /// with its prefix; otherwise that many bytes in, e.g. past the prefix).
    Crc32Base62 {
        /// Where the checksummed text starts, in bytes from the key's start.
        #[serde(default)]
        from: usize,
        /// How many characters the checksum has.
        digits: usize,
    },
    /// A PEM, OpenSSH, PGP or PuTTY private key: tells whether it is encrypted.
    PrivateKey,
    /// A password in a URL or connection string: rejects placeholders, well-known defaults
    /// and a password equal to its user name.
    Password,
    /// A value that looks generated, not written: letters and digits mixed, not an
    /// identifier or a path (for rules that know no shape, such as the generic ones).
    Random,
}

impl Validator {
    /// Whether the validator proves the key's structure, so that placeholder and entropy
    /// checks on the body would only add false negatives.
    pub fn is_structural(&self) -> bool {
        matches!(
            self,
            Validator::Jwt { .. }
                | Validator::AnyJwt
                | Validator::ClerkPublishableKey
                | Validator::PrivateKey
                | Validator::Password
        )
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

/// A look-alike of a rule's keys: text that must give no hit at all, or (`gives`) exactly one
/// hit of another rule (a JWT that is not a Supabase key is still a JWT).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum NegativeExample {
    /// Text that must give nothing.
    Nothing(String),
    /// Text that must give one hit, of the named rule.
    Other {
        /// The text, with keys split by [`SPLIT_MARKER`].
        text: String,
        /// The rule id it gives instead.
        gives: String,
    },
}

impl NegativeExample {
    /// The text.
    pub fn text(&self) -> &str {
        match self {
            NegativeExample::Nothing(t) | NegativeExample::Other { text: t, .. } => t,
        }
    }

    /// The rule id it must give, if any.
    pub fn gives(&self) -> Option<&str> {
        match self {
            NegativeExample::Nothing(_) => None,
            NegativeExample::Other { gives, .. } => Some(gives),
        }
    }
}

/// A warning a rule declares for every finding of it (a caveat of a public key).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredWarning {
    /// Stable kebab-case code.
    pub code: String,
    /// One sentence for people.
    pub message: String,
}

/// A condition on a match's surroundings: one of these literals within `within` bytes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Near {
    /// Literals, any of which must appear (case-sensitive).
    pub any: Vec<String>,
    /// How far before or after the match, in bytes.
    pub within: usize,
}

/// A secret located next to an identifier found by another rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    /// The id of the identifier's rule.
    pub rule: String,
    /// How far before or after the identifier the secret is looked for, in bytes.
    pub within: usize,
}

/// What a rule's hits are when they stand alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Alone {
    /// Reported.
    #[default]
    Report,
    /// Not reported: the rule only locates secrets paired with it (a Twilio account SID).
    Drop,
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
    /// Where the provider's keys are managed (for the general runbook).
    pub keys_page: Option<String>,
    /// Whether two keys can be active at once during a swap: `yes`, `no` or `unknown`.
    pub overlap: Option<String>,
    /// The runbook for a test key found in production configuration (Clerk: set up the
    /// production instance), added to such findings.
    pub production_runbook: Option<String>,
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
    /// Literals a match starts (or ends) with, case-sensitive.
    pub prefixes: Vec<String>,
    /// Whether the literals start or end the match.
    pub anchor: Anchor,
    /// Literals a key follows on its line, matched without regard to ASCII case.
    pub keywords: Vec<String>,
    /// How far after a keyword its key is looked for, in bytes.
    pub window: usize,
    /// Located next to another rule's identifier.
    pub pair: Option<Pair>,
    /// What hits standing alone are.
    pub alone: Alone,
    /// The pattern as written.
    pub pattern_source: String,
    /// The pattern, anchored at the start of the window it runs on (at the end, for suffix
    /// literals).
    pub pattern: LazyRegex,
    /// The pattern, unanchored: what keyword and pair searches run.
    pub search: LazyRegex,
    /// The capture group holding the secret, when the match holds more than the secret.
    pub secret_group: Option<usize>,
    /// The characters a key is made of: a key may not be preceded or followed by one.
    pub charset: ByteSet,
    /// A pattern that, when it matches the whole key, makes this rule win over other rules
    /// sharing a prefix.
    pub shape: Option<LazyRegex>,
    /// A condition on the match's surroundings, without which the rule does not match; a
    /// rule whose condition holds wins over rules without one.
    pub near: Option<Near>,
    /// How generic the rule is: 0 for a provider's rule; 1 for a generic format (any JWT);
    /// 2 for a container (a URL, an Authorization header). Where several rules match one
    /// key, the least generic wins.
    pub fallback: u8,
    /// Rules in an opt-in group (`generic`) run only when asked for.
    pub opt_in: Option<String>,
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
    pub account: Option<LazyRegex>,
    /// Warnings every finding of this rule carries.
    pub warnings: Vec<DeclaredWarning>,
    /// Id of the runbook that rotates this key.
    pub runbook: String,
    /// What the key grants and why it is or is not safe to expose.
    pub description: String,
    /// Examples that must match.
    pub examples: Vec<Example>,
    /// Look-alikes that must not match.
    pub negative_examples: Vec<NegativeExample>,
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

    /// Compiles every regex of the rule now, reporting the first that cannot be.
    pub fn compile_all(&self) -> Result<(), String> {
        self.pattern.compile()?;
        self.search.compile()?;
        if let Some(s) = &self.shape {
            s.compile()?;
        }
        if let Some(a) = &self.account {
            a.compile()?;
        }
        Ok(())
    }

    /// Whether the key starts at (or ends with) a literal of its own: only then do boundary
    /// and placeholder checks look at the bytes around the literal.
    pub fn has_literal(&self) -> bool {
        !self.prefixes.is_empty()
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
    /// No rules at all.
    pub fn empty() -> RuleSet {
        RuleSet {
            providers: Vec::new(),
            rules: Vec::new(),
            published: HashMap::new(),
        }
    }

    /// The built-in rules and published examples.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::empty();
        compile::add_files(&mut set, builtin::RULE_FILES)?;
        for (file, text) in builtin::PUBLISHED_FILES {
            set.add_published(file, text)?;
        }
        set.check_pairs()?;
        Ok(set)
    }

    /// Adds the rules of one provider file. A provider already known gains the rules.
    pub fn add_file(&mut self, file: &str, text: &str) -> Result<(), RuleError> {
        compile::add_file(self, file, text)
    }

    /// Adds a list of published example digests.
    pub fn add_published(&mut self, file: &str, text: &str) -> Result<(), RuleError> {
        compile::add_published(self, file, text)
    }

    /// Checks that every `pair` names a rule that exists.
    pub fn check_pairs(&self) -> Result<(), RuleError> {
        for r in &self.rules {
            if let Some(p) = &r.pair
                && self.get(&p.rule).is_none()
            {
                return Err(RuleError::Invalid {
                    file: r.file.clone(),
                    rule: r.id.clone(),
                    message: format!("pair: unknown rule `{}`", p.rule),
                });
            }
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

    #[test]
    fn a_rule_needs_a_literal_a_keyword_or_a_pair() {
        let mut set = RuleSet::empty();
        let text = r#"
provider = "x"
display = "X"
[[rule]]
id = "x-key"
name = "X key"
kind = "api-key"
class = "secret"
severity = "high"
prefixes = []
pattern = '[a-z]{32}'
charset = "a-z"
runbook = "x"
description = "x"
"#;
        let err = set.add_file("x.toml", text).unwrap_err().to_string();
        assert!(err.contains("prefixes, keywords or a pair"), "{err}");
    }
}
