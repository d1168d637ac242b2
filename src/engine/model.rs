//! An image model: an ONNX Runtime session plus the contract this node drives it by (one float32 NCHW
//! image input, a float32 NCHW image output whose size is a whole multiple of the input's), checked when
//! the model loads so that a wrong model fails with a sentence naming the tensor and its shape.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::{TensorElementType, TensorRef, ValueType};

use crate::error::{Error, Result};
use crate::pixels::Planar;
use crate::pixels::channels::OUTPUT_CHANNELS;

/// What the model's image input accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    pub name: String,
    /// 1, 3 or 4 (3 when the graph leaves it dynamic).
    pub channels: usize,
    /// `Some` when the graph fixes the spatial size.
    pub fixed_size: Option<(usize, usize)>,
    /// The declared shape, `-1` for dynamic dimensions, for messages.
    pub shape: Vec<i64>,
}

/// The output the node reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub name: String,
    pub shape: Vec<i64>,
    /// Every output's name, in order; the node reads the first.
    pub all_names: Vec<String>,
}

pub struct ImageModel {
    path: PathBuf,
    /// `Session::run` needs `&mut`; concurrent renders of the same model take turns (each run already
    /// uses every core through ONNX Runtime's own thread pool).
    session: Mutex<Session>,
    pub input: InputSpec,
    pub output: OutputSpec,
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

impl ImageModel {
    /// Loads the model into a session and checks its inputs and outputs.
    pub fn load(path: &Path) -> Result<ImageModel> {
        let env = super::runtime::environment()?;
        let load_error = |e: ort::Error| Error::ModelLoad {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let session = Session::builder(env)
            .map_err(load_error)?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| load_error(ort::Error::<()>::from(e)))?
            .commit_from_file(path)
            .map_err(load_error)?;
        let (input, output) = Self::check_contract(path, &session)?;
        tracing::info!(
            "loaded model {}: {} -> {}",
            path.display(),
            format_shape(&input.shape),
            format_shape(&output.shape)
        );
        Ok(ImageModel {
            path: path.to_owned(),
            session: Mutex::new(session),
            input,
            output,
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
        let expected = "an image tensor [N, C, H, W] of float32 with N = 1 and C = 1, 3 or 4";
        if ty != TensorElementType::Float32 {
            return Err(unsupported(format!(
                "input '{name}' has element type {ty:?} {}; expected {expected}",
                format_shape(&shape)
            )));
        }
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
        if ty != TensorElementType::Float32 || out_shape.len() != 4 {
            return Err(unsupported(format!(
                "output '{out_name}' is {ty:?} {}; expected a float32 image tensor [1, C, H, W]",
                format_shape(&out_shape)
            )));
        }
        let output = OutputSpec {
            name: out_name,
            shape: out_shape,
            all_names: outputs.iter().map(|o| o.name().to_owned()).collect(),
        };
        Ok((input, output))
    }

    pub fn path(&self) -> &Path {
        &self.path
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
        if scale == 0 || out.height != h * scale || out.width != w * scale {
            return Err(format!(
                "output '{}' is {} for a {} input; the output must be the input's size times a whole factor",
                self.output.name,
                format_shape(&[
                    1,
                    as_dim(out.channels),
                    as_dim(out.height),
                    as_dim(out.width)
                ]),
                format_shape(&[1, as_dim(probe.channels), as_dim(h), as_dim(w)])
            ));
        }
        if !OUTPUT_CHANNELS.contains(&out.channels) {
            return Err(format!(
                "output '{}' has {} channels {}; expected 1, 3 or 4",
                self.output.name,
                out.channels,
                format_shape(&[
                    1,
                    as_dim(out.channels),
                    as_dim(out.height),
                    as_dim(out.width)
                ])
            ));
        }
        Ok(scale)
    }

    /// Runs the model on one planar image (`[1, C, H, W]`) and returns its first output as a planar image.
    pub fn run(&self, input: &Planar) -> Result<Planar> {
        let shape = input.tensor_shape();
        let shape_text = format_shape(&shape.map(as_dim));
        let failed = |reason: String| Error::Inference {
            path: self.path.clone(),
            shape: shape_text.clone(),
            reason,
        };
        let tensor = TensorRef::from_array_view((shape, input.data.as_slice()))
            .map_err(|e| failed(e.to_string()))?;
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let outputs = session
            .run(ort::inputs![self.input.name.as_str() => tensor])
            .map_err(|e| failed(e.to_string()))?;
        let value = outputs.get(&self.output.name).ok_or_else(|| {
            failed(format!(
                "the output '{}' is missing from the results",
                self.output.name
            ))
        })?;
        let (out_shape, data) = value
            .try_extract_tensor::<f32>()
            .map_err(|e| failed(e.to_string()))?;
        let dims: Vec<usize> = out_shape
            .iter()
            .map(|d| usize::try_from(*d).unwrap_or(0))
            .collect();
        let &[1, channels, height, width] = dims.as_slice() else {
            return Err(Error::ModelOutput {
                path: self.path.clone(),
                reason: format!(
                    "output '{}' has shape {}; expected [1, C, H, W]",
                    self.output.name,
                    format_shape(out_shape)
                ),
            });
        };
        Ok(Planar {
            channels,
            width,
            height,
            data: data.to_vec(),
        })
    }

    /// One line for the node's info field: the tensors and the scale.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "input '{}' {} float32 -> output '{}' {}",
            self.input.name,
            format_shape(&self.input.shape),
            self.output.name,
            format_shape(&self.output.shape)
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
        text
    }
}

fn as_dim(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
