//! One module per effect: what it declares and the thin glue from its render action to the pixel
//! pipeline and the engine. [`common`] holds the glue they share, [`model_info`] the info field of a
//! model node, [`zoo`] the models the bundle ships.

pub mod common;
pub mod denoise;
pub mod generative;
pub mod inference;
pub mod inputs;
pub mod matte;
pub mod model_info;
pub mod params;
pub mod upscale;
pub mod zoo;
