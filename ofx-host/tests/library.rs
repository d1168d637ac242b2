//! The `ofx_sdk::host` library API against the fixture plugins: describe, render through every
//! pixel layout, identity, parameters, concurrent instances and plugin failures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{BADLOAD, FAIL, GAIN, assert_close, bundle, expected_gain, picture};
use ofx_sdk::host::{
    HostError, Image, Library, MessageLevel, ParamKind, ParamValue, RenderOptions, StringMode,
};
use ofx_sdk::{Components, Context, PixelDepth, RectI, RenderThreadSafety, Status};

fn library() -> Library {
    Library::load(bundle()).unwrap()
}

#[test]
fn lists_and_describes_the_fixture() {
    let lib = library();
    let ids: Vec<String> = lib.plugins().into_iter().map(|p| p.id).collect();
    assert_eq!(ids, [GAIN, FAIL, BADLOAD]);
    assert!(lib.rejected().is_empty());
    assert_eq!(lib.bundle(), Some(bundle()));

    let plugin = lib.plugin(GAIN).unwrap();
    let d = plugin.description();
    assert_eq!(
        (d.label.as_str(), d.grouping.as_str()),
        ("Test Gain", "onnxfx/Test")
    );
    assert_eq!((d.version_major, d.version_minor), (1, 2));
    assert_eq!(d.contexts, [Context::Filter, Context::General]);
    assert_eq!(
        d.pixel_depths,
        [PixelDepth::Byte, PixelDepth::Short, PixelDepth::Float]
    );
    assert_eq!(d.render_thread_safety, RenderThreadSafety::FullySafe);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(plugin.default_context(), Some(Context::Filter));

    let c = plugin.describe_in_context(Context::Filter).unwrap();
    let clips: Vec<&str> = c.clips.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(clips, ["Source", "Output"]);
    assert_eq!(c.clips[0].components, [Components::Rgba, Components::Rgb]);
    let gain = c.param("gain").unwrap();
    assert_eq!(gain.kind, ParamKind::Double);
    assert_eq!(
        (gain.label.as_str(), gain.hint.as_str()),
        ("Gain", "Multiplies the colour channels")
    );
    assert_eq!(gain.default, Some(ParamValue::Double(1.0)));
    assert_eq!(
        (gain.min.clone(), gain.max.clone()),
        (
            Some(ParamValue::Double(0.0)),
            Some(ParamValue::Double(10.0))
        )
    );
    assert_eq!(gain.display_max, Some(ParamValue::Double(4.0)));
    assert_eq!(
        c.param("invert").unwrap().default,
        Some(ParamValue::Bool(false))
    );
    assert_eq!(c.param("channels").unwrap().options, ["All", "Red only"]);
    assert_eq!(
        c.param("note").unwrap().string_mode,
        Some(StringMode::FilePath)
    );
    assert!(c.param("invert").unwrap().min.is_none());
    // The serialisable form carries the same data.
    let json = serde_json::to_value(plugin.describe(Some(Context::Filter)).unwrap()).unwrap();
    assert_eq!(json["context"]["params"][0]["max"], 10.0);
    assert_eq!(json["contexts"][1], "general");
    assert!(matches!(
        plugin.describe_in_context(Context::Generator),
        Err(HostError::UnsupportedContext { .. })
    ));
}

#[test]
fn renders_every_depth_and_layout() {
    let plugin = library().plugin(GAIN).unwrap();
    let instance = plugin.instance(Context::Filter).unwrap();
    let src = picture(9, 7);
    instance.set_source("Source", src.clone()).unwrap();
    instance.set_param("gain", ParamValue::Double(0.5)).unwrap();
    let expected = expected_gain(&src, 0.5, false, false);
    for depth in [PixelDepth::Byte, PixelDepth::Short, PixelDepth::Float] {
        for negative_row_bytes in [false, true] {
            let options = RenderOptions {
                depth: Some(depth),
                negative_row_bytes,
                bounds_padding: 3,
                ..RenderOptions::default()
            };
            let r = instance.render_with_report(1.0, &options).unwrap();
            assert_eq!(r.depth, depth);
            assert!(r.render_action.is_some() && r.identity.is_none());
            assert!(r.warnings.is_empty(), "{:?}", r.warnings);
            assert_eq!(r.render_window, RectI::new(0, 0, 9, 7));
            let tol = if depth == PixelDepth::Byte {
                1.0 / 255.0
            } else {
                1e-4
            };
            assert_close(&r.image, &expected, tol);
        }
    }
    // Half is not supported by the plugin: the best it has (Float) is used, with a warning.
    let r = instance
        .render_with_report(
            2.0,
            &RenderOptions {
                depth: Some(PixelDepth::Half),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.depth, PixelDepth::Float);
    assert_eq!(r.warnings.len(), 1);
    // The plugin logs each frame through the variadic message suite.
    let logs: Vec<String> = instance
        .take_messages()
        .into_iter()
        .filter(|m| m.level == MessageLevel::Log)
        .map(|m| m.text)
        .collect();
    assert_eq!(
        logs.last().map(String::as_str),
        Some("frame 2 rendered with gain 0.50")
    );
}

#[test]
fn render_window_rgb_scale_and_general_context() {
    let plugin = library().plugin(GAIN).unwrap();
    let instance = plugin.instance(Context::General).unwrap();
    let src = picture(8, 6);
    instance.set_source("Source", src.clone()).unwrap();
    instance.set_param_text("invert", "true").unwrap();
    instance.set_param_text("channels", "Red only").unwrap();
    assert_eq!(instance.param("channels").unwrap(), ParamValue::Int(1));
    let full = expected_gain(&src, 1.0, true, true);

    // A window in pixel coordinates (origin bottom-left) returns just that part.
    let window = RectI::new(2, 1, 5, 3);
    let options = RenderOptions {
        render_window: Some(window),
        bounds_padding: 2,
        ..Default::default()
    };
    let r = instance.render_with_report(1.0, &options).unwrap();
    let mut crop = Image::new(3, 2);
    for y in 0..2 {
        for x in 0..3 {
            // Window row 0 is pixel row y = 2, which is image row 6 - 1 - 2 = 3 from the top.
            crop.set_pixel(x, y, full.pixel(x + 2, 6 - 1 - (2 - y)).unwrap());
        }
    }
    assert_close(&r.image, &crop, 1e-5);

    // RGB: alpha reads back as 1.
    let r = instance
        .render_with_report(
            1.0,
            &RenderOptions {
                components: Components::Rgb,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.components, Components::Rgb);
    let mut rgb = full.clone();
    rgb.data_mut().chunks_exact_mut(4).for_each(|p| p[3] = 1.0);
    assert_close(&r.image, &rgb, 1e-5);

    // Half render scale: the output is the scaled size.
    let r = instance
        .render_with_report(
            1.0,
            &RenderOptions {
                render_scale: 0.5,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((r.image.width(), r.image.height()), (4, 3));
}

#[test]
fn identity_passes_the_source_through() {
    let plugin = library().plugin(GAIN).unwrap();
    let instance = plugin.instance(Context::Filter).unwrap();
    let src = picture(5, 4);
    instance.set_source("Source", src.clone()).unwrap();
    let r = instance
        .render_with_report(1.0, &RenderOptions::default())
        .unwrap();
    assert_eq!(r.identity.as_deref(), Some("Source"));
    assert!(r.render_action.is_none());
    assert_eq!(r.image, src);
}

#[test]
fn parameters_are_checked_and_reach_instance_changed() {
    let plugin = library().plugin(GAIN).unwrap();
    let instance = plugin.instance(Context::Filter).unwrap();
    assert_eq!(instance.param("gain").unwrap(), ParamValue::Double(1.0));
    let err = instance
        .set_param("gain", ParamValue::Double(11.0))
        .unwrap_err();
    assert!(matches!(err, HostError::InvalidParamValue { .. }) && err.is_usage());
    assert!(matches!(
        instance.set_param_text("nope", "1"),
        Err(HostError::UnknownParam(_))
    ));
    assert!(instance.set_param_text("invert", "maybe").is_err());
    assert!(instance.set_param_text("channels", "Blue").is_err());
    assert_eq!(
        instance.set_param_text("note", "models/a b.onnx").unwrap(),
        ParamValue::String("models/a b.onnx".into())
    );
    // The fixture warns from InstanceChanged, reading the value back through paramGetValue.
    instance.set_param_text("gain", "7").unwrap();
    let warning = instance
        .take_messages()
        .into_iter()
        .find(|m| m.level == MessageLevel::Warning)
        .unwrap();
    assert_eq!(warning.text, "gain 7 will clip highlights");
    assert_eq!(warning.id.as_deref(), Some("gain.high"));
    assert!(matches!(
        instance.set_source("Output", picture(2, 2)),
        Err(HostError::InvalidRequest(_))
    ));
    assert!(matches!(
        instance.set_source("Mask", picture(2, 2)),
        Err(HostError::UnknownClip(_))
    ));
}

#[test]
fn sequences_render_in_order() {
    let plugin = library().plugin(GAIN).unwrap();
    let instance = plugin.instance(Context::Filter).unwrap();
    instance.set_param("gain", ParamValue::Double(2.0)).unwrap();
    let options = RenderOptions::default();
    instance.set_source("Source", picture(4, 4)).unwrap();
    instance.begin_sequence(1.0, 3.0, &options).unwrap();
    assert!(instance.begin_sequence(1.0, 3.0, &options).is_err());
    for frame in 1..=3 {
        let src = picture(4 + frame, 4);
        instance.set_source("Source", src.clone()).unwrap();
        let out = instance.render(frame as f64, &options).unwrap();
        assert_close(&out, &expected_gain(&src, 2.0, false, false), 1e-5);
    }
    instance.end_sequence().unwrap();
    assert!(instance.end_sequence().is_err());
    let report = instance.destroy().unwrap();
    assert_eq!(report.unreleased_images, 0);
}

#[test]
fn two_instances_render_concurrently() {
    let plugin = library().plugin(GAIN).unwrap();
    let a = plugin.instance(Context::Filter).unwrap();
    let b = plugin.instance(Context::Filter).unwrap();
    let src = picture(32, 24);
    a.set_param("gain", ParamValue::Double(0.25)).unwrap();
    b.set_param("gain", ParamValue::Double(0.75)).unwrap();
    a.set_source("Source", src.clone()).unwrap();
    b.set_source("Source", src.clone()).unwrap();
    let (ea, eb) = (
        expected_gain(&src, 0.25, false, false),
        expected_gain(&src, 0.75, false, false),
    );
    let run = |instance: &ofx_sdk::host::Instance, expected: &Image| {
        for frame in 0..25 {
            let negative_row_bytes = frame % 2 == 0;
            let options = RenderOptions {
                negative_row_bytes,
                ..Default::default()
            };
            let out = instance.render(f64::from(frame), &options).unwrap();
            assert_close(&out, expected, 1e-5);
        }
    };
    std::thread::scope(|s| {
        let ta = s.spawn(|| run(&a, &ea));
        let tb = s.spawn(|| run(&b, &eb));
        ta.join().unwrap();
        tb.join().unwrap();
    });
    // Both log their own frames only.
    assert!(a.take_messages().iter().all(|m| m.text.ends_with("0.25")));
    assert!(b.take_messages().iter().all(|m| m.text.ends_with("0.75")));
}

#[test]
fn a_failing_render_reports_status_and_message() {
    let plugin = library().plugin(FAIL).unwrap();
    let instance = plugin.instance(Context::Filter).unwrap();
    instance.set_source("Source", picture(4, 4)).unwrap();
    let err = instance.render(1.0, &RenderOptions::default()).unwrap_err();
    assert_eq!(err.status(), Some(Status::FAILED));
    assert_eq!(
        err.to_string(),
        "render of frame 1 failed: kOfxStatFailed: model x.onnx is missing (code 42)"
    );
    let m = &err.messages()[0];
    assert!(m.persistent && m.level == MessageLevel::Error);
    assert_eq!(
        instance.persistent_message().unwrap().text,
        "model x.onnx is missing (code 42)"
    );
    // The plugin fetched its source and never released it.
    let report = instance.destroy().unwrap();
    assert_eq!(report.unreleased_images, 1);
    assert_eq!(report.warnings.len(), 1);
}

#[test]
fn a_failing_load_is_reported_with_its_message() {
    let err = library().plugin(BADLOAD).unwrap_err();
    assert_eq!(err.status(), Some(Status::ERR_FATAL));
    let HostError::Action {
        action, messages, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(action, "OfxActionLoad");
    assert_eq!(messages[0].text, "cannot start: no licence");
    assert!(matches!(
        library().plugin("no.such.plugin"),
        Err(HostError::PluginNotFound { .. })
    ));
}

#[test]
fn bad_binaries_are_refused_with_a_reason() {
    let dir = common::scratch("bad-binaries");
    let not_elf = dir.join("junk.ofx");
    std::fs::write(&not_elf, b"not a shared object").unwrap();
    assert!(matches!(
        Library::load(&not_elf),
        Err(HostError::Load { .. })
    ));
    assert!(matches!(
        Library::load(dir.join("missing.ofx.bundle")),
        Err(HostError::NotABundle { .. })
    ));
    // A real shared object without the OpenFX entry points (libm is already loaded in every process).
    let libm = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
        "/lib64/libm.so.6",
        "/usr/lib/libm.so.6",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists());
    if let Some(libm) = libm {
        let err = Library::load(libm).unwrap_err();
        assert!(
            matches!(
                err,
                HostError::MissingSymbol {
                    symbol: "OfxGetNumberOfPlugins",
                    ..
                }
            ),
            "{err}"
        );
    }
}
