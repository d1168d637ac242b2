//! The diffusion pipeline against diffusers on the tiny pipeline that `scripts/make_tiny_diffusion.py`
//! builds (random weights, Optimum's layout) and runs through diffusers' own img2img and inpainting
//! pipelines: the same image, mask, prompts and the same noise (every draw the reference made is fed back
//! in order), compared after every denoising step and on the decoded image. Also the schedulers alone
//! over 360 configurations, and the tokenizer's ids.
//!
//! Tolerances: latents after every step within 2e-5 of the reference's largest latent magnitude, the
//! decoded image (0..1) within 5e-5; measured on the 7 cases: at most 2.9e-6 and 3.9e-6 (ONNX Runtime
//! against torch on the same weights). Scheduler timesteps exact, sigmas within 1e-6 and the step, the
//! scaled input and add_noise within 1e-5 relative.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// The measured errors are printed for the record (`--nocapture`).
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};

use onnxfx::diffusion::pipeline::{Mode, Observer, Request};
use onnxfx::diffusion::{
    DiffusionPipeline, NoisePurpose, QueuedNoise, Scheduler, SchedulerConfig, SchedulerKind,
};
use onnxfx::engine::RunOptions;
use serde_json::Value;

const STEP_TOLERANCE: f32 = 2e-5;
const IMAGE_TOLERANCE: f32 = 5e-5;

fn fixture() -> PathBuf {
    let dir = std::env::var_os("ONNXFX_TINY_DIFFUSION")
        .map(PathBuf::from)
        .expect("ONNXFX_TINY_DIFFUSION is not set: run the tests with `cargo xtask test`");
    assert!(dir.join("reference").is_dir(), "{}", dir.display());
    dir
}

fn runtime() {
    let bundle = std::env::var("ONNXFX_BUNDLE")
        .expect("ONNXFX_BUNDLE is not set: run the tests with `cargo xtask test`");
    onnxfx::engine::runtime::note_bundle_path(&bundle);
}

fn npy_f32(path: &Path) -> (Vec<usize>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape = npy.shape().iter().map(|d| *d as usize).collect();
    (shape, npy.into_vec::<f32>().unwrap())
}

fn npy_i64(path: &Path) -> Vec<i64> {
    let bytes = std::fs::read(path).unwrap();
    npyz::NpyFile::new(&bytes[..])
        .unwrap()
        .into_vec::<i64>()
        .unwrap()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn kind(name: &str) -> SchedulerKind {
    match name {
        "euler" => SchedulerKind::Euler,
        "ddim" => SchedulerKind::Ddim,
        "lcm" => SchedulerKind::Lcm,
        other => panic!("unknown scheduler {other}"),
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * (1.0 + b.abs())
}

#[test]
fn schedulers_match_diffusers_over_many_configurations() {
    let table = json(&fixture().join("reference/schedulers.json"));
    let inputs = &table["inputs"];
    let sample: Vec<f32> = floats(&inputs["sample"])
        .iter()
        .map(|v| *v as f32)
        .collect();
    let output: Vec<f32> = floats(&inputs["model_output"])
        .iter()
        .map(|v| *v as f32)
        .collect();
    let noise: Vec<f32> = floats(&inputs["noise"]).iter().map(|v| *v as f32).collect();
    let rows = table["rows"].as_array().unwrap();
    assert!(rows.len() >= 300);
    for row in rows {
        let kind = kind(row["scheduler"].as_str().unwrap());
        let steps = row["steps"].as_u64().unwrap() as usize;
        let what = format!("{kind:?} {steps} steps, {}", row["config"]);
        let config = SchedulerConfig::from_json(&row["config"], kind).unwrap();
        let s = Scheduler::new(kind, &config, steps).unwrap();
        assert_eq!(s.timesteps(), floats(&row["timesteps"]), "{what}");
        if let Some(sigmas) = row.get("sigmas") {
            for (a, b) in s.sigmas().iter().zip(floats(sigmas)) {
                assert!(close(f64::from(*a), b, 1e-6), "{what}: sigma {a} vs {b}");
            }
        }
        let sigma = row["init_noise_sigma"].as_f64().unwrap();
        assert!(
            close(f64::from(s.init_noise_sigma()), sigma, 1e-6),
            "{what}"
        );
        let mut scaled = sample.clone();
        s.scale_model_input(0, &mut scaled);
        let check = |got: &[f32], want: &Value, name: &str| {
            for (a, b) in got.iter().zip(floats(want)) {
                assert!(close(f64::from(*a), b, 1e-5), "{what}: {name} {a} vs {b}");
            }
        };
        check(&scaled, &row["scaled"], "scaled input");
        check(
            &s.add_noise(&sample, &noise, 0),
            &row["add_noise"],
            "add_noise",
        );
        let draws = row["step_noise"].as_array().unwrap();
        assert_eq!(draws.is_empty(), !s.step_needs_noise(0), "{what}");
        let step_noise: Option<Vec<f32>> = draws
            .first()
            .map(|d| floats(d).iter().map(|v| *v as f32).collect());
        let stepped = s.step(0, &output, &sample, step_noise.as_deref());
        check(&stepped, &row["step"], "step");
    }
}

#[test]
fn the_tokenizer_gives_the_reference_ids() {
    let dir = fixture();
    let tokenizer =
        onnxfx::diffusion::tokenizer::PromptTokenizer::load(&dir.join("tiny-sd/tokenizer"))
            .unwrap();
    let case = dir.join("reference/img2img-euler");
    let meta = json(&case.join("case.json"));
    let ids = npy_i64(&case.join("ids.npy"));
    let prompt = tokenizer.encode(meta["prompt"].as_str().unwrap()).unwrap();
    let negative = tokenizer
        .encode(meta["negative_prompt"].as_str().unwrap())
        .unwrap();
    assert_eq!(prompt, ids[..77]);
    assert_eq!(negative, ids[77..]);
    // Long prompts are truncated with the end token last, as transformers does.
    let long = tokenizer.encode(&"cat ".repeat(200)).unwrap();
    assert_eq!(long.len(), 77);
    assert_eq!(long[76], negative[negative.len() - 1]);
}

/// Collects the latents after each step.
struct Record(Vec<Vec<f32>>);

impl Observer for Record {
    fn step(&mut self, _done: usize, _total: usize, latents: &[f32]) -> bool {
        self.0.push(latents.to_vec());
        true
    }
}

fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Runs one reference case and returns (worst step error relative to the latents' scale, image error).
fn run_case(name: &str) -> (f32, f32) {
    runtime();
    let dir = fixture();
    let case = dir.join("reference").join(name);
    let meta = json(&case.join("case.json"));
    let pipeline = DiffusionPipeline::load(
        &dir.join(meta["pipeline"].as_str().unwrap()),
        RunOptions::default(),
    )
    .unwrap();
    let (shape, image_hwc) = npy_f32(&case.join("image.npy"));
    let (h, w) = (shape[0], shape[1]);
    let mut planar = vec![0.0f32; 3 * h * w];
    for (i, px) in image_hwc.chunks_exact(3).enumerate() {
        for c in 0..3 {
            planar[c * h * w + i] = px[c];
        }
    }
    let (_, mask) = npy_f32(&case.join("mask.npy"));
    let mut noise = QueuedNoise::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&case)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("noise_")
        })
        .collect();
    files.sort();
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let purpose = match stem.rsplit('_').next().unwrap() {
            "vae" => NoisePurpose::Vae,
            "latents" => NoisePurpose::Latents,
            "step" => NoisePurpose::Step,
            other => panic!("unknown draw {other}"),
        };
        noise.push(purpose, npy_f32(&file).1);
    }
    let mode = if meta["mode"] == "inpaint" {
        Mode::Inpaint
    } else {
        Mode::Img2Img
    };
    let request = Request {
        mode,
        image: &planar,
        mask: Some(&mask),
        width: w,
        height: h,
        prompt: meta["prompt"].as_str().unwrap(),
        negative_prompt: meta["negative_prompt"].as_str().unwrap(),
        steps: meta["steps"].as_u64().unwrap() as usize,
        strength: meta["strength"].as_f64().unwrap(),
        guidance: meta["guidance"].as_f64().unwrap() as f32,
        scheduler: kind(meta["scheduler"].as_str().unwrap()),
        decode_tile: 64,
        scheduler_overrides: meta.get("config").and_then(Value::as_object),
    };
    let mut record = Record(Vec::new());
    let output = pipeline
        .generate(&request, &mut noise, &mut record)
        .unwrap();
    assert_eq!(
        noise.left(),
        0,
        "{name}: draws the reference made were not used"
    );
    let steps_run = meta["steps_run"].as_u64().unwrap() as usize;
    assert_eq!(record.0.len(), steps_run, "{name}: steps run");
    let mut worst = 0.0f32;
    for (i, latents) in record.0.iter().enumerate() {
        let (_, want) = npy_f32(&case.join(format!("latents_{i:02}.npy")));
        let scale = want.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        let err = max_abs(latents, &want) / scale;
        assert!(
            err <= STEP_TOLERANCE,
            "{name}: step {i}: latents differ by {err} (relative to {scale})"
        );
        worst = worst.max(err);
    }
    let (_, want) = npy_f32(&case.join("output.npy"));
    let mut hwc = vec![0.0f32; output.len()];
    for i in 0..h * w {
        for c in 0..3 {
            hwc[i * 3 + c] = output[c * h * w + i];
        }
    }
    let image_err = max_abs(&hwc, &want);
    assert!(
        image_err <= IMAGE_TOLERANCE,
        "{name}: image differs by {image_err}"
    );
    eprintln!("{name}: worst step error {worst:.2e} (relative), image {image_err:.2e}");
    (worst, image_err)
}

#[test]
fn img2img_euler_matches_diffusers_at_every_step() {
    run_case("img2img-euler");
}

#[test]
fn img2img_euler_trailing_without_guidance_matches_diffusers() {
    run_case("img2img-euler-trailing");
}

#[test]
fn img2img_ddim_matches_diffusers_at_every_step() {
    run_case("img2img-ddim");
}

#[test]
fn img2img_lcm_matches_diffusers_at_every_step() {
    run_case("img2img-lcm");
}

#[test]
fn inpaint_euler_matches_diffusers_at_every_step() {
    run_case("inpaint-euler");
}

#[test]
fn inpaint_ddim_below_full_strength_matches_diffusers_at_every_step() {
    run_case("inpaint-ddim");
}

#[test]
fn inpaint_lcm_matches_diffusers_at_every_step() {
    run_case("inpaint-lcm");
}
