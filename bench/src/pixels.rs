//! Pixel conversion throughput: a host frame (float RGBA, premultiplied, linear) to the model's NCHW
//! tensor (sRGB, straight) and back, through the plugin's own passes in the order its frame loop runs
//! them (`src/pipeline/frame.rs`: read, sanitise, unpremultiply, colour, tensor; output into RGBA,
//! sanitise, colour back, blend, premultiply, write), next to `memcpy` of the same bytes. A whole frame
//! is one tile here, as for a 1080p frame the automatic tile size fits.

use std::hint::black_box;
use std::time::Instant;

use ofx_sdk::plugin::{PixelRow, PixelRowMut};
use ofx_sdk::{Components, RectI};
use onnxfx::manifest::{Affine, ChannelOrder, ImageFormat, Layout, Normalize, Preset};
use onnxfx::pixels::alpha::{self, Sanitize};
use onnxfx::pixels::colour::{self, Encoding};
use onnxfx::pixels::tensor::{self, OutputUse};
use onnxfx::pixels::{Planar, read, write};
use onnxfx::tiling::{self, Blender, PlanRequest, SizeConstraint};
use serde::{Deserialize, Serialize};

use crate::stats::Stats;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conversion {
    pub width: usize,
    pub height: usize,
    /// The host frame's bytes (float RGBA), counted once per direction.
    pub bytes: u64,
    pub threads: usize,
    pub memcpy_gbs: Stats,
    pub to_tensor_gbs: Stats,
    pub from_tensor_gbs: Stats,
}

fn gbs(bytes: u64, seconds: f64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let b = bytes as f64;
    b / seconds / 1e9
}

pub fn measure(width: usize, height: usize, repeats: usize) -> anyhow::Result<Conversion> {
    let n = width * height;
    let bytes = (n * 16) as u64;
    // Premultiplied linear RGBA, as Nuke hands it, in memory bottom row first.
    let host: Vec<f32> = crate::frame::rgba(width, height)
        .chunks_exact(4)
        .flat_map(|p| [p[0] * 0.8, p[1] * 0.8, p[2] * 0.8, 0.8])
        .collect();
    let region = RectI::new(0, 0, i32::try_from(width)?, i32::try_from(height)?);
    let row_len = width * 4;
    let row = |y: i32| {
        let y = usize::try_from(y).unwrap_or(0);
        Ok::<_, ()>(PixelRow::Float(&host[y * row_len..(y + 1) * row_len]))
    };
    let format = ImageFormat {
        layout: Layout::Nchw,
        channels: ChannelOrder::Rgb,
        normalize: Normalize::Preset(Preset::ZeroOne),
        affine: Affine::from_f64(&[1.0; 3], &[0.0; 3]).ok_or_else(|| anyhow::anyhow!("affine"))?,
        encoding: Encoding::Srgb,
        hdr: false,
    };
    let plan = tiling::plan(&PlanRequest {
        region,
        context: region,
        scale: 1,
        constraint: SizeConstraint::Any,
        tile: (width, height),
        overlap: 0,
        feather: 0,
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = vec![0.0f32; n * 4];
    let mut memcpy = Vec::new();
    let mut to = Vec::new();
    let mut from = Vec::new();
    for _ in 0..repeats {
        let start = Instant::now();
        out.copy_from_slice(black_box(&host));
        memcpy.push(gbs(bytes, start.elapsed().as_secs_f64()));
        black_box(&out);

        // Into the model's terms: what the frame loop does before `Session::run`.
        let start = Instant::now();
        let mut source = read::read_rgba(region, region, Components::Rgba, row)
            .map_err(|()| anyhow::anyhow!("read"))?;
        alpha::sanitize(&mut source, Sanitize::default());
        alpha::unpremultiply(&mut source).map_err(|e| anyhow::anyhow!("{e}"))?;
        alpha::sanitize(&mut source, Sanitize::default());
        let mut converted = source.clone();
        colour::convert(&mut converted, Encoding::Linear, Encoding::Srgb);
        let mut input = Vec::new();
        tensor::to_model_into(&converted, &format, &mut input);
        drop(converted);
        to.push(gbs(bytes, start.elapsed().as_secs_f64()));
        black_box(&input);

        // And back: the output tensor (the input itself here) into RGBA, then to the host image.
        let start = Instant::now();
        let mut composed = Planar::zeros(4, width, height);
        composed.plane_mut(3).copy_from_slice(source.plane(3));
        tensor::write_output(
            &input,
            &[1, 3, height, width],
            &format,
            OutputUse::Colour { with_alpha: false },
            &mut composed,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        alpha::sanitize(&mut composed, Sanitize::default());
        colour::convert(&mut composed, Encoding::Srgb, Encoding::Linear);
        alpha::sanitize(&mut composed, Sanitize::default());
        let mut blender = Blender::new(&plan, 4);
        blender
            .add(&plan.tiles[0], &composed)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut rgba = blender.finish();
        alpha::premultiply(&mut rgba).map_err(|e| anyhow::anyhow!("{e}"))?;
        let rows = out
            .chunks_exact_mut(row_len)
            .enumerate()
            .map(|(y, r)| (i32::try_from(y).unwrap_or(0), PixelRowMut::Float(r)))
            .collect();
        write::write_rgba(&rgba, region, region, region, Components::Rgba, rows);
        from.push(gbs(bytes, start.elapsed().as_secs_f64()));
        black_box(&out);
    }
    let stats = |v: &[f64]| Stats::of(v).ok_or_else(|| anyhow::anyhow!("no repeats"));
    Ok(Conversion {
        width,
        height,
        bytes,
        threads: tiling::par::threads(),
        memcpy_gbs: stats(&memcpy)?,
        to_tensor_gbs: stats(&to)?,
        from_tensor_gbs: stats(&from)?,
    })
}
