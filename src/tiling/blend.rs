//! Feathered blending of tile outputs into the output frame.
//!
//! A tile's weight is 1 over its core and ramps down (raised cosine) over `feather × scale` output
//! pixels past the core's edges that face a neighbour; nothing beyond. Because the plan is a grid, the
//! weight of tile (i, j) at (x, y) is `wx_i(x) · wy_j(y)` and the sum over tiles is
//! `(Σ_i wx_i(x)) · (Σ_j wy_j(y))`, so each axis's weights are normalised once, up front, in two 1-D
//! tables. Accumulating `wx · wy · value` then needs no weight plane and no final division pass.
//!
//! Exactness: where one tile covers a pixel its normalised weight is exactly 1 and the pixel is the
//! model's value bit for bit. Where tiles overlap (the feather bands) and agree on a value `v`, the
//! result is `v` within a few ulps (relative error below 1e-6): the normalised weights sum to 1 up to
//! `f32` rounding. Tiles agree there when the model's receptive radius is at most `overlap - feather`.
//!
//! Memory: the accumulator (`channels × output pixels × 4` bytes, i.e. the output frame itself) plus
//! the weight tables (about `4 × (width + height)` bytes, plus `8 × feather × scale` per tile boundary).

use ofx_sdk::RectI;

use crate::pixels::Planar;

use super::par;
use super::plan::{Tile, TilePlan, TilingError};

/// One grid column's (or row's) normalised weights along its axis, from accumulator index `start`.
#[derive(Debug, Clone)]
struct Weights {
    start: usize,
    w: Vec<f32>,
}

/// Accumulates the outputs of a plan's tiles into one planar buffer covering the plan's output, row 0
/// at the top. Tiles may be added in any order; each exactly once.
#[derive(Debug)]
pub struct Blender {
    acc: Planar,
    output: RectI,
    scale: usize,
    columns: Vec<Weights>,
    rows: Vec<Weights>,
}

impl Blender {
    /// A blender for `plan`'s tiles, whose outputs have `channels` planes. Allocates the accumulator.
    pub fn new(plan: &TilePlan, channels: usize) -> Blender {
        Self::reusing(plan, channels, Vec::new())
    }

    /// [`Blender::new`] with the accumulator in `storage` (say, the data of an earlier
    /// [`Blender::finish`]): a frame-sized allocation costs its page faults again on every frame.
    pub fn reusing(plan: &TilePlan, channels: usize, mut storage: Vec<f32>) -> Blender {
        let output = plan.output();
        let len = channels * output.width() * output.height();
        if storage.capacity() < len {
            storage = vec![0.0; len];
        } else {
            storage.resize(len, 0.0);
        }
        // Zeroing by writing, across the cores, also maps the fresh pages. Left to the first `add`, each
        // page would fault twice (read, then write) and from one tile's rows at a time; measured 4x slower.
        par::for_each_chunk(&mut storage, 1, |_, c| c.fill(0.0));
        let s = i64::try_from(plan.scale).unwrap_or(1);
        let feather = plan.feather.saturating_mul(plan.scale);
        // Core edges along each axis, in accumulator indices (x from the left, rows from the top).
        let x_cores: Vec<(i64, i64)> = plan
            .tiles
            .iter()
            .filter(|t| t.row == 0)
            .map(|t| {
                let x0 = i64::from(output.x1);
                (i64::from(t.core.x1) * s - x0, i64::from(t.core.x2) * s - x0)
            })
            .collect();
        let y_cores: Vec<(i64, i64)> = plan
            .tiles
            .iter()
            .filter(|t| t.column == 0)
            .map(|t| {
                let top = i64::from(output.y2);
                (
                    top - i64::from(t.core.y2) * s,
                    top - i64::from(t.core.y1) * s,
                )
            })
            .collect();
        Blender {
            acc: Planar {
                channels,
                width: output.width(),
                height: output.height(),
                data: storage,
            },
            output,
            scale: plan.scale,
            columns: axis_weights(&x_cores, output.width(), feather),
            rows: axis_weights(&y_cores, output.height(), feather),
        }
    }

    /// The output pixels the blender covers (the plan's region × scale).
    pub fn output(&self) -> RectI {
        self.output
    }

    /// Adds `tile`'s model output: `channels × (input width × scale) × (input height × scale)`, row 0 at
    /// the top, covering `tile.input() × scale` (padding included; the padded part is never used).
    pub fn add(&mut self, tile: &Tile, model_output: &Planar) -> Result<(), TilingError> {
        let (iw, ih) = tile.input_size();
        let expected = (self.acc.channels, iw * self.scale, ih * self.scale);
        let got = (
            model_output.channels,
            model_output.width,
            model_output.height,
        );
        if got != expected {
            return Err(TilingError::OutputShape { expected, got });
        }
        let unknown = TilingError::UnknownTile {
            column: tile.column,
            row: tile.row,
        };
        let (Some(wx), Some(wy)) = (self.columns.get(tile.column), self.rows.get(tile.row)) else {
            return Err(unknown);
        };
        // Where the tile's first output column and row sit in the accumulator.
        let s = i64::try_from(self.scale).map_err(|_| TilingError::OutOfRange)?;
        let input = tile.input();
        let col0 = i64::from(input.x1) * s - i64::from(self.output.x1);
        let row0 = i64::from(self.output.y2) - i64::from(input.y2) * s;
        let to_src = |start: usize, origin: i64| {
            usize::try_from(i64::try_from(start).unwrap_or(i64::MAX) - origin).ok()
        };
        // The weights' spans lie inside the tile's read (× scale), so inside its output.
        let (Some(src_x), Some(src_y)) = (to_src(wx.start, col0), to_src(wy.start, row0)) else {
            return Err(unknown);
        };
        if src_x + wx.w.len() > model_output.width || src_y + wy.w.len() > model_output.height {
            return Err(unknown);
        }
        let aw = self.acc.width;
        let (ow, cols) = (model_output.width, wx.w.len());
        for c in 0..self.acc.channels {
            let src = model_output.plane(c);
            let rows = &mut self.acc.plane_mut(c)[wy.start * aw..(wy.start + wy.w.len()) * aw];
            par::for_each_chunk(rows, aw, |offset, chunk| {
                let first = offset / aw;
                for (i, acc_row) in chunk.chunks_exact_mut(aw).enumerate() {
                    let r = first + i;
                    let weight_y = wy.w[r];
                    let src_row = &src[(src_y + r) * ow + src_x..][..cols];
                    let acc_row = &mut acc_row[wx.start..wx.start + cols];
                    for ((a, v), weight_x) in acc_row.iter_mut().zip(src_row).zip(&wx.w) {
                        *a += v * (weight_x * weight_y);
                    }
                }
            });
        }
        Ok(())
    }

    /// The blended output (the plan's output rectangle, row 0 at the top).
    pub fn finish(self) -> Planar {
        self.acc
    }
}

/// Normalised weights of each core (accumulator index ranges, in order) over an axis of `len` indices.
fn axis_weights(cores: &[(i64, i64)], len: usize, feather: usize) -> Vec<Weights> {
    let n = cores.len();
    let f = i64::try_from(feather).unwrap_or(0);
    let end = i64::try_from(len).unwrap_or(i64::MAX);
    let ramp = |d: i64| {
        // d = 1..=f past the core edge: 0.5 (1 + cos(π d / (f + 1))), strictly between 0 and 1.
        #[allow(clippy::cast_precision_loss)]
        let t = d as f64 / (f + 1) as f64;
        #[allow(clippy::cast_possible_truncation)]
        let w = (0.5 * (1.0 + (std::f64::consts::PI * t).cos())) as f32;
        w
    };
    let mut spans: Vec<(i64, Vec<f32>)> = cores
        .iter()
        .enumerate()
        .map(|(i, &(c0, c1))| {
            let lo = if i > 0 { (c0 - f).max(0) } else { c0 };
            let hi = if i + 1 < n { (c1 + f).min(end) } else { c1 };
            let w = (lo..hi)
                .map(|p| {
                    if p < c0 {
                        ramp(c0 - p)
                    } else if p >= c1 {
                        ramp(p - c1 + 1)
                    } else {
                        1.0
                    }
                })
                .collect();
            (lo, w)
        })
        .collect();
    let mut sum = vec![0.0f32; len];
    for (lo, w) in &spans {
        let start = usize::try_from(*lo).unwrap_or(0);
        for (s, v) in sum[start..].iter_mut().zip(w) {
            *s += v;
        }
    }
    for (lo, w) in &mut spans {
        let start = usize::try_from(*lo).unwrap_or(0);
        for (v, s) in w.iter_mut().zip(&sum[start..]) {
            // Alone, 1 / 1 stays exactly 1.
            *v /= s;
        }
    }
    spans
        .into_iter()
        .map(|(lo, w)| Weights {
            start: usize::try_from(lo).unwrap_or(0),
            w,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiling::{PlanRequest, SizeConstraint, plan};

    #[test]
    fn wrong_outputs_are_refused_and_storage_is_reused() {
        let region = RectI::new(0, 0, 20, 10);
        let p = plan(&PlanRequest {
            region,
            context: region,
            scale: 2,
            constraint: SizeConstraint::Any,
            tile: (12, 12),
            overlap: 2,
            feather: 1,
        })
        .unwrap();
        let mut b = Blender::new(&p, 3);
        assert_eq!(b.output(), RectI::new(0, 0, 40, 20));
        let t = p.tiles[0];
        let (w, h) = t.input_size();
        let wrong = Planar::zeros(3, w, h);
        assert_eq!(
            b.add(&t, &wrong),
            Err(TilingError::OutputShape {
                expected: (3, 2 * w, 2 * h),
                got: (3, w, h)
            })
        );
        let mut stray = t;
        stray.column = 99;
        assert!(matches!(
            b.add(&stray, &Planar::zeros(3, 2 * w, 2 * h)),
            Err(TilingError::UnknownTile { .. })
        ));
        // A reused buffer comes back zeroed and sized, whatever it held.
        let out = b.finish();
        let mut old = out.data;
        old.iter_mut().for_each(|v| *v = 7.0);
        old.push(1.0);
        let again = Blender::reusing(&p, 3, old).finish();
        assert_eq!(again.data.len(), 3 * 40 * 20);
        assert!(again.data.iter().all(|v| *v == 0.0));
    }

    #[test]
    fn weights_are_one_alone_and_sum_to_one_in_bands() {
        let w = axis_weights(&[(0, 10), (10, 20), (20, 25)], 25, 3);
        assert_eq!((w[0].start, w[0].w.len()), (0, 13));
        assert_eq!((w[1].start, w[1].w.len()), (7, 16));
        assert_eq!((w[2].start, w[2].w.len()), (17, 8));
        let mut sum = [0.0f32; 25];
        for s in &w {
            for (i, v) in s.w.iter().enumerate() {
                assert!(*v > 0.0);
                sum[s.start + i] += v;
            }
        }
        assert!(sum.iter().all(|s| (s - 1.0).abs() < 1e-6));
        // Away from the bands a core's weight is exactly 1.
        assert_eq!(w[0].w[..7], [1.0; 7]);
        assert_eq!(w[1].w[6..9], [1.0; 3]);
        // At a boundary the two sides mirror each other.
        assert_eq!(w[0].w[9], w[1].w[3]);
    }
}
