//! Photographs for the demo: PP-OCR's detector needs sides that are multiples of 32, and a plain 8-bit RGB
//! PNG is what every host's reader takes. Grey, alpha and 16-bit files are converted; the rest is cropped.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use png::{BitDepth, ColorType, Transformations};

/// An 8-bit RGB image, rows top first.
#[derive(Debug, PartialEq)]
pub struct Rgb8 {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

pub fn read_png(path: &Path) -> Result<Rgb8> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut decoder = png::Decoder::new(BufReader::new(file));
    // Palette and low bit depths become 8-bit, 16-bit becomes 8-bit: only four layouts remain.
    decoder.set_transformations(Transformations::EXPAND | Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .with_context(|| format!("{} is not a PNG", path.display()))?;
    let size = reader
        .output_buffer_size()
        .context("PNG too large to decode")?;
    let mut buffer = vec![0; size];
    let info = reader
        .next_frame(&mut buffer)
        .with_context(|| format!("decoding {}", path.display()))?;
    ensure!(info.bit_depth == BitDepth::Eight, "unexpected bit depth");
    let channels = match info.color_type {
        ColorType::Grayscale => 1,
        ColorType::GrayscaleAlpha => 2,
        ColorType::Rgb => 3,
        ColorType::Rgba => 4,
        ColorType::Indexed => bail!("indexed PNG was not expanded"),
    };
    let mut pixels = Vec::with_capacity(info.width as usize * info.height as usize * 3);
    for row in buffer[..info.buffer_size()].chunks_exact(info.line_size) {
        for px in row.chunks_exact(channels) {
            match channels {
                1 | 2 => pixels.extend_from_slice(&[px[0]; 3]),
                _ => pixels.extend_from_slice(&px[..3]),
            }
        }
    }
    Ok(Rgb8 {
        width: info.width,
        height: info.height,
        pixels,
    })
}

pub fn write_png(path: &Path, image: &Rgb8) -> Result<()> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), image.width, image.height);
    encoder.set_color(ColorType::Rgb);
    encoder.set_depth(BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&image.pixels)?;
    writer.finish()?;
    Ok(())
}

/// The top-left part whose sides are the largest multiples of `multiple`.
pub fn crop_to_multiple(image: &Rgb8, multiple: u32) -> Result<Rgb8> {
    let (width, height) = (
        image.width / multiple * multiple,
        image.height / multiple * multiple,
    );
    ensure!(
        width > 0 && height > 0,
        "{}x{} is smaller than {multiple}x{multiple}",
        image.width,
        image.height
    );
    let row = image.width as usize * 3;
    let pixels = image
        .pixels
        .chunks_exact(row)
        .take(height as usize)
        .flat_map(|r| &r[..width as usize * 3])
        .copied()
        .collect();
    Ok(Rgb8 {
        width,
        height,
        pixels,
    })
}

/// Writes `photo` as an 8-bit RGB PNG with sides that are multiples of `multiple` into `out_dir`.
pub fn prepare(photo: &Path, multiple: u32, out_dir: &Path) -> Result<PathBuf> {
    let image = read_png(photo)?;
    let cropped = crop_to_multiple(&image, multiple)?;
    let stem = photo
        .file_stem()
        .context("photo has no file name")?
        .to_string_lossy();
    let out = out_dir.join(format!("{stem}-{}x{}.png", cropped.width, cropped.height));
    std::fs::create_dir_all(out_dir)?;
    write_png(&out, &cropped)?;
    println!(
        "photo: {} is {}x{}; input {} is {}x{} RGB",
        photo.display(),
        image.width,
        image.height,
        out.display(),
        cropped.width,
        cropped.height
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_top_left_to_multiples() {
        let image = Rgb8 {
            width: 3,
            height: 3,
            pixels: (0..27).collect(),
        };
        let cropped = crop_to_multiple(&image, 2).unwrap();
        assert_eq!(
            cropped,
            Rgb8 {
                width: 2,
                height: 2,
                pixels: vec![0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14],
            }
        );
        assert!(crop_to_multiple(&image, 4).is_err());
    }

    #[test]
    fn grey_png_round_trips_as_rgb() {
        let dir = std::env::temp_dir().join(format!("xtask-photo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let grey = dir.join("grey.png");
        let mut encoder = png::Encoder::new(File::create(&grey).unwrap(), 2, 1);
        encoder.set_color(ColorType::Grayscale);
        encoder.set_depth(BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[10, 200]).unwrap();
        writer.finish().unwrap();
        let image = read_png(&grey).unwrap();
        assert_eq!(image.pixels, vec![10, 10, 10, 200, 200, 200]);
        let rgb = dir.join("rgb.png");
        write_png(&rgb, &image).unwrap();
        assert_eq!(read_png(&rgb).unwrap(), image);
    }
}
