//! `leakscope merge`: joins per-repository JSON reports into one report, in any format. Each
//! finding keeps its repository, so one secret found in three repositories is one secret of
//! the plan with each repository's provenance ("in 3 repositories").
//!
//! Reports carry keys redacted (unless made with `--show-secrets`); the merged report shows
//! what its inputs showed and groups by `secretSha256`, never by key text.

use crate::finding::{
    Action, Finding, Location, MessageOf, Provenance, Secret, Snippet, Suppression,
    SuppressionKind, Verification, Warning,
};
use crate::outcome::{Code, Notification, Outcome};
use crate::report::Mode;
use crate::vocab::{Class, Encoding, Environment, Exposure, Kind, Liveness, Severity, Verdict};
use serde::Deserialize;
use std::path::Path;

/// The largest report `merge` reads.
const MAX_REPORT: u64 = 1 << 30;

/// Why a report cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// It cannot be read.
    #[error("{path}: {message}")]
    Read {
        /// The report.
        path: String,
        /// Why.
        message: String,
    },
    /// It is not a leakscope JSON report.
    #[error("{path}: not a leakscope JSON report ({message})")]
    Format {
        /// The report.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// The joined reports.
pub struct Merged {
    /// Every finding, each with its repository.
    pub outcome: Outcome,
    /// History (or range) when every input is, else scan.
    pub mode: Mode,
    /// The repositories joined, in the order given.
    pub repositories: Vec<String>,
}

/// Reads and joins `paths`.
pub fn merge(paths: &[impl AsRef<Path>]) -> Result<Merged, MergeError> {
    let mut outcome = Outcome::default();
    let mut repositories = Vec::new();
    let mut all_history = true;
    for p in paths {
        let p = p.as_ref();
        let shown = p.display().to_string();
        let text = crate::config::read_capped(p, MAX_REPORT).map_err(|e| MergeError::Read {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let report: ReadReport = serde_json::from_slice(&text).map_err(|e| MergeError::Format {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        if report.tool.name != "leakscope" {
            return Err(MergeError::Format {
                path: shown,
                message: format!("made by {}", report.tool.name),
            });
        }
        all_history &= matches!(report.scope.mode.as_str(), "history" | "range");
        let repo = report.scope.repository.clone().unwrap_or_else(|| {
            p.file_stem()
                .map_or_else(|| shown.clone(), |s| s.to_string_lossy().into_owned())
        });
        if !repositories.contains(&repo) {
            repositories.push(repo.clone());
        }
        for f in report.findings {
            let mut f = f.into_finding();
            if f.repository.is_none() {
                f.repository = Some(repo.clone());
            }
            outcome.findings.push(f);
        }
        for n in report.notifications {
            let code = Code::parse(&n.code).unwrap_or(Code::Unreadable);
            outcome.notifications.push(Notification::new(
                code,
                n.subject,
                format!("{repo}: {}", n.message),
            ));
        }
        if !report.stats.complete && !outcome.notifications.iter().any(|n| !n.message.is_empty()) {
            outcome.notifications.push(Notification::new(
                Code::Unreadable,
                None,
                format!("{repo}: the report says its scan was incomplete"),
            ));
        }
        outcome.stats.scanned += report.stats.scanned;
        outcome.stats.bytes += report.stats.bytes;
        outcome.stats.skipped += report.stats.skipped;
    }
    outcome.finish();
    Ok(Merged {
        outcome,
        mode: if all_history && !paths.is_empty() {
            Mode::History
        } else {
            Mode::Scan
        },
        repositories,
    })
}

#[derive(Deserialize)]
struct ReadReport {
    tool: ReadTool,
    #[serde(default)]
    scope: ReadScope,
    findings: Vec<ReadFinding>,
    #[serde(default)]
    notifications: Vec<ReadNotification>,
    stats: ReadStats,
}

#[derive(Deserialize)]
struct ReadTool {
    name: String,
}

#[derive(Deserialize, Default)]
struct ReadScope {
    #[serde(default)]
    mode: String,
    repository: Option<String>,
}

#[derive(Deserialize)]
struct ReadNotification {
    code: String,
    subject: Option<String>,
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadStats {
    #[serde(default)]
    scanned: u64,
    #[serde(default)]
    bytes: u64,
    #[serde(default)]
    skipped: u64,
    #[serde(default = "yes")]
    complete: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadFinding {
    rule_id: String,
    rule_name: Option<String>,
    provider: String,
    provider_name: Option<String>,
    kind: Kind,
    class: Class,
    environment: Environment,
    verdict: Verdict,
    severity: Severity,
    exposure: Exposure,
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    action: String,
    redacted: String,
    secret: Option<String>,
    secret_sha256: String,
    fingerprint: String,
    encoding: Encoding,
    snippet: Option<String>,
    #[serde(default)]
    warnings: Vec<ReadWarning>,
    #[serde(default)]
    runbooks: Vec<String>,
    #[serde(default)]
    alternative_providers: Vec<String>,
    project: Option<String>,
    published: Option<String>,
    paired_with: Option<String>,
    verification: Option<ReadVerification>,
    repository: Option<String>,
    // History.
    commit: Option<String>,
    author: Option<String>,
    email: Option<String>,
    date: Option<String>,
    #[serde(default)]
    commits: Vec<ReadCommit>,
    #[serde(default)]
    paths: Option<Vec<String>>,
    #[serde(default)]
    paths_total: usize,
    #[serde(default)]
    refs: Vec<String>,
    #[serde(default)]
    at_head: bool,
    #[serde(default)]
    tips: Vec<String>,
    removed_in: Option<String>,
    removed_on: Option<String>,
    in_message: Option<ReadInMessage>,
    blob: Option<String>,
    #[serde(default)]
    suppressions: Vec<ReadSuppression>,
}

#[derive(Deserialize)]
struct ReadWarning {
    code: String,
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadVerification {
    status: Liveness,
    detail: Option<String>,
    checked_at: Option<String>,
}

#[derive(Deserialize)]
struct ReadCommit {
    commit: String,
    paths: Vec<String>,
}

#[derive(Deserialize)]
struct ReadInMessage {
    kind: String,
    id: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct ReadSuppression {
    kind: String,
    justification: String,
    status: String,
}

impl ReadFinding {
    fn into_finding(self) -> Finding {
        let message_of = self.in_message.map(|m| match m.kind.as_str() {
            "commit" => MessageOf::Commit(m.id),
            _ => MessageOf::Tag {
                name: m.name.unwrap_or_default(),
                id: m.id,
            },
        });
        let provenance = self.blob.is_some().then(|| Provenance {
            commit: self.commit,
            author: self.author,
            email: self.email,
            date: self.date,
            commits: self
                .commits
                .into_iter()
                .map(|c| (c.commit, c.paths))
                .collect(),
            paths: self.paths.unwrap_or_default(),
            paths_total: self.paths_total,
            refs: self.refs,
            at_head: self.at_head,
            tips: self.tips,
            removed: self.removed_in.map(|c| (c, self.removed_on)),
            message_of,
            blob: self.blob.unwrap_or_default(),
        });
        let action = action(&self.action, provenance.as_ref());
        let repository = self.repository;
        let location_fingerprint = {
            use sha2::{Digest, Sha256};
            let mut h = Sha256::new();
            h.update(self.fingerprint.as_bytes());
            h.update(repository.as_deref().unwrap_or("").as_bytes());
            h.update(self.path.as_bytes());
            crate::finding::hex(&h.finalize())
        };
        Finding {
            rule_name: self.rule_name.unwrap_or_else(|| self.rule_id.clone()),
            rule_id: self.rule_id,
            provider_display: self.provider_name.unwrap_or_else(|| self.provider.clone()),
            provider: self.provider,
            kind: self.kind,
            class: self.class,
            environment: self.environment,
            verdict: self.verdict,
            severity: self.severity,
            exposure: self.exposure,
            path: self.path,
            location: Location {
                line: self.line,
                column: self.column,
                end_line: self.end_line,
                end_column: self.end_column,
            },
            snippet: self.snippet.map(|s| Snippet {
                redacted: s.clone(),
                raw: s,
            }),
            secret: Secret::new(self.secret.as_deref().unwrap_or(&self.redacted).as_bytes()),
            redacted: self.redacted,
            secret_sha256: self.secret_sha256,
            fingerprint: self.fingerprint,
            location_fingerprint,
            encoding: self.encoding,
            warnings: self
                .warnings
                .into_iter()
                .map(|w| Warning::Declared {
                    code: w.code,
                    message: w.message,
                })
                .collect(),
            action,
            reasons: Vec::new(),
            runbooks: self.runbooks,
            alternatives: self.alternative_providers,
            project: self.project,
            published: self.published,
            paired: self.paired_with,
            paired_key: None,
            token: None,
            account: None,
            provenance,
            suppressions: self
                .suppressions
                .into_iter()
                .map(|s| Suppression {
                    kind: if s.kind == "inSource" {
                        SuppressionKind::InSource
                    } else {
                        SuppressionKind::External
                    },
                    justification: s.justification,
                    proposed: s.status == "underReview",
                })
                .collect(),
            verification: self.verification.map(|v| Verification {
                liveness: v.status,
                detail: v.detail,
                checked_at: v.checked_at,
            }),
            repository,
        }
    }
}

/// The action a report's `action` word and provenance stand for.
fn action(word: &str, p: Option<&Provenance>) -> Action {
    match (word, p) {
        ("none", _) => Action::NoneNeeded,
        ("none-published-example", _) => Action::PublishedExample,
        ("unstage", _) => Action::KeepStaged,
        ("keep-ignored", _) => Action::KeepIgnored,
        ("ignore-file", _) => Action::KeepUntracked,
        ("rotate-now", _) => Action::RotateClient,
        ("rotate", Some(p)) if !p.tips.is_empty() => Action::RotateAtTip,
        ("rotate", Some(_)) => Action::RotateCommitted,
        ("rotate-and-rewrite-history", Some(p)) if p.message_of.is_some() => {
            Action::RotateInMessage
        }
        ("rotate-and-rewrite-history", Some(p)) if p.refs.is_empty() => Action::RotateUnreachable,
        ("rotate-and-rewrite-history", _) => Action::RotateRemoved,
        ("rotate-before-merge", Some(p)) => Action::RotateBeforeMerge {
            commit: p.commit.clone().unwrap_or_default(),
            range: String::new(),
        },
        _ => Action::RotateTracked,
    }
}
