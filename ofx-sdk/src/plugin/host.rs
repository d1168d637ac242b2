//! The host as the plugin sees it: the pointer from `setHost` and the suites fetched at Load, shared by
//! every effect of this binary (they all get the same host).

use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

use crate::error::{Error, Result};
use crate::ofx_str;
use crate::raw::sys;
use crate::suites::Suites;
use crate::suites::property::PropertySet;

/// Set by `setHost`, before any action.
static HOST: AtomicPtr<sys::OfxHost> = AtomicPtr::new(std::ptr::null_mut());

/// The suites, present between the first Load and the matching last Unload.
static LOADED: RwLock<Option<Loaded>> = RwLock::new(None);

/// Loads minus unloads: hosts load each plugin of a binary, and some (MLT) load many times without
/// unloading. The suites are dropped only when the count falls back to zero.
static LOAD_COUNT: Mutex<usize> = Mutex::new(0);

#[derive(Clone)]
pub(crate) struct Loaded {
    pub(crate) suites: Suites,
    /// The host's name (`kOfxPropName`), for logs and host-specific messages.
    pub(crate) host_name: String,
    /// `kOfxImageEffectPropSupportsMultiResolution` of the host description: whether output images can
    /// differ in size from the inputs. `true` when the host does not say.
    pub(crate) supports_multi_resolution: bool,
}

/// The `setHost` entry of every plugin of this binary.
///
/// # Safety
/// Called by the host with a pointer to its `OfxHost`, valid until the plugin is unloaded.
pub unsafe extern "C" fn set_host(host: *mut sys::OfxHost) {
    HOST.store(host, Ordering::Release);
}

/// `kOfxActionLoad`: fetch the suites (the mandatory ones must be there) and count the load.
pub(crate) fn load() -> Result<()> {
    let mut count = LOAD_COUNT.lock().unwrap_or_else(PoisonError::into_inner);
    if *count == 0 || current().is_none() {
        let host = HOST.load(Ordering::Acquire);
        // SAFETY: `host` is what the host gave `setHost` (null is rejected inside), valid while loaded.
        let suites = unsafe { Suites::fetch(host) }?;
        // SAFETY: non-null (checked by `fetch`) and valid while loaded.
        let host_props = unsafe { (*host).host };
        let described = PropertySet::new(host_props, suites.property);
        let host_name = described
            .as_ref()
            .and_then(|p| p.get_string(ofx_str!(kOfxPropName), 0).ok())
            .unwrap_or_else(|| "unknown host".to_owned());
        let supports_multi_resolution = described
            .as_ref()
            .and_then(|p| {
                p.get_int(ofx_str!(kOfxImageEffectPropSupportsMultiResolution), 0)
                    .ok()
            })
            .is_none_or(|v| v != 0);
        tracing::debug!(host = %host_name, supports_multi_resolution, "loaded");
        *LOADED.write().unwrap_or_else(PoisonError::into_inner) = Some(Loaded {
            suites,
            host_name,
            supports_multi_resolution,
        });
    }
    *count += 1;
    Ok(())
}

/// `kOfxActionUnload`: forget the suites once every load is matched.
pub(crate) fn unload() {
    let mut count = LOAD_COUNT.lock().unwrap_or_else(PoisonError::into_inner);
    *count = count.saturating_sub(1);
    if *count == 0 {
        *LOADED.write().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// The suites for an action; an error when the host calls an action before Load.
pub(crate) fn current() -> Option<Loaded> {
    LOADED
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// The name the host gives itself (`kOfxPropName`), once loaded: for logs and host-specific advice.
pub fn host_name() -> Option<String> {
    current().map(|loaded| loaded.host_name)
}

/// Whether the host can give an effect an output of another size than its input
/// (`kOfxImageEffectPropSupportsMultiResolution` in the host description). Hosts that cannot (MLT,
/// Flame) keep every image the size of the project, whatever region of definition the effect asks for.
/// `true` before Load and when the host does not say.
pub fn supports_multi_resolution() -> bool {
    current().is_none_or(|loaded| loaded.supports_multi_resolution)
}

pub(crate) fn require() -> Result<Loaded> {
    current().ok_or(Error::MissingHostFeature(
        "a Load action before this action (no suites were fetched)".into(),
    ))
}
