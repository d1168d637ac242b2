//! What one render needs to know about its model, settled once per frame from the resolved manifest and
//! the graph: which tensor to feed, which outputs give colour and alpha, the scale, the tiling.

use crate::engine::ImageModel;
use crate::engine::model::format_shape;
use crate::error::{Error, Result};
use crate::manifest::{ImageInput, ImageOutput, InputKind, Layout, Manifest, OutputRole};
use crate::pixels::tensor::{self, OutputUse};
use crate::tiling::SizeConstraint;

/// Overlap between tiles when neither the manifest nor the parameters say: enough context for the
/// receptive fields of small restoration networks, half of it feathered.
pub const DEFAULT_OVERLAP: usize = 32;

/// The model's contract for one render.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameSpec {
    pub input: ImageInput,
    /// The output that gives colour, if any (a matte model gives none: the source colour stays).
    pub colour: Option<ImageOutput>,
    /// The output that gives alpha, if any (else a 4-channel colour output's alpha, else the source's).
    pub alpha: Option<ImageOutput>,
    /// Whether a colour output's own alpha channel (RGBA, BGRA) replaces the source's alpha.
    pub colour_alpha: bool,
    /// Output size ÷ input size.
    pub scale: usize,
    /// Tile size in model-input pixels, when the manifest or the parameters fix one.
    pub tile: Option<(usize, usize)>,
    pub overlap: usize,
    /// Colour values outside 0..1 (in the model's encoding) pass around a same-size model that cannot
    /// take them and are added back to its answer, instead of going through the HDR shoulder: the
    /// Denoise node's policy, which keeps highlights exactly as they were.
    pub hdr_bypass: bool,
    /// The model's other inputs: images of other clips or frames, values, recurrent states.
    pub extra: Vec<ExtraInput>,
}

/// A value fed to a scalar input, from a parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Float(f32),
    Int(i64),
    Text(String),
}

/// An input besides the primary image, and how it is fed.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraInput {
    pub input: ImageInput,
    /// The graph's shape with unknown dimensions as 1: what a value or an initial state is laid out
    /// as (a rank-0 tensor has an empty shape). Image inputs take the tile's shape instead.
    pub shape: Vec<usize>,
}

impl ExtraInput {
    pub fn kind(&self) -> InputKind {
        self.input.kind
    }
}

impl FrameSpec {
    /// Whether the model carries state from frame to frame.
    pub fn is_recurrent(&self) -> bool {
        self.extra.iter().any(|e| e.kind() == InputKind::State)
    }

    /// The outputs fed back to state inputs, in the order of the state inputs.
    pub fn state_outputs(&self) -> Vec<&str> {
        self.extra
            .iter()
            .filter_map(|e| e.input.state_of.as_deref())
            .collect()
    }

    /// The outputs to ask the session for, colour first.
    pub fn output_names(&self) -> Vec<&str> {
        self.colour
            .iter()
            .chain(self.alpha.iter())
            .map(|o| o.name.as_str())
            .collect()
    }

    /// The outputs with what each answers for, colour first.
    pub fn outputs(&self) -> Vec<(&ImageOutput, OutputUse)> {
        let colour_use = OutputUse::Colour {
            with_alpha: self.colour_alpha,
        };
        let colour = self.colour.iter().map(|o| (o, colour_use));
        colour
            .chain(self.alpha.iter().map(|o| (o, OutputUse::Alpha)))
            .collect()
    }

    pub fn size(&self) -> SizeConstraint {
        self.input.size
    }
}

/// Builds the frame contract from a resolved manifest, checking element types and measuring the scale
/// by a probe run when neither the graph nor the manifest states it.
pub fn frame_spec(model: &ImageModel, manifest: &Manifest) -> Result<FrameSpec> {
    let unsupported = |reason: String| Error::ModelUnsupported {
        path: model.path().to_owned(),
        reason,
    };
    let input = manifest
        .primary_input()
        .cloned()
        .ok_or_else(|| unsupported("its description names no image input".into()))?;
    model.check_element(&input.name)?;
    let colour = manifest.color_output().cloned();
    let alpha = manifest.alpha_output().cloned();
    if colour.is_none() && alpha.is_none() {
        return Err(unsupported(
            "no output is used for colour or alpha (every output's role is 'ignore')".into(),
        ));
    }
    for output in colour.iter().chain(alpha.iter()) {
        model.check_element(&output.name)?;
        if output.role == OutputRole::Alpha
            && output.format.channels.count() != 1
            && !output.format.channels.has_alpha()
        {
            return Err(unsupported(format!(
                "alpha output '{}' has no single or alpha channel",
                output.name
            )));
        }
    }
    let mut extra = Vec::new();
    for other in manifest.inputs.iter().filter(|i| i.name != input.name) {
        if other.is_image() || other.kind == InputKind::State {
            model.check_element(&other.name)?;
        }
        let shape = model
            .graph
            .inputs
            .iter()
            .find(|t| t.name == other.name)
            .and_then(|t| t.shape.as_ref())
            .map(|dims| {
                dims.iter()
                    .map(|d| d.fixed().and_then(|v| usize::try_from(v).ok()).unwrap_or(1))
                    .collect()
            })
            .unwrap_or_else(|| vec![1]);
        extra.push(ExtraInput {
            input: other.clone(),
            shape,
        });
    }
    let mut spec = FrameSpec {
        input,
        colour,
        alpha,
        colour_alpha: true,
        scale: 1,
        tile: manifest.tiling.tile.map(|t| (t.width, t.height)),
        overlap: manifest.tiling.overlap.unwrap_or(DEFAULT_OVERLAP),
        hdr_bypass: false,
        extra,
    };

    let stated = spec
        .colour
        .iter()
        .chain(spec.alpha.iter())
        .find_map(|o| o.scale);
    spec.scale = match stated {
        Some(scale) => scale,
        None => probe_scale(model, &spec)?,
    };
    Ok(spec)
}

/// Runs the model once on a small black image of an allowed size and reads the scale off its outputs,
/// checking they are whole multiples of the input and have the channels their format names.
fn probe_scale(model: &ImageModel, spec: &FrameSpec) -> Result<usize> {
    // 64 is a multiple of the strides common image networks need; a multiple-of-N model gets N's.
    let (w, h) = match spec.size() {
        SizeConstraint::Fixed { width, height } => (width, height),
        SizeConstraint::MultipleOf(n) if n > 0 => {
            let side = 64usize.div_ceil(n) * n;
            (side, side)
        }
        _ => (64, 64),
    };
    let in_shape = tensor::shape(&spec.input.format, w, h);
    let names = spec.output_names();
    let shapes = model.probe(&spec.input.name, &in_shape, &names)?;
    let mut scale = None;
    for (output, shape) in spec.colour.iter().chain(spec.alpha.iter()).zip(&shapes) {
        let dims = |s: &[usize]| {
            s.iter()
                .map(|d| i64::try_from(*d).unwrap_or(i64::MAX))
                .collect::<Vec<_>>()
        };
        let explain = |reason: &str| Error::ModelOutput {
            path: model.path().to_owned(),
            reason: format!(
                "output '{}' is {} for a {} input; {reason}",
                output.name,
                format_shape(&dims(shape)),
                format_shape(&dims(&in_shape))
            ),
        };
        let out_spatial = match (output.format.layout, shape.as_slice()) {
            (Layout::Nchw, [1, c, oh, ow]) | (Layout::Nhwc, [1, oh, ow, c]) => Some((*c, *oh, *ow)),
            _ => None,
        };
        let Some((c, oh, ow)) = out_spatial else {
            return Err(explain("expected a batch of one image"));
        };
        let s = oh / h;
        if s == 0 || oh != h * s || ow != w * s {
            return Err(explain(
                "the output must be the input's size times a whole factor",
            ));
        }
        if c != output.format.channels.count() {
            return Err(explain(&format!(
                "it has {c} channels where its format ({}) has {}; expected 1, 3 or 4",
                output.format.channels.name(),
                output.format.channels.count()
            )));
        }
        if scale.is_some_and(|known| known != s) {
            return Err(explain("the colour and alpha outputs differ in scale"));
        }
        scale = Some(s);
    }
    Ok(scale.unwrap_or(1))
}

/// One line for the node's info field.
pub fn describe(model: &ImageModel, manifest: &Manifest, spec: Option<&FrameSpec>) -> String {
    let mut parts = Vec::new();
    if let Some(name) = &manifest.info.name {
        let version = manifest
            .info
            .version
            .as_deref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        parts.push(format!("{name}{version}"));
    }
    if let Some(input) = manifest.primary_input() {
        let f = &input.format;
        parts.push(format!(
            "in '{}' {} {} {} {}",
            input.name,
            f.layout.name(),
            f.channels.name(),
            f.encoding.name(),
            serde_json::to_string(&f.normalize)
                .unwrap_or_default()
                .trim_matches('"')
        ));
    }
    for output in &manifest.outputs {
        let f = &output.format;
        parts.push(format!(
            "out '{}' {} ({} {} {})",
            output.name,
            output.role.name(),
            f.layout.name(),
            f.channels.name(),
            f.encoding.name()
        ));
    }
    if let Some(spec) = spec {
        parts.push(format!("scale x{}", spec.scale));
    }
    let provider = model.provider();
    parts.push(format!(
        "runs on {}{}",
        provider.name,
        if provider.float16 { " (float16)" } else { "" }
    ));
    parts.extend(provider.notes);
    parts.join("; ")
}
