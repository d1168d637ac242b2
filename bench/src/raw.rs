//! The ONNX session alone: `Session::run` on a prepared tensor, in Rust, on the wheel's copy of the
//! runtime the bundle ships (same version and build; its own SONAME, so it never shares a library or an
//! environment with the plugin's copy in this process). Also the model's contract, read the way the
//! plugin reads it, for the Python side and for the tensor's shape.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::TensorRef;
use serde::Serialize;

use onnxfx::manifest::{Component, Layout, ModelDescription, Overrides};
use onnxfx::tiling::SizeConstraint;

static ENVIRONMENT: OnceLock<Environment> = OnceLock::new();

/// The process's runtime for raw sessions, loaded once from `library`.
pub fn environment(library: &Path) -> Result<&'static Environment> {
    if let Some(env) = ENVIRONMENT.get() {
        return Ok(env);
    }
    let env = ort::init_from(library)
        .map_err(|e| anyhow!("loading {}: {e}", library.display()))?
        .with_name("onnxfx-bench")
        .build()
        .map_err(|e| anyhow!("{e}"))?;
    Ok(ENVIRONMENT.get_or_init(|| env))
}

/// A session with the plugin's settings (full graph optimisation) and `threads` intra-op threads.
pub fn session(library: &Path, model: &Path, threads: usize) -> Result<Session> {
    let env = environment(library)?;
    let fail = |e: String| anyhow!("session for {}: {e}", model.display());
    Session::builder(env)
        .map_err(|e| fail(e.to_string()))?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(|e| fail(e.to_string()))?
        .with_intra_threads(threads)
        .map_err(|e| fail(e.to_string()))?
        .with_inter_threads(1)
        .map_err(|e| fail(e.to_string()))?
        .commit_from_file(model)
        .map_err(|e| fail(e.to_string()))
}

/// How the model's tensors relate to the picture, as the plugin resolves its manifest (no overrides).
#[derive(Debug, Clone, Serialize)]
pub struct Contract {
    pub input: String,
    pub layout: &'static str,
    /// Tensor channels in order: R, G, B, A or L (luma).
    pub channels: Vec<&'static str>,
    pub scale: Vec<f32>,
    pub offset: Vec<f32>,
    pub size: Size,
    pub outputs: Vec<OutputContract>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Size {
    Any,
    MultipleOf { n: usize },
    Fixed { width: usize, height: usize },
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputContract {
    pub name: String,
    pub layout: &'static str,
    pub channels: Vec<&'static str>,
    pub inv_scale: Vec<f32>,
    pub inv_offset: Vec<f32>,
    /// "colour" or "alpha".
    #[serde(rename = "use")]
    pub use_: &'static str,
    pub with_alpha: bool,
}

fn component(c: Component) -> &'static str {
    match c {
        Component::Red => "R",
        Component::Green => "G",
        Component::Blue => "B",
        Component::Alpha => "A",
        Component::Luma => "L",
    }
}

fn layout(l: Layout) -> &'static str {
    match l {
        Layout::Nchw => "nchw",
        Layout::Nhwc => "nhwc",
    }
}

impl Contract {
    /// Reads the model's description (manifest, sidecar, ONNX keys, graph) as the plugin does.
    pub fn read(session: &Session, model: &Path) -> Result<Contract> {
        let (graph, _) = onnxfx::engine::model::graph_of(session);
        let resolved = ModelDescription::read(model)
            .with_context(|| format!("describing {}", model.display()))?
            .with_graph(graph)
            .resolve(&Overrides::default())
            .with_context(|| format!("resolving the manifest of {}", model.display()))?;
        let manifest = resolved.manifest;
        let input = manifest
            .primary_input()
            .with_context(|| format!("{} has no image input", model.display()))?;
        let size = match input.size {
            SizeConstraint::Any => Size::Any,
            SizeConstraint::MultipleOf(n) => Size::MultipleOf { n },
            SizeConstraint::Fixed { width, height } => Size::Fixed { width, height },
        };
        let mut outputs = Vec::new();
        let colour = manifest.color_output().map(|o| (o, "colour"));
        let alpha = manifest.alpha_output().map(|o| (o, "alpha"));
        for (o, use_) in colour.into_iter().chain(alpha) {
            let inverse = o.format.affine.inverse();
            outputs.push(OutputContract {
                name: o.name.clone(),
                layout: layout(o.format.layout),
                channels: o
                    .format
                    .channels
                    .components()
                    .iter()
                    .map(|c| component(*c))
                    .collect(),
                inv_scale: inverse.scale().to_vec(),
                inv_offset: inverse.offset().to_vec(),
                use_,
                with_alpha: o.format.channels.count() == 4,
            });
        }
        Ok(Contract {
            input: input.name.clone(),
            layout: layout(input.format.layout),
            channels: input
                .format
                .channels
                .components()
                .iter()
                .map(|c| component(*c))
                .collect(),
            scale: input.format.affine.scale().to_vec(),
            offset: input.format.affine.offset().to_vec(),
            size,
            outputs,
        })
    }

    /// The tensor size a `width` x `height` frame runs at, and how many runs cover it: padded up to the
    /// multiple the model takes, or fixed-size tiles without overlap.
    pub fn runs_for(&self, width: usize, height: usize) -> ((usize, usize), usize) {
        match self.size {
            Size::Any => ((width, height), 1),
            Size::MultipleOf { n } => (
                (width.div_ceil(n.max(1)) * n, height.div_ceil(n.max(1)) * n),
                1,
            ),
            Size::Fixed {
                width: w,
                height: h,
            } => ((w, h), width.div_ceil(w) * height.div_ceil(h)),
        }
    }

    /// Whether the model takes only one size (then it also runs at that native size).
    pub fn native(&self) -> Option<(usize, usize)> {
        match self.size {
            Size::Fixed { width, height } => Some((width, height)),
            _ => None,
        }
    }
}

/// A prepared raw run of one frame.
pub struct Raw {
    session: Session,
    input: String,
    shape: Vec<usize>,
    data: Vec<f32>,
    runs: usize,
}

impl Raw {
    pub fn new(session: Session, contract: &Contract, width: usize, height: usize) -> Raw {
        let ((w, h), runs) = contract.runs_for(width, height);
        let c = contract.channels.len();
        let shape = if contract.layout == "nchw" {
            vec![1, c, h, w]
        } else {
            vec![1, h, w, c]
        };
        // Values in the model's range: the picture through the range map is not needed for timing, but
        // zeros could take fast paths real frames never see.
        let data = (0..c * w * h)
            .map(|i| {
                #[allow(clippy::cast_precision_loss)]
                let v = (i % 251) as f32 / 251.0;
                v
            })
            .collect();
        Raw {
            session,
            input: contract.input.clone(),
            shape,
            data,
            runs,
        }
    }

    /// Milliseconds of the `Session::run` calls that cover the frame.
    pub fn run(&mut self) -> Result<f64> {
        let start = Instant::now();
        for _ in 0..self.runs {
            let tensor = TensorRef::from_array_view((self.shape.clone(), self.data.as_slice()))
                .map_err(|e| anyhow!("{e}"))?;
            let outputs = self
                .session
                .run(ort::inputs![self.input.as_str() => tensor])
                .map_err(|e| anyhow!("Session::run: {e}"))?;
            drop(outputs);
        }
        Ok(start.elapsed().as_secs_f64() * 1e3)
    }
}
