//! `onnxfx-bench`: what `cargo xtask bench` runs. The plugin through the real bundle against ONNX
//! Runtime alone and against a Python pipeline, pixel conversions against `memcpy`, memory of an 8K
//! render, concurrent instances, first render against a cache hit. Results go to a JSON file, a
//! markdown table and a PNG chart. Printing is this tool's job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod concurrency;
mod frame;
mod pixels;
mod plugin;
mod python;
mod raw;
mod report;
mod stats;
mod suite;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "onnxfx benchmarks (run through `cargo xtask bench`)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// One render in a fresh process (the session cache and the peak memory are per process).
#[derive(clap::Args)]
struct Child {
    #[arg(long)]
    bundle: PathBuf,
    #[arg(long)]
    model: PathBuf,
    #[arg(long)]
    width: usize,
    #[arg(long)]
    height: usize,
}

#[derive(Subcommand)]
enum Command {
    /// Every measurement; writes results.json, benchmarks.md and benchmarks.png into --out.
    Suite(Box<suite::Args>),
    /// Child: the memory of one render (JSON on stdout).
    Memory(Child),
    /// Child: a new instance's first render and a second instance's (JSON on stdout).
    Cold(Child),
    /// Writes the table and the chart again from a results.json.
    Report {
        results: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Suite(args) => suite::run(&args),
        Command::Memory(c) => {
            let m = plugin::memory(&c.bundle, &c.model, c.width, c.height)?;
            println!("{}", serde_json::to_string(&m)?);
            Ok(())
        }
        Command::Cold(c) => {
            let m = plugin::cold_warm(&c.bundle, &c.model, c.width, c.height)?;
            println!("{}", serde_json::to_string(&m)?);
            Ok(())
        }
        Command::Report { results, out } => {
            let text = std::fs::read_to_string(&results)?;
            let results: suite::Results = serde_json::from_str(&text)?;
            report::write(&results, &out)
        }
    }
}
