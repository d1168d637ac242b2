//! "ONNX Inference": runs any ONNX image model on the Source clip. The model's description (manifest,
//! sidecar, graph, parameters) says how pixels become tensors and back; the frame runs tile by tile, so
//! any resolution works; the output replaces colour and/or alpha, blended with the source by Mix.

use std::ffi::CStr;
use std::path::PathBuf;
use std::time::Instant;

use ofx_sdk::plugin::{
    BeginSequenceRenderArgs, Effect, EffectDescriptor, EffectInstance, Identity,
    InstanceChangedArgs, IsIdentityArgs, MessageLevel, RegionOfDefinitionArgs, RegionsOfInterest,
    RegionsOfInterestArgs, RenderArgs,
};
use ofx_sdk::{Context, RectD};

use super::common::{self, Frame, NodeState, Prepared, source_clip};
use super::params::{self, NodeParams};
use crate::engine::{self, ImageModel};
use crate::error::{Error, Result};
use crate::pipeline;
use crate::pixels::pool;

pub use super::common::MAX_OUTPUT_PIXELS;

#[derive(Default)]
pub struct Inference {
    state: NodeState,
}

impl Inference {
    /// The model the parameters name at `time`, loaded (or found in the cache).
    fn model(node: &NodeParams) -> Result<std::sync::Arc<ImageModel>> {
        if node.model_file.trim().is_empty() {
            return Err(Error::NoModel);
        }
        engine::model(&PathBuf::from(&node.model_file), node.run_options)
    }

    fn prepare(instance: &EffectInstance<'_>, time: f64) -> Result<Prepared> {
        let node = NodeParams::read(instance, time)?;
        if node.model_file.trim().is_empty() {
            return Err(Error::NoModel);
        }
        let mut prepared = Prepared::load(
            &PathBuf::from(&node.model_file),
            node.run_options,
            &node.overrides,
        )?;
        if node.keep_source_alpha {
            prepared.spec.alpha = None;
            prepared.spec.colour_alpha = false;
        }
        Ok(prepared)
    }

    /// Fills the info field with the model's description, provider and last render time, or why it
    /// cannot be used. No dialog: hosts create instances when they open a project (MLT for every frame),
    /// and a failing render already leaves its reason on the node.
    fn update_info(&self, instance: &EffectInstance<'_>, time: f64) -> Result<()> {
        let text = match Self::prepare(instance, time) {
            Ok(p) => p.describe() + &self.state.suffix(),
            Err(Error::NoModel) => String::new(),
            Err(e) => e.to_string(),
        };
        common::set_info(instance, &text)
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
        common::describe(
            desc,
            ["ONNX Inference", "ONNX", "ONNX Inference (onnxfx)"],
            "Runs an ONNX image model on the Source clip with ONNX Runtime: any resolution (tiled), any \
             pixel depth, colour and alpha handled as the model's manifest or the parameters say.",
        )
    }

    fn describe_in_context(desc: &EffectDescriptor<'_>, _context: Context) -> Result<()> {
        common::define_clips(desc)?;
        for def in params::definitions() {
            desc.define_param(&def)?;
        }
        Ok(())
    }

    fn create_instance(instance: &EffectInstance<'_>) -> Result<Self> {
        let effect = Inference::default();
        // The info field is a courtesy: a bad model must not stop the instance from existing.
        if let Err(e) = effect.update_info(instance, 0.0) {
            tracing::debug!("model info not updated: {e}");
        }
        Ok(effect)
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
        if name == params::RELOAD.to_bytes() {
            let path = instance.param(params::MODEL_FILE)?.string_at(args.time)?;
            engine::cache::reload(&PathBuf::from(path));
        }
        if name == params::MODEL_INFO.to_bytes() {
            return Ok(());
        }
        self.update_info(instance, args.time)?;
        // The artist just chose this: say at once when the device or precision cannot be had.
        if [params::MODEL_FILE, params::DEVICE, params::PRECISION]
            .iter()
            .any(|p| p.to_bytes() == name)
            && let Ok(node) = NodeParams::read(instance, args.time)
            && let Ok(model) = Self::model(&node)
        {
            let notes = model.provider().notes;
            if !notes.is_empty() {
                instance.message(
                    MessageLevel::Warning,
                    &format!("onnxfx: {}", notes.join("; ")),
                );
            }
        }
        Ok(())
    }

    fn end_sequence_render(
        &self,
        instance: &EffectInstance<'_>,
        _args: &BeginSequenceRenderArgs,
    ) -> Result<()> {
        // The info field shows the last render time; hosts that refuse parameter changes here lose
        // only that line.
        if let Err(e) = self.update_info(instance, 0.0) {
            tracing::debug!("model info not updated after the sequence: {e}");
        }
        Ok(())
    }

    fn region_of_definition(
        &self,
        instance: &EffectInstance<'_>,
        args: &RegionOfDefinitionArgs,
    ) -> Result<Option<RectD>> {
        // Without a usable model the render reports the error; the RoD stays the host's default.
        let Ok(prepared) = Self::prepare(instance, args.time) else {
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
        let Ok(prepared) = Self::prepare(instance, args.time) else {
            return Ok(());
        };
        // Tiles read their overlap as context around the region they answer for.
        common::regions_of_interest(args, rois, prepared.spec.scale, prepared.spec.overlap);
        Ok(())
    }

    fn is_identity(
        &self,
        instance: &EffectInstance<'_>,
        args: &IsIdentityArgs,
    ) -> Result<Option<Identity>> {
        let mix = instance.param(params::MIX)?.double_at(args.time)?;
        if mix > 0.0 {
            return Ok(None);
        }
        // Mix 0 is the source, unless the model changes the frame size.
        let same_size = Self::prepare(instance, args.time).is_ok_and(|p| p.spec.scale == 1);
        Ok(same_size.then(|| Identity {
            clip: source_clip().to_owned(),
            time: args.time,
        }))
    }

    fn render(&self, instance: &EffectInstance<'_>, args: &RenderArgs) -> Result<()> {
        let started = Instant::now();
        let node = NodeParams::read(instance, args.time)?;
        let prepared = Self::prepare(instance, args.time)?;
        let frame = Frame::open(
            instance,
            args,
            prepared.spec.scale,
            node.working_space,
            "ONNX Inference",
            prepared.model.path(),
        )?;
        let prepared_at = Instant::now();
        let result = frame.run(&prepared, node.tile, node.overlap)?;
        let pipeline_done = Instant::now();
        self.state.report_bad_values(instance, &result);
        let mut rgba = result.rgba;
        if node.mix < 1.0 {
            let original = frame.read_source(frame.region)?;
            pipeline::frame::mix_with_source(&mut rgba, &original, frame.scale, node.mix);
            pool::give(original.data);
        }
        let (window, scale) = (frame.window, frame.scale);
        frame.write(&rgba)?;
        // The frame's buffer serves the next render (see `pixels::pool`).
        pool::give(rgba.data);
        let written = Instant::now();
        let ms = started.elapsed().as_secs_f64() * 1e3;
        self.state.rendered(ms, None);
        let phase = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        tracing::debug!(
            tiles = result.tiles,
            shoulder = result.shoulder,
            "rendered {}x{} at x{scale} in {ms:.1} ms: prepare {:.1}, read {:.1}, to tensor {:.1}, \
             run {:.1}, back {:.1}, mix and write {:.1}",
            window.width(),
            window.height(),
            phase(prepared_at - started),
            phase(result.phases.read),
            phase(result.phases.to_tensor),
            phase(result.phases.run),
            phase(result.phases.back),
            phase(written - pipeline_done),
        );
        Ok(())
    }
}
