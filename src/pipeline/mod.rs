//! A frame through a model: [`spec`] settles the model's contract for the render (resolved manifest,
//! scale, tiling), [`frame`] runs the tiles. The effect glue supplies host pixels and progress; nothing
//! here touches OFX handles.

pub mod frame;
pub mod spec;

pub use frame::{FrameIo, FrameOptions, FrameOutput};
pub use spec::{ExtraInput, FrameSpec, Value, frame_spec};
