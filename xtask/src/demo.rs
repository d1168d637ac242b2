//! `demo`: from a fresh Debian machine with Rust to a rendered frame: the PP-OCRv4 text detector applied to a
//! real photograph through the bundle, inside the headless host `ofx-host`. The default photo is a scanned
//! page of print, where the text probability map is easy to judge by eye (astronaut.png is mostly blank).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

use crate::workspace::Workspace;
use crate::{apt, bundle, cmd, fetch};

/// The plugin that runs an arbitrary ONNX model (`modelFile` parameter).
const INFERENCE_PLUGIN: &str = "io.github.onnxfx.Inference";

#[derive(clap::Args)]
pub struct Options {
    /// A photograph under target/deps/photos/, or a path to one (PNG, JPEG, TIFF, OpenEXR). Any size: the
    /// model's manifest makes the node pad to the multiples of 32 the detector needs.
    #[arg(long, default_value = "page.png")]
    photo: String,
}

pub fn run(ws: &Workspace, options: &Options) -> Result<()> {
    cmd::step("demo: system packages");
    apt::ensure_libclang()?;
    let deps = fetch::run(ws)?;
    let bundle = bundle::run(ws, &deps, &bundle::Options::default())?;
    cmd::step("demo: build ofx-host");
    cmd::run(&mut cmd::cargo_cmd([
        "build",
        "--release",
        "-p",
        "ofx-host",
    ]))?;

    let demo_dir = ws.target.join("demo");
    std::fs::create_dir_all(&demo_dir)?;
    let photo = resolve_photo(ws, &options.photo)?;
    let model = absolute(&ws.ppocr_det_model())?;
    let stem = photo
        .file_stem()
        .context("photo has no file name")?
        .to_string_lossy();
    let output = demo_dir.join(format!("{stem}-ppocr-v4-det.png"));

    cmd::step(&format!("demo: render through {INFERENCE_PLUGIN}"));
    let mut render = Command::new(ws.ofx_host_bin());
    render
        .arg("render")
        .arg(&bundle)
        .args(["--plugin", INFERENCE_PLUGIN, "--param"])
        .arg(format!("modelFile={}", model.display()))
        .arg("--input")
        .arg(&photo)
        .arg("--output")
        .arg(&output);
    // A stale output from an earlier run must not pass for this run's.
    if output.exists() {
        std::fs::remove_file(&output)?;
    }
    let (elapsed, render_lines) = run_timed(&mut render)?;
    ensure!(
        output.is_file(),
        "ofx-host exited successfully but wrote no {}",
        output.display()
    );

    println!("\ndemo: output {}", output.display());
    for line in &render_lines {
        println!("demo: {line}");
    }
    println!("demo: whole ofx-host process {:.0} ms", elapsed * 1000.0);
    Ok(())
}

/// Runs the host, passing its stderr through while keeping the `frame N: render action X ms` lines.
fn run_timed(command: &mut Command) -> Result<(f64, Vec<String>)> {
    let line = cmd::describe(command);
    println!("$ {line}");
    let start = Instant::now();
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start `{line}` (was ofx-host built?)"))?;
    let mut render_lines = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        for text in BufReader::new(stderr).lines() {
            let text = text?;
            eprintln!("{text}");
            if text.contains("render action") {
                render_lines.push(text.trim().to_owned());
            }
        }
    }
    let status = child.wait()?;
    let elapsed = start.elapsed().as_secs_f64();
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok((elapsed, render_lines))
}

fn resolve_photo(ws: &Workspace, photo: &str) -> Result<PathBuf> {
    let given = PathBuf::from(photo);
    let path = if given.components().count() == 1 && !given.exists() {
        ws.photo(photo)
    } else {
        given
    };
    absolute(&path)
}

fn absolute(path: &Path) -> Result<PathBuf> {
    path.canonicalize().with_context(|| {
        format!(
            "{} not found (did `cargo xtask fetch` run?)",
            path.display()
        )
    })
}
