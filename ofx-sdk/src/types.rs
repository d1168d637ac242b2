//! Value types shared by the plugin side and the host side: rectangles, pixel depths, components,
//! contexts. Each enum maps to and from the OpenFX string constant that names it.

use std::ffi::CStr;

use crate::ofx_str;
use crate::raw::sys;

/// An integer rectangle in pixel coordinates: `x1 <= x < x2`, `y1 <= y < y2`, origin bottom-left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RectI {
    pub x1: i32,
    pub y1: i32,
    pub x2: i32,
    pub y2: i32,
}

impl RectI {
    pub const fn new(x1: i32, y1: i32, x2: i32, y2: i32) -> Self {
        RectI { x1, y1, x2, y2 }
    }

    /// Width in pixels, zero for an empty or inverted rectangle.
    pub fn width(&self) -> usize {
        usize::try_from(i64::from(self.x2) - i64::from(self.x1)).unwrap_or(0)
    }

    /// Height in pixels, zero for an empty or inverted rectangle.
    pub fn height(&self) -> usize {
        usize::try_from(i64::from(self.y2) - i64::from(self.y1)).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.width() == 0 || self.height() == 0
    }

    /// The overlap of two rectangles, `None` when they do not overlap.
    pub fn intersect(&self, other: &RectI) -> Option<RectI> {
        let r = RectI::new(
            self.x1.max(other.x1),
            self.y1.max(other.y1),
            self.x2.min(other.x2),
            self.y2.min(other.y2),
        );
        (!r.is_empty()).then_some(r)
    }

    /// Whether `other` lies entirely inside `self`.
    pub fn contains(&self, other: &RectI) -> bool {
        other.x1 >= self.x1 && other.y1 >= self.y1 && other.x2 <= self.x2 && other.y2 <= self.y2
    }

    pub fn to_rect_d(self) -> RectD {
        RectD::new(
            self.x1.into(),
            self.y1.into(),
            self.x2.into(),
            self.y2.into(),
        )
    }
}

impl From<sys::OfxRectI> for RectI {
    fn from(r: sys::OfxRectI) -> Self {
        RectI::new(r.x1, r.y1, r.x2, r.y2)
    }
}

/// A rectangle in canonical coordinates (double precision, as RoD and RoI are exchanged).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RectD {
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
}

impl RectD {
    pub const fn new(x1: f64, y1: f64, x2: f64, y2: f64) -> Self {
        RectD { x1, y1, x2, y2 }
    }

    /// The smallest integer rectangle covering this one (rounded outwards), saturating at the `i32` range.
    pub fn round_out(&self) -> RectI {
        RectI::new(
            to_i32(self.x1.floor()),
            to_i32(self.y1.floor()),
            to_i32(self.x2.ceil()),
            to_i32(self.y2.ceil()),
        )
    }

    /// Every coordinate multiplied by `s` (a render scale or a model's spatial scale factor).
    pub fn scaled(&self, sx: f64, sy: f64) -> RectD {
        RectD::new(self.x1 * sx, self.y1 * sy, self.x2 * sx, self.y2 * sy)
    }
}

/// Float to int with saturation; `as` saturates and maps NaN to 0, which is what a host coordinate needs.
#[allow(clippy::cast_possible_truncation)]
fn to_i32(v: f64) -> i32 {
    v as i32
}

macro_rules! ofx_string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $constant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The OpenFX string constant naming this value.
            pub fn as_cstr(self) -> &'static CStr {
                match self { $($name::$variant => ofx_str!($constant)),+ }
            }

            /// The value the OpenFX string constant names, if any.
            pub fn from_cstr(s: &CStr) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_cstr() == s)
            }

            /// The constant's text, for messages and reports.
            pub fn as_str(self) -> &'static str {
                self.as_cstr().to_str().unwrap_or("?")
            }
        }
    };
}

ofx_string_enum!(
    /// Bits per channel of an image (`kOfxImageEffectPropPixelDepth`).
    PixelDepth {
        Byte => kOfxBitDepthByte,
        Short => kOfxBitDepthShort,
        Half => kOfxBitDepthHalf,
        Float => kOfxBitDepthFloat,
    }
);

impl PixelDepth {
    /// Bytes of one channel value.
    pub fn bytes(self) -> usize {
        match self {
            PixelDepth::Byte => 1,
            PixelDepth::Short | PixelDepth::Half => 2,
            PixelDepth::Float => 4,
        }
    }
}

ofx_string_enum!(
    /// Channels of an image (`kOfxImageEffectPropComponents`).
    Components {
        Rgba => kOfxImageComponentRGBA,
        Rgb => kOfxImageComponentRGB,
        Alpha => kOfxImageComponentAlpha,
    }
);

impl Components {
    /// Channels per pixel.
    pub fn count(self) -> usize {
        match self {
            Components::Rgba => 4,
            Components::Rgb => 3,
            Components::Alpha => 1,
        }
    }
}

ofx_string_enum!(
    /// The context an effect is described and instantiated in (`kOfxImageEffectPropContext`).
    Context {
        Filter => kOfxImageEffectContextFilter,
        General => kOfxImageEffectContextGeneral,
        Generator => kOfxImageEffectContextGenerator,
        Transition => kOfxImageEffectContextTransition,
        Paint => kOfxImageEffectContextPaint,
        Retimer => kOfxImageEffectContextRetimer,
    }
);

ofx_string_enum!(
    /// How colour relates to alpha in an image (`kOfxImageEffectPropPreMultiplication`).
    Premultiplication {
        Opaque => kOfxImageOpaque,
        PreMultiplied => kOfxImagePreMultiplied,
        UnPreMultiplied => kOfxImageUnPreMultiplied,
    }
);

ofx_string_enum!(
    /// What a plugin promises about concurrent renders (`kOfxImageEffectPluginRenderThreadSafety`).
    RenderThreadSafety {
        Unsafe => kOfxImageEffectRenderUnsafe,
        InstanceSafe => kOfxImageEffectRenderInstanceSafe,
        FullySafe => kOfxImageEffectRenderFullySafe,
    }
);

ofx_string_enum!(
    /// The field an image or a render belongs to (`kOfxImageEffectPropFieldToRender`, `kOfxImagePropField`).
    Field {
        None => kOfxImageFieldNone,
        Both => kOfxImageFieldBoth,
        Lower => kOfxImageFieldLower,
        Upper => kOfxImageFieldUpper,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rect_sizes_and_overlap() {
        let a = RectI::new(0, 0, 10, 5);
        assert_eq!((a.width(), a.height()), (10, 5));
        assert_eq!(RectI::new(5, 5, 0, 0).width(), 0);
        assert_eq!(
            a.intersect(&RectI::new(8, 2, 20, 20)),
            Some(RectI::new(8, 2, 10, 5))
        );
        assert_eq!(a.intersect(&RectI::new(10, 0, 20, 5)), None);
        assert!(a.contains(&RectI::new(1, 1, 10, 5)));
        assert!(!a.contains(&RectI::new(-1, 1, 10, 5)));
    }

    #[test]
    fn round_out_covers_and_saturates() {
        assert_eq!(
            RectD::new(0.5, -0.5, 9.2, 4.0).round_out(),
            RectI::new(0, -1, 10, 4)
        );
        assert_eq!(
            RectD::new(f64::NEG_INFINITY, 0.0, 1e300, 1.0).round_out(),
            RectI::new(i32::MIN, 0, i32::MAX, 1)
        );
    }

    #[test]
    fn string_enums_round_trip() {
        for d in PixelDepth::ALL {
            assert_eq!(PixelDepth::from_cstr(d.as_cstr()), Some(*d));
        }
        assert_eq!(PixelDepth::Float.as_str(), "OfxBitDepthFloat");
        assert_eq!(
            Components::from_cstr(c"OfxImageComponentRGBA"),
            Some(Components::Rgba)
        );
        assert_eq!(Context::from_cstr(c"nonsense"), None);
    }
}
