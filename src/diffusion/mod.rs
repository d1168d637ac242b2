//! Diffusion pipelines exported to ONNX (Stable-Diffusion class, Optimum's directory layout): the
//! schedulers ([`scheduler`]), the prompt tokenizer ([`tokenizer`]), the noise ([`noise`]) and the
//! img2img / inpainting loop ([`pipeline`]). Nothing here knows about OFX handles; the Generative effect
//! (`effects/generative.rs`) drives it.

pub mod noise;
pub mod pipeline;
pub mod scheduler;
pub mod tokenizer;

pub use noise::{NoisePurpose, NoiseSource, QueuedNoise, SeededNoise};
pub use pipeline::{DiffusionPipeline, Mode, Observer, Quiet, Request};
pub use scheduler::{Scheduler, SchedulerConfig, SchedulerKind};
