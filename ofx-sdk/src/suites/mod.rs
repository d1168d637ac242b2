//! The suites a plugin calls, one module per OpenFX header, fetched once at `kOfxActionLoad`.
//!
//! Every call goes through [`suite_call!`]: it names the C function, fails cleanly when the host left the
//! function pointer null, and turns the returned code into a [`Status`](crate::Status).

use std::ffi::{CStr, c_void};

use crate::error::{Error, Result};
use crate::ofx_str;
use crate::raw::sys;

pub mod image_effect;
pub mod message;
pub mod param;
pub mod progress;
pub mod property;

/// Calls `$suite.$func(args...)` and yields its [`Status`](crate::Status), or returns
/// `Error::MissingFunction` from the enclosing function when the host left that pointer null.
///
/// The caller writes the `unsafe` block around the macro, with the `// SAFETY:` reason that holds for the
/// arguments it passes.
macro_rules! suite_call {
    ($suite:expr, $func:ident($($arg:expr),* $(,)?)) => {{
        let f = $suite.$func.ok_or($crate::error::Error::MissingFunction(stringify!($func)))?;
        $crate::status::Status(f($($arg),*))
    }};
}
pub(crate) use suite_call;

/// The suites this SDK uses, as the host gave them. The property, image effect and parameter suites are
/// mandatory (nothing works without them); the others are optional and their absence is handled.
#[derive(Clone, Copy)]
pub struct Suites {
    pub(crate) property: &'static sys::OfxPropertySuiteV1,
    pub(crate) image_effect: &'static sys::OfxImageEffectSuiteV1,
    pub(crate) param: &'static sys::OfxParameterSuiteV1,
    pub(crate) message_v1: Option<&'static sys::OfxMessageSuiteV1>,
    pub(crate) message_v2: Option<&'static sys::OfxMessageSuiteV2>,
    pub(crate) progress_v1: Option<&'static sys::OfxProgressSuiteV1>,
    pub(crate) progress_v2: Option<&'static sys::OfxProgressSuiteV2>,
}

// SAFETY: the suites are tables of C function pointers that the host keeps alive and immutable while the
// plugin is loaded; the OpenFX API allows calling them from any thread the host calls the plugin on.
unsafe impl Send for Suites {}
// SAFETY: as above; the tables are never written through these references.
unsafe impl Sync for Suites {}

impl Suites {
    /// Fetches every suite from the host. Called once at `kOfxActionLoad`.
    ///
    /// # Safety
    /// `host` must be the pointer the host passed to `setHost`, valid until the plugin is unloaded.
    pub(crate) unsafe fn fetch(host: *const sys::OfxHost) -> Result<Suites> {
        if host.is_null() {
            return Err(Error::NullHandle("OfxHost"));
        }
        // SAFETY: the caller guarantees `host` is the live host struct.
        let host = unsafe { &*host };
        let fetch_suite = host
            .fetchSuite
            .ok_or(Error::MissingFunction("fetchSuite"))?;
        let fetch = |name: &'static CStr, version: i32| -> *const c_void {
            // SAFETY: `fetchSuite` is the host's function, called with its own property set handle and a
            // NUL-terminated suite name, as the API prescribes.
            unsafe { fetch_suite(host.host, name.as_ptr(), version) }
        };
        // SAFETY: a non-null pointer returned by fetchSuite for (name, version) points to that suite's
        // struct, which the host keeps alive until the plugin is unloaded.
        let property = unsafe {
            required::<sys::OfxPropertySuiteV1>(fetch(ofx_str!(kOfxPropertySuite), 1), "property")?
        };
        // SAFETY: as above.
        let image_effect = unsafe {
            required::<sys::OfxImageEffectSuiteV1>(
                fetch(ofx_str!(kOfxImageEffectSuite), 1),
                "image effect",
            )?
        };
        // SAFETY: as above.
        let param = unsafe {
            required::<sys::OfxParameterSuiteV1>(
                fetch(ofx_str!(kOfxParameterSuite), 1),
                "parameter",
            )?
        };
        // SAFETY: as above, for each optional suite.
        let (message_v1, message_v2, progress_v1, progress_v2) = unsafe {
            (
                optional::<sys::OfxMessageSuiteV1>(fetch(ofx_str!(kOfxMessageSuite), 1)),
                optional::<sys::OfxMessageSuiteV2>(fetch(ofx_str!(kOfxMessageSuite), 2)),
                optional::<sys::OfxProgressSuiteV1>(fetch(ofx_str!(kOfxProgressSuite), 1)),
                optional::<sys::OfxProgressSuiteV2>(fetch(ofx_str!(kOfxProgressSuite), 2)),
            )
        };
        Ok(Suites {
            property,
            image_effect,
            param,
            message_v1,
            message_v2,
            progress_v1,
            progress_v2,
        })
    }
}

/// # Safety
/// `ptr` is null or points to a `T` that lives until the plugin is unloaded.
unsafe fn required<T>(ptr: *const c_void, name: &'static str) -> Result<&'static T> {
    // SAFETY: forwarded from the caller.
    unsafe { optional(ptr) }.ok_or(Error::MissingSuite { name, version: 1 })
}

/// # Safety
/// `ptr` is null or points to a `T` that lives until the plugin is unloaded.
unsafe fn optional<T>(ptr: *const c_void) -> Option<&'static T> {
    // SAFETY: forwarded from the caller; `as_ref` maps null to `None`.
    unsafe { ptr.cast::<T>().as_ref() }
}
