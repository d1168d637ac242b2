//! Pixels, independent of OFX handles: host rows (any depth, RGBA/RGB/Alpha) ⇄ a planar RGBA float
//! buffer ([`read`], [`write`], [`sample`]); colour encodings and the HDR policy ([`colour`]);
//! premultiplication and bad values ([`alpha`]); the model's channels, range and layout ([`tensor`]);
//! resampling ([`resize`]).
//! `crate::pipeline` strings them together per tile.

pub mod alpha;
pub mod colour;
pub mod planar;
pub mod pool;
pub mod read;
pub mod resize;
pub mod sample;
pub mod tensor;
pub mod write;

pub use planar::Planar;
