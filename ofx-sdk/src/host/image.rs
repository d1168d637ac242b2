//! The host's in-memory image: float RGBA, rows top to bottom, as files and tests see pictures. The
//! conversion to what a plugin sees (depth, components, bottom-left origin, row bytes) is in `pixels.rs`.

/// A float RGBA image, rows stored top to bottom, 4 interleaved channels per pixel.
///
/// Values are passed through untouched: no colour conversion or clamping happens in the host except
/// where a plugin asks for integer pixels (Byte/Short clamp to 0..1).
#[derive(Clone, PartialEq)]
pub struct Image {
    width: usize,
    height: usize,
    data: Vec<f32>,
}

impl Image {
    /// A transparent black image.
    pub fn new(width: usize, height: usize) -> Image {
        Image {
            width,
            height,
            data: vec![0.0; width * height * 4],
        }
    }

    /// Wraps RGBA data (`width * height * 4` values, top row first). `None` when the length is wrong.
    pub fn from_rgba(width: usize, height: usize, data: Vec<f32>) -> Option<Image> {
        (width.checked_mul(height)?.checked_mul(4)? == data.len()).then_some(Image {
            width,
            height,
            data,
        })
    }

    /// An image where every pixel has the given RGBA value.
    pub fn filled(width: usize, height: usize, rgba: [f32; 4]) -> Image {
        let data = std::iter::repeat_n(rgba, width * height)
            .flatten()
            .collect();
        Image {
            width,
            height,
            data,
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// All values, RGBA interleaved, top row first.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    pub fn into_data(self) -> Vec<f32> {
        self.data
    }

    /// The pixel at column `x`, row `y` counted from the top; `None` outside the image.
    pub fn pixel(&self, x: usize, y: usize) -> Option<[f32; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y * self.width + x) * 4;
        Some([
            self.data[i],
            self.data[i + 1],
            self.data[i + 2],
            self.data[i + 3],
        ])
    }

    pub fn set_pixel(&mut self, x: usize, y: usize, rgba: [f32; 4]) {
        if x < self.width && y < self.height {
            let i = (y * self.width + x) * 4;
            self.data[i..i + 4].copy_from_slice(&rgba);
        }
    }

    /// One row (top first) as RGBA values.
    pub fn row(&self, y: usize) -> &[f32] {
        &self.data[y * self.width * 4..(y + 1) * self.width * 4]
    }

    /// Resamples to `width` × `height` by area averaging (each output pixel is the coverage-weighted
    /// mean of the input pixels under it), which is what a render scale below 1 needs.
    pub fn resized(&self, width: usize, height: usize) -> Image {
        if width == self.width && height == self.height {
            return self.clone();
        }
        let mut out = Image::new(width, height);
        if self.width == 0 || self.height == 0 {
            return out;
        }
        let xs = spans(self.width, width);
        let ys = spans(self.height, height);
        let mut acc = vec![0.0f64; width * 4];
        for (oy, yspan) in ys.iter().enumerate() {
            acc.iter_mut().for_each(|v| *v = 0.0);
            for &(iy, wy) in yspan {
                let row = self.row(iy);
                for (ox, xspan) in xs.iter().enumerate() {
                    for &(ix, wx) in xspan {
                        let w = wx * wy;
                        for c in 0..4 {
                            acc[ox * 4 + c] += w * f64::from(row[ix * 4 + c]);
                        }
                    }
                }
            }
            let dst = &mut out.data[oy * width * 4..(oy + 1) * width * 4];
            for (d, a) in dst.iter_mut().zip(&acc) {
                *d = narrow(*a);
            }
        }
        out
    }
}

/// For each output index, the input indices it covers and their normalised weights.
fn spans(from: usize, to: usize) -> Vec<Vec<(usize, f64)>> {
    let scale = from as f64 / to as f64;
    (0..to)
        .map(|o| {
            let start = o as f64 * scale;
            let end = start + scale;
            let first = start.floor() as usize;
            let last = (end.ceil() as usize).min(from).max(first + 1);
            let mut v: Vec<(usize, f64)> = (first..last)
                .map(|i| {
                    let lo = start.max(i as f64);
                    let hi = end.min(i as f64 + 1.0);
                    (i.min(from - 1), (hi - lo).max(0.0))
                })
                .filter(|(_, w)| *w > 0.0)
                .collect();
            let total: f64 = v.iter().map(|(_, w)| w).sum();
            if total > 0.0 {
                v.iter_mut().for_each(|(_, w)| *w /= total);
            } else {
                v = vec![(first.min(from - 1), 1.0)];
            }
            v
        })
        .collect()
}

#[allow(clippy::cast_possible_truncation)]
fn narrow(v: f64) -> f32 {
    v as f32
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Image({}x{})", self.width, self.height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_rgba_checks_length() {
        assert!(Image::from_rgba(2, 2, vec![0.0; 16]).is_some());
        assert!(Image::from_rgba(2, 2, vec![0.0; 15]).is_none());
    }

    #[test]
    fn halving_averages_blocks() {
        let mut img = Image::new(4, 2);
        for x in 0..4 {
            for y in 0..2 {
                img.set_pixel(x, y, [x as f32, y as f32, 1.0, 1.0]);
            }
        }
        let half = img.resized(2, 1);
        assert_eq!(half.pixel(0, 0), Some([0.5, 0.5, 1.0, 1.0]));
        assert_eq!(half.pixel(1, 0), Some([2.5, 0.5, 1.0, 1.0]));
        let odd = img.resized(3, 1);
        assert_eq!(odd.width(), 3);
        assert!((odd.pixel(1, 0).unwrap()[0] - 1.5).abs() < 1e-6);
    }
}
