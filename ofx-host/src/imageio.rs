//! Image files. No colour conversion anywhere: 8-bit values map to 0..1 by /255 and 16-bit by /65535,
//! float (OpenEXR) values pass through as they are (linear by convention). PNG output clamps to 0..1
//! and rounds; OpenEXR output is 32-bit float, written as-is.

use std::path::Path;

use image::{DynamicImage, ImageBuffer, Rgb, Rgba};
use ofx_sdk::host::Image;

use crate::error::CliError;

/// An input image and what the file says about it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub image: Image,
    pub has_alpha: bool,
    /// OpenEXR: float data, premultiplied by convention.
    pub is_exr: bool,
}

/// Reads PNG (8/16-bit), TIFF, JPEG or OpenEXR into float RGBA (missing alpha is 1).
pub fn read(path: &Path) -> Result<Loaded, CliError> {
    let fail = |message: String| CliError::Image {
        path: path.to_path_buf(),
        message,
    };
    let reader = image::ImageReader::open(path).map_err(|e| CliError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let reader = reader
        .with_guessed_format()
        .map_err(|e| fail(e.to_string()))?;
    let is_exr = reader.format() == Some(image::ImageFormat::OpenExr);
    let img: DynamicImage = reader.decode().map_err(|e| fail(e.to_string()))?;
    let has_alpha = img.color().has_alpha();
    let rgba = img.to_rgba32f();
    let (w, h) = (rgba.width() as usize, rgba.height() as usize);
    let image = Image::from_rgba(w, h, rgba.into_raw())
        .ok_or_else(|| fail("unexpected pixel count".into()))?;
    Ok(Loaded {
        image,
        has_alpha,
        is_exr,
    })
}

/// What an output path's extension selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Png,
    Exr,
}

impl OutputFormat {
    pub fn of(path: &Path) -> Option<OutputFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "png" => Some(OutputFormat::Png),
            "exr" => Some(OutputFormat::Exr),
            _ => None,
        }
    }
}

/// Writes `image`; `alpha` false writes RGB. `png_bits` is 8 or 16.
pub fn write(path: &Path, image: &Image, alpha: bool, png_bits: u8) -> Result<(), CliError> {
    let format = OutputFormat::of(path).ok_or_else(|| {
        CliError::Usage(format!(
            "{}: unsupported output format (use .png or .exr)",
            path.display()
        ))
    })?;
    let (w, h) = (dim(image.width())?, dim(image.height())?);
    let channels = if alpha { 4 } else { 3 };
    let values = image
        .data()
        .chunks_exact(4)
        .flat_map(|p| p[..channels].iter().copied());
    let fail = |e: image::ImageError| CliError::Image {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mismatch = || CliError::Image {
        path: path.to_path_buf(),
        message: "pixel count mismatch".into(),
    };
    let dynamic = match (format, png_bits) {
        (OutputFormat::Exr, _) => {
            let v: Vec<f32> = values.collect();
            if alpha {
                DynamicImage::ImageRgba32F(
                    ImageBuffer::<Rgba<f32>, _>::from_raw(w, h, v).ok_or_else(mismatch)?,
                )
            } else {
                DynamicImage::ImageRgb32F(
                    ImageBuffer::<Rgb<f32>, _>::from_raw(w, h, v).ok_or_else(mismatch)?,
                )
            }
        }
        (OutputFormat::Png, 16) => {
            let v: Vec<u16> = values.map(|x| quantise(x, 65535.0) as u16).collect();
            if alpha {
                DynamicImage::ImageRgba16(
                    ImageBuffer::<Rgba<u16>, _>::from_raw(w, h, v).ok_or_else(mismatch)?,
                )
            } else {
                DynamicImage::ImageRgb16(
                    ImageBuffer::<Rgb<u16>, _>::from_raw(w, h, v).ok_or_else(mismatch)?,
                )
            }
        }
        (OutputFormat::Png, _) => {
            let v: Vec<u8> = values.map(|x| quantise(x, 255.0) as u8).collect();
            if alpha {
                DynamicImage::ImageRgba8(
                    ImageBuffer::<Rgba<u8>, _>::from_raw(w, h, v).ok_or_else(mismatch)?,
                )
            } else {
                DynamicImage::ImageRgb8(
                    ImageBuffer::<Rgb<u8>, _>::from_raw(w, h, v).ok_or_else(mismatch)?,
                )
            }
        }
    };
    dynamic.save(path).map_err(fail)
}

/// Clamps to 0..1 and rounds to the integer range (NaN becomes 0).
fn quantise(v: f32, max: f32) -> u32 {
    let v = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
    (v * max).round() as u32
}

fn dim(v: usize) -> Result<u32, CliError> {
    u32::try_from(v).map_err(|_| CliError::Failed(format!("image dimension {v} is too large")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_and_exr_round_trip() {
        let dir = std::env::temp_dir().join(format!("ofx-host-io-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut img = Image::new(3, 2);
        img.set_pixel(0, 0, [0.0, 0.5, 1.0, 1.0]);
        img.set_pixel(2, 1, [2.0, -1.0, 0.25, 0.5]);
        let exr = dir.join("a.exr");
        write(&exr, &img, true, 8).unwrap();
        let back = read(&exr).unwrap();
        assert!(back.is_exr);
        assert_eq!(back.image.pixel(2, 1), Some([2.0, -1.0, 0.25, 0.5]));
        for bits in [8, 16] {
            let png = dir.join(format!("a{bits}.png"));
            write(&png, &img, true, bits).unwrap();
            let back = read(&png).unwrap();
            assert!(back.has_alpha && !back.is_exr);
            let px = back.image.pixel(2, 1).unwrap();
            assert_eq!(px[0], 1.0);
            assert_eq!(px[1], 0.0);
            let max = if bits == 8 { 255.0 } else { 65535.0 };
            assert!((px[2] - (0.25f32 * max).round() / max).abs() < 1e-6);
        }
        let rgb = dir.join("rgb.png");
        write(&rgb, &img, false, 8).unwrap();
        let back = read(&rgb).unwrap();
        assert!(!back.has_alpha);
        assert_eq!(back.image.pixel(2, 1).unwrap()[3], 1.0);
        assert!(matches!(
            write(&dir.join("x.bmp"), &img, true, 8),
            Err(CliError::Usage(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
