//! Build metadata for the plugin: the ONNX Runtime library file the bundle carries (from the pins in
//! `deps.toml`, so the code and the bundle can never disagree), the git commit and the build profile.

use std::process::Command;

#[derive(serde::Deserialize)]
struct Deps {
    runtime: Runtime,
}

#[derive(serde::Deserialize)]
struct Runtime {
    version: String,
    library: String,
}

fn main() {
    println!("cargo:rerun-if-changed=deps.toml");
    let text =
        std::fs::read_to_string("deps.toml").unwrap_or_else(|e| panic!("reading deps.toml: {e}"));
    let deps: Deps = toml::from_str(&text).unwrap_or_else(|e| panic!("parsing deps.toml: {e}"));
    let runtime = deps.runtime;
    if !runtime.library.contains(&runtime.version) || runtime.library.contains('/') {
        panic!(
            "deps.toml: runtime library {:?} must be a file name carrying version {}",
            runtime.library, runtime.version
        );
    }
    println!("cargo:rustc-env=ONNXFX_ORT_VERSION={}", runtime.version);
    println!("cargo:rustc-env=ONNXFX_ORT_LIBRARY={}", runtime.library);

    // The commit is best-effort: a source tarball has no git.
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=ONNXFX_GIT_COMMIT={commit}");
    println!("cargo:rerun-if-changed=.git/HEAD");
    let profile = std::env::var("PROFILE").unwrap_or_default();
    println!("cargo:rustc-env=ONNXFX_BUILD_PROFILE={profile}");
}
