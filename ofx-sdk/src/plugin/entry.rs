//! The one `mainEntry` of every effect: parse the action, build the typed arguments, call the effect,
//! write its answer, and map every outcome to an OFX status. Nothing unwinds across the C boundary:
//! the whole dispatch runs inside `catch_unwind`.

use std::ffi::{CStr, CString, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::actions::{
    Action, BeginSequenceRenderArgs, ClipPreferences, FramesNeeded, FramesNeededArgs,
    InstanceChangedArgs, IsIdentityArgs, RegionOfDefinitionArgs, RegionsOfInterest,
    RegionsOfInterestArgs, RenderArgs, per_clip_property,
};
use super::effect::{Effect, EffectDescriptor, EffectInstance};
use super::host;
use super::instance::{self, InstanceData};
use crate::error::{ActionError, Error};
use crate::ofx_str;
use crate::raw::sys;
use crate::status::Status;
use crate::suites::Suites;
use crate::suites::image_effect::ImageEffect;
use crate::suites::message::MessageLevel;
use crate::suites::property::PropertySet;
use crate::types::Context;

/// The failure of one action: the status for the host and the sentence for the artist.
struct Failure {
    status: Status,
    message: String,
}

impl<T: ActionError> From<T> for Failure {
    fn from(e: T) -> Self {
        Failure {
            status: e.status(),
            message: e.user_message(),
        }
    }
}

type Outcome = Result<Status, Failure>;

/// The `mainEntry` of effect `E`. A C function pointer carries no user data, so each effect type gets its
/// own monomorphised entry.
///
/// # Safety
/// Called by the host as the OpenFX API prescribes: `action` a NUL-terminated action name, `handle` the
/// effect handle (or null for Load/Unload), `in_args`/`out_args` property sets or null.
pub unsafe extern "C" fn main_entry<E: Effect>(
    action: *const c_char,
    handle: *const c_void,
    in_args: sys::OfxPropertySetHandle,
    out_args: sys::OfxPropertySetHandle,
) -> sys::OfxStatus {
    if action.is_null() {
        return Status::ERR_BAD_HANDLE.raw();
    }
    // SAFETY: non-null, NUL-terminated per the API.
    let action_name = unsafe { CStr::from_ptr(action) };
    let Some(action) = Action::from_cstr(action_name) else {
        return Status::REPLY_DEFAULT.raw();
    };
    let handle = handle.cast_mut().cast::<sys::OfxImageEffectStruct>();
    let _span = tracing::debug_span!("ofx", plugin = ?E::ID, action = action.name()).entered();
    let result = catch_unwind(AssertUnwindSafe(|| {
        dispatch::<E>(action, handle, in_args, out_args)
    }));
    let status = match result {
        Ok(Ok(status)) => status,
        Ok(Err(failure)) => {
            tracing::warn!(status = %failure.status, "{}: {}", action.name(), failure.message);
            report::<E>(action, handle, &failure.message);
            failure.status
        }
        Err(panic) => {
            let what = panic_text(panic.as_ref());
            tracing::error!("panic in {}: {what}", action.name());
            report::<E>(
                action,
                handle,
                &format!("internal error in {}: {what}", action.name()),
            );
            Status::FAILED
        }
    };
    // Load and Describe must answer exactly OK: some hosts (MLT) drop a plugin answering ReplyDefault.
    if matches!(
        action,
        Action::Load | Action::Describe | Action::DescribeInContext
    ) && !status.is_error()
    {
        return Status::OK.raw();
    }
    status.raw()
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Shows a failure on the instance's node (persistent message), so the artist sees the cause. Runs under
/// its own barrier: reporting must not unwind either.
fn report<E: Effect>(action: Action, handle: sys::OfxImageEffectHandle, message: &str) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let Some(loaded) = host::current() else {
            return;
        };
        let Some(effect) = ImageEffect::new(handle, &loaded.suites) else {
            return;
        };
        if !action.is_instance_action() {
            return;
        }
        let Ok(instance) = EffectInstance::new(effect) else {
            return;
        };
        instance.set_persistent_message(MessageLevel::Error, message);
        let _ = instance::with::<E, _>(&instance, |data| data.mark_persistent_message(true));
    }));
}

fn props<'a>(
    handle: sys::OfxPropertySetHandle,
    suites: &'a Suites,
    what: &'static str,
) -> Result<PropertySet<'a>, Error> {
    PropertySet::new(handle, suites.property).ok_or(Error::NullHandle(what))
}

fn dispatch<E: Effect>(
    action: Action,
    handle: sys::OfxImageEffectHandle,
    in_args: sys::OfxPropertySetHandle,
    out_args: sys::OfxPropertySetHandle,
) -> Outcome {
    match action {
        Action::Load => {
            host::load()?;
            E::load()?;
            return Ok(Status::OK);
        }
        Action::Unload => {
            host::unload();
            return Ok(Status::OK);
        }
        _ => {}
    }
    let loaded = host::require()?;
    let suites = &loaded.suites;
    let effect = ImageEffect::new(handle, suites).ok_or(Error::NullHandle("image effect"))?;
    match action {
        Action::Describe => {
            E::describe(&EffectDescriptor::new(effect)?)?;
            Ok(Status::OK)
        }
        Action::DescribeInContext => {
            let args = props(in_args, suites, "describe-in-context arguments")?;
            let name = args.get_cstring(ofx_str!(kOfxImageEffectPropContext), 0)?;
            let context = Context::from_cstr(&name)
                .ok_or_else(|| Error::InvalidValue(format!("unknown context {name:?}")))?;
            E::describe_in_context(&EffectDescriptor::new(effect)?, context)?;
            Ok(Status::OK)
        }
        Action::CreateInstance => {
            let instance = EffectInstance::new(effect)?;
            // A failed creation is remembered, so later actions on the instance can say why.
            match E::create_instance(&instance) {
                Ok(created) => {
                    instance::install(&instance, InstanceData::new(Ok(created)))?;
                    Ok(Status::OK)
                }
                Err(e) => {
                    let failure = Failure::from(e);
                    let remembered = (failure.status, failure.message.clone());
                    instance::install::<E>(&instance, InstanceData::new(Err(remembered)))?;
                    Err(failure)
                }
            }
        }
        Action::DestroyInstance => {
            let instance = EffectInstance::new(effect)?;
            drop(instance::take::<E>(&instance)?);
            Ok(Status::OK)
        }
        _ => instance_action::<E>(action, effect, suites, in_args, out_args),
    }
}

/// Actions on a live instance: fetch its data, call the effect, write the answer.
fn instance_action<E: Effect>(
    action: Action,
    effect: ImageEffect<'_>,
    suites: &Suites,
    in_args: sys::OfxPropertySetHandle,
    out_args: sys::OfxPropertySetHandle,
) -> Outcome {
    let instance = EffectInstance::new(effect)?;
    instance::with::<E, _>(&instance, |data| {
        let effect = match &data.effect {
            Ok(effect) => effect,
            Err((status, message)) => {
                return Err(Failure {
                    status: *status,
                    message: format!("the instance could not be created: {message}"),
                });
            }
        };
        let status = run_action(action, effect, &instance, suites, in_args, out_args)?;
        // A success clears the failure message an earlier render left on the node.
        if action == Action::Render && data.mark_persistent_message(false) {
            instance.clear_persistent_message();
        }
        Ok(status)
    })?
}

fn run_action<E: Effect>(
    action: Action,
    effect: &E,
    instance: &EffectInstance<'_>,
    suites: &Suites,
    in_args: sys::OfxPropertySetHandle,
    out_args: sys::OfxPropertySetHandle,
) -> Outcome {
    let in_props = || props(in_args, suites, "action arguments");
    let out_props = || props(out_args, suites, "action results");
    match action {
        Action::Render => {
            let args = RenderArgs::read(&in_props()?)?;
            effect.render(instance, &args)?;
            Ok(Status::OK)
        }
        Action::BeginSequenceRender | Action::EndSequenceRender => {
            let args = BeginSequenceRenderArgs::read(&in_props()?);
            if action == Action::BeginSequenceRender {
                effect.begin_sequence_render(instance, &args)?;
            } else {
                effect.end_sequence_render(instance, &args)?;
            }
            Ok(Status::OK)
        }
        Action::GetRegionOfDefinition => {
            let args = RegionOfDefinitionArgs::read(&in_props()?)?;
            match effect.region_of_definition(instance, &args)? {
                Some(rod) => {
                    out_props()?
                        .set_rect_d(ofx_str!(kOfxImageEffectPropRegionOfDefinition), rod)?;
                    Ok(Status::OK)
                }
                None => Ok(Status::REPLY_DEFAULT),
            }
        }
        Action::GetRegionsOfInterest => {
            let args = RegionsOfInterestArgs::read(&in_props()?)?;
            let mut rois = RegionsOfInterest::default();
            effect.regions_of_interest(instance, &args, &mut rois)?;
            if rois.regions.is_empty() {
                return Ok(Status::REPLY_DEFAULT);
            }
            let out = out_props()?;
            for (clip, rect) in &rois.regions {
                if let Some(name) = per_clip_property("OfxImageClipPropRoI_", clip) {
                    out.set_rect_d(&name, *rect)?;
                }
            }
            Ok(Status::OK)
        }
        Action::GetFramesNeeded => {
            let args = FramesNeededArgs::read(&in_props()?)?;
            let mut frames = FramesNeeded::default();
            effect.frames_needed(instance, &args, &mut frames)?;
            if frames.ranges.is_empty() {
                return Ok(Status::REPLY_DEFAULT);
            }
            let out = out_props()?;
            for (clip, ranges) in &frames.ranges {
                if let Some(name) = per_clip_property("OfxImageClipPropFrameRange_", clip) {
                    let flat: Vec<f64> = ranges.iter().flat_map(|(a, b)| [*a, *b]).collect();
                    out.set_doubles(&name, &flat)?;
                }
            }
            Ok(Status::OK)
        }
        Action::GetClipPreferences => {
            let mut prefs = ClipPreferences::default();
            effect.clip_preferences(instance, &mut prefs)?;
            if prefs == ClipPreferences::default() {
                return Ok(Status::REPLY_DEFAULT);
            }
            let out = out_props()?;
            for (clip, components) in &prefs.components {
                if let Some(name) = per_clip_property("OfxImageClipPropComponents_", clip) {
                    out.set_cstr(&name, 0, components.as_cstr())?;
                }
            }
            for (clip, depth) in &prefs.depths {
                if let Some(name) = per_clip_property("OfxImageClipPropDepth_", clip) {
                    out.set_cstr(&name, 0, depth.as_cstr())?;
                }
            }
            for (clip, names) in &prefs.colourspaces {
                if let Some(name) =
                    per_clip_property("OfxImageClipPropPreferredColourspaces_", clip)
                {
                    let names: Vec<&CStr> = names.iter().map(CString::as_c_str).collect();
                    out.set_cstrs(&name, &names)?;
                }
            }
            if let Some(premult) = prefs.output_premultiplication {
                out.set_cstr(
                    ofx_str!(kOfxImageEffectPropPreMultiplication),
                    0,
                    premult.as_cstr(),
                )?;
            }
            Ok(Status::OK)
        }
        Action::IsIdentity => {
            let args = IsIdentityArgs::read(&in_props()?)?;
            match effect.is_identity(instance, &args)? {
                Some(identity) => {
                    let out = out_props()?;
                    out.set_cstr(ofx_str!(kOfxPropName), 0, &identity.clip)?;
                    out.set_double(ofx_str!(kOfxPropTime), 0, identity.time)?;
                    Ok(Status::OK)
                }
                None => Ok(Status::REPLY_DEFAULT),
            }
        }
        Action::InstanceChanged => {
            let args = InstanceChangedArgs::read(&in_props()?)?;
            effect.instance_changed(instance, &args)?;
            Ok(Status::OK)
        }
        Action::PurgeCaches => {
            effect.purge_caches(instance)?;
            Ok(Status::OK)
        }
        Action::Load
        | Action::Unload
        | Action::Describe
        | Action::DescribeInContext
        | Action::CreateInstance
        | Action::DestroyInstance => Ok(Status::REPLY_DEFAULT),
    }
}
