//! End-to-end: every bad input gets a failure status and a message naming the cause, through the built
//! bundle in `ofx-host`, and the host process survives to report it (exit code 1, not a crash).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{Run, photo, render, scratch, test_model};

fn render_bad(model: &Path, extra: &[&str]) -> Run {
    let dir = scratch();
    let out = dir.path().join("out.png");
    let run = render(model, &photo("chelsea.png"), &out, extra);
    assert!(
        !run.success,
        "the render should have failed:\n{}",
        run.stderr
    );
    assert_eq!(
        run.code,
        Some(1),
        "ofx-host must report the failure, not crash:\n{}",
        run.stderr
    );
    assert!(
        !out.exists(),
        "a failed render must not leave an output file"
    );
    run
}

fn assert_mentions(run: &Run, needles: &[&str]) {
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            run.stderr
        );
    }
}

#[test]
fn a_missing_model_file_is_named() {
    let missing = Path::new("/nonexistent/dir/model.onnx");
    let run = render_bad(missing, &[]);
    assert_mentions(
        &run,
        &[
            "kOfxStatFailed",
            "/nonexistent/dir/model.onnx",
            "does not exist",
        ],
    );
}

#[test]
fn no_model_set_says_so() {
    let run = render_bad(Path::new(""), &[]);
    assert_mentions(&run, &["kOfxStatFailed", "no model file is set"]);
}

#[test]
fn corrupt_and_truncated_models_are_refused_with_the_path() {
    for name in ["corrupt.onnx", "truncated.onnx"] {
        let model = test_model(name);
        let run = render_bad(&model, &[]);
        let path = model.display().to_string();
        assert_mentions(
            &run,
            &["kOfxStatFailed", "cannot read the ONNX model", &path],
        );
    }
}

#[test]
fn a_model_whose_input_is_not_an_image_names_the_tensor_and_its_shape() {
    let run = render_bad(&test_model("not_image.onnx"), &[]);
    let needles = [
        "kOfxStatFailed",
        "not_image.onnx",
        "input \"image\" has shape [1, 10]",
        "4 dimensions",
    ];
    assert_mentions(&run, &needles);
}

#[test]
fn an_integer_input_is_refused() {
    let run = render_bad(&test_model("int_input.onnx"), &[]);
    assert_mentions(
        &run,
        &["kOfxStatFailed", "tensor 'image'", "Int64", "float32"],
    );
}

#[test]
fn an_output_that_does_not_fit_the_image_is_explained() {
    let run = render_bad(&test_model("bad_output_shape.onnx"), &[]);
    let needles = [
        "kOfxStatFailed",
        "output 'output'",
        "[1, 3, 1, 1]",
        "[1, 3, 64, 64]",
        "whole factor",
    ];
    assert_mentions(&run, &needles);
    let run = render_bad(&test_model("two_channel_output.onnx"), &[]);
    let needles = [
        "kOfxStatFailed",
        "output \"output\" has 2 channels",
        "1 (gray), 3 (rgb, bgr) or 4",
    ];
    assert_mentions(&run, &needles);
}

#[test]
fn running_out_of_memory_is_a_memory_error_that_says_what_to_lower() {
    // out_of_memory.onnx asks ONNX Runtime for an impossible buffer on frames of 256x256 pixels and
    // more: the arena's allocation failure, as when memory really runs out.
    let run = render_bad(&test_model("out_of_memory.onnx"), &[]);
    assert_mentions(
        &run,
        &[
            "kOfxStatErrMemory",
            "out_of_memory.onnx",
            "ran out of memory on the CPU",
            "Tile Size",
            "Failed to allocate memory",
        ],
    );
}

#[test]
fn an_image_of_an_unknown_pixel_depth_is_refused_as_an_image_format_error() {
    // The host labels its images with a depth nobody declared; the pixels stay float.
    let run = render_bad(
        &test_model("invert.onnx"),
        &["--inject-image-depth", "OfxBitDepthNone"],
    );
    assert_mentions(
        &run,
        &[
            "kOfxStatErrImageFormat",
            "unsupported image",
            "unknown pixel depth",
            "OfxBitDepthNone",
        ],
    );
}

#[test]
fn a_bundle_copied_without_its_runtime_names_the_missing_file() {
    let dir = scratch();
    let copy = dir.path().join("onnxfx.ofx.bundle");
    copy_tree(&common::bundle(), &copy);
    let runtime = std::fs::read_dir(copy.join("Contents/Linux-x86-64"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("libonnxruntime")
        })
        .unwrap();
    std::fs::remove_file(&runtime).unwrap();
    let out = dir.path().join("out.png");
    let model = format!("modelFile={}", test_model("invert.onnx").display());
    let run = std::process::Command::new(common::host_binary())
        .arg("render")
        .arg(&copy)
        .args(["--plugin", common::PLUGIN_ID, "--param", &model, "--output"])
        .arg(&out)
        .arg("--input")
        .arg(photo("chelsea.png"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    let needles = [
        "cannot load ONNX Runtime",
        &runtime.display().to_string(),
        "missing from the bundle",
    ];
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
