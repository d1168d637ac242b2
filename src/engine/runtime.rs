//! Loading ONNX Runtime: always the exact library file shipped beside the plugin binary in the bundle,
//! by absolute path, once per process. Never the host's library path: hosts ship their own
//! `libonnxruntime.so.1`, and the bundled copy's SONAME is rewritten at bundle time so that neither can be
//! mistaken for the other.

use std::path::PathBuf;
use std::sync::OnceLock;

use ort::environment::Environment;

use crate::error::{Error, Result};

/// The runtime's file name inside the bundle, from `deps.toml` via `build.rs`.
pub const LIBRARY_FILE: &str = env!("ONNXFX_ORT_LIBRARY");
pub const VERSION: &str = env!("ONNXFX_ORT_VERSION");

static ENVIRONMENT: OnceLock<std::result::Result<Environment, (PathBuf, String)>> = OnceLock::new();

/// The bundle directory as the host reported it (`kOfxPluginPropFilePath`, read at Describe).
static BUNDLE_PATH: OnceLock<PathBuf> = OnceLock::new();

/// The folder of the bundle's binaries for this platform.
const PLATFORM_DIR: &str = "Linux-x86-64";

/// Remembers the bundle path the host gave at Describe (the first one wins: one binary, one bundle).
pub fn note_bundle_path(path: &str) {
    let _ = BUNDLE_PATH.set(PathBuf::from(path));
}

/// Where the bundled runtime is: in the binaries folder of the bundle the host says it loaded us from,
/// or, for hosts that do not say (MLT), beside the plugin binary the loader mapped.
pub fn library_path() -> Option<PathBuf> {
    let from_host = BUNDLE_PATH
        .get()
        .map(|bundle| {
            bundle
                .join("Contents")
                .join(PLATFORM_DIR)
                .join(LIBRARY_FILE)
        })
        .filter(|path| path.is_file());
    from_host.or_else(|| {
        Some(
            ofx_sdk::plugin::library_path()?
                .parent()?
                .join(LIBRARY_FILE),
        )
    })
}

/// The bundle's `Contents/Resources` folder (models, licences): from the bundle path the host gave, or
/// beside the binaries folder of the plugin binary the loader mapped.
pub fn bundle_resources() -> Option<PathBuf> {
    BUNDLE_PATH
        .get()
        .map(|bundle| bundle.join("Contents").join("Resources"))
        .filter(|path| path.is_dir())
        .or_else(|| {
            Some(
                ofx_sdk::plugin::library_path()?
                    .parent()?
                    .parent()?
                    .join("Resources"),
            )
        })
}

/// The process-wide ONNX Runtime environment, created on first use. A failure is remembered: the library
/// is either in the bundle or it is not, and retrying every frame would only slow the host down.
pub fn environment() -> Result<&'static Environment> {
    let result = ENVIRONMENT.get_or_init(|| {
        let path = library_path().ok_or_else(|| {
            (
                PathBuf::from(LIBRARY_FILE),
                "cannot locate the plugin binary".into(),
            )
        })?;
        init_from(path.clone()).map_err(|reason| (path, reason))
    });
    result.as_ref().map_err(|(path, reason)| Error::Runtime {
        path: path.clone(),
        reason: reason.clone(),
    })
}

fn init_from(path: PathBuf) -> std::result::Result<Environment, String> {
    if !path.is_file() {
        return Err("the file is missing from the bundle".into());
    }
    tracing::debug!("loading ONNX Runtime {VERSION} from {}", path.display());
    let builder = ort::init_from(&path).map_err(|e| e.to_string())?;
    // One pool for every session of the process: several instances rendering at once share the cores
    // instead of each starting a pool of its own and oversubscribing them.
    let pool = ort::environment::GlobalThreadPoolOptions::default()
        .with_intra_threads(thread_count())
        .and_then(|pool| pool.with_inter_threads(1))
        .map_err(|e| e.to_string())?;
    builder
        .with_name("onnxfx")
        .with_global_thread_pool(pool)
        .build()
        .map_err(|e| e.to_string())
}

/// Threads of the shared pool: `ONNXFX_THREADS` when set (render farms pin it), else every core.
pub fn thread_count() -> usize {
    std::env::var("ONNXFX_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .or_else(|| {
            std::thread::available_parallelism()
                .ok()
                .map(std::num::NonZeroUsize::get)
        })
        .unwrap_or(1)
}
