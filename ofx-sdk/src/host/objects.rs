//! The host objects behind the effect, clip, parameter-set, parameter and image handles, and the tables
//! that map handles to them.

use std::cell::Cell;
use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::ofx_str;
use crate::types::{Context, Field, Premultiplication, RectD};

use super::handles::{Registered, Table, lock};
use super::message::{CurrentEffect, MessageLog};
use super::param::{ParamKind, Stored};
use super::pixels::PixelBuffer;
use super::props::PropertySet;

pub(crate) static EFFECTS: Table<EffectNode> = Table::new();
pub(crate) static CLIPS: Table<ClipNode> = Table::new();
pub(crate) static PARAM_SETS: Table<ParamSetNode> = Table::new();
pub(crate) static PARAMS: Table<ParamNode> = Table::new();
/// Images a plugin fetched and has not released, keyed by their property set's handle.
pub(crate) static IMAGES: Table<ImageNode> = Table::new();

/// What an effect handle stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EffectKind {
    /// The handle passed to `Describe`.
    Descriptor,
    /// The handle passed to `DescribeInContext`.
    ContextDescriptor(Context),
    Instance(Context),
}

/// What `progressStart`/`progressUpdate` reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub label: String,
    /// 0..1 as the plugin reported it.
    pub value: f64,
    pub active: bool,
}

/// An effect descriptor or instance.
pub(crate) struct EffectNode {
    pub kind: EffectKind,
    pub props: Registered<PropertySet>,
    pub params: Registered<ParamSetNode>,
    /// In definition order.
    pub clips: Mutex<Vec<Registered<ClipNode>>>,
    pub log: MessageLog,
    pub abort: AtomicBool,
    /// Raise `abort` at the plugin's first progress report (a cancel at a deterministic point).
    pub abort_on_progress: AtomicBool,
    pub progress: Mutex<Option<Progress>>,
    /// Handles of images fetched and not yet released, with the render slot they were fetched in.
    pub images: Mutex<Vec<(usize, u64)>>,
    /// The TimeLine suite's view: current time and bounds.
    pub timeline: Mutex<(f64, f64, f64)>,
    /// Whether clip and parameter descriptors defined on this effect start with the spec's default
    /// properties (off: only their type and name, as MLT does).
    pub spec_defaults: bool,
    /// Suite calls the plugin got wrong during this effect's actions (a property set with the wrong
    /// type, a parameter defined twice): reported as warnings of its description.
    pub misuse: Mutex<Vec<String>>,
}

/// Most misuse notes kept per effect: a plugin that gets one call wrong per pixel must not grow the host.
const MAX_MISUSE: usize = 100;

/// Records a suite call the plugin got wrong on the effect whose action this thread runs.
pub(crate) fn note_misuse(text: String) {
    let Some(effect) = EFFECTS.get_id(CurrentEffect::get()) else {
        tracing::debug!("{text}");
        return;
    };
    let mut notes = lock(&effect.misuse);
    if notes.len() < MAX_MISUSE && !notes.contains(&text) {
        notes.push(text);
    }
}

impl EffectNode {
    pub(crate) fn new(kind: EffectKind, props: PropertySet) -> EffectNode {
        Self::with_defaults(kind, props, true)
    }

    pub(crate) fn with_defaults(
        kind: EffectKind,
        props: PropertySet,
        spec_defaults: bool,
    ) -> EffectNode {
        let descriptor = !matches!(kind, EffectKind::Instance(_));
        let params_props = PropertySet::new(if descriptor {
            "parameter set descriptor"
        } else {
            "parameter set"
        });
        EffectNode {
            kind,
            props: props.register(),
            params: PARAM_SETS.register(ParamSetNode {
                props: params_props.register(),
                params: Mutex::new(Vec::new()),
                descriptor,
                spec_defaults,
            }),
            clips: Mutex::new(Vec::new()),
            log: MessageLog::default(),
            abort: AtomicBool::new(false),
            abort_on_progress: AtomicBool::new(false),
            progress: Mutex::new(None),
            images: Mutex::new(Vec::new()),
            timeline: Mutex::new((0.0, 0.0, 0.0)),
            spec_defaults,
            misuse: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn is_instance(&self) -> bool {
        matches!(self.kind, EffectKind::Instance(_))
    }

    pub(crate) fn clip(&self, name: &CStr) -> Option<Arc<ClipNode>> {
        lock(&self.clips)
            .iter()
            .find(|c| c.name.as_c_str() == name)
            .map(|c| Arc::clone(c.arc()))
    }

    pub(crate) fn clip_handle(&self, name: &CStr) -> Option<usize> {
        lock(&self.clips)
            .iter()
            .find(|c| c.name.as_c_str() == name)
            .map(|c| c.id())
    }

    pub(crate) fn aborted(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
    }
}

/// The image a clip hands out during a render.
#[derive(Debug, Clone)]
pub(crate) struct ClipImage {
    pub buffer: Arc<PixelBuffer>,
    /// The clip's region of definition, in pixel coordinates at the render scale.
    pub rod_pixels: crate::types::RectI,
    pub premultiplication: Premultiplication,
    pub render_scale: f64,
    pub field: Field,
    pub time: f64,
    /// Fault injection: the pixel depth string written on the image instead of the buffer's real one.
    pub depth_label: Option<CString>,
    /// Changes whenever the pixels do (`kOfxImagePropUniqueIdentifier`).
    pub unique_id: String,
    /// Whether this is the image of the frame being rendered (others are frames in time that
    /// GetFramesNeeded asked for).
    pub current: bool,
    /// Whether the clip serves frames by time (a frame source is set): a time it has no image for gets
    /// none, instead of the current frame's image.
    pub temporal: bool,
}

/// A clip descriptor or instance clip.
pub(crate) struct ClipNode {
    pub name: CString,
    pub props: Registered<PropertySet>,
    pub effect: usize,
    pub instance: bool,
    /// The images of the renders in progress, by render slot (several renders of one instance may run
    /// at once when the plugin is fully thread-safe).
    pub images: Mutex<Vec<(u64, ClipImage)>>,
    /// In canonical coordinates, for `clipGetRegionOfDefinition`.
    pub rod: Mutex<RectD>,
}

impl ClipNode {
    pub(crate) fn new(name: &CStr, props: PropertySet, effect: usize, instance: bool) -> ClipNode {
        ClipNode {
            name: name.to_owned(),
            props: props.register(),
            effect,
            instance,
            images: Mutex::new(Vec::new()),
            rod: Mutex::new(RectD::default()),
        }
    }

    /// The image at `time` of the render this thread works for; a thread outside any render (one the
    /// plugin started itself) gets the images of the render when exactly one is in progress. Without an
    /// image at `time`, the current frame's image answers, unless the clip serves frames by time.
    pub(crate) fn image_at(&self, time: f64) -> Option<ClipImage> {
        let slot = RenderSlot::get();
        let images = lock(&self.images);
        let mut mine: Vec<&ClipImage> = images
            .iter()
            .filter(|(s, _)| *s == slot && slot != 0)
            .map(|(_, i)| i)
            .collect();
        if mine.is_empty() {
            let first = images.first().map(|(s, _)| *s);
            if images.iter().all(|(s, _)| Some(*s) == first) {
                mine = images.iter().map(|(_, i)| i).collect();
            }
        }
        mine.iter()
            .find(|i| i.time == time)
            .or_else(|| mine.iter().find(|i| i.current && !i.temporal))
            .map(|i| (*i).clone())
    }

    /// Hands `image` to the render of `slot`, replacing the one it had at the same time.
    pub(crate) fn set_image(&self, slot: u64, image: ClipImage) {
        let mut images = lock(&self.images);
        images.retain(|(s, i)| *s != slot || i.time != image.time);
        images.push((slot, image));
    }

    pub(crate) fn clear_image(&self, slot: u64) {
        lock(&self.images).retain(|(s, _)| *s != slot);
    }

    pub(crate) fn is_output(&self) -> bool {
        self.name.as_c_str() == ofx_str!(kOfxImageEffectOutputClipName)
    }
}

/// A parameter set (of a descriptor or an instance).
pub(crate) struct ParamSetNode {
    pub props: Registered<PropertySet>,
    /// In definition order.
    pub params: Mutex<Vec<Registered<ParamNode>>>,
    pub descriptor: bool,
    /// See [`EffectNode::spec_defaults`].
    pub spec_defaults: bool,
}

impl ParamSetNode {
    pub(crate) fn find(&self, name: &CStr) -> Option<(usize, Arc<ParamNode>)> {
        lock(&self.params)
            .iter()
            .find(|p| p.name.as_c_str() == name)
            .map(|p| (p.id(), Arc::clone(p.arc())))
    }
}

/// A parameter descriptor or instance.
pub(crate) struct ParamNode {
    pub name: CString,
    pub kind: ParamKind,
    pub props: Registered<PropertySet>,
    pub instance: bool,
    pub value: Mutex<Stored>,
    /// Keyframes `(time, value)` sorted by time; when there are any, they decide the value at a time.
    pub keys: Mutex<Vec<(f64, Stored)>>,
}

/// An image the plugin fetched with `clipGetImage`.
pub(crate) struct ImageNode {
    /// Keeps the image's property set (and so its handle) alive until release.
    pub _props: Registered<PropertySet>,
    /// Keeps the pixels alive while the plugin holds the image.
    pub _buffer: Arc<PixelBuffer>,
    pub effect: usize,
}

thread_local! {
    /// The render this thread works for (0: none): the Render action's thread and its multiThread
    /// workers, so `clipGetImage` hands out that render's images.
    static RENDER_SLOT: Cell<u64> = const { Cell::new(0) };
}

/// Marks the thread as working for one render for the life of the guard.
pub(crate) struct RenderSlot {
    previous: u64,
}

impl RenderSlot {
    /// A slot number no other render has.
    pub(crate) fn fresh() -> u64 {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn enter(slot: u64) -> RenderSlot {
        RenderSlot {
            previous: RENDER_SLOT.with(|c| c.replace(slot)),
        }
    }

    pub(crate) fn get() -> u64 {
        RENDER_SLOT.with(Cell::get)
    }
}

impl Drop for RenderSlot {
    fn drop(&mut self) {
        RENDER_SLOT.with(|c| c.set(self.previous));
    }
}
