//! The property suite (`ofxProperty.h`): typed access to a property set, each failure naming the property.

use std::ffi::{CStr, CString, c_char, c_void};
use std::ptr;

use super::suite_call;
use crate::error::{Error, Result};
use crate::raw::sys;
use crate::status::Status;
use crate::types::{RectD, RectI};

/// A property set handle with the suite to read and write it. Valid for as long as the host keeps the
/// handle alive (an action's arguments for that action, an instance's set for the instance's life).
#[derive(Clone, Copy)]
pub struct PropertySet<'a> {
    handle: sys::OfxPropertySetHandle,
    suite: &'a sys::OfxPropertySuiteV1,
}

fn property_error(call: &'static str, name: &CStr, status: Status) -> Error {
    Error::Property {
        call,
        name: name.to_string_lossy().into_owned(),
        status,
    }
}

impl<'a> PropertySet<'a> {
    /// Wraps a handle from the host; `None` when it is null.
    pub(crate) fn new(
        handle: sys::OfxPropertySetHandle,
        suite: &'a sys::OfxPropertySuiteV1,
    ) -> Option<Self> {
        (!handle.is_null()).then_some(PropertySet { handle, suite })
    }

    pub fn handle(&self) -> sys::OfxPropertySetHandle {
        self.handle
    }

    fn check(call: &'static str, name: &CStr, status: Status) -> Result<()> {
        if status.is_error() {
            Err(property_error(call, name, status))
        } else {
            Ok(())
        }
    }

    /// Number of values the property holds.
    pub fn dimension(&self, name: &CStr) -> Result<usize> {
        let mut count = 0;
        // SAFETY: live handle (type invariant), NUL-terminated name, `count` is a valid out pointer.
        let status = unsafe {
            suite_call!(
                self.suite,
                propGetDimension(self.handle, name.as_ptr(), &mut count)
            )
        };
        Self::check("propGetDimension", name, status)?;
        usize::try_from(count)
            .map_err(|_| Error::InvalidValue(format!("negative dimension for {name:?}")))
    }

    pub fn get_int(&self, name: &CStr, index: usize) -> Result<i32> {
        let mut value = 0;
        let index = to_c_index(index);
        // SAFETY: live handle, NUL-terminated name, valid out pointer.
        let status = unsafe {
            suite_call!(
                self.suite,
                propGetInt(self.handle, name.as_ptr(), index, &mut value)
            )
        };
        Self::check("propGetInt", name, status).map(|()| value)
    }

    pub fn get_double(&self, name: &CStr, index: usize) -> Result<f64> {
        let mut value = 0.0;
        let index = to_c_index(index);
        // SAFETY: live handle, NUL-terminated name, valid out pointer.
        let status = unsafe {
            suite_call!(
                self.suite,
                propGetDouble(self.handle, name.as_ptr(), index, &mut value)
            )
        };
        Self::check("propGetDouble", name, status).map(|()| value)
    }

    pub fn get_pointer(&self, name: &CStr, index: usize) -> Result<*mut c_void> {
        let mut value = ptr::null_mut();
        let index = to_c_index(index);
        // SAFETY: live handle, NUL-terminated name, valid out pointer.
        let status = unsafe {
            suite_call!(
                self.suite,
                propGetPointer(self.handle, name.as_ptr(), index, &mut value)
            )
        };
        Self::check("propGetPointer", name, status).map(|()| value)
    }

    /// A string value, copied out of the host's memory.
    pub fn get_cstring(&self, name: &CStr, index: usize) -> Result<CString> {
        let mut value: *mut c_char = ptr::null_mut();
        let index = to_c_index(index);
        // SAFETY: live handle, NUL-terminated name, valid out pointer.
        let status = unsafe {
            suite_call!(
                self.suite,
                propGetString(self.handle, name.as_ptr(), index, &mut value)
            )
        };
        Self::check("propGetString", name, status)?;
        if value.is_null() {
            return Ok(CString::default());
        }
        // SAFETY: the host returned a NUL-terminated string that stays valid until the property changes;
        // it is copied at once.
        Ok(unsafe { CStr::from_ptr(value) }.to_owned())
    }

    /// A string value as UTF-8 (the API's encoding); an error names the property otherwise.
    pub fn get_string(&self, name: &CStr, index: usize) -> Result<String> {
        self.get_cstring(name, index)?
            .into_string()
            .map_err(|e| Error::InvalidString {
                what: name.to_string_lossy().into_owned(),
                detail: e.utf8_error().to_string(),
            })
    }

    /// All values of a multi-dimensional int property (bounds, render windows ...).
    pub fn get_ints<const N: usize>(&self, name: &CStr) -> Result<[i32; N]> {
        let mut values = [0; N];
        let count = to_c_index(N);
        // SAFETY: live handle, NUL-terminated name, `values` has room for `count` ints.
        let status = unsafe {
            suite_call!(
                self.suite,
                propGetIntN(self.handle, name.as_ptr(), count, values.as_mut_ptr())
            )
        };
        Self::check("propGetIntN", name, status).map(|()| values)
    }

    /// All values of a multi-dimensional double property.
    pub fn get_doubles<const N: usize>(&self, name: &CStr) -> Result<[f64; N]> {
        let mut values = [0.0; N];
        let count = to_c_index(N);
        // SAFETY: live handle, NUL-terminated name, `values` has room for `count` doubles.
        let status = unsafe {
            suite_call!(
                self.suite,
                propGetDoubleN(self.handle, name.as_ptr(), count, values.as_mut_ptr())
            )
        };
        Self::check("propGetDoubleN", name, status).map(|()| values)
    }

    pub fn get_rect_i(&self, name: &CStr) -> Result<RectI> {
        let [x1, y1, x2, y2] = self.get_ints::<4>(name)?;
        Ok(RectI::new(x1, y1, x2, y2))
    }

    pub fn get_rect_d(&self, name: &CStr) -> Result<RectD> {
        let [x1, y1, x2, y2] = self.get_doubles::<4>(name)?;
        Ok(RectD::new(x1, y1, x2, y2))
    }

    /// Every string of a multi-dimensional string property (supported depths, components ...).
    pub fn get_strings(&self, name: &CStr) -> Result<Vec<String>> {
        (0..self.dimension(name)?)
            .map(|i| self.get_string(name, i))
            .collect()
    }

    pub fn set_int(&self, name: &CStr, index: usize, value: i32) -> Result<()> {
        let index = to_c_index(index);
        // SAFETY: live handle, NUL-terminated name; the value is passed by copy.
        let status = unsafe {
            suite_call!(
                self.suite,
                propSetInt(self.handle, name.as_ptr(), index, value)
            )
        };
        Self::check("propSetInt", name, status)
    }

    pub fn set_double(&self, name: &CStr, index: usize, value: f64) -> Result<()> {
        let index = to_c_index(index);
        // SAFETY: live handle, NUL-terminated name; the value is passed by copy.
        let status = unsafe {
            suite_call!(
                self.suite,
                propSetDouble(self.handle, name.as_ptr(), index, value)
            )
        };
        Self::check("propSetDouble", name, status)
    }

    /// Pointers are only ever our own instance data; the host stores the value without reading it.
    pub(crate) fn set_pointer(&self, name: &CStr, index: usize, value: *mut c_void) -> Result<()> {
        let index = to_c_index(index);
        // SAFETY: live handle, NUL-terminated name; the host stores the pointer value, never dereferences it.
        let status = unsafe {
            suite_call!(
                self.suite,
                propSetPointer(self.handle, name.as_ptr(), index, value)
            )
        };
        Self::check("propSetPointer", name, status)
    }

    /// Sets a string value; the host copies it.
    pub fn set_cstr(&self, name: &CStr, index: usize, value: &CStr) -> Result<()> {
        let index = to_c_index(index);
        // SAFETY: live handle, NUL-terminated name and value; the host copies the string before returning.
        let status = unsafe {
            suite_call!(
                self.suite,
                propSetString(self.handle, name.as_ptr(), index, value.as_ptr())
            )
        };
        Self::check("propSetString", name, status)
    }

    /// Sets a string value from Rust text (an interior NUL is an error naming the property).
    pub fn set_string(&self, name: &CStr, index: usize, value: &str) -> Result<()> {
        let value = CString::new(value).map_err(|e| Error::InvalidString {
            what: name.to_string_lossy().into_owned(),
            detail: e.to_string(),
        })?;
        self.set_cstr(name, index, &value)
    }

    pub fn set_ints(&self, name: &CStr, values: &[i32]) -> Result<()> {
        values
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| self.set_int(name, i, *v))
    }

    pub fn set_doubles(&self, name: &CStr, values: &[f64]) -> Result<()> {
        values
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| self.set_double(name, i, *v))
    }

    pub fn set_cstrs(&self, name: &CStr, values: &[&CStr]) -> Result<()> {
        values
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| self.set_cstr(name, i, v))
    }

    pub fn set_rect_d(&self, name: &CStr, r: RectD) -> Result<()> {
        self.set_doubles(name, &[r.x1, r.y1, r.x2, r.y2])
    }
}

/// Indices and counts are `c_int` in the API; ours are tiny, so saturation never happens in practice.
fn to_c_index(i: usize) -> i32 {
    i32::try_from(i).unwrap_or(i32::MAX)
}
