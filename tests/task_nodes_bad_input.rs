//! End-to-end: the task nodes' bad inputs through the built bundle in `ofx-host`: a bundled model that
//! is missing or corrupt, an opt-in model that is not installed, and a user model of the wrong task. Each
//! fails the render with `kOfxStatFailed` and a message that names the cause (and the host survives to
//! report it: exit code 1, not a crash).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{Run, bundle, bundle_copy, photo, render_plugin, scratch, test_model};

const MODELS: &str = "Contents/Resources/models";

fn fails(bundle: &Path, plugin: &str, params: &[&str], needles: &[&str]) -> Run {
    let dir = scratch();
    let out = dir.path().join("out.png");
    let run = render_plugin(bundle, plugin, params, &photo("chelsea.png"), &out);
    assert!(
        !run.success,
        "the render should have failed:\n{}",
        run.stderr
    );
    assert_eq!(
        run.code,
        Some(1),
        "ofx-host must report, not crash:\n{}",
        run.stderr
    );
    assert!(
        !out.exists(),
        "a failed render must not leave an output file"
    );
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            run.stderr
        );
    }
    run
}

#[test]
fn a_bundled_model_missing_from_the_bundle_is_named_with_the_fix() {
    let (_dir, copy) = bundle_copy();
    std::fs::remove_file(copy.join(MODELS).join("onnxfx-sr2.onnx")).unwrap();
    fails(
        &copy,
        "io.github.onnxfx.Upscale",
        &["model=0"],
        &[
            "kOfxStatFailed",
            "the bundled model onnxfx x2 is missing from the bundle",
            "onnxfx-sr2.onnx",
            "cargo xtask models",
        ],
    );
}

#[test]
fn a_corrupt_bundled_model_is_refused_with_its_path() {
    let (_dir, copy) = bundle_copy();
    let model = copy.join(MODELS).join("onnxfx-denoise.onnx");
    // Remove the hard link first: writing through it would damage the real bundle.
    std::fs::remove_file(&model).unwrap();
    std::fs::write(&model, b"this is not an ONNX model").unwrap();
    fails(
        &copy,
        "io.github.onnxfx.Denoise",
        &["model=0"],
        &[
            "kOfxStatFailed",
            "cannot read the ONNX model",
            "onnxfx-denoise.onnx",
        ],
    );
}

#[test]
fn an_opt_in_model_not_installed_says_how_to_install_it_and_why_it_is_opt_in() {
    let (_dir, copy) = bundle_copy();
    // CI's bundle never has ISNet; a developer's may (`cargo xtask models --with isnet`).
    let isnet = copy.join(MODELS).join("isnet-general.onnx");
    if isnet.exists() {
        std::fs::remove_file(&isnet).unwrap();
    }
    fails(
        &copy,
        "io.github.onnxfx.Matte",
        &["model=0"],
        &[
            "kOfxStatFailed",
            "ISNet (general use) is not installed",
            "AGPL-3.0",
            "cargo xtask models --with isnet",
        ],
    );
}

#[test]
fn user_models_of_the_wrong_task_are_refused_by_each_node() {
    let luma = test_model("luma.onnx");
    fails(
        &bundle(),
        "io.github.onnxfx.Upscale",
        &["model=4", &format!("modelFile={}", luma.display())],
        &[
            "kOfxStatFailed",
            "cannot be used by the Upscale node",
            "1 channel (gray)",
            "luma.onnx",
        ],
    );
    let invert = test_model("invert.onnx");
    fails(
        &bundle(),
        "io.github.onnxfx.Upscale",
        &["model=4", &format!("modelFile={}", invert.display())],
        &["kOfxStatFailed", "keeps the frame size (x1)"],
    );
    let upscale = test_model("upscale2x.onnx");
    fails(
        &bundle(),
        "io.github.onnxfx.Denoise",
        &["model=1", &format!("modelFile={}", upscale.display())],
        &[
            "kOfxStatFailed",
            "cannot be used by the Denoise node",
            "changes the frame size (x2)",
        ],
    );
    fails(
        &bundle(),
        "io.github.onnxfx.Matte",
        &["model=1", &format!("modelFile={}", invert.display())],
        &[
            "kOfxStatFailed",
            "cannot be used by the Matte node",
            "no single-channel matte output",
        ],
    );
}

#[test]
fn a_user_model_choice_without_a_file_says_so() {
    fails(
        &bundle(),
        "io.github.onnxfx.Upscale",
        &["model=4"],
        &["kOfxStatFailed", "no model file is set"],
    );
}
