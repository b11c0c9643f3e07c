//! The Markdown incident report: what leaked, how bad, since when, where, and what to do in
//! which order. A summary, one row per distinct secret, a rotation plan (keys that must rotate
//! together are one step, each with its runbook as a checklist), then the keys that need no
//! action and why, warnings and scan notes. Secrets are always redacted here: the report is
//! meant to be handed around.

use super::Context;
use super::text::short_ref;
use super::words::{self, short_commit as short};
use crate::finding::Finding;
use crate::outcome::{Level, Outcome};
use crate::plan::{PlanSecret, Together};
use crate::runbook::Runbook;
use crate::units::human_bytes;
use crate::vocab::{Exposure, Severity, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

mod plan;
use plan::plan;

/// A distinct secret of the plan with the outcome it indexes into.
#[derive(Clone, Copy)]
struct Secret<'a> {
    s: &'a PlanSecret,
    outcome: &'a Outcome,
}

impl<'a> Secret<'a> {
    fn first(&self) -> &'a Finding {
        self.s.first(self.outcome)
    }

    fn findings(&self) -> impl Iterator<Item = &'a Finding> + use<'a> {
        let outcome = self.outcome;
        self.s.findings.iter().map(move |&i| &outcome.findings[i])
    }

    fn verdict(&self) -> Verdict {
        self.s.verdict
    }

    fn severity(&self) -> Severity {
        self.s.severity
    }

    fn paths(&self) -> &'a [String] {
        &self.s.paths
    }

    fn provenance(&self) -> Option<&'a crate::finding::Provenance> {
        self.s.provenance(self.outcome)
    }
}

fn cell(s: &str) -> String {
    words::escape_controls(s).replace('|', "\\|")
}

fn code(s: &str) -> String {
    format!("`{}`", words::escape_controls(s).replace('`', "'"))
}

fn day(d: &str) -> &str {
    &d[..d.len().min(10)]
}

/// `Name <email>`, as git records the author.
fn author(p: &crate::finding::Provenance) -> String {
    match (p.author.as_deref(), p.email.as_deref()) {
        (Some(a), Some(e)) => format!("{a} <{e}>"),
        (Some(a), None) => a.to_string(),
        (None, Some(e)) => format!("<{e}>"),
        (None, None) => "unknown".into(),
    }
}

/// The exposure window: from the commit that added the secret until it left every branch and
/// tag, or "still present".
fn window(p: &crate::finding::Provenance) -> String {
    let from = day(p.date.as_deref().unwrap_or("?"));
    match (&p.removed, p.tips.is_empty() && !p.refs.is_empty()) {
        (Some((c, d)), true) => format!(
            "from {from} until {} (removed from the last branch or tag by {})",
            d.as_deref().map_or("?", day),
            code(short(c))
        ),
        _ if p.tips.is_empty() && p.refs.is_empty() => {
            format!("from {from}, still in the object database")
        }
        _ => format!("from {from}, still present"),
    }
}

/// Writes the report.
pub fn write(out: &mut dyn Write, outcome: &Outcome, ctx: &Context<'_>) -> io::Result<()> {
    let secrets: Vec<Secret<'_>> = ctx
        .plan
        .secrets
        .iter()
        .map(|s| Secret { s, outcome })
        .collect();
    writeln!(out, "# Leaked credentials: incident report\n")?;
    scope(out, outcome, ctx)?;
    summary(out, &secrets, outcome)?;
    table(out, &secrets)?;
    plan(out, &secrets, ctx)?;
    public(out, &secrets, ctx)?;
    warnings(out, &secrets)?;
    suppressed(out, outcome)?;
    notes(out, outcome)?;
    Ok(())
}

fn suppressed(out: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
    let list: Vec<&Finding> = outcome.findings.iter().filter(|f| f.suppressed()).collect();
    if list.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "## Suppressed
"
    )?;
    writeln!(out, "| secret | rule | path | line | why |")?;
    writeln!(out, "|---|---|---|---:|---|")?;
    for f in list {
        let why: Vec<String> = f
            .suppressions
            .iter()
            .map(|s| format!("{} ({})", s.justification, s.kind.as_str()))
            .collect();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            code(&f.redacted),
            f.rule_id,
            code(&f.path),
            f.location.line,
            cell(&why.join("; "))
        )?;
    }
    writeln!(out)
}

fn scope(out: &mut dyn Write, outcome: &Outcome, ctx: &Context<'_>) -> io::Result<()> {
    let what = match (ctx.mode, &ctx.revision) {
        _ if !ctx.repositories.is_empty() => format!(
            "The reports of {} {} ({}), merged",
            ctx.repositories.len(),
            if ctx.repositories.len() == 1 {
                "repository"
            } else {
                "repositories"
            },
            ctx.repositories
                .iter()
                .map(|r| code(r))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (super::Mode::History | super::Mode::Range, Some(r)) => format!(
            "Git history of {} at {}{}",
            code(&r.name),
            r.commit
                .as_deref()
                .map_or("an unborn HEAD".to_string(), |c| code(short(c))),
            r.branch
                .as_deref()
                .map_or(String::new(), |b| format!(" ({})", code(b)))
        ),
        (super::Mode::Staged, Some(r)) => format!("Staged changes in {}", code(&r.name)),
        _ => "Files on disk".to_string(),
    };
    writeln!(
        out,
        "{what}, scanned by leakscope {} ({} {}, {} scanned). Secrets are redacted: a prefix and the last four characters.\n",
        env!("CARGO_PKG_VERSION"),
        outcome.stats.scanned,
        if ctx.mode == super::Mode::Scan {
            "files"
        } else {
            "blobs"
        },
        human_bytes(outcome.stats.bytes),
    )
}

fn summary(out: &mut dyn Write, secrets: &[Secret<'_>], outcome: &Outcome) -> io::Result<()> {
    writeln!(out, "## Summary\n")?;
    let count = |v: Verdict| secrets.iter().filter(|s| s.verdict() == v).count();
    writeln!(
        out,
        "**{} distinct secret{}**: {} must be rotated, {} must be kept private, {} {} public by design.\n",
        secrets.len(),
        if secrets.len() == 1 { "" } else { "s" },
        count(Verdict::MustRotate),
        count(Verdict::KeepPrivate),
        count(Verdict::PublicSafe),
        if count(Verdict::PublicSafe) == 1 {
            "is"
        } else {
            "are"
        },
    )?;
    let sevs = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];
    write!(out, "| verdict |")?;
    for s in sevs {
        write!(out, " {s} |")?;
    }
    writeln!(out, " total |")?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|")?;
    for v in [
        Verdict::MustRotate,
        Verdict::KeepPrivate,
        Verdict::PublicSafe,
    ] {
        write!(out, "| {v} |")?;
        for s in sevs {
            let n = secrets
                .iter()
                .filter(|x| x.verdict() == v && x.severity() == s)
                .count();
            write!(out, " {n} |")?;
        }
        writeln!(out, " {} |", count(v))?;
    }
    writeln!(out)?;
    let exposed: Vec<&Secret<'_>> = secrets
        .iter()
        .filter(|s| s.verdict() == Verdict::MustRotate)
        .collect();
    let dated: Vec<(&str, &str)> = exposed
        .iter()
        .filter_map(|s| {
            let p = s.provenance()?;
            Some((p.date.as_deref()?, p.commit.as_deref()?))
        })
        .collect();
    if let (Some(first), Some(last)) = (dated.iter().min(), dated.iter().max()) {
        write!(
            out,
            "- **Exposed since** {} (commit {})",
            day(first.0),
            code(short(first.1))
        )?;
        if last.1 != first.1 {
            write!(
                out,
                "; the latest of these secrets entered history on {} (commit {})",
                day(last.0),
                code(short(last.1))
            )?;
        }
        writeln!(out, ".")?;
    }
    let in_files: Vec<&crate::finding::Provenance> = exposed
        .iter()
        .filter_map(|s| s.provenance())
        .filter(|p| p.message_of.is_none())
        .collect();
    let at_tip = in_files.iter().filter(|p| !p.tips.is_empty()).count();
    let in_messages = exposed
        .iter()
        .filter(|s| s.provenance().is_some_and(|p| p.message_of.is_some()))
        .count();
    if in_messages > 0 {
        writeln!(
            out,
            "- **In commit or tag messages**: {in_messages} (only a history rewrite removes them)."
        )?;
    }
    if !in_files.is_empty() {
        let gone = in_files.len() - at_tip;
        writeln!(
            out,
            "- **Still in a branch or tag**: {at_tip} of {}{}",
            in_files.len(),
            if gone == 0 {
                ".".to_string()
            } else {
                format!(
                    "; {gone} {} removed from every branch and tag but remain{} in history.",
                    if gone == 1 { "was" } else { "were" },
                    if gone == 1 { "s" } else { "" }
                )
            }
        )?;
    }
    let verified: Vec<crate::vocab::Liveness> = exposed
        .iter()
        .filter_map(|s| s.first().verification.as_ref().map(|v| v.liveness))
        .collect();
    if !verified.is_empty() {
        let n = |l| verified.iter().filter(|&&v| v == l).count();
        use crate::vocab::Liveness::*;
        writeln!(
            out,
            "- **Verified with the providers**: {} live, {} revoked, {} inconclusive, {} not verifiable.",
            n(Live),
            n(Revoked),
            n(Unknown),
            n(NotVerifiable)
        )?;
    }
    let refs: BTreeSet<&str> = exposed
        .iter()
        .filter_map(|s| s.provenance())
        .flat_map(|p| p.refs.iter().map(String::as_str))
        .collect();
    if !refs.is_empty() {
        let list: Vec<String> = refs.iter().map(|r| code(r)).collect();
        writeln!(out, "- **Refs affected**: {}.", list.join(", "))?;
    }
    let client = exposed
        .iter()
        .filter(|s| s.findings().any(|f| f.exposure == Exposure::Client))
        .count();
    if client > 0 {
        writeln!(
            out,
            "- **Shipped to browsers**: {client} (a public variable or a client bundle)."
        )?;
    }
    let errors = outcome
        .notifications
        .iter()
        .filter(|n| n.level() == Level::Error)
        .count();
    let proposed = super::json::allowed_in_range(outcome);
    if proposed > 0 {
        writeln!(
            out,
            "- **Allowed by comments added in this range**: {proposed} (not trusted: still reported)."
        )?;
    }
    if errors == 0 {
        writeln!(out, "- The scan was complete.")?;
    } else {
        writeln!(
            out,
            "- **The scan was incomplete**: {errors} problem{} (see Scan notes); secrets may be missing from this report.",
            if errors == 1 { "" } else { "s" }
        )?;
    }
    writeln!(out)
}

fn table(out: &mut dyn Write, secrets: &[Secret<'_>]) -> io::Result<()> {
    if secrets.is_empty() {
        return writeln!(out, "No secrets were found.\n");
    }
    writeln!(out, "## Secrets\n")?;
    writeln!(
        out,
        "| # | secret | provider | kind | environment | verdict | severity | live | first commit | date | author | paths | refs | still at |"
    )?;
    writeln!(
        out,
        "|---:|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )?;
    for (i, s) in secrets.iter().enumerate() {
        let f = s.first();
        let p = s.provenance();
        let paths: Vec<String> = s.paths().iter().map(|p| code(p)).collect();
        let refs: Vec<String> = p
            .map(|p| p.refs.iter().map(|r| code(short_ref(r))).collect())
            .unwrap_or_default();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            code(&f.redacted),
            f.provider,
            f.kind,
            f.environment,
            s.verdict(),
            s.severity(),
            f.verification.as_ref().map_or("—", |v| v.liveness.as_str()),
            p.and_then(|p| p.commit.as_deref())
                .map_or("—".to_string(), |c| code(short(c))),
            p.and_then(|p| p.date.as_deref()).map_or("—", day),
            p.map_or("—".to_string(), |p| cell(&author(p))),
            cell(&paths.join(", ")),
            if p.is_some() {
                if refs.is_empty() {
                    "none".to_string()
                } else {
                    cell(&refs.join(", "))
                }
            } else {
                "—".to_string()
            },
            match p {
                Some(p) if !p.tips.is_empty() => cell(
                    &p.tips
                        .iter()
                        .map(|t| code(short_ref(t)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Some(p) => match &p.message_of {
                    Some(m) => super::words::message_of(m),
                    None => "removed".to_string(),
                },
                None => "—".to_string(),
            },
        )?;
    }
    writeln!(out)
}

fn public(out: &mut dyn Write, secrets: &[Secret<'_>], ctx: &Context<'_>) -> io::Result<()> {
    let list: Vec<&Secret<'_>> = secrets
        .iter()
        .filter(|s| s.verdict() == Verdict::PublicSafe)
        .collect();
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out, "## No action needed\n")?;
    writeln!(out, "| secret | provider | kind | paths | why |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for s in list {
        let f = s.first();
        let why = match &f.published {
            Some(src) => format!("a published example key ({src}): public knowledge"),
            None => ctx.rules.get(&f.rule_id).map_or_else(
                || "publishable by design".to_string(),
                |r| r.description.clone(),
            ),
        };
        let paths: Vec<String> = s.paths().iter().map(|p| code(p)).collect();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            code(&f.redacted),
            f.provider,
            f.kind,
            cell(&paths.join(", ")),
            cell(&why)
        )?;
    }
    writeln!(out)
}

fn warnings(out: &mut dyn Write, secrets: &[Secret<'_>]) -> io::Result<()> {
    let mut seen: BTreeMap<(String, String), BTreeSet<&str>> = BTreeMap::new();
    for s in secrets {
        for f in s.findings() {
            for w in &f.warnings {
                seen.entry((w.code().to_string(), super::words::warning(w)))
                    .or_default()
                    .insert(f.path.as_str());
            }
        }
    }
    if seen.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Warnings\n")?;
    for ((c, msg), paths) in seen {
        let list: Vec<String> = paths.into_iter().map(code).collect();
        writeln!(out, "- {} {msg} ({})", code(&c), list.join(", "))?;
    }
    writeln!(out)
}

fn notes(out: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
    if outcome.notifications.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Scan notes\n")?;
    for n in &outcome.notifications {
        writeln!(out, "- **{}**: {}", n.level().as_str(), cell(&n.message))?;
    }
    writeln!(out)
}
