//! The whole run: each (model, frame size) cell measured in interleaved rounds (raw session, plugin
//! render action, Python pipeline, whole `ofx-host render` process), so a burst of load from elsewhere
//! hits every side of a ratio alike; then the other sections.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::concurrency::{self, Concurrency};
use crate::pixels::{self, Conversion};
use crate::plugin::{self, ColdWarm, Host, Memory};
use crate::python::{self, Server};
use crate::raw::{self, Contract, Raw};
use crate::report;
use crate::stats::{self, Stats};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    pub bundle: PathBuf,
    /// The wheel's copy of the bundled ONNX Runtime (for the raw sessions).
    #[arg(long)]
    pub runtime: PathBuf,
    #[arg(long)]
    pub ofx_host: PathBuf,
    /// The venv's python, with numpy and onnxruntime.
    #[arg(long)]
    pub python: PathBuf,
    /// scripts/bench_pipeline.py
    #[arg(long)]
    pub script: PathBuf,
    /// Models to time (repeat the option).
    #[arg(long = "model", required = true)]
    pub models: Vec<PathBuf>,
    /// Frame sizes, WxH, comma-separated (fixed-size models also run at their own size).
    #[arg(long, value_delimiter = ',', default_value = "1920x1080,3840x2160")]
    pub sizes: Vec<String>,
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// ONNX Runtime threads on every side (the plugin gets it through ONNXFX_THREADS).
    #[arg(long)]
    pub threads: usize,
    /// A x2 model and the source size for the memory section (8K output from a 4K source).
    #[arg(long)]
    pub x2_model: PathBuf,
    #[arg(long, default_value = "3840x2160")]
    pub memory_size: String,
    #[arg(long)]
    pub concurrency_model: PathBuf,
    #[arg(long, default_value = "1920x1080")]
    pub concurrency_size: String,
    #[arg(long, default_value = "3840x2160")]
    pub conversion_size: String,
    /// Fresh processes for the first-render section, per model.
    #[arg(long, default_value_t = 3)]
    pub cold_repeats: usize,
    #[arg(long)]
    pub out: PathBuf,
    /// The command line to state in the report.
    #[arg(long, default_value = "cargo xtask bench")]
    pub command: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub load_before: String,
    pub load_after: String,
    pub onnxruntime: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cell {
    pub model: String,
    pub frame: (usize, usize),
    /// The tensor one run takes, and how many runs cover the frame (fixed-size models).
    pub tensor: (usize, usize),
    pub runs: usize,
    pub raw_ms: Stats,
    pub plugin_ms: Stats,
    pub process_ms: Stats,
    pub python_ms: Stats,
    pub plugin_over_raw: Stats,
    pub plugin_over_python: Stats,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cold {
    pub model: String,
    pub frame: (usize, usize),
    pub first_ms: Stats,
    pub second_ms: Stats,
    pub first_action_ms: Stats,
    pub second_action_ms: Stats,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    pub command: String,
    pub machine: Machine,
    pub threads: usize,
    pub rounds: usize,
    pub cells: Vec<Cell>,
    pub conversion: Conversion,
    pub memory: Memory,
    pub memory_model: String,
    pub concurrency: Vec<Concurrency>,
    pub concurrency_model: String,
    pub concurrency_frame: (usize, usize),
    pub cold: Vec<Cold>,
    /// Why the GPU section did not run, or what it found.
    pub gpu: String,
    pub seconds: f64,
}

pub fn parse_size(text: &str) -> Result<(usize, usize)> {
    let (w, h) = text
        .split_once('x')
        .with_context(|| format!("size {text:?} is not WxH"))?;
    Ok((w.trim().parse()?, h.trim().parse()?))
}

fn name(model: &Path) -> String {
    model.file_stem().map_or_else(
        || model.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn machine(onnxruntime: String) -> Machine {
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or_else(|| "unknown".to_owned(), |(_, v)| v.trim().to_owned());
    let memory_kib: f64 = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        memory_gib: memory_kib / 1024.0 / 1024.0,
        kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
        load_before: load(),
        load_after: String::new(),
        onnxruntime,
    }
}

fn load() -> String {
    read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A short pause between measurements: ONNX Runtime's workers spin for a while after a run, and the
/// next side must not share the cores with them.
fn settle() {
    std::thread::sleep(Duration::from_millis(30));
}

/// Milliseconds of one whole `ofx-host render` process.
fn process(args: &Args, model: &Path, input: &Path, output: &Path) -> Result<f64> {
    let start = Instant::now();
    let out = Command::new(&args.ofx_host)
        .arg("render")
        .arg(&args.bundle)
        .args(["--plugin", plugin::PLUGIN_ID, "--param"])
        .arg(format!("modelFile={}", model.display()))
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(output)
        .output()
        .with_context(|| format!("running {}", args.ofx_host.display()))?;
    let elapsed = start.elapsed().as_secs_f64() * 1e3;
    if !out.status.success() {
        bail!(
            "ofx-host render failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(elapsed)
}

fn cell(
    args: &Args,
    host: &Host,
    model: &Path,
    contract: &Contract,
    contract_path: &Path,
    (width, height): (usize, usize),
) -> Result<Cell> {
    let label = format!("{} {width}x{height}", name(model));
    println!("bench: {label}: preparing");
    let mut raw = Raw::new(
        raw::session(&args.runtime, model, args.threads)?,
        contract,
        width,
        height,
    );
    let (tensor, runs) = contract.runs_for(width, height);
    raw.run()?;
    let instance = host.instance(model, width, height)?;
    plugin::render(&instance, 0.0)?;
    let mut server = Server::start(
        &python::Setup {
            python: &args.python,
            script: &args.script,
            model,
            contract: contract_path,
            threads: args.threads,
        },
        width,
        height,
    )?;
    let input = args.out.join(format!("frame-{width}x{height}.png"));
    if !input.is_file() {
        crate::frame::write_png(&input, width, height)?;
    }
    let output = args.out.join("process-output.exr");
    let (mut r, mut p, mut py, mut pr) = (vec![], vec![], vec![], vec![]);
    for round in 0..args.rounds {
        settle();
        r.push(raw.run()?);
        settle();
        p.push(plugin::render(
            &instance,
            f64::from(u32::try_from(round)?) + 1.0,
        )?);
        settle();
        py.push(server.run()?);
        settle();
        pr.push(process(args, model, &input, &output)?);
        println!(
            "bench: {label}: round {}: raw {:.1} ms, plugin {:.1} ms, Python {:.1} ms, ofx-host {:.1} ms",
            round + 1,
            r[round],
            p[round],
            py[round],
            pr[round]
        );
    }
    let _ = std::fs::remove_file(&output);
    let stats = |v: &[f64]| Stats::of(v).context("no rounds");
    Ok(Cell {
        model: name(model),
        frame: (width, height),
        tensor,
        runs,
        raw_ms: stats(&r)?,
        plugin_ms: stats(&p)?,
        process_ms: stats(&pr)?,
        python_ms: stats(&py)?,
        plugin_over_raw: stats(&stats::ratios(&p, &r))?,
        plugin_over_python: stats(&stats::ratios(&p, &py))?,
    })
}

/// Runs this binary's child mode and parses its JSON answer.
fn child<T: serde::de::DeserializeOwned>(
    mode: &str,
    bundle: &Path,
    model: &Path,
    (width, height): (usize, usize),
) -> Result<T> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .arg(mode)
        .arg("--bundle")
        .arg(bundle)
        .arg("--model")
        .arg(model)
        .args([
            "--width",
            &width.to_string(),
            "--height",
            &height.to_string(),
        ])
        .output()?;
    if !out.status.success() {
        bail!(
            "onnxfx-bench {mode} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| format!("{mode} answered {line:?}"))
}

/// Why there is no GPU section: no CUDA device, or no CUDA provider in the bundled runtime.
fn gpu(bundle: &Path) -> String {
    let device = Path::new("/dev/nvidia0").exists() || Path::new("/proc/driver/nvidia").exists();
    let binaries = bundle.join("Contents/Linux-x86-64");
    let provider = std::fs::read_dir(&binaries).ok().is_some_and(|entries| {
        entries.filter_map(Result::ok).any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("libonnxruntime_providers_cuda")
        })
    });
    match (device, provider) {
        (false, false) => "skipped: no CUDA device on this machine (no /dev/nvidia0), and the \
            bundled ONNX Runtime (the CPU wheel) has no CUDA execution provider"
            .to_owned(),
        (false, true) => "skipped: no CUDA device on this machine (no /dev/nvidia0)".to_owned(),
        (true, false) => {
            "skipped: a CUDA device is present, but the bundled ONNX Runtime (the CPU \
            wheel) has no CUDA execution provider (libonnxruntime_providers_cuda.so); the plugin \
            would fall back to the CPU"
                .to_owned()
        }
        (true, true) => "skipped: a CUDA device and provider are present, but GPU timings are not \
            implemented in this bench yet"
            .to_owned(),
    }
}

pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    std::fs::create_dir_all(&args.out)?;
    let mut machine = machine(String::new());
    println!(
        "bench: {} ({} cores), load {}; {} ONNX Runtime threads, {} rounds",
        machine.cpu, machine.cores, machine.load_before, args.threads, args.rounds
    );
    let host = Host::load(&args.bundle)?;
    let sizes: Vec<(usize, usize)> = args
        .sizes
        .iter()
        .map(|s| parse_size(s))
        .collect::<Result<_>>()?;
    let mut cells = Vec::new();
    for model in &args.models {
        let session = raw::session(&args.runtime, model, args.threads)?;
        let contract = Contract::read(&session, model)?;
        drop(session);
        let contract_path = args.out.join(format!("{}.contract.json", name(model)));
        std::fs::write(&contract_path, serde_json::to_string_pretty(&contract)?)?;
        let mut model_sizes = sizes.clone();
        if let Some(native) = contract.native()
            && !model_sizes.contains(&native)
        {
            model_sizes.insert(0, native);
        }
        for size in model_sizes {
            let c = cell(args, &host, model, &contract, &contract_path, size)?;
            if machine.onnxruntime.is_empty() {
                machine.onnxruntime = onnxfx::engine::runtime::VERSION.to_owned();
            }
            cells.push(c);
        }
    }

    let conversion_size = parse_size(&args.conversion_size)?;
    println!(
        "bench: pixel conversion at {}x{}",
        conversion_size.0, conversion_size.1
    );
    let conversion = pixels::measure(conversion_size.0, conversion_size.1, args.rounds.max(3))?;

    let memory_size = parse_size(&args.memory_size)?;
    println!(
        "bench: memory of a {}x{} render through {}",
        memory_size.0 * 2,
        memory_size.1 * 2,
        name(&args.x2_model)
    );
    let memory: Memory = child("memory", &args.bundle, &args.x2_model, memory_size)?;

    let concurrency_frame = parse_size(&args.concurrency_size)?;
    let mut concurrency = Vec::new();
    for instances in [2, 4] {
        println!("bench: {instances} instances at once against one after the other");
        concurrency.push(concurrency::measure(
            &host,
            &args.concurrency_model,
            concurrency_frame,
            instances,
            args.rounds,
        )?);
    }

    let mut cold = Vec::new();
    for model in &args.models {
        println!("bench: first render of {} against a cache hit", name(model));
        let size = sizes.first().copied().unwrap_or((1920, 1080));
        let runs: Vec<ColdWarm> = (0..args.cold_repeats.max(1))
            .map(|_| child("cold", &args.bundle, model, size))
            .collect::<Result<_>>()?;
        let pick = |f: fn(&ColdWarm) -> f64| {
            Stats::of(&runs.iter().map(f).collect::<Vec<_>>()).context("no runs")
        };
        cold.push(Cold {
            model: name(model),
            frame: size,
            first_ms: pick(|c| c.first_ms)?,
            second_ms: pick(|c| c.second_ms)?,
            first_action_ms: pick(|c| c.first_action_ms)?,
            second_action_ms: pick(|c| c.second_action_ms)?,
        });
    }

    let gpu = gpu(&args.bundle);
    println!("bench: GPU {gpu}");
    machine.load_after = load();
    let results = Results {
        command: args.command.clone(),
        machine,
        threads: args.threads,
        rounds: args.rounds,
        cells,
        conversion,
        memory,
        memory_model: name(&args.x2_model),
        concurrency,
        concurrency_model: name(&args.concurrency_model),
        concurrency_frame,
        cold,
        gpu,
        seconds: started.elapsed().as_secs_f64(),
    };
    std::fs::write(
        args.out.join("results.json"),
        serde_json::to_string_pretty(&results)? + "\n",
    )?;
    report::write(&results, &args.out)?;
    Ok(())
}
