//! Inference: the ONNX Runtime library loaded from inside the bundle ([`runtime`]), the execution
//! providers ([`providers`]), image models with their input/output contract ([`model`]), and the
//! process-wide session cache ([`cache`]). Nothing here knows about OFX handles.

pub mod cache;
pub mod model;
pub mod providers;
pub mod runtime;

pub use cache::model;
pub use model::{ImageModel, InputData, NamedInput, RunOptions};
pub use providers::{Device, Precision};
