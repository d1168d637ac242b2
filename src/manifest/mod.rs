//! Model manifests: what an ONNX image model expects and gives, resolved from every place that can say it.
//!
//! A model describes its image tensors (layout, channel order, value range, colour encoding, HDR, scale,
//! size constraints, tiling, which output goes to colour and which to alpha) in a JSON document, the
//! *manifest* (`docs/manifest.md` is the schema). The description that drives a render is assembled from
//! layers, each field taken from the highest layer that states it:
//!
//! ```text
//! defaults < graph < ONNX standard image keys < embedded manifest < sidecar < user parameters
//! ```
//!
//! - *defaults*: [`DEFAULT_LAYOUT`], [`DEFAULT_ENCODING`] ... (NCHW, 0..1, sRGB);
//! - *graph*: shapes (layout, channel count, fixed size, scale), passed in as plain [`GraphInfo`] or read
//!   from the protobuf by [`onnx::read_summary`];
//! - *image keys*: `Image.BitmapPixelFormat`, `Image.ColorSpaceGamma`, `Image.NominalPixelRange` in the
//!   model's `metadata_props`;
//! - *embedded*: the JSON under [`METADATA_KEY`] in `metadata_props`;
//! - *sidecar*: `<model path>.json` (e.g. `denoise.onnx.json`), which replaces the embedded document whole;
//! - *parameters*: [`Overrides`], from the effect's parameters.
//!
//! Who calls what: the effect calls [`ModelDescription::read`] once per model file (on the thread that
//! loads the model; it does bounded, seek-based I/O and never loads weights), keeps it beside the session,
//! and calls [`ModelDescription::resolve`] with the current parameter overrides (no I/O, cheap) whenever
//! it needs the [`Manifest`]. Nothing here touches ONNX Runtime or OFX handles, and nothing panics on
//! any input: every failure is an [`Error`] that names the file and the field.

mod document;
mod error;
mod graph;
mod image_keys;
mod load;
pub mod onnx;
mod resolve;
mod types;

pub use document::{Document, InfoLayer, TensorEntry, TensorLayer, TilingLayer};
pub use error::{Error, FieldError, Origin, Warning};
pub use graph::{Dim, ElemType, GraphInfo, GraphTensor};
pub use image_keys::ImageKeys;
pub use load::{
    DocumentSource, LoadedDocument, ModelDescription, embed_manifest, read_bounded, read_sidecar,
    remove_manifest, sidecar_path,
};
pub use resolve::{FormatOverrides, Layer, Overrides, Provenance, Resolved};
pub use types::{
    Affine, ChannelOrder, Component, Encoding, ImageFormat, ImageInput, ImageOutput, InputKind,
    Layout, Manifest, ModelInfo, Normalize, Numbers, OutputRole, Preset, ScalarDefault,
    SizeConstraint, TileSize, Tiling,
};

/// The schema identifier every manifest document starts with (`"schema": "onnxfx.manifest/1"`).
pub const SCHEMA: &str = "onnxfx.manifest/1";
/// The schema prefix; the number after it is the major version.
pub const SCHEMA_PREFIX: &str = "onnxfx.manifest/";
/// The major schema version this code reads and writes.
pub const SCHEMA_VERSION: u32 = 1;
/// The `metadata_props` key that holds an embedded manifest.
pub const METADATA_KEY: &str = "onnxfx.manifest";
/// What is appended to the model's path to name its sidecar (`model.onnx` → `model.onnx.json`).
pub const SIDECAR_SUFFIX: &str = ".json";
/// The largest manifest document read, embedded or sidecar (bytes). Real ones are a few KiB.
pub const MAX_DOCUMENT_BYTES: u64 = 1 << 20;

/// Layout when neither the graph nor any document says: PyTorch, which exports most ONNX image models,
/// is channels-first.
pub const DEFAULT_LAYOUT: Layout = Layout::Nchw;
/// Encoding when nothing says: sRGB, the curve almost every image model was trained on (photographs
/// and renders saved as 8-bit sRGB). The clip's encoding comes from the host (OpenFX colour management)
/// or the Working Space parameter, and the node converts between the two; a model trained on linear
/// data says so in its manifest (or `Image.ColorSpaceGamma = Linear`, or the parameter).
pub const DEFAULT_ENCODING: Encoding = Encoding::Srgb;
/// Value range when nothing says: 0..1, the identity map (the host's values as they are).
pub const DEFAULT_NORMALIZE: Normalize = Normalize::Preset(Preset::ZeroOne);
/// The clip an image input reads when the document names none (issue 8 maps inputs to other clips).
pub const DEFAULT_CLIP: &str = "Source";

#[cfg(test)]
mod tests;
