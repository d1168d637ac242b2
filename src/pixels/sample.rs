//! Conversions between host sample types and the pipeline's `f32`. Integer depths map their full range to
//! 0..1 and back with rounding, so an identity model gives back the exact input values.

use half::f16;

pub fn from_u8(v: u8) -> f32 {
    f32::from(v) / 255.0
}

pub fn from_u16(v: u16) -> f32 {
    f32::from(v) / 65535.0
}

pub fn from_f16(v: f16) -> f32 {
    v.to_f32()
}

/// Clamps to 0..1 (NaN to 0) and rounds to the nearest code.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn to_u8(v: f32) -> u8 {
    // The clamp bounds the value to 0..=255 and `as` maps NaN to 0.
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn to_u16(v: f32) -> u16 {
    // As in `to_u8`, over 0..=65535.
    (v.clamp(0.0, 1.0) * 65535.0).round() as u16
}

pub fn to_f16(v: f32) -> f16 {
    f16::from_f32(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_depths_round_trip_exactly() {
        for v in 0..=u8::MAX {
            assert_eq!(to_u8(from_u8(v)), v);
        }
        for v in 0..=u16::MAX {
            assert_eq!(to_u16(from_u16(v)), v);
        }
    }

    #[test]
    fn out_of_range_and_nan_clamp() {
        assert_eq!(to_u8(-0.5), 0);
        assert_eq!(to_u8(7.0), 255);
        assert_eq!(to_u8(f32::NAN), 0);
        assert_eq!(to_u16(f32::INFINITY), 65535);
    }
}
