//! Throughput of the whole-frame pixel passes on a 3840x2160 RGBA f32 frame (133 MB), next to a
//! `memcpy` of the same bytes. `cargo bench --bench pixels` (a plain timer, no harness: each pass runs
//! on a fresh copy of the frame, and the median of several runs is reported).
//!
//! GB/s counts the frame's bytes once per pass (a pass reads and writes them; so does `memcpy`).
#![allow(clippy::print_stdout)] // a bench reports on stdout

use std::hint::black_box;
use std::time::{Duration, Instant};

use ofx_sdk::RectI;
use onnxfx::pixels::Planar;
use onnxfx::pixels::alpha::{self, Sanitize};
use onnxfx::pixels::colour::{self, Encoding, Shoulder};
use onnxfx::tiling::{self, Blender, PlanRequest, SizeConstraint};

const W: usize = 3840;
const H: usize = 2160;
const RUNS: usize = 7;

fn frame() -> Planar {
    let n = W * H;
    let mut state = 0x2545_f491_u32;
    let data = (0..4 * n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let u = (state >> 8) as f32 / 16_777_216.0;
            // Colour in [-0.1, 4) (some HDR, some negatives), alpha in [0, 1] with some zeros.
            if i < 3 * n {
                u * 4.1 - 0.1
            } else {
                (u * 1.2 - 0.1).clamp(0.0, 1.0)
            }
        })
        .collect();
    Planar {
        channels: 4,
        width: W,
        height: H,
        data,
    }
}

/// Median time of `pass` over fresh copies of `src`.
fn time(src: &Planar, mut pass: impl FnMut(&mut Planar)) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let mut p = src.clone();
            let t = Instant::now();
            pass(&mut p);
            let d = t.elapsed();
            black_box(&p);
            d
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn main() {
    let src = frame();
    let bytes = (src.data.len() * 4) as f64;
    let mut dst = vec![0.0f32; src.data.len()];
    let mut copies: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            dst.copy_from_slice(black_box(&src.data));
            let d = t.elapsed();
            black_box(&dst);
            d
        })
        .collect();
    copies.sort();
    let memcpy = copies[RUNS / 2];
    let report = |name: &str, d: Duration| {
        let gbs = bytes / d.as_secs_f64() / 1e9;
        let ratio = memcpy.as_secs_f64() / d.as_secs_f64();
        println!(
            "{name:<34} {:>8.2} ms {gbs:>7.2} GB/s {ratio:>6.2}x memcpy",
            d.as_secs_f64() * 1e3
        );
    };
    println!(
        "{W}x{H} RGBA f32 ({:.0} MB), {} threads, median of {RUNS}",
        bytes / 1e6,
        tiling::par::threads()
    );
    report("memcpy", memcpy);
    // The passes use every core; so may a copy.
    let mut copies: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            tiling::par::for_each_chunk(&mut dst, 1, |offset, chunk| {
                chunk.copy_from_slice(&src.data[offset..offset + chunk.len()]);
            });
            let d = t.elapsed();
            black_box(&dst);
            d
        })
        .collect();
    copies.sort();
    report("memcpy, threaded", copies[RUNS / 2]);
    let pairs = [
        (Encoding::Linear, Encoding::Srgb),
        (Encoding::Srgb, Encoding::Linear),
        (Encoding::Linear, Encoding::Rec709),
        (Encoding::Rec709, Encoding::Linear),
        (Encoding::Linear, Encoding::AcesCct),
        (Encoding::AcesCct, Encoding::Linear),
        (Encoding::Srgb, Encoding::AcesCct),
    ];
    for (from, to) in pairs {
        let d = time(&src, |p| colour::convert(p, from, to));
        report(&format!("convert {} -> {}", from.name(), to.name()), d);
    }
    let shoulder = Shoulder::default();
    report(
        "shoulder compress",
        time(&src, |p| shoulder.compress_planes(p)),
    );
    report("shoulder expand", time(&src, |p| shoulder.expand_planes(p)));
    report(
        "premultiply",
        time(&src, |p| alpha::premultiply(p).unwrap_or(())),
    );
    report(
        "unpremultiply",
        time(&src, |p| alpha::unpremultiply(p).unwrap_or(())),
    );
    report(
        "sanitize (clean frame)",
        time(&src, |p| {
            black_box(alpha::sanitize(p, Sanitize::default()));
        }),
    );
    let mut dirty = src.clone();
    for v in dirty.data.iter_mut().step_by(997) {
        *v = f32::NAN;
    }
    report(
        "sanitize (a NaN every 997 values)",
        time(&dirty, |p| {
            black_box(alpha::sanitize(p, Sanitize::default()));
        }),
    );

    // Blending: the frame as 512-pixel tiles with a 16-pixel overlap (feather 8), scale 1, counting the
    // accumulator's allocation and zeroing (`new`) and reuse of an earlier frame's (`reusing`); the
    // model outputs are the frame's own pixels.
    let region = RectI::new(0, 0, W as i32, H as i32);
    let plan = tiling::plan(&PlanRequest {
        region,
        context: region,
        scale: 1,
        constraint: SizeConstraint::Any,
        tile: (512, 512),
        overlap: 16,
        feather: 8,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let tiles: Vec<Planar> = plan
        .tiles
        .iter()
        .map(|t| {
            let left = (t.read.x1 - region.x1) as usize;
            let top = (region.y2 - t.read.y2) as usize;
            tiling::crop(&src, left, top, t.read.width(), t.read.height())
                .unwrap_or_else(|| panic!("tile outside the frame"))
        })
        .collect();
    let mut storage = Some(Vec::new());
    for reuse in [false, true] {
        let mut blends: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                let mut blender = if reuse {
                    Blender::reusing(&plan, 4, storage.take().unwrap_or_default())
                } else {
                    Blender::new(&plan, 4)
                };
                for (tile, out) in plan.tiles.iter().zip(&tiles) {
                    blender.add(tile, out).unwrap_or_else(|e| panic!("{e}"));
                }
                let out = blender.finish();
                let d = t.elapsed();
                storage = Some(black_box(out).data);
                d
            })
            .collect();
        blends.sort();
        let how = if reuse { "reusing" } else { "new" };
        report(
            &format!("blend {} tiles 512/16 ({how})", plan.tiles.len()),
            blends[RUNS / 2],
        );
    }
    let tile_pad = tiling::Pad {
        left: 5,
        right: 6,
        top: 7,
        bottom: 8,
    };
    let small = tiles[0].clone();
    let t = Instant::now();
    for _ in 0..20 {
        black_box(tiling::pad_reflect(black_box(small.clone()), tile_pad));
    }
    println!(
        "pad_reflect of a {}x{} tile: {:.2} ms",
        small.width,
        small.height,
        t.elapsed().as_secs_f64() * 1e3 / 20.0
    );
}
