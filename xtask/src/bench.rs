//! `bench`: the plugin against ONNX Runtime alone and against a Python pipeline, plus pixel
//! conversions, memory, concurrency and first renders; see docs/benchmarks.md. Sets up what it needs
//! (bundle, host, Python venv, the generated model), then runs the release-built `onnxfx-bench`, which
//! writes `target/bench/{results.json, benchmarks.md, benchmarks.png}`.
//!
//! Every pretrained model deps.toml ships (what `bundle --with-models` puts in the bundle) is timed,
//! and so is every `.onnx` in the bundle's `Resources/models/`, plus the bench's own generated model;
//! a model added to deps.toml joins without a change here. `--quick` times the generated model on
//! small frames only: CI runs it from `cargo xtask test` to check that the bench works (no timing is
//! ever asserted).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::workspace::Workspace;
use crate::{apt, bundle, cmd, fetch, python};

#[derive(clap::Args, Default)]
pub struct Options {
    /// Small frames, the generated model only, two rounds: seconds, to check the bench works.
    #[arg(long)]
    pub quick: bool,
    /// Rounds per measurement (default 5; 2 with --quick).
    #[arg(long)]
    pub rounds: Option<usize>,
    /// ONNX Runtime threads on every side (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Also copy the table into docs/benchmarks.md (between its generated-section markers).
    #[arg(long)]
    pub write_docs: bool,
}

/// The section of docs/benchmarks.md that `--write-docs` replaces.
const BEGIN: &str = "<!-- bench:begin (cargo xtask bench --write-docs) -->";
const END: &str = "<!-- bench:end -->";

pub fn run(ws: &Workspace, options: &Options) -> Result<()> {
    cmd::step("bench: set-up");
    apt::ensure_libclang()?;
    // The chart's text; the table is written without it.
    if let Err(e) = apt::ensure(&["fonts-dejavu-core"]) {
        println!("bench: no font for the chart ({e:#})");
    }
    let deps = fetch::run(ws)?;
    let test_models = python::make_test_models(ws)?;
    let bundle = bundle::run(ws, &deps, &bundle::Options::default())?;
    measure(ws, &deps, &bundle, &test_models, options)
}

/// The measurements, once the bundle, the test models and the venv exist (`test` calls this with
/// `--quick` after its own set-up).
pub fn measure(
    ws: &Workspace,
    deps: &crate::deps::Deps,
    bundle: &Path,
    test_models: &Path,
    options: &Options,
) -> Result<()> {
    cmd::step("bench: build ofx-host and onnxfx-bench (release)");
    cmd::run(&mut cmd::cargo_cmd([
        "build",
        "--release",
        "-p",
        "ofx-host",
        "-p",
        "onnxfx-bench",
    ]))?;
    let out = ws.target.join("bench");
    let generated = generated_model(ws, &out)?;
    let mut models = Vec::new();
    if !options.quick {
        models.extend(bundled_models(ws, deps, bundle)?);
    }
    models.push(generated.clone());

    let threads = options.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let rounds = options.rounds.unwrap_or(if options.quick { 2 } else { 5 });
    let command_line = format!(
        "cargo xtask bench{}{}{}",
        if options.quick { " --quick" } else { "" },
        options
            .rounds
            .map_or_else(String::new, |r| format!(" --rounds {r}")),
        options
            .threads
            .map_or_else(String::new, |t| format!(" --threads {t}"))
    );
    cmd::step("bench: measure");
    let mut suite = Command::new(ws.target.join("release").join("onnxfx-bench"));
    suite
        .env("ONNXFX_THREADS", threads.to_string())
        .arg("suite")
        .arg("--bundle")
        .arg(bundle)
        .arg("--runtime")
        .arg(ws.deps_dir().join(deps.runtime_library_path()))
        .arg("--ofx-host")
        .arg(ws.ofx_host_bin())
        .arg("--python")
        .arg(ws.pyenv_python())
        .arg("--script")
        .arg(ws.scripts().join("bench_pipeline.py"))
        .args(["--threads", &threads.to_string()])
        .args(["--rounds", &rounds.to_string()])
        .arg("--x2-model")
        .arg(test_models.join("upscale2x.onnx"))
        .arg("--concurrency-model")
        .arg(&generated)
        .args(["--command", &command_line])
        .arg("--out")
        .arg(&out);
    for model in &models {
        suite.arg("--model").arg(model);
    }
    if options.quick {
        suite.args([
            "--sizes",
            "256x144",
            "--memory-size",
            "320x180",
            "--conversion-size",
            "512x288",
            "--concurrency-size",
            "256x144",
            "--cold-repeats",
            "1",
        ]);
    }
    cmd::run(&mut suite)?;
    if options.write_docs {
        write_docs(ws, &out.join("benchmarks.md"))?;
    }
    Ok(())
}

/// The bench's own model (a small residual conv net), made by scripts/make_bench_model.py.
fn generated_model(ws: &Workspace, out: &Path) -> Result<PathBuf> {
    let dir = out.join("models");
    std::fs::create_dir_all(&dir)?;
    let model = dir.join("convnet.onnx");
    cmd::run(
        Command::new(ws.pyenv_python())
            .arg(ws.scripts().join("make_bench_model.py"))
            .arg(&model),
    )?;
    Ok(model)
}

/// The pretrained models: deps.toml's (as `bundle --with-models` ships them) and any model already in
/// the bundle's Resources/models/.
fn bundled_models(ws: &Workspace, deps: &crate::deps::Deps, bundle: &Path) -> Result<Vec<PathBuf>> {
    let mut models = bundle::shipped_models(ws, deps);
    let in_bundle = bundle.join("Contents/Resources/models");
    if let Ok(entries) = std::fs::read_dir(&in_bundle) {
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
            .collect();
        found.sort();
        for model in found {
            let same_name = models.iter().any(|m| m.file_name() == model.file_name());
            if !same_name {
                models.push(model);
            }
        }
    }
    for model in &models {
        if !model.is_file() {
            bail!(
                "{} is missing (did `cargo xtask fetch` run?)",
                model.display()
            );
        }
    }
    Ok(models)
}

/// Replaces the generated section of docs/benchmarks.md with the table just written.
fn write_docs(ws: &Workspace, table: &Path) -> Result<()> {
    let docs = ws.root.join("docs").join("benchmarks.md");
    let text = std::fs::read_to_string(&docs).with_context(|| format!("{}", docs.display()))?;
    let generated = std::fs::read_to_string(table)?;
    let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        bail!("{} has no {BEGIN} ... {END} section", docs.display());
    };
    let updated = format!(
        "{}{BEGIN}\n{}\n{}",
        &text[..start],
        generated.trim_end(),
        &text[end..]
    );
    std::fs::write(&docs, updated)?;
    println!("bench: {} updated", docs.display());
    Ok(())
}
