//! Resampling planar images: bilinear (the Matte node's resize into and out of fixed-size models) and
//! bicubic (the Upscale node's blend with a plain bicubic enlargement). Pixel centres sit at half
//! coordinates (`x_src = (x + 0.5) * in / out - 0.5`) and edges repeat their last pixel. Downscaling does
//! not filter first: each output pixel samples the source at its centre, as ONNX `Resize` and the
//! upstream pre-processing of the matting models do.

use super::Planar;

/// How new pixels are interpolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Two taps per axis.
    Bilinear,
    /// Four taps per axis, Keys' cubic with a = -0.5 (Catmull-Rom).
    Bicubic,
}

/// Taps of one output coordinate: source indices (already clamped to the edges) and weights.
struct Taps {
    index: [usize; 4],
    weight: [f32; 4],
}

fn cubic(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x <= 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A
    } else {
        0.0
    }
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]
fn taps(src: usize, dst: usize, filter: Filter) -> Vec<Taps> {
    let ratio = src as f64 / dst as f64;
    let last = src.saturating_sub(1) as i64;
    let clamp = |i: i64| i.clamp(0, last) as usize;
    (0..dst)
        .map(|x| {
            let centre = (x as f64 + 0.5) * ratio - 0.5;
            let base = centre.floor();
            let t = centre - base;
            let base = base as i64;
            match filter {
                Filter::Bilinear => Taps {
                    index: [clamp(base), clamp(base + 1), 0, 0],
                    weight: [(1.0 - t) as f32, t as f32, 0.0, 0.0],
                },
                Filter::Bicubic => {
                    let w = [cubic(1.0 + t), cubic(t), cubic(1.0 - t), cubic(2.0 - t)];
                    let sum: f64 = w.iter().sum();
                    Taps {
                        index: [
                            clamp(base - 1),
                            clamp(base),
                            clamp(base + 1),
                            clamp(base + 2),
                        ],
                        weight: w.map(|v| (v / sum) as f32),
                    }
                }
            }
        })
        .collect()
}

/// `src` resampled to `width` x `height` (every channel).
pub fn resize(src: &Planar, width: usize, height: usize, filter: Filter) -> Planar {
    let mut out = Planar::zeros(src.channels, width, height);
    if src.width == 0 || src.height == 0 || width == 0 || height == 0 {
        return out;
    }
    let xs = taps(src.width, width, filter);
    let ys = taps(src.height, height, filter);
    let n = match filter {
        Filter::Bilinear => 2,
        Filter::Bicubic => 4,
    };
    let mut rows = vec![0.0f32; width * src.height];
    for c in 0..src.channels {
        let plane = src.plane(c);
        // Horizontal pass into `rows` (source height, output width), then vertical into the output.
        for (y, row) in rows.chunks_exact_mut(width).enumerate() {
            let line = &plane[y * src.width..(y + 1) * src.width];
            for (v, tap) in row.iter_mut().zip(&xs) {
                *v = (0..n).map(|k| line[tap.index[k]] * tap.weight[k]).sum();
            }
        }
        let dst = out.plane_mut(c);
        for (y, tap) in ys.iter().enumerate() {
            let row = &mut dst[y * width..(y + 1) * width];
            for k in 0..n {
                let src_row = &rows[tap.index[k] * width..(tap.index[k] + 1) * width];
                let w = tap.weight[k];
                for (o, s) in row.iter_mut().zip(src_row) {
                    *o += w * s;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(width: usize, height: usize) -> Planar {
        let mut p = Planar::zeros(1, width, height);
        for (i, v) in p.data.iter_mut().enumerate() {
            *v = (i % width) as f32;
        }
        p
    }

    #[test]
    fn same_size_is_the_identity() {
        let p = ramp(7, 5);
        for filter in [Filter::Bilinear, Filter::Bicubic] {
            let r = resize(&p, 7, 5, filter);
            for (a, b) in r.data.iter().zip(&p.data) {
                assert!((a - b).abs() < 1e-5, "{filter:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn bilinear_doubling_interpolates_between_centres() {
        let p = ramp(4, 1);
        let r = resize(&p, 8, 1, Filter::Bilinear);
        // Centres of output pixels 1 and 2 fall at source 0.25 and 0.75; edges repeat.
        let want = [0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0];
        for (a, b) in r.data.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{:?}", r.data);
        }
    }

    #[test]
    fn constants_stay_constant() {
        let mut p = Planar::zeros(2, 5, 3);
        p.data.iter_mut().for_each(|v| *v = 0.7);
        for filter in [Filter::Bilinear, Filter::Bicubic] {
            let r = resize(&p, 13, 2, filter);
            assert!(r.data.iter().all(|v| (v - 0.7).abs() < 1e-6));
        }
    }
}
