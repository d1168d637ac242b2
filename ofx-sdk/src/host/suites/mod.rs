//! The suites this host serves through `fetchSuite`. Each C function only translates arguments and
//! statuses; the rules live in the host objects. Every function is wrapped in [`guard`], so a bug in
//! the host becomes `kOfxStatFailed` instead of unwinding into the plugin.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::ofx_str;
use crate::raw::sys::{OfxPropertySetHandle, OfxStatus};
use crate::status::Status;

pub(crate) mod image_effect;
pub(crate) mod memory;
pub(crate) mod message;
pub(crate) mod multithread;
pub(crate) mod param;
pub(crate) mod progress;
pub(crate) mod property;
pub(crate) mod timeline;

/// What a suite function body returns.
pub(crate) trait IntoStatus {
    fn into_status(self) -> Status;
}

impl IntoStatus for Status {
    fn into_status(self) -> Status {
        self
    }
}

impl IntoStatus for Result<(), Status> {
    fn into_status(self) -> Status {
        self.map_or_else(|s| s, |()| Status::OK)
    }
}

impl IntoStatus for Result<Status, Status> {
    fn into_status(self) -> Status {
        self.unwrap_or_else(|s| s)
    }
}

/// Runs a suite function's body; a panic is logged and answered with `kOfxStatFailed`.
pub(crate) fn guard<T: IntoStatus>(what: &'static str, body: impl FnOnce() -> T) -> OfxStatus {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => r.into_status().raw(),
        Err(_) => {
            tracing::error!(function = what, "host panic inside a suite function");
            Status::FAILED.raw()
        }
    }
}

/// Like [`guard`] for functions that return something other than a status.
pub(crate) fn guard_value<T>(what: &'static str, fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        tracing::error!(function = what, "host panic inside a suite function");
        fallback
    })
}

/// A C string argument from the plugin; `None` for null.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that outlives `'a` (the suite call).
pub(crate) unsafe fn c_str<'a>(p: *const c_char) -> Option<&'a CStr> {
    // SAFETY: non-null and NUL-terminated per the caller's contract.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) })
}

/// Writes a result through an output pointer the plugin passed; `ErrValue` for null.
///
/// # Safety
/// `out` is null or valid for writing a `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) -> Result<(), Status> {
    if out.is_null() {
        return Err(Status::ERR_VALUE);
    }
    // SAFETY: non-null and writable per the caller's contract.
    unsafe { out.write(value) };
    Ok(())
}

/// `OfxHost::fetchSuite`. Unknown suites and versions get null, as the spec asks.
pub(crate) unsafe extern "C" fn fetch_suite(
    _host: OfxPropertySetHandle,
    name: *const c_char,
    version: c_int,
) -> *const c_void {
    guard_value("fetchSuite", std::ptr::null(), || {
        super::shim::init();
        // SAFETY: the plugin passes a suite name string.
        let Some(name) = (unsafe { c_str(name) }) else {
            return std::ptr::null();
        };
        let suite = suite(name, version);
        if suite.is_null() {
            tracing::debug!(suite = ?name, version, "plugin asked for a suite this host does not serve");
        }
        suite
    })
}

fn suite(name: &CStr, version: c_int) -> *const c_void {
    fn ptr<T>(s: &'static T) -> *const c_void {
        (s as *const T).cast()
    }
    match (name, version) {
        (n, 1) if n == ofx_str!(kOfxPropertySuite) => ptr(&property::SUITE),
        (n, 1) if n == ofx_str!(kOfxImageEffectSuite) => ptr(&image_effect::SUITE),
        (n, 1) if n == ofx_str!(kOfxParameterSuite) => ptr(&param::SUITE),
        (n, 1) if n == ofx_str!(kOfxMessageSuite) => ptr(&message::SUITE_V1),
        (n, 2) if n == ofx_str!(kOfxMessageSuite) => ptr(&message::SUITE_V2),
        (n, 1) if n == ofx_str!(kOfxMemorySuite) => ptr(&memory::SUITE),
        (n, 1) if n == ofx_str!(kOfxMultiThreadSuite) => ptr(&multithread::SUITE),
        (n, 1) if n == ofx_str!(kOfxProgressSuite) => ptr(&progress::SUITE_V1),
        (n, 2) if n == ofx_str!(kOfxProgressSuite) => ptr(&progress::SUITE_V2),
        (n, 1) if n == ofx_str!(kOfxTimeLineSuite) => ptr(&timeline::SUITE),
        _ => std::ptr::null(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_suite_serves_known_suites_only() {
        let get = |name: &CStr, v| {
            // SAFETY: a NUL-terminated name, as a plugin passes.
            unsafe { fetch_suite(std::ptr::null_mut(), name.as_ptr(), v) }
        };
        for (name, versions) in [
            (ofx_str!(kOfxPropertySuite), &[1][..]),
            (ofx_str!(kOfxImageEffectSuite), &[1]),
            (ofx_str!(kOfxParameterSuite), &[1]),
            (ofx_str!(kOfxMessageSuite), &[1, 2]),
            (ofx_str!(kOfxMemorySuite), &[1]),
            (ofx_str!(kOfxMultiThreadSuite), &[1]),
            (ofx_str!(kOfxProgressSuite), &[1, 2]),
            (ofx_str!(kOfxTimeLineSuite), &[1]),
        ] {
            for v in versions {
                assert!(!get(name, *v).is_null(), "{name:?} v{v}");
            }
            assert!(get(name, 9).is_null());
        }
        assert!(get(ofx_str!(kOfxDrawSuite), 1).is_null());
        assert!(get(ofx_str!(kOfxOpenGLRenderSuite), 1).is_null());
        assert!(get(c"NoSuchSuite", 1).is_null());
        // SAFETY: a null name is refused.
        assert!(unsafe { fetch_suite(std::ptr::null_mut(), std::ptr::null(), 1) }.is_null());
    }
}
