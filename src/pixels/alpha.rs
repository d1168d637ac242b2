//! Premultiplication, and the bad-value policy: what reaches a model is finite.
//!
//! Premultiplied colour is colour × alpha. Models that want straight colour get
//! [`unpremultiply`] before and [`premultiply`] after. Exactly zero alpha is the only special case:
//! - `premultiply` makes its colour 0 (whatever it was, even NaN or inf: nothing shows through);
//! - `unpremultiply` leaves its colour as it is: there is nothing to divide by, and premultiplied
//!   pixels with zero alpha hold 0 anyway, except additive ("emissive") ones, which keep their glow for
//!   the model to see. Their glow does not survive the round trip: `premultiply` zeroes it.
//!
//! Tiny alpha divides colour into huge values, possibly inf: sanitise after unpremultiplying.

use super::Planar;
use crate::tiling::par;

/// The buffer is not planar RGBA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("premultiplication needs 4 planes (RGBA), not {channels}")]
pub struct NotRgba {
    pub channels: usize,
}

/// Colour × alpha; zero alpha gives zero colour.
pub fn premultiply(rgba: &mut Planar) -> Result<(), NotRgba> {
    for_colour_with_alpha(rgba, |colour, alpha| {
        for (c, a) in colour.iter_mut().zip(alpha) {
            *c = if *a == 0.0 { 0.0 } else { *c * *a };
        }
    })
}

/// Colour ÷ alpha; zero alpha leaves colour as it is.
pub fn unpremultiply(rgba: &mut Planar) -> Result<(), NotRgba> {
    for_colour_with_alpha(rgba, |colour, alpha| {
        for (c, a) in colour.iter_mut().zip(alpha) {
            *c = if *a == 0.0 { *c } else { *c / *a };
        }
    })
}

/// Runs `f` over the three colour planes in pieces, each with the alpha values of the same pixels.
fn for_colour_with_alpha(
    rgba: &mut Planar,
    f: impl Fn(&mut [f32], &[f32]) + Sync,
) -> Result<(), NotRgba> {
    if rgba.channels != 4 {
        return Err(NotRgba {
            channels: rgba.channels,
        });
    }
    let n = rgba.plane_len();
    if n == 0 {
        return Ok(());
    }
    let (colour, alpha) = rgba.data.split_at_mut(3 * n);
    let alpha = &*alpha;
    par::for_each_chunk(colour, 1, |offset, mut chunk| {
        // A chunk may span the end of one plane and the start of the next.
        let mut at = offset;
        while !chunk.is_empty() {
            let i = at % n;
            let take = (n - i).min(chunk.len());
            let (head, rest) = chunk.split_at_mut(take);
            f(head, &alpha[i..i + take]);
            chunk = rest;
            at += take;
        }
    });
    Ok(())
}

/// What [`sanitize`] puts in place of values a model must not see.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sanitize {
    pub nan: f32,
    pub pos_inf: f32,
    pub neg_inf: f32,
    /// Subnormals (below 1.2e-38 in magnitude) become 0 with their sign: they carry nothing visible and
    /// make some CPUs' float units take a slow path.
    pub flush_subnormals: bool,
}

impl Default for Sanitize {
    /// NaN → 0 (no light, no coverage); ±inf → ±65504, the largest half float: still "very bright",
    /// but finite through the model's arithmetic, an fp16 model included, and through the HDR shoulder.
    fn default() -> Self {
        Sanitize {
            nan: 0.0,
            pos_inf: 65504.0,
            neg_inf: -65504.0,
            flush_subnormals: true,
        }
    }
}

/// How many values [`sanitize`] replaced, by kind, so the caller can report them once per render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BadValues {
    pub nan: usize,
    pub infinite: usize,
    pub subnormal: usize,
}

impl BadValues {
    /// NaN and infinities: what is worth telling the artist. Flushed subnormals are not.
    pub fn reportable(&self) -> usize {
        self.nan + self.infinite
    }
}

impl std::ops::Add for BadValues {
    type Output = BadValues;
    fn add(self, o: BadValues) -> BadValues {
        BadValues {
            nan: self.nan + o.nan,
            infinite: self.infinite + o.infinite,
            subnormal: self.subnormal + o.subnormal,
        }
    }
}

/// Values scanned per block before deciding whether the block needs fixing: clean frames (the usual
/// case) are only read, never written. Small enough for a `u32` count and for the fix-up to find the
/// block still in cache.
const BLOCK: usize = 4096;

/// Replaces NaN, infinities and (per `policy`) subnormals in every plane of `planes`, alpha included.
pub fn sanitize(planes: &mut Planar, policy: Sanitize) -> BadValues {
    sanitize_slice(&mut planes.data, policy)
}

/// [`sanitize`] on a slice.
pub fn sanitize_slice(values: &mut [f32], policy: Sanitize) -> BadValues {
    par::map_chunks(
        values,
        BLOCK,
        |_, chunk| {
            let mut found = BadValues::default();
            for block in chunk.chunks_mut(BLOCK) {
                if count_bad(block, policy.flush_subnormals) > 0 {
                    found = found + fix(block, policy);
                }
            }
            found
        },
        |a, b| a + b,
    )
}

/// Bad values in `block`: a read-only, branch-free count that vectorises. On magnitudes (sign bit
/// cleared), non-finite values are those at or above the infinity's bits, subnormals those between 0
/// and the smallest normal's.
fn count_bad(block: &[f32], subnormals: bool) -> u32 {
    const ABS: u32 = 0x7fff_ffff;
    const INF: u32 = 0x7f80_0000;
    const MIN_NORMAL: u32 = 0x0080_0000;
    // With `subnormals` off, no magnitude reaches the lower bound.
    let sub_from = if subnormals { 1 } else { u32::MAX };
    block
        .iter()
        .map(|v| {
            let a = v.to_bits() & ABS;
            u32::from(a >= INF) + u32::from(a >= sub_from && a < MIN_NORMAL)
        })
        .sum()
}

fn fix(block: &mut [f32], policy: Sanitize) -> BadValues {
    let mut found = BadValues::default();
    for v in block {
        if v.is_nan() {
            *v = policy.nan;
            found.nan += 1;
        } else if v.is_infinite() {
            *v = if *v > 0.0 {
                policy.pos_inf
            } else {
                policy.neg_inf
            };
            found.infinite += 1;
        } else if policy.flush_subnormals && v.is_subnormal() {
            *v = 0.0f32.copysign(*v);
            found.subnormal += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgba(pixels: &[[f32; 4]]) -> Planar {
        let n = pixels.len();
        let mut p = Planar::zeros(4, n, 1);
        for (i, px) in pixels.iter().enumerate() {
            for (c, v) in px.iter().enumerate() {
                p.data[c * n + i] = *v;
            }
        }
        p
    }

    #[test]
    fn premultiply_and_back() {
        let mut p = rgba(&[
            [0.5, 0.25, 1.0, 0.5],
            [0.2, 0.4, 0.8, 1.0],
            [0.3, f32::NAN, f32::INFINITY, 0.0],
            [-0.5, 2.0, 4.0, 0.25],
        ]);
        premultiply(&mut p).unwrap();
        assert_eq!(p.plane(0), &[0.25, 0.2, 0.0, -0.125]);
        assert_eq!(p.plane(1), &[0.125, 0.4, 0.0, 0.5]);
        assert_eq!(p.plane(2), &[0.5, 0.8, 0.0, 1.0]);
        assert_eq!(p.plane(3), &[0.5, 1.0, 0.0, 0.25]);
        unpremultiply(&mut p).unwrap();
        assert_eq!(p.plane(0), &[0.5, 0.2, 0.0, -0.5]);
        assert_eq!(p.plane(2), &[1.0, 0.8, 0.0, 4.0]);
    }

    #[test]
    fn unpremultiply_keeps_colour_under_zero_alpha() {
        let mut p = rgba(&[[0.3, 0.6, 0.9, 0.0]]);
        unpremultiply(&mut p).unwrap();
        assert_eq!(p.data, vec![0.3, 0.6, 0.9, 0.0]);
        let mut grey = Planar::zeros(3, 1, 1);
        assert_eq!(premultiply(&mut grey), Err(NotRgba { channels: 3 }));
    }

    #[test]
    fn threaded_passes_pair_colour_with_its_own_alpha() {
        // Large enough to split into chunks that straddle plane ends.
        let n = 300_007;
        let mut p = Planar::zeros(4, n, 1);
        for i in 0..n {
            p.data[i] = 1.0;
            p.data[n + i] = 2.0;
            p.data[2 * n + i] = 3.0;
            p.data[3 * n + i] = (i % 7) as f32 * 0.25;
        }
        let before = p.clone();
        premultiply(&mut p).unwrap();
        for i in 0..n {
            let a = before.data[3 * n + i];
            assert_eq!(p.data[n + i], 2.0 * a);
        }
        unpremultiply(&mut p).unwrap();
        for i in 0..4 * n {
            let a = before.data[3 * n + i % n];
            // Zero alpha zeroed the colour for good; elsewhere the round trip is exact for these values.
            let expected = if a == 0.0 { 0.0 } else { before.data[i] };
            assert!(
                p.data[i] == expected,
                "value {i}: {} != {expected}",
                p.data[i]
            );
        }
    }

    #[test]
    fn sanitising_replaces_and_counts() {
        let n = 200_000;
        let mut p = Planar::zeros(4, n, 1);
        p.data[17] = f32::NAN;
        p.data[n + 3] = f32::INFINITY;
        p.data[3 * n + 9] = f32::NEG_INFINITY;
        p.data[4 * n - 1] = -1e-40;
        p.data[2 * n] = f32::MIN_POSITIVE; // smallest normal: kept
        let found = sanitize(&mut p, Sanitize::default());
        assert_eq!(
            found,
            BadValues {
                nan: 1,
                infinite: 2,
                subnormal: 1
            }
        );
        assert_eq!(found.reportable(), 3);
        assert_eq!(p.data[17], 0.0);
        assert_eq!(p.data[n + 3], 65504.0);
        assert_eq!(p.data[3 * n + 9], -65504.0);
        assert_eq!(p.data[4 * n - 1].to_bits(), (-0.0f32).to_bits());
        assert_eq!(p.data[2 * n], f32::MIN_POSITIVE);
        assert!(p.data.iter().all(|v| v.is_finite()));
        // Clean data comes back untouched, and subnormals stay when asked.
        let mut q = vec![1e-40f32, 0.5];
        let keep = Sanitize {
            flush_subnormals: false,
            ..Sanitize::default()
        };
        assert_eq!(sanitize_slice(&mut q, keep), BadValues::default());
        assert_eq!(q, vec![1e-40, 0.5]);
    }
}
