//! The process-wide model cache: one session per model file per process, shared by every instance (MLT
//! creates an instance per frame; loading a model per instance would dominate the render time). A file
//! that changes on disk (size or modification time) gets a fresh session.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::SystemTime;

use super::model::ImageModel;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ModelKey {
    path: PathBuf,
    len: u64,
    modified: Option<SystemTime>,
}

/// Each key has its own slot, so loading one model never blocks renders of another.
type Slot = Arc<Mutex<Option<Arc<ImageModel>>>>;

static CACHE: LazyLock<Mutex<HashMap<ModelKey, Slot>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The model at `path`, loaded once and shared. Failures are not cached: the next render tries again,
/// so fixing the file (or the parameter) needs no restart.
pub fn model(path: &Path) -> Result<Arc<ImageModel>> {
    let canonical = std::fs::canonicalize(path).map_err(|_| Error::ModelMissing {
        path: path.to_owned(),
    })?;
    let meta = std::fs::metadata(&canonical).map_err(|_| Error::ModelMissing {
        path: path.to_owned(),
    })?;
    if !meta.is_file() {
        return Err(Error::ModelLoad {
            path: path.to_owned(),
            reason: "it is not a file".into(),
        });
    }
    let key = ModelKey {
        path: canonical.clone(),
        len: meta.len(),
        modified: meta.modified().ok(),
    };
    let slot = {
        let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
        // A changed file leaves its old sessions behind: drop them.
        cache.retain(|k, _| k.path != key.path || *k == key);
        Arc::clone(cache.entry(key).or_default())
    };
    let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(model) = slot.as_ref() {
        return Ok(Arc::clone(model));
    }
    let model = Arc::new(ImageModel::load(&canonical)?);
    *slot = Some(Arc::clone(&model));
    Ok(model)
}

/// Drops every cached session (the host's purge-caches action).
pub fn clear() {
    CACHE.lock().unwrap_or_else(PoisonError::into_inner).clear();
}

/// How many models are cached, for tests and diagnostics.
pub fn len() -> usize {
    CACHE.lock().unwrap_or_else(PoisonError::into_inner).len()
}
