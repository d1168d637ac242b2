//! Raw memory the host hands to plugins: image buffers, the Memory suite and image memory. Plugins write
//! through raw pointers while the host holds the allocation, so it is a pointer and a layout rather than
//! a `Vec` (no Rust reference to the bytes exists while a plugin may be writing them).

use std::alloc::Layout;
use std::ptr::NonNull;

/// Alignment of every block: enough for SIMD loads of any pixel type.
const ALIGN: usize = 64;

/// A zeroed, 64-byte aligned heap block, freed on drop.
pub(crate) struct RawAlloc {
    ptr: NonNull<u8>,
    layout: Layout,
}

// SAFETY: the block is plain bytes owned by this value; synchronisation of the plugin's writes with the
// host's reads is provided by the action protocol (the host reads only after the action returned).
unsafe impl Send for RawAlloc {}
// SAFETY: as above; `&RawAlloc` only exposes the address and (through `unsafe` methods) the bytes.
unsafe impl Sync for RawAlloc {}

impl RawAlloc {
    /// `None` when the size does not fit a layout or the allocator fails (the caller reports
    /// `kOfxStatErrMemory`).
    pub(crate) fn zeroed(len: usize) -> Option<RawAlloc> {
        let layout = Layout::from_size_align(len.max(1), ALIGN).ok()?;
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        NonNull::new(ptr).map(|ptr| RawAlloc { ptr, layout })
    }

    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Lends the bytes to the host, to fill a source image or read back an output.
    ///
    /// # Safety
    /// No plugin code may be writing the block during the call (call it between actions only).
    pub(crate) unsafe fn with_bytes<R>(&self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        // SAFETY: the block is `len` initialised bytes (zeroed at allocation) owned by `self`; the caller
        // guarantees no plugin writes meanwhile, and the borrow does not outlive this call.
        let bytes =
            unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.layout.size()) };
        f(bytes)
    }
}

impl Drop for RawAlloc {
    fn drop(&mut self) {
        // SAFETY: `ptr` was allocated with exactly `layout` and is freed once.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

impl std::fmt::Debug for RawAlloc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawAlloc({:p}, {} bytes)", self.ptr, self.layout.size())
    }
}
