//! End-to-end in a host nobody here wrote: MLT's OpenFX host (`melt`, Debian sid's `libmlt7`), run with
//! `chroot` in the root that `cargo xtask mlt` builds and `cargo xtask test` passes as `ONNXFX_MLT_ROOT`.
//! The built bundle is copied into an `OFX_PLUGIN_PATH` folder inside the root; real photographs go through
//! our effect in `melt`, and the pixels are compared with what `ofx-host` renders for the same effect,
//! parameters and input, offered the way MLT offers them (`--negative-row-bytes --instance-per-frame`).
//! Parameters are set with melt's property syntax (`name=value`, choices by label, `0=0;3=1` keyframes).
//!
//! Tolerance: at most 1 code and a mean under 0.01 codes, at the depth MLT hands over (8-bit codes for
//! Byte, 16-bit codes for Short). Both hosts give the plugin the same integer codes (MLT decodes PNG
//! without converting colours; `abnormal:` skips its normalisers), neither does OpenFX colour
//! management (so the node's Auto working space is sRGB in both), the same plugin code and runtime
//! compute in float32, and both store the codes the plugin rounded, so the images are expected to be
//! identical; the one code allows for ONNX Runtime splitting a convolution across threads differently
//! in another process, which can move a value sitting on a rounding boundary to the next code. Where
//! MLT itself changes the pixels before the plugin sees them (widening 8-bit frames to 16 bits,
//! scaling for preview), ofx-host is given the frame MLT made (melt without the filter), so only the
//! plugin is compared; the 16-bit photographs are real 16-bit files.

// Test code: a failed unwrap is a failed test; the helpers print the measured differences (with
// `--nocapture`) because the docs quote them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{bundle, photo, pretrained_model, read_u8, render, scratch, test_model};
use image::{ImageBuffer, Rgba, RgbaImage};

/// MLT's name for our effect: `openfx.` + the plugin id (a `:` in an id would become `^`).
const FILTER: &str = "openfx.io.github.onnxfx.Inference";

/// The largest difference allowed, in codes of the depth compared.
const MAX_CODES: u32 = 1;
/// The mean difference allowed, in codes.
const MAX_MEAN_CODES: f64 = 0.01;

/// The longest one melt run may take (each takes well under a second here).
const MELT_TIMEOUT: Duration = Duration::from_secs(120);

/// What `melt -verbose` prints when MLT 7.42's avformat consumer lost its start-up race: `consumer_start`
/// creates the consumer thread before it sets `running`, and a thread that checks `running` first ends
/// at once. melt then exits 0 without writing anything, or waits forever. More likely on a loaded
/// machine (about one run in four with eight melts on two cores); an MLT bug, not ours.
const MLT_START_RACE: &str = "finished processing -1 frames";
/// Runs of one melt command before giving up on the race.
const MELT_ATTEMPTS: u32 = 8;

type Rgba16 = ImageBuffer<Rgba<u16>, Vec<u16>>;

/// The Debian sid root with melt, prepared by `cargo xtask mlt`.
fn mlt_root() -> PathBuf {
    let root = std::env::var_os("ONNXFX_MLT_ROOT").map(PathBuf::from).unwrap_or_else(|| {
        panic!(
            "ONNXFX_MLT_ROOT is not set: run the end-to-end tests with `cargo xtask test`, which builds \
             (once per machine) the Debian sid root with MLT's melt and passes it here; \
             `cargo xtask mlt` builds it alone and prints the variable"
        )
    });
    assert!(
        root.join("usr/bin/melt").is_file(),
        "ONNXFX_MLT_ROOT={} holds no usr/bin/melt: rebuild it with `cargo xtask mlt --rebuild`",
        root.display()
    );
    root
}

/// A scratch folder inside the root (its `/tmp`), with the bundle installed in `OFX/` for
/// `OFX_PLUGIN_PATH`. Removed when dropped.
struct Melt {
    root: PathBuf,
    dir: tempfile::TempDir,
}

impl Melt {
    /// With the built bundle installed.
    fn new() -> Melt {
        Melt::with_bundle(|_| true)
    }

    /// With the bundle's files that `keep` accepts (by path relative to the bundle) installed.
    fn with_bundle(keep: impl Fn(&Path) -> bool) -> Melt {
        let root = mlt_root();
        let dir = tempfile::Builder::new()
            .prefix("onnxfx-mlt-")
            .tempdir_in(root.join("tmp"))
            .expect("a scratch folder inside the MLT root");
        let bundle = bundle();
        let name = bundle.file_name().unwrap().to_owned();
        copy_tree(
            &bundle,
            &dir.path().join("OFX").join(name),
            Path::new(""),
            &keep,
        );
        Melt { root, dir }
    }

    /// Where `name` is, seen from outside the root.
    fn host_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Where `name` is, seen from inside the root.
    fn inside(&self, name: &str) -> String {
        let relative = self.dir.path().strip_prefix(&self.root).unwrap();
        format!("/{}/{name}", relative.display())
    }

    /// Copies a file into the scratch folder; returns its path inside the root.
    fn stage(&self, file: &Path, name: &str) -> String {
        std::fs::copy(file, self.host_path(name))
            .unwrap_or_else(|e| panic!("copying {} into the root: {e}", file.display()));
        self.inside(name)
    }

    /// Copies a model into the scratch folder under its own name, with its sidecar manifest
    /// (`<model>.json`) when it has one; returns the model's path inside the root.
    fn stage_model(&self, model: &Path) -> String {
        let name = model.file_name().unwrap().to_str().unwrap();
        let sidecar = model.with_file_name(format!("{name}.json"));
        if sidecar.is_file() {
            self.stage(&sidecar, &format!("{name}.json"));
        }
        self.stage(model, name)
    }

    /// Runs `melt -verbose ARGS` inside the root with a clean environment, our bundle on
    /// `OFX_PLUGIN_PATH`. A run that meets MLT's consumer start-up race (see [`MLT_START_RACE`]) is
    /// stopped and run again, up to [`MELT_ATTEMPTS`] times.
    fn melt(&self, args: &[String]) -> Output {
        for attempt in 1..=MELT_ATTEMPTS {
            match self.melt_once(args) {
                Some(output) => return output,
                None => eprintln!(
                    "melt {args:?}: MLT's avformat consumer stopped before its first frame \
                     (attempt {attempt} of {MELT_ATTEMPTS}); running it again"
                ),
            }
        }
        panic!("melt {args:?} met MLT's consumer start-up race {MELT_ATTEMPTS} times in a row");
    }

    /// One melt run; `None` when it met the start-up race (then it was killed if it hung).
    fn melt_once(&self, args: &[String]) -> Option<Output> {
        let mut child = Command::new("chroot")
            .arg(&self.root)
            .args(["/usr/bin/env", "-i"])
            .arg("PATH=/usr/local/bin:/usr/bin:/bin")
            .arg("HOME=/root")
            .arg("LANG=C.UTF-8")
            .arg(format!("OFX_PLUGIN_PATH={}", self.inside("OFX")))
            .args(["melt", "-verbose"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running chroot");
        let mut stdout = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            stdout.read_to_end(&mut bytes).unwrap();
            bytes
        });
        let raced = Arc::new(AtomicBool::new(false));
        let stderr = {
            let raced = Arc::clone(&raced);
            let reader = BufReader::new(child.stderr.take().unwrap());
            std::thread::spawn(move || {
                let mut text = Vec::new();
                for line in reader.split(b'\n') {
                    let line = line.unwrap();
                    if line
                        .windows(MLT_START_RACE.len())
                        .any(|w| w == MLT_START_RACE.as_bytes())
                    {
                        raced.store(true, Ordering::Release);
                    }
                    text.extend_from_slice(&line);
                    text.push(b'\n');
                }
                text
            })
        };
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            // After the race melt either exits 0 without output or waits forever for a consumer
            // thread that already ended: stop it either way.
            if raced.load(Ordering::Acquire) || started.elapsed() > MELT_TIMEOUT {
                let _ = child.kill();
                break child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let output = Output {
            status,
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        };
        if raced.load(Ordering::Acquire) {
            return None;
        }
        assert!(
            started.elapsed() <= MELT_TIMEOUT,
            "melt {args:?} ran past {MELT_TIMEOUT:?}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_ne!(
            output.status.code(),
            Some(125),
            "chroot failed (run the tests as root):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        Some(output)
    }

    /// Renders `input` (a path inside the root) through our filter with `params` into `output` (a name in
    /// the scratch folder): frame 0 once, written as PNG. `sixteen_bit` asks for MLT's 16-bit image
    /// format (Short in OFX) and a 16-bit PNG.
    fn render(&self, input: &str, params: &[String], output: &str, sixteen_bit: bool) -> Output {
        self.render_filter(FILTER, input, params, output, sixteen_bit)
    }

    /// [`Melt::render`] through another of our filters (`openfx.<plugin id>`).
    fn render_filter(
        &self,
        filter: &str,
        input: &str,
        params: &[String],
        output: &str,
        sixteen_bit: bool,
    ) -> Output {
        let mut args = vec![format!("abnormal:{input}"), "out=0".to_owned()];
        args.extend(["-filter".to_owned(), filter.to_owned()]);
        args.extend(params.iter().cloned());
        args.extend([
            "-consumer".to_owned(),
            format!("avformat:{}", self.inside(output)),
            "vcodec=png".to_owned(),
            "frames=1".to_owned(),
            "update=1".to_owned(),
            // One render thread and no read-ahead: the frame is rendered once.
            "real_time=0".to_owned(),
        ]);
        if sixteen_bit {
            args.extend([
                "mlt_image_format=rgba64".to_owned(),
                "pix_fmt=rgba64be".to_owned(),
            ]);
        } else {
            args.push("pix_fmt=rgba".to_owned());
        }
        self.melt(&args)
    }
}

/// Copies the tree at `from` to `to`, keeping the files whose path relative to the top `keep` accepts.
fn copy_tree(from: &Path, to: &Path, relative: &Path, keep: &impl Fn(&Path) -> bool) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let relative = relative.join(entry.file_name());
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target, &relative, keep);
        } else if keep(&relative) {
            // A hard link where the root shares the file system with target/ (melt only reads them):
            // most cases install the 30 MB bundle afresh.
            if std::fs::hard_link(entry.path(), &target).is_err() {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
}

/// melt exited normally (it exits 0 even when the plugin failed: also check `no_plugin_error`).
fn assert_ran(output: &Output) {
    assert!(
        output.status.success(),
        "melt failed ({}; 139 is a crash):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// MLT prints the plugin's persistent messages as `[openfx] persistent type=OfxMessageError msg=…`.
fn assert_no_plugin_error(output: &Output) {
    let log = stderr(output);
    assert!(
        !log.contains("type=OfxMessageError") && !log.contains("kOfxStat"),
        "the plugin reported an error in melt:\n{log}"
    );
}

/// Differences between two equally sized images, in codes.
#[derive(Debug)]
struct Diff {
    max: u32,
    mean: f64,
    differing: usize,
    values: usize,
}

impl Diff {
    fn of(a: impl Iterator<Item = u32>, b: impl Iterator<Item = u32>) -> Diff {
        let (mut max, mut sum, mut differing, mut values) = (0, 0u64, 0, 0);
        for (x, y) in a.zip(b) {
            let d = x.abs_diff(y);
            max = max.max(d);
            sum += u64::from(d);
            differing += usize::from(d > 0);
            values += 1;
        }
        #[allow(clippy::cast_precision_loss)]
        let mean = if values == 0 {
            0.0
        } else {
            sum as f64 / values as f64
        };
        Diff {
            max,
            mean,
            differing,
            values,
        }
    }

    fn u8(a: &RgbaImage, b: &RgbaImage) -> Diff {
        assert_eq!(a.dimensions(), b.dimensions(), "image sizes differ");
        Diff::of(
            a.as_raw().iter().map(|v| u32::from(*v)),
            b.as_raw().iter().map(|v| u32::from(*v)),
        )
    }

    fn u16(a: &Rgba16, b: &Rgba16) -> Diff {
        assert_eq!(a.dimensions(), b.dimensions(), "image sizes differ");
        Diff::of(
            a.as_raw().iter().map(|v| u32::from(*v)),
            b.as_raw().iter().map(|v| u32::from(*v)),
        )
    }

    /// Prints the numbers (the report quotes them) and checks the tolerance.
    fn check(&self, what: &str) {
        eprintln!(
            "melt vs ofx-host, {what}: max {} codes, mean {:.5} codes, {} of {} values differ",
            self.max, self.mean, self.differing, self.values
        );
        assert!(
            self.max <= MAX_CODES && self.mean <= MAX_MEAN_CODES,
            "{what}: melt and ofx-host differ by up to {} codes (mean {:.4}); tolerance {MAX_CODES} \
             (mean {MAX_MEAN_CODES})",
            self.max,
            self.mean
        );
    }
}

fn read_u16(path: &Path) -> Rgba16 {
    image::open(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .into_rgba16()
}

/// `ofx-host render` of the same effect as MLT runs it: bottom-up rows, one instance per frame.
fn ofx_host_render(model: &Path, input: &Path, output: &Path, params: &[&str], depth: &str) {
    let mut extra = vec![
        "--depth",
        depth,
        "--negative-row-bytes",
        "--instance-per-frame",
    ];
    if depth == "short" {
        extra.extend(["--png-bits", "16"]);
    }
    for param in params {
        extra.extend(["--param", param]);
    }
    let run = render(model, input, output, &extra);
    assert!(
        run.success,
        "ofx-host render failed ({:?}):\n{}",
        run.code, run.stderr
    );
}

/// The depths MLT hands over: Byte for 8-bit frames, Short when the consumer works in `rgba64`. It
/// converts to Half or Float only for plugins without Short, and ours has it.
#[derive(Clone, Copy, PartialEq)]
enum Depth {
    Byte,
    Short,
}

/// Renders `melt_input` in melt and `host_input` (the same pixels, as MLT hands them to the plugin) in
/// ofx-host through `model` with `params` at `depth`, and compares the codes.
fn compare(
    depth: Depth,
    melt_input: &Path,
    host_input: &Path,
    model: &Path,
    params: &[&str],
    what: &str,
) {
    let melt = Melt::new();
    let input = melt.stage(melt_input, "in.png");
    let model_in = melt.stage_model(model);
    let mut melt_params = vec![format!("modelFile={model_in}")];
    melt_params.extend(params.iter().map(|p| (*p).to_owned()));
    let run = melt.render(&input, &melt_params, "melt.png", depth == Depth::Short);
    assert_ran(&run);
    assert_no_plugin_error(&run);

    let dir = scratch();
    let reference = dir.path().join("ofx-host.png");
    let from_melt = melt.host_path("melt.png");
    match depth {
        Depth::Byte => {
            ofx_host_render(model, host_input, &reference, params, "byte");
            Diff::u8(&read_u8(&from_melt), &read_u8(&reference))
                .check(&format!("{what}, 8-bit (Byte)"));
        }
        Depth::Short => {
            ofx_host_render(model, host_input, &reference, params, "short");
            Diff::u16(&read_u16(&from_melt), &read_u16(&reference))
                .check(&format!("{what}, 16-bit (Short)"));
        }
    }
}

fn compare_byte(photo_file: &Path, model: &Path, params: &[&str], what: &str) {
    compare(Depth::Byte, photo_file, photo_file, model, params, what);
}

fn compare_short(photo_file: &Path, model: &Path, params: &[&str], what: &str) {
    compare(Depth::Short, photo_file, photo_file, model, params, what);
}

/// A 16-bit copy of a photograph with values between the 8-bit steps (a fixed pattern fills the low
/// byte), so 16-bit precision is exercised end to end.
fn photo_16_bit(name: &str, dir: &Path) -> PathBuf {
    let source = read_u8(&photo(name));
    let image = Rgba16::from_fn(source.width(), source.height(), |x, y| {
        let p = source.get_pixel(x, y).0;
        let low = |c: u32| u16::try_from((x * 7 + y * 13 + c * 29) % 256).unwrap();
        let channel = |c: usize| u16::from(p[c]) * 256 + low(u32::try_from(c).unwrap());
        Rgba([channel(0), channel(1), channel(2), 65535])
    });
    let path = dir.join(format!("{name}-16bit.png"));
    image.save(&path).unwrap();
    path
}

/// chelsea with a horizontal alpha ramp, as 8-bit RGBA.
fn chelsea_with_alpha(dir: &Path) -> PathBuf {
    let mut image = read_u8(&photo("chelsea.png"));
    let width = image.width();
    for (x, _, pixel) in image.enumerate_pixels_mut() {
        pixel.0[3] = u8::try_from(x * 255 / (width - 1)).unwrap();
    }
    let path = dir.join("chelsea-alpha.png");
    image.save(&path).unwrap();
    path
}

#[test]
fn melt_lists_the_effect_and_its_parameters() {
    let melt = Melt::new();
    let filters = melt.melt(&["-query".to_owned(), "filters".to_owned()]);
    assert_ran(&filters);
    let listed = String::from_utf8_lossy(&filters.stdout);
    assert!(
        listed.lines().any(|l| l.trim() == format!("- {FILTER}")),
        "`melt -query filters` does not list {FILTER}:\n{listed}\n{}",
        stderr(&filters)
    );

    let query = melt.melt(&["-query".to_owned(), format!("filter={FILTER}")]);
    assert_ran(&query);
    let yaml = String::from_utf8_lossy(&query.stdout);
    assert!(yaml.contains(&format!("identifier: {FILTER}")), "{yaml}");
    assert!(yaml.contains("title: ONNX Inference (onnxfx)"), "{yaml}");
    // One block per parameter, by its OFX name: melt's property syntax sets them by that name.
    let param = |name: &str| {
        yaml.split("- identifier: ")
            .find(|block| block.lines().next() == Some(name))
            .unwrap_or_else(|| panic!("parameter {name} missing from:\n{yaml}"))
            .to_owned()
    };
    let model_file = param("modelFile");
    assert!(model_file.contains("type: string"), "{model_file}");
    let mix = param("mix");
    for line in [
        "type: float",
        "default: 1",
        "minimum: 0",
        "maximum: 1",
        "animation: yes",
    ] {
        assert!(mix.contains(line), "mix lacks `{line}`:\n{mix}");
    }
    let info = param("modelInfo");
    assert!(info.contains("readonly: yes"), "{info}");
    // Choices are strings whose values are the option labels, in order.
    let working_space = param("workingSpace");
    assert!(
        working_space.contains("type: string")
            && working_space.contains("values:\n      - Auto\n      - Linear\n")
            && working_space.contains("- Data (no conversion)"),
        "{working_space}"
    );
    assert!(param("tileSize").contains("type: integer"));
}

#[test]
fn byte_renders_of_photographs_match_ofx_host() {
    compare_byte(
        &photo("chelsea.png"),
        &test_model("invert.onnx"),
        &[],
        "chelsea, invert",
    );
    compare_byte(
        &photo("coffee.png"),
        &test_model("gain.onnx"),
        &["mix=0.5"],
        "coffee, gain, mix 0.5",
    );
    compare_byte(
        &photo("astronaut.png"),
        &test_model("conv3x3.onnx"),
        &[],
        "astronaut, conv3x3",
    );
}

/// Renders `photo_file` through our task node `plugin` in melt and in ofx-host (as MLT runs it: 8-bit,
/// bottom-up rows, one instance per frame) with `params` (choices by index for ofx-host, by label
/// for melt: `(name, index, label)`), where `model` (if any) is the node's user model file, and
/// compares the codes.
fn compare_task_node(
    plugin: &str,
    photo_file: &Path,
    model: Option<&Path>,
    params: &[(&str, &str, &str)],
    what: &str,
) {
    let melt = Melt::new();
    let input = melt.stage(photo_file, "in.png");
    let mut melt_params: Vec<String> = params.iter().map(|(n, _, l)| format!("{n}={l}")).collect();
    let mut host_params: Vec<String> = params.iter().map(|(n, i, _)| format!("{n}={i}")).collect();
    if let Some(model) = model {
        melt_params.push(format!("modelFile={}", melt.stage_model(model)));
        host_params.push(format!("modelFile={}", model.display()));
    }
    let run = melt.render_filter(
        &format!("openfx.{plugin}"),
        &input,
        &melt_params,
        "melt.png",
        false,
    );
    assert_ran(&run);
    assert_no_plugin_error(&run);

    let dir = scratch();
    let reference = dir.path().join("ofx-host.png");
    let mut command = Command::new(common::host_binary());
    command
        .arg("render")
        .arg(bundle())
        .args(["--plugin", plugin])
        .args([
            "--depth",
            "byte",
            "--negative-row-bytes",
            "--instance-per-frame",
        ]);
    for p in &host_params {
        command.args(["--param", p]);
    }
    let out = command
        .arg("--input")
        .arg(photo_file)
        .arg("--output")
        .arg(&reference)
        .output()
        .expect("running ofx-host");
    assert!(
        out.status.success(),
        "ofx-host render failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Diff::u8(&read_u8(&melt.host_path("melt.png")), &read_u8(&reference))
        .check(&format!("{what}, 8-bit (Byte)"));
}

#[test]
fn the_task_nodes_with_their_models_match_ofx_host() {
    // Denoise with its bundled model (the bundle `cargo xtask test` builds ships the zoo).
    compare_task_node(
        "io.github.onnxfx.Denoise",
        &photo("chelsea.png"),
        None,
        &[("strength", "0.8", "0.8")],
        "chelsea, Denoise (bundled onnxfx denoiser), strength 0.8",
    );
    // Matte with a user model of fixed size (the frame resized in and the matte back), alpha only.
    compare_task_node(
        "io.github.onnxfx.Matte",
        &photo("coffee.png"),
        Some(&test_model("matte_fixed_64.onnx")),
        &[
            ("model", "1", "User model"),
            ("output", "2", "Alpha only (source colour)"),
        ],
        "coffee, Matte (fixed 64x64 user model), alpha only",
    );
}

#[test]
fn byte_renders_keep_or_replace_alpha_as_in_ofx_host() {
    let dir = scratch();
    let input = chelsea_with_alpha(dir.path());
    compare_byte(
        &input,
        &test_model("luma.onnx"),
        &[],
        "chelsea with alpha ramp, luma (source alpha kept)",
    );
    compare_byte(
        &input,
        &test_model("rgba_identity.onnx"),
        &[],
        "chelsea with alpha ramp, rgba_identity (model alpha)",
    );
}

#[test]
fn choice_and_integer_parameters_and_model_manifests_pass_through_melt() {
    // Choices go through melt by their option label, integers as numbers; manifests are read from the
    // model (embedded) or beside it (sidecar), inside the root.
    compare_byte(
        &photo("coffee.png"),
        &test_model("gain.onnx"),
        &["workingSpace=Linear"],
        "coffee, gain, working space Linear (a choice by label)",
    );
    compare_byte(
        &photo("chelsea.png"),
        &test_model("invert.onnx"),
        &["modelRange=-1..1", "modelChannels=BGR"],
        "chelsea, invert, model range -1..1 and BGR (choices)",
    );
    compare_byte(
        &photo("astronaut.png"),
        &test_model("conv3x3.onnx"),
        &["tileSize=128", "tileOverlap=16"],
        "astronaut, conv3x3 in 128-pixel tiles (integers)",
    );
    compare_byte(
        &photo("chelsea.png"),
        &test_model("manifest_embedded.onnx"),
        &[],
        "chelsea, model with an embedded manifest",
    );
    compare_byte(
        &photo("chelsea.png"),
        &test_model("manifest_sidecar.onnx"),
        &[],
        "chelsea, model with a sidecar manifest",
    );
    let dir = scratch();
    compare_byte(
        &chelsea_with_alpha(dir.path()),
        &test_model("matte.onnx"),
        &[],
        "chelsea with alpha ramp, matte model (output becomes alpha)",
    );
}

#[test]
fn preview_scaling_renders_at_mlts_render_scale_like_ofx_host_on_the_same_frame() {
    // Kdenlive and Shotcut preview at a fraction of the project size: the consumer's `scale`. MLT then
    // hands the plugin a smaller frame with render scale = frame size / profile size, here
    // (224/451, 150/300): not even uniform. ofx-host gets the frame MLT scaled (melt without the
    // filter), so only the plugin is compared.
    let melt = Melt::new();
    let input = melt.stage(&photo("chelsea.png"), "in.png");
    std::fs::write(
        melt.host_path("profile"),
        "description=chelsea\nframe_rate_num=25\nframe_rate_den=1\nwidth=451\nheight=300\n\
         progressive=1\nsample_aspect_num=1\nsample_aspect_den=1\ndisplay_aspect_num=451\n\
         display_aspect_den=300\ncolorspace=709\n",
    )
    .unwrap();
    let model = test_model("conv3x3.onnx");
    let model_in = melt.stage_model(&model);
    let scaled_render = |filter: &[String], output: &str| {
        let mut args = vec![
            "-profile".to_owned(),
            melt.inside("profile"),
            // Without `abnormal:`: MLT's normalisers do the scaling before the filter, as in the
            // editors (with it, the frame is filtered at full size and scaled afterwards).
            input.clone(),
            "out=0".to_owned(),
        ];
        args.extend(filter.iter().cloned());
        args.extend([
            "-consumer".to_owned(),
            format!("avformat:{}", melt.inside(output)),
            "vcodec=png".to_owned(),
            "pix_fmt=rgba".to_owned(),
            "frames=1".to_owned(),
            "update=1".to_owned(),
            "real_time=0".to_owned(),
            "scale=0.5".to_owned(),
        ]);
        let run = melt.melt(&args);
        assert_ran(&run);
        assert_no_plugin_error(&run);
        read_u8(&melt.host_path(output))
    };
    let frame = scaled_render(&[], "frame.png");
    assert_eq!(frame.dimensions(), (224, 150), "MLT's preview frame");
    let filtered = scaled_render(
        &[
            "-filter".to_owned(),
            FILTER.to_owned(),
            format!("modelFile={model_in}"),
        ],
        "melt.png",
    );
    let dir = scratch();
    let reference = dir.path().join("ofx-host.png");
    ofx_host_render(
        &model,
        &melt.host_path("frame.png"),
        &reference,
        &[],
        "byte",
    );
    Diff::u8(&filtered, &read_u8(&reference))
        .check("chelsea at preview scale 0.5 (224x150), conv3x3");
}

#[test]
fn pretrained_text_detector_matches_ofx_host() {
    let dir = scratch();
    // The detector needs sides that are multiples of 32: the page cropped to 384x160, as RGB.
    let page = image::open(photo("page.png")).unwrap().into_rgb8();
    let crop = image::imageops::crop_imm(&page, 0, 0, 384, 160).to_image();
    let input = dir.path().join("page-384x160.png");
    crop.save(&input).unwrap();
    compare_byte(
        &input,
        &pretrained_model("ppocr-v4-det.onnx"),
        &[],
        "page, PP-OCRv4 detection",
    );
}

#[test]
fn short_renders_of_photographs_match_ofx_host() {
    let dir = scratch();
    compare_short(
        &photo_16_bit("astronaut.png", dir.path()),
        &test_model("conv3x3.onnx"),
        &[],
        "astronaut 16-bit, conv3x3",
    );
    compare_short(
        &photo_16_bit("coffee.png", dir.path()),
        &test_model("gain.onnx"),
        &["mix=0.25"],
        "coffee 16-bit, gain, mix 0.25",
    );
}

#[test]
fn an_8_bit_file_in_mlts_16_bit_pipeline_matches_ofx_host_given_mlts_widened_frame() {
    // MLT widens 8-bit frames to rgba64 itself (swscale), not as v * 257 and not exactly: the frame it
    // hands the plugin is what melt writes without the filter. ofx-host gets that frame, so the
    // comparison is about the plugin alone; MLT's widening is printed for the docs.
    let melt = Melt::new();
    let input = melt.stage(&photo("chelsea.png"), "in.png");
    let run = melt.melt(&[
        format!("abnormal:{input}"),
        "out=0".to_owned(),
        "-consumer".to_owned(),
        format!("avformat:{}", melt.inside("widened.png")),
        "vcodec=png".to_owned(),
        "frames=1".to_owned(),
        "update=1".to_owned(),
        "real_time=0".to_owned(),
        "mlt_image_format=rgba64".to_owned(),
        "pix_fmt=rgba64be".to_owned(),
    ]);
    assert_ran(&run);
    let widened = read_u16(&melt.host_path("widened.png"));
    let source = read_u8(&photo("chelsea.png"));
    // Colour channels only (MLT makes alpha 65535, as v * 257 would).
    let colour = |image: &Rgba16| -> Vec<u32> {
        image
            .pixels()
            .flat_map(|p| p.0[..3].iter().map(|v| u32::from(*v)).collect::<Vec<_>>())
            .collect()
    };
    for factor in [257, 256] {
        let widened_exactly = Rgba16::from_fn(source.width(), source.height(), |x, y| {
            Rgba(source.get_pixel(x, y).0.map(|v| u16::from(v) * factor))
        });
        let off = Diff::of(
            colour(&widened).into_iter(),
            colour(&widened_exactly).into_iter(),
        );
        eprintln!(
            "MLT's 8-to-16-bit widening of chelsea's RGB vs v * {factor}: max {} codes, mean {:.2} \
             codes (of 65535)",
            off.max, off.mean
        );
    }
    compare(
        Depth::Short,
        &photo("chelsea.png"),
        &melt.host_path("widened.png"),
        &test_model("invert.onnx"),
        &[],
        "chelsea 8-bit widened by MLT, invert",
    );
}

#[test]
fn animated_mix_over_frames_rendered_in_parallel_matches_ofx_host() {
    let melt = Melt::new();
    // A clip of four frames: an image sequence, as a video would be. (A still image with `out=3` is not
    // used: in about one run in six of MLT 7.42's parallel rendering every frame came out as the effect
    // applied to an already processed picture, with MLT's own filters too; MLT hands frames of one still
    // a shared picture. Separate files never showed it in 120 frames.)
    for n in 1..=4 {
        melt.stage(&photo("coffee.png"), &format!("in{n}.png"));
    }
    let model = test_model("gain.onnx");
    let model_in = melt.stage_model(&model);
    // Mix keyframed 0 → 1; two render threads (negative: never drop a frame). MLT creates an instance
    // per frame and renders them concurrently.
    let run = melt.melt(&[
        format!("abnormal:avformat:{}", melt.inside("in%d.png")),
        "out=3".to_owned(),
        "-filter".to_owned(),
        FILTER.to_owned(),
        format!("modelFile={model_in}"),
        "mix=0=0;3=1".to_owned(),
        "-consumer".to_owned(),
        format!("avformat:{}", melt.inside("frame%02d.png")),
        "vcodec=png".to_owned(),
        "pix_fmt=rgba".to_owned(),
        "real_time=-2".to_owned(),
    ]);
    assert_ran(&run);
    assert_no_plugin_error(&run);

    let dir = scratch();
    for frame in 0..4u32 {
        let mix = f64::from(frame) / 3.0;
        let reference = dir.path().join(format!("ofx-host-{frame}.png"));
        ofx_host_render(
            &model,
            &photo("coffee.png"),
            &reference,
            &[&format!("mix={mix}")],
            "byte",
        );
        // The image2 muxer numbers files from 1.
        let melt_frame = melt.host_path(&format!("frame{:02}.png", frame + 1));
        Diff::u8(&read_u8(&melt_frame), &read_u8(&reference)).check(&format!(
            "coffee, gain, frame {frame} of 4 (mix {mix:.3}), 2 threads"
        ));
    }
}

#[test]
fn an_upscaler_is_refused_with_the_reason_in_a_host_without_multi_resolution() {
    // MLT says kOfxImageEffectPropSupportsMultiResolution = 0 and keeps every image the size of the
    // source, whatever region of definition the effect asks for: the x2 model's output would not fit,
    // and MLT would show its bottom-left corner. The render is refused with the reason, and MLT passes
    // the source on.
    let melt = Melt::new();
    let input = melt.stage(&photo("chelsea.png"), "in.png");
    let model_in = melt.stage_model(&test_model("upscale2x.onnx"));
    let run = melt.render(
        &input,
        &[format!("modelFile={model_in}")],
        "melt.png",
        false,
    );
    assert_ran(&run);
    let log = stderr(&run);
    assert!(
        log.contains("type=OfxMessageError msg=onnxfx: the host lacks multi-resolution images")
            && log.contains(&format!(
                "the x2 output of model {model_in} cannot be shown"
            )),
        "melt's log lacks the reason:\n{log}"
    );
    let diff = Diff::u8(
        &read_u8(&melt.host_path("melt.png")),
        &read_u8(&photo("chelsea.png")),
    );
    assert_eq!(diff.max, 0, "{diff:?}");
    // The Upscale node with its bundled x2 model: the same refusal, the same untouched frame.
    let run = melt.render_filter(
        "openfx.io.github.onnxfx.Upscale",
        &input,
        &[],
        "upscale.png",
        false,
    );
    assert_ran(&run);
    let log = stderr(&run);
    assert!(
        log.contains("type=OfxMessageError msg=onnxfx: the host lacks multi-resolution images")
            && log.contains("onnxfx-sr2.onnx cannot be shown"),
        "melt's log lacks the reason:\n{log}"
    );
    let diff = Diff::u8(
        &read_u8(&melt.host_path("upscale.png")),
        &read_u8(&photo("chelsea.png")),
    );
    assert_eq!(diff.max, 0, "{diff:?}");
}

#[test]
fn a_failing_render_leaves_the_frame_as_it_was_and_says_why() {
    let melt = Melt::new();
    let input = melt.stage(&photo("chelsea.png"), "in.png");
    let missing = melt.inside("no-such-model.onnx");
    let run = melt.render(&input, &[format!("modelFile={missing}")], "melt.png", false);
    assert_ran(&run);
    let log = stderr(&run);
    assert!(
        log.contains(&format!(
            "[openfx] persistent type=OfxMessageError msg=onnxfx: model file {missing} does not exist"
        )),
        "melt's log lacks the plugin's message:\n{log}"
    );
    // MLT ignores the failed render and passes the source on.
    let diff = Diff::u8(
        &read_u8(&melt.host_path("melt.png")),
        &read_u8(&photo("chelsea.png")),
    );
    assert_eq!(diff.max, 0, "{diff:?}");
}

#[test]
fn a_bundle_copied_without_its_runtime_fails_with_a_message_naming_the_file() {
    let melt = Melt::with_bundle(|path| {
        !path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("libonnxruntime.so.")
    });
    // The effect is still listed: the runtime is loaded on first use, not at Load.
    let filters = melt.melt(&["-query".to_owned(), "filters".to_owned()]);
    assert!(String::from_utf8_lossy(&filters.stdout).contains(FILTER));

    let input = melt.stage(&photo("chelsea.png"), "in.png");
    let model_in = melt.stage_model(&test_model("invert.onnx"));
    let run = melt.render(
        &input,
        &[format!("modelFile={model_in}")],
        "melt.png",
        false,
    );
    assert_ran(&run);
    let log = stderr(&run);
    let runtime = common::bundled_runtime();
    let runtime_name = runtime.file_name().unwrap().to_string_lossy();
    assert!(
        log.contains("type=OfxMessageError")
            && log.contains(&format!(
                "{runtime_name}: the file is missing from the bundle"
            )),
        "melt's log does not name the missing {runtime_name}:\n{log}"
    );
    let diff = Diff::u8(
        &read_u8(&melt.host_path("melt.png")),
        &read_u8(&photo("chelsea.png")),
    );
    assert_eq!(diff.max, 0, "{diff:?}");
}
