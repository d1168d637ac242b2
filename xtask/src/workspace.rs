//! Where things are: the workspace root, the target directory and the paths every task shares.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::cmd;

/// The parts of `cargo metadata` we read. Asking cargo (not guessing from `current_dir`) keeps
/// `CARGO_TARGET_DIR` and running from a subdirectory working.
#[derive(Deserialize)]
struct Metadata {
    workspace_root: PathBuf,
    target_directory: PathBuf,
    packages: Vec<MetadataPackage>,
}

#[derive(Deserialize)]
struct MetadataPackage {
    name: String,
    version: String,
}

pub struct Workspace {
    pub root: PathBuf,
    pub target: PathBuf,
    /// The plugin crate's version, written into the bundle's Info.plist.
    pub plugin_version: String,
}

impl Workspace {
    pub fn locate() -> Result<Self> {
        let output = Command::new(cmd::cargo())
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .output()
            .context("running cargo metadata")?;
        if !output.status.success() {
            bail!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let metadata: Metadata =
            serde_json::from_slice(&output.stdout).context("parsing cargo metadata")?;
        let plugin_version = metadata
            .packages
            .iter()
            .find(|p| p.name == "onnxfx")
            .map(|p| p.version.clone())
            .context("the workspace has no `onnxfx` package")?;
        Ok(Self {
            root: metadata.workspace_root,
            target: metadata.target_directory,
            plugin_version,
        })
    }

    pub fn deps_toml(&self) -> PathBuf {
        self.root.join("deps.toml")
    }

    /// Extracted files, with stable names: `onnxruntime/`, `photos/`, `models/`.
    pub fn deps_dir(&self) -> PathBuf {
        self.target.join("deps")
    }

    /// Downloaded wheels. `ONNXFX_DEPS_CACHE` lets CI or a developer keep them outside `target/`.
    pub fn deps_cache(&self) -> PathBuf {
        match std::env::var_os("ONNXFX_DEPS_CACHE") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => self.deps_dir().join("cache"),
        }
    }

    pub fn bundle_dir(&self) -> PathBuf {
        self.target.join("bundle").join("onnxfx.ofx.bundle")
    }

    pub fn bundle_template(&self) -> PathBuf {
        self.root.join("bundles").join("onnxfx.ofx.bundle")
    }

    pub fn pyenv(&self) -> PathBuf {
        self.target.join("pyenv")
    }

    pub fn pyenv_python(&self) -> PathBuf {
        self.pyenv().join("bin").join("python")
    }

    pub fn test_models(&self) -> PathBuf {
        self.target.join("test-models")
    }

    /// The models `cargo xtask models` built from zoo.toml, with their manifests and zoo.json.
    pub fn zoo_dir(&self) -> PathBuf {
        self.target.join("zoo")
    }

    pub fn scripts(&self) -> PathBuf {
        self.root.join("scripts")
    }

    pub fn ofx_host_bin(&self) -> PathBuf {
        self.target.join("release").join("ofx-host")
    }

    /// The PP-OCRv4 detector, as `fetch` extracts it (see deps.toml).
    pub fn ppocr_det_model(&self) -> PathBuf {
        self.deps_dir().join("models").join("ppocr-v4-det.onnx")
    }

    pub fn photo(&self, name: &str) -> PathBuf {
        self.deps_dir().join("photos").join(name)
    }
}

/// Total size in bytes of the files under `path`.
pub fn tree_size(path: &Path) -> Result<u64> {
    let meta = std::fs::symlink_metadata(path).with_context(|| format!("{}", path.display()))?;
    if !meta.is_dir() {
        return Ok(meta.len());
    }
    let mut total = 0;
    for entry in std::fs::read_dir(path).with_context(|| format!("{}", path.display()))? {
        total += tree_size(&entry?.path())?;
    }
    Ok(total)
}
