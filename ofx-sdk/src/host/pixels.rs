//! Image memory as a plugin sees it: a depth × components layout over `bounds` in pixel coordinates
//! (origin bottom-left), rows `row_bytes` apart, and `kOfxImagePropData` pointing at the bottom-left
//! pixel. Row bytes may be negative: the rows are then stored top-down and the data pointer is the last
//! scanline in memory, as MLT does. Conversion from and to the host's float RGBA [`Image`] is here.

use half::f16;

use crate::types::{Components, PixelDepth, RectI};

use super::image::Image;
use super::memory::RawAlloc;

/// One image's pixels in a plugin's format.
#[derive(Debug)]
pub(crate) struct PixelBuffer {
    pub depth: PixelDepth,
    pub components: Components,
    pub bounds: RectI,
    pub row_bytes: isize,
    alloc: RawAlloc,
    /// Byte offset of the bottom row (`bounds.y1`) in the allocation.
    data_offset: usize,
}

impl PixelBuffer {
    /// A zeroed buffer; `None` if the size overflows or memory is short.
    pub(crate) fn new(
        depth: PixelDepth,
        components: Components,
        bounds: RectI,
        negative_rows: bool,
    ) -> Option<Self> {
        let (w, h) = (bounds.width(), bounds.height());
        let row = w
            .checked_mul(components.count())?
            .checked_mul(depth.bytes())?;
        let alloc = RawAlloc::zeroed(row.checked_mul(h)?)?;
        let row_i = isize::try_from(row).ok()?;
        let (row_bytes, data_offset) = if negative_rows {
            (-row_i, row * h.saturating_sub(1))
        } else {
            (row_i, 0)
        };
        Some(PixelBuffer {
            depth,
            components,
            bounds,
            row_bytes,
            alloc,
            data_offset,
        })
    }

    /// `kOfxImagePropData`: the address of pixel (`bounds.x1`, `bounds.y1`).
    pub(crate) fn data_ptr(&self) -> usize {
        self.alloc
            .as_ptr()
            .wrapping_add(self.data_offset)
            .expose_provenance()
    }

    fn pixel_bytes(&self) -> usize {
        self.components.count() * self.depth.bytes()
    }

    /// Byte offset in the allocation of the start of row `y` (pixel coordinates).
    fn row_offset(&self, y: i32) -> usize {
        let dy = (i64::from(y) - i64::from(self.bounds.y1)) as isize;
        (self.data_offset as isize + dy * self.row_bytes) as usize
    }

    /// Fills the buffer from `image`, which covers `image_rect` in pixel coordinates (its top row is
    /// `image_rect.y2 - 1`). Pixels of the bounds outside the image stay zero.
    ///
    /// # Safety
    /// No plugin may be using the buffer (call it before handing the buffer out).
    pub(crate) unsafe fn fill_from(&self, image: &Image, image_rect: RectI) {
        let Some(area) = self.bounds.intersect(&image_rect) else {
            return;
        };
        let (pb, comps, depth) = (self.pixel_bytes(), self.components, self.depth);
        let fill = |bytes: &mut [u8]| {
            for y in area.y1..area.y2 {
                let src_row = (image_rect.y2 - 1 - y) as usize;
                let src = image.row(src_row);
                let start = self.row_offset(y) + (area.x1 - self.bounds.x1) as usize * pb;
                let dst = &mut bytes[start..start + area.width() * pb];
                let first = (area.x1 - image_rect.x1) as usize;
                for (i, px) in dst.chunks_exact_mut(pb).enumerate() {
                    let s = &src[(first + i) * 4..(first + i) * 4 + 4];
                    let values: &[f32] = match comps {
                        Components::Rgba => s,
                        Components::Rgb => &s[..3],
                        Components::Alpha => &s[3..4],
                    };
                    for (c, v) in values.iter().enumerate() {
                        write_value(
                            depth,
                            &mut px[c * depth.bytes()..(c + 1) * depth.bytes()],
                            *v,
                        );
                    }
                }
            }
        };
        // SAFETY: the caller guarantees no plugin is using the buffer.
        unsafe { self.alloc.with_bytes(fill) }
    }

    /// Reads `window` (inside the bounds) back as float RGBA, top row first. RGB reads with alpha 1;
    /// Alpha reads as grey (r = g = b = a).
    ///
    /// # Safety
    /// No plugin may be writing the buffer (call it after the render action returned).
    pub(crate) unsafe fn read(&self, window: RectI) -> Image {
        let mut out = Image::new(window.width(), window.height());
        let Some(area) = self.bounds.intersect(&window) else {
            return out;
        };
        let (pb, comps, depth) = (self.pixel_bytes(), self.components, self.depth);
        let read = |bytes: &mut [u8]| {
            for y in area.y1..area.y2 {
                let start = self.row_offset(y) + (area.x1 - self.bounds.x1) as usize * pb;
                let src = &bytes[start..start + area.width() * pb];
                let out_row = (window.y2 - 1 - y) as usize;
                for (i, px) in src.chunks_exact(pb).enumerate() {
                    let v = |c: usize| {
                        read_value(depth, &px[c * depth.bytes()..(c + 1) * depth.bytes()])
                    };
                    let rgba = match comps {
                        Components::Rgba => [v(0), v(1), v(2), v(3)],
                        Components::Rgb => [v(0), v(1), v(2), 1.0],
                        Components::Alpha => [v(0); 4],
                    };
                    out.set_pixel((area.x1 - window.x1) as usize + i, out_row, rgba);
                }
            }
        };
        // SAFETY: the caller guarantees no plugin is writing the buffer.
        unsafe { self.alloc.with_bytes(read) };
        out
    }
}

/// Integer depths map 0..1 to the full range, clamping and rounding; floats pass through.
fn write_value(depth: PixelDepth, dst: &mut [u8], v: f32) {
    match depth {
        PixelDepth::Byte => dst[0] = (v.clamp(0.0, 1.0) * 255.0).round() as u8,
        PixelDepth::Short => {
            dst.copy_from_slice(&((v.clamp(0.0, 1.0) * 65535.0).round() as u16).to_ne_bytes())
        }
        PixelDepth::Half => dst.copy_from_slice(&f16::from_f32(v).to_ne_bytes()),
        PixelDepth::Float => dst.copy_from_slice(&v.to_ne_bytes()),
    }
}

fn read_value(depth: PixelDepth, src: &[u8]) -> f32 {
    match depth {
        PixelDepth::Byte => f32::from(src[0]) / 255.0,
        PixelDepth::Short => f32::from(u16::from_ne_bytes([src[0], src[1]])) / 65535.0,
        PixelDepth::Half => f16::from_ne_bytes([src[0], src[1]]).to_f32(),
        PixelDepth::Float => f32::from_ne_bytes([src[0], src[1], src[2], src[3]]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(w: usize, h: usize) -> Image {
        let mut img = Image::new(w, h);
        for y in 0..h {
            for x in 0..w {
                img.set_pixel(x, y, [x as f32 / 8.0, y as f32 / 8.0, 0.5, 1.0]);
            }
        }
        img
    }

    #[test]
    fn round_trips_every_depth_and_row_order() {
        let img = ramp(5, 3);
        let rect = RectI::new(0, 0, 5, 3);
        for depth in PixelDepth::ALL {
            for negative in [false, true] {
                let buf = PixelBuffer::new(*depth, Components::Rgba, rect, negative).unwrap();
                // SAFETY: no plugin has the buffer.
                let back = unsafe {
                    buf.fill_from(&img, rect);
                    buf.read(rect)
                };
                for (a, b) in img.data().iter().zip(back.data()) {
                    assert!(
                        (a - b).abs() < 2e-3,
                        "{depth:?} negative={negative}: {a} vs {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn data_pointer_is_the_bottom_left_pixel() {
        let rect = RectI::new(0, 0, 2, 3);
        let up = PixelBuffer::new(PixelDepth::Byte, Components::Rgba, rect, false).unwrap();
        let down = PixelBuffer::new(PixelDepth::Byte, Components::Rgba, rect, true).unwrap();
        assert_eq!(up.row_bytes, 8);
        assert_eq!(down.row_bytes, -8);
        assert_eq!(up.data_ptr(), up.alloc.as_ptr().addr());
        assert_eq!(down.data_ptr(), down.alloc.as_ptr().addr() + 16);
        // The top image row is the last scanline of a bottom-up buffer and the first of a top-down one.
        let mut img = Image::new(2, 3);
        img.set_pixel(0, 0, [1.0, 0.0, 0.0, 1.0]);
        // SAFETY: no plugin has the buffers.
        unsafe {
            up.fill_from(&img, rect);
            down.fill_from(&img, rect);
            up.alloc.with_bytes(|b| assert_eq!(b[16], 255));
            down.alloc.with_bytes(|b| assert_eq!(b[0], 255));
        }
    }

    #[test]
    fn bounds_larger_than_the_image_stay_zero_and_components_convert() {
        let img = Image::filled(2, 2, [0.25, 0.5, 0.75, 0.5]);
        let bounds = RectI::new(-1, -1, 3, 3);
        let buf = PixelBuffer::new(PixelDepth::Float, Components::Rgb, bounds, true).unwrap();
        // SAFETY: no plugin has the buffer.
        let all = unsafe {
            buf.fill_from(&img, RectI::new(0, 0, 2, 2));
            buf.read(bounds)
        };
        assert_eq!(all.pixel(0, 0), Some([0.0, 0.0, 0.0, 1.0]));
        assert_eq!(all.pixel(1, 1), Some([0.25, 0.5, 0.75, 1.0]));
        let alpha = PixelBuffer::new(
            PixelDepth::Byte,
            Components::Alpha,
            RectI::new(0, 0, 2, 2),
            false,
        )
        .unwrap();
        // SAFETY: no plugin has the buffer.
        let a = unsafe {
            alpha.fill_from(&img, RectI::new(0, 0, 2, 2));
            alpha.read(RectI::new(0, 0, 2, 2))
        };
        let v = 128.0 / 255.0;
        assert_eq!(a.pixel(0, 0), Some([v, v, v, v]));
    }
}
