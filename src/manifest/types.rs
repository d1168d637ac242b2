//! The resolved description: every field has a value (or an explicit "unknown", such as a scale the
//! engine has to measure). It serialises back to a complete manifest document of the same schema.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// Where the channels are in a rank-4 image tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// `[batch, channels, height, width]` (PyTorch).
    Nchw,
    /// `[batch, height, width, channels]` (TensorFlow, Keras).
    Nhwc,
}

impl Layout {
    pub const ALL: [Layout; 2] = [Layout::Nchw, Layout::Nhwc];

    pub fn name(self) -> &'static str {
        match self {
            Layout::Nchw => "nchw",
            Layout::Nhwc => "nhwc",
        }
    }

    /// Case-insensitive.
    pub fn parse(text: &str) -> Option<Layout> {
        Self::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(text))
    }

    pub fn channel_axis(self) -> usize {
        match self {
            Layout::Nchw => 1,
            Layout::Nhwc => 3,
        }
    }

    pub fn height_axis(self) -> usize {
        match self {
            Layout::Nchw => 2,
            Layout::Nhwc => 1,
        }
    }

    pub fn width_axis(self) -> usize {
        match self {
            Layout::Nchw => 3,
            Layout::Nhwc => 2,
        }
    }
}

/// One channel of a tensor, in terms of the host's RGBA image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    Red,
    Green,
    Blue,
    Alpha,
    /// A single channel: luminance on the way in; on the way out, grey (colour outputs) or the matte
    /// (alpha outputs).
    Luma,
}

/// The order of the channels along the tensor's channel axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelOrder {
    Rgb,
    Bgr,
    Rgba,
    Bgra,
    Gray,
}

impl ChannelOrder {
    pub const ALL: [ChannelOrder; 5] = [
        ChannelOrder::Rgb,
        ChannelOrder::Bgr,
        ChannelOrder::Rgba,
        ChannelOrder::Bgra,
        ChannelOrder::Gray,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ChannelOrder::Rgb => "rgb",
            ChannelOrder::Bgr => "bgr",
            ChannelOrder::Rgba => "rgba",
            ChannelOrder::Bgra => "bgra",
            ChannelOrder::Gray => "gray",
        }
    }

    /// Case-insensitive; `grey` is accepted for `gray`.
    pub fn parse(text: &str) -> Option<ChannelOrder> {
        if text.eq_ignore_ascii_case("grey") {
            return Some(ChannelOrder::Gray);
        }
        Self::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(text))
    }

    /// Number of channels along the channel axis.
    pub fn count(self) -> usize {
        self.components().len()
    }

    /// Tensor channel `i` is `components()[i]` of the host image.
    pub fn components(self) -> &'static [Component] {
        use Component::*;
        match self {
            ChannelOrder::Rgb => &[Red, Green, Blue],
            ChannelOrder::Bgr => &[Blue, Green, Red],
            ChannelOrder::Rgba => &[Red, Green, Blue, Alpha],
            ChannelOrder::Bgra => &[Blue, Green, Red, Alpha],
            ChannelOrder::Gray => &[Luma],
        }
    }

    pub fn has_alpha(self) -> bool {
        matches!(self, ChannelOrder::Rgba | ChannelOrder::Bgra)
    }

    /// The usual order for a channel count (1 gray, 3 rgb, 4 rgba).
    pub fn for_count(count: u64) -> Option<ChannelOrder> {
        match count {
            1 => Some(ChannelOrder::Gray),
            3 => Some(ChannelOrder::Rgb),
            4 => Some(ChannelOrder::Rgba),
            _ => None,
        }
    }
}

/// The transfer curve the model's values are encoded with: the pixel pipeline's own type. Only the
/// curve: primaries are the host's working primaries (schema 1 converts no gamut).
pub use crate::pixels::colour::Encoding;

impl Serialize for Encoding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// The named value ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// `"0..1"`: the identity.
    ZeroOne,
    /// `"0..255"`: 8-bit code values as floats.
    ZeroTo255,
    /// `"-1..1"`: `2x - 1`.
    MinusOneOne,
    /// `"16..235"`: video (studio) range in 8-bit code values, `16 + 219x`.
    Studio,
}

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::ZeroOne,
        Preset::ZeroTo255,
        Preset::MinusOneOne,
        Preset::Studio,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::ZeroOne => "0..1",
            Preset::ZeroTo255 => "0..255",
            Preset::MinusOneOne => "-1..1",
            Preset::Studio => "16..235",
        }
    }

    pub fn parse(text: &str) -> Option<Preset> {
        Self::ALL.into_iter().find(|p| p.name() == text.trim())
    }

    /// The range's low and high ends: the tensor values of image values 0 and 1.
    pub fn bounds(self) -> (f64, f64) {
        match self {
            Preset::ZeroOne => (0.0, 1.0),
            Preset::ZeroTo255 => (0.0, 255.0),
            Preset::MinusOneOne => (-1.0, 1.0),
            Preset::Studio => (16.0, 235.0),
        }
    }
}

/// A number for every channel, or one for all of them.
#[derive(Debug, Clone, PartialEq)]
pub enum Numbers {
    All(f64),
    PerChannel(Vec<f64>),
}

impl Numbers {
    /// The value for channel `i` (NaN past the end of a list: lengths are checked before use).
    fn get(&self, i: usize) -> f64 {
        match self {
            Numbers::All(v) => *v,
            Numbers::PerChannel(list) => list.get(i).copied().unwrap_or(f64::NAN),
        }
    }

    /// `Err(found)` when a list does not have one number per channel.
    pub fn check_len(&self, channels: usize) -> Result<(), usize> {
        match self {
            Numbers::PerChannel(list) if list.len() != channels => Err(list.len()),
            _ => Ok(()),
        }
    }

    pub fn values(&self) -> Vec<f64> {
        match self {
            Numbers::All(v) => vec![*v],
            Numbers::PerChannel(list) => list.clone(),
        }
    }
}

impl Serialize for Numbers {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Numbers::All(v) => s.serialize_f64(*v),
            Numbers::PerChannel(list) => list.serialize(s),
        }
    }
}

/// How image values (0..1 nominal) become tensor values. Every form is one affine map per channel,
/// [`Normalize::affine`]: `x_model = x * scale + offset`, and its inverse on outputs.
#[derive(Debug, Clone, PartialEq)]
pub enum Normalize {
    Preset(Preset),
    /// `{"range": [low, high]}`: image 0 → `low`, image 1 → `high`.
    Range {
        low: f64,
        high: f64,
    },
    /// `{"mean": [...], "std": [...], "max_pixel_value": 255}`: `(x * max_pixel_value - mean) / std`, the
    /// torchvision / albumentations convention (`max_pixel_value` defaults to 1).
    MeanStd {
        mean: Numbers,
        std: Numbers,
        max_pixel_value: f64,
    },
    /// `{"scale": [...], "offset": [...]}`: the map itself.
    Affine {
        scale: Numbers,
        offset: Numbers,
    },
}

/// Why a normalisation does not fit a channel count: the key at fault and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizeMismatch {
    /// `std`, `mean`, `scale`, `offset`, or empty for the normalisation as a whole.
    pub key: &'static str,
    pub message: String,
}

impl Normalize {
    /// The per-channel map for `channels` channels (1..=4), checked: lists of the right length, a
    /// non-zero, finite scale and a finite offset in `f32`.
    pub fn affine(&self, channels: usize) -> Result<Affine, NormalizeMismatch> {
        if !(1..=4).contains(&channels) {
            return Err(NormalizeMismatch {
                key: "",
                message: format!("{channels} channels: only 1 to 4 can be mapped"),
            });
        }
        let lists: Vec<(&'static str, &Numbers)> = match self {
            Normalize::MeanStd { mean, std, .. } => vec![("mean", mean), ("std", std)],
            Normalize::Affine { scale, offset } => vec![("scale", scale), ("offset", offset)],
            _ => Vec::new(),
        };
        for (key, numbers) in lists {
            if let Err(found) = numbers.check_len(channels) {
                return Err(NormalizeMismatch {
                    key,
                    message: format!(
                        "expected {channels} number{}, found {found}",
                        if channels == 1 { "" } else { "s" }
                    ),
                });
            }
        }
        let mut scale = [1.0f64; 4];
        let mut offset = [0.0f64; 4];
        for c in 0..channels {
            let (s, o) = match self {
                Normalize::Preset(p) => {
                    let (low, high) = p.bounds();
                    (high - low, low)
                }
                Normalize::Range { low, high } => (high - low, *low),
                Normalize::MeanStd {
                    mean,
                    std,
                    max_pixel_value,
                } => {
                    let (m, sd) = (mean.get(c), std.get(c));
                    (max_pixel_value / sd, -m / sd)
                }
                Normalize::Affine {
                    scale: s,
                    offset: o,
                } => (s.get(c), o.get(c)),
            };
            scale[c] = s;
            offset[c] = o;
        }
        Affine::from_f64(&scale[..channels], &offset[..channels]).ok_or_else(|| {
            let key = match self {
                Normalize::MeanStd { .. } => "std",
                Normalize::Affine { .. } => "scale",
                Normalize::Range { .. } => "range",
                Normalize::Preset(_) => "",
            };
            NormalizeMismatch {
                key,
                message: "gives a zero or non-finite scale, or a non-finite offset: the map must \
                          be invertible"
                    .to_string(),
            }
        })
    }
}

impl Serialize for Normalize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Normalize::Preset(p) => s.serialize_str(p.name()),
            Normalize::Range { low, high } => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("range", &[low, high])?;
                map.end()
            }
            Normalize::MeanStd {
                mean,
                std,
                max_pixel_value,
            } => {
                let mut map = s.serialize_map(None)?;
                map.serialize_entry("mean", mean)?;
                map.serialize_entry("std", std)?;
                if *max_pixel_value != 1.0 {
                    map.serialize_entry("max_pixel_value", max_pixel_value)?;
                }
                map.end()
            }
            Normalize::Affine { scale, offset } => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("scale", scale)?;
                map.serialize_entry("offset", offset)?;
                map.end()
            }
        }
    }
}

/// `x_model = x * scale[c] + offset[c]` for tensor channel `c` (in the tensor's channel order), and the
/// inverse for outputs. Copy, no allocation: meant for the pixel loops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    channels: usize,
    scale: [f32; 4],
    offset: [f32; 4],
    inverse_scale: [f32; 4],
    inverse_offset: [f32; 4],
}

impl Affine {
    /// The identity for `channels` (clamped to 1..=4) channels.
    pub fn identity(channels: usize) -> Affine {
        Affine {
            channels: channels.clamp(1, 4),
            scale: [1.0; 4],
            offset: [0.0; 4],
            inverse_scale: [1.0; 4],
            inverse_offset: [0.0; 4],
        }
    }

    /// `None` unless 1..=4 channels, every scale non-zero and everything finite in `f32`. The inverse is
    /// computed in `f64` and rounded once.
    pub fn from_f64(scale: &[f64], offset: &[f64]) -> Option<Affine> {
        if scale.len() != offset.len() || !(1..=4).contains(&scale.len()) {
            return None;
        }
        let mut affine = Affine::identity(scale.len());
        for (c, (&s, &o)) in scale.iter().zip(offset).enumerate() {
            let values = [s as f32, o as f32, (1.0 / s) as f32, (-o / s) as f32];
            if s == 0.0 || values.iter().any(|v| !v.is_finite()) || values[0] == 0.0 {
                return None;
            }
            affine.scale[c] = values[0];
            affine.offset[c] = values[1];
            affine.inverse_scale[c] = values[2];
            affine.inverse_offset[c] = values[3];
        }
        Some(affine)
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn scale(&self) -> &[f32] {
        &self.scale[..self.channels]
    }

    pub fn offset(&self) -> &[f32] {
        &self.offset[..self.channels]
    }

    /// The map from tensor values back to image values.
    pub fn inverse(&self) -> Affine {
        Affine {
            channels: self.channels,
            scale: self.inverse_scale,
            offset: self.inverse_offset,
            inverse_scale: self.scale,
            inverse_offset: self.offset,
        }
    }

    pub fn is_identity(&self) -> bool {
        self.scale().iter().all(|&s| s == 1.0) && self.offset().iter().all(|&o| o == 0.0)
    }

    /// Image value → tensor value for channel `c` (< [`Affine::channels`]; panics past 4).
    #[inline]
    pub fn to_model(&self, c: usize, x: f32) -> f32 {
        x * self.scale[c] + self.offset[c]
    }

    /// Tensor value → image value for channel `c`: `(y - offset) / scale`.
    #[inline]
    pub fn from_model(&self, c: usize, y: f32) -> f32 {
        (y - self.offset[c]) / self.scale[c]
    }
}

/// How a model constrains the spatial size of an image input: the tiling planner's own type.
pub use crate::tiling::SizeConstraint;

impl Serialize for SizeConstraint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SizeConstraint::Any => s.serialize_str("any"),
            SizeConstraint::Fixed { width, height } => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("fixed", &[width, height])?;
                map.end()
            }
            SizeConstraint::MultipleOf(n) => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("multiple_of", n)?;
                map.end()
            }
        }
    }
}

/// A tile's size in model-input pixels, overlap included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileSize {
    pub width: usize,
    pub height: usize,
}

impl Serialize for TileSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.width == self.height {
            s.serialize_u64(self.width as u64)
        } else {
            let mut seq = s.serialize_seq(Some(2))?;
            seq.serialize_element(&self.width)?;
            seq.serialize_element(&self.height)?;
            seq.end()
        }
    }
}

/// The model's preferred tiling; `None` fields are chosen automatically (memory budget, receptive field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Tiling {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tile: Option<TileSize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlap: Option<usize>,
}

impl Tiling {
    pub fn is_empty(&self) -> bool {
        self.tile.is_none() && self.overlap.is_none()
    }
}

/// What an output's channels are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputRole {
    /// The output image's colour (and its alpha too when the channels include alpha).
    Color,
    /// The output image's alpha: a single-channel matte.
    Alpha,
    /// Not used by the effect.
    Ignore,
}

impl OutputRole {
    pub const ALL: [OutputRole; 3] = [OutputRole::Color, OutputRole::Alpha, OutputRole::Ignore];

    pub fn name(self) -> &'static str {
        match self {
            OutputRole::Color => "color",
            OutputRole::Alpha => "alpha",
            OutputRole::Ignore => "ignore",
        }
    }

    /// Case-insensitive; `colour` is accepted for `color`.
    pub fn parse(text: &str) -> Option<OutputRole> {
        if text.eq_ignore_ascii_case("colour") {
            return Some(OutputRole::Color);
        }
        Self::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(text))
    }
}

/// What feeds an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum InputKind {
    /// An image from a clip ([`ImageInput::clip`]) at a frame offset ([`ImageInput::time_offset`]).
    Image,
    /// A float value from a slider (*Value 1..4*).
    Float,
    /// An integer value from a spin box (*Integer 1..2*).
    Int,
    /// Text from a text field (*Text*): a string tensor.
    String,
    /// A recurrent state: the output named by [`ImageInput::state_of`] of the previous frame, zeros at
    /// the first frame and after a jump.
    State,
}

impl InputKind {
    pub const ALL: [InputKind; 5] = [
        InputKind::Image,
        InputKind::Float,
        InputKind::Int,
        InputKind::String,
        InputKind::State,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InputKind::Image => "image",
            InputKind::Float => "float",
            InputKind::Int => "int",
            InputKind::String => "string",
            InputKind::State => "state",
        }
    }

    pub fn parse(text: &str) -> Option<InputKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(text))
    }

    /// Whether a parameter feeds it.
    pub fn is_scalar(self) -> bool {
        matches!(self, InputKind::Float | InputKind::Int | InputKind::String)
    }
}

/// A scalar input's default value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ScalarDefault {
    Number(f64),
    Text(String),
}

/// How pixels become one image tensor and back: shared by inputs and outputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageFormat {
    pub layout: Layout,
    pub channels: ChannelOrder,
    pub normalize: Normalize,
    /// `normalize` as a checked per-channel map, in tensor channel order.
    #[serde(skip)]
    pub affine: Affine,
    pub encoding: Encoding,
    /// Whether values above 1 (in the model's encoding, before normalisation) are meaningful to the model.
    pub hdr: bool,
}

/// One image input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageInput {
    /// The graph's tensor name.
    pub name: String,
    /// Left out of serialised documents while it is the default (`image`), as are `clip` and
    /// `time_offset`: they are the room left for issue 8's clip and time mappings.
    #[serde(skip_serializing_if = "is_image")]
    pub kind: InputKind,
    /// The clip it reads (schema 1: `Source`; other clips are issue 8's).
    #[serde(skip_serializing_if = "is_default_clip")]
    pub clip: String,
    /// Frame offset from the frame being rendered (schema 1: 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub time_offset: i64,
    #[serde(flatten)]
    pub format: ImageFormat,
    pub size: SizeConstraint,
    /// Scalar inputs: the value a new node starts with, and the allowed range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<ScalarDefault>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// State inputs: the output fed back from the previous frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_of: Option<String>,
}

impl ImageInput {
    pub fn is_image(&self) -> bool {
        self.kind == InputKind::Image
    }
}

fn is_image(kind: &InputKind) -> bool {
    *kind == InputKind::Image
}

fn is_default_clip(clip: &str) -> bool {
    clip == super::DEFAULT_CLIP
}

fn is_zero(offset: &i64) -> bool {
    *offset == 0
}

/// One output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageOutput {
    pub name: String,
    pub role: OutputRole,
    #[serde(flatten)]
    pub format: ImageFormat,
    /// Output pixels per input pixel; `None` when nothing states it and the graph cannot tell (dynamic
    /// sizes): the engine measures it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<usize>,
}

/// Who made the model and what it is for. Free text, shown to the artist.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ModelInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// An SPDX expression where possible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// Where the model comes from (a URL, a paper).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The resolved description of a model: what the effect drives it by.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub info: ModelInfo,
    /// In graph order when the graph is known, else in document order.
    pub inputs: Vec<ImageInput>,
    pub outputs: Vec<ImageOutput>,
    pub tiling: Tiling,
}

impl Manifest {
    /// The input that decides the frame's tiles: the first image input read from the Source clip at
    /// the current frame, else the first image input.
    pub fn primary_input(&self) -> Option<&ImageInput> {
        self.inputs
            .iter()
            .find(|i| i.is_image() && i.clip == super::DEFAULT_CLIP && i.time_offset == 0)
            .or_else(|| self.inputs.iter().find(|i| i.is_image()))
    }

    /// The outputs fed back to state inputs.
    pub fn state_outputs(&self) -> Vec<&str> {
        self.inputs
            .iter()
            .filter(|i| i.kind == InputKind::State)
            .filter_map(|i| i.state_of.as_deref())
            .collect()
    }

    /// The first output whose role is colour.
    pub fn color_output(&self) -> Option<&ImageOutput> {
        self.outputs.iter().find(|o| o.role == OutputRole::Color)
    }

    /// The first output whose role is alpha (a matte).
    pub fn alpha_output(&self) -> Option<&ImageOutput> {
        self.outputs.iter().find(|o| o.role == OutputRole::Alpha)
    }

    /// The input by tensor name.
    pub fn input(&self, name: &str) -> Option<&ImageInput> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// The output by tensor name.
    pub fn output(&self, name: &str) -> Option<&ImageOutput> {
        self.outputs.iter().find(|o| o.name == name)
    }

    /// The complete manifest document (schema 1) as pretty JSON, fields in schema order. Unknown values
    /// (a scale nobody states) are left out, so the text is a valid document to edit and embed.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.document())
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The document view of this manifest, for embedding in a larger serialised value.
    pub fn document(&self) -> impl Serialize + '_ {
        DocumentView {
            schema: super::SCHEMA,
            info: &self.info,
            inputs: &self.inputs,
            outputs: &self.outputs,
            tiling: (!self.tiling.is_empty()).then_some(&self.tiling),
        }
    }
}

#[derive(Serialize)]
struct DocumentView<'a> {
    schema: &'static str,
    #[serde(flatten)]
    info: &'a ModelInfo,
    inputs: &'a [ImageInput],
    outputs: &'a [ImageOutput],
    #[serde(skip_serializing_if = "Option::is_none")]
    tiling: Option<&'a Tiling>,
}
