//! The Inference node's parameters: their stable names, their definitions, and reading them into what
//! the engine and the pipeline take (run options, manifest overrides, working space, tiling). A "From
//! model" choice leaves the field to the model's description.

use std::ffi::CStr;

use ofx_sdk::colour::colourspace as cs;
use ofx_sdk::plugin::{EffectInstance, ParamDef, StringMode};

use crate::engine::{Device, Precision, RunOptions};
use crate::error::Result;
use crate::manifest::{ChannelOrder, FormatOverrides, Layout, Normalize, Overrides, Preset};
use crate::pixels::colour::Encoding;

/// Stable parameter names: saved projects and command lines use them. Never rename one.
pub const MODEL_FILE: &CStr = c"modelFile";
pub const MIX: &CStr = c"mix";
pub const DEVICE: &CStr = c"device";
pub const PRECISION: &CStr = c"precision";
pub const RELOAD: &CStr = c"reloadModel";
pub const WORKING_SPACE: &CStr = c"workingSpace";
pub const MODEL_ENCODING: &CStr = c"modelEncoding";
pub const MODEL_CHANNELS: &CStr = c"modelChannels";
pub const MODEL_RANGE: &CStr = c"modelRange";
pub const MODEL_LAYOUT: &CStr = c"modelLayout";
pub const HDR: &CStr = c"hdr";
pub const ALPHA: &CStr = c"alpha";
pub const SCALE: &CStr = c"scale";
pub const TILE_SIZE: &CStr = c"tileSize";
pub const TILE_OVERLAP: &CStr = c"tileOverlap";
pub const MODEL_INFO: &CStr = c"modelInfo";

/// Choice options, in order: saved projects store the index, so append, never reorder.
const DEVICE_OPTIONS: [&str; 2] = ["CPU", "GPU if available"];
const PRECISION_OPTIONS: [&str; 2] = ["float32", "float16"];
const WORKING_SPACE_OPTIONS: [&str; 6] = [
    "Auto",
    "Linear",
    "sRGB",
    "Rec.709",
    "ACEScct",
    "Data (no conversion)",
];
const ENCODING_OPTIONS: [&str; 6] = [
    "From model",
    "Linear",
    "sRGB",
    "Rec.709",
    "ACEScct",
    "Data (no conversion)",
];
const ENCODINGS: [Encoding; 5] = [
    Encoding::Linear,
    Encoding::Srgb,
    Encoding::Rec709,
    Encoding::AcesCct,
    Encoding::Data,
];
const CHANNEL_OPTIONS: [&str; 6] = ["From model", "RGB", "BGR", "RGBA", "BGRA", "Grey"];
const CHANNELS: [ChannelOrder; 5] = [
    ChannelOrder::Rgb,
    ChannelOrder::Bgr,
    ChannelOrder::Rgba,
    ChannelOrder::Bgra,
    ChannelOrder::Gray,
];
const RANGE_OPTIONS: [&str; 5] = ["From model", "0..1", "0..255", "-1..1", "16..235"];
const RANGES: [Preset; 4] = [
    Preset::ZeroOne,
    Preset::ZeroTo255,
    Preset::MinusOneOne,
    Preset::Studio,
];
const LAYOUT_OPTIONS: [&str; 3] = ["From model", "NCHW", "NHWC"];
const HDR_OPTIONS: [&str; 3] = ["From model", "Allowed", "Compress above 1"];
const ALPHA_OPTIONS: [&str; 2] = ["From model", "Keep source alpha"];

/// The model file parameter (the Inference node's model; the task nodes' User model).
pub fn model_file_def(hint: &str) -> ParamDef {
    ParamDef::string(
        "modelFile",
        "Model File",
        "",
        StringMode::FilePath { must_exist: true },
    )
    .hint(hint)
    .animates(false)
}

pub fn device_def() -> ParamDef {
    ParamDef::choice("device", "Device", &DEVICE_OPTIONS, 0)
        .hint("Where the model runs. A GPU that is missing or fails falls back to the CPU, and the Model field says why.")
        .animates(false)
}

pub fn working_space_def() -> ParamDef {
    ParamDef::choice("workingSpace", "Working Space", &WORKING_SPACE_OPTIONS, 0)
        .hint("The encoding of the clip's values. Auto: what the host says (OpenFX colour management), else linear in Nuke and Natron, Rec.709 in Resolve, sRGB elsewhere.")
        .animates(false)
}

pub fn tile_size_def() -> ParamDef {
    ParamDef::integer("tileSize", "Tile Size", 0)
        .range(0.0, 16384.0)
        .display_range(0.0, 4096.0)
        .hint("Tile side in source pixels. 0: from the model, else sized from the memory budget (ONNXFX_TILE_BUDGET_MB, default 1536).")
        .animates(false)
}

pub fn model_info_def() -> ParamDef {
    ParamDef::string("modelInfo", "Model", "", StringMode::Label)
        .hint("The model's name, tensors, scale, provider and last render time, or why it cannot be used.")
        .animates(false)
        .evaluate_on_change(false)
}

/// Every parameter, in the order hosts show them.
pub fn definitions() -> Vec<ParamDef> {
    vec![
        model_file_def("The .onnx model to run. Its manifest (embedded, or <model>.onnx.json beside it) says how to feed it; the parameters below override it."),
        ParamDef::double("mix", "Mix", 1.0).range(0.0, 1.0).hint("Blend between the source (0) and the model's output (1)."),
        device_def(),
        ParamDef::choice("precision", "Precision", &PRECISION_OPTIONS, 0)
            .hint("float16 halves GPU memory and time where the provider supports it (TensorRT) or the model is float16.")
            .animates(false),
        ParamDef::push_button("reloadModel", "Reload Model").hint("Load the model file again (after editing it in place)."),
        working_space_def(),
        ParamDef::choice("modelEncoding", "Model Encoding", &ENCODING_OPTIONS, 0)
            .hint("The encoding the model expects and returns (most photo models: sRGB).")
            .animates(false),
        ParamDef::choice("modelChannels", "Model Channels", &CHANNEL_OPTIONS, 0)
            .hint("Channel order of the model's tensors.")
            .animates(false),
        ParamDef::choice("modelRange", "Model Range", &RANGE_OPTIONS, 0)
            .hint("Value range of the model's tensors.")
            .animates(false),
        ParamDef::choice("modelLayout", "Model Layout", &LAYOUT_OPTIONS, 0)
            .hint("Tensor layout: channels first (NCHW) or last (NHWC).")
            .animates(false),
        ParamDef::choice("hdr", "HDR", &HDR_OPTIONS, 0)
            .hint("Values above 1 for models that cannot take them are compressed above 0.8 (only in frames that have such values) and expanded back afterwards.")
            .animates(false),
        ParamDef::choice("alpha", "Alpha", &ALPHA_OPTIONS, 0)
            .hint("Where the output's alpha comes from: the model's matte output (per its description), or the source.")
            .animates(false),
        ParamDef::integer("scale", "Scale", 0)
            .range(0.0, 16.0)
            .hint("Output size / input size. 0: from the model (measured if it does not say).")
            .animates(false),
        tile_size_def(),
        ParamDef::integer("tileOverlap", "Tile Overlap", -1)
            .range(-1.0, 1024.0)
            .display_range(-1.0, 256.0)
            .hint("Context pixels around each tile, half of them blended. -1: from the model (default 32).")
            .animates(false),
        model_info_def(),
    ]
}

/// The Device parameter as run options (float32; the task nodes have no Precision parameter).
pub fn read_run_options(instance: &EffectInstance<'_>, time: f64) -> Result<RunOptions> {
    Ok(RunOptions {
        device: if instance.param(DEVICE)?.int_at(time)? == 1 {
            Device::Gpu
        } else {
            Device::Cpu
        },
        precision: Precision::Float32,
    })
}

/// The Working Space parameter (`None`: Auto).
pub fn read_working_space(instance: &EffectInstance<'_>, time: f64) -> Result<Option<Encoding>> {
    Ok(pick(
        instance.param(WORKING_SPACE)?.int_at(time)?,
        &ENCODINGS,
    ))
}

/// The Tile Size parameter (`None`: automatic).
pub fn read_tile(instance: &EffectInstance<'_>, time: f64) -> Result<Option<(usize, usize)>> {
    Ok(usize::try_from(instance.param(TILE_SIZE)?.int_at(time)?)
        .ok()
        .filter(|t| *t > 0)
        .map(|t| (t, t)))
}

/// A 0..1 amount parameter, clamped (NaN: 1).
pub fn read_amount(instance: &EffectInstance<'_>, name: &CStr, time: f64) -> Result<f32> {
    Ok(clamp_mix(instance.param(name)?.double_at(time)?))
}

/// The parameters at one time, in the engine's and the pipeline's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeParams {
    pub model_file: String,
    pub mix: f32,
    pub run_options: RunOptions,
    /// `None`: Auto.
    pub working_space: Option<Encoding>,
    pub overrides: Overrides,
    /// The output's alpha stays the source's, whatever the model gives.
    pub keep_source_alpha: bool,
    /// Square tile side, when set.
    pub tile: Option<(usize, usize)>,
    pub overlap: Option<usize>,
}

/// The entry `index - 1` of `table`, or `None` for the first option ("From model", "Auto").
fn pick<T: Copy>(index: i32, table: &[T]) -> Option<T> {
    usize::try_from(index)
        .ok()
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| table.get(i).copied())
}

impl NodeParams {
    pub fn read(instance: &EffectInstance<'_>, time: f64) -> Result<NodeParams> {
        let int = |name: &CStr| -> Result<i32> { Ok(instance.param(name)?.int_at(time)?) };
        let encoding = pick(int(MODEL_ENCODING)?, &ENCODINGS);
        let channels = pick(int(MODEL_CHANNELS)?, &CHANNELS);
        let normalize = pick(int(MODEL_RANGE)?, &RANGES).map(Normalize::Preset);
        let layout = pick(int(MODEL_LAYOUT)?, &[Layout::Nchw, Layout::Nhwc]);
        let format = FormatOverrides {
            layout,
            channels,
            normalize,
            encoding,
            hdr: None,
        };
        let overrides = Overrides {
            input: FormatOverrides {
                hdr: pick(int(HDR)?, &[true, false]),
                ..format.clone()
            },
            output: format,
            scale: usize::try_from(int(SCALE)?).ok().filter(|s| *s > 0),
            ..Overrides::default()
        };
        let tile = usize::try_from(int(TILE_SIZE)?)
            .ok()
            .filter(|t| *t > 0)
            .map(|t| (t, t));
        let overlap = usize::try_from(int(TILE_OVERLAP)?).ok();
        let mix = instance.param(MIX)?.double_at(time)?;
        Ok(NodeParams {
            model_file: instance.param(MODEL_FILE)?.string_at(time)?,
            mix: clamp_mix(mix),
            run_options: RunOptions {
                device: if int(DEVICE)? == 1 {
                    Device::Gpu
                } else {
                    Device::Cpu
                },
                precision: if int(PRECISION)? == 1 {
                    Precision::Float16
                } else {
                    Precision::Float32
                },
            },
            working_space: pick(int(WORKING_SPACE)?, &ENCODINGS),
            overrides,
            keep_source_alpha: int(ALPHA)? == 1,
            tile,
            overlap,
        })
    }
}

fn clamp_mix(mix: f64) -> f32 {
    // Narrowing a value clamped to 0..1 loses nothing that matters for a blend factor.
    #[allow(clippy::cast_possible_truncation)]
    let mix = mix.clamp(0.0, 1.0) as f32;
    if mix.is_nan() { 1.0 } else { mix }
}

/// The transfer curve of an OpenFX colourspace name, for the ones whose curve is known.
pub fn encoding_of_colourspace(name: &str) -> Option<Encoding> {
    match name {
        cs::OFX_LINEAR
        | cs::LINEAR_REC709
        | cs::ACESCG
        | cs::ACES2065_1
        | "lin_p3d65"
        | "lin_rec2020" => Some(Encoding::Linear),
        cs::SRGB_TEXTURE | cs::SRGB_DISPLAY | "srgb_encoded_ap1_tx" => Some(Encoding::Srgb),
        cs::OFX_SDR
        | cs::REC1886_REC709_DISPLAY
        | cs::GAMMA24_REC709_TEXTURE
        | cs::GAMMA22_REC709_TEXTURE => Some(Encoding::Rec709),
        cs::OFX_LOG | cs::ACESCCT | cs::ACESCC => Some(Encoding::AcesCct),
        cs::OFX_RAW | cs::RAW => Some(Encoding::Data),
        _ => None,
    }
}

/// What a host hands over when it says nothing: compositors (Nuke, Natron) work in scene-linear light,
/// Resolve hands display-referred Rec.709, editors and everything else 8-bit sRGB-like video.
pub fn host_default_encoding() -> Encoding {
    let host = ofx_sdk::plugin::host::host_name()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if host.contains("nuke") || host.contains("natron") {
        Encoding::Linear
    } else if host.contains("resolve") || host.contains("davinci") {
        Encoding::Rec709
    } else {
        Encoding::Srgb
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_map_past_their_first_option() {
        assert_eq!(pick(0, &ENCODINGS), None);
        assert_eq!(pick(3, &ENCODINGS), Some(Encoding::Rec709));
        assert_eq!(pick(9, &ENCODINGS), None);
        assert_eq!(ENCODING_OPTIONS.len(), ENCODINGS.len() + 1);
        assert_eq!(CHANNEL_OPTIONS.len(), CHANNELS.len() + 1);
        assert_eq!(RANGE_OPTIONS.len(), RANGES.len() + 1);
        assert_eq!(WORKING_SPACE_OPTIONS.len(), ENCODINGS.len() + 1);
    }

    #[test]
    fn colourspaces_map_to_curves() {
        assert_eq!(encoding_of_colourspace("ACEScg"), Some(Encoding::Linear));
        assert_eq!(encoding_of_colourspace("srgb_tx"), Some(Encoding::Srgb));
        assert_eq!(encoding_of_colourspace("ofx_raw"), Some(Encoding::Data));
        assert_eq!(encoding_of_colourspace("arri_logc4"), None);
    }

    #[test]
    fn mix_is_clamped() {
        assert_eq!(clamp_mix(2.0), 1.0);
        assert_eq!(clamp_mix(-1.0), 0.0);
        assert_eq!(clamp_mix(f64::NAN), 1.0);
    }
}
