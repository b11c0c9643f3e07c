//! The rotation plan of the incident report: the must-rotate secrets, most urgent first,
//! each step with its runbook as a checklist and what `--verify` said.

use super::*;

fn checklist(out: &mut dyn Write, rb: &Runbook) -> io::Result<()> {
    for s in &rb.steps {
        writeln!(out, "- [ ] **{}.** {}", s.phase.label(), s.text)?;
    }
    Ok(())
}

pub(super) fn plan(
    out: &mut dyn Write,
    secrets: &[Secret<'_>],
    ctx: &Context<'_>,
) -> io::Result<()> {
    let steps = &ctx.plan.steps;
    let private: Vec<&Secret<'_>> = ctx.plan.keep_private.iter().map(|&i| &secrets[i]).collect();
    if steps.is_empty() && private.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Rotation plan\n")?;
    if !steps.is_empty() {
        writeln!(
            out,
            "Most urgent first (severity, then exposure). Keys that must rotate together are one step. For each key: create the replacement, deploy it everywhere, verify it, then revoke the old key, then audit. Revoke first only if a key is being abused right now.\n"
        )?;
    }
    for (n, step) in steps.iter().enumerate() {
        let group: Vec<&Secret<'_>> = step.secrets.iter().map(|&i| &secrets[i]).collect();
        let f0 = group[0].first();
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
            f0.provider_display,
            names.join(" and "),
            together
        )?;
        if let Some(t) = step.together {
            let why = match t {
                Together::SharedJwtSecret => {
                    "these legacy keys are signed by one project JWT secret: one rotation covers them all."
                }
                Together::WebhookPair => {
                    "they sit together and belong to one app: rolling the API key does not rotate the webhook secret, so do both in one change."
                }
                Together::SameAccountOrFiles => {
                    "they belong to one account or sit in the same files: rotate them in one change."
                }
            };
            writeln!(out, "Why together: {why}\n")?;
        }
        for s in &group {
            let f = s.first();
            let paths: Vec<String> = s.paths().iter().map(|p| code(p)).collect();
            let mut place = match s.provenance().and_then(|p| p.message_of.as_ref()) {
                Some(m) => super::words::message_of(m),
                None => format!("in {}", paths.join(", ")),
            };
            let repos: BTreeSet<&str> = s
                .findings()
                .filter_map(|f| f.repository.as_deref())
                .collect();
            if repos.len() > 1 {
                place = format!("**in {} repositories**, {place}", repos.len());
            }
            write!(
                out,
                "- {} ({}, {}): {place}",
                code(&f.redacted),
                f.severity,
                f.exposure,
            )?;
            if let Some(p) = s.provenance().filter(|p| p.message_of.is_none()) {
                if let Some(c) = &p.commit {
                    write!(
                        out,
                        "; first committed in {} by {} on {}",
                        code(short(c)),
                        cell(&author(p)),
                        day(p.date.as_deref().unwrap_or(""))
                    )?;
                    write!(out, "; exposed {}", window(p))?;
                }
                write!(out, "; {}", super::words::where_now(p))?;
            }
            writeln!(out, ".")?;
            if let Some(v) = f.verification.as_ref() {
                writeln!(out, "  - {}.", super::words::verification(v))?;
            }
        }
        for &a in &step.also_affected {
            writeln!(
                out,
                "- Also affected: the anon key {} of the same project (public, but rotating the JWT secret invalidates it too).",
                code(&secrets[a].first().redacted)
            )?;
        }
        writeln!(out)?;
        let provider = ctx.rules.providers.iter().find(|p| p.id == f0.provider);
        for id in &step.runbooks {
            if let Some(rb) = ctx.runbooks.resolve(id, provider) {
                writeln!(out, "**{}.** {}\n", rb.title, rb.summary)?;
                checklist(out, &rb)?;
                for note in &rb.notes {
                    writeln!(out, "- Note: {note}")?;
                }
                writeln!(out)?;
            }
        }
        let checked: Vec<(&Finding, &crate::finding::Verification)> = group
            .iter()
            .filter_map(|s| s.first().verification.as_ref().map(|v| (s.first(), v)))
            .collect();
        if !checked.is_empty() {
            writeln!(
                out,
                "**Prove the old key is dead.** Run the scan again with `--verify` after revoking: each key must come back `revoked`. Last check:\n"
            )?;
            for (f, v) in checked {
                let done = if v.liveness == crate::vocab::Liveness::Revoked {
                    "x"
                } else {
                    " "
                };
                writeln!(
                    out,
                    "- [{done}] {}: {}.",
                    code(&f.redacted),
                    super::words::verification(v)
                )?;
            }
            writeln!(out)?;
        }
    }
    if !steps.is_empty() {
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
            let paths: Vec<String> = s.paths().iter().map(|p| code(p)).collect();
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
