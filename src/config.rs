//! `.leakscope.toml`: allowed paths and fingerprints, disabled rules, severity overrides, the
//! default `--fail-on`, and custom rules in the same schema as the built-in provider files.
//!
//! Found at the root of the repository being scanned, or given with `--config`. A malformed
//! file is rejected with its path, line, column and what was expected.

use crate::rules::{RuleError, RuleSet};
use crate::vocab::{Gate, Severity};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file name looked for at a repository's root.
pub const FILE_NAME: &str = ".leakscope.toml";

/// Configuration and baseline files larger than this are refused: no honest one comes close.
pub const MAX_SIZE: u64 = 4 << 20;

/// Reads a file named on the command line or found in the tree: a regular file or a pipe,
/// at most `limit` bytes (a device, a directory or an endless stream is refused).
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    let ft = meta.file_type();
    #[cfg(unix)]
    let pipe = std::os::unix::fs::FileTypeExt::is_fifo(&ft);
    #[cfg(not(unix))]
    let pipe = false;
    if !ft.is_file() && !pipe {
        return Err("not a regular file or a pipe".into());
    }
    if ft.is_file() && meta.len() > limit {
        return Err(format!("larger than {limit} bytes"));
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than {limit} bytes"));
    }
    Ok(bytes)
}

/// Why a configuration file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// The file is not valid TOML, or does not fit the schema.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was expected.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    fail_on: Option<toml::Spanned<String>>,
    #[serde(default)]
    trust_inline_allow: bool,
    #[serde(default)]
    allow: RawAllow,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    provider: Vec<toml::Spanned<toml::Table>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    #[serde(default)]
    paths: Vec<toml::Spanned<String>>,
    #[serde(default)]
    fingerprints: Vec<AllowedFingerprint>,
}

/// A fingerprint allowed by the configuration, and why.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowedFingerprint {
    /// The finding's `fingerprint`.
    pub fingerprint: String,
    /// Why it is allowed (shown as the suppression's justification).
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    disable: Vec<toml::Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<String, toml::Spanned<String>>,
}

/// A loaded configuration.
#[derive(Debug, Default)]
pub struct Config {
    /// Where it came from.
    pub path: Option<PathBuf>,
    /// What the messages call the file (its path, or `A:path` for a file read from git).
    pub name: String,
    /// Default gate.
    pub fail_on: Option<Gate>,
    /// With `--range`, whether `leakscope:allow` comments that the range adds pass the gate.
    pub trust_inline_allow: bool,
    /// Path globs whose findings are suppressed, as written.
    pub allow_paths: Vec<String>,
    allow_set: Option<GlobSet>,
    /// Fingerprints whose findings are suppressed.
    pub allow_fingerprints: Vec<AllowedFingerprint>,
    disable: Vec<toml::Spanned<String>>,
    severity: BTreeMap<String, toml::Spanned<String>>,
    providers: Vec<toml::Spanned<toml::Table>>,
    text: String,
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Config {
    /// Loads and checks a configuration file: a regular file or a pipe (`<(…)`), at most
    /// [`MAX_SIZE`] bytes.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let bytes = read_capped(path, MAX_SIZE).map_err(|message| ConfigError::Read {
            path: shown.clone(),
            message,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| ConfigError::Read {
            path: shown.clone(),
            message: "not UTF-8 text".into(),
        })?;
        Config::parse(&shown, &text).map(|mut c| {
            c.path = Some(path.to_path_buf());
            c
        })
    }

    /// Parses configuration text; `name` is used in messages.
    pub fn parse(name: &str, text: &str) -> Result<Config, ConfigError> {
        let invalid = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            ConfigError::Invalid {
                path: name.to_string(),
                line,
                column,
                message,
            }
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            invalid(offset, e.message().trim_end().to_string())
        })?;
        let fail_on = match raw.fail_on {
            Some(v) => Some(
                v.get_ref().parse::<Gate>().map_err(|_| {
                    invalid(
                        v.span().start,
                        format!(
                            "fail_on: expected one of critical, high, medium, low, info, never, found `{}`",
                            v.get_ref()
                        ),
                    )
                })?,
            ),
            None => None,
        };
        let mut builder = GlobSetBuilder::new();
        let mut allow_paths = Vec::new();
        for p in &raw.allow.paths {
            let glob = Glob::new(p.get_ref())
                .map_err(|e| invalid(p.span().start, format!("allow.paths: {e}")))?;
            builder.add(glob);
            allow_paths.push(p.get_ref().clone());
        }
        let allow_set = builder
            .build()
            .map_err(|e| invalid(0, format!("allow.paths: {e}")))?;
        for f in &raw.allow.fingerprints {
            if f.fingerprint.len() != 64 || !f.fingerprint.bytes().all(|c| c.is_ascii_hexdigit()) {
                let at = text.find(&f.fingerprint).unwrap_or(0);
                return Err(invalid(
                    at,
                    format!(
                        "allow.fingerprints: `{}` is not a fingerprint (64 hex digits, as reports print)",
                        f.fingerprint
                    ),
                ));
            }
        }
        for (rule, sev) in &raw.rules.severity {
            sev.get_ref()
                .parse::<Severity>()
                .map_err(|e| invalid(sev.span().start, format!("rules.severity.{rule}: {e}")))?;
        }
        Ok(Config {
            path: None,
            name: name.to_string(),
            fail_on,
            trust_inline_allow: raw.trust_inline_allow,
            allow_paths,
            allow_set: Some(allow_set),
            allow_fingerprints: raw.allow.fingerprints,
            disable: raw.rules.disable,
            severity: raw.rules.severity,
            providers: raw.provider,
            text: text.to_string(),
        })
    }

    /// Finds `.leakscope.toml` in `dir` or its ancestors up to the work tree's root (the
    /// first directory holding `.git`), or in `dir` alone outside git: a file in a shared
    /// parent directory (`/tmp`, a home directory) never configures a scan. Only a regular
    /// file counts (a symbolic link is not followed); anything else is named in the error.
    pub fn discover(dir: &Path) -> Result<Option<PathBuf>, ConfigError> {
        let root =
            std::iter::successors(Some(dir), |d| d.parent()).find(|d| d.join(".git").exists());
        let stop = root.unwrap_or(dir);
        let mut d = Some(dir);
        while let Some(cur) = d {
            let candidate = cur.join(FILE_NAME);
            match std::fs::symlink_metadata(&candidate) {
                Ok(m) if m.file_type().is_file() => return Ok(Some(candidate)),
                Ok(_) => {
                    return Err(ConfigError::Read {
                        path: candidate.display().to_string(),
                        message:
                            "not a regular file (a symbolic link, directory or device): not read"
                                .into(),
                    });
                }
                Err(_) => {}
            }
            if cur == stop {
                return Ok(None);
            }
            d = cur.parent();
        }
        Ok(None)
    }

    /// What `new` (the configuration a range brings) would change over `self` (the one in
    /// force), in words; empty when nothing that matters changes.
    pub fn describe_change(&self, new: &Config) -> Vec<String> {
        let mut out = Vec::new();
        let added = |a: &[String], b: &[String]| -> Vec<String> {
            b.iter().filter(|x| !a.contains(x)).cloned().collect()
        };
        let disable =
            |c: &Config| -> Vec<String> { c.disable.iter().map(|d| d.get_ref().clone()).collect() };
        let d = added(&disable(self), &disable(new));
        if !d.is_empty() {
            out.push(format!("disables rules {}", d.join(", ")));
        }
        let p = added(&self.allow_paths, &new.allow_paths);
        if !p.is_empty() {
            out.push(format!("allows paths {}", p.join(", ")));
        }
        let fps = |c: &Config| -> Vec<String> {
            c.allow_fingerprints
                .iter()
                .map(|f| f.fingerprint.to_lowercase())
                .collect()
        };
        let f = added(&fps(self), &fps(new));
        if !f.is_empty() {
            out.push(format!("allows {} fingerprint(s)", f.len()));
        }
        if self.fail_on != new.fail_on {
            out.push(format!(
                "sets fail_on to {}",
                new.fail_on
                    .map_or("the default".to_string(), |g| g.to_string())
            ));
        }
        let sev = |c: &Config| -> Vec<String> {
            c.severity
                .iter()
                .map(|(k, v)| format!("{k}={}", v.get_ref()))
                .collect()
        };
        let s = added(&sev(self), &sev(new));
        if !s.is_empty() {
            out.push(format!("overrides severities ({})", s.join(", ")));
        }
        if new.providers.len() != self.providers.len()
            || new
                .providers
                .iter()
                .zip(&self.providers)
                .any(|(a, b)| a.get_ref() != b.get_ref())
        {
            out.push("changes custom rules".into());
        }
        if new.trust_inline_allow && !self.trust_inline_allow {
            out.push("trusts inline allow comments".into());
        }
        out
    }

    fn name(&self) -> String {
        if self.name.is_empty() {
            FILE_NAME.to_string()
        } else {
            self.name.clone()
        }
    }

    fn invalid(&self, offset: usize, message: String) -> ConfigError {
        let (line, column) = line_col(&self.text, offset);
        ConfigError::Invalid {
            path: self.name(),
            line,
            column,
            message,
        }
    }

    /// Applies custom rules, disabled rules and severity overrides to `rules`. Returns the ids
    /// of the custom rules (whose examples the caller checks).
    pub fn apply(
        &self,
        rules: &mut RuleSet,
        runbooks: &crate::runbook::Runbooks,
    ) -> Result<Vec<String>, ConfigError> {
        let mut custom = Vec::new();
        for p in &self.providers {
            let before: Vec<String> = rules.rules.iter().map(|r| r.id.clone()).collect();
            let text = toml::to_string(p.get_ref())
                .map_err(|e| self.invalid(p.span().start, e.to_string()))?;
            rules.add_file(&self.name(), &text).map_err(|e| {
                let message = match e {
                    RuleError::Parse { message, .. } => format!("provider: {message}"),
                    RuleError::Invalid { rule, message, .. } => {
                        format!("provider rule `{rule}`: {message}")
                    }
                };
                self.invalid(p.span().start, message)
            })?;
            for r in &rules.rules {
                if !before.contains(&r.id) {
                    if let Err(e) = r.compile_all() {
                        return Err(
                            self.invalid(p.span().start, format!("rule `{}`: pattern: {e}", r.id))
                        );
                    }
                    if runbooks.get(&r.runbook).is_none() {
                        return Err(self.invalid(
                            p.span().start,
                            format!("rule `{}`: unknown runbook `{}` (use a built-in runbook id such as `general`)", r.id, r.runbook),
                        ));
                    }
                    custom.push(r.id.clone());
                }
            }
        }
        for d in &self.disable {
            if rules.get(d.get_ref()).is_none() {
                return Err(self.invalid(
                    d.span().start,
                    format!(
                        "rules.disable: unknown rule `{}` (see `leakscope rules`)",
                        d.get_ref()
                    ),
                ));
            }
        }
        let disabled: Vec<&str> = self.disable.iter().map(|d| d.get_ref().as_str()).collect();
        rules.retain(|r| !disabled.contains(&r.id.as_str()));
        for (id, sev) in &self.severity {
            let severity: Severity = sev
                .get_ref()
                .parse()
                .map_err(|e: String| self.invalid(sev.span().start, e))?;
            match rules.rules.iter_mut().find(|r| &r.id == id) {
                Some(r) => r.severity_override = Some(severity),
                None => {
                    return Err(self.invalid(
                        sev.span().start,
                        format!("rules.severity: unknown rule `{id}` (see `leakscope rules`)"),
                    ));
                }
            }
        }
        Ok(custom)
    }

    /// Why a finding at `path` with `fingerprint` is allowed, if it is.
    pub fn allowed(&self, path: &str, fingerprint: &str) -> Option<String> {
        if let Some(f) = self
            .allow_fingerprints
            .iter()
            .find(|f| f.fingerprint.eq_ignore_ascii_case(fingerprint))
        {
            return Some(f.reason.clone());
        }
        let set = self.allow_set.as_ref()?;
        let hits = set.matches(path);
        let first = hits.first()?;
        Some(format!(
            "path allowed by `{}` in {}",
            self.allow_paths[*first], FILE_NAME
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_config_names_line_and_column() {
        let err = Config::parse(
            "cfg.toml",
            "fail_on = \"high\"\n[allow]\npaths = \"not-a-list\"\n",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("cfg.toml:3:9: "), "{msg}");
        assert!(msg.contains("expected"), "{msg}");
        let err = Config::parse("cfg.toml", "fail_on = \"sometimes\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("cfg.toml:1:11: fail_on: expected one of"),
            "{err}"
        );
        let err = Config::parse("cfg.toml", "[rules]\nunknown = 1\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("cfg.toml:2:1: ") && err.contains("unknown field"),
            "{err}"
        );
    }

    #[test]
    fn allow_paths_and_fingerprints() {
        let fp = "a".repeat(64);
        let c = Config::parse(
            "c",
            &format!("[allow]\npaths = [\"fixtures/**\"]\nfingerprints = [{{ fingerprint = \"{fp}\", reason = \"revoked in 2024\" }}]\n"),
        )
        .unwrap();
        assert!(
            c.allowed("fixtures/a/b.env", "x")
                .unwrap()
                .contains("fixtures/**")
        );
        assert_eq!(
            c.allowed("src/a.env", &fp).as_deref(),
            Some("revoked in 2024")
        );
        assert_eq!(c.allowed("src/a.env", "x"), None);
    }
}
