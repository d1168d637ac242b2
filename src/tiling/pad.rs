//! Reflect padding of a tile to the model's input size, and cropping a result back.
//!
//! Reflection mirrors about the edge pixel without repeating it (`… 2 1 | 0 1 2 … n-1 | n-2 …`), the
//! `reflect` mode of NumPy and PyTorch: it continues gradients and textures without the hard step of
//! zero padding or the flat band of edge replication. Pads wider than the image keep reflecting
//! (periodically, period `2(n-1)`); a one-pixel image replicates its pixel.

use crate::pixels::Planar;

use super::Pad;

/// The source index that padded index `i` (which may be negative or past the end) reflects to.
pub fn reflect_index(i: i64, n: usize) -> usize {
    let Ok(n) = i64::try_from(n) else {
        return 0;
    };
    if n <= 1 {
        return 0;
    }
    let period = 2 * (n - 1);
    let j = i.rem_euclid(period);
    // `j` lies in 0..2(n-1), so the result lies in 0..n.
    usize::try_from(if j < n { j } else { period - j }).unwrap_or(0)
}

/// `src` grown by `pad` with reflected pixels. Returns `src` itself, without copying, when `pad` is zero.
pub fn pad_reflect(src: Planar, pad: Pad) -> Planar {
    if pad.is_zero() || src.plane_len() == 0 {
        return src;
    }
    let (w, h) = (src.width, src.height);
    let ow = w + pad.left + pad.right;
    let oh = h + pad.top + pad.bottom;
    let mut out = Planar::zeros(src.channels, ow, oh);
    // Column map of one padded row, shared by every row and plane.
    let columns: Vec<usize> = (0..ow)
        .map(|x| reflect_index(signed(x) - signed(pad.left), w))
        .collect();
    for c in 0..src.channels {
        let from = src.plane(c);
        let to = out.plane_mut(c);
        for (y, row) in to.chunks_exact_mut(ow).enumerate() {
            let sy = reflect_index(signed(y) - signed(pad.top), h);
            let src_row = &from[sy * w..(sy + 1) * w];
            let (left, rest) = row.split_at_mut(pad.left);
            let (middle, right) = rest.split_at_mut(w);
            middle.copy_from_slice(src_row);
            for (v, x) in left.iter_mut().zip(&columns) {
                *v = src_row[*x];
            }
            for (v, x) in right.iter_mut().zip(&columns[pad.left + w..]) {
                *v = src_row[*x];
            }
        }
    }
    out
}

/// The `width × height` window of `src` whose top-left pixel is (`left`, `top`) (row 0 = top), or `None`
/// when it does not fit inside `src`.
pub fn crop(src: &Planar, left: usize, top: usize, width: usize, height: usize) -> Option<Planar> {
    if left.checked_add(width)? > src.width || top.checked_add(height)? > src.height {
        return None;
    }
    let mut data = Vec::with_capacity(src.channels * width * height);
    for c in 0..src.channels {
        let plane = src.plane(c);
        for y in top..top + height {
            let start = y * src.width + left;
            data.extend_from_slice(&plane[start..start + width]);
        }
    }
    Some(Planar {
        channels: src.channels,
        width,
        height,
        data,
    })
}

/// A model's output for a padded input, with the padding (× `scale`) cut away.
pub fn unpad(output: &Planar, pad: Pad, scale: usize) -> Option<Planar> {
    let width = output
        .width
        .checked_sub((pad.left + pad.right).checked_mul(scale)?)?;
    let height = output
        .height
        .checked_sub((pad.top + pad.bottom).checked_mul(scale)?)?;
    crop(
        output,
        pad.left.checked_mul(scale)?,
        pad.top.checked_mul(scale)?,
        width,
        height,
    )
}

fn signed(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ramp(channels: usize, w: usize, h: usize) -> Planar {
        Planar {
            channels,
            width: w,
            height: h,
            data: (0..channels * w * h).map(|i| i as f32).collect(),
        }
    }

    #[test]
    fn reflection_does_not_repeat_the_edge() {
        let got: Vec<usize> = (-5..9).map(|i| reflect_index(i, 4)).collect();
        assert_eq!(got, vec![1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2]);
        assert_eq!(reflect_index(-3, 1), 0);
    }

    #[test]
    fn pads_rows_and_columns_by_reflection() {
        // One plane, 3x2: rows [0 1 2] and [3 4 5].
        let src = ramp(1, 3, 2);
        let pad = Pad {
            left: 2,
            right: 1,
            top: 1,
            bottom: 0,
        };
        let out = pad_reflect(src, pad);
        assert_eq!((out.width, out.height), (6, 3));
        #[rustfmt::skip]
        assert_eq!(out.data, vec![
            5.0, 4.0, 3.0, 4.0, 5.0, 4.0,
            2.0, 1.0, 0.0, 1.0, 2.0, 1.0,
            5.0, 4.0, 3.0, 4.0, 5.0, 4.0,
        ]);
    }

    proptest! {
        #[test]
        fn unpad_gives_back_the_tile(
            channels in 1usize..=4, w in 1usize..20, h in 1usize..20,
            l in 0usize..30, r in 0usize..30, t in 0usize..30, b in 0usize..30,
        ) {
            let src = ramp(channels, w, h);
            let pad = Pad { left: l, right: r, top: t, bottom: b };
            let out = pad_reflect(src.clone(), pad);
            prop_assert_eq!((out.width, out.height), (w + l + r, h + t + b));
            prop_assert_eq!(unpad(&out, pad, 1).unwrap(), src.clone());
            // Every padded value is a value of the same plane.
            for c in 0..channels {
                let plane = src.plane(c);
                prop_assert!(out.plane(c).iter().all(|v| plane.contains(v)));
            }
        }
    }
}
