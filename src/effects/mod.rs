//! One module per effect: what it declares and the thin glue from its render action to the pixel
//! pipeline and the engine.

pub mod generative;
pub mod inference;
pub mod inputs;
pub mod params;
