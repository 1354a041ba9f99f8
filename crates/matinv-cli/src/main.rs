//! The `matinv` command. Everything is in the library (`matinv_cli`); this only maps the
//! outcome to an exit status.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = matinv_cli::cli::Cli::parse();
    match matinv_cli::cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("matinv: error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
