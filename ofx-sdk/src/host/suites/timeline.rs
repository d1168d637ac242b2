//! TimeLine suite V1: the current time is the frame being rendered (or last rendered); the bounds are
//! the sequence's frame range. `gotoTime` only moves the recorded time: there is no timeline to scrub.

use std::ffi::c_void;

use crate::raw::sys::{self, OfxStatus};
use crate::status::Status;

use super::{guard, write_out};
use crate::host::handles::lock;
use crate::host::objects::EFFECTS;

pub(crate) static SUITE: sys::OfxTimeLineSuiteV1 = sys::OfxTimeLineSuiteV1 {
    getTime: Some(get_time),
    gotoTime: Some(goto_time),
    getTimeBounds: Some(bounds),
};

unsafe extern "C" fn get_time(effect: *mut c_void, out: *mut f64) -> OfxStatus {
    guard("getTime", || {
        let effect = EFFECTS.get(effect).ok_or(Status::ERR_BAD_HANDLE)?;
        let t = lock(&effect.timeline).0;
        // SAFETY: the plugin passes storage for one double.
        unsafe { write_out(out, t) }
    })
}

unsafe extern "C" fn goto_time(effect: *mut c_void, time: f64) -> OfxStatus {
    guard("gotoTime", || {
        let effect = EFFECTS.get(effect).ok_or(Status::ERR_BAD_HANDLE)?;
        lock(&effect.timeline).0 = time;
        Ok(())
    })
}

unsafe extern "C" fn bounds(effect: *mut c_void, first: *mut f64, last: *mut f64) -> OfxStatus {
    guard("getTimeBounds", || {
        let effect = EFFECTS.get(effect).ok_or(Status::ERR_BAD_HANDLE)?;
        let (_, a, b) = *lock(&effect.timeline);
        // SAFETY: the plugin passes storage for two doubles.
        unsafe {
            write_out(first, a)?;
            write_out(last, b)
        }
    })
}
