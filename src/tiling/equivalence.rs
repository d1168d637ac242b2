//! Tiled runs of local operators equal untiled runs: exactly where one tile covers a pixel, within 1e-6
//! (relative) in the feather bands.

use ofx_sdk::RectI;
use proptest::prelude::*;

use super::*;
use crate::pixels::Planar;

/// 3×3 box blur with reflect boundaries (receptive radius 1). Reflecting like the padding does makes a
/// padded tile see, near the image edge, the same values as the whole image does.
fn box_blur(src: &Planar) -> Planar {
    let (w, h) = (src.width, src.height);
    let mut out = Planar::zeros(src.channels, w, h);
    let idx = |i: usize, d: i64, n: usize| reflect_index(i64::try_from(i).unwrap() + d, n);
    for c in 0..src.channels {
        let p = src.plane(c);
        for y in 0..h {
            for x in 0..w {
                let mut s = 0.0f32;
                for dy in -1..=1 {
                    for dx in -1..=1 {
                        s += p[idx(y, dy, h) * w + idx(x, dx, w)];
                    }
                }
                out.plane_mut(c)[y * w + x] = s / 9.0;
            }
        }
    }
    out
}

/// Nearest-neighbour upscale by `s`.
fn nearest(src: &Planar, s: usize) -> Planar {
    let (w, h) = (src.width * s, src.height * s);
    let mut out = Planar::zeros(src.channels, w, h);
    for c in 0..src.channels {
        for y in 0..h {
            for x in 0..w {
                out.plane_mut(c)[y * w + x] = src.plane(c)[(y / s) * src.width + x / s];
            }
        }
    }
    out
}

fn model(src: &Planar, s: usize) -> Planar {
    nearest(&box_blur(src), s)
}

/// The part of `frame` (covering `region`, row 0 at the top) under `r`.
fn read(frame: &Planar, region: RectI, r: RectI) -> Planar {
    let left = usize::try_from(r.x1 - region.x1).unwrap();
    let top = usize::try_from(region.y2 - r.y2).unwrap();
    crop(frame, left, top, r.width(), r.height()).unwrap()
}

fn image(channels: usize, w: usize, h: usize, seed: u32) -> Planar {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let data = (0..channels * w * h)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 10_000) as f32 / 1000.0 - 2.0
        })
        .collect();
    Planar {
        channels,
        width: w,
        height: h,
        data,
    }
}

/// Runs `model` tiled over a frame covering `region` and compares with the untiled run. Returns the
/// largest relative difference and whether pixels outside the feather bands matched bit for bit.
fn compare(req: &PlanRequest, channels: usize, seed: u32) -> (f32, bool) {
    let frame = image(channels, req.region.width(), req.region.height(), seed);
    let whole = model(&frame, req.scale);
    let p = plan(req).unwrap();
    let mut blender = Blender::new(&p, channels);
    for t in &p.tiles {
        let input = pad_reflect(read(&frame, req.region, t.read), t.pad);
        assert_eq!((input.width, input.height), t.input_size());
        blender.add(t, &model(&input, req.scale)).unwrap();
    }
    let tiled = blender.finish();
    assert_eq!((tiled.width, tiled.height), (whole.width, whole.height));
    // Output pixels within `feather × scale` of an inner core edge are in a band.
    let f = i64::try_from(req.feather * req.scale).unwrap();
    let out = p.output();
    let in_band = |x: usize, y: usize| {
        let (ox, oy) = (
            i64::from(out.x1) + i64::try_from(x).unwrap(),
            i64::from(out.y2) - 1 - i64::try_from(y).unwrap(),
        );
        p.tiles.iter().any(|t| {
            let o = t.output;
            let near = |v: i64, e: i32, edge: i32| {
                e != edge && (v - i64::from(e)).abs() <= f && (v - i64::from(e)) != f
            };
            near(ox, o.x1, out.x1)
                || near(ox, o.x2, out.x2)
                || near(oy, o.y1, out.y1)
                || near(oy, o.y2, out.y2)
        })
    };
    let mut worst = 0.0f32;
    let mut exact = true;
    for c in 0..channels {
        for y in 0..whole.height {
            for x in 0..whole.width {
                let (a, b) = (
                    tiled.plane(c)[y * whole.width + x],
                    whole.plane(c)[y * whole.width + x],
                );
                if f == 0 || !in_band(x, y) {
                    exact &= a.to_bits() == b.to_bits();
                }
                worst = worst.max((a - b).abs() / b.abs().max(1e-3));
            }
        }
    }
    (worst, exact)
}

#[test]
fn a_tiled_blur_equals_the_untiled_blur() {
    for (scale, overlap, feather, constraint) in [
        (1, 1, 0, SizeConstraint::Any),
        (1, 3, 2, SizeConstraint::Any),
        (2, 1, 0, SizeConstraint::Any),
        (2, 4, 2, SizeConstraint::MultipleOf(8)),
        (
            1,
            2,
            1,
            SizeConstraint::Fixed {
                width: 24,
                height: 20,
            },
        ),
        (
            3,
            2,
            1,
            SizeConstraint::Fixed {
                width: 40,
                height: 40,
            },
        ),
    ] {
        let req = PlanRequest {
            region: RectI::new(-7, 11, 90, 70),
            context: RectI::new(-7, 11, 90, 70),
            scale,
            constraint,
            tile: (26, 21),
            overlap,
            feather,
        };
        let (worst, exact) = compare(&req, 3, 7);
        assert!(worst <= 1e-6, "{req:?}: worst relative difference {worst}");
        assert!(exact, "{req:?}: a pixel outside the feather bands differs");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn tiled_equals_untiled_when_the_receptive_field_fits(
        x in -50i32..50, y in -50i32..50, w in 1i32..70, h in 1i32..70,
        scale in 1usize..=2, overlap in 1usize..=4, tile in (13usize..40, 13usize..40),
        multiple in prop_oneof![Just(None), (1usize..=4).prop_map(Some)],
        seed in 0u32..1000,
    ) {
        let region = RectI::new(x, y, x + w, y + h);
        let req = PlanRequest {
            region,
            context: region,
            scale,
            constraint: multiple.map_or(SizeConstraint::Any, SizeConstraint::MultipleOf),
            tile,
            overlap,
            // The blur's radius is 1: the feather may take the rest of the overlap.
            feather: overlap - 1,
        };
        let (worst, exact) = compare(&req, 2, seed);
        prop_assert!(worst <= 1e-6, "worst relative difference {}", worst);
        prop_assert!(exact);
    }
}
