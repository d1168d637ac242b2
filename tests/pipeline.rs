//! End-to-end: the production pipeline through the built bundle in `ofx-host`: model manifests (embedded,
//! standard ONNX image keys, sidecar, invalid), NHWC and fixed-size models, tiling, colour encodings and
//! the HDR policy, premultiplied input, bad values in and out, a failing tile, float16 models.
//!
//! Expected pixels come from the input files and the documented formulas (IEC 61966-2-1 sRGB, the HDR
//! shoulder of docs/pipeline.md), written here independently of the plugin's code. Tolerances: exact
//! for 8-bit outputs where no curve is involved; 2e-4 where sRGB curves are (the plugin's fast curves
//! are within 1e-6 relative, EXR stores f32); 1 code for float16 models (11 significant bits).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{
    Rgba, map_pixels, max_abs_diff, photo, read_u8, render, render_ok, scratch, test_model,
};

const CURVE_TOLERANCE: f32 = 2e-4;

fn srgb_encode(l: f32) -> f32 {
    if l <= 0.003_130_8 {
        12.92 * l
    } else {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    }
}

fn srgb_decode(v: f32) -> f32 {
    if v <= 0.040_45 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// A linear-light EXR made from a photograph: sRGB decoded, times `gain`, with `alpha`, premultiplied
/// when asked.
fn linear_exr(dir: &Path, name: &str, gain: f32, alpha: f32, premultiplied: bool) -> PathBuf {
    let photo = Rgba::read(&photo("coffee.png"));
    let data: Vec<f32> = photo
        .data
        .chunks_exact(4)
        .flat_map(|p| {
            let colour = [p[0], p[1], p[2]]
                .map(|v| srgb_decode(v) * gain * if premultiplied { alpha } else { 1.0 });
            [colour[0], colour[1], colour[2], alpha]
        })
        .collect();
    let image =
        image::Rgba32FImage::from_raw(photo.width as u32, photo.height as u32, data).unwrap();
    let path = dir.join(name);
    image.save(&path).unwrap();
    path
}

#[test]
fn an_embedded_manifest_drives_channels_range_and_encoding() {
    // BGR, 0..255, linear, per tensor channel (B, G, R) gains 1, 0.5, 0.25 plus 25.5: the node's RGB is
    // x * [0.25, 0.5, 1] + 0.1 in linear light, seen through the sRGB clip.
    let dir = scratch();
    let out = dir.path().join("embedded.exr");
    render_ok(
        &test_model("manifest_embedded.onnx"),
        &photo("chelsea.png"),
        &out,
        &[],
    );
    let input = Rgba::read(&photo("chelsea.png"));
    let gains = [0.25, 0.5, 1.0];
    let expected = map_pixels(&input, |p| {
        let c = |i: usize| srgb_encode(srgb_decode(p[i]) * gains[i] + 0.1);
        [c(0), c(1), c(2), p[3]]
    });
    let diff = max_abs_diff(&Rgba::read(&out), &expected, true);
    assert!(diff < CURVE_TOLERANCE, "max difference {diff}");
}

#[test]
fn standard_onnx_image_keys_say_bgr_srgb_0_255() {
    // 255 - x in BGR code values: an exact invert of the 8-bit picture.
    let dir = scratch();
    let out = dir.path().join("keys.png");
    render_ok(
        &test_model("manifest_image_keys.onnx"),
        &photo("chelsea.png"),
        &out,
        &[],
    );
    let (input, output) = (read_u8(&photo("chelsea.png")), read_u8(&out));
    for (i, o) in input.pixels().zip(output.pixels()) {
        assert_eq!([255 - i[0], 255 - i[1], 255 - i[2], i[3]], o.0);
    }
}

#[test]
fn a_sidecar_manifest_wins_over_the_embedded_one() {
    // The embedded document says BGR; the sidecar says RGB identity: the picture comes back unchanged.
    let dir = scratch();
    let out = dir.path().join("sidecar.png");
    render_ok(
        &test_model("manifest_sidecar.onnx"),
        &photo("chelsea.png"),
        &out,
        &[],
    );
    assert_eq!(read_u8(&out), read_u8(&photo("chelsea.png")));
}

#[test]
fn an_invalid_manifest_names_the_field_and_the_problem() {
    let dir = scratch();
    let out = dir.path().join("bad.png");
    let run = render(
        &test_model("manifest_bad.onnx"),
        &photo("chelsea.png"),
        &out,
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    for needle in [
        "kOfxStatFailed",
        "inputs[0].normalize.std",
        "expected 3 numbers, found 2",
    ] {
        assert!(
            run.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            run.stderr
        );
    }
}

#[test]
fn an_nhwc_fixed_size_x2_model_tiles_any_frame_exactly() {
    // 48x32 NHWC tiles of a nearest x2 upscale over a 451x300 photograph.
    let dir = scratch();
    let out = dir.path().join("nhwc.png");
    render_ok(
        &test_model("manifest_nhwc_fixed.onnx"),
        &photo("chelsea.png"),
        &out,
        &[],
    );
    let (input, output) = (read_u8(&photo("chelsea.png")), read_u8(&out));
    assert_eq!(output.dimensions(), (input.width() * 2, input.height() * 2));
    for (x, y, o) in output.enumerate_pixels() {
        assert_eq!(o, input.get_pixel(x / 2, y / 2), "pixel {x},{y}");
    }
}

#[test]
fn tiled_output_equals_untiled_output() {
    // The sharpen kernel sees one pixel around it; tiles overlap by 32: the tiled frame is the same
    // frame, to float rounding in the feathered bands.
    let dir = scratch();
    for (model, tile) in [("conv3x3.onnx", "96"), ("upscale2x.onnx", "80")] {
        let whole = dir.path().join("whole.exr");
        let tiled = dir.path().join("tiled.exr");
        render_ok(&test_model(model), &photo("coffee.png"), &whole, &[]);
        render_ok(
            &test_model(model),
            &photo("coffee.png"),
            &tiled,
            &["--param", &format!("tileSize={tile}")],
        );
        let diff = max_abs_diff(&Rgba::read(&tiled), &Rgba::read(&whole), true);
        assert!(diff <= 1e-6, "{model}: tiled differs by {diff}");
    }
}

#[test]
fn hdr_values_survive_a_model_that_clamps_at_one() {
    // Linear light up to 4x the photograph; clamp01 clips at 1 in sRGB. With the HDR policy (the model
    // does not allow HDR: sRGB default) the highlights are compressed below 1 for the model and
    // expanded back: the frame comes back. With HDR "Allowed" the model clips them.
    let dir = scratch();
    let input = linear_exr(dir.path(), "hdr.exr", 4.0, 1.0, false);
    let source = Rgba::read(&input);
    assert!(source.data.iter().any(|v| *v > 2.0));
    let out = dir.path().join("kept.exr");
    render_ok(
        &test_model("clamp01.onnx"),
        &input,
        &out,
        &["--param", "workingSpace=Linear"],
    );
    let output = Rgba::read(&out);
    let worst_relative = output
        .data
        .iter()
        .zip(&source.data)
        .map(|(o, i)| (o - i).abs() / i.abs().max(1.0))
        .fold(0.0f32, f32::max);
    assert!(
        worst_relative < 1e-3,
        "HDR values changed by up to {worst_relative} (relative)"
    );

    let clipped = dir.path().join("clipped.exr");
    render_ok(
        &test_model("clamp01.onnx"),
        &input,
        &clipped,
        &["--param", "workingSpace=Linear", "--param", "hdr=Allowed"],
    );
    let peak = Rgba::read(&clipped)
        .data
        .iter()
        .copied()
        .fold(0.0f32, f32::max);
    assert!(
        peak <= 1.0 + 1e-4,
        "with HDR allowed the model clips: peak {peak}"
    );
}

#[test]
fn premultiplied_input_is_unpremultiplied_for_the_model_and_premultiplied_back() {
    // OpenEXR is premultiplied; alpha 0.5. The model (invert, sRGB) must see straight colour.
    let dir = scratch();
    let input = linear_exr(dir.path(), "premult.exr", 1.0, 0.5, true);
    let out = dir.path().join("premult-out.exr");
    render_ok(
        &test_model("invert.onnx"),
        &input,
        &out,
        &["--param", "workingSpace=Linear"],
    );
    let source = Rgba::read(&input);
    let expected = map_pixels(&source, |p| {
        let c = |v: f32| p[3] * srgb_decode(1.0 - srgb_encode(v / p[3]));
        [c(p[0]), c(p[1]), c(p[2]), p[3]]
    });
    let diff = max_abs_diff(&Rgba::read(&out), &expected, true);
    assert!(diff < CURVE_TOLERANCE, "max difference {diff}");
}

#[test]
fn nan_and_infinite_pixels_never_reach_the_model_and_are_reported_once() {
    let dir = scratch();
    let mut image = image::open(photo("chelsea.png")).unwrap().into_rgba32f();
    image.get_pixel_mut(10, 10).0[0] = f32::NAN;
    image.get_pixel_mut(20, 10).0[1] = f32::INFINITY;
    image.get_pixel_mut(30, 10).0[2] = f32::NEG_INFINITY;
    let input = dir.path().join("bad-values.exr");
    image.save(&input).unwrap();
    let out = dir.path().join("frame.#.exr");
    let run = common::render(
        &test_model("manifest_sidecar.onnx"),
        &input,
        &out,
        &["--frames", "1-3"],
    );
    assert!(run.success, "{}", run.stderr);
    let reports = run
        .stderr
        .lines()
        .filter(|l| {
            l.starts_with("[warning]") && l.contains("the source had 3 NaN or infinite values")
        })
        .count();
    assert_eq!(reports, 1, "one report for three frames:\n{}", run.stderr);
    let output = Rgba::read(&dir.path().join("frame.2.exr"));
    assert!(
        output.data.iter().all(|v| v.is_finite()),
        "bad values reached the output"
    );
}

#[test]
fn a_model_returning_nan_is_reported_and_its_output_replaced() {
    let dir = scratch();
    let out = dir.path().join("nan.exr");
    let run = common::render(
        &test_model("nan_output.onnx"),
        &photo("chelsea.png"),
        &out,
        &[],
    );
    assert!(run.success, "{}", run.stderr);
    assert!(
        run.stderr.contains("the model produced") && run.stderr.contains("NaN"),
        "{}",
        run.stderr
    );
    let output = Rgba::read(&out);
    assert!(output.data.iter().all(|v| v.is_finite()));
}

#[test]
fn a_tile_that_fails_is_named() {
    // reshape_64 only runs on 64x64 inputs; 128-pixel tiles make it fail in the first tile.
    let dir = scratch();
    let out = dir.path().join("tile.png");
    let run = render(
        &test_model("reshape_64.onnx"),
        &photo("chelsea.png"),
        &out,
        &["--param", "tileSize=128"],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    for needle in [
        "kOfxStatFailed",
        "reshape_64.onnx",
        "failed to run",
        "tile 1 of",
    ] {
        assert!(
            run.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            run.stderr
        );
    }
}

#[test]
fn a_float16_model_runs_with_conversions_at_the_boundary() {
    let dir = scratch();
    let out = dir.path().join("fp16.png");
    render_ok(
        &test_model("invert_fp16.onnx"),
        &photo("chelsea.png"),
        &out,
        &[],
    );
    let (input, output) = (read_u8(&photo("chelsea.png")), read_u8(&out));
    for (i, o) in input.pixels().zip(output.pixels()) {
        for c in 0..3 {
            assert!((255 - i[c]).abs_diff(o[c]) <= 1, "{i:?} -> {o:?}");
        }
    }
}

#[test]
fn at_a_render_scale_below_one_the_model_runs_on_the_smaller_image() {
    // The host hands half-size images (Natron zoomed out); the output is the model's answer for them.
    let dir = scratch();
    let half = ["--render-scale", "0.5"];
    let source = dir.path().join("source.png");
    render_ok(
        &test_model("manifest_sidecar.onnx"),
        &photo("chelsea.png"),
        &source,
        &half,
    );
    let out = dir.path().join("inverted.png");
    render_ok(
        &test_model("invert.onnx"),
        &photo("chelsea.png"),
        &out,
        &half,
    );
    let (source, output) = (read_u8(&source), read_u8(&out));
    assert_eq!(output.dimensions(), source.dimensions());
    assert!(
        output.width() < 300,
        "a half-size frame, got {}",
        output.width()
    );
    // The host averages 2x2 pixels: values at half a code are common, and 255 - round(v) and
    // round(255 - v) differ by one there.
    for (s, o) in source.pixels().zip(output.pixels()) {
        for c in 0..3 {
            assert!((255 - s[c]).abs_diff(o[c]) <= 1, "{s:?} -> {o:?}");
        }
    }
}

#[test]
fn a_matte_output_becomes_alpha_and_the_colour_stays_the_source() {
    let dir = scratch();
    let out = dir.path().join("matte.exr");
    render_ok(&test_model("matte.onnx"), &photo("coffee.png"), &out, &[]);
    let input = Rgba::read(&photo("coffee.png"));
    let expected = map_pixels(&input, |[r, g, b, _]| {
        [r, g, b, 0.2126 * r + 0.7152 * g + 0.0722 * b]
    });
    let diff = max_abs_diff(&Rgba::read(&out), &expected, true);
    assert!(diff < 1e-5, "max difference {diff}");
}

#[test]
fn an_identity_model_round_trips_every_depth_component_premultiplication_and_encoding() {
    // The sidecar identity (sRGB) through every host format; a linear working space converts to sRGB
    // and back. 8-bit and 16-bit outputs: at most one code (curve round trips are within 1e-6); float:
    // 1e-4 relative; half: its own precision.
    let dir = scratch();
    let straight_png = dir.path().join("straight.png");
    let mut png = read_u8(&photo("chelsea.png"));
    let width = png.width();
    for (x, _, p) in png.enumerate_pixels_mut() {
        p.0[3] = u8::try_from(32 + x * 223 / (width - 1)).unwrap();
    }
    png.save(&straight_png).unwrap();
    let premultiplied_exr = {
        let straight = Rgba::read(&straight_png);
        let data: Vec<f32> = straight
            .data
            .chunks_exact(4)
            .flat_map(|p| [p[0] * p[3], p[1] * p[3], p[2] * p[3], p[3]])
            .collect();
        let path = dir.path().join("premultiplied.exr");
        image::Rgba32FImage::from_raw(straight.width as u32, straight.height as u32, data)
            .unwrap()
            .save(&path)
            .unwrap();
        path
    };
    for input in [&straight_png, &premultiplied_exr] {
        let source = Rgba::read(input);
        for depth in ["byte", "short", "half", "float"] {
            for components in ["rgba", "rgb"] {
                for space in ["sRGB", "Linear"] {
                    let out = dir.path().join("out.exr");
                    let ws = format!("workingSpace={space}");
                    let args = ["--depth", depth, "--components", components, "--param", &ws];
                    render_ok(&test_model("manifest_sidecar.onnx"), input, &out, &args);
                    let output = Rgba::read(&out);
                    let tolerance = match depth {
                        "byte" => 1.0 / 255.0 + 1e-6,
                        "short" => 1.0 / 65535.0 + 1e-5,
                        "half" => 2e-3,
                        _ => 1e-4,
                    };
                    let with_alpha = components == "rgba";
                    let worst = output
                        .data
                        .iter()
                        .zip(&source.data)
                        .enumerate()
                        .filter(|(i, _)| with_alpha || i % 4 != 3)
                        .map(|(_, (o, s))| (o - s).abs() / s.abs().max(1.0))
                        .fold(0.0f32, f32::max);
                    let case = format!("{} {depth} {components} {space}", input.display());
                    assert!(worst <= tolerance, "{case}: off by {worst}");
                }
            }
        }
    }
}

#[test]
fn a_colour_managed_host_says_the_clip_is_linear() {
    // A host announcing `ofx_linear` (OpenFX 1.5 colour management) gives the same frame as setting
    // the Working Space by hand; without either the node would take the values as sRGB.
    let dir = scratch();
    let input = linear_exr(dir.path(), "linear.exr", 1.0, 1.0, false);
    let by_host = dir.path().join("host.exr");
    let by_param = dir.path().join("param.exr");
    let unmanaged = dir.path().join("unmanaged.exr");
    render_ok(
        &test_model("invert.onnx"),
        &input,
        &by_host,
        &["--colourspace", "ofx_linear"],
    );
    render_ok(
        &test_model("invert.onnx"),
        &input,
        &by_param,
        &["--param", "workingSpace=Linear"],
    );
    render_ok(&test_model("invert.onnx"), &input, &unmanaged, &[]);
    let host = Rgba::read(&by_host);
    assert_eq!(max_abs_diff(&host, &Rgba::read(&by_param), true), 0.0);
    assert!(max_abs_diff(&host, &Rgba::read(&unmanaged), true) > 0.01);
    // The parameter wins over the host.
    let overridden = dir.path().join("overridden.exr");
    render_ok(
        &test_model("invert.onnx"),
        &input,
        &overridden,
        &[
            "--colourspace",
            "ofx_linear",
            "--param",
            "workingSpace=sRGB",
        ],
    );
    assert_eq!(
        max_abs_diff(&Rgba::read(&overridden), &Rgba::read(&unmanaged), true),
        0.0
    );
}
