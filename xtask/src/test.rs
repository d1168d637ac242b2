//! `test`: everything the tests need, then every check CI runs. The end-to-end tests find what was built
//! here through environment variables (absolute paths), so they never guess at target/ layout.

use anyhow::Result;

use crate::workspace::Workspace;
use crate::{apt, bench, bundle, cmd, eval, fetch, mlt, package, python, zoo};

pub fn run(ws: &Workspace) -> Result<()> {
    cmd::step("test: system packages");
    apt::ensure_libclang()?;
    let deps = fetch::run(ws)?;
    let test_models = python::make_test_models(ws)?;
    let diffusion_started = std::time::Instant::now();
    let tiny_diffusion = python::make_tiny_diffusion(ws)?;
    println!(
        "test: diffusion fixture ready in {:.1} s",
        diffusion_started.elapsed().as_secs_f64()
    );
    // The zoo goes into the bundle: the task nodes' tests render its models.
    let started = std::time::Instant::now();
    let zoo = zoo::run(ws, &zoo::Options::default())?;
    println!(
        "test: zoo ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let bundle = bundle::run(
        ws,
        &deps,
        &bundle::Options {
            with_models: true,
            ..bundle::Options::default()
        },
    )?;
    cmd::step("test: build ofx-host");
    cmd::run(&mut cmd::cargo_cmd([
        "build",
        "--release",
        "-p",
        "ofx-host",
    ]))?;

    cmd::step("test: MLT real host (Debian sid root with melt)");
    let started = std::time::Instant::now();
    let mlt_root = mlt::prepare(&mlt::Options::default())?;
    println!(
        "test: MLT root ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    cmd::step("test: rustfmt");
    cmd::run(&mut cmd::cargo_cmd(["fmt", "--all", "--check"]))?;

    cmd::step("test: clippy");
    cmd::run(&mut cmd::cargo_cmd([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))?;

    cmd::step("test: cargo test");
    let mut test = cmd::cargo_cmd(["test", "--workspace", "--all-features"]);
    test.env("ONNXFX_BUNDLE", &bundle)
        .env("OFX_HOST_BIN", ws.ofx_host_bin())
        .env("ONNXFX_TEST_MODELS", &test_models)
        .env("ONNXFX_TEST_DATA", ws.deps_dir())
        .env("ONNXFX_PYTHON", ws.pyenv_python())
        .env("ONNXFX_MLT_ROOT", &mlt_root)
        .env("ONNXFX_ZOO", &zoo)
        .env("ONNXFX_TINY_DIFFUSION", &tiny_diffusion);
    cmd::run(&mut test)?;

    eval::quality_check(ws, &zoo)?;

    validate(ws, &bundle, &test_models)?;
    validate_generative(ws, &bundle, &tiny_diffusion)?;

    // The release archive builds (bundle, licences, file manifest, checksum).
    package::dist(ws, &package::DistOptions::default())?;

    // The benchmarks work (small frames, seconds); their figures are never checked.
    cmd::step("test: cargo xtask bench --quick");
    let quick = bench::Options {
        quick: true,
        ..bench::Options::default()
    };
    bench::measure(ws, &deps, &bundle, &test_models, &quick)?;
    println!("\ntest: all checks passed");
    Ok(())
}

/// `ofx-host validate` on the Generative (diffusion) effect at level 10 with the tiny img2img pipeline,
/// two steps at a 64-pixel working size so its thousands of renders stay fast; report in
/// `target/validate-generative-report.json`.
fn validate_generative(
    ws: &Workspace,
    bundle: &std::path::Path,
    tiny: &std::path::Path,
) -> Result<()> {
    cmd::step("test: ofx-host validate on the Generative effect (level 10)");
    let report = ws.target.join("validate-generative-report.json");
    let start = std::time::Instant::now();
    cmd::run(
        std::process::Command::new(ws.ofx_host_bin())
            .arg("validate")
            .arg(bundle)
            .args(["--plugin", "io.github.onnxfx.Generative"])
            .args(["--level", VALIDATE_LEVEL, "--seed", "1"])
            .arg("--param")
            .arg(format!("pipelineDir={}", tiny.join("tiny-sd").display()))
            .args(["--param", "steps=2", "--param", "workingSize=64"])
            .arg("--json")
            .arg(&report),
    )?;
    println!(
        "test: Generative validation took {:.1} s; report {}",
        start.elapsed().as_secs_f64(),
        report.display()
    );
    Ok(())
}

/// The level CI validates the bundle at: the highest.
const VALIDATE_LEVEL: &str = "10";

/// `ofx-host validate` on the bundle at the highest level, with a fixed seed so CI runs are
/// repeatable; any failing scenario fails the test run. The report goes to
/// `target/validate-report.json`; the README explains every warning it gives.
fn validate(ws: &Workspace, bundle: &std::path::Path, models: &std::path::Path) -> Result<()> {
    cmd::step("test: ofx-host validate on the bundle (level 10)");
    let report = ws.target.join("validate-report.json");
    let start = std::time::Instant::now();
    cmd::run(
        std::process::Command::new(ws.ofx_host_bin())
            .arg("validate")
            .arg(bundle)
            .args(["--plugin", "io.github.onnxfx.Inference"])
            .args(["--level", VALIDATE_LEVEL, "--seed", "1"])
            .arg("--param")
            .arg(format!(
                "modelFile={}",
                models.join("invert.onnx").display()
            ))
            .arg("--json")
            .arg(&report),
    )?;
    println!(
        "test: validation took {:.1} s; report {}",
        start.elapsed().as_secs_f64(),
        report.display()
    );
    Ok(())
}
