//! MultiThread suite V1 with real threads: `multiThread` runs the plugin's function for every index on
//! up to one worker per CPU and returns when all are done; mutexes are recursive with a lock count.

use std::cell::Cell;
use std::ffi::{c_int, c_uint, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;

use crate::raw::sys::{self, OfxMutexHandle, OfxStatus, OfxThreadFunctionV1};
use crate::status::Status;

use super::{guard, guard_value, write_out};
use crate::host::handles::{Table, as_ptr, lock};
use crate::host::message::CurrentEffect;
use crate::host::objects::RenderSlot;

pub(crate) static SUITE: sys::OfxMultiThreadSuiteV1 = sys::OfxMultiThreadSuiteV1 {
    multiThread: Some(multi_thread),
    multiThreadNumCPUs: Some(num_cpus),
    multiThreadIndex: Some(thread_index),
    multiThreadIsSpawnedThread: Some(is_spawned),
    mutexCreate: Some(mutex_create),
    mutexDestroy: Some(mutex_destroy),
    mutexLock: Some(mutex_lock),
    mutexUnLock: Some(mutex_unlock),
    mutexTryLock: Some(mutex_try_lock),
};

thread_local! {
    /// The index this worker is running, when it is one of ours.
    static INDEX: Cell<Option<c_uint>> = const { Cell::new(None) };
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// The plugin's argument, passed to the workers as an address (it is the plugin's to synchronise).
#[derive(Clone, Copy)]
struct Arg(usize);

unsafe extern "C" fn multi_thread(
    func: OfxThreadFunctionV1,
    n: c_uint,
    arg: *mut c_void,
) -> OfxStatus {
    guard("multiThread", || {
        let Some(func) = func else {
            return Err(Status::FAILED);
        };
        if INDEX.with(Cell::get).is_some() {
            return Err(Status::ERR_EXISTS);
        }
        if n == 0 {
            return Ok(());
        }
        let workers = cpus().min(n as usize);
        let next = AtomicUsize::new(0);
        let effect = CurrentEffect::get();
        let slot = RenderSlot::get();
        let arg = Arg(arg.expose_provenance());
        let run = || {
            let _effect = CurrentEffect::enter(effect);
            let _slot = RenderSlot::enter(slot);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Ok(index) = c_uint::try_from(i) else {
                    break;
                };
                if index >= n {
                    break;
                }
                INDEX.with(|c| c.set(Some(index)));
                // SAFETY: the plugin's thread function, called with the contract's arguments.
                unsafe { func(index, n, std::ptr::with_exposed_provenance_mut(arg.0)) };
            }
            INDEX.with(|c| c.set(None));
        };
        std::thread::scope(|s| {
            let mut spawned = 0;
            for w in 0..workers.saturating_sub(1) {
                let builder = std::thread::Builder::new().name(format!("ofx-worker-{w}"));
                if builder.spawn_scoped(s, run).is_ok() {
                    spawned += 1;
                }
            }
            // The calling thread works too; if no thread could be spawned it does all the work.
            tracing::trace!(spawned, n, "multiThread");
            run();
        });
        Ok(())
    })
}

unsafe extern "C" fn num_cpus(out: *mut c_uint) -> OfxStatus {
    guard("multiThreadNumCPUs", || {
        // SAFETY: the plugin passes storage for one unsigned int.
        unsafe { write_out(out, c_uint::try_from(cpus()).unwrap_or(1)) }
    })
}

unsafe extern "C" fn thread_index(out: *mut c_uint) -> OfxStatus {
    guard("multiThreadIndex", || {
        // SAFETY: the plugin passes storage for one unsigned int.
        unsafe { write_out(out, INDEX.with(Cell::get).unwrap_or(0)) }
    })
}

unsafe extern "C" fn is_spawned() -> c_int {
    guard_value("multiThreadIsSpawnedThread", 0, || {
        c_int::from(INDEX.with(Cell::get).is_some())
    })
}

/// A recursive mutex: the owning thread may lock it again; it is free when the count drops to zero.
pub(crate) struct OfxMutex {
    state: Mutex<(Option<ThreadId>, u32)>,
    freed: Condvar,
}

pub(crate) static MUTEXES: Table<OfxMutex> = Table::new();

impl OfxMutex {
    fn lock(&self) {
        let me = std::thread::current().id();
        let mut st = lock(&self.state);
        loop {
            match st.0 {
                None => {
                    *st = (Some(me), 1);
                    return;
                }
                Some(owner) if owner == me => {
                    st.1 += 1;
                    return;
                }
                Some(_) => {
                    st = self
                        .freed
                        .wait(st)
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                }
            }
        }
    }

    fn try_lock(&self) -> bool {
        let me = std::thread::current().id();
        let mut st = lock(&self.state);
        match st.0 {
            None => *st = (Some(me), 1),
            Some(owner) if owner == me => st.1 += 1,
            Some(_) => return false,
        }
        true
    }

    /// Unlocking a mutex the thread does not hold is refused (it would break another thread's lock).
    fn unlock(&self) -> bool {
        let me = std::thread::current().id();
        let mut st = lock(&self.state);
        if st.0 != Some(me) {
            return false;
        }
        st.1 -= 1;
        if st.1 == 0 {
            st.0 = None;
            self.freed.notify_one();
        }
        true
    }
}

unsafe extern "C" fn mutex_create(out: *mut OfxMutexHandle, lock_count: c_int) -> OfxStatus {
    guard("mutexCreate", || {
        if out.is_null() {
            return Err(Status::ERR_VALUE);
        }
        // A positive initial count means the creating thread holds it that many times.
        let initial = u32::try_from(lock_count).unwrap_or(0);
        let owner = (initial > 0).then(|| std::thread::current().id());
        let m = Arc::new(OfxMutex {
            state: Mutex::new((owner, initial)),
            freed: Condvar::new(),
        });
        let id = MUTEXES.insert(m);
        // SAFETY: non-null storage for one handle.
        unsafe { write_out(out, as_ptr(id)) }
    })
}

unsafe extern "C" fn mutex_destroy(m: OfxMutexHandle) -> OfxStatus {
    guard("mutexDestroy", || {
        MUTEXES
            .remove(m.addr())
            .map(drop)
            .ok_or(Status::ERR_BAD_HANDLE)
    })
}

unsafe extern "C" fn mutex_lock(m: OfxMutexHandle) -> OfxStatus {
    guard("mutexLock", || {
        MUTEXES.get(m).ok_or(Status::ERR_BAD_HANDLE)?.lock();
        Ok(())
    })
}

unsafe extern "C" fn mutex_unlock(m: OfxMutexHandle) -> OfxStatus {
    guard("mutexUnLock", || {
        if MUTEXES.get(m).ok_or(Status::ERR_BAD_HANDLE)?.unlock() {
            Ok(())
        } else {
            Err(Status::FAILED)
        }
    })
}

unsafe extern "C" fn mutex_try_lock(m: OfxMutexHandle) -> OfxStatus {
    guard("mutexTryLock", || {
        if MUTEXES.get(m).ok_or(Status::ERR_BAD_HANDLE)?.try_lock() {
            Ok(())
        } else {
            Err(Status::FAILED)
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;

    unsafe extern "C" fn count(index: c_uint, max: c_uint, arg: *mut c_void) {
        // SAFETY: the test passes a pointer to an `AtomicU32` that outlives the call.
        let total = unsafe { &*arg.cast::<AtomicU32>() };
        let mut spawned = 0;
        // SAFETY: valid output storage.
        unsafe { thread_index(&mut spawned) };
        assert_eq!(spawned, index);
        // SAFETY: no arguments.
        assert_eq!(unsafe { is_spawned() }, 1);
        // Nested multiThread is refused.
        // SAFETY: a null function is refused before use.
        let nested = unsafe { multi_thread(None, 1, std::ptr::null_mut()) };
        assert_eq!(nested, Status::FAILED.raw());
        total.fetch_add(index + 1 + 100 * max, Ordering::Relaxed);
    }

    #[test]
    fn runs_every_index_once() {
        let total = AtomicU32::new(0);
        // SAFETY: `count` reads `total`, which outlives the call (multiThread joins its workers).
        let st = unsafe { multi_thread(Some(count), 8, (&raw const total).cast_mut().cast()) };
        assert_eq!(st, 0);
        assert_eq!(
            total.load(Ordering::Relaxed),
            (1..=8).sum::<u32>() + 8 * 800
        );
        // SAFETY: no arguments.
        assert_eq!(unsafe { is_spawned() }, 0);
    }

    #[test]
    fn mutexes_are_recursive_and_exclusive() {
        let mut h: OfxMutexHandle = std::ptr::null_mut();
        // SAFETY: calls with valid handles and storage, as a plugin makes them.
        unsafe {
            assert_eq!(mutex_create(&mut h, 0), 0);
            assert_eq!(mutex_lock(h), 0);
            assert_eq!(mutex_try_lock(h), 0);
            let addr = h.addr();
            let other = std::thread::spawn(move || {
                let h: OfxMutexHandle = as_ptr(addr);
                (mutex_try_lock(h), mutex_unlock(h))
            })
            .join()
            .unwrap();
            assert_eq!(other, (Status::FAILED.raw(), Status::FAILED.raw()));
            assert_eq!(mutex_unlock(h), 0);
            assert_eq!(mutex_unlock(h), 0);
            assert_eq!(mutex_unlock(h), Status::FAILED.raw());
            assert_eq!(mutex_destroy(h), 0);
            assert_eq!(mutex_lock(h), Status::ERR_BAD_HANDLE.raw());
        }
    }
}
