//! `ofx-host`: a headless OpenFX host for pipeline engineers and CI. It lists, describes and renders OFX
//! image effects through the real C ABI (via `ofx_sdk::host`), reading and writing image files.
//!
//! Pixel values are never colour-converted: 8-bit files map to 0..1 by /255, 16-bit by /65535, OpenEXR
//! values pass through; PNG output clamps to 0..1 and rounds.
//!
//! Exit codes: 0 success, 1 failure (loading, a plugin action, file I/O), 2 usage error.
#![forbid(unsafe_code)]

use std::io::Write;

pub mod cli;
pub mod commands;
pub mod error;
pub mod frames;
pub mod imageio;
pub mod logging;
pub mod report;
pub mod timings;
pub mod validate;

pub use cli::Cli;
pub use error::CliError;

/// Runs a parsed command line: results to `out`, messages, warnings and timings to `err`.
pub fn run(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), CliError> {
    match &cli.command {
        cli::Command::List(a) => commands::list::run(a, out, err),
        cli::Command::Describe(a) => commands::describe::run(a, out, err),
        cli::Command::Render(a) => commands::render::run(a, out, err),
        cli::Command::Validate(a) => validate::run(a, out, err),
        cli::Command::Scenario(a) => validate::sandbox::child(a, out, err),
    }
}
