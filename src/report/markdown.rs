//! The Markdown incident report.

use super::Context;
use crate::scan::Outcome;
use std::io::{self, Write};

/// Writes the Markdown incident report.
pub fn write(out: &mut dyn Write, outcome: &Outcome, _ctx: &Context<'_>) -> io::Result<()> {
    writeln!(
        out,
        "# leakscope incident report\n\n{} findings.",
        outcome.findings.len()
    )
}
