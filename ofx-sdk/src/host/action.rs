//! Calling a plugin's `mainEntry`: the one place the host runs plugin code for an action. It records
//! which effect the thread is working for (so messages posted with a null handle are attributed), times
//! the call, and turns an error status into a [`HostError`] carrying what the plugin said.

use std::ffi::{CStr, c_char, c_void};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::raw::sys::{OfxPropertySetHandle, OfxStatus};
use crate::status::Status;

use super::error::HostError;
use super::handles::{Registered, as_ptr};
use super::message::{CurrentEffect, MessageLog};
use super::props::PropertySet;

/// `OfxPlugin::mainEntry`.
pub(crate) type MainEntry = unsafe extern "C" fn(
    *const c_char,
    *const c_void,
    OfxPropertySetHandle,
    OfxPropertySetHandle,
) -> OfxStatus;

/// The result of one action call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Called {
    pub status: Status,
    /// Time spent inside `mainEntry` only.
    pub elapsed: Duration,
}

/// One action crossing into a plugin, as an [`ActionObserver`] sees it: once before `mainEntry` is
/// called (`status` is `None`) and once after it returned.
#[derive(Debug, Clone, Copy)]
pub struct ActionEvent<'a> {
    /// The action's name (`OfxImageEffectActionRender` ...).
    pub action: &'a str,
    /// The effect handle the action is called with (0 for Load and Unload): tells instances apart.
    pub handle: usize,
    /// The status returned, after the call.
    pub status: Option<Status>,
    /// Time inside `mainEntry`, after the call.
    pub elapsed: Option<Duration>,
}

/// Watches every action the host sends, on the thread that sends it. It must be quick and must not call
/// back into the host.
pub type ActionObserver = dyn Fn(&ActionEvent<'_>) + Send + Sync;

static OBSERVER: RwLock<Option<Arc<ActionObserver>>> = RwLock::new(None);

/// Installs (or with `None` removes) the process-wide action observer: a tool that runs plugins in a
/// child process uses it to know the last action before a crash, and to check every returned status.
pub fn set_action_observer(observer: Option<Arc<ActionObserver>>) {
    *OBSERVER
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = observer;
}

fn observer() -> Option<Arc<ActionObserver>> {
    OBSERVER
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

/// Calls `action` with effect handle `handle` (0: null, as for Load and Unload); messages posted with a
/// null handle meanwhile go to the effect `owner`.
pub(crate) fn call(
    main: MainEntry,
    action: &CStr,
    handle: usize,
    owner: usize,
    in_args: Option<&Registered<PropertySet>>,
    out_args: Option<&Registered<PropertySet>>,
) -> Called {
    let _current = CurrentEffect::enter(owner);
    let in_h = in_args.map_or(std::ptr::null_mut(), Registered::ptr);
    let out_h = out_args.map_or(std::ptr::null_mut(), Registered::ptr);
    let handle: *const c_void = as_ptr::<c_void>(handle);
    let span = tracing::debug_span!("action", action = %action.to_string_lossy());
    let _span = span.enter();
    let watcher = observer();
    let action_name = action.to_string_lossy();
    if let Some(w) = &watcher {
        w(&ActionEvent {
            action: &action_name,
            handle: handle.addr(),
            status: None,
            elapsed: None,
        });
    }
    let start = Instant::now();
    // SAFETY: `main` is the plugin's entry point from its `OfxPlugin` struct, its library stays loaded
    // for the life of the process, and every argument is a live host handle (or null where the spec
    // passes null).
    let raw = unsafe { main(action.as_ptr(), handle, in_h, out_h) };
    let elapsed = start.elapsed();
    let status = Status(raw);
    tracing::debug!(%status, ?elapsed, "returned");
    if let Some(w) = &watcher {
        w(&ActionEvent {
            action: &action_name,
            handle: handle.addr(),
            status: Some(status),
            elapsed: Some(elapsed),
        });
    }
    Called { status, elapsed }
}

/// The printable name of an action constant.
pub(crate) fn name(action: &CStr) -> String {
    action.to_string_lossy().into_owned()
}

/// Turns an error status into [`HostError::Action`] with the messages posted since `mark`.
pub(crate) fn check(
    what: impl FnOnce() -> String,
    action: &CStr,
    status: Status,
    log: &MessageLog,
    mark: u64,
) -> Result<Status, HostError> {
    if status.is_error() {
        Err(HostError::Action {
            what: what(),
            action: name(action),
            status,
            messages: log.since(mark),
        })
    } else {
        Ok(status)
    }
}

/// A fresh argument set: `inArgs` are read-only for the plugin, `outArgs` writable.
pub(crate) fn in_args() -> PropertySet {
    PropertySet::read_only("inArgs")
}

pub(crate) fn out_args() -> PropertySet {
    PropertySet::new("outArgs")
}
