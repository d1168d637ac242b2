//! The host objects behind the effect, clip, parameter-set, parameter and image handles, and the tables
//! that map handles to them.

use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::ofx_str;
use crate::types::{Context, Field, Premultiplication, RectD};

use super::handles::{Registered, Table, lock};
use super::message::MessageLog;
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
    /// Handles of images fetched and not yet released.
    pub images: Mutex<Vec<usize>>,
    /// The TimeLine suite's view: current time and bounds.
    pub timeline: Mutex<(f64, f64, f64)>,
}

impl EffectNode {
    pub(crate) fn new(kind: EffectKind, props: PropertySet) -> EffectNode {
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
            }),
            clips: Mutex::new(Vec::new()),
            log: MessageLog::default(),
            abort: AtomicBool::new(false),
            abort_on_progress: AtomicBool::new(false),
            progress: Mutex::new(None),
            images: Mutex::new(Vec::new()),
            timeline: Mutex::new((0.0, 0.0, 0.0)),
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
}

/// A clip descriptor or instance clip.
pub(crate) struct ClipNode {
    pub name: CString,
    pub props: Registered<PropertySet>,
    pub effect: usize,
    pub instance: bool,
    pub image: Mutex<Option<ClipImage>>,
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
            image: Mutex::new(None),
            rod: Mutex::new(RectD::default()),
        }
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
}

/// An image the plugin fetched with `clipGetImage`.
pub(crate) struct ImageNode {
    /// Keeps the image's property set (and so its handle) alive until release.
    pub _props: Registered<PropertySet>,
    /// Keeps the pixels alive while the plugin holds the image.
    pub _buffer: Arc<PixelBuffer>,
    pub effect: usize,
}
