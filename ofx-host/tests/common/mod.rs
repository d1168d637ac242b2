//! Shared by the integration tests: builds the fixture plugin (`tests/fixture`, raw OpenFX ABI) once per
//! test binary with cargo, and lays it out as a bundle.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ofx_sdk::host::Image;

pub const GAIN: &str = "org.onnxfx.test.gain";
pub const FAIL: &str = "org.onnxfx.test.fail";
pub const BADLOAD: &str = "org.onnxfx.test.badload";

/// `gain.ofx.bundle` holding the fixture plugins, built on first use.
pub fn bundle() -> &'static Path {
    static BUNDLE: OnceLock<PathBuf> = OnceLock::new();
    BUNDLE.get_or_init(|| build("fixture", "ofxh_fixture", "gain"))
}

/// `broken.ofx.bundle` holding the deliberately broken plugins (`tests/broken`), built on first use.
pub fn broken_bundle() -> &'static Path {
    static BUNDLE: OnceLock<PathBuf> = OnceLock::new();
    BUNDLE.get_or_init(|| build("broken", "ofxh_broken", "broken"))
}

/// A directory for this test binary's files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("ofx-host-{}", env!("CARGO_CRATE_NAME")))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds the fixture crate `tests/<dir>` (library `lib`) and lays it out as `<bundle>.ofx.bundle`.
fn build(dir: &str, lib: &str, bundle_name: &str) -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Each test binary stages its own copy of the sources (cargo writes a lockfile next to them); the
    // target directory is shared, and cargo locks it.
    let work = tmp.join(format!("ofxh-{dir}-src-{}", env!("CARGO_CRATE_NAME")));
    std::fs::create_dir_all(work.join("src")).unwrap();
    std::fs::copy(
        manifest_dir.join("tests").join(dir).join("Cargo.toml"),
        work.join("Cargo.toml"),
    )
    .unwrap();
    std::fs::copy(
        manifest_dir.join("tests").join(dir).join("src/lib.rs"),
        work.join("src/lib.rs"),
    )
    .unwrap();
    // Start from the workspace's lockfile so the versions already fetched are used.
    let lock = manifest_dir.parent().unwrap().join("Cargo.lock");
    if lock.exists() && !work.join("Cargo.lock").exists() {
        std::fs::copy(lock, work.join("Cargo.lock")).unwrap();
    }
    let target = tmp.join("ofxh-fixture-target");
    let cargo = |offline: bool| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.arg("build")
            .arg("--quiet")
            .arg("--manifest-path")
            .arg(work.join("Cargo.toml"));
        cmd.arg("--target-dir")
            .arg(&target)
            .env_remove("CARGO_TARGET_DIR");
        if offline {
            cmd.arg("--offline");
        }
        cmd.status().map(|s| s.success()).unwrap_or(false)
    };
    assert!(
        cargo(true) || cargo(false),
        "building the fixture plugins of tests/{dir} failed"
    );
    let so = target.join("debug").join(format!(
        "{}{lib}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let bundle = tmp
        .join(format!("ofx-host-bundles-{}", env!("CARGO_CRATE_NAME")))
        .join(format!("{bundle_name}.ofx.bundle"));
    let arch = bundle
        .join("Contents")
        .join(ofx_sdk::host::bundle::ARCH_DIR);
    std::fs::create_dir_all(&arch).unwrap();
    std::fs::copy(so, arch.join(format!("{bundle_name}.ofx"))).unwrap();
    bundle
}

/// A test picture: distinct values per pixel, all multiples of 1/255 so 8-bit round trips are exact.
pub fn picture(w: usize, h: usize) -> Image {
    let mut img = Image::new(w, h);
    for y in 0..h {
        for x in 0..w {
            let v = |k: usize| ((x * 7 + y * 13 + k * 31) % 256) as f32 / 255.0;
            img.set_pixel(x, y, [v(0), v(1), v(2), v(3)]);
        }
    }
    img
}

/// What the gain fixture computes for one pixel.
pub fn gain_pixel(p: [f32; 4], gain: f32, invert: bool, red_only: bool) -> [f32; 4] {
    let mut out = p;
    for (c, v) in out.iter_mut().enumerate().take(3) {
        if !red_only || c == 0 {
            let g = p[c] * gain;
            *v = if invert { 1.0 - g } else { g };
        }
    }
    out
}

/// Asserts two images match within `tol` per value.
pub fn assert_close(a: &Image, b: &Image, tol: f32) {
    assert_eq!(
        (a.width(), a.height()),
        (b.width(), b.height()),
        "sizes differ"
    );
    for (i, (x, y)) in a.data().iter().zip(b.data()).enumerate() {
        assert!(
            (x - y).abs() <= tol,
            "value {i} (pixel {}, channel {}): {x} vs {y}",
            i / 4,
            i % 4
        );
    }
}

/// The gain fixture's expected output for a whole image.
pub fn expected_gain(src: &Image, gain: f32, invert: bool, red_only: bool) -> Image {
    let mut out = src.clone();
    for y in 0..src.height() {
        for x in 0..src.width() {
            out.set_pixel(
                x,
                y,
                gain_pixel(src.pixel(x, y).unwrap(), gain, invert, red_only),
            );
        }
    }
    out
}
