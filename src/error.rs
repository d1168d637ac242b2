//! The plugin's error type. Every variant carries what an artist needs to fix the problem (the path, the
//! tensor, the shape expected and found) and maps to the OFX status the action returns.

use std::path::PathBuf;

use ofx_sdk::{ActionError, Status};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Ofx(#[from] ofx_sdk::Error),

    /// The ONNX Runtime library inside the bundle could not be loaded.
    #[error("cannot load ONNX Runtime from {path}: {reason}")]
    Runtime { path: PathBuf, reason: String },

    /// The model's description (sidecar, embedded manifest, parameters) is invalid.
    #[error(transparent)]
    Manifest(#[from] crate::manifest::Error),

    #[error("no model file is set: choose an .onnx file in the Model File parameter")]
    NoModel,

    #[error("model file {path} does not exist")]
    ModelMissing { path: PathBuf },

    /// A model the bundle should ship is not where the zoo installs it.
    #[error(
        "the bundled model {name} is missing from the bundle ({path}): rebuild the bundle with \
         `cargo xtask models` and `cargo xtask bundle --with-models`, or choose User model"
    )]
    BundledModelMissing { name: String, path: PathBuf },

    /// An opt-in model of the zoo that was not installed (its licence must be accepted first).
    #[error(
        "{name} is not installed: it is opt-in because {licence}; install it with `{how}` (the licence \
         is shown before anything is fetched), or choose User model"
    )]
    ModelNotInstalled {
        name: String,
        licence: String,
        how: String,
    },

    /// A model that loads and runs but does not do what the node needs (a matte model in Upscale).
    #[error("model {path} cannot be used by the {node} node: {reason}")]
    WrongTask {
        path: PathBuf,
        node: &'static str,
        reason: String,
    },

    /// ONNX Runtime refused the file (corrupt, truncated, not ONNX, unsupported operator ...).
    #[error("cannot load model {path}: {reason}")]
    ModelLoad { path: PathBuf, reason: String },

    /// The model loads but is not an image model this node can drive.
    #[error("model {path} is not usable as an image model: {reason}")]
    ModelUnsupported { path: PathBuf, reason: String },

    /// The model ran but produced something that does not fit the output image.
    #[error("model {path}: {reason}")]
    ModelOutput { path: PathBuf, reason: String },

    #[error("model {path} failed to run on a {shape} input: {reason}")]
    Inference {
        path: PathBuf,
        shape: String,
        reason: String,
    },

    /// The runtime could not allocate what the model needs for this input, in main or device memory.
    #[error(
        "model {path} ran out of memory on {device} for a {shape} input ({reason}): lower Tile Size \
         (or ONNXFX_TILE_BUDGET_MB), use a smaller frame or free memory"
    )]
    OutOfMemory {
        path: PathBuf,
        shape: String,
        device: String,
        reason: String,
    },

    /// A diffusion pipeline folder that cannot be used (layout, configuration, sizes).
    #[error("diffusion pipeline {dir}: {reason}")]
    Pipeline { dir: PathBuf, reason: String },

    #[error("no source image at frame {time}: connect an input to Source")]
    NoSourceImage { time: f64 },

    #[error("the host gave no output image at frame {time}")]
    NoOutputImage { time: f64 },

    #[error("unsupported image: {0}")]
    UnsupportedImage(String),

    #[error(
        "the render window {width}x{height} is too large for one inference ({pixels} pixels, limit {limit})"
    )]
    FrameTooLarge {
        width: usize,
        height: usize,
        pixels: usize,
        limit: usize,
    },

    /// Tiling could not plan or assemble the frame.
    #[error("tiling: {0}")]
    Tiling(String),

    #[error("render cancelled by the host")]
    Aborted,
}

impl ActionError for Error {
    fn status(&self) -> Status {
        match self {
            Error::Ofx(e) => e.status(),
            Error::UnsupportedImage(_) => Status::ERR_IMAGE_FORMAT,
            Error::FrameTooLarge { .. } | Error::OutOfMemory { .. } => Status::ERR_MEMORY,
            Error::Runtime { .. } => Status::ERR_MISSING_HOST_FEATURE,
            // An abort is the host's own request: failing the render is the expected answer.
            _ => Status::FAILED,
        }
    }

    fn user_message(&self) -> String {
        format!("onnxfx: {self}")
    }
}
