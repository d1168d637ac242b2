//! Planar RGBA `f32` → host rows.

use ofx_sdk::plugin::PixelRowMut;
use ofx_sdk::{Components, RectI};

use super::Planar;
use super::sample;

/// Writes the pixels of `window` from `src` (a 4-plane RGBA buffer covering `region`, top row first) into
/// the host image rows (`rows`: each `y` with its row, which spans `bounds.x1..bounds.x2`). Pixels outside
/// `region` or the image bounds are left alone.
pub fn write_rgba(
    src: &Planar,
    region: RectI,
    window: RectI,
    bounds: RectI,
    components: Components,
    rows: Vec<(i32, PixelRowMut<'_>)>,
) {
    let Some(target) = window.intersect(&region).and_then(|w| w.intersect(&bounds)) else {
        return;
    };
    let comps = components.count();
    let plane_len = src.plane_len();
    let pixels = target.width();
    let src_x = usize::try_from(i64::from(target.x1) - i64::from(region.x1)).unwrap_or(0);
    let dst_x = usize::try_from(i64::from(target.x1) - i64::from(bounds.x1)).unwrap_or(0);
    for (y, row) in rows {
        if y < target.y1 || y >= target.y2 {
            continue;
        }
        let top_row = usize::try_from(i64::from(region.y2) - 1 - i64::from(y)).unwrap_or(0);
        let start = top_row * src.width + src_x;
        let planes =
            [0, 1, 2, 3].map(|c| &src.data[c * plane_len + start..c * plane_len + start + pixels]);
        let dst = dst_x * comps..(dst_x + pixels) * comps;
        match row {
            PixelRowMut::Byte(r) => gather(&mut r[dst], &planes, components, sample::to_u8),
            PixelRowMut::Short(r) => gather(&mut r[dst], &planes, components, sample::to_u16),
            PixelRowMut::Half(r) => gather(&mut r[dst], &planes, components, sample::to_f16),
            PixelRowMut::Float(r) => gather(&mut r[dst], &planes, components, |v| v),
        }
    }
}

/// Interleaves the planes' values into host pixels of `components`.
fn gather<T>(
    dst: &mut [T],
    planes: &[&[f32]; 4],
    components: Components,
    convert: impl Fn(f32) -> T,
) {
    let [r, g, b, a] = planes;
    // Zipped iterators rather than indices: no bounds checks in the loop, which lets it vectorise.
    let values = r.iter().zip(g.iter()).zip(b.iter()).zip(a.iter());
    match components {
        Components::Rgba => {
            for (px, (((r, g), b), a)) in dst.chunks_exact_mut(4).zip(values) {
                px[0] = convert(*r);
                px[1] = convert(*g);
                px[2] = convert(*b);
                px[3] = convert(*a);
            }
        }
        Components::Rgb => {
            for (px, (((r, g), b), _)) in dst.chunks_exact_mut(3).zip(values) {
                px[0] = convert(*r);
                px[1] = convert(*g);
                px[2] = convert(*b);
            }
        }
        Components::Alpha => {
            for (out, v) in dst.iter_mut().zip(a.iter()) {
                *out = convert(*v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixels::read::read_rgba;
    use ofx_sdk::plugin::PixelRow;

    #[test]
    fn byte_and_short_round_trip_exactly_through_the_pipeline() {
        let (w, h) = (5usize, 3usize);
        let bounds = RectI::new(-2, 7, 3, 10);
        let bytes: Vec<Vec<u8>> = (0..h)
            .map(|y| {
                (0..w * 4)
                    .map(|i| u8::try_from((i * 37 + y * 11) % 256).unwrap())
                    .collect()
            })
            .collect();
        let row_of = |y: i32| usize::try_from(y - bounds.y1).unwrap();
        let planar = read_rgba(bounds, bounds, Components::Rgba, |y| {
            Ok::<_, ()>(PixelRow::Byte(&bytes[row_of(y)]))
        })
        .unwrap();
        let mut out = vec![vec![0u8; w * 4]; h];
        let rows = out
            .iter_mut()
            .enumerate()
            .map(|(i, r)| (bounds.y1 + i32::try_from(i).unwrap(), PixelRowMut::Byte(r)))
            .collect();
        write_rgba(&planar, bounds, bounds, bounds, Components::Rgba, rows);
        assert_eq!(out, bytes);

        let shorts: Vec<Vec<u16>> = (0..h)
            .map(|y| {
                (0..w * 3)
                    .map(|i| u16::try_from((i * 4099 + y * 7919) % 65536).unwrap())
                    .collect()
            })
            .collect();
        let planar = read_rgba(bounds, bounds, Components::Rgb, |y| {
            Ok::<_, ()>(PixelRow::Short(&shorts[row_of(y)]))
        })
        .unwrap();
        let mut out = vec![vec![0u16; w * 3]; h];
        let rows = out
            .iter_mut()
            .enumerate()
            .map(|(i, r)| (bounds.y1 + i32::try_from(i).unwrap(), PixelRowMut::Short(r)))
            .collect();
        write_rgba(&planar, bounds, bounds, bounds, Components::Rgb, rows);
        assert_eq!(out, shorts);
    }

    #[test]
    fn writes_only_inside_the_window() {
        let region = RectI::new(0, 0, 2, 1);
        let src = Planar {
            channels: 4,
            width: 2,
            height: 1,
            data: vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0],
        };
        let mut row = vec![9.0f32; 8];
        write_rgba(
            &src,
            region,
            RectI::new(1, 0, 2, 1),
            region,
            Components::Rgba,
            vec![(0, PixelRowMut::Float(&mut row))],
        );
        assert_eq!(row, vec![9.0, 9.0, 9.0, 9.0, 2.0, 2.0, 2.0, 2.0]);
    }
}
