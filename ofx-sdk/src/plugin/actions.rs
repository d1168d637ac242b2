//! The actions the host sends, parsed from their C names, and their arguments as typed structs read from
//! the `inArgs` property set. Optional arguments that some hosts leave unset take the spec's defaults.

use std::ffi::{CStr, CString};

use crate::error::Result;
use crate::ofx_str;
use crate::suites::property::PropertySet;
use crate::types::{Components, Field, PixelDepth, Premultiplication, RectD, RectI};

/// Every action this SDK dispatches; anything else gets `kOfxStatReplyDefault`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Load,
    Unload,
    Describe,
    DescribeInContext,
    CreateInstance,
    DestroyInstance,
    Render,
    BeginSequenceRender,
    EndSequenceRender,
    GetRegionOfDefinition,
    GetRegionsOfInterest,
    GetClipPreferences,
    IsIdentity,
    InstanceChanged,
    PurgeCaches,
    GetFramesNeeded,
}

impl Action {
    const NAMES: [(Action, &'static CStr); 16] = [
        (Action::Load, ofx_str!(kOfxActionLoad)),
        (Action::Unload, ofx_str!(kOfxActionUnload)),
        (Action::Describe, ofx_str!(kOfxActionDescribe)),
        (
            Action::DescribeInContext,
            ofx_str!(kOfxImageEffectActionDescribeInContext),
        ),
        (Action::CreateInstance, ofx_str!(kOfxActionCreateInstance)),
        (Action::DestroyInstance, ofx_str!(kOfxActionDestroyInstance)),
        (Action::Render, ofx_str!(kOfxImageEffectActionRender)),
        (
            Action::BeginSequenceRender,
            ofx_str!(kOfxImageEffectActionBeginSequenceRender),
        ),
        (
            Action::EndSequenceRender,
            ofx_str!(kOfxImageEffectActionEndSequenceRender),
        ),
        (
            Action::GetRegionOfDefinition,
            ofx_str!(kOfxImageEffectActionGetRegionOfDefinition),
        ),
        (
            Action::GetRegionsOfInterest,
            ofx_str!(kOfxImageEffectActionGetRegionsOfInterest),
        ),
        (
            Action::GetClipPreferences,
            ofx_str!(kOfxImageEffectActionGetClipPreferences),
        ),
        (
            Action::IsIdentity,
            ofx_str!(kOfxImageEffectActionIsIdentity),
        ),
        (Action::InstanceChanged, ofx_str!(kOfxActionInstanceChanged)),
        (Action::PurgeCaches, ofx_str!(kOfxActionPurgeCaches)),
        (
            Action::GetFramesNeeded,
            ofx_str!(kOfxImageEffectActionGetFramesNeeded),
        ),
    ];

    pub fn from_cstr(name: &CStr) -> Option<Action> {
        Self::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(a, _)| *a)
    }

    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(a, _)| *a == self)
            .and_then(|(_, n)| n.to_str().ok())
            .unwrap_or("?")
    }

    /// Actions on an instance (as opposed to the plugin or a descriptor).
    pub fn is_instance_action(self) -> bool {
        !matches!(
            self,
            Action::Load | Action::Unload | Action::Describe | Action::DescribeInContext
        )
    }
}

fn render_scale(args: &PropertySet<'_>) -> (f64, f64) {
    args.get_doubles::<2>(ofx_str!(kOfxImageEffectPropRenderScale))
        .map_or((1.0, 1.0), |[x, y]| (x, y))
}

fn field(args: &PropertySet<'_>) -> Field {
    args.get_cstring(ofx_str!(kOfxImageEffectPropFieldToRender), 0)
        .ok()
        .and_then(|f| Field::from_cstr(&f))
        .unwrap_or(Field::None)
}

fn flag(args: &PropertySet<'_>, name: &CStr) -> bool {
    args.get_int(name, 0).is_ok_and(|v| v != 0)
}

/// `kOfxImageEffectActionRender`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderArgs {
    pub time: f64,
    /// The pixels to fill, in pixel coordinates at `render_scale`.
    pub window: RectI,
    pub render_scale: (f64, f64),
    pub field: Field,
    pub sequential: bool,
    pub interactive: bool,
}

impl RenderArgs {
    pub(crate) fn read(args: &PropertySet<'_>) -> Result<Self> {
        Ok(RenderArgs {
            time: args.get_double(ofx_str!(kOfxPropTime), 0)?,
            window: args.get_rect_i(ofx_str!(kOfxImageEffectPropRenderWindow))?,
            render_scale: render_scale(args),
            field: field(args),
            sequential: flag(args, ofx_str!(kOfxImageEffectPropSequentialRenderStatus)),
            interactive: flag(args, ofx_str!(kOfxImageEffectPropInteractiveRenderStatus)),
        })
    }
}

/// `kOfxImageEffectActionBeginSequenceRender` and `...EndSequenceRender`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeginSequenceRenderArgs {
    pub frame_range: (f64, f64),
    pub frame_step: f64,
    pub render_scale: (f64, f64),
    pub interactive: bool,
    pub sequential: bool,
}

impl BeginSequenceRenderArgs {
    pub(crate) fn read(args: &PropertySet<'_>) -> Self {
        BeginSequenceRenderArgs {
            frame_range: args
                .get_doubles::<2>(ofx_str!(kOfxImageEffectPropFrameRange))
                .map_or((0.0, 0.0), |[a, b]| (a, b)),
            frame_step: args
                .get_double(ofx_str!(kOfxImageEffectPropFrameStep), 0)
                .unwrap_or(1.0),
            render_scale: render_scale(args),
            interactive: flag(args, ofx_str!(kOfxPropIsInteractive)),
            sequential: flag(args, ofx_str!(kOfxImageEffectPropSequentialRenderStatus)),
        }
    }
}

/// `kOfxImageEffectActionGetRegionOfDefinition`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegionOfDefinitionArgs {
    pub time: f64,
    pub render_scale: (f64, f64),
}

impl RegionOfDefinitionArgs {
    pub(crate) fn read(args: &PropertySet<'_>) -> Result<Self> {
        Ok(RegionOfDefinitionArgs {
            time: args.get_double(ofx_str!(kOfxPropTime), 0)?,
            render_scale: render_scale(args),
        })
    }
}

/// `kOfxImageEffectActionGetRegionsOfInterest`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegionsOfInterestArgs {
    pub time: f64,
    pub render_scale: (f64, f64),
    /// The output region the host wants rendered, in canonical coordinates.
    pub region_of_interest: RectD,
}

impl RegionsOfInterestArgs {
    pub(crate) fn read(args: &PropertySet<'_>) -> Result<Self> {
        Ok(RegionsOfInterestArgs {
            time: args.get_double(ofx_str!(kOfxPropTime), 0)?,
            render_scale: render_scale(args),
            region_of_interest: args.get_rect_d(ofx_str!(kOfxImageEffectPropRegionOfInterest))?,
        })
    }
}

/// The regions of each input clip an effect needs, answered to GetRegionsOfInterest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionsOfInterest {
    pub(crate) regions: Vec<(CString, RectD)>,
}

impl RegionsOfInterest {
    pub fn set(&mut self, clip: &CStr, region: RectD) {
        self.regions.push((clip.to_owned(), region));
    }
}

/// `kOfxImageEffectActionGetFramesNeeded` (only sent to effects with temporal clip access).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FramesNeededArgs {
    pub time: f64,
}

impl FramesNeededArgs {
    pub(crate) fn read(args: &PropertySet<'_>) -> Result<Self> {
        Ok(FramesNeededArgs {
            time: args.get_double(ofx_str!(kOfxPropTime), 0)?,
        })
    }
}

/// The frames of each input clip an effect needs to render one frame, answered to GetFramesNeeded:
/// inclusive ranges in the clip's time. Clips left out get the host's default (the frame itself).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FramesNeeded {
    pub(crate) ranges: Vec<(CString, Vec<(f64, f64)>)>,
}

impl FramesNeeded {
    pub fn set(&mut self, clip: &CStr, ranges: &[(f64, f64)]) {
        self.ranges.push((clip.to_owned(), ranges.to_vec()));
    }
}

/// `kOfxImageEffectActionIsIdentity`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsIdentityArgs {
    pub time: f64,
    pub window: RectI,
    pub render_scale: (f64, f64),
    pub field: Field,
}

impl IsIdentityArgs {
    pub(crate) fn read(args: &PropertySet<'_>) -> Result<Self> {
        Ok(IsIdentityArgs {
            time: args.get_double(ofx_str!(kOfxPropTime), 0)?,
            window: args.get_rect_i(ofx_str!(kOfxImageEffectPropRenderWindow))?,
            render_scale: render_scale(args),
            field: field(args),
        })
    }
}

/// The answer to IsIdentity: which clip (and time) the output equals.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub clip: CString,
    pub time: f64,
}

/// Why an instance changed (`kOfxPropChangeReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeReason {
    UserEdited,
    PluginEdited,
    Time,
    Other,
}

/// `kOfxActionInstanceChanged`.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceChangedArgs {
    /// The parameter or clip that changed.
    pub name: String,
    pub is_clip: bool,
    pub reason: ChangeReason,
    pub time: f64,
    pub render_scale: (f64, f64),
}

impl InstanceChangedArgs {
    pub(crate) fn read(args: &PropertySet<'_>) -> Result<Self> {
        let reason = args.get_cstring(ofx_str!(kOfxPropChangeReason), 0).ok();
        let reason = match reason.as_deref() {
            Some(r) if r == ofx_str!(kOfxChangeUserEdited) => ChangeReason::UserEdited,
            Some(r) if r == ofx_str!(kOfxChangePluginEdited) => ChangeReason::PluginEdited,
            Some(r) if r == ofx_str!(kOfxChangeTime) => ChangeReason::Time,
            _ => ChangeReason::Other,
        };
        let kind = args.get_cstring(ofx_str!(kOfxPropType), 0).ok();
        Ok(InstanceChangedArgs {
            name: args.get_string(ofx_str!(kOfxPropName), 0)?,
            is_clip: kind.as_deref() == Some(ofx_str!(kOfxTypeClip)),
            reason,
            time: args.get_double(ofx_str!(kOfxPropTime), 0).unwrap_or(0.0),
            render_scale: render_scale(args),
        })
    }
}

/// What an effect asks of its clips in GetClipPreferences (hosts may not honour it: MLT does not).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClipPreferences {
    pub(crate) components: Vec<(CString, Components)>,
    pub(crate) depths: Vec<(CString, PixelDepth)>,
    pub(crate) output_premultiplication: Option<Premultiplication>,
    pub(crate) colourspaces: Vec<(CString, Vec<CString>)>,
}

impl ClipPreferences {
    pub fn set_components(&mut self, clip: &CStr, components: Components) {
        self.components.push((clip.to_owned(), components));
    }

    pub fn set_depth(&mut self, clip: &CStr, depth: PixelDepth) {
        self.depths.push((clip.to_owned(), depth));
    }

    pub fn set_output_premultiplication(&mut self, premultiplication: Premultiplication) {
        self.output_premultiplication = Some(premultiplication);
    }

    /// The colourspaces the effect would like `clip`'s images in, best first (OpenFX 1.5 colour
    /// management; the host may not honour it, so read the clip's colourspace at render time).
    pub fn set_preferred_colourspaces(&mut self, clip: &CStr, names: &[&str]) {
        let names = names.iter().filter_map(|n| CString::new(*n).ok()).collect();
        self.colourspaces.push((clip.to_owned(), names));
    }
}

/// The `OfxImageClipProp<What>_<clip>` property names that RoI and clip preferences answer in.
pub(crate) fn per_clip_property(prefix: &str, clip: &CStr) -> Option<CString> {
    CString::new(format!("{prefix}{}", clip.to_string_lossy())).ok()
}
