//! The SARIF 2.1.0 report, shaped for GitHub code scanning: one run, `tool.driver.rules`
//! describing the rules its results use (with the runbook as `help.markdown`), results with
//! `%SRCROOT%`-relative locations, `partialFingerprints["leakscope/v2"]`, and the finding's vocabulary in
//! `properties`. Scan problems go to `invocations[0].toolExecutionNotifications`.

use super::{Context, json::History, words};
use crate::finding::Finding;
use crate::outcome::{Code, Level, Outcome};
use crate::rules::Rule;
use crate::vocab::{Class, Severity};
use serde_json::{Value, json};
use serde_sarif::sarif;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The key of our entry in `partialFingerprints`: from rule, secret and path, so one secret
/// at three paths is three alerts (baselines keep the rule-and-secret `leakscope/v1`).
pub const FINGERPRINT_KEY: &str = "leakscope/v2";

/// GitHub code scanning's limit on results per run: the most severe are kept.
pub const MAX_RESULTS: usize = 25_000;

/// Related locations per result: the other places a secret entered. The result's properties
/// list every path (up to 100); a few related locations are what a viewer shows, and with
/// thousands of copies of a key, a hundred per result made the log gigabytes.
pub const MAX_RELATED: usize = 10;

/// The SARIF level of a severity.
pub fn level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Critical | Severity::High => sarif::ResultLevel::Error,
        Severity::Medium | Severity::Low => sarif::ResultLevel::Warning,
        Severity::Info => sarif::ResultLevel::Note,
    }
}

/// GitHub's `security-severity` score of a severity. GitHub reads it from the rule, not the
/// result: hence a descriptor per (rule, severity) that occurs.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::Info => "0.1",
    }
}

/// The severity a rule's own descriptor states: that of its exposed live keys.
fn base_severity(rule: &Rule) -> Severity {
    match rule.class {
        Class::Publishable => Severity::Info,
        Class::Secret => rule.severity_override.unwrap_or(rule.severity),
    }
}

/// The descriptor id of a finding: its rule's id at the rule's base severity,
/// `<rule id>/<severity>` at any other.
fn descriptor_id(rule: &Rule, severity: Severity) -> String {
    if severity == base_severity(rule) {
        rule.id.clone()
    } else {
        format!("{}/{severity}", rule.id)
    }
}

fn text(s: &str) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder().text(s).build()
}

fn rule_descriptor(
    rule: &Rule,
    severity: Severity,
    ctx: &Context<'_>,
) -> sarif::ReportingDescriptor {
    let id = descriptor_id(rule, severity);
    let provider = ctx.rules.provider(rule);
    let help = ctx.runbooks.markdown(&rule.runbook, Some(provider), 2);
    let help_text = format!(
        "{} Rotation runbook: `leakscope explain {}`.",
        rule.description, rule.id
    );
    let mut props = BTreeMap::new();
    props.insert(
        "security-severity".to_string(),
        json!(security_severity(severity)),
    );
    props.insert("precision".to_string(), json!("high"));
    props.insert("provider".to_string(), json!(provider.id));
    props.insert("kind".to_string(), json!(&rule.kind));
    props.insert("class".to_string(), json!(rule.class));
    sarif::ReportingDescriptor::builder()
        .id(id.clone())
        .name(camel(&id))
        .short_description(text(&rule.name))
        .full_description(text(&rule.description))
        .help(
            sarif::MultiformatMessageString::builder()
                .text(help_text)
                .markdown(help)
                .build(),
        )
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(json!(level(severity)))
                .build(),
        )
        .properties(
            sarif::PropertyBag::builder()
                .tags(vec![
                    "security".to_string(),
                    "secret".to_string(),
                    "external/cwe/cwe-798".to_string(),
                    provider.id.clone(),
                ])
                .additional_properties(props)
                .build(),
        )
        .build()
}

/// `stripe-secret-key` → `StripeSecretKey`; a one-word id gets `Rule` appended, since SARIF
/// wants a rule's name to differ from its id (`jwt` → `JwtRule`).
fn camel(id: &str) -> String {
    let name: String = id
        .split(['-', '/'])
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect();
    if name.eq_ignore_ascii_case(id) {
        name + "Rule"
    } else {
        name
    }
}

/// A `%SRCROOT%`-relative artifact location.
fn artifact(path: &str) -> sarif::ArtifactLocation {
    sarif::ArtifactLocation::builder()
        .uri(uri(path))
        .uri_base_id("%SRCROOT%")
        .build()
}

fn location(
    path: &str,
    f: &Finding,
    snippet: Option<&str>,
    message: Option<String>,
) -> sarif::Location {
    let loc = f.location;
    let mut region = sarif::Region::builder()
        .start_line(loc.line as i64)
        .start_column(loc.column as i64)
        .end_line(loc.end_line as i64)
        .end_column(loc.end_column as i64)
        .build();
    if let Some(s) = snippet {
        region.snippet = Some(sarif::ArtifactContent::builder().text(s).build());
    }
    let mut l = sarif::Location::builder()
        .physical_location(
            sarif::PhysicalLocation::builder()
                .artifact_location(artifact(path))
                .region(region)
                .build(),
        )
        .build();
    if let Some(m) = message {
        l.message = Some(sarif::Message::builder().text(m).build());
    }
    l
}

/// A relative path as a URI reference: `/`-separated, percent-encoding what RFC 3986 does not
/// allow in a path.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let ok = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b);
        if ok {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn properties(f: &Finding, ctx: &Context<'_>) -> sarif::PropertyBag {
    let mut p: BTreeMap<String, Value> = BTreeMap::new();
    p.insert("provider".into(), json!(f.provider));
    p.insert("kind".into(), json!(&f.kind));
    p.insert("environment".into(), json!(f.environment));
    p.insert("verdict".into(), json!(f.verdict));
    p.insert("severity".into(), json!(f.severity));
    p.insert("exposure".into(), json!(f.exposure));
    p.insert("secretSha256".into(), json!(f.secret_sha256));
    p.insert("redacted".into(), json!(f.redacted));
    p.insert("warnings".into(), json!(super::json::warnings(f)));
    p.insert("fingerprint".into(), json!(f.fingerprint));
    p.insert("encoding".into(), json!(f.encoding));
    p.insert("runbooks".into(), json!(f.runbooks));
    if !f.alternatives.is_empty() {
        p.insert("alternativeProviders".into(), json!(f.alternatives));
    }
    if let Some(project) = &f.project {
        p.insert("project".into(), json!(project));
    }
    if let Some(id) = &f.paired {
        p.insert("pairedWith".into(), json!(id));
    }
    if let Some(t) = &f.token {
        p.insert("token".into(), json!(super::json::JsonToken::of(t)));
    }
    if let Some(v) = &f.verification {
        p.insert(
            "verification".into(),
            json!(super::json::JsonVerification::of(v)),
        );
    }
    if ctx.show_secrets {
        p.insert("secret".into(), json!(f.secret.expose()));
    }
    if let Some(Value::Object(map)) = History::of(f).map(|h| json!(h)) {
        p.extend(map);
    }
    sarif::PropertyBag::builder()
        .additional_properties(p)
        .build()
}

/// Writes the SARIF log, pretty-printed, with a trailing newline.
pub fn write(out: &mut dyn Write, outcome: &Outcome, ctx: &Context<'_>) -> io::Result<()> {
    // Public-safe findings are not alerts: left out unless asked for (then as notes).
    let shown: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| ctx.sarif_public || f.verdict != crate::vocab::Verdict::PublicSafe)
        .collect();
    // Keys in commit and tag messages have no file to point at, and code scanning accepts
    // only file locations: they are listed in the run's properties instead.
    let (in_messages, files): (Vec<&Finding>, Vec<&Finding>) = shown.into_iter().partition(|f| {
        f.provenance
            .as_ref()
            .is_some_and(|p| p.message_of.is_some())
    });
    let mut shown = files;
    let truncated = shown.len() > MAX_RESULTS;
    if truncated {
        shown.sort_by_key(|f| std::cmp::Reverse(f.severity));
        shown.truncate(MAX_RESULTS);
        shown.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }
    // A descriptor per rule that has shown findings, at each severity they have: with hundreds
    // of rules, describing every rule loaded would make every report megabytes long.
    let mut descriptors: BTreeMap<String, (&Rule, Severity)> = BTreeMap::new();
    for f in &shown {
        if let Some(r) = ctx.rules.get(&f.rule_id) {
            descriptors
                .entry(descriptor_id(r, f.severity))
                .or_insert((r, f.severity));
        }
    }
    let index: BTreeMap<&str, usize> = descriptors
        .keys()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let results: Vec<sarif::Result> = shown
        .iter()
        .map(|f| {
            let snippet = super::shown_snippet(f, ctx);
            let mut fp = BTreeMap::new();
            fp.insert(FINGERPRINT_KEY.to_string(), f.location_fingerprint.clone());
            let id = match ctx.rules.get(&f.rule_id) {
                Some(r) => descriptor_id(r, f.severity),
                None => f.rule_id.clone(),
            };
            let mut r = sarif::Result::builder()
                .rule_id(id.clone())
                .level(match f.verdict {
                    crate::vocab::Verdict::PublicSafe => sarif::ResultLevel::Note,
                    _ => level(f.severity),
                })
                .message(sarif::Message::builder().text(words::message(f)).build())
                .locations(vec![location(&f.path, f, snippet, None)])
                .partial_fingerprints(fp)
                .properties(properties(f, ctx))
                .build();
            if let Some(&i) = index.get(id.as_str()) {
                r.rule_index = Some(i as i64);
            }
            if !f.suppressions.is_empty() {
                r.suppressions = Some(
                    f.suppressions
                        .iter()
                        .map(|s| {
                            let mut sup = sarif::Suppression::builder()
                                .kind(json!(s.kind.as_str()))
                                .justification(s.justification.clone())
                                .build();
                            sup.status = Some(json!(if s.proposed {
                                "underReview"
                            } else {
                                "accepted"
                            }));
                            sup
                        })
                        .collect(),
                );
            }
            if let Some(p) = &f.provenance {
                let related: Vec<sarif::Location> = p
                    .commits
                    .iter()
                    .flat_map(|(c, paths)| paths.iter().map(move |path| (c, path)))
                    .filter(|(c, path)| !(Some(*c) == p.commit.as_ref() && **path == f.path))
                    .take(MAX_RELATED)
                    .enumerate()
                    .map(|(i, (c, path))| {
                        let mut l = sarif::Location::builder()
                            .physical_location(
                                sarif::PhysicalLocation::builder()
                                    .artifact_location(artifact(path))
                                    .build(),
                            )
                            .message(
                                sarif::Message::builder()
                                    .text(format!("Also entered in commit {c} at {path}."))
                                    .build(),
                            )
                            .build();
                        l.id = Some(i as i64 + 1);
                        l
                    })
                    .collect();
                if !related.is_empty() {
                    r.related_locations = Some(related);
                }
            }
            r
        })
        .collect();

    let mut notes = outcome.notifications.clone();
    if truncated {
        notes.push(crate::outcome::Notification::new(
            Code::Truncated,
            None,
            format!(
                "{} findings: only the {MAX_RESULTS} most severe are in this SARIF run (code scanning's limit); the JSON report has them all",
                outcome.findings.len()
            ),
        ));
    }
    let notifications: Vec<sarif::Notification> = notes
        .iter()
        .map(|n| {
            let level = match n.level() {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Note => "note",
            };
            let mut props = BTreeMap::new();
            props.insert("code".to_string(), json!(n.code.as_str()));
            if let Some(s) = &n.subject {
                props.insert("subject".to_string(), json!(s));
            }
            sarif::Notification::builder()
                .level(json!(level))
                .message(sarif::Message::builder().text(n.message.clone()).build())
                .properties(
                    sarif::PropertyBag::builder()
                        .additional_properties(props)
                        .build(),
                )
                .build()
        })
        .collect();

    let driver = sarif::ToolComponent::builder()
        .name("leakscope")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(env!("CARGO_PKG_REPOSITORY"))
        .rules(
            descriptors
                .values()
                .map(|(r, sev)| rule_descriptor(r, *sev, ctx))
                .collect::<Vec<_>>(),
        )
        .build();

    let mut invocation = sarif::Invocation::builder()
        .execution_successful(outcome.complete())
        .exit_code(ctx.exit_code as i64)
        .build();
    invocation.tool_execution_notifications = Some(notifications);

    let mut run_props = BTreeMap::new();
    // The revision scanned, also where there is no remote to name the repository by.
    if let Some(rev) = &ctx.revision {
        if let Some(c) = &rev.commit {
            run_props.insert("revisionId".to_string(), json!(c));
        }
        if let Some(b) = &rev.branch {
            run_props.insert("branch".to_string(), json!(b));
        }
    }
    if !in_messages.is_empty() {
        let list: Vec<Value> = in_messages
            .iter()
            .map(|f| {
                json!({
                    "ruleId": f.rule_id,
                    "level": level(f.severity),
                    "message": super::words::message(f),
                    "properties": properties(f, ctx),
                })
            })
            .collect();
        run_props.insert("inMessages".to_string(), json!(list));
    }
    run_props.insert(
        "allowedInRange".to_string(),
        json!(super::json::allowed_in_range(outcome)),
    );
    run_props.insert(
        "plan".to_string(),
        json!(super::json::JsonPlan::of(
            ctx.plan,
            outcome,
            ctx.runbooks,
            ctx.rules
        )),
    );
    let category = match ctx.mode {
        super::Mode::Scan => "scan",
        super::Mode::History => "history",
        super::Mode::Range => "range",
        super::Mode::Staged => "staged",
    };
    let mut run = sarif::Run::builder()
        .automation_details(
            sarif::RunAutomationDetails::builder()
                .id(format!("leakscope/{category}/"))
                .build(),
        )
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .column_kind(json!("unicodeCodePoints"))
        .properties(
            sarif::PropertyBag::builder()
                .additional_properties(run_props)
                .build(),
        )
        .build();
    if let Some(rev) = &ctx.revision
        && let Some(uri) = &rev.repository
    {
        let mut vcs = sarif::VersionControlDetails::builder()
            .repository_uri(uri.clone())
            .build();
        vcs.revision_id = rev.commit.clone();
        vcs.branch = rev.branch.clone();
        // Result locations are relative to the work tree root, which is this revision's root.
        vcs.mapped_to = Some(
            sarif::ArtifactLocation::builder()
                .uri_base_id("%SRCROOT%")
                .build(),
        );
        run.version_control_provenance = Some(vec![vcs]);
    }

    let log = sarif::Sarif::builder()
        .schema(sarif::SCHEMA_URL)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}
