//! End-to-end in one process: the built bundle loaded by our host library, several instances at once.
//! A broken instance must fail cleanly while another one renders correctly at the same time, and a
//! missing source image is an error with a message, not a crash.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ofx_sdk::Status;
use ofx_sdk::host::RenderOptions;

use common::{Rgba, instance, load_plugin, photo, test_model};

#[test]
fn a_broken_instance_does_not_disturb_another_rendering_at_the_same_time() {
    let (_library, plugin) = load_plugin();
    let good = instance(&plugin, &test_model("invert.onnx"), &photo("coffee.png"));
    let broken = instance(&plugin, &test_model("corrupt.onnx"), &photo("coffee.png"));
    let input = Rgba::read(&photo("coffee.png"));
    let options = RenderOptions::default();

    std::thread::scope(|scope| {
        let good_thread = scope.spawn(|| {
            for frame in 1..=6 {
                let out = good
                    .render(f64::from(frame), &options)
                    .expect("the good instance renders");
                for (o, i) in out.data().chunks_exact(4).zip(input.data.chunks_exact(4)) {
                    for c in 0..3 {
                        assert!((o[c] - (1.0 - i[c])).abs() < 1e-6);
                    }
                    assert_eq!(o[3], i[3]);
                }
            }
        });
        let broken_thread = scope.spawn(|| {
            for frame in 1..=6 {
                let err = broken
                    .render(f64::from(frame), &options)
                    .expect_err("the corrupt model must fail");
                assert_eq!(err.status(), Some(Status::FAILED), "{err}");
                let text: Vec<&str> = err.messages().iter().map(|m| m.text.as_str()).collect();
                assert!(
                    text.iter()
                        .any(|t| t.contains("cannot read the ONNX model")
                            && t.contains("corrupt.onnx")),
                    "messages: {text:?}"
                );
            }
        });
        good_thread.join().unwrap();
        broken_thread.join().unwrap();
    });
    // Destroying the broken instance leaves the good one working.
    drop(broken);
    assert!(good.render(7.0, &options).is_ok());
}

#[test]
fn a_missing_source_image_is_reported() {
    let (_library, plugin) = load_plugin();
    let instance = instance(&plugin, &test_model("invert.onnx"), &photo("chelsea.png"));
    // The clip stays connected, but the host has no image for it at this frame (Resolve does that).
    let options = RenderOptions {
        withhold_source_images: true,
        ..RenderOptions::default()
    };
    let err = instance
        .render(3.0, &options)
        .expect_err("no source, no render");
    assert_eq!(err.status(), Some(Status::FAILED), "{err}");
    let text: Vec<&str> = err.messages().iter().map(|m| m.text.as_str()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("no source image at frame 3")),
        "messages: {text:?}"
    );
}

#[test]
fn mix_zero_is_an_identity_the_host_can_skip() {
    let (_library, plugin) = load_plugin();
    let instance = instance(&plugin, &test_model("invert.onnx"), &photo("chelsea.png"));
    instance.set_param_text("mix", "0").unwrap();
    let report = instance
        .render_with_report(1.0, &RenderOptions::default())
        .unwrap();
    assert_eq!(report.identity.as_deref(), Some("Source"));
    assert!(report.render_action.is_none());
}

#[test]
fn a_cancelled_render_stops_and_says_so() {
    let (_library, plugin) = load_plugin();
    let instance = instance(&plugin, &test_model("conv3x3.onnx"), &photo("coffee.png"));
    let options = RenderOptions {
        abort_on_progress: true,
        ..RenderOptions::default()
    };
    let err = instance
        .render(1.0, &options)
        .expect_err("the render was cancelled");
    assert_eq!(err.status(), Some(Status::FAILED), "{err}");
    let text: Vec<&str> = err.messages().iter().map(|m| m.text.as_str()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("render cancelled by the host")),
        "messages: {text:?}"
    );
    // The next render, not cancelled, works.
    assert!(instance.render(2.0, &RenderOptions::default()).is_ok());
}

#[test]
fn the_info_field_describes_the_model_or_why_it_cannot_be_used() {
    let (_library, plugin) = load_plugin();
    let info = |model: &str| {
        let instance = instance(&plugin, &test_model(model), &photo("chelsea.png"));
        match instance.param("modelInfo").unwrap() {
            ofx_sdk::host::ParamValue::String(text) => text,
            other => panic!("modelInfo is {other:?}"),
        }
    };
    let text = info("upscale2x.onnx");
    assert!(
        text.contains("in 'image' nchw rgb srgb 0..1")
            && text.contains("scale x2")
            && text.contains("runs on CPU"),
        "{text}"
    );
    let text = info("two_outputs.onnx");
    assert!(
        text.contains("out 'half' color") && text.contains("out 'inverted' ignore"),
        "{text}"
    );
    let text = info("not_image.onnx");
    assert!(text.contains("4 dimensions"), "{text}");
}

#[test]
fn asking_for_a_gpu_the_bundle_lacks_falls_back_to_the_cpu_and_says_why() {
    let (_library, plugin) = load_plugin();
    let instance = instance(&plugin, &test_model("invert.onnx"), &photo("chelsea.png"));
    instance
        .set_param_text("device", "GPU if available")
        .unwrap();
    let messages = instance.take_messages();
    let warning = messages
        .iter()
        .find(|m| m.text.contains("running on the CPU"))
        .expect("a warning about the device");
    assert!(
        warning
            .text
            .contains("CUDA is not in the bundled ONNX Runtime"),
        "{}",
        warning.text
    );
    match instance.param("modelInfo").unwrap() {
        ofx_sdk::host::ParamValue::String(text) => {
            assert!(
                text.contains("runs on CPU") && text.contains("no GPU provider could be used"),
                "{text}"
            )
        }
        other => panic!("modelInfo is {other:?}"),
    }
    // And it renders, on the CPU.
    assert!(instance.render(1.0, &RenderOptions::default()).is_ok());
}
