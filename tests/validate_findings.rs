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

/// `param-fuzz` under `--as nuke` found it: with Working Space ACEScct and HDR allowed, an over-range
/// value (linear highlights declared ACEScct) decodes to a huge but finite linear value; the invert
/// model's answer, converted back to ACEScct, overflowed, and infinities reached the host's image.
/// Bad values are now replaced after the conversion back to the clip's encoding too.
#[test]
fn over_range_values_in_an_acescct_working_space_never_give_infinities() {
    let (_library, plugin) = load_plugin();
    let inst = instance(&plugin, &test_model("invert.onnx"), &photo("coffee.png"));
    inst.set_param_text("workingSpace", "ACEScct").unwrap();
    inst.set_param_text("hdr", "Allowed").unwrap();
    // Premultiplied, as Nuke hands images: 5.4 over alpha 0.7 is 7.7 unpremultiplied, which as
    // ACEScct is about 2^125 in linear light.
    let mut source = ofx_sdk::host::Image::filled(32, 16, [0.5, 0.25, 0.75, 1.0]);
    for x in 0..32 {
        source.set_pixel(x, 3, [5.4, 1.2, 1.66, 0.7]);
    }
    inst.set_source("Source", source).unwrap();
    let options = RenderOptions {
        source_premultiplication: ofx_sdk::Premultiplication::PreMultiplied,
        ..RenderOptions::default()
    };
    let out = inst.render(1.0, &options).unwrap();
    let bad = out.data().iter().filter(|v| !v.is_finite()).count();
    assert_eq!(bad, 0, "{bad} values are not finite");
}
