//! A loaded model: its ONNX Runtime session (on the provider the artist asked for, or the CPU), what the
//! graph declares (ONNX Runtime's view: real inputs only), and its description (manifest, sidecar, ONNX
//! image keys). Runs take plain tensors; what the tensors mean is the pipeline's business.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use half::f16;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::{Session, SessionInputValue};
use ort::value::{DynValue, Tensor, TensorElementType, TensorRef, ValueType};

use super::providers::{self, Device, Precision, ProviderChoice};
use crate::error::{Error, Result};
use crate::manifest::{Dim, ElemType, GraphInfo, GraphTensor, ModelDescription};

/// How a model was asked to run: part of the cache key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RunOptions {
    pub device: Device,
    pub precision: Precision,
}

/// A tensor's data with its shape, as the runtime takes and gives it (float32 on our side; float16
/// tensors are converted at the boundary).
#[derive(Debug, Clone, PartialEq)]
pub struct TensorData {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// The output shapes a probe measured, or why it failed.
type ProbeResult = std::result::Result<Vec<Vec<usize>>, String>;

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
    /// The graph as ONNX Runtime sees it.
    pub graph: GraphInfo,
    /// The model's description, read once; resolved against the parameters at each render.
    pub description: ModelDescription,
    /// Element type of each input and output, by name.
    elements: HashMap<String, TensorElementType>,
    /// Scale factors measured by running the model (`probe_scale`), per probe input shape.
    probes: Mutex<HashMap<Vec<usize>, ProbeResult>>,
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

/// ONNX's `TensorProto.DataType` code for an element type, for the manifest's graph view.
fn onnx_code(ty: TensorElementType) -> i32 {
    match ty {
        TensorElementType::Float32 => 1,
        TensorElementType::Uint8 => 2,
        TensorElementType::Int8 => 3,
        TensorElementType::Uint16 => 4,
        TensorElementType::Int16 => 5,
        TensorElementType::Int32 => 6,
        TensorElementType::Int64 => 7,
        TensorElementType::String => 8,
        TensorElementType::Bool => 9,
        TensorElementType::Float16 => 10,
        TensorElementType::Float64 => 11,
        TensorElementType::Uint32 => 12,
        TensorElementType::Uint64 => 13,
        TensorElementType::Bfloat16 => 16,
        _ => 0,
    }
}

fn graph_tensor(name: &str, value: &ValueType) -> (GraphTensor, Option<TensorElementType>) {
    match value {
        ValueType::Tensor {
            ty,
            shape,
            dimension_symbols,
        } => {
            let dims = shape
                .iter()
                .zip(dimension_symbols.iter())
                .map(|(v, s)| Dim::from_value_and_symbol(*v, s))
                .collect();
            (
                GraphTensor::new(name, Some(ElemType(onnx_code(*ty))), Some(dims)),
                Some(*ty),
            )
        }
        _ => (GraphTensor::new(name, None, None), None),
    }
}

/// What a session's graph declares (ONNX Runtime's view: real inputs only), and the element type of
/// each tensor by name. Also used by the benchmarks to read a model's contract as the plugin does.
pub fn graph_of(session: &Session) -> (GraphInfo, HashMap<String, TensorElementType>) {
    let mut graph = GraphInfo::default();
    let mut elements = HashMap::new();
    for outlet in session.inputs() {
        let (tensor, ty) = graph_tensor(outlet.name(), outlet.dtype());
        elements.extend(ty.map(|ty| (tensor.name.clone(), ty)));
        graph.inputs.push(tensor);
    }
    for outlet in session.outputs() {
        let (tensor, ty) = graph_tensor(outlet.name(), outlet.dtype());
        elements.extend(ty.map(|ty| (tensor.name.clone(), ty)));
        graph.outputs.push(tensor);
    }
    (graph, elements)
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
    /// Reads the model's description, loads it into a session on the providers `options` ask for, and
    /// records what the graph declares.
    pub fn load(path: &Path, options: RunOptions) -> Result<ImageModel> {
        let description = ModelDescription::read(path)?;
        let runner = build_session(path, options)?;
        let (mut graph, elements) = graph_of(&runner.session);
        graph.name = description.graph.as_ref().and_then(|g| g.name.clone());
        let description = description.with_graph(graph.clone());
        tracing::info!(
            "loaded model {} on {}",
            path.display(),
            runner.provider.name
        );
        for note in &runner.provider.notes {
            tracing::warn!("{}: {note}", path.display());
        }
        Ok(ImageModel {
            path: path.to_owned(),
            options,
            runner: Mutex::new(runner),
            graph,
            description,
            elements,
            probes: Mutex::new(HashMap::new()),
        })
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

    /// Checks that a tensor the pipeline reads or writes is float32 or float16.
    pub fn check_element(&self, name: &str) -> Result<()> {
        match self.elements.get(name) {
            Some(TensorElementType::Float32 | TensorElementType::Float16) => Ok(()),
            other => Err(Error::ModelUnsupported {
                path: self.path.clone(),
                reason: format!(
                    "tensor '{name}' has element type {}; this node exchanges float32 or float16 images",
                    other.map_or_else(|| "none (not a tensor)".to_owned(), |t| format!("{t:?}"))
                ),
            }),
        }
    }

    /// Runs the model on one input tensor and returns copies of the named outputs, in order.
    pub fn run(
        &self,
        input_name: &str,
        input: &TensorData,
        outputs: &[&str],
    ) -> Result<Vec<TensorData>> {
        let mut copies = Vec::with_capacity(outputs.len());
        self.run_with(
            input_name,
            &input.shape,
            &input.data,
            outputs,
            &mut |_, shape, data| {
                copies.push(TensorData {
                    shape: shape.to_vec(),
                    data: data.to_vec(),
                });
                Ok(())
            },
        )?;
        Ok(copies)
    }

    /// Runs the model on one input tensor (read in place) and hands each named output, in order, to
    /// `consume` while the runtime still holds it: no copy of the outputs (float16 ones are converted).
    /// A GPU that fails at run time (out of memory, driver error) is replaced by the CPU for this and
    /// every later run of the model, with a note in the provider's reasons.
    pub fn run_with(
        &self,
        input_name: &str,
        shape: &[usize],
        data: &[f32],
        outputs: &[&str],
        consume: &mut OutputSink<'_>,
    ) -> Result<()> {
        let input = NamedInput {
            name: input_name,
            shape,
            data: InputData::F32(data),
        };
        self.run_inputs(&[input], outputs, consume)
    }

    /// Runs the model on several named inputs (float32 ones are converted for float16 graphs) and hands
    /// each named output, in order, to `consume`, as [`ImageModel::run_with`] does for one input.
    pub fn run_inputs(
        &self,
        inputs: &[NamedInput<'_>],
        outputs: &[&str],
        consume: &mut OutputSink<'_>,
    ) -> Result<()> {
        let shape_text = inputs
            .iter()
            .map(|i| format_shape(&i.shape.iter().map(|d| as_dim(*d)).collect::<Vec<_>>()))
            .collect::<Vec<_>>()
            .join(" + ");
        let failed = |reason: String, device: &str| {
            // ONNX Runtime's messages end with a newline; ours go on after them.
            let reason = reason.trim_end().to_owned();
            if is_out_of_memory(&reason) {
                Error::OutOfMemory {
                    path: self.path.clone(),
                    shape: shape_text.clone(),
                    device: device.to_owned(),
                    reason,
                }
            } else {
                Error::Inference {
                    path: self.path.clone(),
                    shape: shape_text.clone(),
                    reason,
                }
            }
        };
        let mut attempt =
            |session: &mut Session| self.run_on(session, inputs, outputs, &mut *consume);
        let mut runner = self.runner.lock().unwrap_or_else(PoisonError::into_inner);
        match attempt(&mut runner.session) {
            Ok(()) => Ok(()),
            Err(Failure::Run(reason)) if !runner.provider.is_cpu() => {
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
                attempt(&mut runner.session).map_err(|f| failed(f.into_reason(), "the CPU"))
            }
            Err(f) => Err(failed(f.into_reason(), &device_name(runner.provider.name))),
        }
    }

    /// The element type the graph declares for a tensor, if it is one.
    pub fn element_type(&self, name: &str) -> Option<TensorElementType> {
        self.elements.get(name).copied()
    }

    fn run_on(
        &self,
        session: &mut Session,
        inputs: &[NamedInput<'_>],
        outputs: &[&str],
        consume: &mut OutputSink<'_>,
    ) -> std::result::Result<(), Failure> {
        let prepare = |e: ort::Error| Failure::Run(e.to_string());
        let mut feed: Vec<(std::borrow::Cow<'_, str>, SessionInputValue<'_>)> =
            Vec::with_capacity(inputs.len());
        for input in inputs {
            let shape = input.shape.to_vec();
            let value: SessionInputValue<'_> = match (input.data, self.elements.get(input.name)) {
                (InputData::F32(data), Some(TensorElementType::Float16)) => {
                    let halves: Vec<f16> = data.iter().map(|v| f16::from_f32(*v)).collect();
                    Tensor::from_array((shape, halves)).map_err(prepare)?.into()
                }
                (InputData::F32(data), _) => TensorRef::from_array_view((shape, data))
                    .map_err(prepare)?
                    .into(),
                (InputData::I64(data), Some(TensorElementType::Int32)) => {
                    let narrow: Vec<i32> = data
                        .iter()
                        .map(|v| i32::try_from(*v).unwrap_or(i32::MAX))
                        .collect();
                    Tensor::from_array((shape, narrow)).map_err(prepare)?.into()
                }
                (InputData::I64(data), _) => TensorRef::from_array_view((shape, data))
                    .map_err(prepare)?
                    .into(),
                (InputData::Str(data), _) => Tensor::from_string_array((shape, data))
                    .map_err(prepare)?
                    .into(),
            };
            feed.push((std::borrow::Cow::Borrowed(input.name), value));
        }
        let results = session.run(feed).map_err(prepare)?;
        for (index, name) in outputs.iter().enumerate() {
            let value = results.get(*name).ok_or_else(|| {
                Failure::Output(format!("the output '{name}' is missing from the results"))
            })?;
            with_f32_view(value, &mut |shape, data| consume(index, shape, data))
                .map_err(Failure::Output)?;
        }
        Ok(())
    }

    /// The shapes of the named outputs for an input of `shape` (zeros), measured once per shape: how
    /// the pipeline learns a model's scale when neither the graph nor the manifest states it.
    pub fn probe(
        &self,
        input_name: &str,
        shape: &[usize],
        outputs: &[&str],
    ) -> Result<Vec<Vec<usize>>> {
        let mut probes = self.probes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = probes.get(shape) {
            return known.clone().map_err(|reason| Error::ModelOutput {
                path: self.path.clone(),
                reason,
            });
        }
        let input = TensorData {
            shape: shape.to_vec(),
            data: vec![0.0; shape.iter().product()],
        };
        let measured = self
            .run(input_name, &input, outputs)
            .map(|out| out.into_iter().map(|t| t.shape).collect::<Vec<_>>())
            .map_err(|e| e.to_string());
        probes.insert(shape.to_vec(), measured.clone());
        measured.map_err(|reason| Error::ModelOutput {
            path: self.path.clone(),
            reason,
        })
    }
}

/// The values of one named input of a run, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum InputData<'a> {
    /// Float values (converted for float16 graphs).
    F32(&'a [f32]),
    /// Integer values, such as token ids (narrowed for int32 graphs).
    I64(&'a [i64]),
    /// Text (string tensors).
    Str(&'a [String]),
}

/// One input of a run: the graph's tensor name, its shape and its values.
#[derive(Debug, Clone, Copy)]
pub struct NamedInput<'a> {
    pub name: &'a str,
    pub shape: &'a [usize],
    pub data: InputData<'a>,
}

/// Receives output `index` of a run as (shape, values); an error says why the values do not fit.
pub type OutputSink<'a> =
    dyn FnMut(usize, &[usize], &[f32]) -> std::result::Result<(), String> + 'a;

/// Receives one tensor as (shape, values).
type TensorSink<'a> = dyn FnMut(&[usize], &[f32]) -> std::result::Result<(), String> + 'a;

/// Why a run failed: the runtime refused (worth retrying on the CPU), or its outputs did not fit.
enum Failure {
    Run(String),
    Output(String),
}

impl Failure {
    fn into_reason(self) -> String {
        match self {
            Failure::Run(reason) | Failure::Output(reason) => reason,
        }
    }
}

/// Hands an output tensor to `f` as float32 (in place, or converted from float16).
fn with_f32_view(value: &DynValue, f: &mut TensorSink<'_>) -> std::result::Result<(), String> {
    let dims = |shape: &[i64]| {
        shape
            .iter()
            .map(|d| usize::try_from(*d).map_err(|_| format!("negative dimension {d}")))
            .collect::<std::result::Result<Vec<usize>, String>>()
    };
    match value.try_extract_tensor::<f32>() {
        Ok((shape, data)) => f(&dims(shape)?, data),
        Err(_) => {
            let (shape, data) = value
                .try_extract_tensor::<f16>()
                .map_err(|e| e.to_string())?;
            let converted: Vec<f32> = data.iter().map(|v| v.to_f32()).collect();
            f(&dims(shape)?, &converted)
        }
    }
}

fn as_dim(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Whether ONNX Runtime's message says an allocation failed: its CPU arena ("Failed to allocate
/// memory"), the C++ allocator, CUDA and DirectML each word it their own way.
fn is_out_of_memory(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    [
        "failed to allocate memory",
        "bad_alloc",
        "out of memory",
        "cudaerrormemoryallocation",
        "e_outofmemory",
    ]
    .iter()
    .any(|needle| reason.contains(needle))
}

/// The device an execution provider runs on, for messages.
fn device_name(provider: &str) -> String {
    if provider.eq_ignore_ascii_case("cpu") {
        "the CPU".to_owned()
    } else {
        format!("the GPU ({provider})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_failures_are_recognised_in_each_providers_words() {
        for reason in [
            "bfc_arena.cc:360 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, \
             onnxruntime::Stream*) Failed to allocate memory for requested buffer of size 3570334",
            "std::bad_alloc",
            "CUDA failure 2: out of memory ; GPU=0",
            "cudaErrorMemoryAllocation",
            "DirectML: E_OUTOFMEMORY",
        ] {
            assert!(is_out_of_memory(reason), "{reason}");
        }
        assert!(!is_out_of_memory(
            "Non-zero status code returned while running Reshape node"
        ));
    }
}
