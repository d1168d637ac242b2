//! The validator on plugins nobody here wrote: the official OpenFX examples Invert and Basic, compiled
//! from the sources the `openfx-sys` crate ships (`openfx/Examples`), with the C++ compiler `cc` finds,
//! into bundles. The validator must run to the end on them; what it finds is printed and written to
//! `target/tmp/openfx-examples-report.json` (the README's validation section summarises it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// `openfx/` inside the openfx-sys crate's sources, from cargo's own metadata.
fn openfx_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let metadata = |offline: bool| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(manifest)
            .args(["metadata", "--format-version", "1"]);
        if offline {
            cmd.arg("--offline");
        }
        cmd.output().ok().filter(|o| o.status.success())
    };
    let out = metadata(true)
        .or_else(|| metadata(false))
        .expect("cargo metadata");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let package = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "openfx-sys")
        .expect("openfx-sys in the dependency graph");
    let dir = Path::new(package["manifest_path"].as_str().unwrap())
        .parent()
        .unwrap()
        .join("openfx");
    assert!(dir.join("Examples/Invert/invert.cpp").is_file(), "{dir:?}");
    dir
}

/// Compiles one example into `<name>.ofx.bundle` and returns the bundle.
fn build_example(openfx: &Path, source: &str, name: &str, out: &Path) -> PathBuf {
    let triple = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let compiler = cc::Build::new()
        .cpp(true)
        .target(&triple)
        .host(&triple)
        .opt_level(1)
        .cargo_metadata(false)
        .warnings(false)
        .get_compiler();
    let bundle = out.join(format!("{name}.ofx.bundle"));
    let arch = bundle
        .join("Contents")
        .join(ofx_sdk::host::bundle::ARCH_DIR);
    std::fs::create_dir_all(&arch).unwrap();
    let binary = arch.join(format!("{name}.ofx"));
    let status = compiler
        .to_command()
        .arg("-shared")
        .arg("-fPIC")
        .arg("-I")
        .arg(openfx.join("include"))
        .arg("-I")
        .arg(openfx.join("Examples/include"))
        .arg(openfx.join("Examples").join(source))
        .arg("-o")
        .arg(&binary)
        .status()
        .expect("running the C++ compiler");
    assert!(status.success(), "compiling {source} failed");
    bundle
}

#[test]
fn the_official_invert_and_basic_examples_are_validated() {
    let openfx = openfx_dir();
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("openfx-examples");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let invert = build_example(&openfx, "Invert/invert.cpp", "Invert", &out);
    let basic = build_example(&openfx, "Basic/basic.cpp", "Basic", &out);
    let report_path =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("openfx-examples-report.json");
    let run = Command::new(env!("CARGO_BIN_EXE_ofx-host"))
        .arg("validate")
        .arg(&invert)
        .arg(&basic)
        // Basic is an identity at its default scale of 1: half makes it render.
        .args(["--param", "scale=0.5"])
        .args(["--level", "10", "--seed", "1", "--timeout", "120", "--json"])
        .arg(&report_path)
        .env_remove("OFX_HOST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    println!("{stdout}");
    println!("report: {}", report_path.display());
    // Findings make it exit 1; anything else would be the validator failing.
    let code = run.status.code();
    assert!(matches!(code, Some(0 | 1)), "exit {code:?}: {stdout}");
    let report: Value = serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    let plugins = report["plugins"].as_array().unwrap();
    let ids: Vec<&str> = plugins
        .iter()
        .map(|p| p["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "uk.co.thefoundry.OfxInvertExample",
            "uk.co.thefoundry.BasicGainPlugin"
        ]
    );
    for p in plugins {
        let scenarios = p["scenarios"].as_array().unwrap();
        assert_eq!(scenarios.len(), 29, "{p:#}");
        assert_eq!(scenarios[0]["status"], "pass", "{p:#}");
        for s in scenarios {
            let all = s.to_string();
            assert!(!all.contains("validator error"), "{s:#}");
        }
    }
    // What the validator finds in them (the README lists it), so a change in what it catches shows.
    let find = |plugin: usize, name: &str| {
        plugins[plugin]["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    // Invert: its output image is never released (an inner declaration shadows the handle it
    // releases), so memory grows with every render ...
    let lifecycle = find(0, "action-lifecycle").to_string();
    assert!(lifecycle.contains("did not release 1 image"), "{lifecycle}");
    // How far the resident memory has grown when the scenario samples it depends on the allocator and
    // the machine's load: a leak of one image per render is flagged, as a warning or a failure.
    let memory = find(0, "resource-memory");
    assert_ne!(memory["status"], "pass", "{memory:#}");
    // ... and it reads one row past its source's bounds (`y > rect.y2`). That shows only when the
    // memory past the source's last row differs between the two canary renders of a case, which
    // depends on the heap: when the scenario fails, it must be for that case.
    let geometry = find(0, "render-geometry");
    if geometry["status"] == "fail" {
        assert!(
            geometry.to_string().contains("source-partly-missing"),
            "{geometry:#}"
        );
    }
    // Basic renders every layout it declares (alpha too: it reads the clips' unmapped components) ...
    assert_eq!(find(1, "render-formats")["status"], "pass");
    // ... but dereferences missing instance data (a host that goes on after a failed creation).
    let orphan = find(1, "render-without-instance-data");
    assert_eq!(orphan["status"], "crash", "{orphan:#}");
    assert!(
        orphan["crash"]["signal"]
            .as_str()
            .unwrap()
            .starts_with("SIGSEGV"),
        "{orphan:#}"
    );
}
