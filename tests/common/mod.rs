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
    render_with_env(model, input, output, extra, &[])
}

/// [`render`] with extra environment variables for `ofx-host` (and so for the plugin).
pub fn render_with_env(
    model: &Path,
    input: &Path,
    output: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Run {
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
        .args(extra)
        .envs(env.iter().copied());
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

/// A photograph as the host library's float RGBA image (8-bit codes / 255, top row first).
pub fn host_image(path: &Path) -> ofx_sdk::host::Image {
    let rgba = Rgba::read(path);
    ofx_sdk::host::Image::from_rgba(rgba.width, rgba.height, rgba.data)
        .expect("consistent image size")
}

/// The Inference plugin of the built bundle, loaded into this process.
pub fn load_plugin() -> (ofx_sdk::host::Library, ofx_sdk::host::Plugin) {
    let library = ofx_sdk::host::Library::load(bundle()).expect("loading the bundle");
    let plugin = library.plugin(PLUGIN_ID).expect("the Inference plugin");
    (library, plugin)
}

/// A Filter instance of the Inference effect with `model` and `source` set.
pub fn instance(
    plugin: &ofx_sdk::host::Plugin,
    model: &Path,
    source: &Path,
) -> ofx_sdk::host::Instance {
    let instance = plugin
        .instance(ofx_sdk::Context::Filter)
        .expect("creating an instance");
    instance
        .set_param_text("modelFile", &model.display().to_string())
        .expect("setting modelFile");
    instance
        .set_source("Source", host_image(source))
        .expect("setting the source");
    instance
}

/// The runtime library inside the built bundle (its SONAME renamed at bundle time).
pub fn bundled_runtime() -> PathBuf {
    let dir = bundle().join("Contents/Linux-x86-64");
    std::fs::read_dir(&dir)
        .expect("the bundle's binary folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libonnxruntime.so."))
        })
        .expect("the bundled ONNX Runtime")
}

/// The same runtime as the wheel ships it (SONAME `libonnxruntime.so.1`): what a host would carry.
pub fn wheel_runtime() -> PathBuf {
    let dir = env_path("ONNXFX_TEST_DATA").join("onnxruntime");
    std::fs::read_dir(&dir)
        .expect("the fetched runtime folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libonnxruntime.so."))
        })
        .expect("the wheel's ONNX Runtime")
}

/// Renders chelsea through invert in this process and checks the pixels: proof the plugin's runtime works.
pub fn render_invert_in_process() {
    let (_library, plugin) = load_plugin();
    let instance = instance(&plugin, &test_model("invert.onnx"), &photo("chelsea.png"));
    let out = instance
        .render(1.0, &ofx_sdk::host::RenderOptions::default())
        .expect("rendering invert");
    let input = Rgba::read(&photo("chelsea.png"));
    for (o, i) in out.data().chunks_exact(4).zip(input.data.chunks_exact(4)) {
        assert!((o[0] - (1.0 - i[0])).abs() < 1e-6);
    }
}

/// The address of `OrtGetApiBase` in an already loaded library found by `name` (a path or a SONAME),
/// or `None` when no loaded object answers to that name. `RTLD_NOLOAD` never loads anything new.
pub fn loaded_api_address(name: &std::ffi::OsStr) -> Option<usize> {
    use libloading::os::unix::{Library, RTLD_NOW};
    // SAFETY: RTLD_NOLOAD only looks the name up among objects already loaded; no initialiser runs.
    let library = unsafe { Library::open(Some(name), RTLD_NOW | libc::RTLD_NOLOAD) }.ok()?;
    // SAFETY: only the symbol's address is read; the function is never called.
    let symbol = unsafe { library.get::<unsafe extern "C" fn()>(b"OrtGetApiBase") }.ok()?;
    Some(*symbol as usize)
}

/// An image computed pixel by pixel from another (the expected result of a per-pixel model).
pub fn map_pixels(input: &Rgba, f: impl Fn([f32; 4]) -> [f32; 4]) -> Rgba {
    let data = input
        .data
        .chunks_exact(4)
        .flat_map(|p| f([p[0], p[1], p[2], p[3]]))
        .collect();
    Rgba {
        width: input.width,
        height: input.height,
        data,
    }
}

/// A zoo model as `cargo xtask models` built it (`ONNXFX_ZOO`, set by `cargo xtask test`).
pub fn zoo_model(name: &str) -> PathBuf {
    env_path("ONNXFX_ZOO").join(name)
}

/// Renders `input` into `output` through `plugin` of `bundle` with the given `--param` values.
pub fn render_plugin(
    bundle: &Path,
    plugin: &str,
    params: &[&str],
    input: &Path,
    output: &Path,
) -> Run {
    let mut command = Command::new(host_binary());
    command.arg("render").arg(bundle).args(["--plugin", plugin]);
    for p in params {
        command.args(["--param", p]);
    }
    command
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(output);
    let out = command.output().expect("running ofx-host");
    Run {
        success: out.status.success(),
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// ONNX Runtime's Python API run directly on `input` (a PNG, or a float32 [1,C,H,W] .npy) with
/// `scripts/reference_infer.py`: the first output's shape and values.
pub fn reference(model: &Path, input: &Path, extra: &[&str]) -> (Vec<usize>, Vec<f32>) {
    let dir = scratch();
    let out = dir.path().join("reference.npy");
    let status = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/reference_infer.py"
        ))
        .arg("--model")
        .arg(model)
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(&out)
        .args(extra)
        .status()
        .expect("running the Python reference");
    assert!(status.success(), "reference_infer.py failed");
    let bytes = std::fs::read(&out).unwrap();
    let npy = npyz::NpyFile::new(bytes.as_slice()).unwrap();
    let shape = npy.shape().iter().map(|d| *d as usize).collect();
    (shape, npy.into_vec().unwrap())
}

/// A copy of the built bundle (hard links, so it costs nothing) in which the test may remove or replace
/// files; replaced files must be removed first (writing through a link would change the real bundle).
pub fn bundle_copy() -> (tempfile::TempDir, PathBuf) {
    fn link_tree(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                link_tree(&entry.path(), &target);
            } else {
                std::fs::hard_link(entry.path(), &target)
                    .or_else(|_| std::fs::copy(entry.path(), &target).map(drop))
                    .unwrap();
            }
        }
    }
    let source = bundle();
    let dir = tempfile::Builder::new()
        .prefix("onnxfx-bundle-")
        .tempdir_in(source.parent().unwrap())
        .unwrap();
    let copy = dir.path().join("onnxfx.ofx.bundle");
    link_tree(&source, &copy);
    (dir, copy)
}
