//! The Markdown incident report: what leaked, how bad, since when, where, and what to do in
//! which order. A summary, one row per distinct secret, a rotation plan (keys that must rotate
//! together are one step, each with its runbook as a checklist), then the keys that need no
//! action and why, warnings and scan notes. Secrets are always redacted here: the report is
//! meant to be handed around.

use super::Context;
use super::text::short_ref;
use crate::finding::Finding;
use crate::runbook::Runbook;
use crate::scan::{Level, Outcome};
use crate::vocab::{Exposure, Kind, Severity, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

/// One distinct secret (by SHA-256) and everything found of it.
struct Secret<'a> {
    findings: Vec<&'a Finding>,
}

impl<'a> Secret<'a> {
    fn first(&self) -> &'a Finding {
        self.findings[0]
    }

    fn verdict(&self) -> Verdict {
        let rank = |v: Verdict| match v {
            Verdict::MustRotate => 0,
            Verdict::KeepPrivate => 1,
            Verdict::PublicSafe => 2,
        };
        self.findings
            .iter()
            .map(|f| f.verdict)
            .min_by_key(|&v| rank(v))
            .unwrap_or(Verdict::PublicSafe)
    }

    fn severity(&self) -> Severity {
        self.findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Info)
    }

    /// Most exposed first: shipped to browsers, still at HEAD, in history, tracked, unknown.
    fn exposure_rank(&self) -> u8 {
        let at_head = self.provenance().is_some_and(|p| p.at_head);
        self.findings
            .iter()
            .map(|f| match f.exposure {
                Exposure::Client => 0,
                Exposure::Committed if at_head => 1,
                Exposure::Committed => 2,
                Exposure::Tracked => 3,
                Exposure::Unknown => 4,
                Exposure::Staged => 5,
                Exposure::Untracked => 6,
                Exposure::Ignored => 7,
            })
            .min()
            .unwrap_or(9)
    }

    fn paths(&self) -> BTreeSet<&'a str> {
        let mut p: BTreeSet<&str> = self.findings.iter().map(|f| f.path.as_str()).collect();
        if let Some(prov) = self.provenance() {
            p.extend(prov.paths.iter().map(String::as_str));
        }
        p
    }

    fn provenance(&self) -> Option<&'a crate::finding::Provenance> {
        self.first().provenance.as_ref()
    }

    fn date(&self) -> &'a str {
        self.provenance()
            .and_then(|p| p.date.as_deref())
            .unwrap_or("")
    }

    /// The Stripe account a current Stripe key belongs to (the 16 characters after `_5`).
    fn stripe_account(&self) -> Option<&'a str> {
        let f = self.first();
        if f.provider != "stripe" {
            return None;
        }
        let body = f.secret.expose().splitn(3, '_').nth(2)?;
        (body.len() > 20 && body.starts_with('5')).then(|| &body[1..17])
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

fn short(c: &str) -> &str {
    &c[..c.len().min(7)]
}

fn day(d: &str) -> &str {
    &d[..d.len().min(10)]
}

/// Writes the report.
pub fn write(out: &mut dyn Write, outcome: &Outcome, ctx: &Context<'_>) -> io::Result<()> {
    let mut by_sha: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in outcome.findings.iter().filter(|f| !f.suppressed()) {
        by_sha.entry(f.secret_sha256.as_str()).or_default().push(f);
    }
    let mut secrets: Vec<Secret<'_>> = by_sha
        .into_values()
        .map(|findings| Secret { findings })
        .collect();
    secrets.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.severity()),
            a.exposure_rank(),
            a.date(),
            a.first().redacted.as_str(),
        )
            .cmp(&(
                std::cmp::Reverse(b.severity()),
                b.exposure_rank(),
                b.date(),
                b.first().redacted.as_str(),
            ))
    });

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
        (super::Mode::History, Some(r)) => format!(
            "Git history of {} at {}{}",
            code(&r.repository),
            r.commit
                .as_deref()
                .map_or("an unborn HEAD".to_string(), |c| code(short(c))),
            r.branch
                .as_deref()
                .map_or(String::new(), |b| format!(" ({})", code(b)))
        ),
        (super::Mode::Staged, Some(r)) => format!("Staged changes in {}", code(&r.repository)),
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
        super::text::human_bytes(outcome.stats.bytes),
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
    let at_head = exposed
        .iter()
        .filter(|s| s.provenance().is_some_and(|p| p.at_head))
        .count();
    if exposed.iter().any(|s| s.provenance().is_some()) {
        let gone = exposed.len() - at_head;
        writeln!(
            out,
            "- **Still at HEAD**: {at_head} of {}{}",
            exposed.len(),
            if gone == 0 {
                ".".to_string()
            } else {
                format!(
                    "; {gone} {} removed from the files but remain{} in history.",
                    if gone == 1 { "was" } else { "were" },
                    if gone == 1 { "s" } else { "" }
                )
            }
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
        .filter(|s| s.findings.iter().any(|f| f.exposure == Exposure::Client))
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
        .filter(|n| n.level == Level::Error)
        .count();
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
        "| # | secret | provider | kind | environment | verdict | severity | first commit | date | author | paths | refs | at HEAD |"
    )?;
    writeln!(
        out,
        "|---:|---|---|---|---|---|---|---|---|---|---|---|---|"
    )?;
    for (i, s) in secrets.iter().enumerate() {
        let f = s.first();
        let p = s.provenance();
        let paths: Vec<String> = s.paths().into_iter().map(code).collect();
        let refs: Vec<String> = p
            .map(|p| p.refs.iter().map(|r| code(short_ref(r))).collect())
            .unwrap_or_default();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            code(&f.redacted),
            f.provider,
            f.kind,
            f.environment,
            s.verdict(),
            s.severity(),
            p.and_then(|p| p.commit.as_deref())
                .map_or("—".to_string(), |c| code(short(c))),
            p.and_then(|p| p.date.as_deref()).map_or("—", day),
            cell(p.and_then(|p| p.author.as_deref()).unwrap_or("—")),
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
                Some(p) if p.at_head => "yes",
                Some(_) => "no",
                None => "—",
            },
        )?;
    }
    writeln!(out)
}

/// Secrets that rotate together: same provider and a shared file, the same Stripe account, or
/// the same Supabase project (its legacy keys share one JWT secret).
fn groups<'s, 'a>(secrets: &'s [Secret<'a>]) -> Vec<Vec<&'s Secret<'a>>> {
    let act: Vec<&Secret<'_>> = secrets
        .iter()
        .filter(|s| s.verdict() == Verdict::MustRotate)
        .collect();
    let n = act.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while p[r] != r {
            r = p[r];
        }
        let mut i = i;
        while p[i] != r {
            let next = p[i];
            p[i] = r;
            i = next;
        }
        r
    }
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (act[i], act[j]);
            let (fa, fb) = (a.first(), b.first());
            if fa.provider != fb.provider {
                continue;
            }
            let shared_file = !a.paths().is_disjoint(&b.paths());
            let same_account =
                a.stripe_account().is_some() && a.stripe_account() == b.stripe_account();
            let legacy =
                |s: &Secret<'_>| matches!(s.first().kind, Kind::AnonJwt | Kind::ServiceRoleJwt);
            let same_project =
                legacy(a) && legacy(b) && fa.project.is_some() && fa.project == fb.project;
            if shared_file || same_account || same_project {
                let (ra, rb) = (find(&mut parent, i), find(&mut parent, j));
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut by_root: BTreeMap<usize, Vec<&Secret<'_>>> = BTreeMap::new();
    for (i, s) in act.iter().enumerate() {
        let r = find(&mut parent, i);
        by_root.entry(r).or_default().push(*s);
    }
    // `act` is in priority order, so each group's smallest index orders the groups.
    by_root.into_values().collect()
}

fn checklist(out: &mut dyn Write, rb: &Runbook) -> io::Result<()> {
    for s in &rb.steps {
        writeln!(out, "- [ ] **{}.** {}", s.phase.label(), s.text)?;
    }
    Ok(())
}

fn plan(out: &mut dyn Write, secrets: &[Secret<'_>], ctx: &Context<'_>) -> io::Result<()> {
    let groups = groups(secrets);
    let private: Vec<&Secret<'_>> = secrets
        .iter()
        .filter(|s| s.verdict() == Verdict::KeepPrivate)
        .collect();
    if groups.is_empty() && private.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Rotation plan\n")?;
    if !groups.is_empty() {
        writeln!(
            out,
            "Most urgent first (severity, then exposure). Keys that must rotate together are one step. For each key: create the replacement, deploy it everywhere, verify it, then revoke the old key, then audit. Revoke first only if a key is being abused right now.\n"
        )?;
    }
    for (n, group) in groups.iter().enumerate() {
        let f0 = group[0].first();
        let provider = ctx
            .rules
            .providers
            .iter()
            .find(|p| p.id == f0.provider)
            .map_or(f0.provider.as_str(), |p| p.display.as_str());
        let names: Vec<String> = group
            .iter()
            .map(|s| format!("{} {}", s.first().rule_name, code(&s.first().redacted)))
            .collect();
        let together = if group.len() > 1 {
            " (rotate together)"
        } else {
            ""
        };
        writeln!(
            out,
            "### {}. {}: {}{}\n",
            n + 1,
            provider,
            names.join(" and "),
            together
        )?;
        if group.len() > 1 {
            let why = if group
                .iter()
                .all(|s| matches!(s.first().kind, Kind::AnonJwt | Kind::ServiceRoleJwt))
            {
                "these legacy keys are signed by one project JWT secret: one rotation covers them all."
            } else if group.iter().any(|s| s.first().kind == Kind::WebhookSecret) {
                "they sit together and belong to one app: rolling the API key does not rotate the webhook secret, so do both in one change."
            } else {
                "they belong to one account or sit in the same files: rotate them in one change."
            };
            writeln!(out, "Why together: {why}\n")?;
        }
        for s in group {
            let f = s.first();
            let paths: Vec<String> = s.paths().into_iter().map(code).collect();
            write!(
                out,
                "- {} ({}, {}): in {}",
                code(&f.redacted),
                f.severity,
                f.exposure,
                paths.join(", ")
            )?;
            if let Some(p) = s.provenance() {
                if let Some(c) = &p.commit {
                    write!(
                        out,
                        "; first committed in {} by {} on {}",
                        code(short(c)),
                        p.author.as_deref().unwrap_or("unknown"),
                        day(p.date.as_deref().unwrap_or(""))
                    )?;
                }
                if p.at_head {
                    write!(out, "; still at HEAD")?;
                } else if p.refs.is_empty() {
                    write!(
                        out,
                        "; reachable from no ref (a dropped commit or stash), still in the object database"
                    )?;
                } else {
                    write!(out, "; removed at HEAD, still in history")?;
                }
            }
            writeln!(out, ".")?;
        }
        // A legacy JWT-secret rotation also invalidates the project's anon keys.
        let projects: BTreeSet<&str> = group
            .iter()
            .filter(|s| s.first().kind == Kind::ServiceRoleJwt)
            .filter_map(|s| s.first().project.as_deref())
            .collect();
        for anon in secrets
            .iter()
            .filter(|s| s.first().kind == Kind::AnonJwt && s.verdict() == Verdict::PublicSafe)
        {
            if anon
                .first()
                .project
                .as_deref()
                .is_some_and(|p| projects.contains(p))
            {
                writeln!(
                    out,
                    "- Also affected: the anon key {} of the same project (public, but rotating the JWT secret invalidates it too).",
                    code(&anon.first().redacted)
                )?;
            }
        }
        writeln!(out)?;
        let mut books: Vec<&str> = Vec::new();
        for s in group {
            for r in &s.first().runbooks {
                if !books.contains(&r.as_str()) {
                    books.push(r);
                }
            }
        }
        for id in books {
            if let Some(rb) = ctx.runbooks.get(id) {
                writeln!(out, "**{}.** {}\n", rb.title, rb.summary)?;
                checklist(out, rb)?;
                for note in &rb.notes {
                    writeln!(out, "- Note: {note}")?;
                }
                writeln!(out)?;
            }
        }
    }
    if !groups.is_empty() {
        let g = ctx.runbooks.general();
        writeln!(out, "### For every rotation above\n\n{}\n", g.summary)?;
        checklist(out, g)?;
        for note in &g.notes {
            writeln!(out, "- Note: {note}")?;
        }
        writeln!(out)?;
    }
    if !private.is_empty() {
        writeln!(out, "### Keep private (not exposed yet)\n")?;
        writeln!(
            out,
            "These keys are not in any commit yet: no rotation needed if they stay out of git.\n"
        )?;
        for s in private {
            let f = s.first();
            let paths: Vec<String> = s.paths().into_iter().map(code).collect();
            let action = match f.exposure {
                Exposure::Staged => "unstage it and keep the file out of git",
                Exposure::Ignored => "keep the file ignored and out of builds",
                _ => "add the file to `.gitignore` before anything commits it",
            };
            writeln!(
                out,
                "- [ ] {} {} in {}: {action}.",
                f.rule_name,
                code(&f.redacted),
                paths.join(", ")
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
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
        let paths: Vec<String> = s.paths().into_iter().map(code).collect();
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
    let mut seen: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for s in secrets {
        for f in &s.findings {
            for w in &f.warnings {
                seen.entry((w.code, w.message.as_str()))
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
        writeln!(out, "- {} {msg} ({})", code(c), list.join(", "))?;
    }
    writeln!(out)
}

fn notes(out: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
    if outcome.notifications.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Scan notes\n")?;
    for n in &outcome.notifications {
        writeln!(out, "- **{}**: {}", n.level.as_str(), cell(&n.message))?;
    }
    writeln!(out)
}
