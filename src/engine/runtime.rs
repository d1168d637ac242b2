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

/// Where the bundled runtime is: beside the plugin binary (`Contents/Linux-x86-64/`).
pub fn library_path() -> Option<PathBuf> {
    Some(
        ofx_sdk::plugin::library_path()?
            .parent()?
            .join(LIBRARY_FILE),
    )
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
    builder
        .with_name("onnxfx")
        .build()
        .map_err(|e| e.to_string())
}
