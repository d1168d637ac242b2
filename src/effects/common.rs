//! The render glue every effect shares: describing a filter that runs models, loading and resolving a
//! model for a render, the frame's geometry (region of definition, regions of interest, the source
//! region under the render window), host images as pipeline input ([`HostFrame`]) or an image already
//! in memory ([`PlanarFrame`]), running the pipeline, writing the result, and the per-instance state
//! (bad values reported once, the last render time). The effects (`inference`, `upscale`, `denoise`,
//! `matte`) only read their parameters and decide what to run.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ofx_sdk::plugin::{
    ClipDef, EffectDescriptor, EffectInstance, Image, MessageLevel, PixelRow, RegionsOfInterest,
    RegionsOfInterestArgs, RenderArgs,
};
use ofx_sdk::{
    Components, Context, PixelDepth, Premultiplication, RectD, RectI, RenderThreadSafety, ofx_str,
};

use super::params;
use crate::engine::{self, ImageModel, RunOptions};
use crate::error::{Error, Result};
use crate::manifest::{Overrides, Resolved};
use crate::pipeline::{self, FrameIo, FrameOptions, FrameOutput, FrameSpec, Value};
use crate::pixels::colour::Encoding;
use crate::pixels::{Planar, pool, read, write};

/// Output frames above this many pixels are refused: the output accumulator alone would take more
/// than 4 GiB.
pub const MAX_OUTPUT_PIXELS: usize = 16384 * 16384;

/// The default of `ONNXFX_TILE_BUDGET_MB`: with the tile cost estimate of a same-size model (584 bytes
/// per pixel), 1536 MiB holds a whole 1920x1080 or 2048x1080 frame, which 1024 MiB split in two tiles
/// (their overlap is work done twice, and each tile its own run and blend: 5 to 10% of a 1080p render,
/// measured with `cargo xtask bench`).
const DEFAULT_TILE_BUDGET_MB: usize = 1536;

/// Bytes a tile may use when the tile size is automatic: `ONNXFX_TILE_BUDGET_MB`, default 1536 MiB.
pub fn tile_budget() -> usize {
    let megabytes = std::env::var("ONNXFX_TILE_BUDGET_MB")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok());
    megabytes
        .unwrap_or(DEFAULT_TILE_BUDGET_MB)
        .saturating_mul(1024 * 1024)
}

pub fn source_clip() -> &'static CStr {
    ofx_str!(kOfxImageEffectSimpleSourceClipName)
}

pub fn output_clip() -> &'static CStr {
    ofx_str!(kOfxImageEffectOutputClipName)
}

/// What every model-running effect declares at Describe (Load and logging are in `load`).
pub fn describe(desc: &EffectDescriptor<'_>, labels: [&str; 3], description: &str) -> Result<()> {
    if let Some(bundle) = desc.plugin_file_path() {
        engine::runtime::note_bundle_path(&bundle);
    }
    desc.set_labels(labels[0], labels[1], labels[2])?;
    desc.set_grouping("onnxfx")?;
    desc.set_plugin_description(description)?;
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
    desc.set_temporal_clip_access(false)?;
    desc.set_supports_multiple_clip_depths(true)?;
    desc.set_colour_management_style(ofx_sdk::colour::ColourManagementStyle::Basic)?;
    Ok(())
}

/// The Source and Output clips (RGBA, RGB or alpha) of every effect.
pub fn define_clips(desc: &EffectDescriptor<'_>) -> Result<()> {
    let components = [Components::Rgba, Components::Rgb, Components::Alpha];
    for name in [source_clip(), output_clip()] {
        desc.define_clip(&ClipDef {
            name,
            components: &components,
            optional: false,
            supports_tiles: false,
        })?;
    }
    Ok(())
}

/// A model with its description resolved against the node's parameters, and the frame contract.
pub struct Prepared {
    pub model: Arc<ImageModel>,
    pub resolved: Resolved,
    pub spec: FrameSpec,
}

impl Prepared {
    /// Loads (or finds in the cache) the model at `path`, resolves its description under `overrides`
    /// and settles the frame contract.
    pub fn load(path: &Path, run_options: RunOptions, overrides: &Overrides) -> Result<Prepared> {
        Self::from_model(engine::model(path, run_options)?, overrides)
    }

    /// Resolves a loaded model's description under `overrides` and settles the frame contract.
    pub fn from_model(model: Arc<ImageModel>, overrides: &Overrides) -> Result<Prepared> {
        let resolved = model.description.resolve(overrides)?;
        let spec = pipeline::frame_spec(&model, &resolved.manifest)?;
        Ok(Prepared {
            model,
            resolved,
            spec,
        })
    }

    /// One line for the node's info field: the model, its tensors, scale, provider and warnings.
    pub fn describe(&self) -> String {
        let mut text =
            pipeline::spec::describe(&self.model, &self.resolved.manifest, Some(&self.spec));
        for warning in &self.resolved.warnings {
            text.push_str(&format!("; warning: {warning}"));
        }
        text
    }
}

/// What an instance remembers between renders: bad values are reported once, the last render time is
/// shown in the info field, and a note from the last render (the Matte node's working resolution).
#[derive(Default)]
pub struct NodeState {
    warned_bad_input: AtomicBool,
    warned_bad_output: AtomicBool,
    last_render_ms: Mutex<Option<f64>>,
    last_note: Mutex<Option<String>>,
}

impl NodeState {
    /// Reports bad values once per instance (they are replaced either way).
    pub fn report_bad_values(&self, instance: &EffectInstance<'_>, output: &FrameOutput) {
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

    pub fn rendered(&self, ms: f64, note: Option<String>) {
        *self
            .last_render_ms
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(ms);
        *self
            .last_note
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = note;
    }

    /// "; <note>; last render N ms", or nothing before the first render.
    pub fn suffix(&self) -> String {
        let mut text = String::new();
        if let Some(note) = &*self
            .last_note
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
        {
            text.push_str(&format!("; {note}"));
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
}

/// Sets the info field (`modelInfo`) to `text`.
pub fn set_info(instance: &EffectInstance<'_>, text: &str) -> Result<()> {
    instance.param(params::MODEL_INFO)?.set_string(text)?;
    Ok(())
}

/// The clip's encoding: what the host says (OpenFX colour management), else the Working Space
/// parameter, whose Auto follows the host's habit.
pub fn clip_encoding(choice: Option<Encoding>, host_colourspace: Option<String>) -> Encoding {
    choice
        .or_else(|| {
            host_colourspace
                .as_deref()
                .and_then(params::encoding_of_colourspace)
        })
        .unwrap_or_else(params::host_default_encoding)
}

/// The region of definition of an effect whose output is `scale` times its source (`None`: the
/// host's default, the source's).
pub fn region_of_definition(
    instance: &EffectInstance<'_>,
    time: f64,
    scale: usize,
) -> Result<Option<RectD>> {
    if scale == 1 {
        return Ok(None);
    }
    let source = instance.clip(source_clip())?.region_of_definition(time)?;
    let s = scale_f64(scale);
    Ok(Some(source.scaled(s, s)))
}

/// The source region a render window needs: divided by the scale, plus `margin` pixels of context.
pub fn regions_of_interest(
    args: &RegionsOfInterestArgs,
    rois: &mut RegionsOfInterest,
    scale: usize,
    margin: usize,
) {
    let s = 1.0 / scale_f64(scale);
    let margin = scale_f64(margin);
    let roi = args.region_of_interest.scaled(s, s);
    rois.set(
        source_clip(),
        RectD::new(
            roi.x1 - margin,
            roi.y1 - margin,
            roi.x2 + margin,
            roi.y2 + margin,
        ),
    );
}

/// State tensors of a recurrent model by (state input index, tile): shape and values.
pub type StateTensors = HashMap<(usize, usize), (Vec<usize>, Vec<f32>)>;

/// The state one frame of a recurrent model reads (from the frame before) and leaves (for the next).
#[derive(Default)]
pub struct RecurrentFrame {
    pub previous: StateTensors,
    pub next: StateTensors,
}

/// What a model with several inputs reads besides the source: the other clips' images (by index into
/// the spec's extras; `None`: no image, fed black), its scalar inputs' values, a recurrent state.
#[derive(Default)]
pub struct ExtraSources<'i> {
    pub images: Vec<Option<Image<'i>>>,
    pub values: Vec<Value>,
    pub state: Option<RefCell<RecurrentFrame>>,
}

/// Host pixels for the frame loop.
pub struct HostFrame<'a, 'i> {
    source: &'a Image<'i>,
    instance: &'a EffectInstance<'i>,
    progress: &'a ofx_sdk::plugin::Progress<'i>,
    /// The part of the progress bar this run fills: `(start, length)`.
    span: (f64, f64),
    extra: Option<&'a ExtraSources<'i>>,
}

impl FrameIo for HostFrame<'_, '_> {
    fn read(&self, region: RectI) -> Result<Planar> {
        let layout = self.source.layout();
        let storage = pool::take(4 * region.width() * region.height());
        Ok(read::read_rgba_into(
            region,
            layout.bounds,
            layout.components,
            |y| self.source.row(y),
            storage,
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
        // Read in place, row by row (a copy of each row cost as much as the scan).
        let finite_max = |peak: f32, v: f32| if v.is_finite() { peak.max(v) } else { peak };
        let mut peak = 0.0f32;
        for y in inside.y1..inside.y2 {
            let start = x_skip * comps;
            let end = start + inside.width() * comps;
            match self.source.row(y) {
                Ok(PixelRow::Float(r)) => {
                    for px in r[start..end].chunks_exact(comps) {
                        peak = px[..colour].iter().copied().fold(peak, finite_max);
                    }
                }
                Ok(PixelRow::Half(r)) => {
                    for px in r[start..end].chunks_exact(comps) {
                        peak = px[..colour]
                            .iter()
                            .map(|v| v.to_f32())
                            .fold(peak, finite_max);
                    }
                }
                _ => continue,
            }
        }
        peak
    }

    fn progress(&self, fraction: f64) -> bool {
        self.progress.update(self.span.0 + self.span.1 * fraction)
            && !self.instance.abort_requested()
    }

    fn read_extra(&self, index: usize, region: RectI) -> Result<Planar> {
        let image = self
            .extra
            .and_then(|e| e.images.get(index))
            .and_then(Option::as_ref);
        match image {
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
        self.extra
            .and_then(|e| e.values.get(index).cloned())
            .unwrap_or(Value::Float(0.0))
    }

    fn state(&self, index: usize, tile: usize) -> Option<(Vec<usize>, Vec<f32>)> {
        let state = self.extra?.state.as_ref()?;
        state.borrow().previous.get(&(index, tile)).cloned()
    }

    fn keep_state(&self, index: usize, tile: usize, shape: &[usize], data: &[f32]) {
        if let Some(state) = self.extra.and_then(|e| e.state.as_ref()) {
            state
                .borrow_mut()
                .next
                .insert((index, tile), (shape.to_vec(), data.to_vec()));
        }
    }
}

/// An image already in memory (a resized frame, the output of an earlier model) as pipeline input;
/// `bounds` says where it lies in pixel coordinates.
pub struct PlanarFrame<'a, 'i> {
    pub image: &'a Planar,
    /// Where `image` lies in source pixel coordinates (row 0 of `image` is the top row, `y2 - 1`).
    pub bounds: RectI,
    pub instance: &'a EffectInstance<'i>,
    pub progress: &'a ofx_sdk::plugin::Progress<'i>,
    pub span: (f64, f64),
}

impl FrameIo for PlanarFrame<'_, '_> {
    fn read(&self, region: RectI) -> Result<Planar> {
        Ok(crop(self.image, self.bounds, region))
    }

    fn peak(&self, region: RectI) -> f32 {
        let part = crop(self.image, self.bounds, region);
        part.data[..3 * part.plane_len()]
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0f32, |a, b| a.max(*b))
    }

    fn progress(&self, fraction: f64) -> bool {
        self.progress.update(self.span.0 + self.span.1 * fraction)
            && !self.instance.abort_requested()
    }
}

/// The part of `image` (lying at `bounds`) under `region`, transparent black outside it; top row first.
pub fn crop(image: &Planar, bounds: RectI, region: RectI) -> Planar {
    let mut out = Planar::zeros(image.channels, region.width(), region.height());
    let Some(inside) = region.intersect(&bounds) else {
        return out;
    };
    let to_usize = |v: i32| usize::try_from(v).unwrap_or(0);
    for c in 0..image.channels {
        let src = image.plane(c);
        let dst = out.plane_mut(c);
        for y in inside.y1..inside.y2 {
            // Top row first: row index counts down from y2.
            let sy = to_usize(bounds.y2 - 1 - y);
            let dy = to_usize(region.y2 - 1 - y);
            let sx = to_usize(inside.x1 - bounds.x1);
            let dx = to_usize(inside.x1 - region.x1);
            let n = inside.width();
            dst[dy * region.width() + dx..][..n]
                .copy_from_slice(&src[sy * image.width + sx..][..n]);
        }
    }
    out
}

/// The host images of one render and its geometry for a model of a given scale.
pub struct Frame<'a, 'i> {
    pub instance: &'a EffectInstance<'i>,
    output: Image<'i>,
    pub source: Image<'i>,
    /// Output pixels to write.
    pub window: RectI,
    /// Source pixels under the window (`window / scale`, rounded outwards).
    pub region: RectI,
    pub scale: usize,
    pub clip_encoding: Encoding,
    pub premultiplied: bool,
    pub progress: ofx_sdk::plugin::Progress<'i>,
}

impl<'a, 'i> Frame<'a, 'i> {
    /// Fetches the output and source images of `args` for a model of `scale`, refusing what the host
    /// cannot show or what would not fit in memory.
    pub fn open(
        instance: &'a EffectInstance<'i>,
        args: &RenderArgs,
        scale: usize,
        working_space: Option<Encoding>,
        label: &str,
        model: &Path,
    ) -> Result<Frame<'a, 'i>> {
        let time = args.time;
        let progress = instance.progress(label);
        let output = instance
            .clip(output_clip())?
            .image(time, None)?
            .ok_or(Error::NoOutputImage { time })?;
        let out_layout = output.layout();
        let window = args
            .window
            .intersect(&out_layout.bounds)
            .unwrap_or(args.window);
        host_can_show(
            scale,
            ofx_sdk::plugin::host::supports_multi_resolution(),
            model,
        )?;
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
        let clip = instance.clip(source_clip())?;
        let host_colourspace = clip.colourspace();
        let source = clip
            .image(time, None)?
            .ok_or(Error::NoSourceImage { time })?;
        let premultiplied =
            source.layout().premultiplication == Some(Premultiplication::PreMultiplied);
        if !progress.update(0.05) || instance.abort_requested() {
            return Err(Error::Aborted);
        }
        Ok(Frame {
            instance,
            output,
            source,
            window,
            region,
            scale,
            clip_encoding: clip_encoding(working_space, host_colourspace),
            premultiplied,
            progress,
        })
    }

    /// The host source as pipeline input, filling `span` of the progress bar.
    pub fn host_io(&self, span: (f64, f64)) -> HostFrame<'_, 'i> {
        HostFrame {
            source: &self.source,
            instance: self.instance,
            progress: &self.progress,
            span,
            extra: None,
        }
    }

    /// Pipeline options for a run over `region` of a source lying at `source_bounds`.
    pub fn options(
        &self,
        region: RectI,
        source_bounds: RectI,
        premultiplied: bool,
        tile: Option<(usize, usize)>,
        overlap: usize,
    ) -> FrameOptions {
        FrameOptions {
            region,
            source_bounds,
            clip_encoding: self.clip_encoding,
            premultiplied,
            tile,
            overlap,
            tile_budget: tile_budget(),
        }
    }

    /// Runs `prepared` over this frame's region of the host source.
    pub fn run(
        &self,
        prepared: &Prepared,
        tile: Option<(usize, usize)>,
        overlap: Option<usize>,
    ) -> Result<FrameOutput> {
        self.run_with(prepared, tile, overlap, None)
    }

    /// [`Frame::run`] for a model with other inputs, read from `extra`.
    pub fn run_with(
        &self,
        prepared: &Prepared,
        tile: Option<(usize, usize)>,
        overlap: Option<usize>,
        extra: Option<&ExtraSources<'i>>,
    ) -> Result<FrameOutput> {
        let options = self.options(
            self.region,
            self.source.layout().bounds,
            self.premultiplied,
            tile,
            overlap.unwrap_or(prepared.spec.overlap),
        );
        pipeline::frame::render(
            &prepared.model,
            &prepared.spec,
            &options,
            &HostFrame {
                extra,
                ..self.host_io((0.05, 0.95))
            },
        )
    }

    /// The source pixels of `region` as planar RGBA, top row first (as the clip has them).
    pub fn read_source(&self, region: RectI) -> Result<Planar> {
        self.host_io((0.0, 0.0)).read(region)
    }

    /// Writes `rgba` (covering the region times the scale) into the output image, inside the window.
    pub fn write(mut self, rgba: &Planar) -> Result<()> {
        let out_layout = self.output.layout();
        let out_region = multiply(self.region, self.scale);
        write::write_rgba(
            rgba,
            out_region,
            self.window,
            out_layout.bounds,
            out_layout.components,
            self.output.rows_mut()?,
        );
        Ok(())
    }
}

/// A model that changes the frame size needs a host with multi-resolution images: one without it (MLT,
/// Flame) keeps the output the size of the source whatever the region of definition says, and would
/// show a corner of the model's output. Refused with the reason instead.
pub fn host_can_show(
    scale: usize,
    host_supports_multi_resolution: bool,
    model: &Path,
) -> Result<()> {
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
pub fn scale_f64(scale: usize) -> f64 {
    scale as f64
}

/// The source rectangle whose pixels, scaled by `s`, cover `r` (rounded outwards).
pub fn divide_out(r: RectI, s: usize) -> RectI {
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

pub fn multiply(r: RectI, s: usize) -> RectI {
    let s = i32::try_from(s).unwrap_or(1);
    RectI::new(
        r.x1.saturating_mul(s),
        r.y1.saturating_mul(s),
        r.x2.saturating_mul(s),
        r.y2.saturating_mul(s),
    )
}

/// `r` grown by `margin` pixels on every side, kept inside `bounds`.
pub fn grow_within(r: RectI, margin: usize, bounds: RectI) -> RectI {
    let m = i32::try_from(margin).unwrap_or(i32::MAX);
    let grown = RectI::new(
        r.x1.saturating_sub(m),
        r.y1.saturating_sub(m),
        r.x2.saturating_add(m),
        r.y2.saturating_add(m),
    );
    grown.intersect(&bounds).unwrap_or(r)
}

/// A model file inside the bundle's `Contents/Resources/models/`, where the zoo installs them.
pub fn bundled_model(file: &str) -> PathBuf {
    engine::runtime::bundle_resources()
        .unwrap_or_default()
        .join("models")
        .join(file)
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
        assert_eq!(
            grow_within(RectI::new(2, 2, 4, 4), 3, RectI::new(0, 0, 10, 5)),
            RectI::new(0, 0, 7, 5)
        );
    }

    #[test]
    fn the_default_tile_budget_holds_a_1080p_frame_in_one_tile() {
        use crate::tiling::{self, TileCost};
        let cost = TileCost::estimate(3, 4, 1, tiling::DEFAULT_FEATURES);
        let budget = DEFAULT_TILE_BUDGET_MB * 1024 * 1024;
        // 2048x1088: DCI 2K rounded up to a multiple of 32, as detectors need.
        assert!(cost.bytes(2048, 1088) <= budget);
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

    #[test]
    fn crops_top_row_first_with_black_outside() {
        // A 2x2 image at x 0..2, y 0..2: top row (y = 1) is [1, 2], bottom row (y = 0) is [3, 4].
        let image = Planar {
            channels: 1,
            width: 2,
            height: 2,
            data: vec![1.0, 2.0, 3.0, 4.0],
        };
        let bounds = RectI::new(0, 0, 2, 2);
        assert_eq!(crop(&image, bounds, bounds), image);
        let part = crop(&image, bounds, RectI::new(1, 0, 3, 1));
        assert_eq!(part.data, [4.0, 0.0]);
    }
}
