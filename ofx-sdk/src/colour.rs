//! OpenFX 1.5 colour management. The headers `openfx-sys` ships predate it (no `ofxColour.h`), so the
//! few names a plugin needs are defined here from the OpenFX 1.5 documentation: the negotiation property,
//! the clip properties that carry a colourspace, and the colourspace names a plugin is most likely to meet.

use std::ffi::CStr;

/// `kOfxImageEffectPropColourManagementStyle`: on the host descriptor (what the host offers) and on the
/// plugin descriptor (what the plugin can use). The highest style both support is used.
pub const PROP_COLOUR_MANAGEMENT_STYLE: &CStr = c"OfxImageEffectPropColourManagementStyle";
/// `kOfxImageClipPropColourspace`: the colourspace of a clip's images (set by the host on inputs).
pub const PROP_CLIP_COLOURSPACE: &CStr = c"OfxImageClipPropColourspace";
/// `kOfxImageClipPropPreferredColourspaces`: the colourspaces a plugin asks for, in order, answered in
/// the GetClipPreferences action.
pub const PROP_CLIP_PREFERRED_COLOURSPACES: &CStr = c"OfxImageClipPropPreferredColourspaces";

/// The colour management styles, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColourManagementStyle {
    None,
    Basic,
    Core,
    Full,
    Ocio,
}

impl ColourManagementStyle {
    const NAMES: [(ColourManagementStyle, &'static CStr); 5] = [
        (
            ColourManagementStyle::None,
            c"OfxImageEffectPropColourManagementNone",
        ),
        (
            ColourManagementStyle::Basic,
            c"OfxImageEffectPropColourManagementBasic",
        ),
        (
            ColourManagementStyle::Core,
            c"OfxImageEffectPropColourManagementCore",
        ),
        (
            ColourManagementStyle::Full,
            c"OfxImageEffectPropColourManagementFull",
        ),
        (
            ColourManagementStyle::Ocio,
            c"OfxImageEffectPropColourManagementOCIO",
        ),
    ];

    pub fn as_cstr(self) -> &'static CStr {
        Self::NAMES
            .iter()
            .find(|(s, _)| *s == self)
            .map_or(c"", |(_, n)| n)
    }

    pub fn from_cstr(name: &CStr) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(s, _)| *s)
    }
}

/// Colourspace names of the OpenFX native styles ("basic" ones first; then the "core" ones a plugin
/// converting transfer functions cares about).
pub mod colourspace {
    /// Any scene-referred linear colourspace.
    pub const OFX_LINEAR: &str = "ofx_linear";
    /// Any colourspace with a log transfer function.
    pub const OFX_LOG: &str = "ofx_log";
    /// Any display-referred SDR video such as Rec. 709.
    pub const OFX_SDR: &str = "ofx_sdr";
    /// Any display-referred HDR video (HLG, PQ).
    pub const OFX_HDR: &str = "ofx_hdr";
    /// Values that are not colour (motion vectors, masks).
    pub const OFX_RAW: &str = "ofx_raw";
    pub const RAW: &str = "Raw";
    pub const SRGB_TEXTURE: &str = "srgb_tx";
    pub const SRGB_DISPLAY: &str = "srgb_display";
    pub const LINEAR_REC709: &str = "lin_rec709_srgb";
    pub const ACESCG: &str = "ACEScg";
    pub const ACES2065_1: &str = "ACES2065-1";
    pub const ACESCCT: &str = "ACEScct";
    pub const ACESCC: &str = "ACEScc";
    pub const REC1886_REC709_DISPLAY: &str = "rec1886_rec709_display";
    pub const GAMMA24_REC709_TEXTURE: &str = "g24_rec709_tx";
    pub const GAMMA22_REC709_TEXTURE: &str = "g22_rec709_tx";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_round_trip_and_order() {
        for (style, name) in ColourManagementStyle::NAMES {
            assert_eq!(ColourManagementStyle::from_cstr(name), Some(style));
            assert_eq!(style.as_cstr(), name);
        }
        assert!(ColourManagementStyle::Ocio > ColourManagementStyle::Basic);
        assert_eq!(ColourManagementStyle::from_cstr(c"nope"), None);
    }
}
