//! Where this plugin binary lives on disk, so the plugin can find files inside its own bundle (the ONNX
//! Runtime library, models) without relying on the host's library path or working directory.

use std::ffi::CStr;
use std::path::PathBuf;

/// The absolute path of the shared object that contains this code (the `.ofx` file), from `dladdr`.
/// Works on hosts that do not set `kOfxPluginPropFilePath` (MLT does not).
pub fn library_path() -> Option<PathBuf> {
    let mut info = libc::Dl_info {
        dli_fname: std::ptr::null(),
        dli_fbase: std::ptr::null_mut(),
        dli_sname: std::ptr::null(),
        dli_saddr: std::ptr::null_mut(),
    };
    let address = library_path as *const () as *const libc::c_void;
    // SAFETY: dladdr only reads the loader's tables for an address inside this object; `info` is a valid
    // out struct.
    let found = unsafe { libc::dladdr(address, &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dladdr returned a NUL-terminated path owned by the loader, copied at once.
    let name = unsafe { CStr::from_ptr(info.dli_fname) }.to_str().ok()?;
    let path = PathBuf::from(name);
    // A relative name is relative to the directory the host had when it loaded us.
    std::fs::canonicalize(&path).ok().or(Some(path))
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_binary_holding_this_code() {
        let path = super::library_path().expect("dladdr finds the test binary");
        assert!(path.is_absolute());
        assert!(path.exists());
    }
}
