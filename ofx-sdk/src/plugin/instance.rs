//! Per-instance data: the effect value created at CreateInstance, kept in `kOfxPropInstanceData` as a
//! leaked `Box` and reclaimed at DestroyInstance. Between the two only shared references are lent, since
//! hosts render one instance from several threads at once.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};

use super::effect::EffectInstance;
use crate::error::{Error, Result};
use crate::status::Status;

pub(crate) struct InstanceData<E> {
    /// The effect, or why creating it failed: some hosts (MLT) render an instance whose creation failed,
    /// and the render must then say why rather than crash.
    pub(crate) effect: std::result::Result<E, (Status, String)>,
    /// Whether we left a persistent message on the node, to clear it after the next success.
    pub(crate) has_persistent_message: AtomicBool,
}

impl<E> InstanceData<E> {
    pub(crate) fn new(effect: std::result::Result<E, (Status, String)>) -> Self {
        InstanceData {
            effect,
            has_persistent_message: AtomicBool::new(false),
        }
    }

    pub(crate) fn mark_persistent_message(&self, set: bool) -> bool {
        self.has_persistent_message.swap(set, Ordering::AcqRel)
    }
}

/// Stores `data` on the instance.
pub(crate) fn install<E>(instance: &EffectInstance<'_>, data: InstanceData<E>) -> Result<()> {
    let ptr = Box::into_raw(Box::new(data));
    if let Err(e) = instance.set_instance_data(ptr.cast::<c_void>()) {
        // SAFETY: `ptr` came from `Box::into_raw` above and was not handed to the host.
        drop(unsafe { Box::from_raw(ptr) });
        return Err(e);
    }
    Ok(())
}

/// Lends the instance's data to `f`.
pub(crate) fn with<E, R>(
    instance: &EffectInstance<'_>,
    f: impl FnOnce(&InstanceData<E>) -> R,
) -> Result<R> {
    let ptr = instance.instance_data()?.cast::<InstanceData<E>>();
    if ptr.is_null() {
        return Err(Error::NullHandle(
            "instance data (CreateInstance was not called or did not finish)",
        ));
    }
    // SAFETY: a non-null `kOfxPropInstanceData` on an instance of this plugin was set by `install::<E>`
    // (only `main_entry::<E>` receives this plugin's handles) and is freed only by `take` at
    // DestroyInstance, after which the host sends no more actions to the instance.
    Ok(f(unsafe { &*ptr }))
}

/// Reclaims the instance's data at DestroyInstance and clears the property.
pub(crate) fn take<E>(instance: &EffectInstance<'_>) -> Result<Option<Box<InstanceData<E>>>> {
    let ptr = instance.instance_data()?.cast::<InstanceData<E>>();
    if ptr.is_null() {
        return Ok(None);
    }
    instance.set_instance_data(std::ptr::null_mut())?;
    // SAFETY: set by `install::<E>` from `Box::into_raw`; cleared above so it is reclaimed exactly once.
    Ok(Some(unsafe { Box::from_raw(ptr) }))
}
