//! Bugs `ofx-host validate` found in the plugin, each kept fixed by a test through the built bundle.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ofx_sdk::host::{ParamValue, RenderOptions};

use common::{instance, load_plugin, photo, test_model};

/// `param-fuzz` found it: Tile Overlap at the top of its declared range (1024) with the automatic tile
/// size failed every frame ("a memory budget of 1073741824 bytes holds no 2064-pixel tile"), even a
/// small one, while an explicit tile size with the same overlap shrinks the overlap to fit.
#[test]
fn the_widest_tile_overlap_with_the_automatic_tile_size_renders() {
    let (_library, plugin) = load_plugin();
    let inst = instance(&plugin, &test_model("invert.onnx"), &photo("coffee.png"));
    inst.set_param("tileOverlap", ParamValue::Int(1024))
        .unwrap();
    let out = inst.render(1.0, &RenderOptions::default());
    assert!(out.is_ok(), "{}", out.unwrap_err());
}
