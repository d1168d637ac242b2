//! `install` and `dist`: getting the bundle where hosts look for it, and into an archive a studio can
//! check and deploy (checksum, licences of everything inside, a manifest of the files).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use sha2::{Digest, Sha256};

use crate::deps::Deps;
use crate::workspace::Workspace;
use crate::{bundle, cmd, fetch};

/// Where OpenFX hosts on this system look for plugins when nothing else is said.
pub const SYSTEM_PLUGIN_DIR: &str = "/usr/OFX/Plugins";

#[derive(clap::Args)]
pub struct InstallOptions {
    /// The plugin directory to install into (default: /usr/OFX/Plugins, which every host scans).
    #[arg(long)]
    prefix: Option<PathBuf>,
    /// Also ship the pretrained models of deps.toml.
    #[arg(long)]
    with_models: bool,
}

#[derive(clap::Args, Default)]
pub struct DistOptions {
    /// Also ship the pretrained models of deps.toml.
    #[arg(long)]
    with_models: bool,
}

fn build(ws: &Workspace, with_models: bool) -> Result<(Deps, PathBuf)> {
    let deps = fetch::run(ws)?;
    let options = bundle::Options {
        with_models,
        ..bundle::Options::default()
    };
    let bundle = bundle::run(ws, &deps, &options)?;
    Ok((deps, bundle))
}

/// Copies the bundle into the plugin directory (replacing an older copy whole) and says how hosts find it.
pub fn install(ws: &Workspace, options: &InstallOptions) -> Result<()> {
    let (_, bundle) = build(ws, options.with_models)?;
    let dir = options
        .prefix
        .clone()
        .unwrap_or_else(|| PathBuf::from(SYSTEM_PLUGIN_DIR));
    cmd::step(&format!("install: {}", dir.display()));
    fs::create_dir_all(&dir).with_context(|| {
        format!(
            "creating {} (run as root for /usr/OFX/Plugins)",
            dir.display()
        )
    })?;
    let name = bundle.file_name().context("bundle has no name")?;
    let target = dir.join(name);
    let staging = dir.join(format!(".{}.installing", name.to_string_lossy()));
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    copy_tree(&bundle, &staging)?;
    if target.exists() {
        fs::remove_dir_all(&target)
            .with_context(|| format!("removing the old {}", target.display()))?;
    }
    fs::rename(&staging, &target)
        .with_context(|| format!("moving the bundle to {}", target.display()))?;
    println!("installed {}", target.display());
    let custom = options.prefix.is_some() && dir != Path::new(SYSTEM_PLUGIN_DIR);
    println!("\nHow hosts find it:");
    if custom {
        println!(
            "  every host: export OFX_PLUGIN_PATH={}  (before starting the host)",
            dir.display()
        );
    } else {
        println!("  every host on Linux scans {SYSTEM_PLUGIN_DIR}: restart the host");
    }
    println!("  Natron: the node is under onnxfx (Preferences > Plug-ins lists the search paths)");
    println!("  Nuke: the node is under OFX > onnxfx");
    println!("  DaVinci Resolve: OpenFX > onnxfx, on the Edit, Color and Fusion pages");
    println!("  Kdenlive / Shotcut / melt (MLT): filter openfx.io.github.onnxfx.Inference");
    println!("  ofx-host: ofx-host list  (reads OFX_PLUGIN_PATH, then {SYSTEM_PLUGIN_DIR})");
    Ok(())
}

/// Makes `target/dist/onnxfx-<version>-linux-x86_64.tar.gz` with the bundle, the licences of what it
/// holds and a manifest of its files, and a `.sha256` beside it.
pub fn dist(ws: &Workspace, options: &DistOptions) -> Result<PathBuf> {
    let (deps, bundle) = build(ws, options.with_models)?;
    cmd::step("dist: archive");
    let stem = format!("onnxfx-{}-linux-x86_64", ws.plugin_version);
    let staging = ws.target.join("dist").join(&stem);
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    copy_tree(&bundle, &staging.join("onnxfx.ofx.bundle"))?;
    let licences = staging.join("licenses");
    for file in ["LICENSE-MIT", "LICENSE-APACHE"] {
        copy_file(&ws.root.join(file), &licences.join("onnxfx").join(file))?;
    }
    // The runtime's and the models' licences travel inside the bundle (Resources/licenses, model cards).
    fs::write(staging.join("README.md"), readme(ws, &deps))?;
    let manifest = manifest(&staging)?;
    fs::write(staging.join("MANIFEST.sha256"), manifest)?;

    let archive = ws.target.join("dist").join(format!("{stem}.tar.gz"));
    let file =
        fs::File::create(&archive).with_context(|| format!("creating {}", archive.display()))?;
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::default(),
    ));
    tar.follow_symlinks(false);
    tar.append_dir_all(&stem, &staging)
        .context("writing the archive")?;
    tar.into_inner()?.finish()?.flush()?;
    let sum = hex(&Sha256::digest(fs::read(&archive)?));
    let sum_path = archive.with_extension("gz.sha256");
    let archive_name = archive
        .file_name()
        .context("archive name")?
        .to_string_lossy()
        .into_owned();
    fs::write(&sum_path, format!("{sum}  {archive_name}\n"))?;
    let size = fs::metadata(&archive)?.len();
    #[allow(clippy::cast_precision_loss)]
    let mib = size as f64 / (1024.0 * 1024.0);
    println!(
        "dist: {} ({mib:.1} MiB)\ndist: sha256 {sum} ({})",
        archive.display(),
        sum_path.display()
    );
    Ok(archive)
}

/// Every file of the tree with its sha256, sorted: `sha256sum -c MANIFEST.sha256` checks a deployment.
fn manifest(root: &Path) -> Result<String> {
    let mut files = Vec::new();
    collect_files(root, root, &mut files)?;
    files.sort();
    let mut text = String::new();
    for relative in files {
        let sum = hex(&Sha256::digest(fs::read(root.join(&relative))?));
        text.push_str(&format!("{sum}  {}\n", relative.display()));
    }
    Ok(text)
}

fn readme(ws: &Workspace, deps: &Deps) -> String {
    let packages: Vec<String> = deps
        .packages
        .iter()
        .map(|p| {
            format!(
                "- {} {} ({}), licence {}",
                p.name, p.version, p.file, p.licence
            )
        })
        .collect();
    format!(
        "# onnxfx {version} for Linux x86-64\n\n\
         Copy `onnxfx.ofx.bundle` into a folder OpenFX hosts scan (`/usr/OFX/Plugins`, or one listed in\n\
         `OFX_PLUGIN_PATH`), or run `cargo xtask install` from the source tree. Check the files with\n\
         `sha256sum -c MANIFEST.sha256`.\n\n\
         Licences: onnxfx is MIT OR Apache-2.0 (`licenses/onnxfx/`); ONNX Runtime's licence and third-party\n\
         notices are in `onnxfx.ofx.bundle/Contents/Resources/licenses/onnxruntime/`; each model's card in\n\
         `onnxfx.ofx.bundle/Contents/Resources/models/` names its licence.\n\n\
         Built from these pinned registry packages:\n{}\n",
        packages.join("\n"),
        version = ws.plugin_version
    )
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_files(root, &path, out)?;
        } else if path.file_name().is_some_and(|n| n != "MANIFEST.sha256") {
            out.push(path.strip_prefix(root)?.to_path_buf());
        }
    }
    Ok(())
}

/// Copies a directory tree, keeping file modes (the binaries stay executable).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    ensure!(from.is_dir(), "{} is not a directory", from.display());
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            copy_file(&entry.path(), &target)?;
        }
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_lists_every_file_with_its_checksum() {
        let dir = std::env::temp_dir().join(format!("xtask-manifest-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("a/b")).unwrap();
        fs::write(dir.join("a/b/x.txt"), "x").unwrap();
        fs::write(dir.join("top"), "").unwrap();
        fs::write(dir.join("MANIFEST.sha256"), "old").unwrap();
        let text = manifest(&dir).unwrap();
        assert_eq!(
            text,
            "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  a/b/x.txt\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  top\n"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
