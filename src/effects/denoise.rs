//! "Denoise": removes noise from the Source clip with the onnxfx denoiser (a blind Gaussian denoiser
//! trained on photographs) or a user model, blended with the source by *Strength*. Works on 8, 16 and
//! 32-bit images; colour values outside 0..1 (HDR highlights, negative linear values) pass around the
//! model and are added back unchanged, so highlights above 1 come out exactly as they went in (their
//! part up to 1 is denoised with the rest).

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ofx_sdk::Context;
use ofx_sdk::plugin::{
    BeginSequenceRenderArgs, Effect, EffectDescriptor, EffectInstance, Identity,
    InstanceChangedArgs, IsIdentityArgs, ParamDef, RegionsOfInterest, RegionsOfInterestArgs,
    RenderArgs,
};

use super::common::{self, Frame, NodeState, Prepared, source_clip};
use super::model_info::ModelNode;
use super::params::{self, read_amount};
use super::zoo::{self, ZooModel};
use crate::engine::RunOptions;
use crate::error::{Error, Result};
use crate::manifest::Overrides;
use crate::pipeline;
use crate::pixels::colour::Encoding;

/// Stable parameter names (the shared ones are in `params`).
pub const MODEL: &CStr = c"model";
pub const STRENGTH: &CStr = c"strength";

const MODELS: [ZooModel; 1] = [zoo::DENOISE];
const MODEL_OPTIONS: [&str; 2] = ["onnxfx denoiser (photos)", "User model"];

pub fn definitions() -> Vec<ParamDef> {
    vec![
        ParamDef::choice("model", "Model", &MODEL_OPTIONS, 0)
            .hint("The denoiser. User model: the Model File below.")
            .animates(false),
        params::model_file_def(
            "User model: an ONNX denoiser with a colour output (RGB) the size of its input.",
        ),
        ParamDef::double("strength", "Strength", 1.0)
            .range(0.0, 1.0)
            .hint("Blend between the source (0) and the denoised image (1)."),
        params::device_def(),
        params::working_space_def(),
        params::tile_size_def(),
        params::model_info_def(),
    ]
}

struct Settings {
    model: PathBuf,
    run: RunOptions,
    working_space: Option<Encoding>,
    tile: Option<(usize, usize)>,
    strength: f32,
}

impl Settings {
    fn read(instance: &EffectInstance<'_>, time: f64) -> Result<Settings> {
        let choice = instance.param(MODEL)?.int_at(time)?;
        let model = match usize::try_from(choice).ok().and_then(|i| MODELS.get(i)) {
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
            strength: read_amount(instance, STRENGTH, time)?,
        })
    }
}

/// A denoiser ready to run: colour output of three or four channels, the size of its input, with the
/// HDR bypass on. Also used by the Upscale node's *Denoise First*.
pub fn prepare_denoiser(path: &Path, run: RunOptions) -> Result<Prepared> {
    let mut prepared = Prepared::load(path, run, &Overrides::default())?;
    let wrong = |reason: String| Error::WrongTask {
        path: path.to_owned(),
        node: "Denoise",
        reason,
    };
    let Some(colour) = &prepared.spec.colour else {
        return Err(wrong("it has no colour output (a matte model?)".into()));
    };
    if colour.format.channels.count() < 3 {
        return Err(wrong(format!(
            "its output '{}' has {} channel ({}); a denoiser gives colour (3 or 4 channels)",
            colour.name,
            colour.format.channels.count(),
            colour.format.channels.name()
        )));
    }
    if prepared.spec.scale != 1 {
        return Err(wrong(format!(
            "it changes the frame size (x{}); a denoiser keeps it",
            prepared.spec.scale
        )));
    }
    prepared.spec.hdr_bypass = true;
    Ok(prepared)
}

#[derive(Default)]
pub struct Denoise {
    state: NodeState,
}

impl ModelNode for Denoise {
    fn prepare_at(instance: &EffectInstance<'_>, time: f64) -> Result<Prepared> {
        Settings::read(instance, time).and_then(|s| prepare_denoiser(&s.model, s.run))
    }

    fn state(&self) -> &NodeState {
        &self.state
    }
}

impl Effect for Denoise {
    type Error = Error;

    const ID: &'static CStr = c"io.github.onnxfx.Denoise";
    const VERSION: (u32, u32) = (1, 0);

    fn load() -> Result<()> {
        crate::logging::init();
        Ok(())
    }

    fn describe(desc: &EffectDescriptor<'_>) -> Result<()> {
        common::describe(
            desc,
            ["Denoise", "Denoise", "Denoise (onnxfx)"],
            "Removes noise from the Source clip with the onnxfx denoiser shipped in the bundle or your own \
             ONNX denoiser; tiled, any pixel depth, HDR values above 1 kept as they are.",
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
        let effect = Denoise::default();
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

    fn regions_of_interest(
        &self,
        instance: &EffectInstance<'_>,
        args: &RegionsOfInterestArgs,
        rois: &mut RegionsOfInterest,
    ) -> Result<()> {
        let Ok(prepared) = Self::prepare_at(instance, args.time) else {
            return Ok(());
        };
        common::regions_of_interest(args, rois, 1, prepared.spec.overlap);
        Ok(())
    }

    fn is_identity(
        &self,
        instance: &EffectInstance<'_>,
        args: &IsIdentityArgs,
    ) -> Result<Option<Identity>> {
        let strength = read_amount(instance, STRENGTH, args.time)?;
        Ok((strength <= 0.0).then(|| Identity {
            clip: source_clip().to_owned(),
            time: args.time,
        }))
    }

    fn render(&self, instance: &EffectInstance<'_>, args: &RenderArgs) -> Result<()> {
        let started = Instant::now();
        let settings = Settings::read(instance, args.time)?;
        let prepared = prepare_denoiser(&settings.model, settings.run)?;
        let frame = Frame::open(
            instance,
            args,
            1,
            settings.working_space,
            "Denoise",
            prepared.model.path(),
        )?;
        let result = frame.run(&prepared, settings.tile, None)?;
        self.state.report_bad_values(instance, &result);
        let mut rgba = result.rgba;
        if settings.strength < 1.0 {
            let original = frame.read_source(frame.region)?;
            pipeline::frame::mix_with_source(&mut rgba, &original, 1, settings.strength);
        }
        frame.write(&rgba)?;
        self.state
            .rendered(started.elapsed().as_secs_f64() * 1e3, None);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_the_documented_ones() {
        assert_eq!(MODEL_OPTIONS.len(), MODELS.len() + 1);
        let names: Vec<_> = definitions().iter().map(|d| d.name.clone()).collect();
        assert_eq!(
            names,
            [
                "model",
                "modelFile",
                "strength",
                "device",
                "workingSpace",
                "tileSize",
                "modelInfo"
            ]
        );
    }
}
