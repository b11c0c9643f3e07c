//! The `leakscope` binary: parse arguments, run, map the result to an exit code.

use clap::Parser;
use leakscope::{app, cli::Cli, report::words::escape_controls, settings::Settings};

fn main() {
    let cli = Cli::parse();
    let code = match Settings::from_cli(cli).and_then(app::run) {
        Ok(code) => code,
        Err(e) if app::is_broken_pipe(&e) => app::EXIT_CLEAN,
        Err(e) => {
            // Errors can quote a repository's names: control characters escaped, and every
            // line after the first indented, so none can pass for a line of its own.
            let text = format!("{e:#}");
            let lines: Vec<_> = text.split('\n').map(escape_controls).collect();
            eprintln!("leakscope: error: {}", lines.join("\n  "));
            app::EXIT_ERROR
        }
    };
    if std::env::var_os("LEAKSCOPE_WORK").is_some() {
        eprintln!("leakscope: work: {}", leakscope::work::report());
    }
    std::process::exit(code);
}
