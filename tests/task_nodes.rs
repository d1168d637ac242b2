//! End-to-end: the task nodes (Upscale, Denoise, Matte) through the built bundle in `ofx-host`, each
//! checked against ONNX Runtime's Python API run directly on the same input (`scripts/reference_infer.py`)
//! with the model the node uses: the zoo's models for Upscale and Denoise, a fixed-size test matting
//! model for Matte (ISNet is opt-in, so CI's bundle lacks it).
//!
//! Tolerance 1e-4 on float (EXR) outputs: the same runtime, but the Python session and the plugin's may
//! split the work across threads differently, which reorders float sums.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::Path;

use common::{Rgba, bundle, photo, reference, render_plugin, scratch, test_model, zoo_model};

const TOLERANCE: f32 = 1e-4;

/// A crop of a photograph saved as PNG (8-bit, so the reference reads exactly what the node reads).
fn crop(name: &str, x: u32, y: u32, w: u32, h: u32, dir: &Path) -> std::path::PathBuf {
    let image = image::open(photo(name)).unwrap().into_rgb8();
    let part = image::imageops::crop_imm(&image, x, y, w, h).to_image();
    let path = dir.join(format!("{name}-{x}-{y}-{w}x{h}.png"));
    part.save(&path).unwrap();
    path
}

/// The node's RGB output minus a [1, 3, H, W] reference, value by value.
fn rgb_differences<'a>(
    output: &'a Rgba,
    shape: &[usize],
    expected: &'a [f32],
) -> impl Iterator<Item = f32> + 'a {
    assert_eq!(shape[..2], [1, 3]);
    let (h, w) = (shape[2], shape[3]);
    assert_eq!((output.width, output.height), (w, h), "output size");
    (0..h).flat_map(move |y| {
        (0..w).flat_map(move |x| {
            let px = output.pixel(x, y);
            (0..3).map(move |c| px[c] - expected[(c * h + y) * w + x])
        })
    })
}

/// The largest difference between the node's RGB output and a [1, 3, H, W] reference.
fn max_diff_rgb(output: &Rgba, shape: &[usize], expected: &[f32]) -> f32 {
    rgb_differences(output, shape, expected).fold(0.0f32, |worst, d| worst.max(d.abs()))
}

fn upscale_matches(choice: &str, model: &str, input: &Path, scale: usize) {
    let dir = scratch();
    let out = dir.path().join("up.exr");
    let run = render_plugin(
        &bundle(),
        "io.github.onnxfx.Upscale",
        &[&format!("model={choice}")],
        input,
        &out,
    );
    assert!(run.success, "{}", run.stderr);
    let (shape, expected) = reference(&zoo_model(model), input, &[]);
    let source = Rgba::read(input);
    assert_eq!(
        (shape[2], shape[3]),
        (source.height * scale, source.width * scale)
    );
    let diff = max_diff_rgb(&Rgba::read(&out), &shape, &expected);
    eprintln!("{model}: max |node - onnxruntime| = {diff:e}");
    assert!(diff < TOLERANCE, "{model}: max difference {diff}");
}

#[test]
fn upscale_onnxfx_x2_matches_onnxruntime() {
    let dir = scratch();
    let input = crop("chelsea.png", 100, 50, 160, 120, dir.path());
    upscale_matches("0", "onnxfx-sr2.onnx", &input, 2);
}

#[test]
fn upscale_converted_real_esrgan_models_match_onnxruntime() {
    let dir = scratch();
    let input = crop("coffee.png", 200, 100, 64, 48, dir.path());
    upscale_matches("3", "realesr-animevideov3-x4.onnx", &input, 4);
    upscale_matches("2", "realesr-animevideov3-x2.onnx", &input, 2);
    // The big one on a small crop (one 256 tile).
    let small = crop("coffee.png", 200, 100, 40, 32, dir.path());
    upscale_matches("1", "realesrgan-x4plus.onnx", &small, 4);
}

#[test]
fn upscale_converted_tfjs_models_match_onnxruntime() {
    // UpscalerJS's RDNs (TF.js converted by tfjs2onnx.py), listed after "User model" (choice 4).
    let dir = scratch();
    let input = crop("coffee.png", 200, 100, 64, 48, dir.path());
    upscale_matches("5", "esrgan-slim-x2.onnx", &input, 2);
    upscale_matches("8", "esrgan-medium-x4.onnx", &input, 4);
}

#[test]
fn upscale_sharpen_zero_is_a_bicubic_enlargement_and_the_size_follows_the_model() {
    let dir = scratch();
    let input = crop("chelsea.png", 0, 0, 64, 48, dir.path());
    let out = dir.path().join("soft.exr");
    let run = render_plugin(
        &bundle(),
        "io.github.onnxfx.Upscale",
        &["model=3", "sharpenAmount=0"],
        &input,
        &out,
    );
    assert!(run.success, "{}", run.stderr);
    let output = Rgba::read(&out);
    assert_eq!((output.width, output.height), (256, 192));
    // A bicubic enlargement of an 8-bit image stays within a small overshoot of the source range and is
    // smooth: neighbouring pixels differ far less than the source's neighbours.
    let source = Rgba::read(&input);
    let step = |img: &Rgba| {
        (1..img.width)
            .map(|x| (img.pixel(x, 10)[1] - img.pixel(x - 1, 10)[1]).abs())
            .fold(0.0f32, f32::max)
    };
    assert!(
        step(&output) < step(&source),
        "not smoother than the source"
    );
}

/// A reproducible standard normal sequence (splitmix64 and Box-Muller): test noise without a crate.
fn gaussian(state: &mut u64) -> f32 {
    let mut unit = || {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 40) as f32 + 0.5) / (1u64 << 24) as f32 // in (0, 1)
    };
    let (u, v) = (unit(), unit());
    (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
}

#[test]
fn upscale_denoise_first_enlarges_the_denoised_source() {
    // A crop with Gaussian noise (sigma 20 of 255) added: Denoise First must bring the enlargement far
    // closer to the x2 model's enlargement of the clean crop than enlarging the noise does.
    let dir = scratch();
    let clean = crop("chelsea.png", 100, 50, 98, 66, dir.path());
    let mut noisy = image::open(&clean).unwrap().into_rgb8();
    let mut state = 1;
    for v in noisy.iter_mut() {
        *v = (f32::from(*v) + 20.0 * gaussian(&mut state))
            .round()
            .clamp(0.0, 255.0) as u8;
    }
    let noisy_path = dir.path().join("noisy.png");
    noisy.save(&noisy_path).unwrap();
    let (shape, clean_x2) = reference(&zoo_model("onnxfx-sr2.onnx"), &clean, &[]);
    let (h, w) = (shape[2], shape[3]);
    let mean_squared_error = |params: &[&str]| {
        let out = dir.path().join("up.exr");
        let run = render_plugin(
            &bundle(),
            "io.github.onnxfx.Upscale",
            params,
            &noisy_path,
            &out,
        );
        assert!(run.success, "{}", run.stderr);
        let output = Rgba::read(&out);
        let sum: f64 = rgb_differences(&output, &shape, &clean_x2)
            .map(|d| f64::from(d).powi(2))
            .sum();
        sum / (3 * h * w) as f64
    };
    let enlarged_noise = mean_squared_error(&["model=0"]);
    let denoised_first = mean_squared_error(&["model=0", "denoiseFirst=1"]);
    eprintln!(
        "MSE against the clean enlargement: {enlarged_noise:e} plain, {denoised_first:e} denoised first"
    );
    assert!(
        denoised_first < 0.4 * enlarged_noise,
        "Denoise First: {denoised_first} against {enlarged_noise} without"
    );
}

/// The zoo denoiser takes sizes in multiples of 4 (its manifest says so): the node pads by reflection,
/// and so does the reference.
const DENOISE_REFERENCE: &[&str] = &["--multiple-of", "4"];

#[test]
fn denoise_matches_onnxruntime() {
    let dir = scratch();
    // 201x151: the node pads 3 columns and 1 row around the frame and crops them off again.
    let input = crop("chelsea.png", 50, 40, 201, 151, dir.path());
    let out = dir.path().join("dn.exr");
    let run = render_plugin(
        &bundle(),
        "io.github.onnxfx.Denoise",
        &["model=0"],
        &input,
        &out,
    );
    assert!(run.success, "{}", run.stderr);
    let (shape, expected) = reference(&zoo_model("onnxfx-denoise.onnx"), &input, DENOISE_REFERENCE);
    let diff = max_diff_rgb(&Rgba::read(&out), &shape, &expected);
    eprintln!("onnxfx-denoise: max |node - onnxruntime| = {diff:e}");
    assert!(diff < TOLERANCE, "max difference {diff}");
}

#[test]
fn denoise_keeps_values_above_one_as_they_were() {
    // chelsea with a block of highlights at 4.0 (and one at -0.5), as float EXR: the model sees the
    // clamped image (exactly the 8-bit PNG below), the excess comes back unchanged.
    let dir = scratch();
    let png = crop("chelsea.png", 50, 40, 97, 63, dir.path());
    let mut hdr = image::open(&png).unwrap().into_rgba32f();
    let mut clamped = image::open(&png).unwrap().into_rgb8();
    for y in 10..30 {
        for x in 20..50 {
            hdr.get_pixel_mut(x, y).0[..3].copy_from_slice(&[4.0, 2.5, 1.5]);
            clamped.get_pixel_mut(x, y).0 = [255, 255, 255];
        }
    }
    hdr.get_pixel_mut(70, 40).0[0] = -0.5;
    clamped.get_pixel_mut(70, 40).0[0] = 0;
    let hdr_path = dir.path().join("hdr.exr");
    image::DynamicImage::ImageRgba32F(hdr.clone())
        .save(&hdr_path)
        .unwrap();
    let clamped_path = dir.path().join("clamped.png");
    clamped.save(&clamped_path).unwrap();

    let out = dir.path().join("dn.exr");
    let run = render_plugin(
        &bundle(),
        "io.github.onnxfx.Denoise",
        &["model=0"],
        &hdr_path,
        &out,
    );
    assert!(run.success, "{}", run.stderr);
    let (shape, model_out) = reference(
        &zoo_model("onnxfx-denoise.onnx"),
        &clamped_path,
        DENOISE_REFERENCE,
    );
    let (h, w) = (shape[2], shape[3]);
    let output = Rgba::read(&out);
    let mut worst = 0.0f32;
    for y in 0..h {
        for x in 0..w {
            let source = hdr.get_pixel(x as u32, y as u32).0;
            let px = output.pixel(x, y);
            for c in 0..3 {
                let excess = source[c] - source[c].clamp(0.0, 1.0);
                let want = model_out[(c * h + y) * w + x] + excess;
                worst = worst.max((px[c] - want).abs());
            }
        }
    }
    assert!(worst < TOLERANCE, "max difference {worst}");
    assert!(output.pixel(30, 20)[0] > 3.9, "the highlight was lost");
}

/// Bilinear resampling with pixel centres at half coordinates and clamped edges, no prefilter: what
/// the Matte node documents, written here independently of the plugin.
fn bilinear(src: &[f32], sw: usize, sh: usize, dw: usize, dh: usize) -> Vec<f32> {
    let coord = |d: usize, s: usize, dn: usize| {
        let c = (d as f64 + 0.5) * s as f64 / dn as f64 - 0.5;
        let f = c.floor();
        let t = (c - f) as f32;
        let i0 = (f as i64).clamp(0, s as i64 - 1) as usize;
        let i1 = (f as i64 + 1).clamp(0, s as i64 - 1) as usize;
        (i0, i1, t)
    };
    let mut out = vec![0.0; dw * dh];
    for y in 0..dh {
        let (y0, y1, ty) = coord(y, sh, dh);
        for x in 0..dw {
            let (x0, x1, tx) = coord(x, sw, dw);
            let top = src[y0 * sw + x0] * (1.0 - tx) + src[y0 * sw + x1] * tx;
            let bottom = src[y1 * sw + x0] * (1.0 - tx) + src[y1 * sw + x1] * tx;
            out[y * dw + x] = top * (1.0 - ty) + bottom * ty;
        }
    }
    out
}

#[test]
fn matte_resizes_a_fixed_size_model_in_and_out_and_matches_onnxruntime() {
    let dir = scratch();
    let input = photo("chelsea.png");
    let model = test_model("matte_fixed_64.onnx");
    let out = dir.path().join("matte.exr");
    let run = render_plugin(
        &bundle(),
        "io.github.onnxfx.Matte",
        &[
            "model=1",
            &format!("modelFile={}", model.display()),
            "output=1",
        ],
        &input,
        &out,
    );
    assert!(run.success, "{}", run.stderr);

    // The frame resized to 64x64, through onnxruntime, and the matte resized back.
    let source = Rgba::read(&input);
    let (w, h) = (source.width, source.height);
    let mut planes = Vec::new();
    for c in 0..3 {
        let plane: Vec<f32> = (0..w * h).map(|i| source.data[i * 4 + c]).collect();
        planes.extend(bilinear(&plane, w, h, 64, 64));
    }
    let npy = dir.path().join("small.npy");
    // A .npy file (format 1.0) by hand: magic, header padded to 64 bytes, little-endian float32.
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 64, 64), }";
    let padding = 64 - (10 + header.len() + 1) % 64;
    let header = format!("{header}{}\n", " ".repeat(padding));
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in &planes {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(&npy, bytes).unwrap();
    let (shape, small) = reference(&model, &npy, &[]);
    assert_eq!(shape, [1, 1, 64, 64]);
    let matte = bilinear(&small, 64, 64, w, h);

    let output = Rgba::read(&out);
    assert_eq!((output.width, output.height), (w, h));
    let mut worst = 0.0f32;
    for y in 0..h {
        for x in 0..w {
            let px = output.pixel(x, y);
            // Matte as RGB: the matte in R, G and B, opaque.
            assert_eq!(px[3], 1.0);
            worst = worst.max((px[0] - matte[y * w + x]).abs());
            assert_eq!(px[0], px[1]);
        }
    }
    eprintln!("matte: max |node - onnxruntime| = {worst:e}");
    assert!(worst < TOLERANCE, "max difference {worst}");
}

#[test]
fn matte_cut_out_premultiplies_the_source_by_the_matte() {
    let dir = scratch();
    let input = photo("coffee.png");
    let model = test_model("matte_fixed_64.onnx");
    let render = |mode: &str, out: &Path| {
        let run = render_plugin(
            &bundle(),
            "io.github.onnxfx.Matte",
            &[
                "model=1",
                &format!("modelFile={}", model.display()),
                &format!("output={mode}"),
            ],
            &input,
            out,
        );
        assert!(run.success, "{}", run.stderr);
        Rgba::read(out)
    };
    let grey = render("1", &dir.path().join("grey.exr"));
    let cut = render("0", &dir.path().join("cut.exr"));
    let alpha_only = render("2", &dir.path().join("alpha.exr"));
    let source = Rgba::read(&input);
    for (i, ((g, c), s)) in grey
        .data
        .chunks_exact(4)
        .zip(cut.data.chunks_exact(4))
        .zip(source.data.chunks_exact(4))
        .enumerate()
    {
        let m = g[0];
        assert!((c[3] - m).abs() < 1e-6, "pixel {i}: alpha");
        for k in 0..3 {
            assert!((c[k] - s[k] * m).abs() < 1e-5, "pixel {i}: cut-out colour");
            assert!(
                (alpha_only.data[i * 4 + k] - s[k]).abs() < 1e-5,
                "pixel {i}: source colour"
            );
        }
        assert!((alpha_only.data[i * 4 + 3] - m).abs() < 1e-6);
    }
}
