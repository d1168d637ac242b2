//! Memory suite V1 and the image-memory functions of the ImageEffect suite. Blocks are tracked by
//! address (Memory suite) or handle (image memory), so a bad free is `kOfxStatErrBadHandle` rather than
//! heap corruption.

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{LazyLock, Mutex};

use crate::raw::sys::{self, OfxImageEffectHandle, OfxImageMemoryHandle, OfxStatus};
use crate::status::Status;

use super::{guard, write_out};
use crate::host::handles::{Table, as_ptr, lock};
use crate::host::memory::RawAlloc;
use crate::host::objects::EFFECTS;

pub(crate) static SUITE: sys::OfxMemorySuiteV1 = sys::OfxMemorySuiteV1 {
    memoryAlloc: Some(memory_alloc),
    memoryFree: Some(memory_free),
};

/// Memory-suite blocks by address.
static BLOCKS: LazyLock<Mutex<HashMap<usize, RawAlloc>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

pub(crate) struct ImageMemory {
    block: RawAlloc,
    locks: AtomicI32,
}

pub(crate) static IMAGE_MEMORY: Table<ImageMemory> = Table::new();

/// A null effect is allowed; anything else must be a live effect.
fn check_effect<P>(handle: *mut P) -> Result<(), Status> {
    if handle.is_null() || EFFECTS.get(handle).is_some() {
        Ok(())
    } else {
        Err(Status::ERR_BAD_HANDLE)
    }
}

unsafe extern "C" fn memory_alloc(
    handle: *mut c_void,
    n: usize,
    out: *mut *mut c_void,
) -> OfxStatus {
    guard("memoryAlloc", || {
        check_effect(handle)?;
        let block = RawAlloc::zeroed(n).ok_or(Status::ERR_MEMORY)?;
        let p = block.as_ptr();
        lock(&BLOCKS).insert(p.addr(), block);
        // SAFETY: the plugin passes storage for one pointer.
        unsafe { write_out(out, p.cast()) }
    })
}

unsafe extern "C" fn memory_free(p: *mut c_void) -> OfxStatus {
    guard("memoryFree", || {
        lock(&BLOCKS)
            .remove(&p.addr())
            .map(drop)
            .ok_or(Status::ERR_BAD_HANDLE)
    })
}

pub(crate) unsafe extern "C" fn image_memory_alloc(
    effect: OfxImageEffectHandle,
    n: usize,
    out: *mut OfxImageMemoryHandle,
) -> OfxStatus {
    guard("imageMemoryAlloc", || {
        check_effect(effect)?;
        if out.is_null() {
            return Err(Status::ERR_VALUE);
        }
        let block = RawAlloc::zeroed(n).ok_or(Status::ERR_MEMORY)?;
        let id = IMAGE_MEMORY.insert(std::sync::Arc::new(ImageMemory {
            block,
            locks: AtomicI32::new(0),
        }));
        // SAFETY: non-null storage for one handle.
        unsafe { write_out(out, as_ptr(id)) }
    })
}

pub(crate) unsafe extern "C" fn image_memory_free(h: OfxImageMemoryHandle) -> OfxStatus {
    guard("imageMemoryFree", || {
        IMAGE_MEMORY
            .remove(h.addr())
            .map(drop)
            .ok_or(Status::ERR_BAD_HANDLE)
    })
}

pub(crate) unsafe extern "C" fn image_memory_lock(
    h: OfxImageMemoryHandle,
    out: *mut *mut c_void,
) -> OfxStatus {
    guard("imageMemoryLock", || {
        let m = IMAGE_MEMORY.get(h).ok_or(Status::ERR_BAD_HANDLE)?;
        m.locks.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the plugin passes storage for one pointer.
        unsafe { write_out(out, m.block.as_ptr().cast()) }
    })
}

pub(crate) unsafe extern "C" fn image_memory_unlock(h: OfxImageMemoryHandle) -> OfxStatus {
    guard("imageMemoryUnlock", || {
        let m = IMAGE_MEMORY.get(h).ok_or(Status::ERR_BAD_HANDLE)?;
        // Unbalanced unlocks are harmless here: the block never moves.
        let _ = m
            .locks
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n > 0).then(|| n - 1)
            });
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_free_and_bad_frees() {
        // SAFETY: calls as a plugin makes them, with valid output storage.
        unsafe {
            let mut p: *mut c_void = std::ptr::null_mut();
            assert_eq!(memory_alloc(std::ptr::null_mut(), 100, &mut p), 0);
            assert!(!p.is_null());
            assert_eq!(p.addr() % 64, 0);
            assert_eq!(memory_free(p), 0);
            assert_eq!(memory_free(p), Status::ERR_BAD_HANDLE.raw());
            let bogus: *mut c_void = std::ptr::without_provenance_mut(0x1230);
            assert_eq!(memory_alloc(bogus, 1, &mut p), Status::ERR_BAD_HANDLE.raw());

            let mut h: OfxImageMemoryHandle = std::ptr::null_mut();
            assert_eq!(image_memory_alloc(std::ptr::null_mut(), 16, &mut h), 0);
            let mut q: *mut c_void = std::ptr::null_mut();
            assert_eq!(image_memory_lock(h, &mut q), 0);
            q.cast::<u8>().write(7);
            assert_eq!(image_memory_unlock(h), 0);
            assert_eq!(image_memory_free(h), 0);
            assert_eq!(image_memory_lock(h, &mut q), Status::ERR_BAD_HANDLE.raw());
        }
    }
}
