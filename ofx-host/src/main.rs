//! The `ofx-host` binary: parse, run, print the error and exit with its code.
#![forbid(unsafe_code)]
// Printing the result and the error is this binary's job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;
use ofx_host::{Cli, logging};

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init();
    // Unlocked handles: `validate`'s scenario processes print from several threads.
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    match ofx_host::run(&cli, &mut out, &mut err) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ofx-host: {e}");
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}
