//! Progress suite V1 and V2: progress is recorded on the instance; `progressUpdate` answers
//! `kOfxStatReplyNo` once the host has asked the instance to abort.

use std::ffi::{c_char, c_void};
use std::sync::atomic::Ordering;

use crate::raw::sys::{self, OfxStatus};
use crate::status::Status;

use super::{c_str, guard};
use crate::host::handles::lock;
use crate::host::objects::{EFFECTS, Progress};

pub(crate) static SUITE_V1: sys::OfxProgressSuiteV1 = sys::OfxProgressSuiteV1 {
    progressStart: Some(start_v1),
    progressUpdate: Some(update),
    progressEnd: Some(end),
};

pub(crate) static SUITE_V2: sys::OfxProgressSuiteV2 = sys::OfxProgressSuiteV2 {
    progressStart: Some(start_v2),
    progressUpdate: Some(update),
    progressEnd: Some(end),
};

/// # Safety
/// `label` is null or NUL-terminated.
unsafe fn start(effect: *mut c_void, label: *const c_char) -> Result<(), Status> {
    let effect = EFFECTS.get(effect).ok_or(Status::ERR_BAD_HANDLE)?;
    // SAFETY: per the contract.
    let label = unsafe { c_str(label) }
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    tracing::debug!(%label, "progress start");
    *lock(&effect.progress) = Some(Progress {
        label,
        value: 0.0,
        active: true,
    });
    Ok(())
}

unsafe extern "C" fn start_v1(effect: *mut c_void, label: *const c_char) -> OfxStatus {
    // SAFETY: the plugin passes a NUL-terminated label.
    guard("progressStart", || unsafe { start(effect, label) })
}

unsafe extern "C" fn start_v2(
    effect: *mut c_void,
    message: *const c_char,
    _id: *const c_char,
) -> OfxStatus {
    // SAFETY: the plugin passes a NUL-terminated message.
    guard("progressStart", || unsafe { start(effect, message) })
}

unsafe extern "C" fn update(effect: *mut c_void, value: f64) -> OfxStatus {
    guard("progressUpdate", || {
        let effect = EFFECTS.get(effect).ok_or(Status::ERR_BAD_HANDLE)?;
        if let Some(p) = lock(&effect.progress).as_mut() {
            p.value = value;
        }
        if effect.abort_on_progress.load(Ordering::Relaxed) {
            effect.abort.store(true, Ordering::Relaxed);
        }
        Ok(if effect.aborted() {
            Status::REPLY_NO
        } else {
            Status::OK
        })
    })
}

unsafe extern "C" fn end(effect: *mut c_void) -> OfxStatus {
    guard("progressEnd", || {
        let effect = EFFECTS.get(effect).ok_or(Status::ERR_BAD_HANDLE)?;
        if let Some(p) = lock(&effect.progress).as_mut() {
            p.active = false;
        }
        Ok(())
    })
}
