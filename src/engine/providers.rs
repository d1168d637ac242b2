//! Execution providers: where a session runs. The artist asks for "GPU if available" and a precision;
//! this module registers the best provider the bundled runtime has (TensorRT, then CUDA on Linux and
//! Windows; DirectML on Windows; CoreML on macOS) and, when none can be used, falls back to the CPU with
//! notes that say why, for the node's info field and message.

use ort::ep::{self, ExecutionProviderDispatch};
use ort::session::builder::SessionBuilder;

/// Where the artist wants the model to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Device {
    #[default]
    Cpu,
    /// The best GPU provider available, else the CPU.
    Gpu,
}

/// The arithmetic the artist asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    #[default]
    Float32,
    /// Half precision where the provider can convert the model (TensorRT) or the model is float16.
    Float16,
}

/// The provider a session got, and why it is not the one asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderChoice {
    /// "CPU", "TensorRT", "CUDA", "DirectML", "CoreML".
    pub name: &'static str,
    /// Whether the provider computes in float16 (TensorRT with its fp16 flag).
    pub float16: bool,
    /// Why a requested provider or precision could not be used; empty when all went as asked.
    pub notes: Vec<String>,
}

impl ProviderChoice {
    pub fn is_cpu(&self) -> bool {
        self.name == "CPU"
    }
}

/// The GPU providers to try, best first, with the library each needs inside the bundle.
fn gpu_candidates(
    precision: Precision,
) -> Vec<(&'static str, &'static str, ExecutionProviderDispatch)> {
    let fp16 = precision == Precision::Float16;
    #[allow(unused_mut)]
    let mut candidates = vec![
        (
            "TensorRT",
            "libonnxruntime_providers_tensorrt",
            ep::TensorRT::default().with_fp16(fp16).build(),
        ),
        (
            "CUDA",
            "libonnxruntime_providers_cuda",
            ep::CUDA::default().build(),
        ),
    ];
    #[cfg(target_os = "windows")]
    candidates.push(("DirectML", "DirectML.dll", ep::DirectML::default().build()));
    #[cfg(target_os = "macos")]
    candidates.insert(
        0,
        (
            "CoreML",
            "the CoreML framework",
            ep::CoreML::default().build(),
        ),
    );
    candidates
}

/// Registers providers on `builder` for `device` and `precision`; the CPU provider is always there as the
/// last resort, so this never fails.
pub fn configure(
    builder: &mut SessionBuilder,
    device: Device,
    precision: Precision,
) -> ProviderChoice {
    let mut notes = Vec::new();
    if device == Device::Gpu {
        for (name, library, provider) in gpu_candidates(precision) {
            match provider.register(builder) {
                Ok(()) => {
                    let float16 = precision == Precision::Float16 && name == "TensorRT";
                    if precision == Precision::Float16 && !float16 {
                        notes.push(format!("{name} runs the model in its own precision (float16 needs TensorRT or a float16 model)"));
                    }
                    return ProviderChoice {
                        name,
                        float16,
                        notes,
                    };
                }
                Err(e) => notes.push(unavailable(name, library, &e.to_string())),
            }
        }
        notes.push("no GPU provider could be used: running on the CPU".to_owned());
    }
    if precision == Precision::Float16 {
        notes.push("the CPU provider computes in float32".to_owned());
    }
    ProviderChoice {
        name: "CPU",
        float16: false,
        notes,
    }
}

/// A short reason for a provider that could not be registered.
fn unavailable(name: &str, library: &str, error: &str) -> String {
    let first_line = error.lines().next().unwrap_or(error);
    if first_line.contains("not available")
        || first_line.contains("was not compiled")
        || first_line.contains("not enabled")
    {
        format!("{name} is not in the bundled ONNX Runtime ({library} is missing from the bundle)")
    } else {
        format!("{name} could not start: {first_line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_provider_and_the_cause() {
        let missing = unavailable(
            "CUDA",
            "libonnxruntime_providers_cuda",
            "CUDA execution provider is not available",
        );
        assert!(
            missing.contains("CUDA is not in the bundled ONNX Runtime")
                && missing.contains("providers_cuda")
        );
        let failed = unavailable("CUDA", "x", "CUDA failure 2: out of memory\nmore");
        assert_eq!(
            failed,
            "CUDA could not start: CUDA failure 2: out of memory"
        );
    }
}
