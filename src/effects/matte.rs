//! "Matte": background removal. A matting model (ISNet when the user installed it, or any user model
//! with a single-channel output) gives alpha; the node shows it as a premultiplied cut-out, as a grey
//! matte in RGB, or as the source's colour with the new alpha. *Threshold* and *Softness* reshape the
//! matte. Models with a fixed input size (ISNet: 1024x1024) see the whole frame resized to it
//! (bilinear) and their matte is resized back; the info field says at which resolution it ran. Models
//! that take any size run tiled at the frame's own resolution.

use std::ffi::CStr;
use std::path::PathBuf;
use std::time::Instant;

use ofx_sdk::plugin::{
    BeginSequenceRenderArgs, Effect, EffectDescriptor, EffectInstance, InstanceChangedArgs,
    ParamDef, RegionsOfInterest, RegionsOfInterestArgs, RenderArgs,
};
use ofx_sdk::{Context, RectI};

use super::common::{self, Frame, NodeState, PlanarFrame, Prepared};
use super::model_info::ModelNode;
use super::params;
use super::zoo::{self, ZooModel};
use crate::engine::{self, RunOptions};
use crate::error::{Error, Result};
use crate::manifest::{ChannelOrder, OutputRole, Overrides};
use crate::pipeline::{self, FrameSpec};
use crate::pixels::Planar;
use crate::pixels::alpha::{self, Sanitize};
use crate::pixels::colour::Encoding;
use crate::pixels::resize::{Filter, resize};
use crate::tiling::SizeConstraint;

/// Stable parameter names (the shared ones are in `params`).
pub const MODEL: &CStr = c"model";
pub const OUTPUT: &CStr = c"output";
pub const THRESHOLD: &CStr = c"threshold";
pub const SOFTNESS: &CStr = c"softness";

const MODELS: [ZooModel; 1] = [zoo::ISNET];
const MODEL_OPTIONS: [&str; 2] = ["ISNet general (opt-in install)", "User model"];
const OUTPUT_OPTIONS: [&str; 3] = [
    "Cut-out (premultiplied)",
    "Matte as RGB",
    "Alpha only (source colour)",
];

/// What the node writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// Colour times the matte, alpha the matte.
    CutOut,
    /// The matte in R, G and B; alpha 1.
    MatteRgb,
    /// The source's colour, alpha the matte (premultiplied again if the clip is).
    AlphaOnly,
}

pub fn definitions() -> Vec<ParamDef> {
    vec![
        ParamDef::choice("model", "Model", &MODEL_OPTIONS, 0)
            .hint("The matting model. ISNet must be installed first (opt-in: its package is AGPL-3.0). User model: the Model File below.")
            .animates(false),
        params::model_file_def("User model: an ONNX matting model with a single-channel output (0 background, 1 foreground)."),
        ParamDef::choice("output", "Output", &OUTPUT_OPTIONS, 0)
            .hint("Cut-out: colour times the matte, premultiplied. Matte as RGB: the matte in grey, opaque. Alpha only: the source's colour with the matte as alpha.")
            .animates(false),
        ParamDef::double("threshold", "Threshold", 0.5)
            .range(0.0, 1.0)
            .hint("The matte value that becomes half transparent."),
        ParamDef::double("softness", "Softness", 1.0)
            .range(0.0, 1.0)
            .hint("Width of the transition around the threshold: 1 keeps the model's matte (with threshold 0.5), 0 gives a hard edge."),
        params::device_def(),
        params::working_space_def(),
        params::model_info_def(),
    ]
}

struct Settings {
    model: PathBuf,
    run: RunOptions,
    working_space: Option<Encoding>,
    output: OutputMode,
    threshold: f32,
    softness: f32,
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
        let output = match instance.param(OUTPUT)?.int_at(time)? {
            1 => OutputMode::MatteRgb,
            2 => OutputMode::AlphaOnly,
            _ => OutputMode::CutOut,
        };
        Ok(Settings {
            model,
            run: params::read_run_options(instance, time)?,
            working_space: params::read_working_space(instance, time)?,
            output,
            threshold: params::read_amount(instance, THRESHOLD, time)?,
            softness: params::read_amount(instance, SOFTNESS, time)?,
        })
    }
}

/// A matting model ready to run: its alpha output only (a single-channel colour output counts as the
/// matte), the size of its input.
fn prepare_matte(path: &std::path::Path, run: RunOptions) -> Result<Prepared> {
    let model = engine::model(path, run)?;
    let mut overrides = Overrides::default();
    let resolved = model.description.resolve(&overrides)?;
    let manifest = &resolved.manifest;
    let wrong = |reason: String| Error::WrongTask {
        path: path.to_owned(),
        node: "Matte",
        reason,
    };
    if manifest.alpha_output().is_none() {
        match manifest.color_output() {
            Some(colour) if colour.format.channels == ChannelOrder::Gray => {
                overrides
                    .roles
                    .push((colour.name.clone(), OutputRole::Alpha));
            }
            Some(colour) => {
                return Err(wrong(format!(
                    "it has no single-channel matte output: its output '{}' is colour ({}, {} \
                     channels); a matting model gives one channel",
                    colour.name,
                    colour.format.channels.name(),
                    colour.format.channels.count()
                )));
            }
            None => return Err(wrong("it has no output to use as a matte".into())),
        }
    }
    let resolved = model.description.resolve(&overrides)?;
    let mut spec = pipeline::frame_spec(&model, &resolved.manifest)?;
    // Only the matte: the colour comes from the source.
    spec.colour = None;
    spec.colour_alpha = false;
    if spec.alpha.is_none() {
        return Err(wrong("it has no output to use as a matte".into()));
    }
    if spec.scale != 1 {
        return Err(wrong(format!(
            "its matte is x{} the input's size; a matte must match its input",
            spec.scale
        )));
    }
    Ok(Prepared {
        model,
        resolved,
        spec,
    })
}

/// The fixed input size of a model that needs the whole frame resized to it.
fn fixed_size(spec: &FrameSpec) -> Option<(usize, usize)> {
    match spec.size() {
        SizeConstraint::Fixed { width, height } => Some((width, height)),
        _ => None,
    }
}

/// Reshapes a matte: a linear ramp of width `softness` centred on `threshold` (0.5 and 1: unchanged).
pub fn shape_matte(matte: &mut [f32], threshold: f32, softness: f32) {
    let low = threshold - softness / 2.0;
    let high = threshold + softness / 2.0;
    for v in matte.iter_mut() {
        *v = if high - low <= f32::EPSILON {
            if *v >= threshold { 1.0 } else { 0.0 }
        } else {
            ((*v - low) / (high - low)).clamp(0.0, 1.0)
        };
    }
}

/// The output pixels from the straight (unpremultiplied) source colour and the matte.
pub fn compose(straight: &mut Planar, matte: &[f32], mode: OutputMode, premultiplied_clip: bool) {
    let n = straight.plane_len();
    match mode {
        OutputMode::CutOut => {
            for c in 0..3 {
                for (v, m) in straight.plane_mut(c).iter_mut().zip(matte) {
                    *v *= m;
                }
            }
            straight.plane_mut(3).copy_from_slice(&matte[..n]);
        }
        OutputMode::MatteRgb => {
            for c in 0..3 {
                straight.plane_mut(c).copy_from_slice(&matte[..n]);
            }
            straight.plane_mut(3).iter_mut().for_each(|a| *a = 1.0);
        }
        OutputMode::AlphaOnly => {
            straight.plane_mut(3).copy_from_slice(&matte[..n]);
            if premultiplied_clip {
                for c in 0..3 {
                    for (v, m) in straight.plane_mut(c).iter_mut().zip(matte) {
                        *v *= m;
                    }
                }
            }
        }
    }
}

#[derive(Default)]
pub struct Matte {
    state: NodeState,
}

impl ModelNode for Matte {
    fn prepare_at(instance: &EffectInstance<'_>, time: f64) -> Result<Prepared> {
        Settings::read(instance, time).and_then(|s| prepare_matte(&s.model, s.run))
    }

    fn state(&self) -> &NodeState {
        &self.state
    }
}

impl Effect for Matte {
    type Error = Error;

    const ID: &'static CStr = c"io.github.onnxfx.Matte";
    const VERSION: (u32, u32) = (1, 0);

    fn load() -> Result<()> {
        crate::logging::init();
        Ok(())
    }

    fn describe(desc: &EffectDescriptor<'_>) -> Result<()> {
        common::describe(
            desc,
            ["Matte", "Matte", "Matte (onnxfx)"],
            "Background removal: a matting model (ISNet, opt-in, or your own) gives alpha, shown as a \
             premultiplied cut-out, a matte in RGB, or the source with the new alpha.",
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
        let effect = Matte::default();
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
        if fixed_size(&prepared.spec).is_some() {
            // The whole frame is resized into the model, whatever part is rendered.
            let source = instance
                .clip(common::source_clip())?
                .region_of_definition(args.time)?;
            rois.set(common::source_clip(), source);
        } else {
            common::regions_of_interest(args, rois, 1, prepared.spec.overlap);
        }
        Ok(())
    }

    fn render(&self, instance: &EffectInstance<'_>, args: &RenderArgs) -> Result<()> {
        let started = Instant::now();
        let settings = Settings::read(instance, args.time)?;
        let prepared = prepare_matte(&settings.model, settings.run)?;
        let frame = Frame::open(
            instance,
            args,
            1,
            settings.working_space,
            "Matte",
            prepared.model.path(),
        )?;
        let source_bounds = frame.source.layout().bounds;
        // The matte over the region, and a note on the resolution the model ran at.
        let (mut matte, note) = match fixed_size(&prepared.spec) {
            Some((w, h)) => {
                let whole = straight_source(&frame, source_bounds)?;
                let small = resize(&whole, w, h, Filter::Bilinear);
                let bounds = RectI::new(0, 0, to_i32(w), to_i32(h));
                let io = PlanarFrame {
                    image: &small,
                    bounds,
                    instance,
                    progress: &frame.progress,
                    span: (0.05, 0.9),
                };
                let options = frame.options(bounds, bounds, false, None, 0);
                let result =
                    pipeline::frame::render(&prepared.model, &prepared.spec, &options, &io)?;
                self.state.report_bad_values(instance, &result);
                let matte_small = plane_of(&result.rgba, 3);
                let matte_whole = resize(
                    &matte_small,
                    source_bounds.width(),
                    source_bounds.height(),
                    Filter::Bilinear,
                );
                let matte = common::crop(&matte_whole, source_bounds, frame.region);
                let note = format!(
                    "ran at {w}x{h}: the {}x{} frame resized in and the matte resized back (bilinear)",
                    source_bounds.width(),
                    source_bounds.height()
                );
                (matte.data, note)
            }
            None => {
                let context =
                    common::grow_within(frame.region, prepared.spec.overlap, source_bounds);
                let straight = straight_source(&frame, context)?;
                let io = PlanarFrame {
                    image: &straight,
                    bounds: context,
                    instance,
                    progress: &frame.progress,
                    span: (0.05, 0.9),
                };
                let options =
                    frame.options(frame.region, context, false, None, prepared.spec.overlap);
                let result =
                    pipeline::frame::render(&prepared.model, &prepared.spec, &options, &io)?;
                self.state.report_bad_values(instance, &result);
                let note = format!(
                    "ran at the frame's own resolution ({}x{}), tiled",
                    frame.region.width(),
                    frame.region.height()
                );
                (plane_of(&result.rgba, 3).data, note)
            }
        };
        shape_matte(&mut matte, settings.threshold, settings.softness);
        let mut rgba = straight_source(&frame, frame.region)?;
        compose(&mut rgba, &matte, settings.output, frame.premultiplied);
        frame.write(&rgba)?;
        self.state
            .rendered(started.elapsed().as_secs_f64() * 1e3, Some(note));
        Ok(())
    }
}

/// The source pixels of `region`, bad values replaced, unpremultiplied if the clip is premultiplied.
fn straight_source(frame: &Frame<'_, '_>, region: RectI) -> Result<Planar> {
    let mut rgba = frame.read_source(region)?;
    alpha::sanitize(&mut rgba, Sanitize::default());
    if frame.premultiplied {
        alpha::unpremultiply(&mut rgba).map_err(|e| Error::Tiling(e.to_string()))?;
    }
    Ok(rgba)
}

fn plane_of(rgba: &Planar, c: usize) -> Planar {
    Planar {
        channels: 1,
        width: rgba.width,
        height: rgba.height,
        data: rgba.plane(c).to_vec(),
    }
}

fn to_i32(v: usize) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_threshold_and_softness_keep_the_matte() {
        let mut m = vec![0.0, 0.2, 0.5, 0.9, 1.0];
        let original = m.clone();
        shape_matte(&mut m, 0.5, 1.0);
        assert_eq!(m, original);
        shape_matte(&mut m, 0.5, 0.0);
        assert_eq!(m, [0.0, 0.0, 1.0, 1.0, 1.0]);
        let mut m = vec![0.3, 0.4, 0.5];
        shape_matte(&mut m, 0.4, 0.2);
        for (a, b) in m.iter().zip([0.0, 0.5, 1.0]) {
            assert!((a - b).abs() < 1e-6, "{m:?}");
        }
    }

    #[test]
    fn output_modes() {
        let source = Planar {
            channels: 4,
            width: 1,
            height: 1,
            data: vec![0.8, 0.4, 0.2, 1.0],
        };
        let mut cut = source.clone();
        compose(&mut cut, &[0.5], OutputMode::CutOut, false);
        assert_eq!(cut.data, [0.4, 0.2, 0.1, 0.5]);
        let mut grey = source.clone();
        compose(&mut grey, &[0.5], OutputMode::MatteRgb, false);
        assert_eq!(grey.data, [0.5, 0.5, 0.5, 1.0]);
        let mut alpha_only = source.clone();
        compose(&mut alpha_only, &[0.5], OutputMode::AlphaOnly, false);
        assert_eq!(alpha_only.data, [0.8, 0.4, 0.2, 0.5]);
        let mut premultiplied = source;
        compose(&mut premultiplied, &[0.5], OutputMode::AlphaOnly, true);
        assert_eq!(premultiplied.data, [0.4, 0.2, 0.1, 0.5]);
    }
}
