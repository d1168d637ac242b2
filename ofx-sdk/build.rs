//! Compiles the host side's C shim (`csrc/variadic.c`) when the `host` feature is on. The shim exists
//! because stable Rust cannot define C-variadic functions, and several OpenFX suite entries are variadic.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=csrc/variadic.c");
    if std::env::var_os("CARGO_FEATURE_HOST").is_some() {
        compile_shim();
    }
}

#[cfg(feature = "host")]
fn compile_shim() {
    cc::Build::new()
        .file("csrc/variadic.c")
        .std("c11")
        .warnings(true)
        .extra_warnings(true)
        .compile("ofxh_variadic");
}

#[cfg(not(feature = "host"))]
fn compile_shim() {}
