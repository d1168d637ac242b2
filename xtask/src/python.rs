//! The Python side: a venv at target/pyenv with the pins of scripts/requirements.txt, and the scripts that
//! make the test models and the reference outputs (onnxruntime's own Python API, independent of our Rust).

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use crate::fetch::{sha256_file, write_atomically};
use crate::workspace::Workspace;
use crate::{apt, cmd};

/// Makes (or reuses) the venv; returns its python. Reinstalls only when requirements.txt changed.
pub fn ensure_venv(ws: &Workspace) -> Result<PathBuf> {
    let python = ws.pyenv_python();
    let requirements = ws.scripts().join("requirements.txt");
    let wanted = sha256_file(&requirements)?;
    let stamp = ws.pyenv().join(".requirements.sha256");
    if python.is_file() && fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        println!("models: {} is up to date", ws.pyenv().display());
        return Ok(python);
    }
    if !python.is_file() {
        create_venv(ws)?;
    }
    // Hash-checked installs of wheels only; the runtime wheel `fetch` already verified is reused.
    cmd::run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--progress-bar",
                "off",
                "--only-binary=:all:",
                "--require-hashes",
                "--find-links",
            ])
            .arg(ws.deps_cache())
            .arg("-r")
            .arg(&requirements),
    )?;
    write_atomically(&stamp, wanted.as_bytes())?;
    Ok(python)
}

fn create_venv(ws: &Workspace) -> Result<()> {
    let mut venv = Command::new("python3");
    venv.args(["-m", "venv"]).arg(ws.pyenv());
    if cmd::run(&mut venv).is_ok() {
        return Ok(());
    }
    // Debian's python3 has no ensurepip without python3-venv; a half-made venv must go first.
    println!("models: python3 -m venv failed; trying with Debian's python3-venv");
    if ws.pyenv().exists() {
        fs::remove_dir_all(ws.pyenv()).context("removing the half-made venv")?;
    }
    apt::ensure(&["python3-venv"])?;
    cmd::run(&mut venv)
}

/// `models`: generates the test models (and checks each against onnxruntime) into target/test-models/.
pub fn make_test_models(ws: &Workspace) -> Result<PathBuf> {
    cmd::step("models: Python venv and test models");
    let python = ensure_venv(ws)?;
    let out = ws.test_models();
    cmd::run(
        Command::new(&python)
            .arg(ws.scripts().join("make_test_models.py"))
            .arg(&out),
    )?;
    println!("models: {}", out.display());
    Ok(out)
}

/// The per-machine cache of the diffusion fixture: `$ONNXFX_DIFFUSION_CACHE`, else
/// `$XDG_CACHE_HOME/onnxfx/diffusion`, else `~/.cache/onnxfx/diffusion`. CI runs on fresh clones, so
/// target/ would rebuild the 5 GB torch venv on every run; the cache keeps it per machine.
fn diffusion_cache() -> Result<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = non_empty("ONNXFX_DIFFUSION_CACHE") {
        return Ok(PathBuf::from(dir));
    }
    let base = match non_empty("XDG_CACHE_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(non_empty("HOME").context("HOME is not set")?).join(".cache"),
    };
    Ok(base.join("onnxfx").join("diffusion"))
}

/// The tiny diffusion pipelines and diffusers' reference runs (scripts/make_tiny_diffusion.py), built
/// once per machine and kept under a key of the script's and the requirements' hashes: a change to
/// either builds a new fixture; an unchanged one costs nothing. Returns the fixture folder.
pub fn make_tiny_diffusion(ws: &Workspace) -> Result<PathBuf> {
    cmd::step("models: tiny diffusion pipeline and the diffusers reference");
    let script = ws.scripts().join("make_tiny_diffusion.py");
    let requirements = ws.scripts().join("requirements-diffusion.txt");
    let req_hash = sha256_file(&requirements)?;
    let key = format!("{}{}", sha256_file(&script)?, req_hash);
    let key = crate::fetch::sha256_bytes(key.as_bytes());
    let cache = diffusion_cache()?;
    fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
    let lock = fs::File::create(cache.join("lock")).context("creating the cache lock file")?;
    lock.lock().context("locking the diffusion cache")?;
    let out = cache.join(format!("tiny-{}", &key[..16]));
    if out.join("versions.json").is_file() {
        println!("models: reusing {}", out.display());
        return Ok(out);
    }
    let started = std::time::Instant::now();
    let venv = cache.join(format!("venv-{}", &req_hash[..16]));
    let python = venv.join("bin").join("python");
    let stamp = venv.join(".complete");
    if !stamp.is_file() {
        if venv.exists() {
            fs::remove_dir_all(&venv).context("removing a half-made venv")?;
        }
        let mut create = Command::new("python3");
        create.args(["-m", "venv"]).arg(&venv);
        if cmd::run(&mut create).is_err() {
            apt::ensure(&["python3-venv"])?;
            if venv.exists() {
                fs::remove_dir_all(&venv).context("removing a half-made venv")?;
            }
            cmd::run(&mut create)?;
        }
        cmd::run(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--progress-bar",
                    "off",
                    "--only-binary=:all:",
                    "--require-hashes",
                    "-r",
                ])
                .arg(&requirements),
        )?;
        write_atomically(&stamp, b"ok")?;
        println!(
            "models: diffusion venv installed in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    let build = std::time::Instant::now();
    cmd::run(
        Command::new(&python)
            .arg(&script)
            .arg(&out)
            .env("HF_HUB_OFFLINE", "1")
            .env("PYTHONWARNINGS", "ignore"),
    )?;
    println!(
        "models: tiny diffusion fixture built in {:.0} s: {}",
        build.elapsed().as_secs_f64(),
        out.display()
    );
    // Older fixtures of this cache are stale by construction.
    for entry in fs::read_dir(&cache)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale_fixture = name.starts_with("tiny-") && entry.path() != out;
        let stale_venv = name.starts_with("venv-") && entry.path() != venv;
        if stale_fixture || stale_venv {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    Ok(out)
}
