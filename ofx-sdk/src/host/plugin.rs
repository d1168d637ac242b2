//! A loaded plugin: `setHost`, `Load` and `Describe` when it is first asked for, `DescribeInContext`
//! once per context on demand, instances, and `Unload` when the last user lets go.

use std::ffi::CString;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::ofx_str;
use crate::status::Status;
use crate::types::{Context, RenderThreadSafety};

use super::action::{self, MainEntry};
use super::describe::{
    ContextDescription, EffectDescription, PluginDescription, context_description,
    effect_description,
};
use super::error::HostError;
use super::handles::{Registered, lock};
use super::host_desc::host_struct;
use super::instance::{CreateMode, Instance};
use super::library::{LibraryInner, PluginInfo, RawEntry};
use super::message::Message;
use super::names;
use super::objects::{EFFECTS, EffectKind, EffectNode};
use super::props::{PropValue, PropertySet};

/// How long the plugin-wide actions took, inside `mainEntry`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct PluginTimings {
    pub load: Duration,
    pub describe: Duration,
}

/// One context's descriptor and what it declared.
pub(crate) struct ContextDescriptor {
    pub effect: Registered<EffectNode>,
    pub description: ContextDescription,
    pub elapsed: Duration,
}

pub(crate) struct PluginCore {
    pub info: PluginInfo,
    pub main: MainEntry,
    pub descriptor: Registered<EffectNode>,
    pub description: EffectDescription,
    contexts: Mutex<Vec<(Context, Arc<ContextDescriptor>)>>,
    /// Held around every action of a plugin whose render thread safety is `Unsafe`.
    serial: Mutex<()>,
    timings: PluginTimings,
    spec_defaults: bool,
    /// Descriptors of repeated Load/Describe calls ([`Plugin::repeat_load_and_describe`]), kept alive
    /// because the plugin may hold their handles.
    repeated: Mutex<Vec<Registered<EffectNode>>>,
    // Keeps the entry points' library referenced (it is never unloaded, but its listing is shared).
    _library: Arc<LibraryInner>,
}

/// The properties an effect descriptor starts with (the spec's defaults).
fn descriptor_props(info: &PluginInfo) -> PropertySet {
    let p = PropertySet::new("image effect descriptor");
    p.define_str(ofx_str!(kOfxPropType), ofx_str!(kOfxTypeImageEffect));
    for label in [
        ofx_str!(kOfxPropLabel),
        ofx_str!(kOfxPropShortLabel),
        ofx_str!(kOfxPropLongLabel),
    ] {
        p.define_str(label, c"");
    }
    p.define_var(ofx_str!(kOfxPropVersion), PropValue::Int(Vec::new()));
    p.define_str(ofx_str!(kOfxPropVersionLabel), c"");
    p.define_str(ofx_str!(kOfxPropPluginDescription), c"");
    p.define_str(ofx_str!(kOfxImageEffectPluginPropGrouping), c"");
    p.define_strs(ofx_str!(kOfxImageEffectPropSupportedContexts), &[]);
    p.define_strs(ofx_str!(kOfxImageEffectPropSupportedPixelDepths), &[]);
    p.define_int(ofx_str!(kOfxImageEffectPluginPropSingleInstance), 0);
    p.define_str(
        ofx_str!(kOfxImageEffectPluginRenderThreadSafety),
        ofx_str!(kOfxImageEffectRenderInstanceSafe),
    );
    p.define_int(ofx_str!(kOfxImageEffectPluginPropHostFrameThreading), 1);
    p.define_int(ofx_str!(kOfxImageEffectPropSupportsMultiResolution), 1);
    p.define_int(ofx_str!(kOfxImageEffectPropSupportsTiles), 1);
    p.define_int(ofx_str!(kOfxImageEffectPropTemporalClipAccess), 0);
    p.define_int(ofx_str!(kOfxImageEffectPluginPropFieldRenderTwiceAlways), 1);
    p.define_int(ofx_str!(kOfxImageEffectPropSupportsMultipleClipDepths), 0);
    p.define_int(ofx_str!(kOfxImageEffectPropSupportsMultipleClipPARs), 0);
    p.define_strs(ofx_str!(kOfxImageEffectPropClipPreferencesSlaveParam), &[]);
    p.define_ptr(ofx_str!(kOfxImageEffectPluginPropOverlayInteractV1), 0);
    p.define_str(ofx_str!(kOfxImageEffectPropOpenGLRenderSupported), c"false");
    let dir = info
        .bundle
        .clone()
        .or_else(|| info.binary.parent().map(std::path::Path::to_path_buf))
        .unwrap_or_default();
    let dir = CString::new(dir.to_string_lossy().into_owned()).unwrap_or_default();
    p.define(
        ofx_str!(kOfxPluginPropFilePath),
        PropValue::String(vec![dir]),
    );
    p
}

/// A bare effect descriptor (type and file path only), for hosts that do not pre-fill spec defaults.
fn bare_descriptor_props(info: &PluginInfo) -> PropertySet {
    let full = descriptor_props(info);
    let p = PropertySet::new("image effect descriptor");
    p.define_str(ofx_str!(kOfxPropType), ofx_str!(kOfxTypeImageEffect));
    if let Some(path) = full.get(ofx_str!(kOfxPluginPropFilePath)) {
        p.define(ofx_str!(kOfxPluginPropFilePath), path);
    }
    p
}

/// What `Load` and `Describe` produced.
struct Described {
    descriptor: Registered<EffectNode>,
    description: EffectDescription,
    timings: PluginTimings,
}

/// `Load`, then `Describe` on a fresh descriptor (`Unload` when Describe fails).
fn load_and_describe(
    info: &PluginInfo,
    main: MainEntry,
    spec_defaults: bool,
) -> Result<Described, HostError> {
    let props = if spec_defaults {
        descriptor_props(info)
    } else {
        bare_descriptor_props(info)
    };
    let descriptor = EFFECTS.register(EffectNode::with_defaults(
        EffectKind::Descriptor,
        props,
        spec_defaults,
    ));
    let owner = descriptor.id();
    let mut warnings = Vec::new();
    let id = &info.id;

    let mark = descriptor.log.mark();
    let load = action::call(main, ofx_str!(kOfxActionLoad), 0, owner, None, None);
    if load.status != Status::OK && load.status != Status::REPLY_DEFAULT {
        return Err(HostError::Action {
            what: format!("load of {id}"),
            action: action::name(ofx_str!(kOfxActionLoad)),
            status: load.status,
            messages: descriptor.log.since(mark),
        });
    }
    if load.status == Status::REPLY_DEFAULT {
        warnings.push(
            "Load returned kOfxStatReplyDefault (MLT drops plugins that do not return kOfxStatOK)"
                .into(),
        );
    }

    let mark = descriptor.log.mark();
    let describe = action::call(main, ofx_str!(kOfxActionDescribe), owner, owner, None, None);
    if describe.status.is_error() {
        let err = HostError::Action {
            what: format!("describe of {id}"),
            action: action::name(ofx_str!(kOfxActionDescribe)),
            status: describe.status,
            messages: descriptor.log.since(mark),
        };
        action::call(main, ofx_str!(kOfxActionUnload), 0, owner, None, None);
        return Err(err);
    }
    if describe.status != Status::OK {
        warnings.push(format!(
            "Describe returned {} instead of kOfxStatOK",
            describe.status
        ));
    }
    warnings.extend(lock(&descriptor.misuse).iter().cloned());
    let description = effect_description(info, &descriptor.props, warnings);
    Ok(Described {
        descriptor,
        description,
        timings: PluginTimings {
            load: load.elapsed,
            describe: describe.elapsed,
        },
    })
}

impl PluginCore {
    pub(crate) fn load(
        info: PluginInfo,
        entry: RawEntry,
        library: Arc<LibraryInner>,
    ) -> Result<PluginCore, HostError> {
        if let Some(set_host) = entry.set_host {
            // SAFETY: the plugin's `setHost`, given the host struct, which lives for the whole process.
            unsafe { set_host(host_struct()) };
        }
        let spec_defaults = library.options.spec_defaults;
        let d = load_and_describe(&info, entry.main, spec_defaults)?;
        Ok(PluginCore {
            info,
            main: entry.main,
            descriptor: d.descriptor,
            description: d.description,
            contexts: Mutex::new(Vec::new()),
            serial: Mutex::new(()),
            timings: d.timings,
            spec_defaults,
            repeated: Mutex::new(Vec::new()),
            _library: library,
        })
    }

    /// The plugin-wide lock, for plugins that declared their renders thread-unsafe.
    pub(crate) fn serial(&self) -> Option<MutexGuard<'_, ()>> {
        (self.description.render_thread_safety == RenderThreadSafety::Unsafe)
            .then(|| lock(&self.serial))
    }

    /// The descriptor of `context`, running `DescribeInContext` the first time.
    pub(crate) fn context(&self, context: Context) -> Result<Arc<ContextDescriptor>, HostError> {
        let mut contexts = lock(&self.contexts);
        if let Some((_, d)) = contexts.iter().find(|(c, _)| *c == context) {
            return Ok(Arc::clone(d));
        }
        let unsupported = || HostError::UnsupportedContext {
            plugin: self.info.id.clone(),
            context: names::context(context).to_owned(),
        };
        if !matches!(context, Context::Filter | Context::General)
            || !self.description.contexts.contains(&context)
        {
            return Err(unsupported());
        }
        let props = PropertySet::new("image effect context descriptor");
        props.copy_from(&self.descriptor.props);
        let effect = EFFECTS.register(EffectNode::with_defaults(
            EffectKind::ContextDescriptor(context),
            props,
            self.spec_defaults,
        ));
        let in_args = action::in_args();
        in_args.define_str(ofx_str!(kOfxImageEffectPropContext), context.as_cstr());
        let in_args = in_args.register();
        let action = ofx_str!(kOfxImageEffectActionDescribeInContext);
        let mark = effect.log.mark();
        let called = {
            let _serial = self.serial();
            action::call(
                self.main,
                action,
                effect.id(),
                effect.id(),
                Some(&in_args),
                None,
            )
        };
        let what = || {
            format!(
                "describe of {} in the {} context",
                self.info.id,
                names::context(context)
            )
        };
        action::check(what, action, called.status, &effect.log, mark)?;
        let mut warnings = Vec::new();
        if called.status != Status::OK {
            warnings.push(format!(
                "DescribeInContext returned {} instead of kOfxStatOK",
                called.status
            ));
        }
        warnings.extend(lock(&effect.misuse).iter().cloned());
        let description = context_description(context, &effect, warnings);
        let d = Arc::new(ContextDescriptor {
            effect,
            description,
            elapsed: called.elapsed,
        });
        contexts.push((context, Arc::clone(&d)));
        Ok(d)
    }
}

impl Drop for PluginCore {
    fn drop(&mut self) {
        let owner = self.descriptor.id();
        let mark = self.descriptor.log.mark();
        let called = action::call(self.main, ofx_str!(kOfxActionUnload), 0, owner, None, None);
        if called.status.is_error() {
            let messages: Vec<String> = self
                .descriptor
                .log
                .since(mark)
                .iter()
                .map(ToString::to_string)
                .collect();
            tracing::warn!(plugin = %self.info.id, status = %called.status, ?messages, "Unload failed");
        }
    }
}

/// A loaded and described plugin. Cheap to clone, `Send + Sync`; instances keep it loaded.
#[derive(Clone)]
pub struct Plugin {
    core: Arc<PluginCore>,
}

impl Plugin {
    pub(crate) fn from_core(core: Arc<PluginCore>) -> Plugin {
        Plugin { core }
    }

    pub fn info(&self) -> &PluginInfo {
        &self.core.info
    }

    /// What `Describe` declared.
    pub fn description(&self) -> &EffectDescription {
        &self.core.description
    }

    /// How long `Load` and `Describe` took inside the plugin.
    pub fn timings(&self) -> PluginTimings {
        self.core.timings
    }

    /// Filter when the plugin supports it, else General, else `None` (this host runs no other context).
    pub fn default_context(&self) -> Option<Context> {
        [Context::Filter, Context::General]
            .into_iter()
            .find(|c| self.core.description.contexts.contains(c))
    }

    /// What `DescribeInContext` declared for `context` (run on first use, then cached).
    pub fn describe_in_context(&self, context: Context) -> Result<ContextDescription, HostError> {
        Ok(self.core.context(context)?.description.clone())
    }

    /// How long `DescribeInContext` took for `context`, running it if needed.
    pub fn describe_in_context_time(&self, context: Context) -> Result<Duration, HostError> {
        Ok(self.core.context(context)?.elapsed)
    }

    /// The plugin, and the given context if any, as one serialisable description.
    pub fn describe(&self, context: Option<Context>) -> Result<PluginDescription, HostError> {
        let context = context.map(|c| self.describe_in_context(c)).transpose()?;
        Ok(PluginDescription {
            effect: self.core.description.clone(),
            context,
        })
    }

    /// Creates an instance in `context` (`CreateInstance`). Instances are independent: each can be
    /// rendered from its own thread.
    pub fn instance(&self, context: Context) -> Result<Instance, HostError> {
        self.instance_with(context, CreateMode::Normal)
    }

    /// Like [`Plugin::instance`], sending `CreateInstance` as `mode` says.
    pub fn instance_with(&self, context: Context, mode: CreateMode) -> Result<Instance, HostError> {
        let descriptor = self.core.context(context)?;
        Instance::create(Arc::clone(&self.core), context, descriptor, mode)
    }

    /// Sends `Load` and `Describe` again, on a fresh descriptor and without `Unload`, as MLT does every
    /// time it scans, and returns what this Describe declared (the plugin stays as first described).
    pub fn repeat_load_and_describe(&self) -> Result<EffectDescription, HostError> {
        let d = load_and_describe(&self.core.info, self.core.main, self.core.spec_defaults)?;
        let description = d.description.clone();
        lock(&self.core.repeated).push(d.descriptor);
        Ok(description)
    }

    /// Messages posted on the plugin's descriptors (during Load, Describe, DescribeInContext) not
    /// returned before.
    pub fn take_messages(&self) -> Vec<Message> {
        let mut out = self.core.descriptor.log.take_unread();
        for (_, d) in lock(&self.core.contexts).iter() {
            out.extend(d.effect.log.take_unread());
        }
        out
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("id", &self.core.info.id)
            .finish_non_exhaustive()
    }
}
