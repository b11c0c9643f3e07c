//! Readable text: one block per finding (per secret, for history), worst first within a file,
//! then a summary line. Coloured when the writer supports it (a terminal, unless `NO_COLOR`).

use super::{Context, Mode, shown_secret, shown_snippet, words};
use crate::finding::Finding;
use crate::outcome::Outcome;
use crate::units::human_bytes;
use crate::vocab::{Severity, Verdict};
use std::collections::BTreeMap;
use std::io;
use termcolor::{Color, ColorSpec, WriteColor};

fn verdict_style(v: Verdict) -> ColorSpec {
    let mut c = ColorSpec::new();
    c.set_bold(true);
    match v {
        Verdict::MustRotate => c.set_fg(Some(Color::Red)),
        Verdict::KeepPrivate => c.set_fg(Some(Color::Yellow)),
        Verdict::PublicSafe => c.set_fg(Some(Color::Green)),
    };
    c
}

fn dim() -> ColorSpec {
    let mut c = ColorSpec::new();
    c.set_dimmed(true);
    c
}

fn bold() -> ColorSpec {
    let mut c = ColorSpec::new();
    c.set_bold(true);
    c
}

fn styled(out: &mut dyn WriteColor, spec: &ColorSpec, s: &str) -> io::Result<()> {
    out.set_color(spec)?;
    write!(out, "{s}")?;
    out.reset()
}

/// The verdict as the text report shouts it.
pub fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::MustRotate => "MUST ROTATE",
        Verdict::KeepPrivate => "KEEP PRIVATE",
        Verdict::PublicSafe => "public-safe",
    }
}

/// Writes the text report.
pub fn write(out: &mut dyn WriteColor, outcome: &Outcome, ctx: &Context<'_>) -> io::Result<()> {
    match ctx.mode {
        Mode::History | Mode::Range => write_by_secret(out, outcome, ctx)?,
        Mode::Scan | Mode::Staged => {
            for f in outcome.findings.iter().filter(|f| !f.suppressed()) {
                write_finding(out, f, ctx)?;
            }
        }
    }
    write_summary(out, outcome, ctx)
}

fn write_finding(out: &mut dyn WriteColor, f: &Finding, ctx: &Context<'_>) -> io::Result<()> {
    styled(
        out,
        &bold(),
        &format!(
            "{}:{}:{}",
            words::term_path(&f.display_path()),
            f.location.line,
            f.location.column
        ),
    )?;
    write!(out, "  ")?;
    styled(out, &verdict_style(f.verdict), verdict_label(f.verdict))?;
    writeln!(out, " ({})", f.severity)?;
    write_body(out, f, ctx)
}

fn write_body(out: &mut dyn WriteColor, f: &Finding, ctx: &Context<'_>) -> io::Result<()> {
    writeln!(out, "  {}", words::escape_controls(&words::message(f)))?;
    if let Some(v) = &f.verification {
        let mut c = ColorSpec::new();
        c.set_bold(v.liveness == crate::vocab::Liveness::Live);
        if v.liveness == crate::vocab::Liveness::Live {
            c.set_fg(Some(Color::Red));
        }
        styled(out, &c, &format!("  {}", words::verification(v)))?;
        writeln!(out)?;
    }
    if ctx.show_secrets {
        writeln!(out, "  secret: {}", shown_secret(f, ctx))?;
    }
    if let Some(s) = shown_snippet(f, ctx) {
        styled(out, &dim(), "  | ")?;
        writeln!(out, "{}", words::escape_controls(s.trim()))?;
    }
    if f.only_proposed() {
        let mut c = ColorSpec::new();
        c.set_fg(Some(Color::Yellow));
        styled(out, &c, "  allowed by a comment added in this range")?;
        writeln!(
            out,
            ": not trusted; the gate still counts it (trust_inline_allow in the base's configuration changes that)"
        )?;
    }
    for w in &f.warnings {
        let mut c = ColorSpec::new();
        c.set_fg(Some(Color::Yellow));
        styled(out, &c, &format!("  warning[{}]", w.code()))?;
        writeln!(out, ": {}", words::escape_controls(&words::warning(w)))?;
    }
    if f.verdict != Verdict::PublicSafe || !f.warnings.is_empty() {
        styled(
            out,
            &dim(),
            &format!("  runbook: leakscope explain {}", f.rule_id),
        )?;
        writeln!(out)?;
    }
    writeln!(out)
}

/// History: one block per distinct secret, with where and when it entered.
fn write_by_secret(
    out: &mut dyn WriteColor,
    outcome: &Outcome,
    ctx: &Context<'_>,
) -> io::Result<()> {
    let mut groups: BTreeMap<(std::cmp::Reverse<Severity>, &str, &str), Vec<&Finding>> =
        BTreeMap::new();
    for f in outcome.findings.iter().filter(|f| !f.suppressed()) {
        groups
            .entry((std::cmp::Reverse(f.severity), &f.secret_sha256, &f.rule_id))
            .or_default()
            .push(f);
    }
    for fs in groups.values() {
        let f = fs[0];
        styled(out, &bold(), &words::term_path(shown_secret(f, ctx)))?;
        write!(out, ", {}", f.rule_name)?;
        if f.environment != crate::vocab::Environment::Unknown {
            write!(out, ", {}", f.environment)?;
        }
        write!(out, ", ")?;
        styled(out, &verdict_style(f.verdict), verdict_label(f.verdict))?;
        writeln!(out, " ({})", f.severity)?;
        if let Some(p) = f.provenance.as_ref().filter(|p| p.message_of.is_some()) {
            writeln!(
                out,
                "  {}, by {} on {}",
                words::escape_controls(&words::where_now(p)),
                words::escape_controls(p.author.as_deref().unwrap_or("unknown")),
                p.date.as_deref().map_or("", |d| &d[..d.len().min(10)])
            )?;
        } else if let Some(p) = &f.provenance {
            let short = p
                .commit
                .as_deref()
                .map_or("(no commit)", |c| &c[..c.len().min(7)]);
            let who = words::escape_controls(p.author.as_deref().unwrap_or("unknown"));
            let when = p.date.as_deref().map_or("", |d| &d[..d.len().min(10)]);
            let entered = fs
                .iter()
                .map(|f| words::term_path(&f.display_path()).into_owned())
                .collect::<Vec<_>>()
                .join(", ");
            write!(
                out,
                "  introduced in {short} by {who} on {when} in {entered}"
            )?;
            writeln!(out)?;
            writeln!(out, "  {}", words::escape_controls(&words::where_now(p)))?;
            if p.paths.len() > fs.len() {
                let all: Vec<_> = p.paths.iter().map(|p| words::term_path(p)).collect();
                writeln!(out, "  all paths: {}", all.join(", "))?;
            }
        }
        write_body(out, f, ctx)?;
    }
    Ok(())
}

/// `refs/heads/main` → `main`, `refs/tags/v1` → `v1`, `refs/remotes/origin/x` → `origin/x`.
pub fn short_ref(r: &str) -> &str {
    ["refs/heads/", "refs/tags/", "refs/remotes/"]
        .iter()
        .find_map(|p| r.strip_prefix(p))
        .unwrap_or(r)
}

fn write_summary(out: &mut dyn WriteColor, outcome: &Outcome, ctx: &Context<'_>) -> io::Result<()> {
    let shown: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| !f.suppressed())
        .collect();
    let count = |v: Verdict| shown.iter().filter(|f| f.verdict == v).count();
    let what = match (ctx.mode, outcome.stats.scanned) {
        (Mode::Scan, 1) => "file",
        (Mode::Scan, _) => "files",
        (_, 1) => "blob",
        _ => "blobs",
    };
    let n = shown.len();
    if n == 0 {
        write!(out, "No keys found")?;
    } else {
        let mut parts = Vec::new();
        for v in [
            Verdict::MustRotate,
            Verdict::KeepPrivate,
            Verdict::PublicSafe,
        ] {
            let c = count(v);
            if c > 0 {
                parts.push(format!("{c} {v}"));
            }
        }
        write!(
            out,
            "{n} finding{}: {}",
            if n == 1 { "" } else { "s" },
            parts.join(", ")
        )?;
    }
    let mut extra = String::new();
    if outcome.stats.skipped > 0 {
        extra.push_str(&format!(", {} skipped", outcome.stats.skipped));
    }
    let suppressed = outcome.findings.len() - shown.len();
    if suppressed > 0 {
        extra.push_str(&format!(", {suppressed} suppressed"));
    }
    let proposed = crate::report::json::allowed_in_range(outcome);
    if proposed > 0 {
        extra.push_str(&format!(
            ", allowed by comments added in this range: {proposed} (not trusted: still reported)"
        ));
    }
    if outcome.stats.baselined > 0 {
        extra.push_str(&format!(", {} in the baseline", outcome.stats.baselined));
    }
    writeln!(
        out,
        " ({} {what}, {} scanned{extra}).",
        outcome.stats.scanned,
        human_bytes(outcome.stats.bytes),
    )
}
