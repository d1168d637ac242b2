//! Message suite V1 and V2. The formatting functions are the C shim's (`vsnprintf`); it forwards the
//! finished text to [`post`]. Messages are recorded on the effect they name; a null handle means the
//! effect whose action the calling thread is running.

use std::ffi::{c_char, c_void};

use crate::raw::sys::{self, OfxStatus};
use crate::status::Status;

use super::{c_str, guard};
use crate::host::message::{CurrentEffect, Message, MessageLevel, MessageLog, ORPHANS};
use crate::host::objects::{EFFECTS, EffectNode};
use crate::host::shim;

pub(crate) static SUITE_V1: sys::OfxMessageSuiteV1 = sys::OfxMessageSuiteV1 {
    message: Some(shim::ofxh_message),
};

pub(crate) static SUITE_V2: sys::OfxMessageSuiteV2 = sys::OfxMessageSuiteV2 {
    message: Some(shim::ofxh_message),
    setPersistentMessage: Some(shim::ofxh_set_persistent_message),
    clearPersistentMessage: Some(clear_persistent),
};

/// The effect a message handle names: the handle itself, or for null the current action's effect.
fn effect_for(handle: *mut c_void) -> Result<Option<std::sync::Arc<EffectNode>>, Status> {
    if handle.is_null() {
        let current = CurrentEffect::get();
        return Ok(if current == 0 {
            None
        } else {
            EFFECTS.get_id(current)
        });
    }
    EFFECTS.get(handle).map(Some).ok_or(Status::ERR_BAD_HANDLE)
}

/// Records a formatted message. A question gets "no": nobody is there to answer.
///
/// # Safety
/// The string arguments are null or NUL-terminated.
pub(crate) unsafe fn post(
    handle: *mut c_void,
    persistent: bool,
    message_type: *const c_char,
    message_id: *const c_char,
    text: *const c_char,
) -> Result<Status, Status> {
    let effect = effect_for(handle)?;
    // SAFETY: per the contract.
    let (ty, id, text) = unsafe { (c_str(message_type), c_str(message_id), c_str(text)) };
    let level = ty.and_then(MessageLevel::from_cstr).unwrap_or_else(|| {
        tracing::warn!(message_type = ?ty, "plugin posted a message of unknown type");
        MessageLevel::Message
    });
    let message = Message {
        level,
        id: id
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty()),
        text: text
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        persistent,
    };
    tracing::debug!(%level, persistent, text = %message.text, "plugin message");
    let log: &MessageLog = match &effect {
        Some(e) => &e.log,
        None => &ORPHANS,
    };
    log.post(message);
    Ok(if level == MessageLevel::Question {
        Status::REPLY_NO
    } else {
        Status::OK
    })
}

unsafe extern "C" fn clear_persistent(handle: *mut c_void) -> OfxStatus {
    guard("clearPersistentMessage", || {
        match effect_for(handle)? {
            Some(e) => e.log.clear_persistent(),
            None => ORPHANS.clear_persistent(),
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::c_int;

    use super::*;
    use crate::host::objects::EffectKind;
    use crate::host::props::PropertySet;
    use crate::ofx_str;
    use crate::types::Context;

    #[test]
    fn messages_are_formatted_by_the_shim_and_recorded() {
        let effect = EFFECTS.register(EffectNode::new(
            EffectKind::Instance(Context::Filter),
            PropertySet::new("t"),
        ));
        let s = &SUITE_V2;
        shim::init();
        let error = ofx_str!(kOfxMessageError).as_ptr();
        // SAFETY: a live effect handle and NUL-terminated strings matching the format, as a plugin passes.
        unsafe {
            let st = s.message.unwrap()(
                effect.ptr(),
                error,
                c"id1".as_ptr(),
                c"model %s missing (%d)".as_ptr(),
                c"x.onnx".as_ptr(),
                42 as c_int,
            );
            assert_eq!(st, 0);
            let long = "y".repeat(2000);
            let long_c = std::ffi::CString::new(long.clone()).unwrap();
            let log = ofx_str!(kOfxMessageLog).as_ptr();
            assert_eq!(
                s.message.unwrap()(
                    effect.ptr(),
                    log,
                    std::ptr::null(),
                    c"%s".as_ptr(),
                    long_c.as_ptr()
                ),
                0
            );
            let question = ofx_str!(kOfxMessageQuestion).as_ptr();
            assert_eq!(
                s.message.unwrap()(effect.ptr(), question, c"".as_ptr(), c"ok?".as_ptr()),
                Status::REPLY_NO.raw()
            );
            assert_eq!(
                s.setPersistentMessage.unwrap()(
                    effect.ptr(),
                    error,
                    c"".as_ptr(),
                    c"%d%%".as_ptr(),
                    50 as c_int
                ),
                0
            );
            let got = effect.log.take_unread();
            assert_eq!(
                got[0],
                Message {
                    level: MessageLevel::Error,
                    id: Some("id1".into()),
                    text: "model x.onnx missing (42)".into(),
                    persistent: false
                }
            );
            assert_eq!(got[1].text, long);
            assert_eq!(got[3].text, "50%");
            assert!(got[3].persistent);
            assert_eq!(effect.log.persistent().map(|m| m.text), Some("50%".into()));
            assert_eq!(s.clearPersistentMessage.unwrap()(effect.ptr()), 0);
            assert_eq!(effect.log.persistent(), None);

            // A null handle during an action goes to that action's effect.
            {
                let _current = CurrentEffect::enter(effect.id());
                assert_eq!(
                    s.message.unwrap()(
                        std::ptr::null_mut(),
                        error,
                        c"".as_ptr(),
                        c"null handle".as_ptr()
                    ),
                    0
                );
            }
            assert_eq!(effect.log.take_unread()[0].text, "null handle");
            let bogus: *mut c_void = std::ptr::without_provenance_mut(0xbad0);
            assert_eq!(
                s.message.unwrap()(bogus, error, c"".as_ptr(), c"x".as_ptr()),
                Status::ERR_BAD_HANDLE.raw()
            );
        }
    }
}
