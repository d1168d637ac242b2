//! "ONNX Inference": runs any single-image ONNX model on the Source clip. The model's output replaces the
//! colour (and alpha, for a 4-channel output), blended with the source by Mix; a model that upscales makes
//! the output larger by its factor.

use std::ffi::CStr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ofx_sdk::plugin::{
    ClipDef, Effect, EffectDescriptor, EffectInstance, Identity, InstanceChangedArgs,
    IsIdentityArgs, MessageLevel, ParamDef, RegionOfDefinitionArgs, RegionsOfInterest,
    RegionsOfInterestArgs, RenderArgs, StringMode,
};
use ofx_sdk::{Components, Context, PixelDepth, RectD, RectI, RenderThreadSafety, ofx_str};

use crate::engine::{self, Device, ImageModel, Precision, RunOptions};
use crate::error::{Error, Result};
use crate::pixels::{channels, read, write};

/// Stable parameter names: saved projects and command lines use them.
pub const PARAM_MODEL_FILE: &CStr = c"modelFile";
pub const PARAM_MIX: &CStr = c"mix";
pub const PARAM_MODEL_INFO: &CStr = c"modelInfo";
pub const PARAM_DEVICE: &CStr = c"device";
pub const PARAM_PRECISION: &CStr = c"precision";
pub const PARAM_RELOAD: &CStr = c"reloadModel";

/// The Device choice's options, in order (saved projects store the index).
const DEVICE_OPTIONS: [&str; 2] = ["CPU", "GPU if available"];
/// The Precision choice's options, in order.
const PRECISION_OPTIONS: [&str; 2] = ["float32", "float16"];

/// Frames above this many pixels are refused rather than risking the host's memory in one tensor.
/// Tiling will lift the limit.
pub const MAX_PIXELS: usize = 8192 * 8192;

pub struct Inference;

fn source_clip() -> &'static CStr {
    ofx_str!(kOfxImageEffectSimpleSourceClipName)
}

fn output_clip() -> &'static CStr {
    ofx_str!(kOfxImageEffectOutputClipName)
}

impl Inference {
    /// The model the instance's parameter names at `time`, loaded (or found in the cache).
    fn model(instance: &EffectInstance<'_>, time: f64) -> Result<Arc<ImageModel>> {
        let path = instance.param(PARAM_MODEL_FILE)?.string_at(time)?;
        if path.trim().is_empty() {
            return Err(Error::NoModel);
        }
        let options = RunOptions {
            device: match instance.param(PARAM_DEVICE)?.int_at(time)? {
                1 => Device::Gpu,
                _ => Device::Cpu,
            },
            precision: match instance.param(PARAM_PRECISION)?.int_at(time)? {
                1 => Precision::Float16,
                _ => Precision::Float32,
            },
        };
        engine::model(&PathBuf::from(path), options)
    }

    /// Fills the info field with what the model takes and gives, or why it cannot be used. No dialog:
    /// hosts create instances when they open a project (MLT for every frame), and a failing render
    /// already leaves its reason on the node.
    fn update_info(instance: &EffectInstance<'_>, time: f64) -> Result<()> {
        let text = match Self::model(instance, time) {
            Ok(model) => model.describe(),
            Err(Error::NoModel) => String::new(),
            Err(e) => e.to_string(),
        };
        instance.param(PARAM_MODEL_INFO)?.set_string(&text)?;
        Ok(())
    }
}

impl Effect for Inference {
    type Error = Error;

    const ID: &'static CStr = c"io.github.onnxfx.Inference";
    const VERSION: (u32, u32) = (1, 0);

    fn load() -> Result<()> {
        crate::logging::init();
        Ok(())
    }

    fn describe(desc: &EffectDescriptor<'_>) -> Result<()> {
        if let Some(bundle) = desc.plugin_file_path() {
            engine::runtime::note_bundle_path(&bundle);
        }
        desc.set_labels("ONNX Inference", "ONNX", "ONNX Inference (onnxfx)")?;
        desc.set_grouping("onnxfx")?;
        desc.set_plugin_description(
            "Runs an ONNX image model (NCHW float32, 1/3/4 channels) on the Source clip with ONNX Runtime.",
        )?;
        desc.set_supported_contexts(&[Context::Filter, Context::General])?;
        desc.set_supported_pixel_depths(&[
            PixelDepth::Byte,
            PixelDepth::Short,
            PixelDepth::Half,
            PixelDepth::Float,
        ])?;
        // Sessions are shared and locked inside the engine, so any number of renders may run at once.
        desc.set_render_thread_safety(RenderThreadSafety::FullySafe)?;
        // One tensor per render window: the host must not slice frames for us.
        desc.set_host_frame_threading(false)?;
        desc.set_supports_tiles(false)?;
        desc.set_supports_multi_resolution(true)?;
        desc.set_temporal_clip_access(false)?;
        desc.set_supports_multiple_clip_depths(true)?;
        Ok(())
    }

    fn describe_in_context(desc: &EffectDescriptor<'_>, _context: Context) -> Result<()> {
        let components = [Components::Rgba, Components::Rgb];
        desc.define_clip(&ClipDef {
            name: source_clip(),
            components: &components,
            optional: false,
            supports_tiles: false,
        })?;
        desc.define_clip(&ClipDef {
            name: output_clip(),
            components: &components,
            optional: false,
            supports_tiles: false,
        })?;
        desc.define_param(
            &ParamDef::string(
                "modelFile",
                "Model File",
                "",
                StringMode::FilePath { must_exist: true },
            )
            .hint(
                "The .onnx model to run: float32 NCHW input with 1, 3 or 4 channels, image output.",
            )
            .animates(false),
        )?;
        desc.define_param(
            &ParamDef::double("mix", "Mix", 1.0)
                .range(0.0, 1.0)
                .hint("Blend between the source (0) and the model's output (1)."),
        )?;
        desc.define_param(
            &ParamDef::choice("device", "Device", &DEVICE_OPTIONS, 0)
                .hint("Where the model runs. A GPU that is missing or fails falls back to the CPU, and the Model field says why.")
                .animates(false),
        )?;
        desc.define_param(
            &ParamDef::choice("precision", "Precision", &PRECISION_OPTIONS, 0)
                .hint("float16 halves GPU memory and time where the provider supports it (TensorRT) or the model is float16.")
                .animates(false),
        )?;
        desc.define_param(
            &ParamDef::push_button("reloadModel", "Reload Model")
                .hint("Load the model file again (after editing it in place)."),
        )?;
        desc.define_param(
            &ParamDef::string("modelInfo", "Model", "", StringMode::Label)
                .hint("The model's input and output tensors, or why it cannot be used.")
                .animates(false)
                .evaluate_on_change(false),
        )?;
        Ok(())
    }

    fn create_instance(instance: &EffectInstance<'_>) -> Result<Self> {
        // The info field is a courtesy: a bad model must not stop the instance from existing.
        if let Err(e) = Self::update_info(instance, 0.0) {
            tracing::debug!("model info not updated: {e}");
        }
        Ok(Inference)
    }

    fn instance_changed(
        &self,
        instance: &EffectInstance<'_>,
        args: &InstanceChangedArgs,
    ) -> Result<()> {
        if args.is_clip {
            return Ok(());
        }
        let name = args.name.as_bytes();
        if name == PARAM_RELOAD.to_bytes() {
            let path = instance.param(PARAM_MODEL_FILE)?.string_at(args.time)?;
            engine::cache::reload(&PathBuf::from(path));
        }
        if [
            PARAM_MODEL_FILE,
            PARAM_DEVICE,
            PARAM_PRECISION,
            PARAM_RELOAD,
        ]
        .iter()
        .any(|p| p.to_bytes() == name)
        {
            Self::update_info(instance, args.time)?;
            // The artist just chose this: say at once when the device or precision cannot be had.
            if let Ok(model) = Self::model(instance, args.time) {
                let notes = model.provider().notes;
                if !notes.is_empty() {
                    instance.message(
                        MessageLevel::Warning,
                        &format!("onnxfx: {}", notes.join("; ")),
                    );
                }
            }
        }
        Ok(())
    }

    fn region_of_definition(
        &self,
        instance: &EffectInstance<'_>,
        args: &RegionOfDefinitionArgs,
    ) -> Result<Option<RectD>> {
        // Without a usable model the render reports the error; the RoD stays the host's default.
        let Ok(scale) = Self::model(instance, args.time).and_then(|m| m.scale()) else {
            return Ok(None);
        };
        if scale == 1 {
            return Ok(None);
        }
        let source = instance
            .clip(source_clip())?
            .region_of_definition(args.time)?;
        let s = scale_f64(scale);
        Ok(Some(source.scaled(s, s)))
    }

    fn regions_of_interest(
        &self,
        instance: &EffectInstance<'_>,
        args: &RegionsOfInterestArgs,
        rois: &mut RegionsOfInterest,
    ) -> Result<()> {
        let Ok(scale) = Self::model(instance, args.time).and_then(|m| m.scale()) else {
            return Ok(());
        };
        let s = 1.0 / scale_f64(scale);
        rois.set(source_clip(), args.region_of_interest.scaled(s, s));
        Ok(())
    }

    fn is_identity(
        &self,
        instance: &EffectInstance<'_>,
        args: &IsIdentityArgs,
    ) -> Result<Option<Identity>> {
        let mix = instance.param(PARAM_MIX)?.double_at(args.time)?;
        if mix > 0.0 {
            return Ok(None);
        }
        // Mix 0 is the source, unless the model changes the frame size.
        let same_size = Self::model(instance, args.time)
            .and_then(|m| m.scale())
            .is_ok_and(|s| s == 1);
        Ok(same_size.then(|| Identity {
            clip: source_clip().to_owned(),
            time: args.time,
        }))
    }

    fn render(&self, instance: &EffectInstance<'_>, args: &RenderArgs) -> Result<()> {
        let time = args.time;
        let mix = clamp_mix(instance.param(PARAM_MIX)?.double_at(time)?);
        let model = Self::model(instance, time)?;
        let scale = model.scale()?;

        let mut output = instance
            .clip(output_clip())?
            .image(time, None)?
            .ok_or(Error::NoOutputImage { time })?;
        let out_layout = output.layout();
        let window = args
            .window
            .intersect(&out_layout.bounds)
            .unwrap_or(args.window);
        // The source pixels under the window; the model's output covers them times `scale`.
        let source_region = divide_out(window, scale);
        let pixels = source_region.width() * source_region.height() * scale * scale;
        if pixels > MAX_PIXELS {
            return Err(Error::FrameTooLarge {
                width: window.width(),
                height: window.height(),
                pixels,
                limit: MAX_PIXELS,
            });
        }
        if let Some((h, w)) = model.input.fixed_size
            && (source_region.height(), source_region.width()) != (h, w)
        {
            return Err(Error::ModelUnsupported {
                path: model.path().to_owned(),
                reason: format!(
                    "input '{}' is fixed at {w}x{h} pixels but the render window needs {}x{}",
                    model.input.name,
                    source_region.width(),
                    source_region.height()
                ),
            });
        }

        // Hosts show this bar and let the artist cancel; `update` answers whether to go on.
        let progress = instance.progress("ONNX Inference");
        let source = instance
            .clip(source_clip())?
            .image(time, None)?
            .ok_or(Error::NoSourceImage { time })?;
        let src_layout = source.layout();
        let started = Instant::now();
        let rgba = read::read_rgba(
            source_region,
            src_layout.bounds,
            src_layout.components,
            |y| source.row(y),
        )?;
        drop(source);
        if !progress.update(0.1) || instance.abort_requested() {
            return Err(Error::Aborted);
        }

        let input = channels::model_input(&rgba, model.input.channels).ok_or_else(|| {
            Error::ModelUnsupported {
                path: model.path().to_owned(),
                reason: format!(
                    "input '{}' wants {} channels",
                    model.input.name, model.input.channels
                ),
            }
        })?;
        let read_done = Instant::now();
        let result = model.run(&input)?;
        let run_done = Instant::now();
        if !progress.update(0.9) || instance.abort_requested() {
            return Err(Error::Aborted);
        }
        let composed = channels::compose_output(&result, &rgba, scale, mix).ok_or_else(|| Error::ModelOutput {
            path: model.path().to_owned(),
            reason: format!(
                "output '{}' has shape [1, {}, {}, {}]; expected [1, 1|3|4, {}, {}] for the [1, {}, {}, {}] input",
                model.output.name,
                result.channels,
                result.height,
                result.width,
                rgba.height * scale,
                rgba.width * scale,
                input.channels,
                input.height,
                input.width
            ),
        })?;
        let out_region = multiply(source_region, scale);
        write::write_rgba(
            &composed,
            out_region,
            window,
            out_layout.bounds,
            out_layout.components,
            output.rows_mut()?,
        );
        tracing::debug!(
            read_ms = ms(read_done - started),
            run_ms = ms(run_done - read_done),
            write_ms = ms(run_done.elapsed()),
            "rendered {}x{} at x{scale}",
            window.width(),
            window.height()
        );
        Ok(())
    }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn clamp_mix(mix: f64) -> f32 {
    // Narrowing a value clamped to 0..1 loses nothing that matters for a blend factor.
    #[allow(clippy::cast_possible_truncation)]
    let mix = mix.clamp(0.0, 1.0) as f32;
    if mix.is_nan() { 1.0 } else { mix }
}

#[allow(clippy::cast_precision_loss)]
fn scale_f64(scale: usize) -> f64 {
    scale as f64
}

/// The source rectangle whose pixels, scaled by `s`, cover `r` (rounded outwards).
fn divide_out(r: RectI, s: usize) -> RectI {
    let s = i32::try_from(s).unwrap_or(1).max(1);
    RectI::new(
        r.x1.div_euclid(s),
        r.y1.div_euclid(s),
        ceil_div(r.x2, s),
        ceil_div(r.y2, s),
    )
}

fn ceil_div(v: i32, s: i32) -> i32 {
    let q = v.div_euclid(s);
    if v.rem_euclid(s) == 0 { q } else { q + 1 }
}

fn multiply(r: RectI, s: usize) -> RectI {
    let s = i32::try_from(s).unwrap_or(1);
    RectI::new(
        r.x1.saturating_mul(s),
        r.y1.saturating_mul(s),
        r.x2.saturating_mul(s),
        r.y2.saturating_mul(s),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_region_covers_the_window() {
        assert_eq!(
            divide_out(RectI::new(0, 0, 10, 10), 1),
            RectI::new(0, 0, 10, 10)
        );
        assert_eq!(
            divide_out(RectI::new(1, -3, 9, 7), 2),
            RectI::new(0, -2, 5, 4)
        );
        assert_eq!(
            multiply(RectI::new(0, -2, 5, 4), 2),
            RectI::new(0, -4, 10, 8)
        );
    }

    #[test]
    fn mix_is_clamped() {
        assert_eq!(clamp_mix(2.0), 1.0);
        assert_eq!(clamp_mix(-1.0), 0.0);
        assert_eq!(clamp_mix(f64::NAN), 1.0);
    }
}
