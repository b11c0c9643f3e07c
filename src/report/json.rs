//! The JSON report: one object, `{"version": 1, "tool": {…}, "findings": […],
//! "notifications": […], "plan": {…}, "stats": {…}}`. Each finding carries the SARIF
//! properties plus `ruleId`, `path`, `line`, `column`, `message`. Field names are camelCase;
//! the schema is documented in the README.

use super::{Context, shown_secret, shown_snippet, words};
use crate::finding::Finding;
use crate::outcome::{Notification, Outcome};
use crate::plan::Plan;
use crate::rules::RuleSet;
use crate::runbook::Runbooks;
use crate::vocab::{Class, Encoding, Environment, Exposure, Kind, Severity, Verdict};
use serde::Serialize;
use std::io::{self, Write};

/// The version of the JSON schema; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    scope: Scope<'a>,
    findings: Vec<JsonFinding<'a>>,
    notifications: Vec<JsonNotification<'a>>,
    plan: JsonPlan<'a>,
    stats: Stats,
}

/// What was scanned: the mode, and for git sources the repository and revision; a merged
/// report lists the repositories it joins.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Scope<'a> {
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    repository: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    repositories: &'a [String],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    scanned: u64,
    bytes: u64,
    skipped: u64,
    delta_scans: u64,
    delta_trees: u64,
    suppressed: u64,
    allowed_in_range: u64,
    baselined: u64,
    complete: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonFinding<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    provider: &'a str,
    provider_name: &'a str,
    kind: &'a Kind,
    class: Class,
    environment: Environment,
    verdict: Verdict,
    severity: Severity,
    exposure: Exposure,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: String,
    action: &'static str,
    redacted: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
    secret_sha256: &'a str,
    fingerprint: &'a str,
    encoding: Encoding,
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<&'a str>,
    warnings: Vec<JsonWarning<'a>>,
    runbook: &'a str,
    runbooks: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    alternative_providers: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paired_with: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<JsonToken<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<JsonVerification<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repository: Option<&'a str>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    history: Option<History<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<JsonSuppression<'a>>,
}

/// What the provider said when asked whether the key still works (`--verify`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JsonVerification<'a> {
    pub status: crate::vocab::Liveness,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<&'a str>,
}

impl<'a> JsonVerification<'a> {
    pub(crate) fn of(v: &'a crate::finding::Verification) -> Self {
        JsonVerification {
            status: v.liveness,
            detail: v.detail.as_deref(),
            checked_at: v.checked_at.as_deref(),
        }
    }
}

/// What a token says about itself.
#[derive(Serialize)]
pub(crate) struct JsonToken<'a> {
    pub alg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<String>,
}

impl<'a> JsonToken<'a> {
    pub(crate) fn of(t: &'a crate::matcher::TokenFacts) -> Self {
        JsonToken {
            alg: &t.alg,
            iss: t.iss.as_deref(),
            exp: t.exp.map(words::iso_date),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct JsonSuppression<'a> {
    pub kind: &'static str,
    pub justification: &'a str,
    /// `accepted`, or `underReview` for an allow comment the range under review added.
    pub status: &'static str,
}

/// How many findings only comments added by the range under review allow (they still fail
/// the gate).
pub fn allowed_in_range(outcome: &Outcome) -> u64 {
    outcome
        .findings
        .iter()
        .filter(|f| f.only_proposed())
        .count() as u64
}

/// Suppressions of a finding in wire form.
pub(crate) fn suppressions(f: &Finding) -> Vec<JsonSuppression<'_>> {
    f.suppressions
        .iter()
        .map(|s| JsonSuppression {
            kind: s.kind.as_str(),
            justification: &s.justification,
            status: if s.proposed {
                "underReview"
            } else {
                "accepted"
            },
        })
        .collect()
}

/// Provenance fields of history findings, flattened into the finding.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct History<'a> {
    pub commit: Option<&'a str>,
    pub author: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    pub date: Option<&'a str>,
    pub commits: Vec<IntroducingCommit<'a>>,
    pub paths: &'a [String],
    pub paths_total: usize,
    pub refs: &'a [String],
    pub at_head: bool,
    /// Refs whose tip still holds the secret.
    pub tips: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_in: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_on: Option<&'a str>,
    /// For a key in a commit or tag message: whose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_message: Option<InMessage<'a>>,
    pub blob: &'a str,
}

/// The commit or tag whose message holds a key.
#[derive(Serialize)]
pub(crate) struct InMessage<'a> {
    /// `commit` or `tag`.
    pub kind: &'static str,
    /// The object's full id.
    pub id: &'a str,
    /// The tag's ref name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
}

impl<'a> InMessage<'a> {
    pub(crate) fn of(m: &'a crate::finding::MessageOf) -> Self {
        match m {
            crate::finding::MessageOf::Commit(id) => InMessage {
                kind: "commit",
                id,
                name: None,
            },
            crate::finding::MessageOf::Tag { name, id } => InMessage {
                kind: "tag",
                id,
                name: (!name.is_empty()).then_some(name.as_str()),
            },
        }
    }
}

/// One commit that introduced a secret, with the paths it had there.
#[derive(Serialize)]
pub(crate) struct IntroducingCommit<'a> {
    pub commit: &'a str,
    pub paths: &'a [String],
}

impl<'a> History<'a> {
    pub(crate) fn of(f: &'a Finding) -> Option<History<'a>> {
        let p = f.provenance.as_ref()?;
        Some(History {
            commit: p.commit.as_deref(),
            author: p.author.as_deref(),
            email: p.email.as_deref(),
            date: p.date.as_deref(),
            commits: p
                .commits
                .iter()
                .map(|(c, paths)| IntroducingCommit { commit: c, paths })
                .collect(),
            paths: &p.paths,
            paths_total: p.paths_total,
            refs: &p.refs,
            at_head: p.at_head,
            tips: &p.tips,
            removed_in: p.removed.as_ref().map(|r| r.0.as_str()),
            removed_on: p.removed.as_ref().and_then(|r| r.1.as_deref()),
            in_message: p.message_of.as_ref().map(InMessage::of),
            blob: &p.blob,
        })
    }
}

#[derive(Serialize)]
pub(crate) struct JsonWarning<'a> {
    pub code: &'a str,
    pub message: String,
}

#[derive(Serialize)]
struct JsonNotification<'a> {
    level: &'static str,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
    message: &'a str,
}

/// Warnings of a finding in wire form.
pub(crate) fn warnings(f: &Finding) -> Vec<JsonWarning<'_>> {
    f.warnings
        .iter()
        .map(|w| JsonWarning {
            code: w.code(),
            message: words::warning(w),
        })
        .collect()
}

fn notification(n: &Notification) -> JsonNotification<'_> {
    JsonNotification {
        level: n.level().as_str(),
        code: n.code.as_str(),
        subject: n.subject.as_deref(),
        message: &n.message,
    }
}

/// Writes the JSON report, pretty-printed, with a trailing newline.
pub fn write(out: &mut dyn Write, outcome: &Outcome, ctx: &Context<'_>) -> io::Result<()> {
    let report = Report {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "leakscope",
            version: env!("CARGO_PKG_VERSION"),
        },
        scope: Scope {
            mode: ctx.mode.as_str(),
            repository: ctx.revision.as_ref().map(|r| r.name.as_str()),
            revision: ctx.revision.as_ref().and_then(|r| r.commit.as_deref()),
            branch: ctx.revision.as_ref().and_then(|r| r.branch.as_deref()),
            repositories: &ctx.repositories,
        },
        findings: outcome
            .findings
            .iter()
            .map(|f| JsonFinding {
                rule_id: &f.rule_id,
                rule_name: &f.rule_name,
                provider: &f.provider,
                provider_name: &f.provider_display,
                kind: &f.kind,
                class: f.class,
                environment: f.environment,
                verdict: f.verdict,
                severity: f.severity,
                exposure: f.exposure,
                path: &f.path,
                line: f.location.line,
                column: f.location.column,
                end_line: f.location.end_line,
                end_column: f.location.end_column,
                message: words::message(f),
                action: f.action.as_str(),
                redacted: &f.redacted,
                secret: ctx.show_secrets.then(|| shown_secret(f, ctx)),
                secret_sha256: &f.secret_sha256,
                fingerprint: &f.fingerprint,
                encoding: f.encoding,
                snippet: shown_snippet(f, ctx),
                warnings: warnings(f),
                runbook: f.runbooks.first().map_or("", String::as_str),
                runbooks: &f.runbooks,
                alternative_providers: &f.alternatives,
                project: f.project.as_deref(),
                published: f.published.as_deref(),
                paired_with: f.paired.as_deref(),
                token: f.token.as_ref().map(JsonToken::of),
                verification: f.verification.as_ref().map(JsonVerification::of),
                repository: f.repository.as_deref(),
                history: History::of(f),
                suppressions: suppressions(f),
            })
            .collect(),
        notifications: outcome.notifications.iter().map(notification).collect(),
        plan: JsonPlan::of(ctx.plan, outcome, ctx.runbooks, ctx.rules),
        stats: Stats {
            scanned: outcome.stats.scanned,
            bytes: outcome.stats.bytes,
            skipped: outcome.stats.skipped,
            delta_scans: outcome.stats.delta_scans,
            delta_trees: outcome.stats.delta_trees,
            suppressed: outcome.findings.iter().filter(|f| f.suppressed()).count() as u64,
            allowed_in_range: allowed_in_range(outcome),
            baselined: outcome.stats.baselined,
            complete: outcome.complete(),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

/// The rotation plan in wire form: secrets are named by `secretSha256`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JsonPlan<'a> {
    steps: Vec<JsonStep<'a>>,
    keep_private: Vec<&'a str>,
    public: Vec<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonStep<'a> {
    order: usize,
    provider: &'a str,
    secrets: Vec<JsonPlanSecret<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    together: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    also_affected: Vec<&'a str>,
    runbooks: Vec<JsonRunbook>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonPlanSecret<'a> {
    secret_sha256: &'a str,
    rule_id: &'a str,
    redacted: &'a str,
    severity: Severity,
    paths: &'a [String],
}

#[derive(Serialize)]
struct JsonRunbook {
    id: String,
    title: String,
    steps: Vec<JsonRunbookStep>,
}

#[derive(Serialize)]
struct JsonRunbookStep {
    phase: &'static str,
    text: String,
}

impl<'a> JsonPlan<'a> {
    /// The plan, with each step's runbooks spelled out.
    pub(crate) fn of(
        plan: &'a Plan,
        outcome: &'a Outcome,
        runbooks: &'a Runbooks,
        rules: &'a RuleSet,
    ) -> Self {
        let sha = |i: &usize| plan.secrets[*i].first(outcome).secret_sha256.as_str();
        JsonPlan {
            steps: plan
                .steps
                .iter()
                .enumerate()
                .map(|(n, step)| JsonStep {
                    order: n + 1,
                    provider: &plan.secrets[step.secrets[0]].first(outcome).provider,
                    secrets: step
                        .secrets
                        .iter()
                        .map(|&i| {
                            let s = &plan.secrets[i];
                            let f = s.first(outcome);
                            JsonPlanSecret {
                                secret_sha256: &f.secret_sha256,
                                rule_id: &f.rule_id,
                                redacted: &f.redacted,
                                severity: s.severity,
                                paths: &s.paths,
                            }
                        })
                        .collect(),
                    together: step.together.map(|t| t.as_str()),
                    also_affected: step.also_affected.iter().map(sha).collect(),
                    runbooks: {
                        let provider = &plan.secrets[step.secrets[0]].first(outcome).provider;
                        let p = rules.providers.iter().find(|p| &p.id == provider);
                        step.runbooks
                            .iter()
                            .filter_map(|id| runbooks.resolve(id, p))
                            .map(|rb| JsonRunbook {
                                id: rb.id.clone(),
                                title: rb.title.clone(),
                                steps: rb
                                    .steps
                                    .iter()
                                    .map(|s| JsonRunbookStep {
                                        phase: s.phase.as_str(),
                                        text: s.text.clone(),
                                    })
                                    .collect(),
                            })
                            .collect()
                    },
                })
                .collect(),
            keep_private: plan.keep_private.iter().map(sha).collect(),
            public: plan.public.iter().map(sha).collect(),
        }
    }
}
