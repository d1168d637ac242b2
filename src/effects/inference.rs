//! "ONNX Inference": runs any ONNX image model on the Source clip. The model's description (manifest,
//! sidecar, graph, parameters) says how pixels become tensors and back; the frame runs tile by tile, so
//! any resolution works; the output replaces colour and/or alpha, blended with the source by Mix.

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use ofx_sdk::plugin::{
    BeginSequenceRenderArgs, ClipDef, Effect, EffectDescriptor, EffectInstance, FramesNeeded,
    FramesNeededArgs, Identity, Image, InstanceChangedArgs, IsIdentityArgs, MessageLevel, PixelRow,
    RegionOfDefinitionArgs, RegionsOfInterest, RegionsOfInterestArgs, RenderArgs, SequentialRender,
};
use ofx_sdk::{
    Components, Context, PixelDepth, Premultiplication, RectD, RectI, RenderThreadSafety, ofx_str,
};

use super::inputs;
use super::params::{self, NodeParams};
use crate::engine::{self, ImageModel};
use crate::error::{Error, Result};
use crate::manifest::Resolved;
use crate::pipeline::{self, FrameIo, FrameOptions, FrameSpec, Value};
use crate::pixels::colour::Encoding;
use crate::pixels::{Planar, read, write};

/// Output frames above this many pixels are refused: the output accumulator alone would take more
/// than 4 GiB.
pub const MAX_OUTPUT_PIXELS: usize = 16384 * 16384;

/// Bytes a tile may use when the tile size is automatic: `ONNXFX_TILE_BUDGET_MB`, default 1 GiB.
fn tile_budget() -> usize {
    let megabytes = std::env::var("ONNXFX_TILE_BUDGET_MB")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok());
    megabytes.unwrap_or(1024).saturating_mul(1024 * 1024)
}

#[derive(Default)]
pub struct Inference {
    /// Bad input or output values are reported once per instance, not every frame.
    warned_bad_input: AtomicBool,
    warned_bad_output: AtomicBool,
    /// The last render's time, for the info field.
    last_render_ms: Mutex<Option<f64>>,
    /// A recurrent model's state, carried from one frame to the next on this instance.
    recurrent: Mutex<Recurrent>,
}

/// The state tensors of a recurrent model after the frame it last rendered.
#[derive(Default)]
struct Recurrent {
    /// The frame, model and region the state belongs to.
    after: Option<(f64, PathBuf, RectI)>,
    /// By (state input index, tile): shape and values.
    tensors: std::collections::HashMap<(usize, usize), (Vec<usize>, Vec<f32>)>,
}

fn source_clip() -> &'static CStr {
    ofx_str!(kOfxImageEffectSimpleSourceClipName)
}

fn output_clip() -> &'static CStr {
    ofx_str!(kOfxImageEffectOutputClipName)
}

/// A model with its description resolved against the node's parameters, and the frame contract.
struct Prepared {
    model: Arc<ImageModel>,
    resolved: Resolved,
    spec: FrameSpec,
}

impl Inference {
    /// The model the parameters name at `time`, loaded (or found in the cache).
    fn model(instance: &EffectInstance<'_>, node: &NodeParams) -> Result<Arc<ImageModel>> {
        let _ = instance;
        if node.model_file.trim().is_empty() {
            return Err(Error::NoModel);
        }
        engine::model(&PathBuf::from(&node.model_file), node.run_options)
    }

    fn prepare(instance: &EffectInstance<'_>, time: f64) -> Result<Prepared> {
        let node = NodeParams::read(instance, time)?;
        let model = Self::model(instance, &node)?;
        let mut overrides = node.overrides.clone();
        let view = instance.param(inputs::VIEW_OUTPUT)?.int_at(time)?;
        let names: Vec<String> = model.graph.outputs.iter().map(|t| t.name.clone()).collect();
        overrides.roles.extend(inputs::view_roles(view, &names)?);
        let resolved = model.description.resolve(&overrides)?;
        let mut spec = pipeline::frame_spec(&model, &resolved.manifest)?;
        if node.keep_source_alpha {
            spec.alpha = None;
            spec.colour_alpha = false;
        }
        Ok(Prepared {
            model,
            resolved,
            spec,
        })
    }

    /// Fills the info field with the model's description, provider and last render time, or why it
    /// cannot be used. No dialog: hosts create instances when they open a project (MLT for every frame),
    /// and a failing render already leaves its reason on the node.
    fn update_info(&self, instance: &EffectInstance<'_>, time: f64) -> Result<()> {
        let text = match Self::prepare(instance, time) {
            Ok(p) => {
                let mut text =
                    pipeline::spec::describe(&p.model, &p.resolved.manifest, Some(&p.spec));
                let mapping = inputs::describe(&p.resolved.manifest, &p.spec);
                if !mapping.is_empty() {
                    text.push_str(&format!("; {mapping}"));
                }
                for warning in &p.resolved.warnings {
                    text.push_str(&format!("; warning: {warning}"));
                }
                if let Some(ms) = *self
                    .last_render_ms
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                {
                    text.push_str(&format!("; last render {ms:.0} ms"));
                }
                text
            }
            Err(Error::NoModel) => String::new(),
            Err(e) => e.to_string(),
        };
        instance.param(params::MODEL_INFO)?.set_string(&text)?;
        Ok(())
    }

    /// Reports bad values once per instance (they are replaced either way).
    fn report_bad_values(&self, instance: &EffectInstance<'_>, output: &pipeline::FrameOutput) {
        let reports = [
            (
                &self.warned_bad_input,
                output.bad_input.reportable(),
                "the source had",
                "replaced before the model",
            ),
            (
                &self.warned_bad_output,
                output.bad_output.reportable(),
                "the model produced",
                "replaced by 0 or ±65504",
            ),
        ];
        for (flag, count, what, how) in reports {
            if count > 0 && !flag.swap(true, Ordering::Relaxed) {
                let text = format!(
                    "onnxfx: {what} {count} NaN or infinite values ({how}); reported once per node"
                );
                tracing::warn!("{text}");
                instance.message(MessageLevel::Warning, &text);
            }
        }
    }
}

/// The clip's encoding: what the host says (OpenFX colour management), else the Working Space
/// parameter, whose Auto follows the host's habit.
fn clip_encoding(choice: Option<Encoding>, host_colourspace: Option<String>) -> Encoding {
    choice
        .or_else(|| {
            host_colourspace
                .as_deref()
                .and_then(params::encoding_of_colourspace)
        })
        .unwrap_or_else(params::host_default_encoding)
}

/// Host pixels for the frame loop.
struct HostFrame<'a, 'i> {
    source: &'a Image<'i>,
    instance: &'a EffectInstance<'i>,
    progress: ofx_sdk::plugin::Progress<'i>,
    /// The extra inputs' images (by index into the spec's extras; `None`: no image, fed black).
    extras: Vec<Option<Image<'i>>>,
    values: Vec<Value>,
    /// A recurrent model's state from the previous frame, and what this frame leaves for the next.
    state: Option<std::cell::RefCell<RecurrentFrame>>,
}

/// The state one frame reads and writes.
#[derive(Default)]
struct RecurrentFrame {
    previous: std::collections::HashMap<(usize, usize), (Vec<usize>, Vec<f32>)>,
    next: std::collections::HashMap<(usize, usize), (Vec<usize>, Vec<f32>)>,
}

impl FrameIo for HostFrame<'_, '_> {
    fn read(&self, region: RectI) -> Result<Planar> {
        let layout = self.source.layout();
        Ok(read::read_rgba(
            region,
            layout.bounds,
            layout.components,
            |y| self.source.row(y),
        )?)
    }

    fn peak(&self, region: RectI) -> f32 {
        let layout = self.source.layout();
        if matches!(layout.depth, PixelDepth::Byte | PixelDepth::Short) {
            return 1.0;
        }
        let Some(inside) = region.intersect(&layout.bounds) else {
            return 0.0;
        };
        let comps = layout.components.count();
        let colour = if layout.components == Components::Alpha {
            0
        } else {
            3
        };
        let x_skip =
            usize::try_from(i64::from(inside.x1) - i64::from(layout.bounds.x1)).unwrap_or(0);
        let mut peak = 0.0f32;
        for y in inside.y1..inside.y2 {
            let values: Vec<f32> = match self.source.row(y) {
                Ok(PixelRow::Float(r)) => r.to_vec(),
                Ok(PixelRow::Half(r)) => r.iter().map(|v| v.to_f32()).collect(),
                _ => continue,
            };
            for px in values[x_skip * comps..]
                .chunks_exact(comps)
                .take(inside.width())
            {
                for v in &px[..colour] {
                    if v.is_finite() {
                        peak = peak.max(*v);
                    }
                }
            }
        }
        peak
    }

    fn progress(&self, fraction: f64) -> bool {
        // The first 5% is the model's loading; tiles share the rest.
        self.progress.update(0.05 + 0.95 * fraction) && !self.instance.abort_requested()
    }

    fn read_extra(&self, index: usize, region: RectI) -> Result<Planar> {
        match self.extras.get(index).and_then(Option::as_ref) {
            Some(image) => {
                let layout = image.layout();
                Ok(read::read_rgba(
                    region,
                    layout.bounds,
                    layout.components,
                    |y| image.row(y),
                )?)
            }
            None => Ok(Planar::zeros(4, region.width(), region.height())),
        }
    }

    fn value(&self, index: usize) -> Value {
        self.values.get(index).cloned().unwrap_or(Value::Float(0.0))
    }

    fn state(&self, index: usize, tile: usize) -> Option<(Vec<usize>, Vec<f32>)> {
        self.state
            .as_ref()
            .and_then(|s| s.borrow().previous.get(&(index, tile)).cloned())
    }

    fn keep_state(&self, index: usize, tile: usize, shape: &[usize], data: &[f32]) {
        if let Some(s) = &self.state {
            s.borrow_mut()
                .next
                .insert((index, tile), (shape.to_vec(), data.to_vec()));
        }
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
            "Runs an ONNX image model on the Source clip with ONNX Runtime: any resolution (tiled), any \
             pixel depth, colour and alpha handled as the model's manifest or the parameters say.",
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
        // The node tiles frames itself (with overlap); the host must not slice them.
        desc.set_host_frame_threading(false)?;
        desc.set_supports_tiles(false)?;
        desc.set_supports_multi_resolution(true)?;
        // Models may read neighbouring frames (GetFramesNeeded) and carry state between frames: in
        // order is better for recurrent models, any order works (the state resets).
        desc.set_temporal_clip_access(true)?;
        desc.set_sequential_render(SequentialRender::Preferred)?;
        desc.set_supports_multiple_clip_depths(true)?;
        desc.set_colour_management_style(ofx_sdk::colour::ColourManagementStyle::Basic)?;
        Ok(())
    }

    fn describe_in_context(desc: &EffectDescriptor<'_>, _context: Context) -> Result<()> {
        let components = [Components::Rgba, Components::Rgb, Components::Alpha];
        desc.define_clip_with(
            &ClipDef {
                name: source_clip(),
                components: &components,
                optional: false,
                supports_tiles: false,
            },
            true,
            false,
        )?;
        // Inputs a manifest can map to other clips; unconnected, they feed transparent black.
        for (name, mask) in [(inputs::MASK_CLIP, true), (inputs::REFERENCE_CLIP, false)] {
            desc.define_clip_with(
                &ClipDef {
                    name,
                    components: &components,
                    optional: true,
                    supports_tiles: false,
                },
                true,
                mask,
            )?;
        }
        desc.define_clip(&ClipDef {
            name: output_clip(),
            components: &components,
            optional: false,
            supports_tiles: false,
        })?;
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
            && let Ok(model) = Self::model(instance, &node)
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
        if prepared.spec.scale == 1 {
            return Ok(None);
        }
        let source = instance
            .clip(source_clip())?
            .region_of_definition(args.time)?;
        let s = scale_f64(prepared.spec.scale);
        Ok(Some(source.scaled(s, s)))
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
        let s = 1.0 / scale_f64(prepared.spec.scale);
        let margin = scale_f64(prepared.spec.overlap);
        let roi = args.region_of_interest.scaled(s, s);
        // Tiles read their overlap as context around the region they answer for.
        rois.set(
            source_clip(),
            RectD::new(
                roi.x1 - margin,
                roi.y1 - margin,
                roi.x2 + margin,
                roi.y2 + margin,
            ),
        );
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
        let time = args.time;
        let progress = instance.progress("ONNX Inference");
        let node = NodeParams::read(instance, time)?;
        let Prepared {
            model,
            spec,
            resolved,
        } = Self::prepare(instance, time)?;

        let mut output = instance
            .clip(output_clip())?
            .image(time, None)?
            .ok_or(Error::NoOutputImage { time })?;
        let out_layout = output.layout();
        let window = args
            .window
            .intersect(&out_layout.bounds)
            .unwrap_or(args.window);
        let scale = spec.scale;
        host_can_show(
            scale,
            ofx_sdk::plugin::host::supports_multi_resolution(),
            model.path(),
        )?;
        // The source pixels under the window; the model's output covers them times `scale`.
        let region = divide_out(window, scale);
        let pixels = region.width() * region.height() * scale * scale;
        if pixels > MAX_OUTPUT_PIXELS {
            return Err(Error::FrameTooLarge {
                width: window.width(),
                height: window.height(),
                pixels,
                limit: MAX_OUTPUT_PIXELS,
            });
        }

        let source_clip = instance.clip(source_clip())?;
        let host_colourspace = source_clip.colourspace();
        let source = source_clip
            .image(time, None)?
            .ok_or(Error::NoSourceImage { time })?;
        let src_layout = source.layout();
        let recurrent = spec.is_recurrent();
        let options = FrameOptions {
            region,
            source_bounds: src_layout.bounds,
            clip_encoding: clip_encoding(node.working_space, host_colourspace),
            premultiplied: src_layout.premultiplication == Some(Premultiplication::PreMultiplied),
            // A recurrent model's state has the whole frame's geometry: one tile.
            tile: if recurrent {
                Some((region.width(), region.height()))
            } else {
                node.tile
            },
            overlap: node.overlap.unwrap_or(spec.overlap),
            tile_budget: tile_budget(),
        };
        if !progress.update(0.05) || instance.abort_requested() {
            return Err(Error::Aborted);
        }
        let extras = extra_images(instance, &spec, time)?;
        let values = inputs::values(instance, time, &resolved.manifest, &spec)?;
        // The state lock is held for the whole render: frames of a recurrent model take turns.
        let mut carried = recurrent.then(|| {
            self.recurrent
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        });
        let key = (time - 1.0, model.path().to_owned(), region);
        let state = carried.as_mut().map(|c| {
            let previous = if c.after.as_ref() == Some(&key) {
                std::mem::take(&mut c.tensors)
            } else {
                tracing::debug!("recurrent state reset at frame {time}");
                Default::default()
            };
            c.after = None;
            std::cell::RefCell::new(RecurrentFrame {
                previous,
                next: Default::default(),
            })
        });
        let frame = HostFrame {
            source: &source,
            instance,
            progress,
            extras,
            values,
            state,
        };
        let result = pipeline::frame::render(&model, &spec, &options, &frame)?;
        if let (Some(c), Some(state)) = (carried.as_mut(), frame.state.as_ref()) {
            c.tensors = std::mem::take(&mut state.borrow_mut().next);
            c.after = Some((time, model.path().to_owned(), region));
        }
        drop(carried);
        self.report_bad_values(instance, &result);
        let mut rgba = result.rgba;
        if node.mix < 1.0 {
            let original = frame.read(region)?;
            pipeline::frame::mix_with_source(&mut rgba, &original, scale, node.mix);
        }
        drop(frame);
        drop(source);
        let out_region = multiply(region, scale);
        write::write_rgba(
            &rgba,
            out_region,
            window,
            out_layout.bounds,
            out_layout.components,
            output.rows_mut()?,
        );
        let ms = started.elapsed().as_secs_f64() * 1e3;
        *self
            .last_render_ms
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(ms);
        tracing::debug!(
            tiles = result.tiles,
            shoulder = result.shoulder,
            "rendered {}x{} at x{scale} in {ms:.1} ms",
            window.width(),
            window.height()
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
        let name = std::ffi::CString::new(extra.input.clip.as_str()).unwrap_or_default();
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
        let at = time + extra.input.time_offset as f64;
        let image = match clip.image(at, None)? {
            Some(image) => Some(image),
            None if at != time => clip.image(time, None)?,
            None => None,
        };
        images.push(image);
    }
    Ok(images)
}

/// A model that changes the frame size needs a host with multi-resolution images: one without it (MLT,
/// Flame) keeps the output the size of the source whatever the region of definition says, and would
/// show a corner of the model's output. Refused with the reason instead.
fn host_can_show(scale: usize, host_supports_multi_resolution: bool, model: &Path) -> Result<()> {
    if scale == 1 || host_supports_multi_resolution {
        return Ok(());
    }
    Err(Error::Ofx(ofx_sdk::Error::MissingHostFeature(format!(
        "multi-resolution images (kOfxImageEffectPropSupportsMultiResolution is 0): it keeps every \
         output the size of its source, so the x{scale} output of model {} cannot be shown; use a \
         model that keeps the size",
        model.display()
    ))))
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
    fn a_resizing_model_needs_a_host_with_multi_resolution() {
        let model = Path::new("/m/up.onnx");
        assert!(host_can_show(1, false, model).is_ok());
        assert!(host_can_show(2, true, model).is_ok());
        let err = host_can_show(2, false, model).unwrap_err();
        assert_eq!(
            ofx_sdk::ActionError::status(&err),
            ofx_sdk::Status::ERR_MISSING_HOST_FEATURE
        );
        let text = err.to_string();
        assert!(
            text.contains("the host lacks multi-resolution images")
                && text.contains("x2 output of model /m/up.onnx"),
            "{text}"
        );
    }

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
    fn clip_encoding_prefers_the_parameter_then_the_host() {
        assert_eq!(
            clip_encoding(Some(Encoding::AcesCct), Some("ofx_linear".into())),
            Encoding::AcesCct
        );
        assert_eq!(
            clip_encoding(None, Some("ofx_linear".into())),
            Encoding::Linear
        );
        assert_eq!(clip_encoding(None, Some("srgb_tx".into())), Encoding::Srgb);
    }
}
