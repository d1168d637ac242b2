//! The message suite (`ofxMessage.h`): plain messages (V1/V2) and persistent ones (V2) for an instance.

use std::ffi::{CStr, CString, c_void};
use std::ptr;

use super::Suites;
use crate::ofx_str;
use crate::status::Status;

/// How serious a message is (`kOfxMessageError`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageLevel {
    Fatal,
    Error,
    Warning,
    Message,
    Log,
}

impl MessageLevel {
    fn as_cstr(self) -> &'static CStr {
        match self {
            MessageLevel::Fatal => ofx_str!(kOfxMessageFatal),
            MessageLevel::Error => ofx_str!(kOfxMessageError),
            MessageLevel::Warning => ofx_str!(kOfxMessageWarning),
            MessageLevel::Message => ofx_str!(kOfxMessageMessage),
            MessageLevel::Log => ofx_str!(kOfxMessageLog),
        }
    }
}

/// The text as a C string: interior NULs (from a model's file name, say) become spaces rather than
/// losing the message.
fn to_c_text(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

const FORMAT: &CStr = c"%s";

impl Suites {
    /// Posts a message about `handle` (an instance, or null for the plugin). Returns whether the host took
    /// it; a host without the suite gets a log line instead.
    pub(crate) fn post_message(
        &self,
        handle: *mut c_void,
        level: MessageLevel,
        text: &str,
    ) -> bool {
        let text = to_c_text(text);
        let kind = level.as_cstr().as_ptr();
        // The text goes through "%s" so that a '%' in a path is never read as a format directive.
        let status = if let Some(message) = self.message_v2.and_then(|s| s.message) {
            // SAFETY: host function with a valid handle (or null), NUL-terminated type, null id, "%s" format
            // and one `char*` argument, as the format says.
            Status(unsafe { message(handle, kind, ptr::null(), FORMAT.as_ptr(), text.as_ptr()) })
        } else if let Some(message) = self.message_v1.and_then(|s| s.message) {
            // SAFETY: as above, through the V1 suite.
            Status(unsafe { message(handle, kind, ptr::null(), FORMAT.as_ptr(), text.as_ptr()) })
        } else {
            tracing::warn!(
                "host has no message suite; message was: {}",
                text.to_string_lossy()
            );
            return false;
        };
        !status.is_error()
    }

    /// Sets the instance's persistent message (shown on the node until cleared), falling back to a plain
    /// message on hosts without the V2 suite.
    pub(crate) fn set_persistent_message(
        &self,
        handle: *mut c_void,
        level: MessageLevel,
        text: &str,
    ) -> bool {
        let Some(set) = self.message_v2.and_then(|s| s.setPersistentMessage) else {
            return self.post_message(handle, level, text);
        };
        let text = to_c_text(text);
        // SAFETY: host function with a live instance handle, NUL-terminated type, null id, "%s" format and
        // one `char*` argument.
        let status = Status(unsafe {
            set(
                handle,
                level.as_cstr().as_ptr(),
                ptr::null(),
                FORMAT.as_ptr(),
                text.as_ptr(),
            )
        });
        !status.is_error()
    }

    /// Clears the instance's persistent message, if the host has them.
    pub(crate) fn clear_persistent_message(&self, handle: *mut c_void) {
        if let Some(clear) = self.message_v2.and_then(|s| s.clearPersistentMessage) {
            // SAFETY: host function with a live instance handle.
            unsafe { clear(handle) };
        }
    }
}
