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
