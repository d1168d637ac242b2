//! Host rows → planar RGBA `f32`.

use ofx_sdk::plugin::PixelRow;
use ofx_sdk::{Components, RectI};

use super::Planar;
use super::sample;

/// Reads `region` (pixel coordinates) of a host image into a 4-plane RGBA buffer, top row first. Pixels
/// of `region` outside `bounds` are black and transparent, as the API says of missing pixels. RGB images
/// get alpha 1; alpha-only images get black colour.
pub fn read_rgba<'a, E>(
    region: RectI,
    bounds: RectI,
    components: Components,
    row: impl Fn(i32) -> Result<PixelRow<'a>, E>,
) -> Result<Planar, E> {
    let len = 4 * region.width() * region.height();
    read_rgba_into(region, bounds, components, row, vec![0.0; len])
}

/// [`read_rgba`] into `storage` (any contents; resized to fit): a buffer kept from an earlier tile or
/// frame (`pixels::pool`) is written without the page faults of a fresh allocation. Only the pixels
/// the host image does not give are zeroed.
pub fn read_rgba_into<'a, E>(
    region: RectI,
    bounds: RectI,
    components: Components,
    row: impl Fn(i32) -> Result<PixelRow<'a>, E>,
    mut storage: Vec<f32>,
) -> Result<Planar, E> {
    let (width, height) = (region.width(), region.height());
    storage.resize(4 * width * height, 0.0);
    storage.truncate(4 * width * height);
    let inside = region.intersect(&bounds);
    // Every value is written below when the image covers the region, except the colour of alpha-only
    // images; anything else starts from zeros (transparent black).
    if inside != Some(region) || components == Components::Alpha {
        storage.fill(0.0);
    }
    let mut out = Planar {
        channels: 4,
        width,
        height,
        data: storage,
    };
    let n = out.plane_len();
    let comps = components.count();
    let Some(inside) = inside else {
        return Ok(out);
    };
    let x_skip = usize::try_from(i64::from(inside.x1) - i64::from(bounds.x1)).unwrap_or(0);
    let dst_x = usize::try_from(i64::from(inside.x1) - i64::from(region.x1)).unwrap_or(0);
    for y in inside.y1..inside.y2 {
        // Row 0 of the buffer is the top of the region (highest y).
        let top_row = usize::try_from(i64::from(region.y2) - 1 - i64::from(y)).unwrap_or(0);
        let base = top_row * width + dst_x;
        let pixels = inside.width();
        match row(y)? {
            PixelRow::Byte(r) => spread(
                &mut out.data,
                n,
                base,
                &r[x_skip * comps..],
                pixels,
                components,
                sample::from_u8,
            ),
            PixelRow::Short(r) => spread(
                &mut out.data,
                n,
                base,
                &r[x_skip * comps..],
                pixels,
                components,
                sample::from_u16,
            ),
            PixelRow::Half(r) => spread(
                &mut out.data,
                n,
                base,
                &r[x_skip * comps..],
                pixels,
                components,
                sample::from_f16,
            ),
            PixelRow::Float(r) => spread(
                &mut out.data,
                n,
                base,
                &r[x_skip * comps..],
                pixels,
                components,
                |v| v,
            ),
        }
    }
    Ok(out)
}

/// Spreads `pixels` interleaved host pixels into the four planes at offset `base`.
fn spread<T: Copy>(
    planes: &mut [f32],
    plane_len: usize,
    base: usize,
    src: &[T],
    pixels: usize,
    components: Components,
    convert: impl Fn(T) -> f32,
) {
    let (rgb, rest) = planes.split_at_mut(3 * plane_len);
    let (r_plane, gb) = rgb.split_at_mut(plane_len);
    let (g_plane, b_plane) = gb.split_at_mut(plane_len);
    let a_plane = &mut rest[..plane_len];
    let range = base..base + pixels;
    let (r_out, g_out, b_out, a_out) = (
        &mut r_plane[range.clone()],
        &mut g_plane[range.clone()],
        &mut b_plane[range.clone()],
        &mut a_plane[range],
    );
    // Zipped iterators rather than indices: no bounds checks in the loop, which lets it vectorise.
    let planes = r_out
        .iter_mut()
        .zip(g_out.iter_mut())
        .zip(b_out.iter_mut())
        .zip(a_out.iter_mut());
    match components {
        Components::Rgba => {
            for ((((r, g), b), a), px) in planes.zip(src.chunks_exact(4)) {
                (*r, *g, *b, *a) = (
                    convert(px[0]),
                    convert(px[1]),
                    convert(px[2]),
                    convert(px[3]),
                );
            }
        }
        Components::Rgb => {
            for ((((r, g), b), a), px) in planes.zip(src.chunks_exact(3)) {
                (*r, *g, *b, *a) = (convert(px[0]), convert(px[1]), convert(px[2]), 1.0);
            }
        }
        Components::Alpha => {
            for (a, v) in a_out.iter_mut().zip(src) {
                *a = convert(*v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_top_first_and_pads_outside_bounds() {
        // A 2x2 RGBA byte image with bounds (0,0)-(2,2); row y holds pixels valued 10*y + x.
        let rows: Vec<Vec<u8>> = (0..2)
            .map(|y| (0..2).flat_map(|x| [10 * y + x, 0, 0, 255]).collect())
            .collect();
        let region = RectI::new(0, 0, 3, 2); // one column beyond the bounds
        let planar = read_rgba(region, RectI::new(0, 0, 2, 2), Components::Rgba, |y| {
            Ok::<_, ()>(PixelRow::Byte(&rows[usize::try_from(y).unwrap()]))
        })
        .unwrap();
        let r: Vec<u8> = planar.plane(0).iter().map(|v| sample::to_u8(*v)).collect();
        // Top row first: y = 1 then y = 0; the third column is outside the bounds.
        assert_eq!(r, vec![10, 11, 0, 0, 1, 0]);
        let a: Vec<u8> = planar.plane(3).iter().map(|v| sample::to_u8(*v)).collect();
        assert_eq!(a, vec![255, 255, 0, 255, 255, 0]);
    }

    #[test]
    fn a_reused_buffer_reads_like_a_fresh_one() {
        let rows: Vec<Vec<f32>> = (0..2)
            .map(|y| (0..8).map(|i| (y * 8 + i) as f32 / 16.0).collect())
            .collect();
        let row = |y: i32| Ok::<_, ()>(PixelRow::Float(&rows[usize::try_from(y).unwrap()]));
        let bounds = RectI::new(0, 0, 2, 2);
        for (region, comps) in [
            (bounds, Components::Rgba),
            (RectI::new(-1, 0, 2, 3), Components::Rgba),
            (bounds, Components::Alpha),
        ] {
            let fresh = read_rgba(region, bounds, comps, row).unwrap();
            let stale = vec![7.0; 100];
            let reused = read_rgba_into(region, bounds, comps, row, stale).unwrap();
            assert_eq!(fresh, reused, "{region:?} {comps:?}");
        }
    }

    #[test]
    fn rgb_gets_opaque_alpha() {
        let row = [0.5f32, 0.25, 1.0];
        let planar = read_rgba(
            RectI::new(0, 0, 1, 1),
            RectI::new(0, 0, 1, 1),
            Components::Rgb,
            |_| Ok::<_, ()>(PixelRow::Float(&row)),
        )
        .unwrap();
        assert_eq!(planar.data, vec![0.5, 0.25, 1.0, 1.0]);
    }
}
