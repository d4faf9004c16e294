//! CLI entry: parse arguments, run, map the outcome to the exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = audit::cli::Cli::parse();
    ExitCode::from(audit::app::run(cli))
}
