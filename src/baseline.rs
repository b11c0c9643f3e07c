//! Baselines: the findings a team has accepted (or is working through), recorded by
//! fingerprint, so that `--baseline FILE` reports only new ones. Entries no longer found are
//! listed as stale, so the file shrinks as leaks are fixed.

use crate::outcome::{Code, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// The version of the baseline file format.
pub const VERSION: u32 = 1;

/// Baselines larger than this are refused (a million findings is not a baseline).
pub const BASELINE_MAX: u64 = 256 << 20;

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file cannot be read.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// The file is not a baseline.
    #[error("{path}: not a leakscope baseline: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The file is a baseline of another format version.
    #[error("{path}: baseline version {version} is not supported (expected {VERSION})")]
    Version {
        /// The file.
        path: String,
        /// Its version.
        version: u32,
    },
}

/// One recorded finding: enough to recognise it and to tell people what it was.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The finding's fingerprint (rule id and key): what matching uses.
    pub fingerprint: String,
    /// Rule id.
    pub rule_id: String,
    /// Where it was.
    pub path: String,
    /// The redacted key.
    pub redacted: String,
}

/// A baseline file.
#[derive(Debug, Serialize, Deserialize)]
pub struct Baseline {
    version: u32,
    tool: String,
    findings: Vec<Entry>,
}

impl Baseline {
    /// The baseline of an outcome's findings (suppressed ones included).
    pub fn of(outcome: &Outcome) -> Baseline {
        let entries: BTreeSet<Entry> = outcome
            .findings
            .iter()
            .map(|f| Entry {
                fingerprint: f.fingerprint.clone(),
                rule_id: f.rule_id.clone(),
                path: f.path.clone(),
                redacted: f.redacted.clone(),
            })
            .collect();
        Baseline {
            version: VERSION,
            tool: "leakscope".into(),
            findings: entries.into_iter().collect(),
        }
    }

    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let shown = path.display().to_string();
        let text = crate::config::read_capped(path, BASELINE_MAX).map_err(|message| {
            BaselineError::Read {
                path: shown.clone(),
                message,
            }
        })?;
        Baseline::parse(&shown, &text)
    }

    /// Parses a baseline file's bytes; `name` is used in messages.
    pub fn parse(name: &str, text: &[u8]) -> Result<Baseline, BaselineError> {
        let b: Baseline = serde_json::from_slice(text).map_err(|e| BaselineError::Invalid {
            path: name.to_string(),
            message: e.to_string(),
        })?;
        if b.version != VERSION {
            return Err(BaselineError::Version {
                path: name.to_string(),
                version: b.version,
            });
        }
        Ok(b)
    }

    /// How many findings it records.
    pub fn len(&self) -> usize {
        self.findings.len()
    }

    /// Whether it records nothing.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// The file's bytes, pretty-printed JSON.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// Drops findings the baseline records, counts them, and lists stale entries as notes.
    pub fn filter(&self, outcome: &mut Outcome) {
        let known: BTreeSet<&str> = self
            .findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        let seen: BTreeSet<String> = outcome
            .findings
            .iter()
            .map(|f| f.fingerprint.clone())
            .collect();
        let before = outcome.findings.len();
        outcome
            .findings
            .retain(|f| !known.contains(f.fingerprint.as_str()));
        outcome.stats.baselined += (before - outcome.findings.len()) as u64;
        for e in self
            .findings
            .iter()
            .filter(|e| !seen.contains(&e.fingerprint))
        {
            outcome.notify(
                Code::StaleBaseline,
                Some(e.path.clone()),
                format!(
                    "{} {} in {}: in the baseline but no longer found; remove it from the baseline",
                    e.rule_id, e.redacted, e.path
                ),
            );
        }
        outcome.finish();
    }
}
