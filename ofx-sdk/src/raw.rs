//! The raw C ABI, as bindgen generates it from the official OpenFX headers (crate `openfx-sys`), plus the
//! few definitions bindgen cannot translate (the `kOfxStat*` codes are cast macros: see `status.rs`).

use std::ffi::CStr;

pub use openfx_sys as sys;

/// Turns one of bindgen's NUL-terminated byte-string constants (`sys::kOfxActionLoad` is `&[u8; 14]`) into a
/// `&CStr`, at compile time when used through [`ofx_str!`](crate::ofx_str).
pub const fn cstr(bytes: &'static [u8]) -> &'static CStr {
    match CStr::from_bytes_with_nul(bytes) {
        Ok(s) => s,
        // Only reachable at compile time for a malformed constant, which the headers do not contain.
        Err(_) => panic!("OpenFX string constant is not NUL-terminated"),
    }
}

/// `ofx_str!(kOfxPropName)` is the `&'static CStr` of the OpenFX string constant `kOfxPropName`.
#[macro_export]
macro_rules! ofx_str {
    ($name:ident) => {
        const { $crate::raw::cstr($crate::raw::sys::$name) }
    };
}
