//! End-to-end: a real pretrained model from a registry package (PaddleOCR v4 text detection, from the
//! `rapidocr_onnxruntime` wheel) rendered on a real scanned page through the bundle in `ofx-host`, checked
//! against ONNX Runtime's Python API run directly on the same input (`scripts/reference_infer.py`), fed
//! as the model's manifest says (BGR, (x - 0.5) / 0.5, sides multiples of 32).
//!
//! Tolerance 1e-4: the same runtime version on the same machine, but the Python session and the plugin's
//! may split the work across threads differently, which reorders float sums.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::{Rgba, photo, pretrained_model, python, render_ok, scratch};

#[test]
fn paddleocr_detection_matches_onnxruntime_run_directly() {
    let dir = scratch();
    // The detector needs sides that are multiples of 32: crop the page to 384x160.
    let page = image::open(photo("page.png")).unwrap().into_rgb8();
    let crop = image::imageops::crop_imm(&page, 0, 0, 384, 160).to_image();
    let input = dir.path().join("page-384x160.png");
    crop.save(&input).unwrap();

    let model = pretrained_model("ppocr-v4-det.onnx");
    let out = dir.path().join("det.exr");
    render_ok(&model, &input, &out, &[]);

    let reference = dir.path().join("reference.npy");
    let status = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/reference_infer.py"
        ))
        .arg("--model")
        .arg(&model)
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(&reference)
        // The model's manifest (its sidecar, from the bundle template): BGR, (x - 0.5) / 0.5.
        .args(["--bgr", "--mean", "0.5", "--std", "0.5"])
        .status()
        .expect("running the Python reference");
    assert!(status.success());
    let bytes = std::fs::read(&reference).unwrap();
    let npy = npyz::NpyFile::new(bytes.as_slice()).unwrap();
    assert_eq!(npy.shape(), &[1, 1, 160, 384]);
    let expected: Vec<f32> = npy.into_vec().unwrap();

    let output = Rgba::read(&out);
    assert_eq!((output.width, output.height), (384, 160));
    let mut worst = 0.0f32;
    for (i, e) in expected.iter().enumerate() {
        let [r, g, b, a] = output.pixel(i % 384, i / 384);
        // A one-channel model: grey in RGB, the source's (opaque) alpha kept.
        assert_eq!((r, a), (g, 1.0));
        assert_eq!(r, b);
        worst = worst.max((r - e).abs());
    }
    eprintln!(
        "max |plugin - onnxruntime| = {worst:e} over {} pixels",
        expected.len()
    );
    assert!(worst < 1e-4, "max difference from onnxruntime: {worst}");
    // The page has text: the detector must find some.
    let text_pixels = expected.iter().filter(|v| **v > 0.3).count();
    assert!(
        text_pixels > expected.len() / 50,
        "only {text_pixels} text pixels"
    );
}
