//! The one place where command-line arguments become the objects that run: the job, where its
//! report goes, and the gate that turns findings into an exit code.

use crate::cli::{Cli, ColorWhen, Command, FailOn, ListFormat, ReportArgs};
use crate::matcher::Matcher;
use crate::report::Format;
use crate::rules::RuleSet;
use crate::runbook::Runbooks;
use crate::source::fs::FsOptions;
use crate::vocab::Severity;
use anyhow::Context as _;
use std::io::IsTerminal;
use std::path::PathBuf;

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
        /// Repository (None: discover from the current directory).
        repo: Option<PathBuf>,
        /// Size limit for blobs.
        max_filesize: u64,
    },
    /// List rules.
    Rules {
        /// How.
        format: ListFormat,
    },
    /// Explain one rule.
    Explain {
        /// Rule id.
        rule: String,
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
    /// Findings at or above this severity fail the run; `None` never fails.
    pub fail_on: Option<Severity>,
    /// Colour text output.
    pub color: bool,
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
    /// The matcher, built from the rules in force.
    pub matcher: Matcher,
    /// The runbooks.
    pub runbooks: Runbooks,
}

impl Settings {
    /// Resolves parsed arguments: defaults, the thread count, colour, the gate, and the rules.
    pub fn from_cli(cli: Cli) -> anyhow::Result<Settings> {
        let threads = cli
            .threads
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let rules = RuleSet::builtin().context("loading the built-in rules")?;
        let runbooks = Runbooks::builtin().context("loading the built-in runbooks")?;
        let (job, report) = match cli.command {
            Command::Scan(a) => {
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
                        },
                    }
                };
                (job, Some(a.report))
            }
            Command::History(a) => (
                Job::History {
                    repo: a.repo,
                    range: a.range,
                    unreachable: a.unreachable,
                    full_scan: a.full_scan,
                    max_filesize: a.report.max_filesize,
                },
                Some(a.report),
            ),
            Command::Staged(a) => (
                Job::Staged {
                    repo: a.repo,
                    max_filesize: a.report.max_filesize,
                },
                Some(a.report),
            ),
            Command::Rules(a) => (Job::Rules { format: a.format }, None),
            Command::Explain(a) => (Job::Explain { rule: a.rule }, None),
        };
        let output = output(report, cli.color);
        Ok(Settings {
            job,
            output,
            threads,
            quiet: cli.quiet,
            matcher: Matcher::new(rules),
            runbooks,
        })
    }
}

fn output(report: Option<ReportArgs>, color: ColorWhen) -> Output {
    let Some(r) = report else {
        return Output {
            format: Format::Text,
            path: None,
            show_secrets: false,
            fail_on: None,
            color: use_color(color, false),
        };
    };
    let to_file = r.output.is_some();
    Output {
        format: r.format,
        path: r.output,
        show_secrets: r.show_secrets,
        fail_on: threshold(r.fail_on),
        color: use_color(color, to_file),
    }
}

/// The severity a `--fail-on` value gates at.
pub fn threshold(f: FailOn) -> Option<Severity> {
    match f {
        FailOn::Critical => Some(Severity::Critical),
        FailOn::High => Some(Severity::High),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::Low => Some(Severity::Low),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
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
