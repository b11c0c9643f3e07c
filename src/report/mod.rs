//! Reports: one module per format, all fed the same sorted [`Outcome`] and [`Plan`], and
//! [`words`], where every sentence a finding says is worded.
//!
//! Secrets are redacted in every format unless the user opted in with `--show-secrets`.

pub mod json;
pub mod markdown;
pub mod sarif;
pub mod text;
pub mod words;

use crate::outcome::Outcome;
use crate::plan::Plan;
use crate::rules::RuleSet;
use crate::runbook::Runbooks;
use crate::source::git::Revision;
use std::io;
use termcolor::WriteColor;

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Readable text, coloured on a terminal.
    Text,
    /// One JSON object (`version`, `tool`, `findings`, `notifications`, `plan`, `stats`).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other viewers.
    Sarif,
    /// A Markdown incident report with a rotation plan.
    Markdown,
}

/// Which command produced the outcome; formats group and word things accordingly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Files on disk or stdin.
    Scan,
    /// Git history.
    History,
    /// What a range of commits adds (`history --range`).
    Range,
    /// The git index, before a commit.
    Staged,
}

impl Mode {
    /// The word JSON reports use for the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Scan => "scan",
            Mode::History => "history",
            Mode::Range => "range",
            Mode::Staged => "staged",
        }
    }

    /// Whether findings come from git objects (grouped by secret, with provenance).
    pub fn is_history(self) -> bool {
        matches!(self, Mode::History | Mode::Range)
    }
}

/// Everything a report needs besides the outcome.
pub struct Context<'a> {
    /// The rules the scan used (SARIF lists them).
    pub rules: &'a RuleSet,
    /// Runbooks (SARIF help, Markdown plan).
    pub runbooks: &'a Runbooks,
    /// The rotation plan.
    pub plan: &'a Plan,
    /// Print full secrets.
    pub show_secrets: bool,
    /// SARIF: include public-safe findings (as notes).
    pub sarif_public: bool,
    /// Which command ran.
    pub mode: Mode,
    /// History and staged: the revision scanned.
    pub revision: Option<Revision>,
    /// The exit code the run will end with (SARIF invocation).
    pub exit_code: i32,
    /// `leakscope merge`: the repositories whose reports were joined.
    pub repositories: Vec<String>,
}

/// Writes `outcome` in `format`.
pub fn write(
    format: Format,
    out: &mut dyn WriteColor,
    outcome: &Outcome,
    ctx: &Context<'_>,
) -> io::Result<()> {
    match format {
        Format::Text => text::write(out, outcome, ctx),
        Format::Json => json::write(out, outcome, ctx),
        Format::Sarif => sarif::write(out, outcome, ctx),
        Format::Markdown => markdown::write(out, outcome, ctx),
    }
}

/// The secret as a report shows it: redacted unless `--show-secrets`.
pub fn shown_secret<'f>(f: &'f crate::finding::Finding, ctx: &Context<'_>) -> &'f str {
    if ctx.show_secrets {
        f.secret.expose()
    } else {
        &f.redacted
    }
}

/// The finding's line as a report shows it.
pub fn shown_snippet<'f>(f: &'f crate::finding::Finding, ctx: &Context<'_>) -> Option<&'f str> {
    f.snippet.as_ref().map(|s| {
        if ctx.show_secrets {
            s.raw.as_str()
        } else {
            s.redacted.as_str()
        }
    })
}
