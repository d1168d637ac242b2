//! An image model: an ONNX Runtime session plus the contract this node drives it by (one NCHW image
//! input of float32 or float16, an NCHW image output of float32 or float16 whose size is a whole multiple
//! of the input's), checked when the model loads so that a wrong model fails with a sentence naming the
//! tensor and its shape.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use half::f16;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::{Session, SessionOutputs};
use ort::value::{TensorElementType, TensorRef, ValueType};

use super::providers::{self, Device, Precision, ProviderChoice};
use crate::error::{Error, Result};
use crate::pixels::Planar;
use crate::pixels::channels::OUTPUT_CHANNELS;

/// The element types the node converts to and from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    Float32,
    Float16,
}

impl Element {
    fn of(ty: TensorElementType) -> Option<Element> {
        match ty {
            TensorElementType::Float32 => Some(Element::Float32),
            TensorElementType::Float16 => Some(Element::Float16),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Element::Float32 => "float32",
            Element::Float16 => "float16",
        }
    }
}

/// What the model's image input accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    pub name: String,
    pub element: Element,
    /// 1, 3 or 4 (3 when the graph leaves it dynamic).
    pub channels: usize,
    /// `Some((height, width))` when the graph fixes the spatial size.
    pub fixed_size: Option<(usize, usize)>,
    /// The declared shape, `-1` for dynamic dimensions, for messages.
    pub shape: Vec<i64>,
}

/// The output the node reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub name: String,
    pub element: Element,
    pub shape: Vec<i64>,
    /// Every output's name, in order; the node reads the first.
    pub all_names: Vec<String>,
}

/// How a model was asked to run: part of the cache key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RunOptions {
    pub device: Device,
    pub precision: Precision,
}

/// A session and the provider it runs on.
struct Runner {
    session: Session,
    provider: ProviderChoice,
}

pub struct ImageModel {
    path: PathBuf,
    options: RunOptions,
    /// `Session::run` needs `&mut`: concurrent renders of one model take turns, each run using the whole
    /// shared thread pool. Replaced by a CPU session if the GPU fails at run time.
    runner: Mutex<Runner>,
    pub input: InputSpec,
    pub output: OutputSpec,
    /// The model's own metadata (`metadata_props`), for model manifests.
    pub metadata: Vec<(String, String)>,
    /// The spatial scale factor, found by running the model once on a small input.
    scale: OnceLock<std::result::Result<usize, String>>,
}

/// Formats a shape as `[1, 3, ?, ?]`.
pub fn format_shape(shape: &[i64]) -> String {
    let dims: Vec<String> = shape
        .iter()
        .map(|d| {
            if *d < 0 {
                "?".to_owned()
            } else {
                d.to_string()
            }
        })
        .collect();
    format!("[{}]", dims.join(", "))
}

fn tensor_info(value: &ValueType) -> Option<(TensorElementType, Vec<i64>)> {
    match value {
        ValueType::Tensor { ty, shape, .. } => Some((*ty, shape.to_vec())),
        _ => None,
    }
}

/// A session for `path` on the providers `options` ask for.
fn build_session(path: &Path, options: RunOptions) -> Result<Runner> {
    let env = super::runtime::environment()?;
    let load_error = |e: ort::Error| Error::ModelLoad {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let mut builder = Session::builder(env)
        .map_err(load_error)?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(|e| load_error(ort::Error::<()>::from(e)))?;
    let provider = providers::configure(&mut builder, options.device, options.precision);
    let session = builder.commit_from_file(path).map_err(load_error)?;
    Ok(Runner { session, provider })
}

impl ImageModel {
    /// Loads the model into a session on the providers `options` ask for, and checks its inputs and
    /// outputs.
    pub fn load(path: &Path, options: RunOptions) -> Result<ImageModel> {
        let runner = build_session(path, options)?;
        let (input, output) = Self::check_contract(path, &runner.session)?;
        let metadata = read_metadata(&runner.session);
        tracing::info!(
            "loaded model {} on {}: {} -> {}",
            path.display(),
            runner.provider.name,
            format_shape(&input.shape),
            format_shape(&output.shape)
        );
        for note in &runner.provider.notes {
            tracing::warn!("{}: {note}", path.display());
        }
        Ok(ImageModel {
            path: path.to_owned(),
            options,
            runner: Mutex::new(runner),
            input,
            output,
            metadata,
            scale: OnceLock::new(),
        })
    }

    fn check_contract(path: &Path, session: &Session) -> Result<(InputSpec, OutputSpec)> {
        let unsupported = |reason: String| Error::ModelUnsupported {
            path: path.to_owned(),
            reason,
        };
        let inputs = session.inputs();
        let [input] = inputs else {
            let names: Vec<&str> = inputs.iter().map(|i| i.name()).collect();
            return Err(unsupported(format!(
                "it has {} inputs ({}); this node feeds exactly one image input",
                inputs.len(),
                names.join(", ")
            )));
        };
        let name = input.name().to_owned();
        let (ty, shape) = tensor_info(input.dtype()).ok_or_else(|| {
            unsupported(format!(
                "input '{name}' is not a tensor ({:?})",
                input.dtype()
            ))
        })?;
        let expected =
            "an image tensor [N, C, H, W] of float32 or float16 with N = 1 and C = 1, 3 or 4";
        let element = Element::of(ty).ok_or_else(|| {
            unsupported(format!(
                "input '{name}' has element type {ty:?} {}; expected {expected}",
                format_shape(&shape)
            ))
        })?;
        let &[n, c, h, w] = shape.as_slice() else {
            return Err(unsupported(format!(
                "input '{name}' has shape {}; expected {expected}",
                format_shape(&shape)
            )));
        };
        if n > 1 || n == 0 || [1, 3, 4, -1].iter().all(|ok| *ok != c) {
            return Err(unsupported(format!(
                "input '{name}' has shape {}; expected {expected}",
                format_shape(&shape)
            )));
        }
        let channels = usize::try_from(c).unwrap_or(3);
        let fixed_size = match (usize::try_from(h), usize::try_from(w)) {
            (Ok(h), Ok(w)) if h > 0 && w > 0 => Some((h, w)),
            _ => None,
        };
        let input = InputSpec {
            name,
            element,
            channels,
            fixed_size,
            shape,
        };

        let outputs = session.outputs();
        let first = outputs
            .first()
            .ok_or_else(|| unsupported("it has no outputs".into()))?;
        let out_name = first.name().to_owned();
        let (ty, out_shape) = tensor_info(first.dtype()).ok_or_else(|| {
            unsupported(format!(
                "output '{out_name}' is not a tensor ({:?})",
                first.dtype()
            ))
        })?;
        let out_element = Element::of(ty).filter(|_| out_shape.len() == 4).ok_or_else(|| {
            unsupported(format!(
                "output '{out_name}' is {ty:?} {}; expected a float32 or float16 image tensor [1, C, H, W]",
                format_shape(&out_shape)
            ))
        })?;
        let output = OutputSpec {
            name: out_name,
            element: out_element,
            shape: out_shape,
            all_names: outputs.iter().map(|o| o.name().to_owned()).collect(),
        };
        Ok((input, output))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn options(&self) -> RunOptions {
        self.options
    }

    /// The provider the model runs on now, and why it is not the one asked for.
    pub fn provider(&self) -> ProviderChoice {
        self.runner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .provider
            .clone()
    }

    /// How many times larger than its input the model's output is (1 for same-size models, 2 for a x2
    /// upscaler), found once by running the model on a small black image.
    pub fn scale(&self) -> Result<usize> {
        let result = self.scale.get_or_init(|| self.probe_scale());
        result.clone().map_err(|reason| Error::ModelOutput {
            path: self.path.clone(),
            reason,
        })
    }

    fn probe_scale(&self) -> std::result::Result<usize, String> {
        // 64 is a multiple of every stride common image networks need.
        let (h, w) = self.input.fixed_size.unwrap_or((64, 64));
        let probe = Planar::zeros(self.input.channels, w, h);
        let out = self.run(&probe).map_err(|e| e.to_string())?;
        let scale = out.height / h;
        let out_shape = format_shape(&[
            1,
            as_dim(out.channels),
            as_dim(out.height),
            as_dim(out.width),
        ]);
        if scale == 0 || out.height != h * scale || out.width != w * scale {
            return Err(format!(
                "output '{}' is {out_shape} for a {} input; the output must be the input's size times a whole factor",
                self.output.name,
                format_shape(&[1, as_dim(probe.channels), as_dim(h), as_dim(w)])
            ));
        }
        if !OUTPUT_CHANNELS.contains(&out.channels) {
            return Err(format!(
                "output '{}' has {} channels {out_shape}; expected 1, 3 or 4",
                self.output.name, out.channels
            ));
        }
        Ok(scale)
    }

    /// Runs the model on one planar image (`[1, C, H, W]`) and returns its first output as a planar image.
    /// A GPU that fails at run time (out of memory, driver error) is replaced by the CPU for this and every
    /// later run of the model, with a note in the provider's reasons.
    pub fn run(&self, input: &Planar) -> Result<Planar> {
        let shape = input.tensor_shape();
        let shape_text = format_shape(&shape.map(as_dim));
        let failed = |reason: String| Error::Inference {
            path: self.path.clone(),
            shape: shape_text.clone(),
            reason,
        };
        let mut runner = self.runner.lock().unwrap_or_else(PoisonError::into_inner);
        match self.run_on(&mut runner.session, input) {
            Ok(planar) => Ok(planar),
            Err(reason) if !runner.provider.is_cpu() => {
                let gpu = runner.provider.name;
                tracing::warn!(
                    "{}: {gpu} failed ({reason}); retrying on the CPU",
                    self.path.display()
                );
                let cpu_options = RunOptions {
                    device: Device::Cpu,
                    precision: Precision::Float32,
                };
                let mut cpu = build_session(&self.path, cpu_options)?;
                cpu.provider.notes = runner.provider.notes.clone();
                cpu.provider.notes.push(format!(
                    "{gpu} failed at run time ({reason}); running on the CPU"
                ));
                *runner = cpu;
                self.run_on(&mut runner.session, input).map_err(failed)
            }
            Err(reason) => Err(failed(reason)),
        }
    }

    fn run_on(&self, session: &mut Session, input: &Planar) -> std::result::Result<Planar, String> {
        let shape = input.tensor_shape();
        let name = self.input.name.as_str();
        let outputs = match self.input.element {
            Element::Float32 => {
                let tensor = TensorRef::from_array_view((shape, input.data.as_slice()))
                    .map_err(|e| e.to_string())?;
                session.run(ort::inputs![name => tensor])
            }
            Element::Float16 => {
                let halves: Vec<f16> = input.data.iter().map(|v| f16::from_f32(*v)).collect();
                let tensor = TensorRef::from_array_view((shape, halves.as_slice()))
                    .map_err(|e| e.to_string())?;
                session.run(ort::inputs![name => tensor])
            }
        }
        .map_err(|e| e.to_string())?;
        self.first_output(&outputs)
    }

    fn first_output(&self, outputs: &SessionOutputs<'_>) -> std::result::Result<Planar, String> {
        let value = outputs.get(&self.output.name).ok_or_else(|| {
            format!(
                "the output '{}' is missing from the results",
                self.output.name
            )
        })?;
        let (out_shape, data) = match self.output.element {
            Element::Float32 => {
                let (shape, data) = value
                    .try_extract_tensor::<f32>()
                    .map_err(|e| e.to_string())?;
                (shape.to_vec(), data.to_vec())
            }
            Element::Float16 => {
                let (shape, data) = value
                    .try_extract_tensor::<f16>()
                    .map_err(|e| e.to_string())?;
                (shape.to_vec(), data.iter().map(|v| v.to_f32()).collect())
            }
        };
        let dims: Vec<usize> = out_shape
            .iter()
            .map(|d| usize::try_from(*d).unwrap_or(0))
            .collect();
        let &[1, channels, height, width] = dims.as_slice() else {
            return Err(format!(
                "output '{}' has shape {}; expected [1, C, H, W]",
                self.output.name,
                format_shape(&out_shape)
            ));
        };
        Ok(Planar {
            channels,
            width,
            height,
            data,
        })
    }

    /// One line for the node's info field: the tensors, the scale and the provider.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "input '{}' {} {} -> output '{}' {} {}",
            self.input.name,
            format_shape(&self.input.shape),
            self.input.element.name(),
            self.output.name,
            format_shape(&self.output.shape),
            self.output.element.name()
        );
        match self.scale() {
            Ok(scale) => {
                let _ = write!(text, ", scale x{scale}");
            }
            Err(e) => {
                let _ = write!(text, " ({e})");
            }
        }
        if self.output.all_names.len() > 1 {
            let _ = write!(
                text,
                "; other outputs ignored: {}",
                self.output.all_names[1..].join(", ")
            );
        }
        let provider = self.provider();
        let _ = write!(
            text,
            "; runs on {}{}",
            provider.name,
            if provider.float16 { " (float16)" } else { "" }
        );
        for note in &provider.notes {
            let _ = write!(text, "; {note}");
        }
        text
    }
}

/// The model's custom metadata, as ONNX Runtime reads it from `metadata_props`.
fn read_metadata(session: &Session) -> Vec<(String, String)> {
    let Ok(metadata) = session.metadata() else {
        return Vec::new();
    };
    let keys = metadata.custom_keys().unwrap_or_default();
    keys.into_iter()
        .filter_map(|k| metadata.custom(&k).map(|v| (k, v)))
        .collect()
}

fn as_dim(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
