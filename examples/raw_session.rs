//! The ONNX session alone, without OpenFX: loads the runtime library and a model, runs it on a black
//! `[1, C, H, W]` frame and prints the time of each `Session::run`. The baseline the plugin's render
//! time is compared with (same runtime library, same model, same frame size).
//!
//! ```text
//! cargo run --release --example raw_session -- RUNTIME.so MODEL.onnx [WIDTH HEIGHT [RUNS]]
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::{TensorRef, ValueType};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [runtime, model, rest @ ..] = args.as_slice() else {
        eprintln!("usage: raw_session RUNTIME.so MODEL.onnx [WIDTH HEIGHT [RUNS]]");
        std::process::exit(2);
    };
    let number = |i: usize, default: usize| rest.get(i).map_or(Ok(default), |s| s.parse::<usize>());
    let (width, height, runs) = (number(0, 1920)?, number(1, 1080)?, number(2, 3)?);

    let env = ort::init_from(runtime)?.with_name("raw_session").build()?;
    let mut session = Session::builder(&env)?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(ort::Error::<()>::from)?
        .commit_from_file(model)?;
    let input = &session.inputs()[0];
    let name = input.name().to_owned();
    let channels = match input.dtype() {
        ValueType::Tensor { shape, .. } => shape.get(1).copied().filter(|c| *c > 0).unwrap_or(3),
        _ => 3,
    };
    let channels = usize::try_from(channels)?;
    let data = vec![0.0f32; channels * width * height];
    for run in 1..=runs {
        let tensor = TensorRef::from_array_view(([1, channels, height, width], data.as_slice()))?;
        let start = Instant::now();
        let outputs = session.run(ort::inputs![name.as_str() => tensor])?;
        let elapsed = start.elapsed();
        let (shape, _) = outputs[0].try_extract_tensor::<f32>()?;
        println!(
            "run {run}: Session::run {:.1} ms ({width}x{height} -> {shape:?})",
            elapsed.as_secs_f64() * 1e3
        );
    }
    Ok(())
}
