//! Runs a resolved [`Settings`]: the job, the configuration's suppressions and the baseline,
//! the report, notifications on stderr, and the exit code (0 clean, 1 unsuppressed findings
//! reached `--fail-on`, 2 an error or an incomplete scan; 2 wins).

use crate::baseline::Baseline;
use crate::config::Config;
use crate::finding::{Suppression, SuppressionKind};
use crate::outcome::{Level, Outcome};
use crate::progress::Progress;
use crate::report::{self, Context, Mode};
use crate::settings::{Job, Output, Settings};
use crate::source;
use crate::vocab::Severity;
use anyhow::Context as _;
use std::io::{self, Write};
use termcolor::{BufferedStandardStream, ColorChoice, NoColor};

/// Exit code: the scan was complete and nothing reached the gate.
pub const EXIT_CLEAN: i32 = 0;
/// Exit code: findings reached the gate.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code: an error, or an incomplete scan.
pub const EXIT_ERROR: i32 = 2;

/// Exit code of a scan: 2 when incomplete (it wins), 1 when an unsuppressed finding reaches
/// `fail_on`.
pub fn exit_code(outcome: &Outcome, fail_on: Option<Severity>) -> i32 {
    if !outcome.complete() {
        return EXIT_ERROR;
    }
    match fail_on {
        Some(t)
            if outcome
                .findings
                .iter()
                .any(|f| !f.suppressed() && f.severity >= t) =>
        {
            EXIT_FINDINGS
        }
        _ => EXIT_CLEAN,
    }
}

/// Runs the job and returns the exit code.
pub fn run(settings: Settings) -> anyhow::Result<i32> {
    let Settings {
        job,
        output,
        threads,
        quiet,
        progress,
        matcher,
        runbooks,
        config,
        baseline,
        notes,
        mirror: _mirror,
    } = settings;
    let threads = start_pool(threads)?;
    let bar = Progress::new(progress);
    let (mut outcome, mode, revision) = match job {
        Job::Scan { paths, mut fs } => {
            fs.progress = bar.clone();
            fs.threads = threads;
            (
                source::fs::scan_paths(&matcher, &paths, &fs),
                Mode::Scan,
                None,
            )
        }
        Job::Stdin { max_filesize } => (
            source::fs::scan_stdin(&matcher, max_filesize),
            Mode::Scan,
            None,
        ),
        Job::History {
            repo,
            range,
            unreachable,
            full_scan,
            max_filesize,
        } => {
            let repo = source::git::open(repo.as_deref())?;
            let revision = source::git::revision(&repo);
            let opts = source::git::GitOptions {
                max_filesize,
                unreachable,
                full_scan,
                progress: bar.clone(),
            };
            match range {
                Some(r) => (
                    source::git::range::scan(&matcher, &repo, &r, &opts)?,
                    Mode::Range,
                    Some(revision),
                ),
                None => (
                    source::git::history::scan(&matcher, repo, &opts),
                    Mode::History,
                    Some(revision),
                ),
            }
        }
        Job::Staged {
            changes,
            max_filesize,
        } => {
            let (repo, changes) = changes.wait()?;
            let revision = source::git::revision(&repo);
            let outcome = source::git::staged::scan(&matcher, &repo, &changes, max_filesize);
            (outcome, Mode::Staged, Some(revision))
        }
        Job::Merge { reports } => {
            let merged = crate::merge::merge(&reports)?;
            return write_merged(merged, &output, &matcher, &runbooks, quiet);
        }
        Job::Rules { format } => {
            let mut out = stdout(output.color);
            crate::explain::list_rules(&mut out, matcher.rules(), format)?;
            out.flush()?;
            return Ok(EXIT_CLEAN);
        }
        Job::CheckRules { files } => return check_rule_files(&files),
        Job::Explain { rule } => {
            let mut out = stdout(output.color);
            crate::explain::explain(&mut out, matcher.rules(), &runbooks, &rule)?;
            out.flush()?;
            return Ok(EXIT_CLEAN);
        }
        Job::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = crate::cli::Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "leakscope", &mut script);
            let mut out = io::stdout().lock();
            out.write_all(&script)?;
            out.flush()?;
            return Ok(EXIT_CLEAN);
        }
    };
    bar.finish();
    outcome.notifications.extend(notes);
    suppress(&mut outcome, &config, mode == Mode::Range);
    if output.write_baseline {
        return write_baseline(&output, &outcome, quiet);
    }
    if let Some(b) = &baseline {
        b.filter(&mut outcome);
    }
    if let Some(opts) = &output.verify {
        crate::verify::verify(&mut outcome.findings, opts);
        if output.only_live {
            outcome.findings.retain(|f| {
                f.verification
                    .as_ref()
                    .is_some_and(|v| v.liveness == crate::vocab::Liveness::Live)
            });
        }
    }
    outcome.finish();
    let code = exit_code(&outcome, output.fail_on);
    print_notifications(&outcome, quiet);
    let plan = crate::plan::build(&outcome);
    let ctx = Context {
        rules: matcher.rules(),
        runbooks: &runbooks,
        plan: &plan,
        show_secrets: output.show_secrets,
        sarif_public: output.sarif_public,
        mode,
        revision,
        exit_code: code,
        repositories: Vec::new(),
    };
    // A reader that went away (`leakscope … | head`) does not change what the scan found.
    match write_report(&output, &outcome, &ctx) {
        Err(e) if is_broken_pipe(&e) => Ok(code),
        Err(e) => Err(e),
        Ok(()) => Ok(code),
    }
}

/// Writes the report of `leakscope merge`.
fn write_merged(
    merged: crate::merge::Merged,
    output: &Output,
    matcher: &crate::matcher::Matcher,
    runbooks: &crate::runbook::Runbooks,
    quiet: bool,
) -> anyhow::Result<i32> {
    let outcome = merged.outcome;
    let code = exit_code(&outcome, output.fail_on);
    print_notifications(&outcome, quiet);
    let plan = crate::plan::build(&outcome);
    let ctx = Context {
        rules: matcher.rules(),
        runbooks,
        plan: &plan,
        show_secrets: false,
        sarif_public: output.sarif_public,
        mode: merged.mode,
        revision: None,
        exit_code: code,
        repositories: merged.repositories,
    };
    match write_report(output, &outcome, &ctx) {
        Err(e) if is_broken_pipe(&e) => Ok(code),
        Err(e) => Err(e),
        Ok(()) => Ok(code),
    }
}

/// The most worker threads leakscope starts, whatever `--threads` says.
pub const MAX_THREADS: usize = 256;

/// Starts the global pool with `wanted` threads, clamped to [`MAX_THREADS`] and to what the
/// system lets this process spawn (a container's pid limit): fewer threads, never a panic.
fn start_pool(wanted: usize) -> anyhow::Result<usize> {
    let mut n = spawnable(wanted.clamp(1, MAX_THREADS));
    loop {
        match rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
        {
            Ok(()) => return Ok(n),
            Err(_) if n > 1 => n /= 2,
            Err(e) => anyhow::bail!("cannot start worker threads: {e}"),
        }
    }
}

/// How many of `n` threads can run at once: spawns them, parked, and counts.
fn spawnable(n: usize) -> usize {
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let wait = std::sync::Arc::new(std::sync::Mutex::new(wait));
    let mut started = Vec::with_capacity(n);
    for _ in 0..n {
        let wait = wait.clone();
        match std::thread::Builder::new().spawn(move || {
            let _ = wait.lock().map(|w| w.recv());
        }) {
            Ok(h) => started.push(h),
            Err(_) => break,
        }
    }
    let count = started.len();
    drop(release);
    for h in started {
        let _ = h.join();
    }
    count.max(1)
}

/// Suppresses the findings the configuration allows (by path or fingerprint). In a range,
/// `leakscope:allow` comments are the range's own: they stay proposals, which do not pass the
/// gate, unless the configuration of the range's base trusts them.
fn suppress(outcome: &mut Outcome, config: &Config, range: bool) {
    for f in &mut outcome.findings {
        if range && !config.trust_inline_allow {
            for s in &mut f.suppressions {
                if s.kind == SuppressionKind::InSource {
                    s.proposed = true;
                }
            }
        }
        if let Some(justification) = config.allowed(&f.path, &f.fingerprint) {
            f.suppressions.push(Suppression {
                kind: SuppressionKind::External,
                justification,
                proposed: false,
            });
        }
    }
}

fn write_baseline(output: &Output, outcome: &Outcome, quiet: bool) -> anyhow::Result<i32> {
    let path = output
        .path
        .clone()
        .unwrap_or_else(|| crate::settings::BASELINE_FILE.into());
    let baseline = Baseline::of(outcome);
    write_atomically(&path, &baseline.to_json())
        .with_context(|| format!("writing {}", path.display()))?;
    print_notifications(outcome, quiet);
    if !quiet {
        eprintln!(
            "leakscope: recorded {} finding{} in {}",
            baseline.len(),
            if baseline.len() == 1 { "" } else { "s" },
            path.display()
        );
    }
    Ok(if outcome.complete() {
        EXIT_CLEAN
    } else {
        EXIT_ERROR
    })
}

fn stdout(color: bool) -> BufferedStandardStream {
    BufferedStandardStream::stdout(if color {
        ColorChoice::Always
    } else {
        ColorChoice::Never
    })
}

/// Writes the report to stdout, or atomically to the output file.
fn write_report(output: &Output, outcome: &Outcome, ctx: &Context<'_>) -> anyhow::Result<()> {
    match &output.path {
        None => {
            let mut out = stdout(output.color);
            report::write(output.format, &mut out, outcome, ctx)?;
            out.flush()?;
        }
        Some(path) => {
            let mut buf = NoColor::new(Vec::new());
            report::write(output.format, &mut buf, outcome, ctx)?;
            write_atomically(path, &buf.into_inner())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// reader never sees a half-written report. A path that is not a regular file (`/dev/null`, a
/// FIFO, `/dev/stdout`, or a symbolic link to one) is written in place: renaming over it would
/// replace the device. A symbolic link to a regular file, or to nothing, is not followed: the
/// report replaces the link, so a link committed where a CI job writes its report (`-o
/// leakscope.sarif` → `~/.bashrc`) cannot make leakscope overwrite what it points to.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> io::Result<()> {
    let in_place = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::metadata(path).is_ok_and(|t| !t.is_file() && !t.is_dir())
        }
        Ok(m) => !m.is_file(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(e),
    };
    if in_place {
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)?
            .write_all(bytes);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Notifications go to stderr, one line each; `--quiet` keeps only errors.
fn print_notifications(outcome: &Outcome, quiet: bool) {
    let stderr = io::stderr();
    let mut err = stderr.lock();
    for n in &outcome.notifications {
        if quiet && n.level() != Level::Error {
            continue;
        }
        let message = crate::report::words::escape_controls(&n.message);
        let _ = writeln!(err, "leakscope: {}: {message}", n.level().as_str());
    }
}

/// Whether an error chain is a broken pipe (the reader went away: not an error).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// `leakscope rules --check FILE…`: the built-in rules with these files added (a file named
/// like a built-in one replaces it), every opt-in group enabled, every rule's examples run.
fn check_rule_files(files: &[std::path::PathBuf]) -> anyhow::Result<i32> {
    use crate::rules::{RuleSet, builtin};
    let mut given: Vec<(String, String)> = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let name = f.file_name().map_or_else(
            || f.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        given.push((name, text));
    }
    let is_published = |n: &str| builtin::PUBLISHED_FILES.iter().any(|(p, _)| *p == n);
    let mut set = RuleSet::empty();
    for (file, text) in builtin::RULE_FILES {
        if !given.iter().any(|(n, _)| n == file) {
            set.add_file(file, text)?;
        }
    }
    for (name, text) in given.iter().filter(|(n, _)| !is_published(n)) {
        set.add_file(name, text)?;
    }
    for (file, text) in builtin::PUBLISHED_FILES {
        match given.iter().find(|(n, _)| n == file) {
            Some((_, t)) => set.add_published(file, t)?,
            None => set.add_published(file, text)?,
        }
    }
    set.check_pairs()?;
    let rules = set.rules.len();
    let examples: usize = set
        .rules
        .iter()
        .map(|r| r.examples.len() + r.negative_examples.len())
        .sum();
    let mut out = io::stdout().lock();
    let failures = crate::matcher::check_examples(&set)
        .err()
        .unwrap_or_default();
    for f in &failures {
        writeln!(out, "{f}")?;
    }
    if failures.is_empty() {
        writeln!(
            out,
            "{rules} rules, {examples} examples and negative examples: all hold"
        )?;
        Ok(EXIT_CLEAN)
    } else {
        writeln!(out, "{} failures", failures.len())?;
        Ok(EXIT_FINDINGS)
    }
}
