//! The one place where command-line arguments become the objects that run: the job, the rules
//! in force (built-in, then the configuration file's), where the report goes, and the gate that
//! turns findings into an exit code.

use crate::baseline::Baseline;
use crate::cli::{
    BaselineOf, Cli, ColorWhen, Command, FailOn, HistoryArgs, ListFormat, OutputFormat, ReportArgs,
    ScanArgs,
};
use crate::config::Config;
use crate::matcher::Matcher;
use crate::outcome::{Code, Notification};
use crate::report::Format;
use crate::rules::RuleSet;
use crate::runbook::Runbooks;
use crate::source::fs::FsOptions;
use crate::vocab::{Gate, Severity};
use anyhow::Context as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// What to run.
#[derive(Debug)]
pub enum Job {
    /// Scan paths on disk.
    Scan {
        /// The paths.
        paths: Vec<PathBuf>,
        /// Walk options.
        fs: FsOptions,
    },
    /// Scan stdin.
    Stdin {
        /// Size limit.
        max_filesize: u64,
    },
    /// Scan git history.
    History {
        /// Repository (None: discover from the current directory).
        repo: Option<PathBuf>,
        /// `A..B`, for CI.
        range: Option<String>,
        /// Include unreachable objects.
        unreachable: bool,
        /// Scan every blob in full.
        full_scan: bool,
        /// Size limit for blobs.
        max_filesize: u64,
    },
    /// Scan the index against HEAD.
    Staged {
        /// The repository and its staged changes, being read while the rules compile.
        changes: crate::source::git::staged::Pending,
        /// Size limit for blobs.
        max_filesize: u64,
    },
    /// List rules.
    Rules {
        /// How.
        format: ListFormat,
    },
    /// Check rule files against every rule's examples.
    CheckRules {
        /// The files.
        files: Vec<PathBuf>,
    },
    /// Explain one rule.
    Explain {
        /// Rule id.
        rule: String,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Join JSON reports.
    Merge {
        /// The reports.
        reports: Vec<PathBuf>,
    },
}

/// Where and how the report is written.
#[derive(Debug)]
pub struct Output {
    /// Format.
    pub format: Format,
    /// File to write atomically, or stdout.
    pub path: Option<PathBuf>,
    /// Print full secrets.
    pub show_secrets: bool,
    /// SARIF: include public-safe findings.
    pub sarif_public: bool,
    /// Findings at or above this severity fail the run; `None` never fails.
    pub fail_on: Option<Severity>,
    /// Colour text output.
    pub color: bool,
    /// Write a baseline (to `path`) instead of a report.
    pub write_baseline: bool,
    /// Ask providers whether keys still work (`--verify`).
    pub verify: Option<crate::verify::Options>,
    /// Report only live keys.
    pub only_live: bool,
}

/// Everything a run needs, resolved once.
pub struct Settings {
    /// The job.
    pub job: Job,
    /// The report.
    pub output: Output,
    /// Worker threads.
    pub threads: usize,
    /// Only errors on stderr.
    pub quiet: bool,
    /// Show a progress bar (stderr is a terminal and not `--quiet`).
    pub progress: bool,
    /// The matcher, built from the rules in force.
    pub matcher: Matcher,
    /// The runbooks.
    pub runbooks: Runbooks,
    /// The configuration file's allow lists.
    pub config: Config,
    /// Report only findings not recorded in this baseline.
    pub baseline: Option<Baseline>,
    /// Notes raised while resolving the settings (a range that changes its configuration).
    pub notes: Vec<Notification>,
    /// The temporary mirror of a repository given by URL, removed when the run ends.
    pub mirror: Option<crate::source::git::remote::Mirror>,
}

/// The default baseline file.
pub const BASELINE_FILE: &str = ".leakscope-baseline.json";

impl Settings {
    /// Resolves parsed arguments: defaults, the thread count, colour, the configuration file,
    /// the rules and the gate.
    pub fn from_cli(cli: Cli) -> anyhow::Result<Settings> {
        let threads = cli
            .threads
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let mut write_baseline = false;
        let mut mirror = None;
        let mut merge_output = None;
        let command = match cli.command {
            Command::Baseline { of } => {
                write_baseline = true;
                match of {
                    BaselineOf::Scan(a) => Command::Scan(a),
                    BaselineOf::History(a) => Command::History(a),
                }
            }
            c => c,
        };
        let (job, report, target) = match command {
            Command::Scan(a) => scan_job(a, threads),
            Command::History(a) => {
                let (job, report, target, m) = history_job(a)?;
                mirror = m;
                (job, report, target)
            }
            Command::Staged(a) => {
                let target = a.repo.clone();
                (
                    Job::Staged {
                        changes: crate::source::git::staged::Pending::start(a.repo),
                        max_filesize: a.report.max_filesize,
                    },
                    Some(a.report),
                    target,
                )
            }
            Command::Rules(a) if !a.check.is_empty() => {
                (Job::CheckRules { files: a.check }, None, None)
            }
            Command::Rules(a) => (Job::Rules { format: a.format }, None, None),
            Command::Explain(a) => (Job::Explain { rule: a.rule }, None, None),
            Command::Completions { shell } => (Job::Completions { shell }, None, None),
            Command::Merge(a) => {
                merge_output = Some(Output {
                    format: format(a.format),
                    color: use_color(cli.color, a.output.is_some()),
                    path: a.output,
                    show_secrets: false,
                    sarif_public: a.sarif_public,
                    fail_on: a.fail_on.map(gate).unwrap_or(Gate::Medium).threshold(),
                    write_baseline: false,
                    verify: None,
                    only_live: false,
                });
                (Job::Merge { reports: a.reports }, None, None)
            }
            Command::Baseline { .. } => unreachable!("resolved above"),
        };

        // Configuration and baseline: from the range's base for a merge gate, else from disk.
        let mut notes = Vec::new();
        let baseline_arg = report.as_ref().and_then(|r| r.baseline.clone());
        let (config, baseline) = match &job {
            Job::History {
                repo,
                range: Some(range),
                ..
            } => {
                let repo = crate::source::git::open(repo.as_deref())?;
                from_base(
                    &repo,
                    range,
                    cli.config.as_deref(),
                    baseline_arg.as_deref(),
                    &mut notes,
                )?
            }
            _ => {
                let config_path = match &cli.config {
                    Some(p) => Some(p.clone()),
                    None => {
                        let dir = target.unwrap_or_else(|| PathBuf::from("."));
                        let dir = if dir.is_file() {
                            dir.parent()
                                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
                        } else {
                            dir
                        };
                        match dir.canonicalize() {
                            Ok(d) => Config::discover(&d)?,
                            Err(_) => None,
                        }
                    }
                };
                let config = match &config_path {
                    Some(p) => Config::load(p)?,
                    None => Config::default(),
                };
                let baseline = match &baseline_arg {
                    Some(p) => Some(Baseline::load(p)?),
                    None => None,
                };
                (config, baseline)
            }
        };
        let mut rules = RuleSet::builtin().context("loading the built-in rules")?;
        let runbooks = Runbooks::builtin().context("loading the built-in runbooks")?;
        let custom = config.apply(&mut rules, &runbooks)?;
        // `leakscope rules` lists every rule, opt-in ones included.
        let generic =
            report.as_ref().is_some_and(|r| r.generic) || matches!(job, Job::Rules { .. });
        let opt_in: &[&str] = if generic {
            &[crate::rules::GENERIC]
        } else {
            &[]
        };
        // Jobs that read little do not repay the DFA's build time.
        let small = !matches!(job, Job::Scan { .. } | Job::History { .. });
        let matcher = match small {
            true => Matcher::for_small_inputs(rules, opt_in),
            false => Matcher::with_opt_in(rules, opt_in),
        };
        if !custom.is_empty()
            && let Err(failures) = matcher.check_examples_of(&custom)
        {
            anyhow::bail!(
                "{}: custom rules fail their own examples:\n  {}",
                config.name,
                failures.join("\n  ")
            );
        }
        let output = match merge_output {
            Some(o) => o,
            None => output(report, cli.color, config.fail_on, write_baseline),
        };
        Ok(Settings {
            job,
            output,
            threads,
            quiet: cli.quiet,
            progress: !cli.quiet && std::io::stderr().is_terminal(),
            matcher,
            runbooks,
            config,
            baseline,
            notes,
            mirror,
        })
    }
}

/// With `--range A..B`: the configuration and the baseline from revision A's tree (a path
/// named on the command line is looked up there too, unless it is absolute and outside the
/// work tree), and a warning when the range changes them.
fn from_base(
    repo: &gix::Repository,
    range: &str,
    config_arg: Option<&Path>,
    baseline_arg: Option<&Path>,
    notes: &mut Vec<Notification>,
) -> anyhow::Result<(Config, Option<Baseline>)> {
    use crate::source::git::trusted::{Base, Located};
    let base = Base::open(repo, range)?;
    let label = base.label();
    let changed = |rel: &str, what: String, notes: &mut Vec<Notification>| {
        notes.push(Notification::new(
            Code::ConfigChanged,
            Some(rel.to_string()),
            format!(
                "the range changes {rel}: it {what}; this scan uses {rel} as it is in {label}, the range's base: the change takes effect once merged"
            ),
        ));
    };
    let config = match config_arg.map(|p| base.locate(p)) {
        Some(Located::OnDisk(p)) => Config::load(&p)?,
        located => {
            let rel = match located {
                Some(Located::InTree(r)) => r,
                _ => crate::config::FILE_NAME.to_string(),
            };
            let name = format!("{label}:{rel}");
            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            let config = match base.read(&rel, crate::config::MAX_SIZE)? {
                Some(bytes) => Config::parse(&name, &text(&bytes))?,
                None if config_arg.is_some() => anyhow::bail!(
                    "{rel}: not in {label}, the range's base: with --range the configuration is read from the base"
                ),
                None => Config::default(),
            };
            if let Some(new) = base.changed(&rel)? {
                let what = match new {
                    None => "deletes it".to_string(),
                    Some(bytes) => match Config::parse(&rel, &text(&bytes)) {
                        Ok(new) => {
                            let d = config.describe_change(&new);
                            if d.is_empty() {
                                "edits it".to_string()
                            } else {
                                d.join("; ")
                            }
                        }
                        Err(e) => format!("makes it invalid ({e})"),
                    },
                };
                changed(&rel, what, notes);
            }
            config
        }
    };
    let baseline = match baseline_arg.map(|p| base.locate(p)) {
        None => None,
        Some(Located::OnDisk(p)) => Some(Baseline::load(&p)?),
        Some(Located::InTree(rel)) => {
            let bytes = base
                .read(&rel, crate::baseline::BASELINE_MAX)?
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{rel}: not in {label}, the range's base: with --range the baseline is read from the base"
                    )
                })?;
            let b = Baseline::parse(&format!("{label}:{rel}"), &bytes)?;
            if base.changed(&rel)?.is_some() {
                changed(&rel, "edits it".to_string(), notes);
            }
            Some(b)
        }
    };
    Ok((config, baseline))
}

fn scan_job(a: ScanArgs, threads: usize) -> (Job, Option<ReportArgs>, Option<PathBuf>) {
    let target = a.paths.first().filter(|p| p.as_os_str() != "-").cloned();
    let job = if a.paths.len() == 1 && a.paths[0].as_os_str() == "-" {
        Job::Stdin {
            max_filesize: a.report.max_filesize,
        }
    } else {
        Job::Scan {
            paths: a.paths,
            fs: FsOptions {
                no_ignore: a.no_ignore,
                max_filesize: a.report.max_filesize,
                threads,
                progress: crate::progress::Progress::hidden(),
            },
        }
    };
    (job, Some(a.report), target)
}

/// The history job; a repository given by URL is mirrored first (into a temporary directory
/// the returned [`Mirror`](crate::source::git::remote::Mirror) owns).
#[allow(clippy::type_complexity)]
fn history_job(
    a: HistoryArgs,
) -> anyhow::Result<(
    Job,
    Option<ReportArgs>,
    Option<PathBuf>,
    Option<crate::source::git::remote::Mirror>,
)> {
    use crate::source::git::remote;
    let url = a
        .repo
        .as_deref()
        .and_then(|p| p.to_str())
        .filter(|s| remote::is_url(s))
        .map(str::to_string);
    if a.pull_refs && url.is_none() {
        anyhow::bail!("--pull-refs applies to a repository given by URL");
    }
    let mirror = match &url {
        Some(u) => Some(remote::mirror(u, a.pull_refs)?),
        None => None,
    };
    let repo = match &mirror {
        Some(m) => Some(m.path()),
        None => a.repo,
    };
    Ok((
        Job::History {
            repo: repo.clone(),
            range: a.range,
            unreachable: a.unreachable,
            full_scan: a.full_scan,
            max_filesize: a.report.max_filesize,
        },
        Some(a.report),
        repo,
        mirror,
    ))
}

fn output(
    report: Option<ReportArgs>,
    color: ColorWhen,
    config_fail_on: Option<Gate>,
    write_baseline: bool,
) -> Output {
    let Some(r) = report else {
        return Output {
            format: Format::Text,
            path: None,
            show_secrets: false,
            sarif_public: false,
            fail_on: None,
            color: use_color(color, false),
            write_baseline: false,
            verify: None,
            only_live: false,
        };
    };
    let path = match (&r.output, write_baseline) {
        (None, true) => Some(PathBuf::from(BASELINE_FILE)),
        (p, _) => p.clone(),
    };
    let to_file = path.is_some();
    Output {
        format: format(r.format),
        path,
        show_secrets: r.show_secrets,
        sarif_public: r.sarif_public,
        fail_on: r
            .fail_on
            .map(gate)
            .or(config_fail_on)
            .unwrap_or(Gate::Medium)
            .threshold(),
        color: use_color(color, to_file),
        write_baseline,
        verify: (r.verify || r.only_live).then(|| crate::verify::Options {
            timeout: std::time::Duration::from_secs(r.verify_timeout.clamp(1, 300)),
            ..Default::default()
        }),
        only_live: r.only_live,
    }
}

/// The gate a `--fail-on` value names.
pub fn gate(f: FailOn) -> Gate {
    match f {
        FailOn::Critical => Gate::Critical,
        FailOn::High => Gate::High,
        FailOn::Medium => Gate::Medium,
        FailOn::Low => Gate::Low,
        FailOn::Info => Gate::Info,
        FailOn::Never => Gate::Never,
    }
}

/// The severity a `--fail-on` value gates at.
pub fn threshold(f: FailOn) -> Option<Severity> {
    gate(f).threshold()
}

fn format(f: OutputFormat) -> Format {
    match f {
        OutputFormat::Text => Format::Text,
        OutputFormat::Json => Format::Json,
        OutputFormat::Sarif => Format::Sarif,
        OutputFormat::Markdown => Format::Markdown,
    }
}

fn use_color(when: ColorWhen, to_file: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            !to_file
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}
