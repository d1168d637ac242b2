//! Models with several inputs, frames in time and recurrent state, through the bundle's ONNX Inference
//! effect in `ofx-host` (the generated models of `scripts/make_test_models.py`): an image and a mask from
//! the Mask clip with a float value from *Value 1*, an unconnected Mask, the previous frame through
//! GetFramesNeeded over a frame range (the first frame has no previous one: the current frame stands
//! in), a recurrent running average over consecutive frames, its reset on a frame jump (in-process host)
//! and on a fresh instance per frame, and *View Output*.
//!
//! Expected values come from the models' formulas on the input files; the inputs are 8-bit PNGs and
//! the outputs float EXRs, so the tolerance is 1e-5.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{PLUGIN_ID, Rgba, bundle, host_binary, scratch, test_model};

const TOLERANCE: f32 = 1e-5;

/// A 16 x 8 RGB picture whose values depend on `seed`.
fn picture(path: &Path, seed: u32) -> PathBuf {
    let image = image::RgbImage::from_fn(16, 8, |x, y| {
        image::Rgb([
            ((x * 13 + y * 7 + seed * 31) % 256) as u8,
            ((x * 5 + y * 17 + seed * 11) % 256) as u8,
            ((x * 3 + y * 29 + seed * 53) % 256) as u8,
        ])
    });
    image.save(path).unwrap();
    path.to_owned()
}

/// White on the left half, black on the right.
fn half_mask(path: &Path) -> PathBuf {
    let image = image::RgbImage::from_fn(16, 8, |x, _| {
        let v = if x < 8 { 255 } else { 0 };
        image::Rgb([v, v, v])
    });
    image.save(path).unwrap();
    path.to_owned()
}

fn render(model: &str, input: &Path, output: &Path, extra: &[&str]) -> (bool, String) {
    let out = Command::new(host_binary())
        .arg("render")
        .arg(bundle())
        .args(["--plugin", PLUGIN_ID])
        .arg("--param")
        .arg(format!("modelFile={}", test_model(model).display()))
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(output)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn frame(pattern: &Path, n: u32) -> PathBuf {
    PathBuf::from(pattern.to_string_lossy().replace('#', &n.to_string()))
}

/// Checks every colour value of `got` against `f(pixel index, channel)`.
fn check(got: &Rgba, what: &str, f: impl Fn(usize, usize) -> f32) {
    for (i, px) in got.data.chunks_exact(4).enumerate() {
        for (c, value) in px.iter().take(3).enumerate() {
            let want = f(i, c);
            assert!(
                (value - want).abs() <= TOLERANCE,
                "{what}: pixel {i} channel {c}: {value} instead of {want}"
            );
        }
    }
}

#[test]
fn image_mask_and_value_feed_their_inputs_and_an_unconnected_mask_is_black() {
    let dir = scratch();
    let input = picture(&dir.path().join("in.png"), 1);
    let mask = half_mask(&dir.path().join("mask.png"));
    let out = dir.path().join("out.exr");
    let clip = format!("Mask={}", mask.display());
    let (ok, err) = render(
        "image_mask.onnx",
        &input,
        &out,
        &["--clip", &clip, "--param", "value1=0.25"],
    );
    assert!(ok, "{err}");
    let source = Rgba::read(&input);
    let got = Rgba::read(&out);
    check(&got, "masked", |i, c| {
        if i % 16 < 8 {
            0.25
        } else {
            source.data[i * 4 + c]
        }
    });
    // The value is clamped to the manifest's range (0..2).
    let (ok, err) = render(
        "image_mask.onnx",
        &input,
        &out,
        &["--clip", &clip, "--param", "value1=7"],
    );
    assert!(ok, "{err}");
    check(&Rgba::read(&out), "clamped", |i, c| {
        if i % 16 < 8 {
            2.0
        } else {
            source.data[i * 4 + c]
        }
    });
    // Unconnected, the Mask input is transparent black: the image passes unchanged.
    let (ok, err) = render("image_mask.onnx", &input, &out, &[]);
    assert!(ok, "{err}");
    check(&Rgba::read(&out), "unconnected mask", |i, c| {
        source.data[i * 4 + c]
    });
}

#[test]
fn the_previous_frame_comes_from_the_sequence() {
    let dir = scratch();
    for n in 1..=3 {
        picture(&dir.path().join(format!("in.{n}.png")), n);
    }
    let input = dir.path().join("in.#.png");
    let out = dir.path().join("out.#.exr");
    let (ok, err) = render("two_frames.onnx", &input, &out, &["--frames", "1-3"]);
    assert!(ok, "{err}");
    let ins: Vec<Rgba> = (1..=3).map(|n| Rgba::read(&frame(&input, n))).collect();
    // Frame 1 has no frame 0: the current frame stands in for it.
    check(&Rgba::read(&frame(&out, 1)), "frame 1", |_, _| 0.5);
    for n in 2..=3usize {
        let (cur, prev) = (&ins[n - 1], &ins[n - 2]);
        check(&Rgba::read(&frame(&out, n as u32)), "frame", |i, c| {
            cur.data[i * 4 + c] - prev.data[i * 4 + c] + 0.5
        });
    }
}

#[test]
fn a_recurrent_model_carries_state_over_consecutive_frames_only() {
    let dir = scratch();
    for n in 1..=3 {
        picture(&dir.path().join(format!("in.{n}.png")), n);
    }
    let input = dir.path().join("in.#.png");
    let out = dir.path().join("out.#.exr");
    let (ok, err) = render("recurrent.onnx", &input, &out, &["--frames", "1-3"]);
    assert!(ok, "{err}");
    let ins: Vec<Rgba> = (1..=3).map(|n| Rgba::read(&frame(&input, n))).collect();
    let mut state = vec![0.0f32; ins[0].data.len()];
    for (n, input) in ins.iter().enumerate() {
        for (s, v) in state.iter_mut().zip(&input.data) {
            *s = (*s + v) / 2.0;
        }
        let expected = state.clone();
        check(
            &Rgba::read(&frame(&out, n as u32 + 1)),
            "running average",
            |i, c| expected[i * 4 + c],
        );
    }
    // A fresh instance per frame (as MLT does) starts every frame from zeros.
    let fresh = dir.path().join("fresh.#.exr");
    let (ok, err) = render(
        "recurrent.onnx",
        &input,
        &fresh,
        &["--frames", "1-3", "--instance-per-frame"],
    );
    assert!(ok, "{err}");
    check(&Rgba::read(&frame(&fresh, 3)), "fresh instance", |i, c| {
        ins[2].data[i * 4 + c] / 2.0
    });
}

#[test]
fn a_frame_jump_resets_the_state_and_the_info_field_says_so() {
    use ofx_sdk::host::{Image, Library, RenderOptions};
    let library = Library::load(bundle()).unwrap();
    let plugin = library.plugin(PLUGIN_ID).unwrap();
    let instance = plugin.instance(ofx_sdk::Context::Filter).unwrap();
    instance
        .set_param_text("modelFile", &test_model("recurrent.onnx").to_string_lossy())
        .unwrap();
    let info = instance.param("modelInfo").unwrap();
    let text = format!("{info:?}");
    assert!(
        text.contains("recurrent") && text.contains("reset when frames are not consecutive"),
        "{text}"
    );
    instance
        .set_source("Source", Image::filled(4, 4, [0.8, 0.4, 0.2, 1.0]))
        .unwrap();
    let options = RenderOptions::default();
    instance.begin_sequence(1.0, 10.0, &options).unwrap();
    let first = instance.render(1.0, &options).unwrap();
    let second = instance.render(2.0, &options).unwrap();
    let jumped = instance.render(5.0, &options).unwrap();
    instance.end_sequence().unwrap();
    let red = |img: &Image| img.pixel(0, 0).unwrap()[0];
    assert!((red(&first) - 0.4).abs() < 1e-6, "{}", red(&first));
    assert!((red(&second) - 0.6).abs() < 1e-6, "{}", red(&second));
    assert!(
        (red(&jumped) - 0.4).abs() < 1e-6,
        "after a jump the state starts again: {}",
        red(&jumped)
    );
}

#[test]
fn view_output_picks_an_output_of_the_graph() {
    let dir = scratch();
    let input = picture(&dir.path().join("in.png"), 2);
    let out = dir.path().join("out.exr");
    // two_outputs.onnx: output 1 is half the image, output 2 its inverse (make_test_models.py).
    let source = Rgba::read(&input);
    let (ok, err) = render(
        "two_outputs.onnx",
        &input,
        &out,
        &["--param", "viewOutput=Output 2"],
    );
    assert!(ok, "{err}");
    check(&Rgba::read(&out), "output 2", |i, c| {
        1.0 - source.data[i * 4 + c]
    });
    let (ok, err) = render("two_outputs.onnx", &input, &out, &[]);
    assert!(ok, "{err}");
    check(&Rgba::read(&out), "from the model", |i, c| {
        0.5 * source.data[i * 4 + c]
    });
    let (ok, err) = render(
        "two_outputs.onnx",
        &input,
        &out,
        &["--param", "viewOutput=Output 4"],
    );
    assert!(!ok);
    assert!(err.contains("View Output is output 4"), "{err}");
}
