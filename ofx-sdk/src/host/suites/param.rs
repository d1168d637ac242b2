//! Parameter suite V1. The variadic value functions are the C shim's (`shim.rs`); it calls the
//! functions at the bottom of this file. A parameter is constant unless the host side animated it
//! (`Instance::set_param_keys`): then its keys answer the keyframe queries and decide its value at each
//! time. Setting a value from the plugin (at a time or not) sets the constant value.

use std::ffi::{CString, c_char, c_int, c_uint};
use std::sync::{Arc, Mutex};

use crate::ofx_str;
use crate::raw::sys::{
    self, OfxParamHandle, OfxParamSetHandle, OfxPropertySetHandle, OfxRangeD, OfxStatus, OfxTime,
};
use crate::status::Status;

use super::{c_str, guard, write_out};
use crate::host::handles::lock;
use crate::host::message::CurrentEffect;
use crate::host::objects::{EFFECTS, PARAM_SETS, PARAMS, ParamNode, note_misuse};
use crate::host::param::{
    Constraints, ParamKind, Stored, ValueType, define_bare_props, define_descriptor_props,
};
use crate::host::props::PropertySet;
use crate::host::shim;

pub(crate) static SUITE: sys::OfxParameterSuiteV1 = sys::OfxParameterSuiteV1 {
    paramDefine: Some(define),
    paramGetHandle: Some(get_handle),
    paramSetGetPropertySet: Some(set_get_property_set),
    paramGetPropertySet: Some(get_property_set),
    paramGetValue: Some(shim::ofxh_param_get_value),
    paramGetValueAtTime: Some(shim::ofxh_param_get_value_at_time),
    paramGetDerivative: Some(shim::ofxh_param_get_derivative),
    paramGetIntegral: Some(shim::ofxh_param_get_integral),
    paramSetValue: Some(shim::ofxh_param_set_value),
    paramSetValueAtTime: Some(shim::ofxh_param_set_value_at_time),
    paramGetNumKeys: Some(get_num_keys),
    paramGetKeyTime: Some(get_key_time),
    paramGetKeyIndex: Some(get_key_index),
    paramDeleteKey: Some(delete_key),
    paramDeleteAllKeys: Some(delete_all_keys),
    paramCopy: Some(copy),
    paramEditBegin: Some(edit_begin),
    paramEditEnd: Some(edit_end),
};

unsafe extern "C" fn define(
    set: OfxParamSetHandle,
    param_type: *const c_char,
    name: *const c_char,
    props_out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    guard("paramDefine", || {
        let set = PARAM_SETS.get(set).ok_or(Status::ERR_BAD_HANDLE)?;
        if !set.descriptor {
            tracing::warn!("paramDefine called on an instance's parameter set");
            return Err(Status::ERR_BAD_HANDLE);
        }
        // SAFETY: the plugin passes NUL-terminated strings.
        let (ty, name) = unsafe { (c_str(param_type), c_str(name)) };
        let ty = ty.ok_or(Status::ERR_UNKNOWN)?;
        let kind = match ParamKind::from_cstr(ty) {
            Some(k) => k,
            None if ty == ofx_str!(kOfxParamTypeParametric) => return Err(Status::ERR_UNSUPPORTED),
            None => return Err(Status::ERR_UNKNOWN),
        };
        let name = name.ok_or(Status::ERR_VALUE)?;
        if name.to_str().is_err() {
            tracing::warn!(param = ?name, "parameter name is not UTF-8");
            return Err(Status::ERR_VALUE);
        }
        let mut params = lock(&set.params);
        if params.iter().any(|p| p.name.as_c_str() == name) {
            note_misuse(format!(
                "paramDefine of {:?}: a parameter of that name exists (kOfxStatErrExists)",
                name.to_string_lossy()
            ));
            return Err(Status::ERR_EXISTS);
        }
        let props = PropertySet::new("parameter descriptor");
        if set.spec_defaults {
            define_descriptor_props(&props, kind, name);
        } else {
            define_bare_props(&props, kind, name);
        }
        let node = PARAMS.register(ParamNode {
            name: name.to_owned(),
            kind,
            props: props.register(),
            instance: false,
            value: Mutex::new(Stored::zero(kind)),
            keys: Mutex::new(Vec::new()),
        });
        let props_handle = node.props.ptr();
        params.push(node);
        if !props_out.is_null() {
            // SAFETY: non-null storage for one handle.
            unsafe { props_out.write(props_handle) };
        }
        Ok(())
    })
}

unsafe extern "C" fn get_handle(
    set: OfxParamSetHandle,
    name: *const c_char,
    param_out: *mut OfxParamHandle,
    props_out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    guard("paramGetHandle", || {
        let set = PARAM_SETS.get(set).ok_or(Status::ERR_BAD_HANDLE)?;
        // SAFETY: the plugin passes a NUL-terminated name.
        let name = unsafe { c_str(name) }.ok_or(Status::ERR_UNKNOWN)?;
        let (id, node) = set.find(name).ok_or(Status::ERR_UNKNOWN)?;
        // SAFETY: the plugin passes storage for the handle.
        unsafe { write_out(param_out, crate::host::handles::as_ptr(id)) }?;
        if !props_out.is_null() {
            // SAFETY: non-null storage for one handle.
            unsafe { props_out.write(node.props.ptr()) };
        }
        Ok(())
    })
}

unsafe extern "C" fn set_get_property_set(
    set: OfxParamSetHandle,
    out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    guard("paramSetGetPropertySet", || {
        let set = PARAM_SETS.get(set).ok_or(Status::ERR_BAD_HANDLE)?;
        // SAFETY: the plugin passes storage for one handle.
        unsafe { write_out(out, set.props.ptr()) }
    })
}

unsafe extern "C" fn get_property_set(
    param: OfxParamHandle,
    out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    guard("paramGetPropertySet", || {
        let node = PARAMS.get(param).ok_or(Status::ERR_BAD_HANDLE)?;
        // SAFETY: the plugin passes storage for one handle.
        unsafe { write_out(out, node.props.ptr()) }
    })
}

/// A value-holding parameter instance (descriptors have no value to read or set).
fn instance(h: OfxParamHandle) -> Result<Arc<ParamNode>, Status> {
    let node = PARAMS.get(h).ok_or(Status::ERR_BAD_HANDLE)?;
    if !node.instance {
        return Err(Status::ERR_BAD_HANDLE);
    }
    Ok(node)
}

unsafe extern "C" fn get_num_keys(param: OfxParamHandle, out: *mut c_uint) -> OfxStatus {
    guard("paramGetNumKeys", || {
        let node = instance(param)?;
        let n = c_uint::try_from(lock(&node.keys).len()).unwrap_or(c_uint::MAX);
        // SAFETY: the plugin passes storage for one unsigned int.
        unsafe { write_out(out, n) }
    })
}

unsafe extern "C" fn get_key_time(
    param: OfxParamHandle,
    nth: c_uint,
    time: *mut OfxTime,
) -> OfxStatus {
    guard("paramGetKeyTime", || {
        let node = instance(param)?;
        let t = usize::try_from(nth)
            .ok()
            .and_then(|i| lock(&node.keys).get(i).map(|(t, _)| *t))
            .ok_or(Status::ERR_BAD_INDEX)?;
        // SAFETY: the plugin passes storage for one time.
        unsafe { write_out(time, t) }
    })
}

unsafe extern "C" fn get_key_index(
    param: OfxParamHandle,
    time: OfxTime,
    dir: c_int,
    index: *mut c_int,
) -> OfxStatus {
    guard("paramGetKeyIndex", || {
        let node = instance(param)?;
        let keys = lock(&node.keys);
        let found = match dir {
            0 => keys.iter().position(|(t, _)| *t == time),
            d if d < 0 => keys.iter().rposition(|(t, _)| *t < time),
            _ => keys.iter().position(|(t, _)| *t > time),
        };
        let i = found
            .and_then(|i| c_int::try_from(i).ok())
            .ok_or(Status::FAILED)?;
        // SAFETY: the plugin passes storage for one int.
        unsafe { write_out(index, i) }
    })
}

unsafe extern "C" fn delete_key(param: OfxParamHandle, time: OfxTime) -> OfxStatus {
    guard("paramDeleteKey", || {
        let node = instance(param)?;
        let mut keys = lock(&node.keys);
        let i = keys
            .iter()
            .position(|(t, _)| *t == time)
            .ok_or(Status::ERR_BAD_INDEX)?;
        keys.remove(i);
        Ok(())
    })
}

unsafe extern "C" fn delete_all_keys(param: OfxParamHandle) -> OfxStatus {
    guard("paramDeleteAllKeys", || {
        lock(&instance(param)?.keys).clear();
        Ok(())
    })
}

unsafe extern "C" fn copy(
    to: OfxParamHandle,
    from: OfxParamHandle,
    _offset: OfxTime,
    _range: *const OfxRangeD,
) -> OfxStatus {
    guard("paramCopy", || {
        let (to, from) = (instance(to)?, instance(from)?);
        if to.kind != from.kind {
            return Err(Status::ERR_VALUE);
        }
        if !Arc::ptr_eq(&to, &from) {
            let v = lock(&from.value).clone();
            *lock(&to.value) = v;
            let keys = lock(&from.keys).clone();
            *lock(&to.keys) = keys;
        }
        Ok(())
    })
}

unsafe extern "C" fn edit_begin(set: OfxParamSetHandle, _name: *const c_char) -> OfxStatus {
    guard("paramEditBegin", || {
        PARAM_SETS.get(set).map(drop).ok_or(Status::ERR_BAD_HANDLE)
    })
}

unsafe extern "C" fn edit_end(set: OfxParamSetHandle) -> OfxStatus {
    guard("paramEditEnd", || {
        PARAM_SETS.get(set).map(drop).ok_or(Status::ERR_BAD_HANDLE)
    })
}

// ---- what the C shim calls ----

/// Shape codes shared with `csrc/variadic.c`.
const KIND_DOUBLE: c_int = 0;
const KIND_INT: c_int = 1;
const KIND_STRING: c_int = 2;

/// The C type code and value count of a parameter instance.
pub(crate) fn shape(h: OfxParamHandle) -> Result<(c_int, c_int), Status> {
    let node = instance(h)?;
    let (ty, n) = node.kind.shape().ok_or(Status::ERR_UNSUPPORTED)?;
    let code = match ty {
        ValueType::Double => KIND_DOUBLE,
        ValueType::Int => KIND_INT,
        ValueType::String => KIND_STRING,
    };
    Ok((code, c_int::try_from(n).map_err(|_| Status::FAILED)?))
}

/// A value as it goes back to the C shim. A string is a pointer into the parameter's storage, valid
/// until the value changes.
pub(crate) enum CValue {
    Doubles(Vec<f64>),
    Ints(Vec<c_int>),
    Text(*const c_char),
}

impl CValue {
    /// # Safety
    /// `d` and `i` point to 4 writable values each, `s` to one writable pointer.
    pub(crate) unsafe fn write(&self, d: *mut f64, i: *mut c_int, s: *mut *const c_char) {
        // SAFETY: per the contract; every value list has at most 4 entries (no parameter type has more).
        unsafe {
            match self {
                CValue::Doubles(v) => std::ptr::copy_nonoverlapping(v.as_ptr(), d, v.len().min(4)),
                CValue::Ints(v) => std::ptr::copy_nonoverlapping(v.as_ptr(), i, v.len().min(4)),
                CValue::Text(p) => s.write(*p),
            }
        }
    }
}

/// The value at `time` (or at the time of the action this thread runs, for `paramGetValue`).
pub(crate) fn get(h: OfxParamHandle, time: Option<f64>) -> Result<CValue, Status> {
    let node = instance(h)?;
    let keys = lock(&node.keys);
    if !keys.is_empty() {
        return Ok(value_at(&keys, time.unwrap_or_else(current_time)));
    }
    let value = lock(&node.value);
    Ok(match &*value {
        Stored::Doubles(v) => CValue::Doubles(v.clone()),
        Stored::Ints(v) => CValue::Ints(v.clone()),
        Stored::Text(s) => CValue::Text(s.as_ptr()),
        Stored::None => return Err(Status::ERR_UNSUPPORTED),
    })
}

/// The time of the instance whose action this thread runs (0 outside any).
fn current_time() -> f64 {
    EFFECTS
        .get_id(CurrentEffect::get())
        .map_or(0.0, |e| lock(&e.timeline).0)
}

/// Keyframed value at `t`: doubles are interpolated linearly between the keys around `t`, other values
/// are held from the last key at or before `t`; constant outside the keys. `keys` is sorted and not
/// empty; a string points into the key's storage, valid until the keys change.
fn value_at(keys: &[(f64, Stored)], t: f64) -> CValue {
    let after = keys.partition_point(|(k, _)| *k <= t);
    let held = &keys[after.saturating_sub(1)].1;
    let next = keys.get(after);
    match (held, next) {
        (Stored::Doubles(a), Some((t1, Stored::Doubles(b)))) if after > 0 => {
            let t0 = keys[after - 1].0;
            let f = (t - t0) / (t1 - t0);
            CValue::Doubles(a.iter().zip(b).map(|(a, b)| a + (b - a) * f).collect())
        }
        (Stored::Doubles(v), _) => CValue::Doubles(v.clone()),
        (Stored::Ints(v), _) => CValue::Ints(v.clone()),
        (Stored::Text(s), _) => CValue::Text(s.as_ptr()),
        (Stored::None, _) => CValue::Doubles(Vec::new()),
    }
}

/// The derivative of a double parameter at `time`: the slope of its keyframe segment (0 without
/// animation, and outside the keys).
pub(crate) fn derivative(h: OfxParamHandle, time: f64) -> Result<Vec<f64>, Status> {
    let n = double_count(h)?;
    let node = instance(h)?;
    let keys = lock(&node.keys);
    let after = keys.partition_point(|(k, _)| *k <= time);
    if after == 0 || after >= keys.len() {
        return Ok(vec![0.0; n]);
    }
    let ((t0, a), (t1, b)) = (&keys[after - 1], &keys[after]);
    Ok(match (a, b) {
        (Stored::Doubles(a), Stored::Doubles(b)) => {
            a.iter().zip(b).map(|(a, b)| (b - a) / (t1 - t0)).collect()
        }
        _ => vec![0.0; n],
    })
}

/// The integral of a double parameter from `time1` to `time2` (trapezoids at keyframe resolution).
pub(crate) fn integral(h: OfxParamHandle, time1: f64, time2: f64) -> Result<Vec<f64>, Status> {
    let n = double_count(h)?;
    let node = instance(h)?;
    let keys = lock(&node.keys).clone();
    let at = |t: f64| -> Vec<f64> {
        if keys.is_empty() {
            match &*lock(&node.value) {
                Stored::Doubles(v) => v.clone(),
                _ => vec![0.0; n],
            }
        } else {
            match value_at(&keys, t) {
                CValue::Doubles(v) => v,
                _ => vec![0.0; n],
            }
        }
    };
    // The breakpoints: the ends and every key strictly between them.
    let (lo, hi, sign) = if time1 <= time2 {
        (time1, time2, 1.0)
    } else {
        (time2, time1, -1.0)
    };
    let mut points = vec![lo];
    points.extend(keys.iter().map(|(t, _)| *t).filter(|t| *t > lo && *t < hi));
    points.push(hi);
    let mut total = vec![0.0; n];
    for w in points.windows(2) {
        let (a, b) = (at(w[0]), at(w[1]));
        for (i, t) in total.iter_mut().enumerate() {
            let (x, y) = (
                a.get(i).copied().unwrap_or(0.0),
                b.get(i).copied().unwrap_or(0.0),
            );
            *t += sign * (x + y) * 0.5 * (w[1] - w[0]);
        }
    }
    Ok(total)
}

/// Derivatives and integrals exist for double-valued parameters only.
pub(crate) fn double_count(h: OfxParamHandle) -> Result<usize, Status> {
    let node = instance(h)?;
    match node.kind.shape() {
        Some((ValueType::Double, n)) => Ok(n),
        _ => Err(Status::ERR_UNSUPPORTED),
    }
}

/// `paramSetValue` from the shim: the values read from the `va_list`.
///
/// # Safety
/// `d` and `i` point to 4 readable values each; `s` is null or a NUL-terminated string.
pub(crate) unsafe fn set_from_c(
    h: OfxParamHandle,
    d: *const f64,
    i: *const c_int,
    s: *const c_char,
) -> Result<(), Status> {
    let node = instance(h)?;
    let (ty, n) = node.kind.shape().ok_or(Status::ERR_UNSUPPORTED)?;
    let stored = match ty {
        // SAFETY: `d` has 4 readable values and `n <= 4`.
        ValueType::Double => Stored::Doubles(unsafe { std::slice::from_raw_parts(d, n) }.to_vec()),
        // SAFETY: `i` has 4 readable values and `n <= 4`.
        ValueType::Int => Stored::Ints(unsafe { std::slice::from_raw_parts(i, n) }.to_vec()),
        ValueType::String => {
            // SAFETY: `s` is null or NUL-terminated.
            let text = unsafe { c_str(s) }.ok_or(Status::ERR_VALUE)?;
            Stored::Text(CString::from(text))
        }
    };
    // A choice index must name an option; other values are the plugin's business.
    if node.kind == ParamKind::Choice {
        let options = Constraints::read(node.kind, &node.props).options.len();
        let Stored::Ints(v) = &stored else {
            return Err(Status::ERR_VALUE);
        };
        if v.first()
            .and_then(|i| usize::try_from(*i).ok())
            .is_none_or(|i| i >= options)
        {
            return Err(Status::ERR_VALUE);
        }
    }
    *lock(&node.value) = stored;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::ffi::{CStr, c_int};

    use super::*;
    use crate::host::handles::Registered;
    use crate::host::props::PropValue;

    /// A parameter instance with a value, as `Instance::create` makes them.
    fn instance_param(kind: ParamKind, options: &[&CStr]) -> Registered<ParamNode> {
        let props = PropertySet::new("parameter instance");
        define_descriptor_props(&props, kind, c"p");
        if !options.is_empty() {
            props.define_strs(ofx_str!(kOfxParamPropChoiceOption), options);
        }
        PARAMS.register(ParamNode {
            name: c"p".into(),
            kind,
            props: props.register(),
            instance: true,
            value: Mutex::new(Stored::zero(kind)),
            keys: Mutex::new(Vec::new()),
        })
    }

    #[test]
    fn values_go_through_the_variadic_shim() {
        let s = &SUITE;
        let double = instance_param(ParamKind::Double, &[]);
        let rgb = instance_param(ParamKind::Rgb, &[]);
        let choice = instance_param(ParamKind::Choice, &[c"a", c"b"]);
        let string = instance_param(ParamKind::String, &[]);
        let boolean = instance_param(ParamKind::Boolean, &[]);
        let group = instance_param(ParamKind::Group, &[]);
        crate::host::shim::init();
        // SAFETY: each call passes a live handle and the value pointers/values the parameter type
        // needs, exactly as a C plugin would.
        unsafe {
            let (h, mut v) = (double.ptr(), 0.0f64);
            assert_eq!(s.paramSetValue.unwrap()(h, 2.5f64), 0);
            assert_eq!(s.paramGetValue.unwrap()(h, &mut v as *mut f64), 0);
            assert_eq!(v, 2.5);
            assert_eq!(s.paramSetValueAtTime.unwrap()(h, 3.0, 4.0f64), 0);
            assert_eq!(
                s.paramGetValueAtTime.unwrap()(h, 10.0, &mut v as *mut f64),
                0
            );
            assert_eq!(v, 4.0);
            assert_eq!(s.paramGetDerivative.unwrap()(h, 1.0, &mut v as *mut f64), 0);
            assert_eq!(v, 0.0);
            assert_eq!(
                s.paramGetIntegral.unwrap()(h, 1.0, 3.0, &mut v as *mut f64),
                0
            );
            assert_eq!(v, 8.0);
            assert_eq!(
                s.paramGetValue.unwrap()(h, std::ptr::null_mut::<f64>()),
                Status::ERR_VALUE.raw()
            );

            let (h, mut r, mut g, mut b) = (rgb.ptr(), 0.0f64, 0.0f64, 0.0f64);
            assert_eq!(s.paramSetValue.unwrap()(h, 0.1f64, 0.2f64, 0.3f64), 0);
            assert_eq!(
                s.paramGetValue.unwrap()(
                    h,
                    &mut r as *mut f64,
                    &mut g as *mut f64,
                    &mut b as *mut f64
                ),
                0
            );
            assert_eq!((r, g, b), (0.1, 0.2, 0.3));

            let (h, mut i) = (choice.ptr(), 0 as c_int);
            assert_eq!(s.paramSetValue.unwrap()(h, 1 as c_int), 0);
            assert_eq!(s.paramGetValue.unwrap()(h, &mut i as *mut c_int), 0);
            assert_eq!(i, 1);
            assert_eq!(
                s.paramSetValue.unwrap()(h, 2 as c_int),
                Status::ERR_VALUE.raw()
            );
            assert_eq!(
                s.paramGetDerivative.unwrap()(h, 1.0, &mut v as *mut f64),
                Status::ERR_UNSUPPORTED.raw()
            );

            let (h, mut p) = (string.ptr(), std::ptr::null::<c_char>());
            assert_eq!(s.paramSetValue.unwrap()(h, c"models/x.onnx".as_ptr()), 0);
            assert_eq!(s.paramGetValue.unwrap()(h, &mut p as *mut *const c_char), 0);
            assert_eq!(CStr::from_ptr(p), c"models/x.onnx");
            assert_eq!(
                s.paramSetValue.unwrap()(h, std::ptr::null::<c_char>()),
                Status::ERR_VALUE.raw()
            );

            let h = boolean.ptr();
            assert_eq!(s.paramSetValue.unwrap()(h, 1 as c_int), 0);
            let mut n: c_uint = 9;
            assert_eq!(s.paramGetNumKeys.unwrap()(h, &mut n), 0);
            assert_eq!(n, 0);

            assert_eq!(
                s.paramGetValue.unwrap()(group.ptr(), &mut i as *mut c_int),
                Status::ERR_UNSUPPORTED.raw()
            );
            let bogus: OfxParamHandle = std::ptr::without_provenance_mut(0xbad0);
            assert_eq!(
                s.paramGetValue.unwrap()(bogus, &mut v as *mut f64),
                Status::ERR_BAD_HANDLE.raw()
            );
        }
        assert_eq!(*lock(&boolean.value), Stored::Ints(vec![1]));
    }

    #[test]
    fn define_and_find_on_a_descriptor() {
        let set = PARAM_SETS.register(crate::host::objects::ParamSetNode {
            props: PropertySet::new("parameter set descriptor").register(),
            params: Mutex::new(Vec::new()),
            descriptor: true,
            spec_defaults: true,
        });
        let s = &SUITE;
        // SAFETY: live handles, NUL-terminated strings and valid output storage, as a plugin passes.
        unsafe {
            let mut props: OfxPropertySetHandle = std::ptr::null_mut();
            let ty = ofx_str!(kOfxParamTypeDouble).as_ptr();
            assert_eq!(
                s.paramDefine.unwrap()(set.ptr(), ty, c"gain".as_ptr(), &mut props),
                0
            );
            assert_eq!(
                s.paramDefine.unwrap()(set.ptr(), ty, c"gain".as_ptr(), &mut props),
                Status::ERR_EXISTS.raw()
            );
            assert_eq!(
                s.paramDefine.unwrap()(set.ptr(), c"Nope".as_ptr(), c"x".as_ptr(), &mut props),
                Status::ERR_UNKNOWN.raw()
            );
            let parametric = ofx_str!(kOfxParamTypeParametric).as_ptr();
            assert_eq!(
                s.paramDefine.unwrap()(set.ptr(), parametric, c"c".as_ptr(), &mut props),
                Status::ERR_UNSUPPORTED.raw()
            );
            let mut h: OfxParamHandle = std::ptr::null_mut();
            assert_eq!(
                s.paramGetHandle.unwrap()(
                    set.ptr(),
                    c"gain".as_ptr(),
                    &mut h,
                    std::ptr::null_mut()
                ),
                0
            );
            assert_eq!(
                s.paramGetHandle.unwrap()(set.ptr(), c"x".as_ptr(), &mut h, std::ptr::null_mut()),
                Status::ERR_UNKNOWN.raw()
            );
            // A descriptor has no value to read.
            let mut v = 0.0f64;
            assert_eq!(
                s.paramGetValue.unwrap()(h, &mut v as *mut f64),
                Status::ERR_BAD_HANDLE.raw()
            );
            let mut pp: OfxPropertySetHandle = std::ptr::null_mut();
            assert_eq!(s.paramGetPropertySet.unwrap()(h, &mut pp), 0);
            assert_eq!(pp, props);
        }
        let (_, node) = set.find(c"gain").unwrap();
        assert_eq!(
            node.props.get(ofx_str!(kOfxParamPropDefault)),
            Some(PropValue::Double(vec![0.0]))
        );
    }
}
