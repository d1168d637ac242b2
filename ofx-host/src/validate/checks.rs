//! Checks on rendered pixels: values that are not numbers, canary pixels a plugin left untouched or
//! wrote outside its render window, and renders that should be equal.

use ofx_sdk::host::{Image, RenderReport};
use ofx_sdk::{Components, PixelDepth, RectI};

/// Two canary fills with every channel different, exactly representable at every depth (multiples of
/// 1/255 that are also exact in half floats closely enough to round-trip).
pub const CANARY_A: [f32; 4] = [0.2, 0.4, 0.6, 0.8];
pub const CANARY_B: [f32; 4] = [0.8, 0.6, 0.4, 0.2];

/// Odd values in an output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Odd {
    pub nan: usize,
    pub infinite: usize,
    pub denormal: usize,
}

impl Odd {
    pub fn any(&self) -> bool {
        self.nan + self.infinite + self.denormal > 0
    }

    /// `3 NaN, 1 infinite` ...
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.nan > 0 {
            parts.push(format!("{} NaN", self.nan));
        }
        if self.infinite > 0 {
            parts.push(format!("{} infinite", self.infinite));
        }
        if self.denormal > 0 {
            parts.push(format!("{} denormal", self.denormal));
        }
        parts.join(", ")
    }
}

/// Counts NaN and infinite values (floating-point depths only have them) and float32 denormals,
/// over the channels the image has.
pub fn odd_values(image: &Image, depth: PixelDepth, components: Components) -> Odd {
    let mut odd = Odd::default();
    if matches!(depth, PixelDepth::Byte | PixelDepth::Short) {
        return odd;
    }
    for px in image.data().chunks_exact(4) {
        for &v in channels(px, components) {
            if v.is_nan() {
                odd.nan += 1;
            } else if v.is_infinite() {
                odd.infinite += 1;
            } else if depth == PixelDepth::Float && v.is_subnormal() {
                // Half denormals are ordinary in half images (and cheap where halves are used);
                // float32 ones slow down every later CPU operation.
                odd.denormal += 1;
            }
        }
    }
    odd
}

/// The channels an image of `components` really has, from its RGBA read-back.
fn channels(px: &[f32], components: Components) -> &[f32] {
    match components {
        Components::Rgba => px,
        Components::Rgb => &px[..3],
        Components::Alpha => &px[3..4],
    }
}

/// A canary value as it reads back from an image of `depth`.
pub fn quantised(fill: [f32; 4], depth: PixelDepth) -> [f32; 4] {
    fill.map(|v| match depth {
        PixelDepth::Byte => (v * 255.0).round() / 255.0,
        PixelDepth::Short => (v * 65535.0).round() / 65535.0,
        PixelDepth::Half => half::f16::from_f32(v).to_f32(),
        PixelDepth::Float => v,
    })
}

fn same_channels(px: &[f32], canary: [f32; 4], components: Components) -> bool {
    channels(px, components) == channels(&canary, components)
}

/// Pixels the plugin did not write: in two renders of the same frame over different canaries, a
/// pixel that still holds the canary both times. Counts pixels of the render window.
pub fn untouched(a: &RenderReport, b: &RenderReport) -> usize {
    let (ca, cb) = (quantised(CANARY_A, a.depth), quantised(CANARY_B, b.depth));
    a.image
        .data()
        .chunks_exact(4)
        .zip(b.image.data().chunks_exact(4))
        .filter(|(pa, pb)| {
            same_channels(pa, ca, a.components) && same_channels(pb, cb, b.components)
        })
        .count()
}

/// Pixels outside the render window (but inside the image bounds) that no longer hold the canary.
pub fn written_outside(report: &RenderReport, canary: [f32; 4]) -> usize {
    let Some(all) = &report.bounds_image else {
        return 0;
    };
    let c = quantised(canary, report.depth);
    let (b, w) = (report.output_bounds, report.render_window);
    let mut count = 0;
    for row in 0..all.height() {
        let y = b.y2 - 1 - to_i32(row);
        for col in 0..all.width() {
            let x = b.x1 + to_i32(col);
            if inside(w, x, y) {
                continue;
            }
            if let Some(px) = all.pixel(col, row)
                && !same_channels(&px, c, report.components)
            {
                count += 1;
            }
        }
    }
    count
}

fn inside(r: RectI, x: i32, y: i32) -> bool {
    x >= r.x1 && x < r.x2 && y >= r.y1 && y < r.y2
}

fn to_i32(v: usize) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// The largest difference between two images of the same size (NaN counts as a difference only when
/// the other value is not NaN too); `None` when the sizes differ.
pub fn max_difference(a: &Image, b: &Image) -> Option<f32> {
    if (a.width(), a.height()) != (b.width(), b.height()) {
        return None;
    }
    Some(
        a.data()
            .iter()
            .zip(b.data())
            .map(|(x, y)| match (x.is_nan(), y.is_nan()) {
                (true, true) => 0.0,
                (true, false) | (false, true) => f32::INFINITY,
                _ if x == y => 0.0,
                _ => (x - y).abs(),
            })
            .fold(0.0, f32::max),
    )
}

/// The tolerance for "the same pixels" at a depth: one step of the integer depths, a relative few ulps
/// for floats.
pub fn tolerance(depth: PixelDepth) -> f32 {
    match depth {
        PixelDepth::Byte => 1.0 / 255.0 + 1e-6,
        PixelDepth::Short => 1.0 / 65535.0 + 1e-7,
        PixelDepth::Half => 1e-3,
        PixelDepth::Float => 1e-5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ofx_sdk::Premultiplication;
    use ofx_sdk::RectD;

    fn report(
        image: Image,
        bounds_image: Option<Image>,
        window: RectI,
        bounds: RectI,
    ) -> RenderReport {
        RenderReport {
            image,
            render_action: None,
            identity: None,
            depth: PixelDepth::Float,
            components: Components::Rgba,
            premultiplication: Premultiplication::UnPreMultiplied,
            region_of_definition: RectD::default(),
            render_window: window,
            output_bounds: bounds,
            bounds_image,
            unreleased_images: 0,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn odd_values_by_depth() {
        let img = Image::from_rgba(
            2,
            1,
            vec![f32::NAN, f32::INFINITY, 1e-40, 0.5, 1e-6, 0.0, 1.0, 1.0],
        )
        .unwrap();
        let f = odd_values(&img, PixelDepth::Float, Components::Rgba);
        assert_eq!((f.nan, f.infinite, f.denormal), (1, 1, 1));
        let h = odd_values(&img, PixelDepth::Half, Components::Rgba);
        assert_eq!((h.nan, h.infinite, h.denormal), (1, 1, 0));
        assert!(!odd_values(&img, PixelDepth::Byte, Components::Rgba).any());
        assert_eq!(f.describe(), "1 NaN, 1 infinite, 1 denormal");
        // RGB ignores the alpha the read-back invents.
        let rgb = odd_values(&img, PixelDepth::Float, Components::Alpha);
        assert_eq!(rgb.nan + rgb.infinite + rgb.denormal, 0);
    }

    #[test]
    fn canaries_find_untouched_and_outside_pixels() {
        let window = RectI::new(1, 1, 2, 2);
        let bounds = RectI::new(0, 0, 3, 3);
        let a = report(Image::filled(1, 1, CANARY_A), None, window, bounds);
        let b = report(Image::filled(1, 1, CANARY_B), None, window, bounds);
        assert_eq!(untouched(&a, &b), 1);
        let written = report(Image::filled(1, 1, [0.0; 4]), None, window, bounds);
        assert_eq!(untouched(&a, &written), 0);
        let mut all = Image::filled(3, 3, CANARY_A);
        all.set_pixel(1, 1, [0.0; 4]); // the window itself
        let clean = report(Image::new(1, 1), Some(all.clone()), window, bounds);
        assert_eq!(written_outside(&clean, CANARY_A), 0);
        all.set_pixel(0, 0, [0.0; 4]); // top-left, outside
        let dirty = report(Image::new(1, 1), Some(all), window, bounds);
        assert_eq!(written_outside(&dirty, CANARY_A), 1);
        for d in PixelDepth::ALL {
            let q = quantised(CANARY_A, *d);
            assert!(q.iter().zip(CANARY_A).all(|(a, b)| (a - b).abs() < 1e-3));
        }
    }

    #[test]
    fn differences() {
        let a = Image::filled(2, 2, [0.5; 4]);
        let mut b = a.clone();
        assert_eq!(max_difference(&a, &b), Some(0.0));
        b.set_pixel(1, 1, [0.5, 0.75, 0.5, 0.5]);
        assert_eq!(max_difference(&a, &b), Some(0.25));
        assert_eq!(max_difference(&a, &Image::new(1, 1)), None);
        b.set_pixel(0, 0, [f32::NAN, 0.5, 0.5, 0.5]);
        assert_eq!(max_difference(&a, &b), Some(f32::INFINITY));
    }
}
