//! The process-wide model cache: one session per (model file, device, precision) per process, shared by
//! every instance (MLT creates an instance per frame; loading a model per instance would dominate the
//! render time). A file that changes on disk (size or modification time) gets a fresh session; "reload"
//! forces one. Models nobody uses are evicted, least recently used first, once the cache holds more than
//! its memory budget.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use super::model::{ImageModel, RunOptions};
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ModelKey {
    path: PathBuf,
    len: u64,
    modified: Option<SystemTime>,
    options: RunOptions,
}

/// One cached model; each key has its own lock, so loading one model never blocks renders of another.
#[derive(Default)]
struct Slot {
    model: Option<Arc<ImageModel>>,
}

struct Entry {
    slot: Arc<Mutex<Slot>>,
    last_used: Instant,
    /// What the model is taken to cost in memory: its file size (the weights, resident once loaded).
    bytes: u64,
}

static CACHE: LazyLock<Mutex<HashMap<ModelKey, Entry>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The cache's budget: `ONNXFX_MODEL_CACHE_MB` (default 4096 MiB). Models in use are never evicted, so a
/// scene that needs more keeps what it needs.
fn budget_bytes() -> u64 {
    let megabytes = std::env::var("ONNXFX_MODEL_CACHE_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok());
    megabytes.unwrap_or(4096).saturating_mul(1024 * 1024)
}

/// The model at `path` for `options`, loaded once and shared. Failures are not cached: the next render
/// tries again, so fixing the file (or the parameter) needs no restart.
pub fn model(path: &Path, options: RunOptions) -> Result<Arc<ImageModel>> {
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
        options,
    };
    let slot = {
        let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
        // A changed file leaves its old sessions behind: drop them.
        cache.retain(|k, _| k.path != key.path || (k.len, k.modified) == (key.len, key.modified));
        let entry = cache.entry(key).or_insert_with(|| Entry {
            slot: Arc::default(),
            last_used: Instant::now(),
            bytes: meta.len(),
        });
        entry.last_used = Instant::now();
        Arc::clone(&entry.slot)
    };
    let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(model) = slot.model.as_ref() {
        return Ok(Arc::clone(model));
    }
    let model = Arc::new(ImageModel::load(&canonical, options)?);
    slot.model = Some(Arc::clone(&model));
    drop(slot);
    evict_over_budget(budget_bytes());
    Ok(model)
}

/// Evicts unused models, least recently used first, until the loaded ones fit in `budget` bytes.
fn evict_over_budget(budget: u64) {
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    let mut loaded: Vec<(ModelKey, Instant, u64)> = cache
        .iter()
        .filter(|(_, e)| e.slot.try_lock().is_ok_and(|s| s.model.is_some()))
        .map(|(k, e)| (k.clone(), e.last_used, e.bytes))
        .collect();
    let mut total: u64 = loaded.iter().map(|(_, _, b)| b).sum();
    loaded.sort_by_key(|(_, used, _)| *used);
    for (key, _, bytes) in loaded {
        if total <= budget {
            break;
        }
        let in_use = cache.get(&key).is_some_and(|e| {
            e.slot.try_lock().map_or(true, |s| {
                s.model.as_ref().is_some_and(|m| Arc::strong_count(m) > 1)
            })
        });
        if !in_use {
            tracing::debug!("evicting model {} from the cache", key.path.display());
            cache.remove(&key);
            total = total.saturating_sub(bytes);
        }
    }
}

/// Forgets every session of the model at `path` (the "Reload Model" button): the next render loads the
/// file again. Instances rendering with the old session finish with it.
pub fn reload(path: &Path) {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    CACHE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|k, _| k.path != canonical);
}

/// How many models are cached, for tests and diagnostics.
pub fn len() -> usize {
    CACHE.lock().unwrap_or_else(PoisonError::into_inner).len()
}
