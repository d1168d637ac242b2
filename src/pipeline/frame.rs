//! One frame through a model, tile by tile: read the source pixels a tile needs, bring them into the
//! model's terms (bad values replaced, straight colour, the model's encoding, the HDR policy, channels,
//! range, layout, padding), run, bring the outputs back, and blend them into the output frame. Knows
//! nothing of OFX: the caller reads host pixels and reports progress through [`FrameIo`].

use ofx_sdk::RectI;

use super::spec::{FrameSpec, Value};
use crate::engine::{ImageModel, InputData, NamedInput};
use crate::error::{Error, Result};
use crate::manifest::InputKind;
use crate::pixels::alpha::{self, BadValues, Sanitize};
use crate::pixels::colour::{self, Encoding, Shoulder};
use crate::pixels::tensor;
use crate::pixels::{Planar, pool};
use crate::tiling::{self, Blender, PlanRequest, SizeConstraint, TileCost, TilePlan};

/// What the frame loop asks of its caller.
pub trait FrameIo {
    /// The source pixels of `region` (source pixel coordinates) as planar RGBA, top row first, in the
    /// clip's encoding and premultiplication state. Pixels outside the source are transparent black.
    fn read(&self, region: RectI) -> Result<Planar>;
    /// The largest colour value in `region`, to decide whether the frame needs the HDR policy.
    fn peak(&self, region: RectI) -> f32;
    /// Reports `fraction` (0..1) done; `false` when the host asks to stop.
    fn progress(&self, fraction: f64) -> bool;
    /// The image input `index` of [`FrameSpec::extra`] over `region`, as [`FrameIo::read`] reads the
    /// source (its clip, at its frame offset). By default transparent black.
    fn read_extra(&self, _index: usize, region: RectI) -> Result<Planar> {
        Ok(Planar::zeros(4, region.width(), region.height()))
    }
    /// The value of scalar input `index` of [`FrameSpec::extra`]. By default 0.
    fn value(&self, _index: usize) -> Value {
        Value::Float(0.0)
    }
    /// The state input `index` of [`FrameSpec::extra`] for tile `tile`, from the previous frame: its
    /// shape and values; `None` starts from zeros.
    fn state(&self, _index: usize, _tile: usize) -> Option<(Vec<usize>, Vec<f32>)> {
        None
    }
    /// Keeps the output that feeds state input `index` for tile `tile`, for the next frame.
    fn keep_state(&self, _index: usize, _tile: usize, _shape: &[usize], _data: &[f32]) {}
}

/// The values of one extra input for one tile.
enum Fed {
    Floats(Vec<usize>, Vec<f32>),
    Ints(Vec<usize>, Vec<i64>),
    Texts(Vec<usize>, Vec<String>),
}

/// How the clip's pixels relate to the model's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameOptions {
    /// The source pixels the output needs (source coordinates); the output covers it × the scale.
    pub region: RectI,
    /// Where source pixels exist (tiles may read context from here).
    pub source_bounds: RectI,
    /// The clip's colour encoding.
    pub clip_encoding: Encoding,
    /// Whether the clip's colour is premultiplied by its alpha.
    pub premultiplied: bool,
    /// Tile size in source pixels; `None` for one sized from the memory budget.
    pub tile: Option<(usize, usize)>,
    pub overlap: usize,
    /// Bytes a tile may use, for the automatic tile size.
    pub tile_budget: usize,
}

/// The frame's output and what the loop noticed on the way.
#[derive(Debug)]
pub struct FrameOutput {
    /// RGBA covering `region × scale`, in the clip's encoding and premultiplication state.
    pub rgba: Planar,
    /// Bad values replaced before they reached the model.
    pub bad_input: BadValues,
    /// Bad values the model produced (replaced).
    pub bad_output: BadValues,
    pub tiles: usize,
    /// Whether the HDR policy compressed this frame's highlights for the model.
    pub shoulder: bool,
    pub phases: Phases,
}

/// Plans the tiles of a frame.
pub fn plan(spec: &FrameSpec, options: &FrameOptions) -> Result<TilePlan> {
    let mut overlap = options.overlap;
    let tile = match options.tile.or(spec.tile) {
        Some(tile) => tile,
        None => {
            let in_channels = spec.input.format.channels.count();
            let cost = TileCost::estimate(in_channels, 4, spec.scale, tiling::DEFAULT_FEATURES);
            // The budget alone sizes the tile; an overlap too wide for it shrinks below, as it
            // does for a given tile size (sized with the overlap, a wide one failed every frame).
            let square = tiling::auto_tile_size(options.tile_budget, cost, spec.size(), 0)
                .map_err(tiling_error)?;
            whole_region(options.region, spec.size(), cost, options.tile_budget).unwrap_or(square)
        }
    };
    // A small fixed-size model (or a small tile) cannot keep a wide overlap and still answer for some
    // pixels of its own: the overlap shrinks to leave each tile a core.
    let room = tile.0.min(tile.1).saturating_sub(tiling::MIN_CORE) / 2;
    if overlap > room {
        tracing::debug!(
            "tile overlap {overlap} reduced to {room} to fit {}x{} tiles",
            tile.0,
            tile.1
        );
        overlap = room;
    }
    tiling::plan(&PlanRequest {
        region: options.region,
        context: options.source_bounds,
        scale: spec.scale,
        constraint: spec.size(),
        tile,
        overlap,
        feather: tiling::default_feather(overlap),
    })
    .map_err(tiling_error)
}

/// The whole region as one tile when its estimated cost fits the budget: the square tile the budget
/// gives would split a wide frame that fits whole (1920x1080 into two tiles, whose overlap is run twice
/// and blended).
fn whole_region(
    region: RectI,
    constraint: SizeConstraint,
    cost: TileCost,
    budget: usize,
) -> Option<(usize, usize)> {
    let round = |v: usize| match constraint {
        SizeConstraint::MultipleOf(n) if n > 0 => Some(v.div_ceil(n) * n),
        SizeConstraint::Any => Some(v),
        _ => None,
    };
    let (w, h) = (round(region.width())?, round(region.height())?);
    (w > 0 && h > 0 && cost.bytes(w, h) <= budget).then_some((w, h))
}

fn tiling_error(e: tiling::TilingError) -> Error {
    Error::Tiling(e.to_string())
}

/// Where a frame's time went, summed over its tiles (logged at debug level: `ONNXFX_LOG=debug`), so
/// the pipeline's own cost can be told from the model's.
#[derive(Debug, Default, Clone, Copy)]
pub struct Phases {
    /// Host rows into planar RGBA, bad values, premultiplication, padding.
    pub read: std::time::Duration,
    /// Colour, shoulder, channels, range and layout into the tensor.
    pub to_tensor: std::time::Duration,
    /// The session's run, the outputs' copy into RGBA included.
    pub run: std::time::Duration,
    /// Bad values, shoulder and colour back, then the blend into the frame.
    pub back: std::time::Duration,
}

/// Adds the time since `*mark` to `phase` and moves the mark.
fn lap(mark: &mut std::time::Instant, phase: &mut std::time::Duration) {
    let now = std::time::Instant::now();
    *phase += now - *mark;
    *mark = now;
}

/// Buffers reused from tile to tile, and (through `pixels::pool`) from frame to frame: a fresh
/// multi-megabyte allocation costs its page faults every time.
#[derive(Default)]
struct Scratch {
    input: Vec<f32>,
    composed: Vec<f32>,
}

impl Scratch {
    /// The buffers of an earlier frame, when the pool has them.
    fn take(tile_values: usize, output_values: usize) -> Scratch {
        Scratch {
            input: pool::take(tile_values),
            composed: pool::take(output_values),
        }
    }

    fn give(self) {
        pool::give(self.input);
        pool::give(self.composed);
    }
}

/// Runs the model over the frame.
pub fn render(
    model: &ImageModel,
    spec: &FrameSpec,
    options: &FrameOptions,
    io: &dyn FrameIo,
) -> Result<FrameOutput> {
    let mut phases = Phases::default();
    let mut mark = std::time::Instant::now();
    let plan = plan(spec, options)?;
    let model_encoding = spec.input.format.encoding;
    // The HDR policy applies to the whole frame or not at all, so that tiles agree.
    let peak = model_encoding_of(
        io.peak(options.region),
        options.clip_encoding,
        model_encoding,
    );
    // Values outside 0..1 either pass around the model (a same-size model that asks for it: the
    // Denoise node) or go through the shoulder when the frame has any above 1.
    let bypass = spec.hdr_bypass && !spec.input.format.hdr && spec.scale == 1;
    let shoulder = (!bypass && !spec.input.format.hdr && peak > 1.0).then(Shoulder::default);
    let output_values = 4 * plan.output().width() * plan.output().height();
    // One unpadded tile that is the whole region: its answer is the frame, and the blend (weight 1
    // everywhere) would only copy it.
    let whole = match plan.tiles.as_slice() {
        [tile] => tile.pad.is_zero() && tile.read == plan.region,
        _ => false,
    };
    let mut blender = (!whole).then(|| Blender::reusing(&plan, 4, pool::take(output_values)));
    let mut whole_frame = None;
    let mut bad_input = BadValues::default();
    let mut bad_output = BadValues::default();
    // Sized for the largest tile, so that no tile grows them.
    let largest = plan
        .tiles
        .iter()
        .map(|t| {
            let (w, h) = t.input_size();
            w * h
        })
        .max()
        .unwrap_or(0);
    let mut scratch = Scratch::take(
        largest * spec.input.format.channels.count(),
        4 * largest * spec.scale * spec.scale,
    );
    let count = plan.tiles.len();
    let outputs = spec.outputs();
    let names: Vec<&str> = outputs.iter().map(|(o, _)| o.name.as_str()).collect();
    // Planes no output fills keep the source's values (colour for matte models, alpha for the rest).
    let mut filled = [false; 4];
    for (output, use_) in &outputs {
        for (f, p) in filled
            .iter_mut()
            .zip(tensor::planes_filled(&output.format, *use_))
        {
            *f |= p;
        }
    }
    lap(&mut mark, &mut phases.read);
    for (index, tile) in plan.tiles.iter().enumerate() {
        let mut source = io.read(tile.read)?;
        bad_input = add_bad(bad_input, alpha::sanitize(&mut source, Sanitize::default()));
        let source = tiling::pad_reflect(source, tile.pad);
        let straight = if options.premultiplied {
            let mut straight = source;
            unpremultiply(&mut straight)?;
            bad_input = add_bad(
                bad_input,
                alpha::sanitize(&mut straight, Sanitize::default()),
            );
            straight
        } else {
            source
        };
        lap(&mut mark, &mut phases.read);
        let converts = options.clip_encoding != model_encoding || shoulder.is_some() || bypass;
        let mut excess = None;
        let model_space = converts.then(|| {
            let mut data = pool::take(straight.data.len());
            data.copy_from_slice(&straight.data);
            let mut converted = Planar { data, ..straight };
            colour::convert(&mut converted, options.clip_encoding, model_encoding);
            if let Some(shoulder) = shoulder {
                shoulder.compress_planes(&mut converted);
            }
            if bypass {
                excess = Some(split_excess(&mut converted));
            }
            converted
        });
        let fed = model_space.as_ref().unwrap_or(&straight);
        let in_shape = tensor::shape(&spec.input.format, fed.width, fed.height);
        tensor::to_model_into(fed, &spec.input.format, &mut scratch.input);
        if let Some(converted) = model_space {
            pool::give(converted.data);
        }

        let mut composed = Planar {
            channels: 4,
            width: straight.width * spec.scale,
            height: straight.height * spec.scale,
            data: std::mem::take(&mut scratch.composed),
        };
        composed
            .data
            .resize(4 * composed.width * composed.height, 0.0);
        for (c, is_filled) in filled.iter().enumerate() {
            if !is_filled {
                upsample_into(
                    composed.plane_mut(c),
                    straight.plane(c),
                    straight.width,
                    spec.scale,
                );
            }
        }
        let fed = feed_extra(spec, options, io, index, tile, shoulder)?;
        let mut inputs = vec![NamedInput {
            name: &spec.input.name,
            shape: &in_shape,
            data: InputData::F32(&scratch.input),
        }];
        for (extra, fed) in spec.extra.iter().zip(&fed) {
            let (shape, data) = match fed {
                Fed::Floats(shape, v) => (shape, InputData::F32(v)),
                Fed::Ints(shape, v) => (shape, InputData::I64(v)),
                Fed::Texts(shape, v) => (shape, InputData::Str(v)),
            };
            inputs.push(NamedInput {
                name: &extra.input.name,
                shape,
                data,
            });
        }
        let state_outputs = spec.state_outputs();
        let all_names: Vec<&str> = names
            .iter()
            .copied()
            .chain(state_outputs.iter().copied())
            .collect();
        let state_inputs: Vec<usize> = spec
            .extra
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind() == InputKind::State)
            .map(|(i, _)| i)
            .collect();
        lap(&mut mark, &mut phases.to_tensor);
        model
            .run_inputs(&inputs, &all_names, &mut |i, shape, data| {
                let Some((output, use_)) = outputs.get(i) else {
                    let state = state_inputs[i - outputs.len()];
                    io.keep_state(state, index, shape, data);
                    return Ok(());
                };
                tensor::write_output(data, shape, &output.format, *use_, &mut composed)
                    .map_err(|reason| format!("output '{}': {reason}", output.name))
            })
            .map_err(|e| tile_failed(e, index, count, tile.read))?;
        lap(&mut mark, &mut phases.run);
        bad_output = add_bad(
            bad_output,
            alpha::sanitize(&mut composed, Sanitize::default()),
        );
        let encoding = spec
            .colour
            .as_ref()
            .map_or(model_encoding, |o| o.format.encoding);
        if filled[..3].iter().any(|f| *f)
            && (shoulder.is_some() || excess.is_some() || encoding != options.clip_encoding)
        {
            if let Some(shoulder) = shoulder {
                shoulder.expand_planes(&mut composed);
            }
            if let Some(excess) = &excess {
                add_excess(&mut composed, excess);
            }
            colour::convert(&mut composed, encoding, options.clip_encoding);
            // Finite values can overflow on the way back (a huge linear value into a log encoding).
            bad_output = add_bad(
                bad_output,
                alpha::sanitize(&mut composed, Sanitize::default()),
            );
        }
        match blender.as_mut() {
            Some(blender) => {
                blender.add(tile, &composed).map_err(tiling_error)?;
                scratch.composed = composed.data;
            }
            None => whole_frame = Some(composed),
        }
        pool::give(straight.data);
        lap(&mut mark, &mut phases.back);
        if !io.progress(fraction(index + 1, count)) {
            return Err(Error::Aborted);
        }
    }
    scratch.give();
    let output = plan.output();
    let mut rgba = match (blender, whole_frame) {
        (Some(blender), _) => blender.finish(),
        (None, Some(frame)) => frame,
        (None, None) => Planar::zeros(4, output.width(), output.height()),
    };
    if options.premultiplied {
        alpha::premultiply(&mut rgba).map_err(|e| Error::Tiling(e.to_string()))?;
    }
    lap(&mut mark, &mut phases.back);
    Ok(FrameOutput {
        rgba,
        bad_input,
        bad_output,
        tiles: count,
        shoulder: shoulder.is_some(),
        phases,
    })
}

/// The tensors of the extra inputs for one tile: images read and converted like the source (their own
/// format), values from their parameters, states from the previous frame (zeros to start).
fn feed_extra(
    spec: &FrameSpec,
    options: &FrameOptions,
    io: &dyn FrameIo,
    index: usize,
    tile: &tiling::Tile,
    shoulder: Option<Shoulder>,
) -> Result<Vec<Fed>> {
    let mut fed = Vec::with_capacity(spec.extra.len());
    for (i, extra) in spec.extra.iter().enumerate() {
        let count = extra.shape.iter().product::<usize>().max(1);
        fed.push(match extra.kind() {
            InputKind::Image => {
                let mut pixels = io.read_extra(i, tile.read)?;
                alpha::sanitize(&mut pixels, Sanitize::default());
                let mut pixels = tiling::pad_reflect(pixels, tile.pad);
                if options.premultiplied {
                    unpremultiply(&mut pixels)?;
                }
                let format = &extra.input.format;
                colour::convert(&mut pixels, options.clip_encoding, format.encoding);
                if let Some(shoulder) = shoulder.filter(|_| !format.hdr) {
                    shoulder.compress_planes(&mut pixels);
                }
                let shape = tensor::shape(format, pixels.width, pixels.height).to_vec();
                let mut data = Vec::new();
                tensor::to_model_into(&pixels, format, &mut data);
                Fed::Floats(shape, data)
            }
            InputKind::State => match io.state(i, index) {
                Some((shape, data)) => Fed::Floats(shape, data),
                None => Fed::Floats(extra.shape.clone(), vec![0.0; count]),
            },
            _ => match io.value(i) {
                Value::Float(v) => Fed::Floats(extra.shape.clone(), vec![v; count]),
                Value::Int(v) => Fed::Ints(extra.shape.clone(), vec![v; count]),
                Value::Text(t) => Fed::Texts(extra.shape.clone(), vec![t; count]),
            },
        });
    }
    Ok(fed)
}

/// Blends the model's frame (`output`, covering the source × `scale`) with the source: `mix` 0 gives the
/// source (nearest-neighbour upsampled), 1 the model; both in the clip's encoding and premultiplication.
pub fn mix_with_source(output: &mut Planar, source: &Planar, scale: usize, mix: f32) {
    if mix >= 1.0 {
        return;
    }
    for c in 0..4.min(output.channels) {
        let mut upsampled = vec![0.0; output.plane_len()];
        upsample_into(&mut upsampled, source.plane(c), source.width, scale);
        for (o, s) in output.plane_mut(c).iter_mut().zip(&upsampled) {
            *o = s + mix * (*o - s);
        }
    }
}

#[allow(clippy::cast_precision_loss)]
fn fraction(done: usize, count: usize) -> f64 {
    done as f64 / count.max(1) as f64
}

fn add_bad(a: BadValues, b: BadValues) -> BadValues {
    BadValues {
        nan: a.nan + b.nan,
        infinite: a.infinite + b.infinite,
        subnormal: a.subnormal + b.subnormal,
    }
}

fn unpremultiply(rgba: &mut Planar) -> Result<()> {
    alpha::unpremultiply(rgba).map_err(|e| Error::Tiling(e.to_string()))
}

/// A value in the clip's encoding, expressed in the model's.
fn model_encoding_of(value: f32, clip: Encoding, model: Encoding) -> f32 {
    let mut v = [value];
    colour::convert_slice(&mut v, clip, model);
    v[0]
}

/// Names the tile in a run failure, so a failure on one part of a large frame is findable.
fn tile_failed(e: Error, index: usize, count: usize, read: RectI) -> Error {
    match e {
        Error::Inference {
            path,
            shape,
            reason,
        } if count > 1 => Error::Inference {
            path,
            shape,
            reason: format!(
                "tile {} of {count} (source pixels {}..{} x {}..{}): {reason}",
                index + 1,
                read.x1,
                read.x2,
                read.y1,
                read.y2
            ),
        },
        Error::OutOfMemory {
            path,
            shape,
            device,
            reason,
        } if count > 1 => Error::OutOfMemory {
            path,
            shape,
            device,
            reason: format!("tile {} of {count}: {reason}", index + 1),
        },
        other => other,
    }
}

/// Clamps the colour planes to 0..1 and returns what was cut off (per colour plane), to be added back
/// to the model's answer: values outside 0..1 pass around the model unchanged.
fn split_excess(planes: &mut Planar) -> Planar {
    let mut excess = Planar::zeros(3, planes.width, planes.height);
    for c in 0..3.min(planes.channels) {
        for (v, e) in planes.plane_mut(c).iter_mut().zip(excess.plane_mut(c)) {
            let clamped = v.clamp(0.0, 1.0);
            *e = *v - clamped;
            *v = clamped;
        }
    }
    excess
}

fn add_excess(planes: &mut Planar, excess: &Planar) {
    if (planes.width, planes.height) != (excess.width, excess.height) {
        return;
    }
    for c in 0..3.min(planes.channels) {
        for (v, e) in planes.plane_mut(c).iter_mut().zip(excess.plane(c)) {
            *v += e;
        }
    }
}

/// Nearest-neighbour upsampling of one plane by `scale` into `out`.
fn upsample_into(out: &mut [f32], plane: &[f32], width: usize, scale: usize) {
    if scale == 1 {
        out.copy_from_slice(plane);
        return;
    }
    let out_width = width * scale;
    for (y, row) in out.chunks_exact_mut(out_width).enumerate() {
        let src = &plane[(y / scale) * width..][..width];
        for (x, v) in row.iter_mut().enumerate() {
            *v = src[x / scale];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_that_fits_the_budget_is_one_tile() {
        let cost = TileCost::estimate(3, 4, 1, tiling::DEFAULT_FEATURES);
        let hd = RectI::new(0, 0, 1920, 1080);
        let budget = cost.bytes(1920, 1088);
        assert_eq!(
            whole_region(hd, SizeConstraint::MultipleOf(32), cost, budget),
            Some((1920, 1088))
        );
        assert_eq!(
            whole_region(hd, SizeConstraint::Any, cost, budget),
            Some((1920, 1080))
        );
        assert_eq!(
            whole_region(hd, SizeConstraint::Any, cost, budget / 2),
            None
        );
        let fixed = SizeConstraint::Fixed {
            width: 64,
            height: 64,
        };
        assert_eq!(whole_region(hd, fixed, cost, usize::MAX), None);
    }

    #[test]
    fn excess_outside_0_1_goes_around_and_comes_back() {
        let mut p = Planar {
            channels: 4,
            width: 2,
            height: 1,
            data: vec![4.0, 0.5, -0.25, 1.0, 0.2, 7.0, 3.0, 3.0],
        };
        let original = p.clone();
        let excess = split_excess(&mut p);
        assert_eq!(p.data, [1.0, 0.5, 0.0, 1.0, 0.2, 1.0, 3.0, 3.0]);
        add_excess(&mut p, &excess);
        assert_eq!(p, original);
    }

    #[test]
    fn upsampling_repeats_pixels() {
        let mut out = vec![0.0; 8];
        upsample_into(&mut out, &[1.0, 2.0], 2, 2);
        assert_eq!(out, [1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]);
    }
}
