//! Debian packages the build needs (libclang for bindgen, python3-venv for Debian's own python3), installed
//! when missing and we are root; elsewhere a clear message says what to install.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

use crate::cmd;

pub fn ensure(packages: &[&str]) -> Result<()> {
    if !Path::new("/usr/bin/dpkg-query").exists() {
        println!(
            "apt: not a Debian system; make sure the equivalents of {packages:?} are installed"
        );
        return Ok(());
    }
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !is_installed(p))
        .collect();
    if missing.is_empty() {
        println!("apt: {} installed", packages.join(", "));
        return Ok(());
    }
    if !is_root() {
        bail!(
            "missing Debian packages: run `sudo apt-get install -y {}`",
            missing.join(" ")
        );
    }
    cmd::run(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .arg("update"),
    )?;
    cmd::run(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing),
    )
}

/// bindgen (in openfx-sys) needs libclang; an explicit `LIBCLANG_PATH` means the user provides it.
pub fn ensure_libclang() -> Result<()> {
    if std::env::var_os("LIBCLANG_PATH").is_some() {
        println!("apt: LIBCLANG_PATH is set; not checking libclang-dev");
        return Ok(());
    }
    ensure(&["libclang-dev"])
}

fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.ends_with(b"install ok installed"))
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}
