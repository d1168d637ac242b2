//! The test frame every side renders: a smooth deterministic RGBA picture (the same formula as
//! `scripts/bench_pipeline.py`), as the host library's image and as a PNG for `ofx-host render`.

use std::path::Path;

use anyhow::{Context, Result};

/// RGBA of pixel (x, y), top row first, values in 0..1.
#[allow(clippy::cast_precision_loss)]
fn pixel(x: usize, y: usize, width: usize, height: usize) -> [f32; 4] {
    let (xf, yf) = (x as f32, y as f32);
    [
        xf / (width.max(2) - 1) as f32,
        yf / (height.max(2) - 1) as f32,
        0.5 + 0.5 * (xf * 0.05).sin() * (yf * 0.05).cos(),
        1.0,
    ]
}

/// The frame as float RGBA, top row first.
pub fn rgba(width: usize, height: usize) -> Vec<f32> {
    let mut data = Vec::with_capacity(width * height * 4);
    for y in 0..height {
        for x in 0..width {
            data.extend_from_slice(&pixel(x, y, width, height));
        }
    }
    data
}

/// The frame as the host library's image.
pub fn host_image(width: usize, height: usize) -> Result<ofx_sdk::host::Image> {
    ofx_sdk::host::Image::from_rgba(width, height, rgba(width, height))
        .context("test frame of inconsistent size")
}

/// The frame as an 8-bit RGB PNG (what `ofx-host render --input` reads).
pub fn write_png(path: &Path, width: usize, height: usize) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut encoder = png::Encoder::new(
        std::io::BufWriter::new(file),
        u32::try_from(width)?,
        u32::try_from(height)?,
    );
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header()?;
    let bytes: Vec<u8> = rgba(width, height)
        .chunks_exact(4)
        .flat_map(|p| [code(p[0]), code(p[1]), code(p[2])])
        .collect();
    writer.write_image_data(&bytes)?;
    writer.finish()?;
    Ok(())
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn code(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}
