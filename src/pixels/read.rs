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
    let (width, height) = (region.width(), region.height());
    let mut out = Planar::zeros(4, width, height);
    let n = out.plane_len();
    let comps = components.count();
    let Some(inside) = region.intersect(&bounds) else {
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
