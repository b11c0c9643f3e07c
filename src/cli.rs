//! Command-line definitions, and nothing else: [`crate::settings`] turns them into the objects
//! that run.

use crate::units::parse_size;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Find leaked credentials in files and git history, tell which are public by design and which
/// must be rotated, and how to rotate them without an outage.
#[derive(Debug, Parser)]
#[command(name = "leakscope", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Worker threads (default: the number of CPUs).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,

    /// When to colour text output.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    /// Print nothing on stderr but errors (no progress bar, no notes).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Configuration file (default: .leakscope.toml at the repository root, if any).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories on disk (`-` reads stdin).
    Scan(ScanArgs),
    /// Scan every blob in a git repository's history.
    History(HistoryArgs),
    /// Scan what the next commit would add (for a pre-commit hook).
    Staged(StagedArgs),
    /// Join JSON reports (one per repository) into one report, in any format: one secret
    /// found in several repositories is one secret of the plan.
    Merge(MergeArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Explain a rule: what the key is, whether it is safe, how to rotate it.
    Explain(ExplainArgs),
    /// Record the current findings of a scan as a baseline, so `--baseline` reports only new
    /// ones: `leakscope baseline scan . -o .leakscope-baseline.json`.
    Baseline {
        /// The scan whose findings to record.
        #[command(subcommand)]
        of: BaselineOf,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// What `leakscope baseline` records.
#[derive(Debug, Subcommand)]
pub enum BaselineOf {
    /// Files on disk.
    Scan(ScanArgs),
    /// Git history.
    History(HistoryArgs),
}

/// Options shared by every scanning command.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print secrets in full instead of redacted.
    #[arg(long)]
    pub show_secrets: bool,

    /// SARIF: include public-safe findings, as notes (left out by default: code scanning turns
    /// every result into an alert).
    #[arg(long)]
    pub sarif_public: bool,

    /// Exit with 1 when a finding reaches this severity [default: medium, or `fail_on` in the
    /// configuration file].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Report only findings that are not in this baseline file (see `leakscope baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Also run the generic detector: high-entropy values assigned to `password`, `secret`,
    /// `token`, `api_key`… with no known provider (noisier, so off by default).
    #[arg(long)]
    pub generic: bool,

    /// Ask each provider, read-only, whether every secret found still works (one request per
    /// distinct secret to the provider's own API; nothing leaves the machine without this).
    #[arg(long)]
    pub verify: bool,

    /// Report only keys the provider says still work (implies --verify).
    #[arg(long)]
    pub only_live: bool,

    /// How long one --verify request may take, in seconds.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub verify_timeout: u64,

    /// Skip files and blobs larger than SIZE (listed as notes), e.g. 256M, 10K, 1G.
    #[arg(long, default_value = "256M", value_name = "SIZE", value_parser = parse_size)]
    pub max_filesize: u64,
}

/// `leakscope scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` for stdin.
    #[arg(default_value = ".", value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Also scan files git ignores (reported as keep-private).
    #[arg(long)]
    pub no_ignore: bool,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub report: ReportArgs,
}

/// `leakscope history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The repository: a path (default: the one containing the current directory) or a URL,
    /// fetched into a temporary bare mirror (all branches, tags and notes) that is removed
    /// afterwards.
    #[arg(value_name = "REPO")]
    pub repo: Option<PathBuf>,

    /// With a URL: also fetch the host's pull- and merge-request refs (refs/pull/*,
    /// refs/merge-requests/*).
    #[arg(long)]
    pub pull_refs: bool,

    /// Only what commits reachable from B and not from A add (`A..B`), for CI.
    #[arg(long, value_name = "A..B")]
    pub range: Option<String>,

    /// Also scan objects no ref reaches (dropped commits, stash drops, dangling blobs).
    #[arg(long)]
    pub unreachable: bool,

    /// Scan every blob in full, not only what each delta changes (same findings, slower;
    /// for comparing the two).
    #[arg(long, hide = true)]
    pub full_scan: bool,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub report: ReportArgs,
}

/// `leakscope staged`.
#[derive(Debug, Args)]
pub struct StagedArgs {
    /// The repository (default: the one containing the current directory).
    #[arg(value_name = "REPO")]
    pub repo: Option<PathBuf>,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub report: ReportArgs,
}

/// `leakscope merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports (`--format json`) to join.
    #[arg(value_name = "REPORT", required = true, num_args = 1..)]
    pub reports: Vec<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// SARIF: include public-safe findings, as notes.
    #[arg(long)]
    pub sarif_public: bool,

    /// Exit with 1 when a finding reaches this severity [default: medium].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
}

/// `leakscope rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,

    /// Check rule files (provider TOML, as under rules/) against every rule's examples,
    /// together with the built-in rules (a file named like a built-in one replaces it); for
    /// rule authors. Exits 1 when an example fails.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub check: Vec<PathBuf>,
}

/// `leakscope explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule id, as `leakscope rules` lists them.
    #[arg(value_name = "RULE_ID")]
    pub rule: String,
}

/// The report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Readable text, coloured on a terminal.
    Text,
    /// One JSON object (`version`, `tool`, `findings`, `notifications`, `plan`).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other viewers.
    Sarif,
    /// A Markdown incident report with a rotation plan.
    Markdown,
}

/// How to list rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table for people.
    Table,
    /// JSON for machines.
    Json,
    /// A Markdown table of the providers (`docs/providers.md`).
    Markdown,
}

/// When to colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The `--fail-on` threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Only critical findings fail.
    Critical,
    /// High and critical.
    High,
    /// Medium and above: any must-rotate or keep-private finding (the default).
    Medium,
    /// Also public-safe findings with a warning.
    Low,
    /// Any finding.
    Info,
    /// Never fail on findings (errors still exit 2).
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
