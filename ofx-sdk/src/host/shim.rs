//! The C shim (`csrc/variadic.c`) for the suites' variadic functions: its entry points, which go into
//! the suite structs, and the plain Rust callbacks it forwards to, registered once at start-up.

use std::ffi::{c_char, c_int, c_void};
use std::sync::Once;

use crate::raw::sys::{OfxParamHandle, OfxStatus};

use super::suites::{guard, message, param};

/// Must match `OfxhCallbacks` in `csrc/variadic.c` field for field.
#[repr(C)]
struct Callbacks {
    param_shape: unsafe extern "C" fn(OfxParamHandle, *mut c_int, *mut c_int) -> OfxStatus,
    param_get: unsafe extern "C" fn(
        OfxParamHandle,
        c_int,
        f64,
        *mut f64,
        *mut c_int,
        *mut *const c_char,
    ) -> OfxStatus,
    param_set: unsafe extern "C" fn(
        OfxParamHandle,
        c_int,
        f64,
        *const f64,
        *const c_int,
        *const c_char,
    ) -> OfxStatus,
    param_derivative: unsafe extern "C" fn(OfxParamHandle, f64, *mut f64) -> OfxStatus,
    param_integral: unsafe extern "C" fn(OfxParamHandle, f64, f64, *mut f64) -> OfxStatus,
    message: unsafe extern "C" fn(
        *mut c_void,
        c_int,
        *const c_char,
        *const c_char,
        *const c_char,
    ) -> OfxStatus,
}

unsafe extern "C" {
    fn ofxh_register_callbacks(callbacks: *const Callbacks);
    pub(crate) fn ofxh_param_get_value(h: OfxParamHandle, ...) -> OfxStatus;
    pub(crate) fn ofxh_param_get_value_at_time(h: OfxParamHandle, time: f64, ...) -> OfxStatus;
    pub(crate) fn ofxh_param_set_value(h: OfxParamHandle, ...) -> OfxStatus;
    pub(crate) fn ofxh_param_set_value_at_time(h: OfxParamHandle, time: f64, ...) -> OfxStatus;
    pub(crate) fn ofxh_param_get_derivative(h: OfxParamHandle, time: f64, ...) -> OfxStatus;
    pub(crate) fn ofxh_param_get_integral(
        h: OfxParamHandle,
        time1: f64,
        time2: f64,
        ...
    ) -> OfxStatus;
    pub(crate) fn ofxh_message(
        handle: *mut c_void,
        message_type: *const c_char,
        message_id: *const c_char,
        format: *const c_char,
        ...
    ) -> OfxStatus;
    pub(crate) fn ofxh_set_persistent_message(
        handle: *mut c_void,
        message_type: *const c_char,
        message_id: *const c_char,
        format: *const c_char,
        ...
    ) -> OfxStatus;
}

static CALLBACKS: Callbacks = Callbacks {
    param_shape: cb_param_shape,
    param_get: cb_param_get,
    param_set: cb_param_set,
    param_derivative: cb_param_derivative,
    param_integral: cb_param_integral,
    message: cb_message,
};

/// Registers the callbacks with the C side; done before any suite is handed out.
pub(crate) fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `CALLBACKS` is a static with the layout the C side expects; the C side only stores it.
        unsafe { ofxh_register_callbacks(&CALLBACKS) }
    });
}

unsafe extern "C" fn cb_param_shape(
    h: OfxParamHandle,
    kind: *mut c_int,
    count: *mut c_int,
) -> OfxStatus {
    guard("paramGetValue", || {
        let (k, n) = param::shape(h)?;
        // SAFETY: the C shim passes pointers to its own locals.
        unsafe {
            *kind = k;
            *count = n;
        }
        Ok(())
    })
}

unsafe extern "C" fn cb_param_get(
    h: OfxParamHandle,
    at_time: c_int,
    time: f64,
    d: *mut f64,
    i: *mut c_int,
    s: *mut *const c_char,
) -> OfxStatus {
    guard("paramGetValue", || {
        let value = param::get(h, (at_time != 0).then_some(time))?;
        // SAFETY: the C shim passes arrays of 4 doubles and 4 ints and one string slot, and `param::get`
        // returns at most 4 values.
        unsafe { value.write(d, i, s) };
        Ok(())
    })
}

unsafe extern "C" fn cb_param_set(
    h: OfxParamHandle,
    _at_time: c_int,
    _time: f64,
    d: *const f64,
    i: *const c_int,
    s: *const c_char,
) -> OfxStatus {
    guard("paramSetValue", || {
        // SAFETY: the C shim passes arrays of 4 doubles and 4 ints, and the plugin's string (or null).
        unsafe { param::set_from_c(h, d, i, s) }
    })
}

unsafe extern "C" fn cb_param_derivative(h: OfxParamHandle, time: f64, d: *mut f64) -> OfxStatus {
    guard("paramGetDerivative", || {
        let v = param::derivative(h, time)?;
        // SAFETY: the C shim passes an array of 4 doubles; `v` has at most 4 values.
        unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), d, v.len().min(4)) };
        Ok(())
    })
}

unsafe extern "C" fn cb_param_integral(
    h: OfxParamHandle,
    time1: f64,
    time2: f64,
    d: *mut f64,
) -> OfxStatus {
    guard("paramGetIntegral", || {
        let v = param::integral(h, time1, time2)?;
        // SAFETY: the C shim passes an array of 4 doubles; `v` has at most 4 values.
        unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), d, v.len().min(4)) };
        Ok(())
    })
}

unsafe extern "C" fn cb_message(
    handle: *mut c_void,
    persistent: c_int,
    message_type: *const c_char,
    message_id: *const c_char,
    text: *const c_char,
) -> OfxStatus {
    guard("message", || {
        // SAFETY: the C shim forwards the plugin's strings (NUL-terminated or null) and its own buffer.
        unsafe { message::post(handle, persistent != 0, message_type, message_id, text) }
    })
}
