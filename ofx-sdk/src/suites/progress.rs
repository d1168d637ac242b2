//! The progress suite (`ofxProgress.h`, V2 preferred, V1 as fallback).

use std::ffi::{CStr, CString, c_void};

use super::Suites;
use crate::status::Status;

/// A progress bar for one instance; ended when dropped. On hosts without the suite it does nothing.
pub struct Progress<'a> {
    suites: &'a Suites,
    handle: *mut c_void,
    started: bool,
}

impl<'a> Progress<'a> {
    pub(crate) fn start(suites: &'a Suites, handle: *mut c_void, label: &str) -> Self {
        let label = CString::new(label.replace('\0', " ")).unwrap_or_default();
        let id: &CStr = c"";
        let status = if let Some(start) = suites.progress_v2.and_then(|s| s.progressStart) {
            // SAFETY: host function with a live instance handle and NUL-terminated label and id.
            Some(Status(unsafe {
                start(handle, label.as_ptr(), id.as_ptr())
            }))
        } else {
            suites
                .progress_v1
                .and_then(|s| s.progressStart)
                .map(|start| {
                    // SAFETY: as above, V1 signature.
                    Status(unsafe { start(handle, label.as_ptr()) })
                })
        };
        Progress {
            suites,
            handle,
            started: status.is_some_and(|s| !s.is_error()),
        }
    }

    /// Reports `fraction` (0..1) done. Returns `false` when the host asks to stop.
    pub fn update(&self, fraction: f64) -> bool {
        if !self.started {
            return true;
        }
        let update = self
            .suites
            .progress_v2
            .and_then(|s| s.progressUpdate)
            .or_else(|| self.suites.progress_v1.and_then(|s| s.progressUpdate));
        let Some(update) = update else { return true };
        // SAFETY: host function with the live instance handle the bar was started on.
        let status = Status(unsafe { update(self.handle, fraction.clamp(0.0, 1.0)) });
        status != Status::REPLY_NO
    }
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        if !self.started {
            return;
        }
        let end = self
            .suites
            .progress_v2
            .and_then(|s| s.progressEnd)
            .or_else(|| self.suites.progress_v1.and_then(|s| s.progressEnd));
        if let Some(end) = end {
            // SAFETY: host function with the instance handle the bar was started on; ended exactly once.
            unsafe { end(self.handle) };
        }
    }
}
