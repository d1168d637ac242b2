//! onnxfx: ONNX image models as OpenFX effects.
//!
//! - [`effects`]: one module per effect (what it declares, thin render glue).
//! - [`pixels`]: host rows ⇄ planar float ⇄ model channels.
//! - [`engine`]: the bundled ONNX Runtime, image models, the session cache.
//!
//! All `unsafe` lives in `ofx-sdk`; this crate is safe Rust.
#![forbid(unsafe_code)]

pub mod diffusion;
pub mod effects;
pub mod engine;
pub mod error;
pub mod logging;
pub mod manifest;
pub mod pipeline;
pub mod pixels;
pub mod tiling;

pub use error::{Error, Result};

ofx_sdk::ofx_export!(
    effects::inference::Inference,
    effects::upscale::Upscale,
    effects::denoise::Denoise,
    effects::matte::Matte,
    effects::generative::Generative
);
