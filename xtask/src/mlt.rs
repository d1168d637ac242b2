//! `mlt`: a Debian `sid` root holding MLT's `melt` and its OpenFX host module (`libmlt7` 7.42 and later ship
//! `mlt-7/libmltopenfx.so`; Debian 12's MLT has none), built once per machine with `mmdebstrap` and cached
//! outside the repository. `tests/real_host_mlt.rs` runs `melt` inside it with `chroot`.
//!
//! The cache (`$ONNXFX_MLT_CACHE`, else `$XDG_CACHE_HOME/onnxfx/mlt-sid`, else `~/.cache/onnxfx/mlt-sid`)
//! holds `root/` and a `stamp` naming the recipe it was built from. The root is reused when the stamp
//! matches the recipe below and `melt` runs inside it; otherwise (first run, a changed recipe, a broken or
//! half-written root) it is built again into `root.new/` and swapped in. A lock file serialises
//! developers who share the cache.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, ensure};

use crate::{apt, cmd};

/// The suite that carries MLT's OpenFX module.
const SUITE: &str = "sid";
const MIRROR: &str = "http://deb.debian.org/debian";
/// Packages on top of `--variant=apt`: `melt` (the command line) and `libmlt7` (the modules, openfx among
/// them).
const INCLUDE: &str = "melt,libmlt7";
/// Changing anything that shapes the root must change this line, so cached roots are rebuilt.
const RECIPE: &str = "mmdebstrap --variant=apt --include=melt,libmlt7 \
     --aptopt=Acquire::Check-Valid-Until \"false\" sid http://deb.debian.org/debian; v1";
/// MLT's OpenFX module inside the root, relative to its `usr/lib/<triplet>/`.
const OPENFX_MODULE: &str = "mlt-7/libmltopenfx.so";

#[derive(clap::Args, Default)]
pub struct Options {
    /// Build the root again even if the cached one is sound.
    #[arg(long)]
    pub rebuild: bool,
}

/// `cargo xtask mlt`: prepare the root and print where it is.
pub fn run(options: &Options) -> Result<()> {
    let root = prepare(options)?;
    println!("mlt: ONNXFX_MLT_ROOT={}", root.display());
    Ok(())
}

/// The cached root, built first if it is missing, stale or broken. Returns its absolute path.
pub fn prepare(options: &Options) -> Result<PathBuf> {
    ensure!(
        apt::is_root(),
        "the MLT real-host test runs melt with chroot and builds its root with mmdebstrap: run as root"
    );
    let cache = cache_dir()?;
    fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
    let lock = File::create(cache.join("lock")).context("creating the cache lock file")?;
    lock.lock().context("locking the MLT root cache")?;

    let root = cache.join("root");
    let stamp = cache.join("stamp");
    if !options.rebuild {
        match check(&root, &stamp) {
            Ok(version) => {
                println!(
                    "mlt: reusing {} ({version}); `cargo xtask mlt --rebuild` refreshes it",
                    root.display()
                );
                return Ok(root);
            }
            Err(why) => println!("mlt: building the root: {why:#}"),
        }
    }
    build(&cache, &root, &stamp)?;
    Ok(root)
}

fn cache_dir() -> Result<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = non_empty("ONNXFX_MLT_CACHE") {
        return absolute(Path::new(&dir));
    }
    let base = match non_empty("XDG_CACHE_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(non_empty("HOME").context("HOME is not set")?).join(".cache"),
    };
    absolute(&base.join("onnxfx").join("mlt-sid"))
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("{}", path.display()))
}

/// The root is sound: built from today's recipe, with the OpenFX module, and `melt` runs in it.
/// Returns the versions for the log.
fn check(root: &Path, stamp: &Path) -> Result<String> {
    let text = fs::read_to_string(stamp).context("no stamp (never built, or interrupted)")?;
    let recipe = text.lines().next().unwrap_or_default();
    ensure!(recipe == RECIPE, "built from another recipe ({recipe:?})");
    let version = melt_version(root)?;
    Ok(format!("{version}, {}", text.lines().nth(1).unwrap_or("")))
}

/// `melt --version` inside `root`, after checking that the OpenFX module is there.
fn melt_version(root: &Path) -> Result<String> {
    ensure!(
        openfx_module(root).is_some(),
        "no {OPENFX_MODULE} under {}/usr/lib",
        root.display()
    );
    let output = Command::new("chroot")
        .arg(root)
        .args(["melt", "--version"])
        .output()
        .context("running chroot")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first = stdout.lines().next().unwrap_or_default().trim().to_owned();
    ensure!(
        output.status.success() && first.starts_with("melt 7."),
        "`chroot {} melt --version` failed ({}): {}{}",
        root.display(),
        output.status,
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(first)
}

fn openfx_module(root: &Path) -> Option<PathBuf> {
    fs::read_dir(root.join("usr/lib"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join(OPENFX_MODULE)))
        .find(|p| p.is_file())
}

fn build(cache: &Path, root: &Path, stamp: &Path) -> Result<()> {
    apt::ensure(&["mmdebstrap"])?;
    let started = Instant::now();
    // The stamp goes first: a root without a stamp is never trusted.
    remove(stamp)?;
    let fresh = cache.join("root.new");
    remove(&fresh)?;
    cmd::run(
        Command::new("mmdebstrap")
            .arg("--variant=apt")
            .arg(format!("--include={INCLUDE}"))
            // The registry's sid Release file can be past its Valid-Until date.
            .arg("--aptopt=Acquire::Check-Valid-Until \"false\"")
            .arg(SUITE)
            .arg(&fresh)
            .arg(MIRROR),
    )?;
    let version = melt_version(&fresh).context("the freshly built root is not usable")?;
    remove(root)?;
    fs::rename(&fresh, root).with_context(|| format!("renaming to {}", root.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    let size = crate::workspace::tree_size(root).unwrap_or(0);
    fs::write(
        stamp,
        format!("{RECIPE}\nbuilt in {seconds:.0} s, {} MiB\n", size >> 20),
    )
    .context("writing the stamp")?;
    println!(
        "mlt: built {} ({version}) in {seconds:.0} s, {} MiB",
        root.display(),
        size >> 20
    );
    Ok(())
}

/// Removes a directory tree or file if it exists. The roots hold no mounts of ours (mmdebstrap unmounts
/// what it mounted, and the tests mount nothing), so this never reaches outside them.
fn remove(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("{}", path.display())),
        Ok(meta) if meta.is_dir() => {
            fs::remove_dir_all(path).with_context(|| format!("removing {}", path.display()))
        }
        Ok(_) => fs::remove_file(path).with_context(|| format!("removing {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipe_line_names_every_input() {
        for part in [SUITE, MIRROR, INCLUDE, "Check-Valid-Until"] {
            assert!(RECIPE.contains(part), "{part} missing from the recipe");
        }
        assert!(!RECIPE.contains('\n'));
    }

    #[test]
    fn a_root_without_stamp_is_not_trusted() {
        let dir = std::env::temp_dir().join(format!("onnxfx-mlt-check-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let err = check(&dir.join("root"), &dir.join("stamp")).unwrap_err();
        assert!(format!("{err:#}").contains("no stamp"));
        fs::write(dir.join("stamp"), "other recipe\n").unwrap();
        let err = check(&dir.join("root"), &dir.join("stamp")).unwrap_err();
        assert!(format!("{err:#}").contains("another recipe"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
