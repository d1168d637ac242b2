//! The plugin side of the SDK driven through the real C ABI by the SDK's own host side, in one process:
//! effects written against the safe `Effect` trait, exported with `ofx_export!`, loaded with
//! `Library::in_process`. Covers describe (clips, every parameter type), property and parameter access
//! from an instance, images and their rows, messages (with `%` in the text), instance data, and the
//! panic barrier.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::CStr;
use std::sync::Mutex;

use ofx_sdk::host::{Image, Library, MessageLevel as HostLevel, ParamValue, RenderOptions};
use ofx_sdk::plugin::{
    ClipDef, Effect, EffectDescriptor, EffectInstance, Identity, InstanceChangedArgs,
    IsIdentityArgs, MessageLevel, ParamDef, PixelRow, PixelRowMut, RenderArgs, StringMode,
};
use ofx_sdk::{Components, Context, Error, PixelDepth, RenderThreadSafety, Status};

const PROBE: &str = "org.onnxfx.sdk-test.probe";
const PANICS: &str = "org.onnxfx.sdk-test.panics";
const FAILS_CREATE: &str = "org.onnxfx.sdk-test.fails-create";

fn define_filter_clips(desc: &EffectDescriptor<'_>) -> Result<(), Error> {
    for name in [c"Source", c"Output"] {
        let clip = ClipDef {
            name,
            components: &[Components::Rgba],
            optional: false,
            supports_tiles: true,
        };
        desc.define_clip(&clip)?;
    }
    Ok(())
}

fn describe_filter(desc: &EffectDescriptor<'_>, label: &str) -> Result<(), Error> {
    desc.set_labels(label, label, label)?;
    desc.set_grouping("onnxfx/tests")?;
    desc.set_supported_contexts(&[Context::Filter])?;
    desc.set_supported_pixel_depths(&[PixelDepth::Float, PixelDepth::Byte])?;
    desc.set_render_thread_safety(RenderThreadSafety::FullySafe)
}

/// Reads every kind of parameter in render and writes them into the output pixels.
struct Probe {
    changes: Mutex<Vec<String>>,
}

impl Effect for Probe {
    type Error = Error;
    const ID: &'static CStr = c"org.onnxfx.sdk-test.probe";
    const VERSION: (u32, u32) = (2, 3);

    fn describe(desc: &EffectDescriptor<'_>) -> Result<(), Error> {
        describe_filter(desc, "Probe")
    }

    fn describe_in_context(desc: &EffectDescriptor<'_>, _context: Context) -> Result<(), Error> {
        define_filter_clips(desc)?;
        desc.define_param(
            &ParamDef::double("gain", "Gain", 0.5)
                .range(0.0, 2.0)
                .hint("multiplies red"),
        )?;
        desc.define_param(&ParamDef::integer("count", "Count", 3).range(0.0, 10.0))?;
        desc.define_param(&ParamDef::boolean("flag", "Flag", true))?;
        desc.define_param(&ParamDef::choice("mode", "Mode", &["a", "b", "c"], 1))?;
        desc.define_param(&ParamDef::string(
            "path",
            "Path",
            "",
            StringMode::FilePath { must_exist: true },
        ))?;
        desc.define_param(&ParamDef::push_button("go", "Go"))?;
        desc.define_param(&ParamDef::string("info", "Info", "", StringMode::Label))?;
        Ok(())
    }

    fn create_instance(instance: &EffectInstance<'_>) -> Result<Self, Error> {
        instance.param(c"info")?.set_string("created")?;
        Ok(Probe {
            changes: Mutex::new(Vec::new()),
        })
    }

    fn instance_changed(
        &self,
        instance: &EffectInstance<'_>,
        args: &InstanceChangedArgs,
    ) -> Result<(), Error> {
        self.changes.lock().unwrap().push(args.name.clone());
        // Read back through the parameter suite, so the change is visible from the instance.
        if args.name == "path" {
            let path = instance.param(c"path")?.string_at(args.time)?;
            instance.message(MessageLevel::Message, &format!("path is now {path}"));
        }
        Ok(())
    }

    fn is_identity(
        &self,
        instance: &EffectInstance<'_>,
        args: &IsIdentityArgs,
    ) -> Result<Option<Identity>, Error> {
        let gain = instance.param(c"gain")?.double_at(args.time)?;
        Ok((gain == 1.0).then(|| Identity {
            clip: c"Source".to_owned(),
            time: args.time,
        }))
    }

    fn render(&self, instance: &EffectInstance<'_>, args: &RenderArgs) -> Result<(), Error> {
        let t = args.time;
        let gain = instance.param(c"gain")?.double_at(t)? as f32;
        let count = instance.param(c"count")?.int_at(t)? as f32;
        let flag = f32::from(u8::from(instance.param(c"flag")?.bool_at(t)?));
        let mode = instance.param(c"mode")?.int_at(t)? as f32;
        // A mismatched getter is refused before the variadic call, never undefined behaviour.
        assert!(instance.param(c"mode")?.double_at(t).is_err());
        // Instance data persists between actions: the InstanceChanged calls were recorded on it.
        assert!(
            self.changes
                .lock()
                .unwrap()
                .iter()
                .any(|name| name == "path")
        );
        let source = instance
            .clip(c"Source")?
            .image(t, None)?
            .expect("a source image");
        let mut output = instance
            .clip(c"Output")?
            .image(t, None)?
            .expect("an output image");
        let (out_bounds, src_bounds) = (output.bounds(), source.bounds());
        for (y, row) in output.rows_mut()? {
            if y < args.window.y1 || y >= args.window.y2 {
                continue;
            }
            let PixelRow::Float(src) = source.row(y)? else {
                panic!("float source expected")
            };
            let PixelRowMut::Float(dst) = row else {
                panic!("float output expected")
            };
            for x in args.window.x1..args.window.x2 {
                let o = usize::try_from(x - out_bounds.x1).unwrap() * 4;
                let s = usize::try_from(x - src_bounds.x1).unwrap() * 4;
                dst[o..o + 4].copy_from_slice(&[src[s] * gain, count, flag, mode]);
            }
        }
        instance.message(MessageLevel::Log, &format!("100% done at frame {t} %s %d"));
        Ok(())
    }
}

struct Panics;

impl Effect for Panics {
    type Error = Error;
    const ID: &'static CStr = c"org.onnxfx.sdk-test.panics";
    const VERSION: (u32, u32) = (1, 0);

    fn describe(desc: &EffectDescriptor<'_>) -> Result<(), Error> {
        describe_filter(desc, "Panics")
    }

    fn describe_in_context(desc: &EffectDescriptor<'_>, _context: Context) -> Result<(), Error> {
        define_filter_clips(desc)
    }

    fn create_instance(_instance: &EffectInstance<'_>) -> Result<Self, Error> {
        Ok(Panics)
    }

    fn render(&self, _instance: &EffectInstance<'_>, args: &RenderArgs) -> Result<(), Error> {
        panic!("boom at frame {}", args.time);
    }
}

struct FailsCreate;

impl Effect for FailsCreate {
    type Error = Error;
    const ID: &'static CStr = c"org.onnxfx.sdk-test.fails-create";
    const VERSION: (u32, u32) = (1, 0);

    fn describe(desc: &EffectDescriptor<'_>) -> Result<(), Error> {
        describe_filter(desc, "FailsCreate")
    }

    fn describe_in_context(desc: &EffectDescriptor<'_>, _context: Context) -> Result<(), Error> {
        define_filter_clips(desc)
    }

    fn create_instance(_instance: &EffectInstance<'_>) -> Result<Self, Error> {
        Err(Error::InvalidValue("no licence for this node".into()))
    }

    fn render(&self, _instance: &EffectInstance<'_>, _args: &RenderArgs) -> Result<(), Error> {
        Ok(())
    }
}

ofx_sdk::ofx_export!(Probe, Panics, FailsCreate);

fn library() -> Library {
    Library::in_process(
        "plugin_side test binary",
        OfxGetNumberOfPlugins,
        OfxGetPlugin,
    )
    .unwrap()
}

fn gradient(width: usize, height: usize) -> Image {
    let data = (0..width * height)
        .flat_map(|i| [i as f32 / 100.0, 0.0, 0.0, 1.0])
        .collect();
    Image::from_rgba(width, height, data).unwrap()
}

#[test]
fn the_export_macro_lists_every_effect_with_its_version() {
    let plugins = library().plugins();
    let ids: Vec<&str> = plugins.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, [PROBE, PANICS, FAILS_CREATE]);
    assert_eq!((plugins[0].version_major, plugins[0].version_minor), (2, 3));
}

#[test]
fn describe_declares_clips_and_every_parameter_type() {
    let plugin = library().plugin(PROBE).unwrap();
    let described = plugin.describe(Some(Context::Filter)).unwrap();
    let text = serde_json::to_string(&described).unwrap();
    for needle in [
        "\"Probe\"",
        "onnxfx/tests",
        "\"gain\"",
        "multiplies red",
        "\"count\"",
        "\"flag\"",
        "\"mode\"",
        "\"path\"",
        "\"go\"",
        "\"info\"",
        "\"Source\"",
        "\"Output\"",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
}

#[test]
fn an_instance_reads_its_parameters_and_images_and_writes_the_window() {
    let plugin = library().plugin(PROBE).unwrap();
    let instance = plugin.instance(Context::Filter).unwrap();
    assert_eq!(
        instance.param("info").unwrap(),
        ParamValue::String("created".into())
    );
    instance.set_param_text("gain", "2").unwrap();
    instance.set_param_text("mode", "c").unwrap();
    instance.set_param_text("flag", "false").unwrap();
    instance.set_param_text("path", "/tmp/100%.onnx").unwrap();
    instance.set_source("Source", gradient(7, 5)).unwrap();
    let src = gradient(7, 5);
    for negative_row_bytes in [false, true] {
        let options = RenderOptions {
            negative_row_bytes,
            bounds_padding: 3,
            ..RenderOptions::default()
        };
        let out = instance.render(4.0, &options).unwrap();
        assert_eq!((out.width(), out.height()), (7, 5));
        for y in 0..5 {
            for x in 0..7 {
                let expected = [src.pixel(x, y).unwrap()[0] * 2.0, 3.0, 0.0, 2.0];
                assert_eq!(out.pixel(x, y).unwrap(), expected, "pixel {x},{y}");
            }
        }
    }
    let messages = instance.take_messages();
    assert!(
        messages
            .iter()
            .any(|m| m.text == "path is now /tmp/100%.onnx"),
        "{messages:?}"
    );
    // The text went through "%s": its own % signs arrive untouched.
    assert!(
        messages
            .iter()
            .any(|m| m.level == HostLevel::Log && m.text == "100% done at frame 4 %s %d"),
        "{messages:?}"
    );
}

#[test]
fn a_loaded_plugin_knows_the_hosts_name_and_whether_it_resizes_images() {
    let plugin = library().plugin(PROBE).unwrap();
    let _instance = plugin.instance(Context::Filter).unwrap();
    assert_eq!(
        ofx_sdk::plugin::host::host_name().as_deref(),
        Some(ofx_sdk::host::HOST_NAME)
    );
    // This host says kOfxImageEffectPropSupportsMultiResolution = 1 (MLT says 0).
    assert!(ofx_sdk::plugin::host::supports_multi_resolution());
}

#[test]
fn an_identity_answer_lets_the_host_skip_the_render() {
    let plugin = library().plugin(PROBE).unwrap();
    let instance = plugin.instance(Context::Filter).unwrap();
    instance.set_param_text("gain", "1").unwrap();
    instance.set_source("Source", gradient(3, 2)).unwrap();
    let report = instance
        .render_with_report(1.0, &RenderOptions::default())
        .unwrap();
    assert_eq!(report.identity.as_deref(), Some("Source"));
    assert!(report.render_action.is_none());
}

#[test]
fn a_panicking_render_is_a_failure_status_and_the_process_lives() {
    let library = library();
    let plugin = library.plugin(PANICS).unwrap();
    let instance = plugin.instance(Context::Filter).unwrap();
    instance.set_source("Source", gradient(2, 2)).unwrap();
    for frame in [1.0, 2.0] {
        let err = instance
            .render(frame, &RenderOptions::default())
            .unwrap_err();
        assert_eq!(err.status(), Some(Status::FAILED));
        let texts: Vec<&str> = err.messages().iter().map(|m| m.text.as_str()).collect();
        assert!(
            texts.iter().any(
                |t| t.contains("internal error in OfxImageEffectActionRender")
                    && t.contains("boom at frame")
            ),
            "{texts:?}"
        );
    }
    // Another effect of the same binary still works afterwards.
    let probe = library
        .plugin(PROBE)
        .unwrap()
        .instance(Context::Filter)
        .unwrap();
    probe.set_param_text("path", "x").unwrap();
    probe.set_source("Source", gradient(2, 2)).unwrap();
    assert!(probe.render(1.0, &RenderOptions::default()).is_ok());
}

#[test]
fn a_failed_creation_is_reported_with_the_effects_reason() {
    let plugin = library().plugin(FAILS_CREATE).unwrap();
    let Err(err) = plugin.instance(Context::Filter) else {
        panic!("creation must fail")
    };
    assert_eq!(err.status(), Some(Status::FAILED), "{err}");
    let texts: Vec<&str> = err.messages().iter().map(|m| m.text.as_str()).collect();
    assert!(
        texts.iter().any(|t| t.contains("no licence for this node")),
        "{err} {texts:?}"
    );
}
