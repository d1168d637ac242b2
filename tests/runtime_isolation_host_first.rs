//! A host that already carries ONNX Runtime (SONAME `libonnxruntime.so.1`, loaded globally, as a host
//! linked against it has it) must not break the plugin, and the plugin must not take the host's place:
//! the plugin renders with its own copy, and the name `libonnxruntime.so.1` still means the host's.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};

use common::{bundled_runtime, loaded_api_address, render_invert_in_process, wheel_runtime};

#[test]
fn the_plugin_and_a_host_runtime_live_side_by_side() {
    // SAFETY: loading ONNX Runtime runs its own initialisers only; the library stays loaded for the test.
    let host_runtime =
        unsafe { Library::open(Some(wheel_runtime()), RTLD_NOW | RTLD_GLOBAL) }.unwrap();
    let host_api =
        loaded_api_address("libonnxruntime.so.1".as_ref()).expect("the host's runtime by SONAME");

    render_invert_in_process();

    let ours =
        loaded_api_address(bundled_runtime().as_os_str()).expect("the plugin loaded its runtime");
    assert_ne!(
        ours, host_api,
        "the plugin must use its own copy, not the host's"
    );
    assert_eq!(
        loaded_api_address("libonnxruntime.so.1".as_ref()),
        Some(host_api),
        "the SONAME still names the host's"
    );
    drop(host_runtime);
}
