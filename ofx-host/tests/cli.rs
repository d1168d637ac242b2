//! The `ofx-host` binary against the fixture plugins: outputs, messages, timing lines and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{FAIL, GAIN, assert_close, bundle, expected_gain, picture, scratch};
use ofx_host::imageio;

fn ofx_host(args: &[&str], plugin_path: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ofx-host"));
    cmd.args(args).env_remove("OFX_HOST_LOG");
    match plugin_path {
        Some(p) => cmd.env("OFX_PLUGIN_PATH", p),
        None => cmd.env("OFX_PLUGIN_PATH", "/nonexistent"),
    };
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn bundle_arg() -> &'static str {
    bundle().to_str().unwrap()
}

#[test]
fn list_prints_every_plugin() {
    let out = ofx_host(&["list", bundle_arg()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], [GAIN, "1.2", "Test Gain", bundle_arg()]);
    // The plugin whose Load fails is listed without a label; what it said is on stderr.
    assert_eq!(lines[2][2], "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("[error] cannot start: no licence"),
        "{stderr}"
    );
    assert!(stderr.contains("kOfxStatErrFatal"), "{stderr}");

    // JSON, found through OFX_PLUGIN_PATH.
    let out = ofx_host(&["list", "--json"], Some(bundle().parent().unwrap()));
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[1]["id"], FAIL);
    assert_eq!(json[0]["version"], "1.2");

    let out = ofx_host(&["list", "/nonexistent/x.ofx.bundle"], None);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn describe_text_and_json() {
    let out = ofx_host(&["describe", bundle_arg(), "--plugin", GAIN], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("org.onnxfx.test.gain 1.2  \"Test Gain\"\n"),
        "{stdout}"
    );
    assert!(stdout.contains("context filter"));
    let gain_line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("gain "))
        .unwrap();
    assert!(
        gain_line.contains("double") && gain_line.contains("range [0, 10]"),
        "{gain_line}"
    );
    assert!(stdout.contains("options: All, Red only"));

    let out = ofx_host(
        &[
            "describe",
            "--plugin",
            GAIN,
            "--context",
            "general",
            "--json",
        ],
        Some(bundle().parent().unwrap()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["id"], GAIN);
    assert_eq!(json["context"]["context"], "general");
    assert_eq!(json["context"]["params"][2]["kind"], "choice");
    assert_eq!(json["context"]["params"][3]["string_mode"], "file-path");
}

#[test]
fn renders_files_and_reports_render_time() {
    let dir = scratch("render");
    let src = picture(16, 12);
    let input = dir.join("in.png");
    imageio::write(&input, &src, true, 8).unwrap();
    let output = dir.join("out.png");
    let out = ofx_host(
        &[
            "render",
            bundle_arg(),
            "--plugin",
            GAIN,
            "--param",
            "gain=0.5",
            "-i",
            input.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
        ],
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let timing = stderr
        .lines()
        .find(|l| l.starts_with("frame 1: render action "))
        .unwrap();
    let ms = timing
        .trim_start_matches("frame 1: render action ")
        .trim_end_matches(" ms");
    assert!(ms.parse::<f64>().is_ok() && ms.contains('.'), "{timing}");
    assert!(
        stderr.contains("[log] frame 1 rendered with gain 0.50"),
        "{stderr}"
    );
    let got = imageio::read(&output).unwrap().image;
    assert_close(
        &got,
        &expected_gain(&src, 0.5, false, false),
        1.0 / 255.0 + 1e-6,
    );
}

#[test]
fn renders_frame_sequences_to_exr_and_16_bit_png() {
    let dir = scratch("sequence");
    for f in 1..=3 {
        imageio::write(
            &dir.join(format!("in.{f:04}.exr")),
            &picture(8 + f, 6),
            true,
            8,
        )
        .unwrap();
    }
    let input = dir.join("in.####.exr");
    let exr = dir.join("out.%04d.exr");
    let timings = dir.join("timings.json");
    let out = ofx_host(
        &[
            "render",
            bundle_arg(),
            "--plugin",
            GAIN,
            "--param",
            "invert=1",
            "--frames",
            "1-3",
            "--negative-row-bytes",
            "--depth",
            "short",
            "-i",
            input.to_str().unwrap(),
            "-o",
            exr.to_str().unwrap(),
            "--timings-json",
            timings.to_str().unwrap(),
        ],
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for f in 1..=3 {
        assert!(
            stderr.contains(&format!("frame {f}: render action ")),
            "{stderr}"
        );
        let got = imageio::read(&dir.join(format!("out.{f:04}.exr")))
            .unwrap()
            .image;
        assert_close(
            &got,
            &expected_gain(&picture(8 + f as usize, 6), 1.0, true, false),
            1.0 / 65535.0 + 1e-6,
        );
    }
    let t: serde_json::Value = serde_json::from_slice(&std::fs::read(&timings).unwrap()).unwrap();
    assert_eq!(t["plugin"], GAIN);
    assert_eq!(t["frames"].as_array().unwrap().len(), 3);
    assert!(
        t["frames"][2]["render_ms"].is_f64()
            && t["load_ms"].is_f64()
            && t["create_instance_ms"].is_f64()
    );

    // 16-bit PNG at half scale, single input for every frame.
    let png = dir.join("half.#.png");
    let one = dir.join("in.0001.exr");
    let out = ofx_host(
        &[
            "render",
            bundle_arg(),
            "--plugin",
            GAIN,
            "--frames",
            "2-3",
            "--render-scale",
            "0.5",
            "--png-bits",
            "16",
            "--param",
            "gain=2",
            "-i",
            one.to_str().unwrap(),
            "-o",
            png.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let img = image::open(dir.join("half.3.png")).unwrap();
    assert_eq!(
        (img.width(), img.height(), img.color()),
        (5, 3, image::ColorType::Rgba16)
    );
}

#[test]
fn identity_frames_say_so() {
    let dir = scratch("identity");
    let input = dir.join("in.png");
    imageio::write(&input, &picture(4, 4), true, 8).unwrap();
    let output = dir.join("out.png");
    let out = ofx_host(
        &[
            "render",
            bundle_arg(),
            "--plugin",
            GAIN,
            "-i",
            input.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("frame 1: identity of clip Source, no render action"));
    assert_close(&imageio::read(&output).unwrap().image, &picture(4, 4), 1e-6);
}

#[test]
fn plugin_failures_exit_1_with_status_and_message() {
    let dir = scratch("failure");
    let input = dir.join("in.png");
    imageio::write(&input, &picture(4, 4), true, 8).unwrap();
    let output = dir.join("out.png");
    let out = ofx_host(
        &[
            "render",
            "--plugin",
            FAIL,
            "-i",
            input.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
        ],
        Some(bundle().parent().unwrap()),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("[error] model x.onnx is missing (code 42) (persistent)"),
        "{stderr}"
    );
    assert!(stderr.contains("never released 1 image"), "{stderr}");
    let last = stderr.lines().last().unwrap();
    assert_eq!(
        last,
        "ofx-host: render of frame 1 failed: kOfxStatFailed: model x.onnx is missing (code 42)"
    );
    assert!(!output.exists());
}

#[test]
fn usage_errors_exit_2() {
    let dir = scratch("usage");
    let input = dir.join("in.png");
    imageio::write(&input, &picture(4, 4), true, 8).unwrap();
    let (i, o) = (input.to_str().unwrap(), dir.join("o.png"));
    let o = o.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &[
            "render",
            bundle_arg(),
            "--plugin",
            GAIN,
            "-i",
            i,
            "-o",
            o,
            "--param",
            "nope=1",
        ],
        &[
            "render",
            bundle_arg(),
            "--plugin",
            GAIN,
            "-i",
            i,
            "-o",
            o,
            "--param",
            "gain=11",
        ],
        &[
            "render",
            bundle_arg(),
            "--plugin",
            GAIN,
            "-i",
            i,
            "-o",
            o,
            "--param",
            "channels=Blue",
        ],
        &[
            "render",
            bundle_arg(),
            "--plugin",
            GAIN,
            "-i",
            i,
            "-o",
            o,
            "--param",
            "gain",
        ],
        &[
            "render",
            bundle_arg(),
            "--plugin",
            GAIN,
            "-i",
            i,
            "-o",
            o,
            "--frames",
            "1-2",
        ],
        &[
            "render",
            bundle_arg(),
            "--plugin",
            GAIN,
            "-i",
            i,
            "-o",
            "x.bmp",
        ],
        &["render", bundle_arg(), "-i", i, "-o", o],
        &[
            "render",
            bundle_arg(),
            "--plugin",
            GAIN,
            "-i",
            i,
            "-o",
            o,
            "--depth",
            "double",
        ],
    ];
    for args in cases {
        let out = ofx_host(args, None);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    // A plugin that cannot be found is a failure, not a usage error.
    let out = ofx_host(
        &["render", "--plugin", "no.such.plugin", "-i", i, "-o", o],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no plugin no.such.plugin found"));
}
