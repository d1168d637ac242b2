//! Shared helpers for the end-to-end tests: where the built bundle, the host binary, the test models and
//! the photographs are (set by `cargo xtask test`), running `ofx-host render`, and reading images back.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const PLUGIN_ID: &str = "io.github.onnxfx.Inference";

fn env_path(name: &str) -> PathBuf {
    let path = std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!("{name} is not set: run the end-to-end tests with `cargo xtask test`")
        });
    assert!(
        path.exists(),
        "{name} points at {}, which does not exist",
        path.display()
    );
    path
}

pub fn bundle() -> PathBuf {
    env_path("ONNXFX_BUNDLE")
}

pub fn host_binary() -> PathBuf {
    env_path("OFX_HOST_BIN")
}

pub fn test_model(name: &str) -> PathBuf {
    env_path("ONNXFX_TEST_MODELS").join(name)
}

pub fn photo(name: &str) -> PathBuf {
    env_path("ONNXFX_TEST_DATA").join("photos").join(name)
}

pub fn pretrained_model(name: &str) -> PathBuf {
    env_path("ONNXFX_TEST_DATA").join("models").join(name)
}

pub fn python() -> PathBuf {
    env_path("ONNXFX_PYTHON")
}

pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("onnxfx-e2e-")
        .tempdir()
        .expect("temporary directory")
}

/// What one `ofx-host render` run gave.
pub struct Run {
    pub success: bool,
    pub code: Option<i32>,
    pub stderr: String,
}

/// Renders `input` into `output` through the bundle's Inference effect with the given model and extra
/// arguments (`--param mix=0.5`, `--depth byte` ...).
pub fn render(model: &Path, input: &Path, output: &Path, extra: &[&str]) -> Run {
    let model_param = format!("modelFile={}", model.display());
    let mut command = Command::new(host_binary());
    command
        .arg("render")
        .arg(bundle())
        .args(["--plugin", PLUGIN_ID, "--param", &model_param])
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(output)
        .args(extra);
    let out = command.output().expect("running ofx-host");
    Run {
        success: out.status.success(),
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Renders and insists on success, showing the host's stderr otherwise.
pub fn render_ok(model: &Path, input: &Path, output: &Path, extra: &[&str]) {
    let run = render(model, input, output, extra);
    assert!(
        run.success,
        "ofx-host render failed ({:?}):\n{}",
        run.code, run.stderr
    );
    assert!(output.is_file(), "no output written:\n{}", run.stderr);
}

/// An image as RGBA `f32` rows, top row first (8-bit values / 255, 16-bit / 65535, EXR as stored).
pub struct Rgba {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

impl Rgba {
    pub fn read(path: &Path) -> Rgba {
        let image = image::open(path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
            .into_rgba32f();
        let (width, height) = (image.width() as usize, image.height() as usize);
        Rgba {
            width,
            height,
            data: image.into_raw(),
        }
    }

    pub fn pixel(&self, x: usize, y: usize) -> [f32; 4] {
        let i = (y * self.width + x) * 4;
        [
            self.data[i],
            self.data[i + 1],
            self.data[i + 2],
            self.data[i + 3],
        ]
    }
}

/// 8-bit codes of an image file, RGBA, top row first.
pub fn read_u8(path: &Path) -> image::RgbaImage {
    image::open(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .into_rgba8()
}

/// The largest difference between two equally sized images over the RGB channels (and alpha if asked).
pub fn max_abs_diff(a: &Rgba, b: &Rgba, with_alpha: bool) -> f32 {
    assert_eq!(
        (a.width, a.height),
        (b.width, b.height),
        "image sizes differ"
    );
    a.data
        .iter()
        .zip(&b.data)
        .enumerate()
        .filter(|(i, _)| with_alpha || i % 4 != 3)
        .map(|(_, (x, y))| (x - y).abs())
        .fold(0.0, f32::max)
}
