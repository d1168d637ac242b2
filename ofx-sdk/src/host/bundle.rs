//! Where plugins live: resolving a bundle (`X.ofx.bundle/Contents/<arch>/X.ofx`) or a bare `.ofx` file
//! to the binary to load, and scanning plugin directories for bundles.

use std::path::{Path, PathBuf};

use super::error::HostError;

/// The architecture directory inside `Contents/` for this build.
pub const ARCH_DIR: &str = if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
    "Linux-x86-64"
} else if cfg!(all(target_os = "linux", target_arch = "aarch64")) {
    "Linux-arm64"
} else if cfg!(target_os = "linux") {
    "Linux-x86"
} else if cfg!(target_os = "macos") {
    "MacOS"
} else {
    "Win64"
};

/// The default install directory hosts scan on this platform.
pub const SYSTEM_PLUGIN_DIR: &str = if cfg!(target_os = "macos") {
    "/Library/OFX/Plugins"
} else if cfg!(windows) {
    "C:\\Program Files\\Common Files\\OFX\\Plugins"
} else {
    "/usr/OFX/Plugins"
};

/// The directories to scan: `OFX_PLUGIN_PATH` (in order), then the system directory.
pub fn search_paths() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("OFX_PLUGIN_PATH")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    dirs.push(PathBuf::from(SYSTEM_PLUGIN_DIR));
    dirs
}

/// Every `*.ofx.bundle` under `dir` (recursively, not inside bundles), sorted. Unreadable directories
/// are skipped: a scan reports what it can find.
pub fn find_bundles(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for path in entries {
            if !path.is_dir() {
                continue;
            }
            if is_bundle_name(&path) {
                out.push(path);
            } else if depth < 8 {
                walk(&path, depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    if is_bundle_name(dir) {
        out.push(dir.to_path_buf());
    } else {
        walk(dir, 0, &mut out);
    }
    out
}

fn is_bundle_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".ofx.bundle"))
}

/// The binary to load for `path`, and the bundle it belongs to (if any).
pub fn resolve(path: &Path) -> Result<(PathBuf, Option<PathBuf>), HostError> {
    let not = |reason: &str| HostError::NotABundle {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    };
    let meta = std::fs::metadata(path).map_err(|e| not(&e.to_string()))?;
    if meta.is_file() {
        // `<bundle>/Contents/<arch>/<name>.ofx`
        let bundle = path
            .parent()
            .and_then(Path::parent)
            .and_then(Path::parent)
            .filter(|b| is_bundle_name(b))
            .map(Path::to_path_buf);
        return Ok((path.to_path_buf(), bundle));
    }
    let arch = path.join("Contents").join(ARCH_DIR);
    if !arch.is_dir() {
        return Err(not(&format!(
            "not an OFX bundle (no Contents/{ARCH_DIR} directory)"
        )));
    }
    let stem = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".bundle"));
    if let Some(stem) = stem {
        let binary = arch.join(stem);
        if binary.is_file() {
            return Ok((binary, Some(path.to_path_buf())));
        }
    }
    // A bundle whose binary is named differently: take the only `.ofx` file.
    let candidates: Vec<PathBuf> = std::fs::read_dir(&arch)
        .map_err(|e| not(&e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "ofx"))
        .collect();
    match candidates.as_slice() {
        [one] => Ok((one.clone(), Some(path.to_path_buf()))),
        [] => Err(not(&format!("no .ofx binary in Contents/{ARCH_DIR}"))),
        _ => Err(not(&format!(
            "several .ofx binaries in Contents/{ARCH_DIR}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_bundles_and_scans() {
        let root = std::env::temp_dir().join(format!("ofxh-bundle-test-{}", std::process::id()));
        let arch = root.join("sub/x.ofx.bundle/Contents").join(ARCH_DIR);
        std::fs::create_dir_all(&arch).unwrap();
        std::fs::write(arch.join("x.ofx"), b"").unwrap();
        let bundle = root.join("sub/x.ofx.bundle");
        let (bin, b) = resolve(&bundle).unwrap();
        assert_eq!(bin, arch.join("x.ofx"));
        assert_eq!(b.as_deref(), Some(bundle.as_path()));
        let (_, b2) = resolve(&bin).unwrap();
        assert_eq!(b2, Some(bundle.clone()));
        assert_eq!(find_bundles(&root), vec![bundle]);
        assert!(matches!(resolve(&root), Err(HostError::NotABundle { .. })));
        assert!(resolve(&root.join("missing")).is_err());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
