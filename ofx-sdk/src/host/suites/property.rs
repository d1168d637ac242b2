//! Property suite V1 over [`PropertySet`](crate::host::props::PropertySet).

use std::ffi::{CString, c_char, c_int, c_void};

use crate::raw::sys::{self, OfxPropertySetHandle, OfxStatus};
use crate::status::Status;

use super::{c_str, guard, write_out};
use crate::host::props::{PROPS, PropType, PropValue, PropertySet, Scalar};

pub(crate) static SUITE: sys::OfxPropertySuiteV1 = sys::OfxPropertySuiteV1 {
    propSetPointer: Some(set_pointer),
    propSetString: Some(set_string),
    propSetDouble: Some(set_double),
    propSetInt: Some(set_int),
    propSetPointerN: Some(set_pointer_n),
    propSetStringN: Some(set_string_n),
    propSetDoubleN: Some(set_double_n),
    propSetIntN: Some(set_int_n),
    propGetPointer: Some(get_pointer),
    propGetString: Some(get_string),
    propGetDouble: Some(get_double),
    propGetInt: Some(get_int),
    propGetPointerN: Some(get_pointer_n),
    propGetStringN: Some(get_string_n),
    propGetDoubleN: Some(get_double_n),
    propGetIntN: Some(get_int_n),
    propReset: Some(reset),
    propGetDimension: Some(dimension),
};

/// Resolves the set handle and the property name: `ErrBadHandle`, `ErrUnknown` for a null name.
///
/// # Safety
/// `name` is null or a NUL-terminated string.
unsafe fn target<'a>(
    h: OfxPropertySetHandle,
    name: *const c_char,
) -> Result<(std::sync::Arc<PropertySet>, &'a std::ffi::CStr), Status> {
    let set = PROPS.get(h).ok_or(Status::ERR_BAD_HANDLE)?;
    // SAFETY: per this function's contract; the name is used during the suite call only.
    let name = unsafe { c_str(name) }.ok_or(Status::ERR_UNKNOWN)?;
    Ok((set, name))
}

unsafe extern "C" fn set_pointer(
    h: OfxPropertySetHandle,
    name: *const c_char,
    i: c_int,
    v: *mut c_void,
) -> OfxStatus {
    guard("propSetPointer", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        Ok(set.plugin_set(name, i, Scalar::Pointer(v.expose_provenance())))
    })
}

unsafe extern "C" fn set_string(
    h: OfxPropertySetHandle,
    name: *const c_char,
    i: c_int,
    v: *const c_char,
) -> OfxStatus {
    guard("propSetString", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        // SAFETY: the plugin passes a value string.
        let v = unsafe { c_str(v) }.ok_or(Status::ERR_VALUE)?;
        Ok(set.plugin_set(name, i, Scalar::String(v.to_owned())))
    })
}

unsafe extern "C" fn set_double(
    h: OfxPropertySetHandle,
    name: *const c_char,
    i: c_int,
    v: f64,
) -> OfxStatus {
    guard("propSetDouble", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        Ok(set.plugin_set(name, i, Scalar::Double(v)))
    })
}

unsafe extern "C" fn set_int(
    h: OfxPropertySetHandle,
    name: *const c_char,
    i: c_int,
    v: c_int,
) -> OfxStatus {
    guard("propSetInt", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        Ok(set.plugin_set(name, i, Scalar::Int(v)))
    })
}

/// Reads `count` values from a plugin array.
///
/// # Safety
/// `values` is null or points to `count` readable `T`s.
unsafe fn read_array<T: Copy>(values: *const T, count: c_int) -> Result<Vec<T>, Status> {
    let n = usize::try_from(count).map_err(|_| Status::ERR_BAD_INDEX)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    if values.is_null() {
        return Err(Status::ERR_VALUE);
    }
    // SAFETY: non-null and `n` readable values per the contract.
    Ok(unsafe { std::slice::from_raw_parts(values, n) }.to_vec())
}

unsafe extern "C" fn set_pointer_n(
    h: OfxPropertySetHandle,
    name: *const c_char,
    count: c_int,
    v: *const *mut c_void,
) -> OfxStatus {
    guard("propSetPointerN", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        // SAFETY: the plugin passes `count` pointers.
        let values = unsafe { read_array(v, count) }?;
        Ok(set.plugin_set_n(
            name,
            PropType::Pointer,
            values
                .into_iter()
                .map(|p| Scalar::Pointer(p.expose_provenance()))
                .collect(),
        ))
    })
}

unsafe extern "C" fn set_string_n(
    h: OfxPropertySetHandle,
    name: *const c_char,
    count: c_int,
    v: *const *const c_char,
) -> OfxStatus {
    guard("propSetStringN", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        // SAFETY: the plugin passes `count` string pointers.
        let ptrs = unsafe { read_array(v, count) }?;
        let mut values = Vec::with_capacity(ptrs.len());
        for p in ptrs {
            // SAFETY: each is a NUL-terminated string (or null, refused).
            let s: CString = unsafe { c_str(p) }.ok_or(Status::ERR_VALUE)?.to_owned();
            values.push(Scalar::String(s));
        }
        Ok(set.plugin_set_n(name, PropType::String, values))
    })
}

unsafe extern "C" fn set_double_n(
    h: OfxPropertySetHandle,
    name: *const c_char,
    count: c_int,
    v: *const f64,
) -> OfxStatus {
    guard("propSetDoubleN", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        // SAFETY: the plugin passes `count` doubles.
        let values = unsafe { read_array(v, count) }?;
        Ok(set.plugin_set_n(
            name,
            PropType::Double,
            values.into_iter().map(Scalar::Double).collect(),
        ))
    })
}

unsafe extern "C" fn set_int_n(
    h: OfxPropertySetHandle,
    name: *const c_char,
    count: c_int,
    v: *const c_int,
) -> OfxStatus {
    guard("propSetIntN", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        // SAFETY: the plugin passes `count` ints.
        let values = unsafe { read_array(v, count) }?;
        Ok(set.plugin_set_n(
            name,
            PropType::Int,
            values.into_iter().map(Scalar::Int).collect(),
        ))
    })
}

unsafe extern "C" fn get_pointer(
    h: OfxPropertySetHandle,
    name: *const c_char,
    i: c_int,
    out: *mut *mut c_void,
) -> OfxStatus {
    guard("propGetPointer", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        let Scalar::Pointer(p) = set.plugin_get(name, i, PropType::Pointer)? else {
            return Err(Status::ERR_VALUE);
        };
        // SAFETY: the plugin passes storage for one pointer. The value is the plugin's own pointer back.
        unsafe { write_out(out, std::ptr::with_exposed_provenance_mut(p)) }
    })
}

unsafe extern "C" fn get_string(
    h: OfxPropertySetHandle,
    name: *const c_char,
    i: c_int,
    out: *mut *mut c_char,
) -> OfxStatus {
    guard("propGetString", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        let p = set.plugin_get_str(name, i)?;
        // SAFETY: the plugin passes storage for one string pointer; the string lives in the set.
        unsafe { write_out(out, p.cast_mut()) }
    })
}

unsafe extern "C" fn get_double(
    h: OfxPropertySetHandle,
    name: *const c_char,
    i: c_int,
    out: *mut f64,
) -> OfxStatus {
    guard("propGetDouble", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        let Scalar::Double(v) = set.plugin_get(name, i, PropType::Double)? else {
            return Err(Status::ERR_VALUE);
        };
        // SAFETY: the plugin passes storage for one double.
        unsafe { write_out(out, v) }
    })
}

unsafe extern "C" fn get_int(
    h: OfxPropertySetHandle,
    name: *const c_char,
    i: c_int,
    out: *mut c_int,
) -> OfxStatus {
    guard("propGetInt", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        let Scalar::Int(v) = set.plugin_get(name, i, PropType::Int)? else {
            return Err(Status::ERR_VALUE);
        };
        // SAFETY: the plugin passes storage for one int.
        unsafe { write_out(out, v) }
    })
}

/// Writes values into a plugin array.
///
/// # Safety
/// `out` is null or points to at least `values.len()` writable `T`s.
unsafe fn write_array<T: Copy>(out: *mut T, values: &[T]) -> Result<(), Status> {
    if values.is_empty() {
        return Ok(());
    }
    if out.is_null() {
        return Err(Status::ERR_VALUE);
    }
    // SAFETY: non-null with room for `values.len()` values per the contract.
    unsafe { std::ptr::copy_nonoverlapping(values.as_ptr(), out, values.len()) };
    Ok(())
}

unsafe extern "C" fn get_pointer_n(
    h: OfxPropertySetHandle,
    name: *const c_char,
    count: c_int,
    out: *mut *mut c_void,
) -> OfxStatus {
    guard("propGetPointerN", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        let PropValue::Pointer(v) = set.plugin_get_n(name, count, PropType::Pointer)? else {
            return Err(Status::ERR_VALUE);
        };
        let ptrs: Vec<*mut c_void> = v
            .into_iter()
            .map(std::ptr::with_exposed_provenance_mut)
            .collect();
        // SAFETY: the plugin passes room for `count` pointers.
        unsafe { write_array(out, &ptrs) }
    })
}

unsafe extern "C" fn get_string_n(
    h: OfxPropertySetHandle,
    name: *const c_char,
    count: c_int,
    out: *mut *mut c_char,
) -> OfxStatus {
    guard("propGetStringN", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        let ptrs: Vec<*mut c_char> = set
            .plugin_get_str_n(name, count)?
            .into_iter()
            .map(<*const _>::cast_mut)
            .collect();
        // SAFETY: the plugin passes room for `count` string pointers.
        unsafe { write_array(out, &ptrs) }
    })
}

unsafe extern "C" fn get_double_n(
    h: OfxPropertySetHandle,
    name: *const c_char,
    count: c_int,
    out: *mut f64,
) -> OfxStatus {
    guard("propGetDoubleN", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        let PropValue::Double(v) = set.plugin_get_n(name, count, PropType::Double)? else {
            return Err(Status::ERR_VALUE);
        };
        // SAFETY: the plugin passes room for `count` doubles.
        unsafe { write_array(out, &v) }
    })
}

unsafe extern "C" fn get_int_n(
    h: OfxPropertySetHandle,
    name: *const c_char,
    count: c_int,
    out: *mut c_int,
) -> OfxStatus {
    guard("propGetIntN", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        let PropValue::Int(v) = set.plugin_get_n(name, count, PropType::Int)? else {
            return Err(Status::ERR_VALUE);
        };
        // SAFETY: the plugin passes room for `count` ints.
        unsafe { write_array(out, &v) }
    })
}

unsafe extern "C" fn reset(h: OfxPropertySetHandle, name: *const c_char) -> OfxStatus {
    guard("propReset", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        Ok(set.plugin_reset(name))
    })
}

unsafe extern "C" fn dimension(
    h: OfxPropertySetHandle,
    name: *const c_char,
    out: *mut c_int,
) -> OfxStatus {
    guard("propGetDimension", || {
        // SAFETY: the plugin passes a property name string.
        let (set, name) = unsafe { target(h, name) }?;
        let n = c_int::try_from(set.plugin_dimension(name)?).map_err(|_| Status::ERR_VALUE)?;
        // SAFETY: the plugin passes storage for one int.
        unsafe { write_out(out, n) }
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;

    #[test]
    fn suite_functions_follow_the_spec_statuses() {
        let set = PropertySet::new("test").register();
        set.define_doubles(c"Rect", &[1.0, 2.0, 3.0, 4.0]);
        set.define_str(c"Name", c"gain");
        let h = set.ptr();
        let s = &SUITE;
        // SAFETY: the calls pass live handles, NUL-terminated names and valid output storage, as a plugin
        // would.
        unsafe {
            let mut d = 0.0;
            assert_eq!(s.propGetDouble.unwrap()(h, c"Rect".as_ptr(), 2, &mut d), 0);
            assert_eq!(d, 3.0);
            assert_eq!(
                s.propGetDouble.unwrap()(h, c"Rect".as_ptr(), 4, &mut d),
                Status::ERR_BAD_INDEX.raw()
            );
            let mut i = 0;
            assert_eq!(
                s.propGetInt.unwrap()(h, c"Rect".as_ptr(), 0, &mut i),
                Status::ERR_VALUE.raw()
            );
            assert_eq!(
                s.propGetInt.unwrap()(h, c"Nope".as_ptr(), 0, &mut i),
                Status::ERR_UNKNOWN.raw()
            );
            let bogus: OfxPropertySetHandle = std::ptr::without_provenance_mut(0xdead_bee0);
            assert_eq!(
                s.propGetInt.unwrap()(bogus, c"Rect".as_ptr(), 0, &mut i),
                Status::ERR_BAD_HANDLE.raw()
            );
            assert_eq!(
                s.propGetInt.unwrap()(h, std::ptr::null(), 0, &mut i),
                Status::ERR_UNKNOWN.raw()
            );
            assert_eq!(
                s.propGetDouble.unwrap()(h, c"Rect".as_ptr(), 0, std::ptr::null_mut()),
                Status::ERR_VALUE.raw()
            );

            let mut four = [0.0; 4];
            assert_eq!(
                s.propGetDoubleN.unwrap()(h, c"Rect".as_ptr(), 4, four.as_mut_ptr()),
                0
            );
            assert_eq!(four, [1.0, 2.0, 3.0, 4.0]);
            assert_eq!(
                s.propSetDoubleN.unwrap()(h, c"Rect".as_ptr(), 2, [9.0, 8.0].as_ptr()),
                0
            );
            assert_eq!(set.doubles(c"Rect"), Some(vec![9.0, 8.0, 3.0, 4.0]));
            assert_eq!(s.propReset.unwrap()(h, c"Rect".as_ptr()), 0);
            assert_eq!(set.doubles(c"Rect"), Some(vec![1.0, 2.0, 3.0, 4.0]));

            let mut p: *mut c_char = std::ptr::null_mut();
            assert_eq!(s.propGetString.unwrap()(h, c"Name".as_ptr(), 0, &mut p), 0);
            assert_eq!(CStr::from_ptr(p), c"gain");
            assert_eq!(
                s.propSetString.unwrap()(h, c"Name".as_ptr(), 0, c"offset".as_ptr()),
                0
            );
            assert_eq!(set.string(c"Name", 0), Some(c"offset".into()));

            let strs = [c"a".as_ptr(), c"b".as_ptr()];
            assert_eq!(
                s.propSetStringN.unwrap()(h, c"List".as_ptr(), 2, strs.as_ptr()),
                0
            );
            let mut dim = 0;
            assert_eq!(
                s.propGetDimension.unwrap()(h, c"List".as_ptr(), &mut dim),
                0
            );
            assert_eq!(dim, 2);
            let mut got = [std::ptr::null_mut(); 2];
            assert_eq!(
                s.propGetStringN.unwrap()(h, c"List".as_ptr(), 2, got.as_mut_ptr()),
                0
            );
            assert_eq!(CStr::from_ptr(got[1]), c"b");

            let mut marker = 5u8;
            let mp: *mut c_void = (&raw mut marker).cast();
            assert_eq!(s.propSetPointer.unwrap()(h, c"Data".as_ptr(), 0, mp), 0);
            let mut back: *mut c_void = std::ptr::null_mut();
            assert_eq!(
                s.propGetPointer.unwrap()(h, c"Data".as_ptr(), 0, &mut back),
                0
            );
            assert_eq!(back, mp);
        }
        let id = set.id();
        drop(set);
        // SAFETY: a dead handle is only looked up, never dereferenced.
        let status = unsafe {
            let mut i = 0;
            SUITE.propGetInt.unwrap()(
                std::ptr::without_provenance_mut(id),
                c"Rect".as_ptr(),
                0,
                &mut i,
            )
        };
        assert_eq!(status, Status::ERR_BAD_HANDLE.raw());
    }
}
