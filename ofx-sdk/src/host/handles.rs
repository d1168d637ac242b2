//! The registry of live host objects behind the opaque C handles a plugin holds.
//!
//! A plugin can hand back any pointer. The host never dereferences one: a handle is a fresh number
//! (never reused, so a stale handle cannot alias a newer object) looked up in one table per object
//! type, and an unknown number is answered with `kOfxStatErrBadHandle`. Lookups take a read lock for
//! the time of a map access only, so concurrent renders do not serialise on the tables.

use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// Locks a mutex, ignoring poisoning: a panic elsewhere must not turn into a panic in a C callback.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Handles are spread 16 apart from a non-zero base so they look like aligned pointers to a plugin that
/// prints them, and are never null.
fn fresh_id() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    0x0010_0000 + NEXT.fetch_add(1, Ordering::Relaxed) * 16
}

/// The opaque C pointer a plugin sees for handle `id`. It carries no provenance: it is never read.
pub(crate) fn as_ptr<P>(id: usize) -> *mut P {
    std::ptr::without_provenance_mut(id)
}

/// One table of live objects of one type.
pub(crate) struct Table<T> {
    map: RwLock<BTreeMap<usize, Arc<T>>>,
}

impl<T> Table<T> {
    pub(crate) const fn new() -> Self {
        Table {
            map: RwLock::new(BTreeMap::new()),
        }
    }

    /// The object behind a handle the plugin passed, if it is alive.
    pub(crate) fn get<P>(&self, handle: *const P) -> Option<Arc<T>> {
        self.get_id(handle.addr())
    }

    pub(crate) fn get_id(&self, id: usize) -> Option<Arc<T>> {
        let map = self
            .map
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&id).cloned()
    }

    /// Adds an object the plugin will free itself (mutexes, image memory); returns its handle.
    pub(crate) fn insert(&self, obj: Arc<T>) -> usize {
        let id = fresh_id();
        self.insert_at(id, obj);
        id
    }

    /// Adds an object under a handle allocated elsewhere (an image shares its property set's handle).
    pub(crate) fn insert_at(&self, id: usize, obj: Arc<T>) {
        let mut map = self
            .map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.insert(id, obj);
    }

    pub(crate) fn remove(&self, id: usize) -> Option<Arc<T>> {
        let mut map = self
            .map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(&id)
    }

    /// Adds an object owned by the host: the handle dies with the returned guard.
    pub(crate) fn register(&'static self, obj: T) -> Registered<T> {
        let obj = Arc::new(obj);
        let id = self.insert(Arc::clone(&obj));
        Registered {
            id,
            obj,
            table: self,
        }
    }
}

/// A host-owned object and its handle; dropping it unregisters the handle, so a plugin that kept the
/// handle gets `kOfxStatErrBadHandle` instead of a dangling object.
pub(crate) struct Registered<T: 'static> {
    id: usize,
    obj: Arc<T>,
    table: &'static Table<T>,
}

impl<T> Registered<T> {
    pub(crate) fn id(&self) -> usize {
        self.id
    }

    pub(crate) fn ptr<P>(&self) -> *mut P {
        as_ptr(self.id)
    }

    pub(crate) fn arc(&self) -> &Arc<T> {
        &self.obj
    }
}

impl<T> Deref for Registered<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.obj
    }
}

impl<T> Drop for Registered<T> {
    fn drop(&mut self) {
        self.table.remove(self.id);
    }
}

impl<T> std::fmt::Debug for Registered<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "handle {:#x}", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static NUMBERS: Table<u32> = Table::new();

    #[test]
    fn handles_die_with_their_guard_and_are_not_reused() {
        let a = NUMBERS.register(7);
        let id = a.id();
        assert_eq!(NUMBERS.get_id(id).as_deref(), Some(&7));
        drop(a);
        assert!(NUMBERS.get_id(id).is_none());
        let b = NUMBERS.register(8);
        assert_ne!(b.id(), id);
        assert!(NUMBERS.get(std::ptr::null::<u8>()).is_none());
    }
}
