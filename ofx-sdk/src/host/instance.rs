//! An effect instance: parameters, source images, sequences and renders, each going through the real
//! actions. The instance's state sits behind one lock, so actions on one instance are serialised (as
//! the spec expects), except the Render action itself: it runs outside that lock, behind a render gate
//! that is shared when the plugin declared itself fully thread-safe (several frames of one instance at
//! once) and exclusive otherwise. Parameter changes may therefore reach a plugin while it renders, as
//! they do from a host's interface thread. Different instances render in parallel; a plugin that
//! declared its renders thread-unsafe is serialised across its instances.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use crate::ofx_str;
use crate::types::{
    Components, Context, Field, PixelDepth, Premultiplication, RectD, RectI, RenderThreadSafety,
};

use super::action;
use super::describe::ContextDescription;
use super::error::HostError;
use super::handles::{Registered, lock};
use super::image::Image;
use super::message::Message;
use super::names;
use super::objects::{
    CLIPS, ClipNode, EFFECTS, EffectKind, EffectNode, IMAGES, PARAMS, ParamNode, Progress,
};
use super::param::{Constraints, ParamValue, Stored};
use super::plugin::{ContextDescriptor, PluginCore};
use super::props::PropertySet;

/// Frame rate every clip reports: this host has no notion of one, and 24 is the common default.
pub(crate) const FRAME_RATE: f64 = 24.0;
/// Project size before any source image is set.
const DEFAULT_PROJECT: (f64, f64) = (1920.0, 1080.0);

/// How a render is set up. The defaults are what most hosts do: RGBA at the best depth the plugin
/// supports, bottom row first in memory with positive row bytes, render scale 1, the whole region of
/// definition.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// The depth to offer; taken when the plugin supports it, else the best it supports (Float, Half,
    /// Short, Byte in that order).
    pub depth: Option<PixelDepth>,
    /// The colourspace the input clips' values are in (OpenFX 1.5 colour management:
    /// `OfxImageClipPropColourspace`, e.g. `ofx_linear`, `srgb_tx`), as a colour-managed host says it;
    /// `None` says nothing, as hosts without colour management.
    pub source_colourspace: Option<std::ffi::CString>,
    /// The components to offer each clip; taken when the clip supports them, else RGBA, RGB, Alpha.
    pub components: Components,
    /// Rows stored top row first in memory, with negative row bytes and the data pointer on the bottom
    /// row (the last scanline in memory), as MLT does. Off: bottom row first, positive row bytes.
    pub negative_row_bytes: bool,
    /// Render scale (both axes); source images are resampled to it, the output has the scaled size.
    pub render_scale: f64,
    /// A part of the output to render, in pixel coordinates at the render scale (origin bottom-left).
    /// The returned image covers this window only.
    pub render_window: Option<RectI>,
    /// Extra pixels on every side of the output image's bounds beyond the render window, to check that
    /// a plugin writes the render window only.
    pub bounds_padding: u32,
    /// How the source images' colour relates to their alpha.
    pub source_premultiplication: Premultiplication,
    /// Fault injection for plugin tests: the `kOfxImageEffectPropPixelDepth` string written on every
    /// image handed to the plugin (a depth it never declared, say), instead of the real one. The pixels
    /// stay in the real depth; a correct plugin refuses the image with a message.
    pub image_depth_label: Option<std::ffi::CString>,
    /// Fault injection for plugin tests: the input clips stay connected but have no image at the frame
    /// (`clipGetImage` fails), as Resolve does on some frames. A correct plugin reports it and survives.
    pub withhold_source_images: bool,
    /// Fault injection for plugin tests: cancel the render as soon as the plugin reports progress, as
    /// an artist pressing cancel would, at a point that does not depend on timing.
    pub abort_on_progress: bool,
    /// Fault injection for plugin tests: the abort flag is up when the Render action starts, so the
    /// plugin's first `abort` poll (and `progressUpdate`) says stop, as when an artist cancels while the
    /// host prepares the frame.
    pub abort_at_start: bool,
    /// The field to render (`kOfxImageEffectPropFieldToRender`); images are labelled with it. Frames
    /// stay whole: this host does not extract fields.
    pub field: Field,
    /// The value every pixel of the output image holds before the Render action (instead of
    /// transparent black): a canary that shows pixels the plugin left untouched inside the render
    /// window, and pixels it wrote outside it. The report then carries the whole output buffer.
    pub output_fill: Option<[f32; 4]>,
    /// Source images cover only this rectangle (pixel coordinates at the render scale, intersected
    /// with each image), as hosts that fetch only the region a render needs hand them: pixels outside
    /// are not in memory. An input with nothing under it has no image for the render.
    pub source_bounds: Option<RectI>,
    /// Send Render without BeginSequenceRender/EndSequenceRender around it when no sequence is open
    /// (outside the spec; hosts do it for interactive renders).
    pub skip_sequence_actions: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            depth: None,
            components: Components::Rgba,
            negative_row_bytes: false,
            render_scale: 1.0,
            render_window: None,
            bounds_padding: 0,
            source_premultiplication: Premultiplication::UnPreMultiplied,
            image_depth_label: None,
            withhold_source_images: false,
            source_colourspace: None,
            abort_on_progress: false,
            abort_at_start: false,
            field: Field::None,
            output_fill: None,
            source_bounds: None,
            skip_sequence_actions: false,
        }
    }
}

/// The result of a render, with what the host and plugin agreed on.
#[derive(Debug, Clone)]
pub struct RenderReport {
    /// The render window's pixels, float RGBA, top row first.
    pub image: Image,
    /// Time inside the Render action only; `None` when the plugin reported an identity.
    pub render_action: Option<Duration>,
    /// The clip the plugin said the output is identical to (IsIdentity), if any.
    pub identity: Option<String>,
    pub depth: PixelDepth,
    pub components: Components,
    pub premultiplication: Premultiplication,
    /// The output's region of definition in canonical coordinates.
    pub region_of_definition: RectD,
    pub render_window: RectI,
    /// The output image's bounds: the render window plus [`RenderOptions::bounds_padding`].
    pub output_bounds: RectI,
    /// The whole output image over `output_bounds`, float RGBA, top row first, when
    /// [`RenderOptions::output_fill`] was set.
    pub bounds_image: Option<Image>,
    /// Images fetched during this render and not released.
    pub unreleased_images: usize,
    pub warnings: Vec<String>,
}

/// What destroying an instance found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DestroyReport {
    /// Images the plugin fetched and never released.
    pub unreleased_images: usize,
    pub warnings: Vec<String>,
}

/// Clip preferences agreed with the plugin, and what they were computed from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prefs {
    pub key: PrefsKey,
    pub depth: PixelDepth,
    pub components: BTreeMap<String, Components>,
    pub output_premultiplication: Premultiplication,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PrefsKey {
    pub depth: Option<PixelDepth>,
    pub components: Components,
    pub premultiplication: Premultiplication,
    pub connected: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Sequence {
    pub first: f64,
    pub last: f64,
    pub scale: f64,
}

/// Gives a clip's image at a frame, or `None` where the clip has none (before its first frame ...).
pub type FrameSource = Arc<dyn Fn(f64) -> Option<Image> + Send + Sync>;

pub(crate) struct State {
    pub sources: BTreeMap<String, Arc<Image>>,
    /// Frame sources by clip: the images of other frames that GetFramesNeeded asks for.
    pub providers: BTreeMap<String, FrameSource>,
    /// Frames from the sources, by (clip, frame bits, scale bits), oldest first.
    pub frame_cache: Vec<((String, u64, u64), Arc<Image>)>,
    /// Source images resampled for a render scale, by clip.
    pub scaled: BTreeMap<String, (f64, Arc<Image>)>,
    pub prefs: Option<Prefs>,
    pub sequence: Option<Sequence>,
    pub time: f64,
    /// Numbers image identifiers.
    pub serial: u64,
    /// Warnings found outside a render (clip preferences at the start of a sequence), reported with
    /// the next render.
    pub pending_warnings: Vec<String>,
    pub destroyed: bool,
}

pub(crate) struct InstanceInner {
    pub core: Arc<PluginCore>,
    pub context: Context,
    pub descriptor: Arc<ContextDescriptor>,
    pub effect: Registered<EffectNode>,
    pub state: Mutex<State>,
    /// Held around each Render action: shared when the plugin is fully thread-safe, exclusive
    /// otherwise; destruction takes it exclusively, so it never overlaps a render.
    pub gate: RwLock<()>,
    /// Whether parameter and clip changes send InstanceChanged.
    pub notify: std::sync::atomic::AtomicBool,
    pub create_time: Duration,
    /// Why CreateInstance failed, for an instance kept anyway ([`CreateMode::KeepOnFailure`]).
    pub create_error: Option<String>,
}

/// How an instance is brought to life, for testing how a plugin copes with hosts that misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CreateMode {
    /// `CreateInstance`; a failure is an error.
    #[default]
    Normal,
    /// `CreateInstance`, and the instance is kept even when it fails, as MLT does (it goes on with
    /// clip preferences and renders).
    KeepOnFailure,
    /// No `CreateInstance` at all: the plugin meets the instance in its next action with no instance
    /// data, as after a creation that failed without the host noticing. `DestroyInstance` is still sent.
    Skip,
}

/// A held render gate (see [`InstanceInner::gate`]).
pub(crate) enum Gate<'a> {
    Shared(#[allow(dead_code)] RwLockReadGuard<'a, ()>),
    Exclusive(#[allow(dead_code)] RwLockWriteGuard<'a, ()>),
}

/// A plugin instance. `Send + Sync`: share it by reference between threads; actions on one instance
/// are serialised, different instances run in parallel. Dropping it sends `DestroyInstance`
/// ([`Instance::destroy`] does so and reports problems).
pub struct Instance {
    inner: InstanceInner,
}

/// The properties an instance adds to its context descriptor's.
fn instance_props(descriptor: &PropertySet, context: Context) -> PropertySet {
    let p = PropertySet::new("image effect instance");
    p.copy_from(descriptor);
    p.define_str(
        ofx_str!(kOfxPropType),
        ofx_str!(kOfxTypeImageEffectInstance),
    );
    p.define_str(ofx_str!(kOfxImageEffectPropContext), context.as_cstr());
    p.define_ptr(ofx_str!(kOfxPropInstanceData), 0);
    p.define_int(ofx_str!(kOfxPropIsInteractive), 0);
    p.define_doubles(
        ofx_str!(kOfxImageEffectPropProjectSize),
        &[DEFAULT_PROJECT.0, DEFAULT_PROJECT.1],
    );
    p.define_doubles(
        ofx_str!(kOfxImageEffectPropProjectExtent),
        &[DEFAULT_PROJECT.0, DEFAULT_PROJECT.1],
    );
    p.define_doubles(ofx_str!(kOfxImageEffectPropProjectOffset), &[0.0, 0.0]);
    p.define_double(ofx_str!(kOfxImageEffectPropProjectPixelAspectRatio), 1.0);
    p.define_double(ofx_str!(kOfxImageEffectInstancePropEffectDuration), 1.0);
    p.define_double(ofx_str!(kOfxImageEffectPropFrameRate), FRAME_RATE);
    if !p.contains(ofx_str!(kOfxImageEffectInstancePropSequentialRender)) {
        p.define_int(ofx_str!(kOfxImageEffectInstancePropSequentialRender), 0);
    }
    p
}

/// The properties an instance clip adds to its descriptor's. Depth and components are set for real
/// before each render (clip preferences); these are the defaults a plugin sees before that.
fn clip_props(descriptor: &PropertySet, output: bool) -> PropertySet {
    let p = PropertySet::new("clip instance");
    p.copy_from(descriptor);
    p.define_str(
        ofx_str!(kOfxImageEffectPropPixelDepth),
        ofx_str!(kOfxBitDepthFloat),
    );
    p.define_str(
        ofx_str!(kOfxImageEffectPropComponents),
        ofx_str!(kOfxImageComponentRGBA),
    );
    p.define_str(
        ofx_str!(kOfxImageClipPropUnmappedPixelDepth),
        ofx_str!(kOfxBitDepthFloat),
    );
    p.define_str(
        ofx_str!(kOfxImageClipPropUnmappedComponents),
        ofx_str!(kOfxImageComponentRGBA),
    );
    p.define_str(
        ofx_str!(kOfxImageEffectPropPreMultiplication),
        ofx_str!(kOfxImageUnPreMultiplied),
    );
    p.define_double(ofx_str!(kOfxImagePropPixelAspectRatio), 1.0);
    p.define_double(ofx_str!(kOfxImageEffectPropFrameRate), FRAME_RATE);
    p.define_double(ofx_str!(kOfxImageEffectPropUnmappedFrameRate), FRAME_RATE);
    p.define_doubles(ofx_str!(kOfxImageEffectPropFrameRange), &[0.0, 0.0]);
    p.define_doubles(ofx_str!(kOfxImageEffectPropUnmappedFrameRange), &[0.0, 0.0]);
    p.define_str(
        ofx_str!(kOfxImageClipPropFieldOrder),
        ofx_str!(kOfxImageFieldNone),
    );
    p.define_int(ofx_str!(kOfxImageClipPropConnected), i32::from(output));
    p.define_int(ofx_str!(kOfxImageClipPropContinuousSamples), 0);
    p
}

impl Instance {
    pub(crate) fn create(
        core: Arc<PluginCore>,
        context: Context,
        descriptor: Arc<ContextDescriptor>,
        mode: CreateMode,
    ) -> Result<Instance, HostError> {
        let d = &descriptor.effect;
        let effect = EFFECTS.register(EffectNode::new(
            EffectKind::Instance(context),
            instance_props(&d.props, context),
        ));
        effect.params.props.copy_from(&d.params.props);
        for p in lock(&d.params.params).iter() {
            let props = PropertySet::new("parameter instance");
            props.copy_from(&p.props);
            props.set_str(ofx_str!(kOfxPropType), ofx_str!(kOfxTypeParameterInstance));
            let value = Stored::from_prop(p.kind, props.get(ofx_str!(kOfxParamPropDefault)))
                .unwrap_or(Stored::zero(p.kind));
            let node = PARAMS.register(ParamNode {
                name: p.name.clone(),
                kind: p.kind,
                props: props.register(),
                instance: true,
                value: Mutex::new(value),
                keys: Mutex::new(Vec::new()),
            });
            lock(&effect.params.params).push(node);
        }
        for c in lock(&d.clips).iter() {
            let props = clip_props(&c.props, c.is_output());
            let node = CLIPS.register(ClipNode::new(&c.name, props, effect.id(), true));
            lock(&effect.clips).push(node);
        }
        let action = ofx_str!(kOfxActionCreateInstance);
        let mark = effect.log.mark();
        let called = match mode {
            CreateMode::Skip => action::Called {
                status: crate::Status::OK,
                elapsed: Duration::ZERO,
            },
            CreateMode::Normal | CreateMode::KeepOnFailure => {
                let _serial = core.serial();
                action::call(core.main, action, effect.id(), effect.id(), None, None)
            }
        };
        let what = || {
            format!(
                "creation of an instance of {} ({} context)",
                core.info.id,
                names::context(context)
            )
        };
        let create_error = match action::check(what, action, called.status, &effect.log, mark) {
            Ok(_) => None,
            Err(e) if mode == CreateMode::KeepOnFailure => Some(e.to_string()),
            Err(e) => return Err(e),
        };
        let state = State {
            sources: BTreeMap::new(),
            providers: BTreeMap::new(),
            frame_cache: Vec::new(),
            scaled: BTreeMap::new(),
            prefs: None,
            sequence: None,
            time: 0.0,
            serial: 0,
            pending_warnings: Vec::new(),
            destroyed: false,
        };
        let inner = InstanceInner {
            core,
            context,
            descriptor,
            effect,
            state: Mutex::new(state),
            gate: RwLock::new(()),
            notify: std::sync::atomic::AtomicBool::new(true),
            create_time: called.elapsed,
            create_error,
        };
        Ok(Instance { inner })
    }

    pub fn context(&self) -> Context {
        self.inner.context
    }

    /// The clips and parameters of the instance's context.
    pub fn description(&self) -> &ContextDescription {
        &self.inner.descriptor.description
    }

    /// How long `CreateInstance` took inside the plugin.
    pub fn create_time(&self) -> Duration {
        self.inner.create_time
    }

    /// Why `CreateInstance` failed, for an instance kept with [`CreateMode::KeepOnFailure`].
    pub fn create_error(&self) -> Option<&str> {
        self.inner.create_error.as_deref()
    }

    /// Whether parameter and clip changes send `InstanceChanged` (on by default). Off, values change
    /// silently, as in MLT, which never sends it.
    pub fn set_notify_changes(&self, on: bool) {
        self.inner
            .notify
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// The effect handle the plugin sees for this instance (as in [`super::ActionEvent::handle`]).
    pub fn handle(&self) -> usize {
        self.inner.effect.id()
    }

    /// The current value of a parameter.
    pub fn param(&self, name: &str) -> Result<ParamValue, HostError> {
        let node = self.inner.param_node(name)?;
        let value = lock(&node.value).to_value(node.kind);
        value.ok_or_else(|| HostError::InvalidParamValue {
            name: name.to_owned(),
            reason: "it has no value".into(),
        })
    }

    /// Sets a parameter as a user would: the value is checked against the parameter's type, options
    /// and range, then the plugin gets `InstanceChanged` (reason `kOfxChangeUserEdited`).
    pub fn set_param(&self, name: &str, value: ParamValue) -> Result<(), HostError> {
        self.inner.set_param(name, |c| c.store(&value))
    }

    /// Like [`Instance::set_param`] without the range check (type and choice-index checks stay): a
    /// scripted or keyframed value beyond the declared range reaches plugins in real hosts.
    pub fn set_param_unchecked(&self, name: &str, value: ParamValue) -> Result<(), HostError> {
        self.inner.set_param(name, |c| c.store_unchecked(&value))
    }

    /// Animates a parameter: keyframes `(time, value)` (each checked as by [`Instance::set_param`]),
    /// linearly interpolated for floating-point parameters and held for the others, constant before the
    /// first and after the last key. An empty list removes the animation. The plugin gets
    /// `InstanceChanged` once.
    pub fn set_param_keys(&self, name: &str, keys: &[(f64, ParamValue)]) -> Result<(), HostError> {
        self.inner.set_param_keys(name, keys)
    }

    /// Like [`Instance::set_param`] from text, parsed by the parameter's declared type: numbers,
    /// `true`/`false`/`1`/`0`, a choice option's label or index, comma-separated values for colours and
    /// 2D/3D parameters. Returns the value that was set.
    pub fn set_param_text(&self, name: &str, text: &str) -> Result<ParamValue, HostError> {
        let mut parsed = None;
        self.inner.set_param(name, |c| {
            let v = c.parse(text)?;
            let stored = c.store(&v)?;
            parsed = Some(v);
            Ok(stored)
        })?;
        parsed.ok_or_else(|| HostError::InvalidParamValue {
            name: name.to_owned(),
            reason: "no value".into(),
        })
    }

    /// Connects an input clip to an image (for the next renders). Connecting a clip that was not
    /// connected sends `InstanceChanged` for the clip.
    pub fn set_source(&self, clip: &str, image: Image) -> Result<(), HostError> {
        self.inner.set_source(clip, Some(Arc::new(image)))
    }

    /// Gives an input clip its frames in time: when the plugin has temporal clip access, each render
    /// asks it GetFramesNeeded and hands it the images of those frames that `source` has; other times
    /// get no image. The clip's image at the rendered frame is still the one [`Instance::set_source`]
    /// set.
    pub fn set_source_frames(&self, clip: &str, source: FrameSource) -> Result<(), HostError> {
        let _serial = self.inner.core.serial();
        let mut st = self.inner.state()?;
        let cname = CString::new(clip).map_err(|_| HostError::UnknownClip(clip.to_owned()))?;
        if self.inner.effect.clip(&cname).is_none_or(|c| c.is_output()) {
            return Err(HostError::UnknownClip(clip.to_owned()));
        }
        st.frame_cache.retain(|((c, _, _), _)| c != clip);
        st.providers.insert(clip.to_owned(), source);
        Ok(())
    }

    /// Disconnects an input clip.
    pub fn clear_source(&self, clip: &str) -> Result<(), HostError> {
        self.inner.set_source(clip, None)
    }

    /// `BeginSequenceRender` for frames `first..=last`; renders until [`Instance::end_sequence`] report
    /// sequential rendering. Without a sequence, each render is wrapped in its own one-frame sequence.
    pub fn begin_sequence(
        &self,
        first: f64,
        last: f64,
        options: &RenderOptions,
    ) -> Result<(), HostError> {
        self.inner.begin_sequence(first, last, options)
    }

    /// `EndSequenceRender` for the open sequence.
    pub fn end_sequence(&self) -> Result<(), HostError> {
        self.inner.end_sequence()
    }

    /// Renders frame `time` and returns the render window's pixels.
    pub fn render(&self, time: f64, options: &RenderOptions) -> Result<Image, HostError> {
        self.render_with_report(time, options).map(|r| r.image)
    }

    /// Renders frame `time` (GetClipPreferences when needed, GetRegionOfDefinition,
    /// GetRegionsOfInterest, IsIdentity, Render) and reports the details, including the time spent in
    /// the Render action alone.
    pub fn render_with_report(
        &self,
        time: f64,
        options: &RenderOptions,
    ) -> Result<RenderReport, HostError> {
        self.inner.render(time, options)
    }

    /// Asks the render in progress to stop: `abort` returns 1 and `progressUpdate` answers
    /// `kOfxStatReplyNo` until the next render starts.
    pub fn abort(&self) {
        self.inner
            .effect
            .abort
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// What the plugin last reported through the Progress suite.
    pub fn progress(&self) -> Option<Progress> {
        lock(&self.inner.effect.progress).clone()
    }

    /// Messages the plugin posted on this instance not returned before.
    pub fn take_messages(&self) -> Vec<Message> {
        self.inner.effect.log.take_unread()
    }

    /// The persistent message the plugin has set, if any.
    pub fn persistent_message(&self) -> Option<Message> {
        self.inner.effect.log.persistent()
    }

    /// `DestroyInstance`, reporting images the plugin never released and an error status.
    pub fn destroy(self) -> Result<DestroyReport, HostError> {
        self.inner.destroy()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        match self.inner.destroy() {
            Ok(report) => {
                for w in &report.warnings {
                    tracing::warn!(plugin = %self.inner.core.info.id, "{w}");
                }
            }
            Err(e) => {
                tracing::warn!(plugin = %self.inner.core.info.id, error = %e, "destroying an instance failed")
            }
        }
    }
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("plugin", &self.inner.core.info.id)
            .field("context", &self.inner.context)
            .finish_non_exhaustive()
    }
}

impl InstanceInner {
    /// The instance state, refusing use after destruction.
    pub(crate) fn state(&self) -> Result<MutexGuard<'_, State>, HostError> {
        let st = lock(&self.state);
        if st.destroyed {
            return Err(HostError::InvalidRequest(
                "the instance has been destroyed".into(),
            ));
        }
        Ok(st)
    }

    fn param_node(&self, name: &str) -> Result<Arc<ParamNode>, HostError> {
        let cname = CString::new(name).map_err(|_| HostError::UnknownParam(name.to_owned()))?;
        self.effect
            .params
            .find(&cname)
            .map(|(_, n)| n)
            .ok_or_else(|| HostError::UnknownParam(name.to_owned()))
    }

    fn set_param(
        &self,
        name: &str,
        make: impl FnOnce(&Constraints) -> Result<Stored, String>,
    ) -> Result<(), HostError> {
        let _serial = self.core.serial();
        let mut st = self.state()?;
        let node = self.param_node(name)?;
        let constraints = Constraints::read(node.kind, &node.props);
        let stored = make(&constraints).map_err(|reason| HostError::InvalidParamValue {
            name: name.to_owned(),
            reason,
        })?;
        *lock(&node.value) = stored;
        // A parameter may drive the clip preferences (kOfxImageEffectPropClipPreferencesSlaveParam).
        st.prefs = None;
        self.instance_changed(
            ofx_str!(kOfxTypeParameter),
            &node.name,
            st.time,
            &format!("parameter {name}"),
        )
    }

    fn set_param_keys(&self, name: &str, keys: &[(f64, ParamValue)]) -> Result<(), HostError> {
        let _serial = self.core.serial();
        let mut st = self.state()?;
        let node = self.param_node(name)?;
        let constraints = Constraints::read(node.kind, &node.props);
        let mut stored = Vec::with_capacity(keys.len());
        for (time, value) in keys {
            if !time.is_finite() {
                return Err(HostError::InvalidParamValue {
                    name: name.to_owned(),
                    reason: format!("keyframe time {time} is not finite"),
                });
            }
            let v = constraints
                .store(value)
                .map_err(|reason| HostError::InvalidParamValue {
                    name: name.to_owned(),
                    reason,
                })?;
            stored.push((*time, v));
        }
        stored.sort_by(|a, b| a.0.total_cmp(&b.0));
        stored.dedup_by(|a, b| a.0 == b.0);
        if let Some((_, first)) = stored.first() {
            *lock(&node.value) = first.clone();
        }
        node.props.set_int(
            ofx_str!(kOfxParamPropIsAnimating),
            i32::from(!stored.is_empty()),
        );
        *lock(&node.keys) = stored;
        st.prefs = None;
        self.instance_changed(
            ofx_str!(kOfxTypeParameter),
            &node.name,
            st.time,
            &format!("parameter {name}"),
        )
    }

    /// Takes the render gate: shared for a fully thread-safe plugin, exclusive otherwise.
    pub(crate) fn render_gate(&self) -> Gate<'_> {
        let fully_safe =
            self.core.description.render_thread_safety == RenderThreadSafety::FullySafe;
        if fully_safe {
            Gate::Shared(
                self.gate
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            )
        } else {
            Gate::Exclusive(
                self.gate
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            )
        }
    }

    fn set_source(&self, clip: &str, image: Option<Arc<Image>>) -> Result<(), HostError> {
        let _serial = self.core.serial();
        let mut st = self.state()?;
        let cname = CString::new(clip).map_err(|_| HostError::UnknownClip(clip.to_owned()))?;
        let node = self
            .effect
            .clip(&cname)
            .ok_or_else(|| HostError::UnknownClip(clip.to_owned()))?;
        if node.is_output() {
            return Err(HostError::InvalidRequest(format!(
                "{clip} is the output clip, not an input"
            )));
        }
        if image
            .as_ref()
            .is_some_and(|i| i.width() == 0 || i.height() == 0)
        {
            return Err(HostError::InvalidRequest(format!(
                "the image for clip {clip} is empty"
            )));
        }
        let was_connected = st.sources.contains_key(clip);
        st.scaled.remove(clip);
        let now_connected = image.is_some();
        match image {
            Some(i) => st.sources.insert(clip.to_owned(), i),
            None => st.sources.remove(clip),
        };
        if was_connected != now_connected {
            node.props.set_int(
                ofx_str!(kOfxImageClipPropConnected),
                i32::from(now_connected),
            );
            st.prefs = None;
            self.instance_changed(
                ofx_str!(kOfxTypeClip),
                &node.name,
                st.time,
                &format!("clip {clip}"),
            )?;
        }
        Ok(())
    }

    /// `BeginInstanceChanged`, `InstanceChanged` and `EndInstanceChanged` for a user edit (nothing when
    /// the instance was told not to notify changes).
    fn instance_changed(
        &self,
        kind: &CStr,
        name: &CStr,
        time: f64,
        what: &str,
    ) -> Result<(), HostError> {
        if !self.notify.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(());
        }
        let reason = ofx_str!(kOfxChangeUserEdited);
        let bracket = action::in_args();
        bracket.define_str(ofx_str!(kOfxPropChangeReason), reason);
        let bracket = bracket.register();
        let args = action::in_args();
        args.define_str(ofx_str!(kOfxPropType), kind);
        args.define_str(ofx_str!(kOfxPropName), name);
        args.define_str(ofx_str!(kOfxPropChangeReason), reason);
        args.define_double(ofx_str!(kOfxPropTime), time);
        args.define_doubles(ofx_str!(kOfxImageEffectPropRenderScale), &[1.0, 1.0]);
        let args = args.register();
        let steps = [
            (ofx_str!(kOfxActionBeginInstanceChanged), &bracket),
            (ofx_str!(kOfxActionInstanceChanged), &args),
            (ofx_str!(kOfxActionEndInstanceChanged), &bracket),
        ];
        for (action, args) in steps {
            self.run(action, Some(args), None, || {
                format!("{} for {what}", action::name(action))
            })?;
        }
        Ok(())
    }

    /// Runs one action on this instance and checks its status.
    pub(crate) fn run(
        &self,
        action: &CStr,
        in_args: Option<&Registered<PropertySet>>,
        out_args: Option<&Registered<PropertySet>>,
        what: impl FnOnce() -> String,
    ) -> Result<action::Called, HostError> {
        let id = self.effect.id();
        let mark = self.effect.log.mark();
        let called = action::call(self.core.main, action, id, id, in_args, out_args);
        action::check(what, action, called.status, &self.effect.log, mark)?;
        Ok(called)
    }

    fn destroy(&self) -> Result<DestroyReport, HostError> {
        let _serial = self.core.serial();
        // Never while a render of this instance is in its Render action.
        let _gate = self
            .gate
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut st = lock(&self.state);
        if st.destroyed {
            return Ok(DestroyReport::default());
        }
        let mut report = DestroyReport::default();
        if st.sequence.is_some()
            && let Err(e) = self.end_sequence_locked(&mut st)
        {
            report.warnings.push(e.to_string());
        }
        st.destroyed = true;
        let action = ofx_str!(kOfxActionDestroyInstance);
        let result = self.run(action, None, None, || {
            format!("destruction of an instance of {}", self.core.info.id)
        });
        for clip in lock(&self.effect.clips).iter() {
            lock(&clip.images).clear();
        }
        let forgotten: Vec<(usize, u64)> = std::mem::take(&mut *lock(&self.effect.images));
        report.unreleased_images = forgotten
            .into_iter()
            .filter(|(id, _)| IMAGES.remove(*id).is_some())
            .count();
        if report.unreleased_images > 0 {
            report.warnings.push(format!(
                "the plugin never released {} image(s) it fetched with clipGetImage",
                report.unreleased_images
            ));
        }
        result.map(|_| report)
    }
}

// Instances are shared by reference between threads; keep that true.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Instance>();
    assert_send_sync::<super::plugin::Plugin>();
    assert_send_sync::<super::library::Library>();
};
