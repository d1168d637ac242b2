//! "ONNX Inference": runs any ONNX image model on the Source clip. The model's description (manifest,
//! sidecar, graph, parameters) says how pixels become tensors and back; the frame runs tile by tile, so
//! any resolution works; the output replaces colour and/or alpha, blended with the source by Mix.

use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use ofx_sdk::plugin::{
    BeginSequenceRenderArgs, ClipDef, Effect, EffectDescriptor, EffectInstance, FramesNeeded,
    FramesNeededArgs, Identity, Image, InstanceChangedArgs, IsIdentityArgs, MessageLevel,
    RegionOfDefinitionArgs, RegionsOfInterest, RegionsOfInterestArgs, RenderArgs, SequentialRender,
};
use ofx_sdk::{Components, Context, RectD, RectI};

use super::common::{
    self, ExtraSources, Frame, NodeState, Prepared, RecurrentFrame, StateTensors, output_clip,
    source_clip,
};
use super::inputs;
use super::model_info::ModelNode;
use super::params::{self, NodeParams};
use crate::engine::{self, ImageModel};
use crate::error::{Error, Result};
use crate::pipeline::{self, FrameSpec};
use crate::pixels::pool;

pub use super::common::MAX_OUTPUT_PIXELS;

#[derive(Default)]
pub struct Inference {
    state: NodeState,
    /// A recurrent model's state, carried from one frame to the next on this instance.
    recurrent: Mutex<Recurrent>,
}

/// The state tensors of a recurrent model after the frame it last rendered.
#[derive(Default)]
struct Recurrent {
    /// The frame, model and region the state belongs to.
    after: Option<(f64, PathBuf, RectI)>,
    tensors: StateTensors,
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
        let model = engine::model(&PathBuf::from(&node.model_file), node.run_options)?;
        // View Output picks which of the model's outputs goes to colour.
        let mut overrides = node.overrides.clone();
        let view = instance.param(inputs::VIEW_OUTPUT)?.int_at(time)?;
        let names: Vec<String> = model.graph.outputs.iter().map(|t| t.name.clone()).collect();
        overrides.roles.extend(inputs::view_roles(view, &names)?);
        let mut prepared = Prepared::from_model(model, &overrides)?;
        if node.keep_source_alpha {
            prepared.spec.alpha = None;
            prepared.spec.colour_alpha = false;
        }
        Ok(prepared)
    }
}

impl ModelNode for Inference {
    fn prepare_at(instance: &EffectInstance<'_>, time: f64) -> Result<Prepared> {
        Self::prepare(instance, time)
    }

    fn state(&self) -> &NodeState {
        &self.state
    }

    /// The description, plus how the model's extra inputs are fed.
    fn model_info(&self, prepared: &Prepared) -> String {
        let mapping = inputs::describe(&prepared.resolved.manifest, &prepared.spec);
        let mut text = prepared.describe();
        if !mapping.is_empty() {
            text.push_str(&format!("; {mapping}"));
        }
        text
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
        )?;
        // Models may read neighbouring frames (GetFramesNeeded) and carry state between frames: in
        // order is better for recurrent models, any order works (the state resets).
        desc.set_temporal_clip_access(true)?;
        desc.set_sequential_render(SequentialRender::Preferred)?;
        Ok(())
    }

    fn describe_in_context(desc: &EffectDescriptor<'_>, _context: Context) -> Result<()> {
        let components = [Components::Rgba, Components::Rgb, Components::Alpha];
        let clip = |name| ClipDef {
            name,
            components: &components,
            optional: false,
            supports_tiles: false,
        };
        desc.define_clip_with(&clip(source_clip()), true, false)?;
        // Inputs a manifest can map to other clips; unconnected, they feed transparent black.
        for (name, mask) in [(inputs::MASK_CLIP, true), (inputs::REFERENCE_CLIP, false)] {
            let optional = ClipDef {
                optional: true,
                ..clip(name)
            };
            desc.define_clip_with(&optional, true, mask)?;
        }
        desc.define_clip(&clip(output_clip()))?;
        for def in params::definitions()
            .into_iter()
            .chain(inputs::definitions())
        {
            desc.define_param(&def)?;
        }
        Ok(())
    }

    fn create_instance(instance: &EffectInstance<'_>) -> Result<Self> {
        let effect = Inference::default();
        effect.refresh_info(instance, 0.0);
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
        // A model just chosen suggests its values for the slots that feed its scalar inputs.
        if name == params::MODEL_FILE.to_bytes()
            && let Ok(p) = Self::prepare(instance, args.time)
            && let Err(e) = inputs::apply_defaults(instance, &p.resolved.manifest)
        {
            tracing::debug!("model defaults not applied: {e}");
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
        // The info field shows the last render time.
        self.refresh_info(instance, 0.0);
        Ok(())
    }

    fn frames_needed(
        &self,
        instance: &EffectInstance<'_>,
        args: &FramesNeededArgs,
        frames: &mut FramesNeeded,
    ) -> Result<()> {
        let Ok(prepared) = Self::prepare(instance, args.time) else {
            return Ok(());
        };
        for (clip, range) in inputs::frames_needed(&prepared.spec, args.time) {
            frames.set(&clip, &[range]);
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
        let time = args.time;
        let recurrent = prepared.spec.is_recurrent();
        // A recurrent model's state has the whole frame's geometry: one tile.
        let tile = if recurrent {
            Some((frame.region.width(), frame.region.height()))
        } else {
            node.tile
        };
        let mut extra = ExtraSources {
            images: extra_images(instance, &prepared.spec, time)?,
            values: inputs::values(instance, time, &prepared.resolved.manifest, &prepared.spec)?,
            state: None,
        };
        // The state lock is held for the whole render: frames of a recurrent model take turns.
        let mut carried = recurrent.then(|| {
            self.recurrent
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        });
        let key = (time - 1.0, prepared.model.path().to_owned(), frame.region);
        if let Some(c) = carried.as_mut() {
            let previous = if c.after.as_ref() == Some(&key) {
                std::mem::take(&mut c.tensors)
            } else {
                tracing::debug!("recurrent state reset at frame {time}");
                StateTensors::default()
            };
            c.after = None;
            extra.state = Some(RefCell::new(RecurrentFrame {
                previous,
                next: StateTensors::default(),
            }));
        }
        let prepared_at = Instant::now();
        let result = frame.run_with(&prepared, tile, node.overlap, Some(&extra))?;
        let pipeline_done = Instant::now();
        if let (Some(c), Some(state)) = (carried.as_mut(), extra.state.take()) {
            c.tensors = state.into_inner().next;
            c.after = Some((time, prepared.model.path().to_owned(), frame.region));
        }
        drop(carried);
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

/// The images of the spec's extra image inputs: each from its clip at the frame plus its offset. A
/// neighbour frame the clip does not have (before the first frame, or a host without temporal access)
/// is the clip's current frame; an unconnected clip (or one without an image) has none: black.
fn extra_images<'i>(
    instance: &EffectInstance<'i>,
    spec: &FrameSpec,
    time: f64,
) -> Result<Vec<Option<Image<'i>>>> {
    let mut images = Vec::with_capacity(spec.extra.len());
    for extra in &spec.extra {
        if !extra.input.is_image() {
            images.push(None);
            continue;
        }
        let name = CString::new(extra.input.clip.as_str()).unwrap_or_default();
        let clip = instance.clip(&name).map_err(|_| Error::ModelUnsupported {
            path: PathBuf::new(),
            reason: format!(
                "input '{}' reads clip '{}', which this node does not have (its clips: {})",
                extra.input.name,
                extra.input.clip,
                inputs::INPUT_CLIPS.join(", ")
            ),
        })?;
        if !clip.is_connected() {
            images.push(None);
            continue;
        }
        // Offsets are a few frames; one past i32 would be no frame the clip has.
        let at = time + i32::try_from(extra.input.time_offset).map_or(f64::MAX, f64::from);
        let image = match clip.image(at, None)? {
            Some(image) => Some(image),
            None if at != time => clip.image(time, None)?,
            None => None,
        };
        images.push(image);
    }
    Ok(images)
}
