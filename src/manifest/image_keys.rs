//! ONNX's standard image metadata (`docs/MetadataProps.md` in the ONNX repository): three
//! `metadata_props` keys that apply to every image tensor of the model. They sit below any manifest
//! document: a manifest that states the same field wins.

use super::error::{Origin, Warning};
use super::types::{ChannelOrder, Encoding, Normalize, Preset};

pub const PIXEL_FORMAT_KEY: &str = "Image.BitmapPixelFormat";
pub const GAMMA_KEY: &str = "Image.ColorSpaceGamma";
pub const RANGE_KEY: &str = "Image.NominalPixelRange";

/// What the standard keys say (each optional).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageKeys {
    /// From `Image.BitmapPixelFormat` (Gray8, Rgb8, Bgr8, Rgba8, Bgra8).
    pub channels: Option<ChannelOrder>,
    /// From `Image.ColorSpaceGamma` (Linear, SRGB).
    pub encoding: Option<Encoding>,
    /// From `Image.NominalPixelRange` (NominalRange_0_255, Normalized_0_1, Normalized_1_1,
    /// NominalRange_16_235).
    pub normalize: Option<Normalize>,
}

impl ImageKeys {
    /// Reads the keys from `metadata_props` entries (key, value). Keys and values match ignoring case,
    /// as ONNX's own tools do; a value we do not know is a warning, not an error (it is not our document).
    pub fn from_metadata<'a>(
        entries: impl IntoIterator<Item = (&'a str, &'a str)>,
        origin: &Origin,
        warnings: &mut Vec<Warning>,
    ) -> ImageKeys {
        let mut keys = ImageKeys::default();
        for (key, value) in entries {
            let v = value.trim().to_ascii_lowercase();
            let path = format!("metadata_props[{key}]");
            let known = if key.eq_ignore_ascii_case(PIXEL_FORMAT_KEY) {
                keys.channels = match v.as_str() {
                    "gray8" => Some(ChannelOrder::Gray),
                    "rgb8" => Some(ChannelOrder::Rgb),
                    "bgr8" => Some(ChannelOrder::Bgr),
                    "rgba8" => Some(ChannelOrder::Rgba),
                    "bgra8" => Some(ChannelOrder::Bgra),
                    _ => None,
                };
                Some((keys.channels.is_some(), "Gray8, Rgb8, Bgr8, Rgba8, Bgra8"))
            } else if key.eq_ignore_ascii_case(GAMMA_KEY) {
                keys.encoding = match v.as_str() {
                    "linear" => Some(Encoding::Linear),
                    "srgb" => Some(Encoding::Srgb),
                    _ => None,
                };
                Some((keys.encoding.is_some(), "Linear, SRGB"))
            } else if key.eq_ignore_ascii_case(RANGE_KEY) {
                let preset = match v.as_str() {
                    "nominalrange_0_255" => Some(Preset::ZeroTo255),
                    "normalized_0_1" => Some(Preset::ZeroOne),
                    "normalized_1_1" => Some(Preset::MinusOneOne),
                    "nominalrange_16_235" => Some(Preset::Studio),
                    _ => None,
                };
                keys.normalize = preset.map(Normalize::Preset);
                Some((
                    preset.is_some(),
                    "NominalRange_0_255, Normalized_0_1, Normalized_1_1, NominalRange_16_235",
                ))
            } else {
                None
            };
            if let Some((false, expected)) = known {
                let shown: String = value.chars().take(40).collect();
                warnings.push(Warning {
                    origin: origin.clone(),
                    path,
                    message: format!(
                        "unknown value \"{shown}\" ignored (expected one of: {expected})"
                    ),
                });
            }
        }
        keys
    }

    pub fn is_empty(&self) -> bool {
        self.channels.is_none() && self.encoding.is_none() && self.normalize.is_none()
    }
}
