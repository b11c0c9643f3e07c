//! The `leakscope` binary: parse arguments, run, map the result to an exit code.

use clap::Parser;
use leakscope::{app, cli::Cli, settings::Settings};

fn main() {
    let cli = Cli::parse();
    let code = match Settings::from_cli(cli).and_then(app::run) {
        Ok(code) => code,
        Err(e) if app::is_broken_pipe(&e) => app::EXIT_CLEAN,
        Err(e) => {
            eprintln!("leakscope: error: {e:#}");
            app::EXIT_ERROR
        }
    };
    std::process::exit(code);
}
