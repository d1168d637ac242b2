//! "Upscale": enlarges the Source clip with a model of the zoo (onnxfx x2 for photographs, Real-ESRGAN
//! x4plus for photographic footage, realesr-animevideov3 x2/x4 for animation and graphics, UpscalerJS's
//! ESRGAN slim/medium x2/x4 RDNs for photographs) or a user model. The output scale follows the model; frames are tiled. Optional: the onnxfx denoiser first, and
//! a blend with a plain bicubic enlargement (*Sharpen Amount*).

use std::ffi::CStr;
use std::path::PathBuf;
use std::time::Instant;

use ofx_sdk::plugin::{
    BeginSequenceRenderArgs, Effect, EffectDescriptor, EffectInstance, InstanceChangedArgs,
    ParamDef, RegionOfDefinitionArgs, RegionsOfInterest, RegionsOfInterestArgs, RenderArgs,
};
use ofx_sdk::{Context, RectD};

use super::common::{self, Frame, NodeState, PlanarFrame, Prepared};
use super::denoise;
use super::model_info::ModelNode;
use super::params::{self, read_amount};
use super::zoo::{self, ZooModel};
use crate::engine::RunOptions;
use crate::error::{Error, Result};
use crate::manifest::Overrides;
use crate::pipeline;
use crate::pixels::Planar;
use crate::pixels::colour::Encoding;
use crate::pixels::resize::{Filter, resize};

/// Stable parameter names (the shared ones are in `params`).
pub const MODEL: &CStr = c"model";
pub const SHARPEN: &CStr = c"sharpenAmount";
pub const DENOISE_FIRST: &CStr = c"denoiseFirst";

/// The Model choice: a zoo upscaler, or the user model (`None`). Append, never reorder: projects store
/// the index, so "User model" stays at 4 and later zoo models come after it.
const MODELS: [Option<ZooModel>; 9] = [
    Some(zoo::SR2),
    Some(zoo::REALESRGAN_X4PLUS),
    Some(zoo::ANIMEVIDEO_X2),
    Some(zoo::ANIMEVIDEO_X4),
    None,
    Some(zoo::ESRGAN_SLIM_X2),
    Some(zoo::ESRGAN_SLIM_X4),
    Some(zoo::ESRGAN_MEDIUM_X2),
    Some(zoo::ESRGAN_MEDIUM_X4),
];
const MODEL_OPTIONS: [&str; 9] = [
    "onnxfx x2 (photos)",
    "Real-ESRGAN x4plus (photos, footage)",
    "realesr-animevideov3 x2 (animation, graphics)",
    "realesr-animevideov3 x4 (animation, graphics)",
    "User model",
    "UpscalerJS ESRGAN slim x2 (photos, fast, soft)",
    "UpscalerJS ESRGAN slim x4 (photos, fast, soft)",
    "UpscalerJS ESRGAN medium x2 (photos, soft)",
    "UpscalerJS ESRGAN medium x4 (photos, soft)",
];

pub fn definitions() -> Vec<ParamDef> {
    vec![
        ParamDef::choice("model", "Model", &MODEL_OPTIONS, 0)
            .hint("The upscaler. The output is the source times the model's scale (x2 or x4). User model: the Model File below.")
            .animates(false),
        params::model_file_def("User model: an ONNX upscaler with a colour output (RGB), the source's size times a whole factor."),
        ParamDef::double("sharpenAmount", "Sharpen Amount", 1.0)
            .range(0.0, 1.0)
            .hint("1: the model's output; 0: a plain bicubic enlargement; between: a blend (softer, fewer invented details)."),
        ParamDef::boolean("denoiseFirst", "Denoise First", false)
            .hint("Run the onnxfx denoiser on the source before enlarging it (noise would otherwise be enlarged as detail).")
            .animates(false),
        params::device_def(),
        params::working_space_def(),
        params::tile_size_def(),
        params::model_info_def(),
    ]
}

/// The node's parameters at one time.
struct Settings {
    model: PathBuf,
    run: RunOptions,
    working_space: Option<Encoding>,
    tile: Option<(usize, usize)>,
    sharpen: f32,
    denoise_first: bool,
}

impl Settings {
    fn read(instance: &EffectInstance<'_>, time: f64) -> Result<Settings> {
        let choice = instance.param(MODEL)?.int_at(time)?;
        let zoo_model = usize::try_from(choice)
            .ok()
            .and_then(|i| MODELS.get(i).copied().flatten());
        let model = match zoo_model {
            Some(zoo_model) => zoo_model.path()?,
            None => {
                let file = instance.param(params::MODEL_FILE)?.string_at(time)?;
                if file.trim().is_empty() {
                    return Err(Error::NoModel);
                }
                PathBuf::from(file)
            }
        };
        Ok(Settings {
            model,
            run: params::read_run_options(instance, time)?,
            working_space: params::read_working_space(instance, time)?,
            tile: params::read_tile(instance, time)?,
            sharpen: read_amount(instance, SHARPEN, time)?,
            denoise_first: instance.param(DENOISE_FIRST)?.bool_at(time)?,
        })
    }
}

/// Checks that a model can upscale: a colour output of three or four channels, larger than its input.
pub fn check_upscaler(prepared: &Prepared) -> Result<()> {
    let wrong = |reason: String| Error::WrongTask {
        path: prepared.model.path().to_owned(),
        node: "Upscale",
        reason,
    };
    let Some(colour) = &prepared.spec.colour else {
        return Err(wrong("it has no colour output (a matte model?)".into()));
    };
    let channels = colour.format.channels;
    if channels.count() < 3 {
        return Err(wrong(format!(
            "its output '{}' has {} channel ({}); an upscaler gives colour (3 or 4 channels)",
            colour.name,
            channels.count(),
            channels.name()
        )));
    }
    if prepared.spec.scale < 2 {
        return Err(wrong(format!(
            "it keeps the frame size (x{}); an upscaler enlarges it",
            prepared.spec.scale
        )));
    }
    Ok(())
}

#[derive(Default)]
pub struct Upscale {
    state: NodeState,
}

impl Upscale {
    fn prepare(settings: &Settings) -> Result<Prepared> {
        let prepared = Prepared::load(&settings.model, settings.run, &Overrides::default())?;
        check_upscaler(&prepared)?;
        Ok(prepared)
    }
}

impl ModelNode for Upscale {
    fn prepare_at(instance: &EffectInstance<'_>, time: f64) -> Result<Prepared> {
        Settings::read(instance, time).and_then(|s| Self::prepare(&s))
    }

    fn state(&self) -> &NodeState {
        &self.state
    }
}

impl Effect for Upscale {
    type Error = Error;

    const ID: &'static CStr = c"io.github.onnxfx.Upscale";
    const VERSION: (u32, u32) = (1, 0);

    fn load() -> Result<()> {
        crate::logging::init();
        Ok(())
    }

    fn describe(desc: &EffectDescriptor<'_>) -> Result<()> {
        common::describe(
            desc,
            ["Upscale", "Upscale", "Upscale (onnxfx)"],
            "Enlarges the Source clip x2 or x4 with a super-resolution model shipped in the bundle \
             (onnxfx x2, Real-ESRGAN, realesr-animevideov3) or your own ONNX upscaler; tiled, any pixel depth.",
        )
    }

    fn describe_in_context(desc: &EffectDescriptor<'_>, _context: Context) -> Result<()> {
        common::define_clips(desc)?;
        for def in definitions() {
            desc.define_param(&def)?;
        }
        Ok(())
    }

    fn create_instance(instance: &EffectInstance<'_>) -> Result<Self> {
        let effect = Upscale::default();
        effect.refresh_info(instance, 0.0);
        Ok(effect)
    }

    fn instance_changed(
        &self,
        instance: &EffectInstance<'_>,
        args: &InstanceChangedArgs,
    ) -> Result<()> {
        self.info_on_change(instance, args)
    }

    fn end_sequence_render(
        &self,
        instance: &EffectInstance<'_>,
        _args: &BeginSequenceRenderArgs,
    ) -> Result<()> {
        self.refresh_info(instance, 0.0);
        Ok(())
    }

    fn region_of_definition(
        &self,
        instance: &EffectInstance<'_>,
        args: &RegionOfDefinitionArgs,
    ) -> Result<Option<RectD>> {
        let Ok(prepared) = Settings::read(instance, args.time).and_then(|s| Self::prepare(&s))
        else {
            return Ok(None);
        };
        common::region_of_definition(instance, args.time, prepared.spec.scale)
    }

    fn regions_of_interest(
        &self,
        instance: &EffectInstance<'_>,
        args: &RegionsOfInterestArgs,
        rois: &mut RegionsOfInterest,
    ) -> Result<()> {
        let Ok(settings) = Settings::read(instance, args.time) else {
            return Ok(());
        };
        let Ok(prepared) = Self::prepare(&settings) else {
            return Ok(());
        };
        // Denoising first needs the denoiser's context around the upscaler's.
        let margin = prepared.spec.overlap
            + if settings.denoise_first {
                pipeline::spec::DEFAULT_OVERLAP
            } else {
                0
            };
        common::regions_of_interest(args, rois, prepared.spec.scale, margin);
        Ok(())
    }

    fn render(&self, instance: &EffectInstance<'_>, args: &RenderArgs) -> Result<()> {
        let started = Instant::now();
        let settings = Settings::read(instance, args.time)?;
        let prepared = Self::prepare(&settings)?;
        let frame = Frame::open(
            instance,
            args,
            prepared.spec.scale,
            settings.working_space,
            "Upscale",
            prepared.model.path(),
        )?;
        let source_bounds = frame.source.layout().bounds;
        // What the upscaler reads: the host's source, or the denoiser's output over the region plus the
        // upscaler's context.
        let (result, base) = if settings.denoise_first {
            let denoiser = denoise::prepare_denoiser(&zoo::DENOISE.path()?, settings.run)?;
            let context = common::grow_within(frame.region, prepared.spec.overlap, source_bounds);
            let options = frame.options(
                context,
                source_bounds,
                frame.premultiplied,
                settings.tile,
                denoiser.spec.overlap,
            );
            let denoised = pipeline::frame::render(
                &denoiser.model,
                &denoiser.spec,
                &options,
                &frame.host_io((0.05, 0.3)),
            )?;
            self.state.report_bad_values(instance, &denoised);
            let io = PlanarFrame {
                image: &denoised.rgba,
                bounds: context,
                instance,
                progress: &frame.progress,
                span: (0.35, 0.65),
            };
            let options = frame.options(
                frame.region,
                context,
                frame.premultiplied,
                settings.tile,
                prepared.spec.overlap,
            );
            let result = pipeline::frame::render(&prepared.model, &prepared.spec, &options, &io)?;
            let base = common::crop(&denoised.rgba, context, frame.region);
            (result, base)
        } else {
            let result = frame.run(&prepared, settings.tile, None)?;
            (result, frame.read_source(frame.region)?)
        };
        self.state.report_bad_values(instance, &result);
        let mut rgba = result.rgba;
        if settings.sharpen < 1.0 {
            blend_with_bicubic(&mut rgba, &base, settings.sharpen);
        }
        frame.write(&rgba)?;
        self.state
            .rendered(started.elapsed().as_secs_f64() * 1e3, None);
        Ok(())
    }
}

/// `output` (the model's enlargement of `source`) blended with a bicubic enlargement of `source`:
/// `amount` 1 keeps the model's, 0 gives the bicubic one.
pub fn blend_with_bicubic(output: &mut Planar, source: &Planar, amount: f32) {
    let bicubic = resize(source, output.width, output.height, Filter::Bicubic);
    for (o, b) in output.data.iter_mut().zip(&bicubic.data) {
        *o = b + amount * (*o - b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_choice_lists_every_zoo_upscaler_then_the_user_model() {
        // Stored indices never move: the first four zoo models, "User model" at 4, then the later ones.
        assert_eq!(MODEL_OPTIONS.len(), MODELS.len());
        assert_eq!(MODEL_OPTIONS[4], "User model");
        assert_eq!(MODELS.iter().position(Option::is_none), Some(4));
        assert_eq!(MODELS.iter().filter(|m| m.is_none()).count(), 1);
        for (option, model) in MODEL_OPTIONS.iter().zip(MODELS) {
            if let Some(model) = model {
                assert!(option.starts_with(model.name), "{option} / {}", model.name);
            }
        }
        let names: Vec<_> = definitions().iter().map(|d| d.name.clone()).collect();
        for name in [
            MODEL,
            SHARPEN,
            DENOISE_FIRST,
            params::MODEL_FILE,
            params::MODEL_INFO,
        ] {
            assert!(
                names.contains(&name.to_str().unwrap().to_owned()),
                "{name:?}"
            );
        }
    }

    #[test]
    fn sharpen_zero_is_the_bicubic_enlargement() {
        let source = Planar {
            channels: 1,
            width: 2,
            height: 1,
            data: vec![0.0, 1.0],
        };
        let mut out = Planar {
            channels: 1,
            width: 4,
            height: 2,
            data: vec![9.0; 8],
        };
        blend_with_bicubic(&mut out, &source, 0.0);
        assert_eq!(out, resize(&source, 4, 2, Filter::Bicubic));
    }
}
