//! `onnxfx-manifest` run as a program on the generated test models (`$ONNXFX_TEST_MODELS`), and the
//! files it writes checked by Python's `onnx` and `onnxruntime` (`$ONNXFX_PYTHON`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const KEY: &str = "onnxfx.manifest";

fn tool(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_onnxfx-manifest"));
    for arg in args {
        command.arg(arg);
    }
    command
        .stdin(Stdio::null())
        .output()
        .expect("run onnxfx-manifest")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

/// A copy of a test model in a fresh folder (the folder goes when the guard drops).
fn copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = common::scratch();
    let path = dir.path().join(name);
    std::fs::copy(common::test_model(name), &path).expect("copy the model");
    (dir, path)
}

/// Loads `model` with Python's onnx (full checker) and onnxruntime, and prints its metadata as JSON.
fn python_metadata(model: &Path) -> Vec<(String, String)> {
    let script = r#"
import json, sys
import onnx, onnxruntime
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
onnxruntime.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
print(json.dumps([[p.key, p.value] for p in m.metadata_props]))
"#;
    let output = Command::new(common::python())
        .arg("-c")
        .arg(script)
        .arg(model)
        .output()
        .expect("run python");
    let (stdout, stderr) = text(&output);
    assert!(
        output.status.success(),
        "python rejected {}: {stderr}",
        model.display()
    );
    let pairs: Vec<(String, String)> = serde_json::from_str(stdout.trim()).expect("metadata JSON");
    pairs
}

#[test]
fn show_prints_the_effective_manifest_its_source_and_warnings() {
    let output = tool(&[&"show", &common::test_model("manifest_embedded.onnx")]);
    let (stdout, stderr) = text(&output);
    assert_eq!(code(&output), Some(0), "{stderr}");
    assert!(
        stdout.contains(
            "manifest: manifest embedded in the model (metadata_props key \"onnxfx.manifest\")"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("\"channels\": \"bgr\""), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("inputs[0].channels ")
                && l.ends_with(" embedded manifest")),
        "{stdout}"
    );
    assert!(
        stdout.contains("inputs \"image\" (bgr): scale [255, 255, 255], offset [0, 0, 0]"),
        "{stdout}"
    );

    let output = tool(&[&"show", &common::test_model("manifest_sidecar.onnx")]);
    let (stdout, _) = text(&output);
    assert_eq!(code(&output), Some(0));
    assert!(stdout.contains("manifest: sidecar manifest"), "{stdout}");
    assert!(
        stdout.contains("licence: unknown key ignored: the key is \"license\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"name\": \"identity (sidecar)\""),
        "{stdout}"
    );

    let output = tool(&[
        &"show",
        &common::test_model("manifest_image_keys.onnx"),
        &"--json",
    ]);
    assert_eq!(code(&output), Some(0));
    let json: Value = serde_json::from_slice(&output.stdout).expect("show --json is JSON");
    assert_eq!(json["source"]["kind"], "none");
    assert_eq!(json["manifest"]["inputs"][0]["channels"], "bgr");
    assert_eq!(json["manifest"]["inputs"][0]["encoding"], "srgb");
    assert_eq!(json["manifest"]["inputs"][0]["normalize"], "0..255");
    assert_eq!(json["provenance"]["inputs[0].channels"], "image_keys");
}

#[test]
fn check_validates_models_and_manifest_files() {
    let output = tool(&[&"check", &common::test_model("manifest_embedded.onnx")]);
    assert_eq!(code(&output), Some(0), "{:?}", text(&output));
    assert!(text(&output).0.starts_with("ok: "));

    let output = tool(&[&"check", &common::test_model("manifest_bad.onnx")]);
    let (_, stderr) = text(&output);
    assert_eq!(code(&output), Some(1));
    assert!(
        stderr.contains("inputs[0].normalize.std: expected 3 numbers, found 2"),
        "{stderr}"
    );

    // The sidecar is checked against its model, and --strict turns its warning into a failure.
    let sidecar = common::test_model("manifest_sidecar.onnx.json");
    assert_eq!(code(&tool(&[&"check", &sidecar])), Some(0));
    let output = tool(&[&"check", &sidecar, &"--strict"]);
    assert_eq!(code(&output), Some(1));
    assert!(text(&output).1.contains("(--strict)"));

    // A manifest on its own: no model to check against, but every value is still checked.
    let dir = common::scratch();
    let loose = dir.path().join("loose.json");
    std::fs::write(
        &loose,
        r#"{"schema": "onnxfx.manifest/1", "inputs": [{"name": "x", "layout": "chw"}]}"#,
    )
    .expect("write");
    let output = tool(&[&"check", &loose]);
    assert_eq!(code(&output), Some(1));
    assert!(
        text(&output)
            .1
            .contains("inputs[0].layout: unknown value \"chw\""),
        "{:?}",
        text(&output)
    );

    for broken in ["corrupt.onnx", "truncated.onnx"] {
        let output = tool(&[&"check", &common::test_model(broken)]);
        assert_eq!(code(&output), Some(1));
        assert!(
            text(&output).1.contains("cannot read the ONNX model"),
            "{:?}",
            text(&output)
        );
    }
}

#[test]
fn template_then_write_embeds_a_manifest_onnx_still_loads() {
    let (dir, model) = copy("invert.onnx");
    let output = tool(&[&"template", &model]);
    assert_eq!(code(&output), Some(0), "{:?}", text(&output));
    let mut manifest: Value = serde_json::from_slice(&output.stdout).expect("template is JSON");
    assert_eq!(manifest["schema"], "onnxfx.manifest/1");
    assert_eq!(manifest["inputs"][0]["name"], "image");
    assert_eq!(manifest["outputs"][0]["scale"], 1);

    manifest["name"] = Value::from("Invert");
    manifest["inputs"][0]["encoding"] = Value::from("srgb");
    let file = dir.path().join("invert.manifest.json");
    std::fs::write(
        &file,
        serde_json::to_string_pretty(&manifest).expect("JSON"),
    )
    .expect("write");
    let output = tool(&[&"write", &model, &file]);
    assert_eq!(code(&output), Some(0), "{:?}", text(&output));

    let metadata = python_metadata(&model);
    let ours: Vec<&(String, String)> = metadata.iter().filter(|(k, _)| k == KEY).collect();
    assert_eq!(ours.len(), 1, "{metadata:?}");
    let stored: Value = serde_json::from_str(&ours[0].1).expect("stored JSON");
    assert_eq!(stored["name"], "Invert");

    let output = tool(&[&"show", &model, &"--json"]);
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["source"]["kind"], "embedded");
    assert_eq!(json["manifest"]["inputs"][0]["encoding"], "srgb");
}

#[test]
fn write_replaces_our_entry_and_keeps_the_others() {
    let (dir, model) = copy("manifest_embedded.onnx");
    let before = python_metadata(&model);
    assert!(before.iter().any(|(k, _)| k == "converted_by"));

    let file = dir.path().join("new.json");
    std::fs::write(
        &file,
        r#"{"schema": "onnxfx.manifest/1", "name": "second", "x-note": "kept verbatim"}"#,
    )
    .expect("write");
    for _ in 0..2 {
        let output = tool(&[&"write", &model, &file]);
        assert_eq!(code(&output), Some(0), "{:?}", text(&output));
    }
    let after = python_metadata(&model);
    let keys: Vec<&str> = after.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["converted_by", KEY],
        "one entry of ours, the other one untouched"
    );
    assert!(after[1].1.contains("kept verbatim"));

    // An invalid manifest is refused and the model is left as it was.
    let bytes = std::fs::read(&model).expect("read");
    std::fs::write(
        &file,
        r#"{"schema": "onnxfx.manifest/1", "outputs": [{"name": "output", "scale": 3}]}"#,
    )
    .expect("write");
    let output = tool(&[&"write", &model, &file]);
    assert_eq!(code(&output), Some(1));
    assert!(
        text(&output)
            .1
            .contains("outputs[0].scale: states x3 but the graph's shapes give x1"),
        "{:?}",
        text(&output)
    );
    assert_eq!(std::fs::read(&model).expect("read"), bytes);

    let output = tool(&[&"remove", &model]);
    assert_eq!(code(&output), Some(0), "{:?}", text(&output));
    assert!(text(&output).0.contains("removed 1 manifest entry"));
    let keys: Vec<String> = python_metadata(&model)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["converted_by"]);
}

#[test]
fn write_reads_standard_input_and_notes_a_sidecar() {
    let (dir, model) = copy("invert.onnx");
    std::fs::write(
        dir.path().join("invert.onnx.json"),
        r#"{"schema": "onnxfx.manifest/1"}"#,
    )
    .expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_onnxfx-manifest"))
        .args(["write".as_ref(), model.as_os_str(), "-".as_ref()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(br#"{"schema": "onnxfx.manifest/1", "task": "invert"}"#)
            .expect("write stdin");
    }
    let output = child.wait_with_output().expect("wait");
    let (stdout, stderr) = text(&output);
    assert_eq!(code(&output), Some(0), "{stderr}");
    assert!(
        stdout.contains("invert.onnx.json exists and replaces the embedded manifest"),
        "{stdout}"
    );
    let metadata = python_metadata(&model);
    assert!(
        metadata
            .iter()
            .any(|(k, v)| k == KEY && v.contains("invert"))
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["show"],
        vec!["write", "a.onnx"],
        vec!["show", "a.onnx", "--nope"],
    ] {
        let args: Vec<&dyn AsRef<std::ffi::OsStr>> = args
            .iter()
            .map(|a| a as &dyn AsRef<std::ffi::OsStr>)
            .collect();
        let output = tool(&args);
        assert_eq!(code(&output), Some(2), "{:?}", text(&output));
        assert!(text(&output).1.contains("usage: onnxfx-manifest"));
    }
    let output = tool(&[&"show", &"/nonexistent/model.onnx"]);
    assert_eq!(code(&output), Some(1));
    assert!(
        text(&output)
            .1
            .contains("cannot read /nonexistent/model.onnx"),
        "{:?}",
        text(&output)
    );
}
