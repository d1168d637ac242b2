//! The pixel pipeline, independent of OFX handles: host rows (any depth, RGBA/RGB/Alpha) ⇄ a planar RGBA
//! float buffer ⇄ the model's channel layout.
//!
//! Data walks one way: host rows → [`read::read_rgba`] → [`Planar`] RGBA → [`channels::model_input`] →
//! tensor → session → tensor → [`channels::compose_output`] (alpha, mix) → [`write::write_rgba`] → host rows.

pub mod alpha;
pub mod channels;
pub mod colour;
pub mod planar;
pub mod read;
pub mod sample;
pub mod write;

pub use planar::Planar;
