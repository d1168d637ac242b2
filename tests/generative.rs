//! The Generative (diffusion) effect through the built bundle in `ofx-host`, on the tiny pipelines of
//! `scripts/make_tiny_diffusion.py`: img2img and inpainting renders, the effect's pixels against the
//! library run in this process (itself matched to diffusers step by step in `tests/diffusion.rs`),
//! determinism across processes and frames, the seed per frame, an unconnected Mask, a frame range, and
//! a folder that is not a pipeline.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Rgba, bundle, host_binary, scratch};
use onnxfx::diffusion::pipeline::{Mode, Quiet, Request};
use onnxfx::diffusion::{DiffusionPipeline, SchedulerKind, SeededNoise, noise};
use onnxfx::engine::RunOptions;

const PLUGIN: &str = "io.github.onnxfx.Generative";
const PROMPT: &str = "a photo of a red house by the sea";

fn pipeline_dir(name: &str) -> PathBuf {
    let dir = std::env::var_os("ONNXFX_TINY_DIFFUSION")
        .map(PathBuf::from)
        .expect("ONNXFX_TINY_DIFFUSION is not set: run the tests with `cargo xtask test`");
    dir.join(name)
}

/// A 64 x 64 RGBA test picture (8-bit) with an alpha gradient.
fn picture(dir: &Path) -> PathBuf {
    let image = image::RgbaImage::from_fn(64, 64, |x, y| {
        image::Rgba([
            (x * 4) as u8,
            (y * 4) as u8,
            ((x + y) * 2) as u8,
            (255 - y) as u8,
        ])
    });
    let path = dir.join("in.png");
    image.save(&path).unwrap();
    path
}

/// A mask whose alpha is 1 in the middle square.
fn mask(dir: &Path) -> PathBuf {
    let image = image::RgbaImage::from_fn(64, 64, |x, y| {
        let inside = (16..48).contains(&x) && (16..48).contains(&y);
        image::Rgba([0, 0, 0, if inside { 255 } else { 0 }])
    });
    let path = dir.join("mask.png");
    image.save(&path).unwrap();
    path
}

struct Run {
    success: bool,
    stderr: String,
}

fn render(params: &[String], input: &Path, output: &Path, extra: &[&str]) -> Run {
    let mut command = Command::new(host_binary());
    command
        .arg("render")
        .arg(bundle())
        .args(["--plugin", PLUGIN])
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(output);
    for p in params {
        command.arg("--param").arg(p);
    }
    let out = command.args(extra).output().unwrap();
    Run {
        success: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn params(pipeline: &str, extra: &[&str]) -> Vec<String> {
    let mut p = vec![
        format!("pipelineDir={}", pipeline_dir(pipeline).display()),
        format!("prompt={PROMPT}"),
        "negativePrompt=blurry".to_owned(),
        "steps=4".to_owned(),
        "workingSize=64".to_owned(),
    ];
    p.extend(extra.iter().map(|s| (*s).to_owned()));
    p
}

fn max_diff(a: &Rgba, b: &Rgba, channels: std::ops::Range<usize>) -> f32 {
    a.data
        .chunks_exact(4)
        .zip(b.data.chunks_exact(4))
        .flat_map(|(p, q)| channels.clone().map(move |c| (p[c] - q[c]).abs()))
        .fold(0.0, f32::max)
}

#[test]
fn img2img_renders_what_the_library_computes_and_keeps_alpha() {
    let dir = scratch();
    let input = picture(dir.path());
    let out = dir.path().join("out.exr");
    let run = render(&params("tiny-sd", &["seed=42"]), &input, &out, &[]);
    assert!(run.success, "{}", run.stderr);
    let got = Rgba::read(&out);
    let source = Rgba::read(&input);
    assert_eq!((got.width, got.height), (64, 64));
    assert_eq!(max_diff(&got, &source, 3..4), 0.0, "alpha is the source's");
    assert!(max_diff(&got, &source, 0..3) > 0.01, "the image changed");

    // The same generation in this process: frame 1, seed 42 combined with the frame.
    onnxfx::engine::runtime::note_bundle_path(&bundle().to_string_lossy());
    let pipeline =
        DiffusionPipeline::load(&pipeline_dir("tiny-sd"), RunOptions::default()).unwrap();
    let mut planar = vec![0.0f32; 3 * 64 * 64];
    for (i, px) in source.data.chunks_exact(4).enumerate() {
        for c in 0..3 {
            planar[c * 64 * 64 + i] = px[c];
        }
    }
    let request = Request {
        mode: Mode::Img2Img,
        image: &planar,
        mask: None,
        width: 64,
        height: 64,
        prompt: PROMPT,
        negative_prompt: "blurry",
        steps: 4,
        strength: 0.75,
        guidance: 7.5,
        scheduler: SchedulerKind::Euler,
        decode_tile: 64,
        scheduler_overrides: None,
    };
    let mut seeded = SeededNoise::new(noise::mix(&[42, 1.0f64.to_bits()]));
    let want = pipeline
        .generate(&request, &mut seeded, &mut Quiet)
        .unwrap();
    let mut worst = 0.0f32;
    for (i, px) in got.data.chunks_exact(4).enumerate() {
        for c in 0..3 {
            worst = worst.max((px[c] - want[c * 64 * 64 + i]).abs());
        }
    }
    assert!(
        worst <= 1e-6,
        "the effect differs from the library by {worst}"
    );
}

#[test]
fn renders_are_deterministic_and_the_seed_follows_the_frame() {
    let dir = scratch();
    let input = picture(dir.path());
    let a = dir.path().join("a.#.exr");
    let b = dir.path().join("b.#.exr");
    let fixed = dir.path().join("fixed.#.exr");
    let p = params("tiny-sd", &["scheduler=DDIM", "steps=3"]);
    assert!(render(&p, &input, &a, &["--frames", "1-2"]).success);
    let run = render(&p, &input, &b, &["--frames", "1-2"]);
    assert!(run.success, "{}", run.stderr);
    let read = |pattern: &Path, frame: u32| {
        Rgba::read(&PathBuf::from(
            pattern.to_string_lossy().replace('#', &frame.to_string()),
        ))
    };
    for frame in 1..=2 {
        assert_eq!(read(&a, frame).data, read(&b, frame).data, "frame {frame}");
    }
    assert!(
        max_diff(&read(&a, 1), &read(&a, 2), 0..3) > 1e-3,
        "each frame gets its own noise"
    );
    let mut p = p.clone();
    p.push("seedPerFrame=false".into());
    let run = render(&p, &input, &fixed, &["--frames", "1-2"]);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(read(&fixed, 1).data, read(&fixed, 2).data);
}

#[test]
fn inpainting_uses_the_mask_clip_and_an_unconnected_mask_repaints_everything() {
    let dir = scratch();
    let input = picture(dir.path());
    let mask = mask(dir.path());
    let masked = dir.path().join("masked.exr");
    let whole = dir.path().join("whole.exr");
    let p = params(
        "tiny-sd-inpaint",
        &["mode=1", "strength=1", "scheduler=LCM", "guidance=1"],
    );
    let clip = format!("Mask={}", mask.display());
    let run = render(&p, &input, &masked, &["--clip", &clip]);
    assert!(run.success, "{}", run.stderr);
    let run = render(&p, &input, &whole, &[]);
    assert!(run.success, "{}", run.stderr);
    let (masked, whole) = (Rgba::read(&masked), Rgba::read(&whole));
    assert!(
        max_diff(&masked, &whole, 0..3) > 1e-3,
        "the mask changes the result"
    );
    // An img2img pipeline in inpainting mode blends the known region back (4-channel UNet).
    let blended = dir.path().join("blended.exr");
    let p = params("tiny-sd", &["mode=1", "strength=0.8"]);
    let run = render(&p, &input, &blended, &["--clip", &clip]);
    assert!(run.success, "{}", run.stderr);
}

#[test]
fn a_strength_too_low_for_one_step_passes_the_source() {
    let dir = scratch();
    let input = picture(dir.path());
    let out = dir.path().join("out.exr");
    let run = render(&params("tiny-sd", &["strength=0.1"]), &input, &out, &[]);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(max_diff(&Rgba::read(&out), &Rgba::read(&input), 0..4), 0.0);
}

#[test]
fn a_folder_that_is_not_a_pipeline_fails_with_the_missing_files() {
    let dir = scratch();
    let input = picture(dir.path());
    let out = dir.path().join("out.png");
    let p = vec![format!("pipelineDir={}", dir.path().display())];
    let run = render(&p, &input, &out, &[]);
    assert!(!run.success);
    assert!(
        run.stderr.contains("missing model_index.json") && run.stderr.contains("optimum-cli"),
        "{}",
        run.stderr
    );
    // An inpainting pipeline refuses the img2img mode with the reason.
    let p = params("tiny-sd-inpaint", &[]);
    let run = render(&p, &input, &out, &[]);
    assert!(!run.success);
    assert!(
        run.stderr.contains("use the Inpaint mode"),
        "{}",
        run.stderr
    );
}
