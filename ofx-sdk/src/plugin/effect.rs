//! The safe face of an OpenFX image effect: the [`Effect`] trait a plugin implements, and the descriptor
//! and instance objects its methods are handed.

use std::ffi::{CStr, c_void};

use super::actions::{
    BeginSequenceRenderArgs, ClipPreferences, FramesNeeded, FramesNeededArgs, Identity,
    InstanceChangedArgs, IsIdentityArgs, RegionOfDefinitionArgs, RegionsOfInterest,
    RegionsOfInterestArgs, RenderArgs,
};
use crate::error::{ActionError, Error, Result};
use crate::ofx_str;
use crate::suites::image_effect::{Clip, ImageEffect};
use crate::suites::message::MessageLevel;
use crate::suites::param::{Param, ParamDef, ParamSet};
use crate::suites::progress::Progress;
use crate::suites::property::PropertySet;
use crate::types::{Components, Context, PixelDepth, RectD, RenderThreadSafety};

/// An image effect. One value of the implementing type is created per instance (`create_instance`) and
/// lives until the host destroys the instance. Hosts render concurrently, so methods take `&self`: keep
/// mutable state behind a `Mutex`. Everything the methods return as `Err` reaches the host as a status
/// plus a message; panics are caught at the boundary too, but return errors instead.
pub trait Effect: Sized + Send + Sync + 'static {
    /// The effect's error type; SDK errors convert into it.
    type Error: ActionError + From<Error>;

    /// Stable reverse-domain identifier; never change it once shipped.
    const ID: &'static CStr;
    /// Major version (a bump means saved projects may break) and minor version.
    const VERSION: (u32, u32);

    /// `kOfxActionLoad`, once per plugin before anything else (logging, global set-up).
    fn load() -> Result<(), Self::Error> {
        Ok(())
    }

    /// `kOfxActionDescribe`: labels, grouping, supported contexts and depths, threading.
    fn describe(desc: &EffectDescriptor<'_>) -> Result<(), Self::Error>;

    /// `kOfxImageEffectActionDescribeInContext`: clips and parameters for `context`.
    fn describe_in_context(
        desc: &EffectDescriptor<'_>,
        context: Context,
    ) -> Result<(), Self::Error>;

    /// `kOfxActionCreateInstance`. Clip components and depths are not known yet on every host; read them
    /// at render time.
    fn create_instance(instance: &EffectInstance<'_>) -> Result<Self, Self::Error>;

    /// `kOfxImageEffectActionRender`: fill `args.window` of the output image.
    fn render(&self, instance: &EffectInstance<'_>, args: &RenderArgs) -> Result<(), Self::Error>;

    /// `kOfxImageEffectActionGetRegionOfDefinition`; `None` lets the host use its default.
    fn region_of_definition(
        &self,
        _instance: &EffectInstance<'_>,
        _args: &RegionOfDefinitionArgs,
    ) -> Result<Option<RectD>, Self::Error> {
        Ok(None)
    }

    /// `kOfxImageEffectActionGetRegionsOfInterest`; leave `rois` empty for the host's default.
    fn regions_of_interest(
        &self,
        _instance: &EffectInstance<'_>,
        _args: &RegionsOfInterestArgs,
        _rois: &mut RegionsOfInterest,
    ) -> Result<(), Self::Error> {
        Ok(())
    }

    /// `kOfxImageEffectActionGetFramesNeeded` (effects with temporal clip access): the frames of each
    /// input clip one output frame needs; leave `frames` empty for the host's default (the same frame).
    fn frames_needed(
        &self,
        _instance: &EffectInstance<'_>,
        _args: &FramesNeededArgs,
        _frames: &mut FramesNeeded,
    ) -> Result<(), Self::Error> {
        Ok(())
    }

    /// `kOfxImageEffectActionIsIdentity`; `Some` names the clip the output would equal.
    fn is_identity(
        &self,
        _instance: &EffectInstance<'_>,
        _args: &IsIdentityArgs,
    ) -> Result<Option<Identity>, Self::Error> {
        Ok(None)
    }

    /// `kOfxImageEffectActionGetClipPreferences`; leave `prefs` empty for the host's default.
    fn clip_preferences(
        &self,
        _instance: &EffectInstance<'_>,
        _prefs: &mut ClipPreferences,
    ) -> Result<(), Self::Error> {
        Ok(())
    }

    /// `kOfxActionInstanceChanged` (never sent by some hosts: do not depend on it).
    fn instance_changed(
        &self,
        _instance: &EffectInstance<'_>,
        _args: &InstanceChangedArgs,
    ) -> Result<(), Self::Error> {
        Ok(())
    }

    fn begin_sequence_render(
        &self,
        _instance: &EffectInstance<'_>,
        _args: &BeginSequenceRenderArgs,
    ) -> Result<(), Self::Error> {
        Ok(())
    }

    fn end_sequence_render(
        &self,
        _instance: &EffectInstance<'_>,
        _args: &BeginSequenceRenderArgs,
    ) -> Result<(), Self::Error> {
        Ok(())
    }

    /// `kOfxActionPurgeCaches`: drop whatever can be rebuilt.
    fn purge_caches(&self, _instance: &EffectInstance<'_>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// `kOfxImageEffectInstancePropSequentialRender`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequentialRender {
    /// Frames may be rendered in any order, on any instance.
    No = 0,
    /// Frames must be rendered in order, from the first, on one instance.
    Required = 1,
    /// In order is better (state carried between frames), but any order works.
    Preferred = 2,
}

/// A clip an effect declares in describe-in-context.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipDef<'s> {
    pub name: &'s CStr,
    pub components: &'s [Components],
    pub optional: bool,
    pub supports_tiles: bool,
}

/// The effect descriptor handed to `describe` and `describe_in_context`.
pub struct EffectDescriptor<'a> {
    effect: ImageEffect<'a>,
    props: PropertySet<'a>,
}

impl<'a> EffectDescriptor<'a> {
    pub(crate) fn new(effect: ImageEffect<'a>) -> Result<Self> {
        Ok(EffectDescriptor {
            props: effect.properties()?,
            effect,
        })
    }

    pub fn properties(&self) -> PropertySet<'a> {
        self.props
    }

    /// Sets the label, short label and long label.
    pub fn set_labels(&self, label: &str, short: &str, long: &str) -> Result<()> {
        self.props.set_string(ofx_str!(kOfxPropLabel), 0, label)?;
        self.props
            .set_string(ofx_str!(kOfxPropShortLabel), 0, short)?;
        self.props.set_string(ofx_str!(kOfxPropLongLabel), 0, long)
    }

    /// The menu the host lists the effect under.
    pub fn set_grouping(&self, grouping: &str) -> Result<()> {
        self.props
            .set_string(ofx_str!(kOfxImageEffectPluginPropGrouping), 0, grouping)
    }

    pub fn set_plugin_description(&self, text: &str) -> Result<()> {
        self.props
            .set_string(ofx_str!(kOfxPropPluginDescription), 0, text)
    }

    pub fn set_supported_contexts(&self, contexts: &[Context]) -> Result<()> {
        let names: Vec<&CStr> = contexts.iter().map(|c| c.as_cstr()).collect();
        self.props
            .set_cstrs(ofx_str!(kOfxImageEffectPropSupportedContexts), &names)
    }

    pub fn set_supported_pixel_depths(&self, depths: &[PixelDepth]) -> Result<()> {
        let names: Vec<&CStr> = depths.iter().map(|d| d.as_cstr()).collect();
        self.props
            .set_cstrs(ofx_str!(kOfxImageEffectPropSupportedPixelDepths), &names)
    }

    pub fn set_render_thread_safety(&self, safety: RenderThreadSafety) -> Result<()> {
        self.props.set_cstr(
            ofx_str!(kOfxImageEffectPluginRenderThreadSafety),
            0,
            safety.as_cstr(),
        )
    }

    /// Whether the host should split frames across its own threads (we thread inside the render).
    pub fn set_host_frame_threading(&self, enabled: bool) -> Result<()> {
        self.props.set_int(
            ofx_str!(kOfxImageEffectPluginPropHostFrameThreading),
            0,
            i32::from(enabled),
        )
    }

    pub fn set_supports_tiles(&self, enabled: bool) -> Result<()> {
        self.props.set_int(
            ofx_str!(kOfxImageEffectPropSupportsTiles),
            0,
            i32::from(enabled),
        )
    }

    pub fn set_supports_multi_resolution(&self, enabled: bool) -> Result<()> {
        self.props.set_int(
            ofx_str!(kOfxImageEffectPropSupportsMultiResolution),
            0,
            i32::from(enabled),
        )
    }

    pub fn set_temporal_clip_access(&self, enabled: bool) -> Result<()> {
        self.props.set_int(
            ofx_str!(kOfxImageEffectPropTemporalClipAccess),
            0,
            i32::from(enabled),
        )
    }

    /// Whether frames must be rendered in order on one instance
    /// (`kOfxImageEffectInstancePropSequentialRender`): recurrent effects carry state between frames.
    pub fn set_sequential_render(&self, sequential: SequentialRender) -> Result<()> {
        self.props.set_int(
            ofx_str!(kOfxImageEffectInstancePropSequentialRender),
            0,
            sequential as i32,
        )
    }

    pub fn set_supports_multiple_clip_depths(&self, enabled: bool) -> Result<()> {
        self.props.set_int(
            ofx_str!(kOfxImageEffectPropSupportsMultipleClipDepths),
            0,
            i32::from(enabled),
        )
    }

    /// Offers OpenFX 1.5 colour management at `style` (hosts without it ignore the property).
    pub fn set_colour_management_style(
        &self,
        style: crate::colour::ColourManagementStyle,
    ) -> Result<()> {
        self.props.set_cstr(
            crate::colour::PROP_COLOUR_MANAGEMENT_STYLE,
            0,
            style.as_cstr(),
        )
    }

    /// The bundle path the host found the plugin at (`kOfxPluginPropFilePath`), when the host sets it.
    pub fn plugin_file_path(&self) -> Option<String> {
        self.props
            .get_string(ofx_str!(kOfxPluginPropFilePath), 0)
            .ok()
            .filter(|p| !p.is_empty())
    }

    /// Declares a clip with temporal access (`kOfxImageEffectPropTemporalClipAccess`) and/or as a mask
    /// (`kOfxImageClipPropIsMask`).
    pub fn define_clip_with(
        &self,
        def: &ClipDef<'_>,
        temporal_access: bool,
        is_mask: bool,
    ) -> Result<PropertySet<'a>> {
        let props = self.define_clip(def)?;
        props.set_int(
            ofx_str!(kOfxImageEffectPropTemporalClipAccess),
            0,
            i32::from(temporal_access),
        )?;
        props.set_int(ofx_str!(kOfxImageClipPropIsMask), 0, i32::from(is_mask))?;
        Ok(props)
    }

    /// Declares a clip (describe in context).
    pub fn define_clip(&self, def: &ClipDef<'_>) -> Result<PropertySet<'a>> {
        let props = self.effect.define_clip(def.name)?;
        let names: Vec<&CStr> = def.components.iter().map(|c| c.as_cstr()).collect();
        props.set_cstrs(ofx_str!(kOfxImageEffectPropSupportedComponents), &names)?;
        props.set_int(
            ofx_str!(kOfxImageClipPropOptional),
            0,
            i32::from(def.optional),
        )?;
        props.set_int(
            ofx_str!(kOfxImageEffectPropSupportsTiles),
            0,
            i32::from(def.supports_tiles),
        )?;
        Ok(props)
    }

    /// Declares a parameter (describe in context).
    pub fn define_param(&self, def: &ParamDef) -> Result<()> {
        ParamSet::new(self.effect.param_set()?, self.effect.suites()).define(def)
    }
}

/// An effect instance as its methods see it: clips, parameters, messages, progress and abort.
pub struct EffectInstance<'a> {
    effect: ImageEffect<'a>,
    props: PropertySet<'a>,
}

impl<'a> EffectInstance<'a> {
    pub(crate) fn new(effect: ImageEffect<'a>) -> Result<Self> {
        Ok(EffectInstance {
            props: effect.properties()?,
            effect,
        })
    }

    pub fn properties(&self) -> PropertySet<'a> {
        self.props
    }

    /// The context the instance was created in.
    pub fn context(&self) -> Result<Context> {
        let name = self
            .props
            .get_cstring(ofx_str!(kOfxImageEffectPropContext), 0)?;
        Context::from_cstr(&name)
            .ok_or_else(|| Error::InvalidValue(format!("unknown context {name:?}")))
    }

    pub fn clip(&self, name: &CStr) -> Result<Clip<'a>> {
        self.effect.clip(name)
    }

    pub fn param(&self, name: &CStr) -> Result<Param<'a>> {
        ParamSet::new(self.effect.param_set()?, self.effect.suites()).param(name)
    }

    fn handle(&self) -> *mut c_void {
        self.effect.handle().cast()
    }

    /// Posts a one-off message (a dialog or console line, depending on the host).
    pub fn message(&self, level: MessageLevel, text: &str) -> bool {
        self.effect
            .suites()
            .post_message(self.handle(), level, text)
    }

    /// Shows a message on the node until it is cleared.
    pub fn set_persistent_message(&self, level: MessageLevel, text: &str) -> bool {
        self.effect
            .suites()
            .set_persistent_message(self.handle(), level, text)
    }

    pub fn clear_persistent_message(&self) {
        self.effect.suites().clear_persistent_message(self.handle());
    }

    /// Whether the host asks the current render to stop; poll it between chunks of work.
    pub fn abort_requested(&self) -> bool {
        self.effect.abort_requested()
    }

    /// Starts a progress bar, ended when the returned value is dropped.
    pub fn progress(&self, label: &str) -> Progress<'a> {
        Progress::start(self.effect.suites(), self.handle(), label)
    }

    /// The pointer stored in `kOfxPropInstanceData` (the SDK's own instance box).
    pub(crate) fn instance_data(&self) -> Result<*mut c_void> {
        self.props.get_pointer(ofx_str!(kOfxPropInstanceData), 0)
    }

    pub(crate) fn set_instance_data(&self, data: *mut c_void) -> Result<()> {
        self.props
            .set_pointer(ofx_str!(kOfxPropInstanceData), 0, data)
    }
}
