//! `fetch`: download each pinned package with its registry's client, verify it, extract the listed files.
//!
//! The sha256 check is ours, in Rust, so a compromised cache or a re-uploaded file never reaches the bundle.
//! A stamp per package records the hash of every extracted file; when they all still match, the package is
//! not touched again (no pip, no unzip).

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::cmd;
use crate::deps::{Deps, Package, Registry};
use crate::workspace::Workspace;

pub fn run(ws: &Workspace) -> Result<Deps> {
    cmd::step("fetch: pinned registry packages (deps.toml)");
    let deps = Deps::load(&ws.deps_toml())?;
    let dest = ws.deps_dir();
    let cache = ws.deps_cache();
    for package in &deps.packages {
        fetch_package(package, &cache, &dest)?;
    }
    place_sidecars(ws, &deps, &dest)?;
    let sources = dest.join("SOURCES.md");
    fs::write(&sources, sources_table(&deps))
        .with_context(|| format!("writing {}", sources.display()))?;
    println!("fetch: files are in {}", dest.display());
    Ok(deps)
}

/// Puts each fetched model's manifest (our `<model>.onnx.json` in the bundle template) beside it, so the
/// tests and the demo read the model the way the bundle ships it.
fn place_sidecars(ws: &Workspace, deps: &Deps, dest: &Path) -> Result<()> {
    let template_models = ws.bundle_template().join("Contents/Resources/models");
    let models = deps
        .packages
        .iter()
        .flat_map(|p| &p.extract)
        .filter(|e| e.to.ends_with(".onnx"));
    for model in models {
        let Some(name) = Path::new(&model.to).file_name() else {
            continue;
        };
        let sidecar = template_models.join(format!("{}.json", name.to_string_lossy()));
        if sidecar.is_file() {
            let target = dest.join(format!("{}.json", model.to));
            fs::copy(&sidecar, &target)
                .with_context(|| format!("copying {}", sidecar.display()))?;
            println!(
                "fetch: manifest {} -> {}",
                sidecar.display(),
                target.display()
            );
        }
    }
    Ok(())
}

fn fetch_package(package: &Package, cache: &Path, dest: &Path) -> Result<()> {
    let label = format!("{}=={}", package.name, package.version);
    let stamp_path = dest
        .join(".stamps")
        .join(format!("{}.sha256", package.name));
    let expected_header = stamp_header(package);
    if stamp_is_current(&stamp_path, &expected_header, package, dest)? {
        println!("fetch: {label}: up to date");
        return Ok(());
    }

    let archive = cached_download(package, cache)?;
    println!("fetch: {label}: extracting from {}", archive.display());
    let file = File::open(&archive).with_context(|| format!("opening {}", archive.display()))?;
    let mut zip =
        zip::ZipArchive::new(file).with_context(|| format!("reading {}", archive.display()))?;
    let mut stamp = expected_header;
    for extract in &package.extract {
        let mut entry = zip
            .by_name(&extract.from)
            .with_context(|| format!("{} has no {}", package.file, extract.from))?;
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .with_context(|| format!("extracting {}", extract.from))?;
        let target = dest.join(&extract.to);
        write_atomically(&target, &bytes)?;
        writeln!(stamp, "{}  {}", hex(&Sha256::digest(&bytes)), extract.to)?;
        println!("  {} -> {}", extract.from, target.display());
    }
    write_atomically(&stamp_path, stamp.as_bytes())
}

/// The verified archive in the cache, downloaded first when it is missing or does not match its pin.
pub fn cached_download(package: &Package, cache: &Path) -> Result<PathBuf> {
    let path = cache.join(&package.file);
    if path.is_file() {
        if sha256_file(&path)? == package.sha256 {
            return Ok(path);
        }
        println!(
            "fetch: {} does not match its sha256 pin: downloading it again",
            path.display()
        );
        fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
    }
    download(package, cache)?;
    let actual = sha256_file(&path)?;
    if actual != package.sha256 {
        // Keep nothing that failed the check, so the next run downloads again.
        fs::remove_file(&path).ok();
        bail!(
            "sha256 mismatch for {}: deps.toml pins {}, the registry served {actual}",
            package.file,
            package.sha256
        );
    }
    Ok(path)
}

fn download(package: &Package, cache: &Path) -> Result<()> {
    match package.registry {
        Registry::Pypi => pip_download(package, cache),
        Registry::Npm => npm_download(package, cache),
    }
}

/// `npm pack NAME@VERSION` into a scratch folder, then the one expected tarball into the cache.
fn npm_download(package: &Package, cache: &Path) -> Result<()> {
    let scratch = cache.join(format!(".download-{}", package.file));
    if scratch.exists() {
        fs::remove_dir_all(&scratch).with_context(|| format!("removing {}", scratch.display()))?;
    }
    fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    cmd::run(
        Command::new("npm")
            .args(["pack", "--silent", "--pack-destination"])
            .arg(&scratch)
            .arg(format!("{}@{}", package.name, package.version)),
    )
    .with_context(|| format!("downloading {}@{} with npm", package.name, package.version))?;
    let got = scratch.join(&package.file);
    if !got.is_file() {
        bail!(
            "npm did not produce {}: check `file` in zoo.toml",
            package.file
        );
    }
    fs::rename(&got, cache.join(&package.file)).context("moving the download into the cache")?;
    fs::remove_dir_all(&scratch).ok();
    Ok(())
}

/// `pip download` into a scratch folder, then move the one expected file into the cache. pip picks the wheel
/// from the platform and Python tags; a different name than pinned means the tags in deps.toml are wrong.
fn pip_download(package: &Package, cache: &Path) -> Result<()> {
    let scratch = cache.join(format!(".download-{}", package.name));
    if scratch.exists() {
        fs::remove_dir_all(&scratch).with_context(|| format!("removing {}", scratch.display()))?;
    }
    fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    cmd::run(
        Command::new("python3")
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                "3.11",
                "--disable-pip-version-check",
                "--progress-bar",
                "off",
                "--platform",
                &package.platform,
            ])
            .arg(format!("{}=={}", package.name, package.version))
            .arg("-d")
            .arg(&scratch),
    )
    .with_context(|| format!("downloading {}=={}", package.name, package.version))?;
    let got = scratch.join(&package.file);
    if !got.is_file() {
        let names: Vec<String> = fs::read_dir(&scratch)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        bail!(
            "pip did not produce {} (it produced {names:?}): check `file` and `platform` in deps.toml",
            package.file
        );
    }
    fs::rename(&got, cache.join(&package.file)).context("moving the download into the cache")?;
    fs::remove_dir_all(&scratch).ok();
    Ok(())
}

fn stamp_header(package: &Package) -> String {
    format!(
        "# {}=={} {} {}\n",
        package.name, package.version, package.file, package.sha256
    )
}

/// True when the stamp names the pinned archive and every extracted file still has its recorded hash.
fn stamp_is_current(stamp: &Path, header: &str, package: &Package, dest: &Path) -> Result<bool> {
    let Ok(text) = fs::read_to_string(stamp) else {
        return Ok(false);
    };
    let Some(lines) = text.strip_prefix(header) else {
        return Ok(false);
    };
    let recorded: Vec<(&str, &str)> = lines
        .lines()
        .filter_map(|line| line.split_once("  "))
        .collect();
    if recorded.len() != package.extract.len()
        || recorded
            .iter()
            .zip(&package.extract)
            .any(|((_, to), extract)| *to != extract.to)
    {
        return Ok(false);
    }
    for (hash, to) in recorded {
        let path = dest.join(to);
        if !path.is_file() || sha256_file(&path)? != hash {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Where each extracted file came from and under which licence, for anyone reading target/deps/.
fn sources_table(deps: &Deps) -> String {
    let mut out = String::from(
        "# target/deps: files extracted by `cargo xtask fetch` (generated from deps.toml)\n\n\
         | file | package | licence |\n| --- | --- | --- |\n",
    );
    for package in &deps.packages {
        for extract in &package.extract {
            let licence = extract.licence.as_deref().unwrap_or(&package.licence);
            let _ = writeln!(
                out,
                "| {} | {}=={} (`{}`) | {} |",
                extract.to, package.name, package.version, extract.from, licence
            );
        }
    }
    out
}

/// The sha256 of some bytes, in hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buffer)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Write to a sibling temporary file, then rename: an interrupted run never leaves a half file that a
/// later run could take for a good one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".part");
    let partial = PathBuf::from(partial);
    let mut file =
        File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", partial.display()))?;
    fs::rename(&partial, path).with_context(|| format!("renaming to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_like_sha256sum() {
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
