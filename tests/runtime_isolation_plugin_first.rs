//! The bundled ONNX Runtime must not answer to the SONAME hosts use for their own: once the plugin has
//! loaded its copy, a host asking for `libonnxruntime.so.1` must not be handed ours. (The loader matches
//! already loaded objects by SONAME; the bundle step renames our copy's.) One test per process: what is
//! loaded first matters.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{bundled_runtime, loaded_api_address, render_invert_in_process};

#[test]
fn a_host_asking_for_libonnxruntime_so_1_after_us_does_not_get_our_copy() {
    render_invert_in_process();
    let ours =
        loaded_api_address(bundled_runtime().as_os_str()).expect("the plugin loaded its runtime");
    match loaded_api_address("libonnxruntime.so.1".as_ref()) {
        None => {}
        Some(other) => assert_ne!(
            other, ours,
            "the SONAME lookup found the plugin's private runtime"
        ),
    }
}
