//! Layering: each field of the resolved [`Manifest`] comes from the highest layer that states it,
//! `defaults < graph < image keys < embedded < sidecar < parameters` (a model has at most one manifest
//! document: the sidecar replaces the embedded one whole). Then the result is checked against the graph,
//! and every problem names the layer that supplied the wrong value.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::document::{Document, InfoLayer, TensorLayer};
use super::error::{Error, FieldError, Origin, Warning};
use super::graph::{self, GraphInfo, GraphTensor};
use super::image_keys::ImageKeys;
use super::load::DocumentSource;
use super::types::{
    Affine, ChannelOrder, Encoding, ImageFormat, ImageInput, ImageOutput, InputKind, Layout,
    Manifest, ModelInfo, Normalize, OutputRole, ScalarDefault, SizeConstraint, TileSize, Tiling,
};
use super::{DEFAULT_CLIP, DEFAULT_ENCODING, DEFAULT_LAYOUT, DEFAULT_NORMALIZE};

/// Where a resolved value came from, lowest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Default,
    Graph,
    ImageKeys,
    Embedded,
    Sidecar,
    Parameter,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::Default => "default",
            Layer::Graph => "graph",
            Layer::ImageKeys => "image keys",
            Layer::Embedded => "embedded manifest",
            Layer::Sidecar => "sidecar manifest",
            Layer::Parameter => "parameter",
        }
    }
}

/// The layer of every resolved field that did not come from the defaults, by path
/// (`inputs[0].channels`, `tiling.tile`, `name`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Provenance(BTreeMap<String, Layer>);

impl Provenance {
    /// The layer that supplied `path` ([`Layer::Default`] when none did).
    pub fn get(&self, path: &str) -> Layer {
        self.0.get(path).copied().unwrap_or(Layer::Default)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, Layer)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    fn set(&mut self, path: String, layer: Layer) {
        if layer == Layer::Default {
            self.0.remove(&path);
        } else {
            self.0.insert(path, layer);
        }
    }
}

/// Per-tensor overrides of the pixel format (the effect's parameters). `None` leaves the field to the
/// layers below.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FormatOverrides {
    pub layout: Option<Layout>,
    pub channels: Option<ChannelOrder>,
    pub normalize: Option<Normalize>,
    pub encoding: Option<Encoding>,
    pub hdr: Option<bool>,
}

/// What the user set on the node, applied last. The effect builds one from its parameters at the
/// current time (a "from model" choice is `None`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Overrides {
    /// Applied to every image input.
    pub input: FormatOverrides,
    /// Applied to every output whose role is colour.
    pub output: FormatOverrides,
    /// Size constraint of every image input.
    pub size: Option<SizeConstraint>,
    /// Scale of every colour and alpha output.
    pub scale: Option<usize>,
    pub tile: Option<TileSize>,
    pub overlap: Option<usize>,
    /// Output roles by tensor name (e.g. "take alpha from output `matte`").
    pub roles: Vec<(String, OutputRole)>,
}

/// A resolved description: the manifest, where each field came from, and what is worth a warning.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub manifest: Manifest,
    /// Which manifest document took part, if any.
    pub source: DocumentSource,
    pub provenance: Provenance,
    pub warnings: Vec<Warning>,
}

impl Manifest {
    /// The description of a model without any manifest, metadata or parameters: what the graph says,
    /// and the documented defaults for the rest.
    pub fn infer(graph: &GraphInfo) -> Result<Resolved, Error> {
        let stack = Stack {
            model: None,
            graph: Some(graph),
            info: &InfoLayer::default(),
            image_keys: &ImageKeys::default(),
            document: None,
            overrides: &Overrides::default(),
        };
        resolve(&stack, DocumentSource::None)
    }
}

impl Document {
    /// Resolves this document on its own (a manifest file checked without its model, or with a graph
    /// the caller read), under the given overrides. `layer` is [`Layer::Sidecar`] or
    /// [`Layer::Embedded`]; `origin` names the document in messages.
    pub fn resolve(
        &self,
        layer: Layer,
        origin: &Origin,
        graph: Option<&GraphInfo>,
        overrides: &Overrides,
    ) -> Result<Resolved, Error> {
        let stack = Stack {
            model: None,
            graph,
            info: &InfoLayer::default(),
            image_keys: &ImageKeys::default(),
            document: Some((self, layer, origin.clone())),
            overrides,
        };
        let source = match (layer, origin) {
            (Layer::Embedded, _) => DocumentSource::Embedded,
            (_, Origin::Sidecar(path)) => DocumentSource::Sidecar(path.clone()),
            _ => DocumentSource::Sidecar(std::path::PathBuf::new()),
        };
        resolve(&stack, source)
    }
}

/// Everything one resolution reads.
pub(crate) struct Stack<'a> {
    pub model: Option<&'a Path>,
    pub graph: Option<&'a GraphInfo>,
    /// What the model file says about itself (graph name, `model_version`, `doc_string`).
    pub info: &'a InfoLayer,
    pub image_keys: &'a ImageKeys,
    pub document: Option<(&'a Document, Layer, Origin)>,
    pub overrides: &'a Overrides,
}

pub(crate) fn resolve(stack: &Stack<'_>, source: DocumentSource) -> Result<Resolved, Error> {
    let mut r = Resolver {
        stack,
        errors: Vec::new(),
        warnings: Vec::new(),
        provenance: Provenance::default(),
    };
    let manifest = r.manifest();
    if r.errors.is_empty() {
        Ok(Resolved {
            manifest,
            source,
            provenance: r.provenance,
            warnings: r.warnings,
        })
    } else {
        Err(Error::Invalid { errors: r.errors })
    }
}

/// One tensor to resolve: its graph view and its document entry (either may be missing).
struct Slot<'a> {
    name: String,
    graph: Option<&'a GraphTensor>,
    doc: Option<&'a TensorLayer>,
}

struct Resolver<'s, 'a> {
    stack: &'s Stack<'a>,
    errors: Vec<FieldError>,
    warnings: Vec<Warning>,
    provenance: Provenance,
}

/// What a graph input that is not an image is, from its element type and rank: strings are text,
/// integers and floats of rank 0 or 1 are values. Rank-4 float tensors (and unknown ones) stay images.
fn implied_kind(tensor: &GraphTensor) -> Option<InputKind> {
    let code = tensor.elem_type?.0;
    if code == 8 {
        return Some(InputKind::String);
    }
    match tensor.rank()? {
        0 | 1 => match code {
            1 | 10 | 11 | 16 => Some(InputKind::Float),
            2..=7 | 12 | 13 => Some(InputKind::Int),
            _ => None,
        },
        _ => None,
    }
}

fn list_names(tensors: &[GraphTensor]) -> String {
    if tensors.is_empty() {
        return "none".to_string();
    }
    let names: Vec<String> = tensors.iter().map(|t| format!("\"{}\"", t.name)).collect();
    names.join(", ")
}

impl<'a> Resolver<'_, 'a> {
    fn origin(&self, layer: Layer) -> Origin {
        match layer {
            Layer::Default | Layer::Graph | Layer::ImageKeys => {
                Origin::Model(self.stack.model.map(Path::to_path_buf))
            }
            Layer::Embedded | Layer::Sidecar => match &self.stack.document {
                Some((_, _, origin)) => origin.clone(),
                None => Origin::Text,
            },
            Layer::Parameter => Origin::Parameters,
        }
    }

    fn doc_layer(&self) -> Layer {
        self.stack
            .document
            .as_ref()
            .map_or(Layer::Sidecar, |(_, layer, _)| *layer)
    }

    fn error(&mut self, layer: Layer, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            origin: self.origin(layer),
            path: path.into(),
            message: message.into(),
        });
    }

    fn warn(&mut self, layer: Layer, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Warning {
            origin: self.origin(layer),
            path: path.into(),
            message: message.into(),
        });
    }

    /// The highest layer's value among `layers` (given lowest first), or `default`; records provenance.
    fn pick<T: Clone>(
        &mut self,
        path: String,
        default: T,
        layers: &[(Layer, Option<&T>)],
    ) -> (T, Layer) {
        let (value, layer) = layers
            .iter()
            .rev()
            .find_map(|(layer, v)| v.map(|v| (v.clone(), *layer)))
            .unwrap_or((default, Layer::Default));
        self.provenance.set(path, layer);
        (value, layer)
    }

    fn manifest(&mut self) -> Manifest {
        let document = self.stack.document.as_ref().map(|(d, _, _)| *d);
        let info = self.info(document.map(|d| &d.info));
        let inputs = self.slots(true);
        let outputs = self.slots(false);

        let mut resolved_inputs = Vec::new();
        for (i, slot) in inputs.iter().enumerate() {
            resolved_inputs.push(self.input(i, slot));
        }
        let primary = inputs.first().and_then(|s| s.graph).zip(
            resolved_inputs
                .first()
                .map(|i: &ImageInput| i.format.layout),
        );
        let mut resolved_outputs = Vec::new();
        for (i, slot) in outputs.iter().enumerate() {
            resolved_outputs.push(self.output(i, slot, primary));
        }
        self.check_roles(&outputs);
        let tiling = self.tiling(document, resolved_inputs.first());
        Manifest {
            info,
            inputs: resolved_inputs,
            outputs: resolved_outputs,
            tiling,
        }
    }

    fn info(&mut self, doc: Option<&InfoLayer>) -> ModelInfo {
        let file = self.stack.info;
        let doc_layer = self.doc_layer();
        let mut text = |key: &str, file: &Option<String>, doc: Option<&Option<String>>| {
            self.pick(
                key.to_string(),
                None,
                &[
                    (Layer::Graph, file.as_ref().map(|_| file)),
                    (doc_layer, doc.and_then(|d| d.as_ref().map(|_| d))),
                ],
            )
            .0
        };
        ModelInfo {
            name: text("name", &file.name, doc.map(|d| &d.name)),
            version: text("version", &file.version, doc.map(|d| &d.version)),
            task: text("task", &file.task, doc.map(|d| &d.task)),
            license: text("license", &file.license, doc.map(|d| &d.license)),
            source: text("source", &file.source, doc.map(|d| &d.source)),
            description: text(
                "description",
                &file.description,
                doc.map(|d| &d.description),
            ),
            authors: {
                let file_authors = file.authors.as_ref();
                let doc_authors = doc.and_then(|d| d.authors.as_ref());
                self.pick(
                    "authors".to_string(),
                    Vec::new(),
                    &[(Layer::Graph, file_authors), (doc_layer, doc_authors)],
                )
                .0
            },
        }
    }

    /// Pairs the graph's tensors with the document's entries: document order first, then the graph's
    /// other tensors in graph order. Without a graph, the document's entries alone.
    fn slots(&mut self, inputs: bool) -> Vec<Slot<'a>> {
        let kind = if inputs { "inputs" } else { "outputs" };
        let what = if inputs { "input" } else { "output" };
        let doc_layer = self.doc_layer();
        let entries = self.stack.document.as_ref().and_then(|(d, _, _)| {
            if inputs {
                d.inputs.as_ref()
            } else {
                d.outputs.as_ref()
            }
        });
        let graph = self
            .stack
            .graph
            .map(|g| if inputs { &g.inputs } else { &g.outputs });
        let mut slots = Vec::new();
        for (i, entry) in entries.into_iter().flatten().enumerate() {
            let tensor = graph.and_then(|g| g.iter().find(|t| t.name == entry.name));
            if let (Some(g), None) = (graph, tensor) {
                self.error(
                    doc_layer,
                    format!("{kind}[{i}].name"),
                    format!(
                        "the model has no {what} \"{}\" (its {kind}: {})",
                        entry.name,
                        list_names(g)
                    ),
                );
                continue;
            }
            slots.push(Slot {
                name: entry.name.clone(),
                graph: tensor,
                doc: Some(&entry.layer),
            });
        }
        for tensor in graph.into_iter().flatten() {
            if slots.iter().any(|s| s.name == tensor.name) {
                continue;
            }
            if entries.is_some() {
                self.warn(
                    doc_layer,
                    kind,
                    format!(
                        "the graph's {what} \"{}\" is not listed: it gets what the graph and the \
                         defaults say",
                        tensor.name
                    ),
                );
            }
            slots.push(Slot {
                name: tensor.name.clone(),
                graph: Some(tensor),
                doc: None,
            });
        }
        slots
    }

    /// Whether the standard image keys apply to this tensor: to tensors denoted `IMAGE` when the graph
    /// uses denotations, else to every image input and every colour output.
    fn keys_apply(&self, tensor: Option<&GraphTensor>, input: bool, role: OutputRole) -> bool {
        let image = |t: &GraphTensor| t.denotation.as_deref() == Some("IMAGE");
        let denoted = self
            .stack
            .graph
            .is_some_and(|g| g.inputs.iter().chain(&g.outputs).any(image));
        if denoted {
            tensor.is_some_and(image)
        } else {
            input || role == OutputRole::Color
        }
    }

    /// The fields inputs and outputs share; `params` is `None` when parameters do not apply.
    fn format(
        &mut self,
        path: &str,
        slot: &Slot<'_>,
        keys: bool,
        params: Option<&FormatOverrides>,
        default_channels: ChannelOrder,
    ) -> (ImageFormat, [Layer; 3]) {
        let doc_layer = self.doc_layer();
        let doc = slot.doc;
        let image_keys = if keys {
            Some(self.stack.image_keys)
        } else {
            None
        };
        let implied_layout = slot.graph.and_then(GraphTensor::implied_layout);
        let (layout, _) = self.pick(
            format!("{path}.layout"),
            DEFAULT_LAYOUT,
            &[
                (Layer::Graph, implied_layout.as_ref()),
                (doc_layer, doc.and_then(|d| d.layout.as_ref())),
                (Layer::Parameter, params.and_then(|p| p.layout.as_ref())),
            ],
        );
        let implied_channels = slot.graph.and_then(|g| g.implied_channels(layout));
        let (channels, channels_layer) = self.pick(
            format!("{path}.channels"),
            default_channels,
            &[
                (Layer::Graph, implied_channels.as_ref()),
                (
                    Layer::ImageKeys,
                    image_keys.and_then(|k| k.channels.as_ref()),
                ),
                (doc_layer, doc.and_then(|d| d.channels.as_ref())),
                (Layer::Parameter, params.and_then(|p| p.channels.as_ref())),
            ],
        );
        let (normalize, normalize_layer) = self.pick(
            format!("{path}.normalize"),
            DEFAULT_NORMALIZE,
            &[
                (
                    Layer::ImageKeys,
                    image_keys.and_then(|k| k.normalize.as_ref()),
                ),
                (doc_layer, doc.and_then(|d| d.normalize.as_ref())),
                (Layer::Parameter, params.and_then(|p| p.normalize.as_ref())),
            ],
        );
        let (encoding, _) = self.pick(
            format!("{path}.encoding"),
            DEFAULT_ENCODING,
            &[
                (
                    Layer::ImageKeys,
                    image_keys.and_then(|k| k.encoding.as_ref()),
                ),
                (doc_layer, doc.and_then(|d| d.encoding.as_ref())),
                (Layer::Parameter, params.and_then(|p| p.encoding.as_ref())),
            ],
        );
        // HDR by default where the encoding is scene-linear (values above 1 are ordinary there).
        let (hdr, _) = self.pick(
            format!("{path}.hdr"),
            encoding == Encoding::Linear,
            &[
                (doc_layer, doc.and_then(|d| d.hdr.as_ref())),
                (Layer::Parameter, params.and_then(|p| p.hdr.as_ref())),
            ],
        );
        let affine = match normalize.affine(channels.count()) {
            Ok(affine) => affine,
            Err(mismatch) => {
                let at = if mismatch.key.is_empty() {
                    format!("{path}.normalize")
                } else {
                    format!("{path}.normalize.{}", mismatch.key)
                };
                let message = if mismatch.message.starts_with("expected") {
                    format!(
                        "{} (one per channel of \"{}\", from the {})",
                        mismatch.message,
                        channels.name(),
                        channels_layer.name()
                    )
                } else {
                    mismatch.message
                };
                self.error(normalize_layer, at, message);
                Affine::identity(channels.count())
            }
        };
        let format = ImageFormat {
            layout,
            channels,
            normalize,
            affine,
            encoding,
            hdr,
        };
        let layout_layer = self.provenance.get(&format!("{path}.layout"));
        (format, [layout_layer, channels_layer, normalize_layer])
    }

    /// Checks rank and channel count against the graph.
    fn check_shape(
        &mut self,
        path: &str,
        what: &str,
        tensor: &GraphTensor,
        format: &ImageFormat,
        layers: [Layer; 3],
    ) -> bool {
        let [layout_layer, channels_layer, _] = layers;
        match tensor.rank() {
            None | Some(4) => {}
            Some(_) => {
                self.error(
                    Layer::Graph,
                    path,
                    format!(
                        "the graph's {what} \"{}\" has shape {}: an image tensor has 4 dimensions \
                         (nchw or nhwc)",
                        tensor.name,
                        tensor.shape_text()
                    ),
                );
                return false;
            }
        }
        let Some(count) = tensor.channel_count(format.layout) else {
            return true;
        };
        if count == format.channels.count() as u64 {
            return true;
        }
        let layout_note = if layout_layer == Layer::Default {
            format!("layout {} by default", format.layout.name())
        } else {
            format!(
                "layout {} from the {}",
                format.layout.name(),
                layout_layer.name()
            )
        };
        let message = if channels_layer == Layer::Default || channels_layer == Layer::Graph {
            format!(
                "the graph's {what} \"{}\" has {count} channels (shape {}, {layout_note}): onnxfx maps \
                 1 (gray), 3 (rgb, bgr) or 4 (rgba, bgra); a manifest can state its \"layout\" or \
                 \"channels\", or give an output the role \"ignore\"",
                tensor.name,
                tensor.shape_text()
            )
        } else {
            format!(
                "\"{}\" is {} channels but the graph's {what} \"{}\" has {count} (shape {}, {layout_note})",
                format.channels.name(),
                format.channels.count(),
                tensor.name,
                tensor.shape_text()
            )
        };
        self.error(channels_layer, format!("{path}.channels"), message);
        false
    }

    fn input(&mut self, i: usize, slot: &Slot<'_>) -> ImageInput {
        let path = format!("inputs[{i}]");
        let doc_layer = self.doc_layer();
        let doc = slot.doc;
        let keys = self.keys_apply(slot.graph, true, OutputRole::Color);
        let params = &self.stack.overrides;
        let (format, layers) =
            self.format(&path, slot, keys, Some(&params.input), ChannelOrder::Rgb);
        let implied_kind = slot.graph.and_then(implied_kind);
        let (kind, _) = self.pick(
            format!("{path}.kind"),
            InputKind::Image,
            &[
                (Layer::Graph, implied_kind.as_ref()),
                (doc_layer, doc.and_then(|d| d.kind.as_ref())),
            ],
        );
        let (clip, _) = self.pick(
            format!("{path}.clip"),
            DEFAULT_CLIP.to_string(),
            &[(doc_layer, doc.and_then(|d| d.clip.as_ref()))],
        );
        let (time_offset, _) = self.pick(
            format!("{path}.time_offset"),
            0,
            &[(doc_layer, doc.and_then(|d| d.time_offset.as_ref()))],
        );
        let implied_size = slot.graph.and_then(|g| g.implied_size(format.layout));
        let (size, size_layer) = self.pick(
            format!("{path}.size"),
            SizeConstraint::Any,
            &[
                (Layer::Graph, implied_size.as_ref()),
                (doc_layer, doc.and_then(|d| d.size.as_ref())),
                (Layer::Parameter, params.size.as_ref()),
            ],
        );
        self.check_size_value(size_layer, &format!("{path}.size"), size);
        if kind != InputKind::Image {
            self.check_non_image(&path, doc_layer, kind, doc);
        } else if let Some(tensor) = slot.graph
            && self.check_shape(&path, "input", tensor, &format, layers)
            && let Some(SizeConstraint::Fixed { width, height }) = implied_size
            && size != (SizeConstraint::Fixed { width, height })
        {
            self.error(
                size_layer,
                format!("{path}.size"),
                format!(
                    "the graph's input \"{}\" only takes {width}x{height} (shape {}); leave \"size\" out \
                     or state {{\"fixed\": [{width}, {height}]}}",
                    tensor.name,
                    tensor.shape_text()
                ),
            );
        }
        let scalar =
            |f: fn(&TensorLayer) -> Option<f64>| doc.and_then(f).filter(|_| kind.is_scalar());
        ImageInput {
            name: slot.name.clone(),
            kind,
            clip,
            time_offset,
            format,
            size,
            default: doc
                .and_then(|d| d.default.clone())
                .filter(|_| kind.is_scalar()),
            min: scalar(|d| d.min),
            max: scalar(|d| d.max),
            state_of: doc
                .and_then(|d| d.state_of.clone())
                .filter(|_| kind == InputKind::State),
        }
    }

    /// Scalar and state inputs: their keys must fit their kind, and a state must name an output.
    fn check_non_image(
        &mut self,
        path: &str,
        layer: Layer,
        kind: InputKind,
        doc: Option<&TensorLayer>,
    ) {
        let Some(doc) = doc else {
            if kind == InputKind::State {
                self.error(
                    layer,
                    format!("{path}.state_of"),
                    "a state input names the output fed back to it (\"state_of\")",
                );
            }
            return;
        };
        match (kind, &doc.default) {
            (InputKind::String, Some(ScalarDefault::Number(_))) => {
                self.error(
                    layer,
                    format!("{path}.default"),
                    "a string input's default is text",
                );
            }
            (InputKind::Float | InputKind::Int, Some(ScalarDefault::Text(_))) => {
                self.error(
                    layer,
                    format!("{path}.default"),
                    "a number input's default is a number",
                );
            }
            _ => {}
        }
        if let (Some(lo), Some(hi)) = (doc.min, doc.max)
            && lo > hi
        {
            self.error(
                layer,
                format!("{path}.max"),
                format!("{hi} is below min {lo}"),
            );
        }
        if kind == InputKind::State {
            match (&doc.state_of, self.stack.graph) {
                (None, _) => self.error(
                    layer,
                    format!("{path}.state_of"),
                    "a state input names the output fed back to it (\"state_of\")",
                ),
                (Some(name), Some(graph)) if !graph.outputs.iter().any(|o| o.name == *name) => {
                    self.error(
                        layer,
                        format!("{path}.state_of"),
                        format!(
                            "the model has no output \"{name}\" (its outputs: {})",
                            list_names(&graph.outputs)
                        ),
                    );
                }
                _ => {}
            }
        }
    }

    fn check_size_value(&mut self, layer: Layer, path: &str, size: SizeConstraint) {
        let bad = match size {
            SizeConstraint::Any => false,
            SizeConstraint::MultipleOf(n) => n == 0,
            SizeConstraint::Fixed { width, height } => width == 0 || height == 0,
        };
        if bad {
            self.error(layer, path, "sizes and multiples must be 1 or more");
        }
    }

    fn output(
        &mut self,
        i: usize,
        slot: &Slot<'_>,
        primary: Option<(&GraphTensor, Layout)>,
    ) -> ImageOutput {
        let path = format!("outputs[{i}]");
        let doc_layer = self.doc_layer();
        let doc = slot.doc;
        let params = self.stack.overrides;
        let param_role = params
            .roles
            .iter()
            .rev()
            .find(|(name, _)| *name == slot.name)
            .map(|(_, role)| role);
        let default_role = if i == 0 {
            OutputRole::Color
        } else {
            OutputRole::Ignore
        };
        let (role, role_layer) = self.pick(
            format!("{path}.role"),
            default_role,
            &[
                (doc_layer, doc.and_then(|d| d.role.as_ref())),
                (Layer::Parameter, param_role),
            ],
        );
        let keys = self.keys_apply(slot.graph, false, role);
        let format_params = (role == OutputRole::Color).then_some(&params.output);
        let default_channels = if role == OutputRole::Alpha {
            ChannelOrder::Gray
        } else {
            ChannelOrder::Rgb
        };
        let (format, layers) = self.format(&path, slot, keys, format_params, default_channels);

        let implied = match (primary, slot.graph) {
            (Some((input, input_layout)), Some(tensor)) => {
                graph::implied_scale(input, input_layout, tensor, format.layout)
            }
            _ => Ok(None),
        };
        let implied_ok = implied.as_ref().ok().copied().flatten();
        let param_scale = if role == OutputRole::Ignore {
            None
        } else {
            params.scale.as_ref()
        };
        let scale_path = format!("{path}.scale");
        let (scale, scale_layer) = self.pick(
            scale_path.clone(),
            None,
            &[
                (Layer::Graph, implied_ok.map(Some).as_ref()),
                (doc_layer, doc.and_then(|d| d.scale).map(Some).as_ref()),
                (Layer::Parameter, param_scale.map(|s| Some(*s)).as_ref()),
            ],
        );
        if scale == Some(0) {
            self.error(scale_layer, &scale_path, "the scale must be 1 or more");
        }

        if role != OutputRole::Ignore
            && let Some(tensor) = slot.graph
        {
            let shape_ok = self.check_shape(&path, "output", tensor, &format, layers);
            match (&implied, scale) {
                (Err(reason), _) if shape_ok => {
                    self.error(
                        Layer::Graph,
                        &scale_path,
                        format!("\"{}\": {reason}", tensor.name),
                    );
                }
                (Ok(Some(g)), Some(s)) if *g != s => {
                    self.error(
                        scale_layer,
                        &scale_path,
                        format!(
                            "states x{s} but the graph's shapes give x{g} (input {}, output \"{}\" {})",
                            primary.map_or_else(String::new, |(t, _)| t.shape_text()),
                            tensor.name,
                            tensor.shape_text()
                        ),
                    );
                }
                _ => {}
            }
            if shape_ok && role == OutputRole::Alpha && format.channels != ChannelOrder::Gray {
                let [_, channels_layer, _] = layers;
                let (layer, at) = if channels_layer > role_layer {
                    (channels_layer, format!("{path}.channels"))
                } else {
                    (role_layer, format!("{path}.role"))
                };
                self.error(
                    layer,
                    at,
                    format!(
                        "an alpha output has one channel (\"gray\"), and \"{}\" is {} channels ({})",
                        tensor.name,
                        format.channels.count(),
                        format.channels.name()
                    ),
                );
            }
        } else if role == OutputRole::Alpha && format.channels != ChannelOrder::Gray {
            let [_, channels_layer, _] = layers;
            self.error(
                channels_layer.max(role_layer),
                format!("{path}.channels"),
                format!(
                    "an alpha output has one channel (\"gray\"), not \"{}\"",
                    format.channels.name()
                ),
            );
        }
        ImageOutput {
            name: slot.name.clone(),
            role,
            format,
            scale,
        }
    }

    /// Roles set by parameters must name outputs that exist.
    fn check_roles(&mut self, outputs: &[Slot<'_>]) {
        let unknown: Vec<String> = self
            .stack
            .overrides
            .roles
            .iter()
            .filter(|(name, _)| !outputs.iter().any(|s| s.name == *name))
            .map(|(name, _)| name.clone())
            .collect();
        for name in unknown {
            self.warn(
                Layer::Parameter,
                "roles",
                format!("there is no output \"{name}\": its role is ignored"),
            );
        }
    }

    fn tiling(&mut self, document: Option<&Document>, primary: Option<&ImageInput>) -> Tiling {
        let doc_layer = self.doc_layer();
        let params = self.stack.overrides;
        let doc = document.map(|d| d.tiling).unwrap_or_default();
        let (tile, tile_layer) = self.pick(
            "tiling.tile".to_string(),
            None,
            &[
                (doc_layer, doc.tile.map(Some).as_ref()),
                (Layer::Parameter, params.tile.map(Some).as_ref()),
            ],
        );
        let (overlap, overlap_layer) = self.pick(
            "tiling.overlap".to_string(),
            None,
            &[
                (doc_layer, doc.overlap.map(Some).as_ref()),
                (Layer::Parameter, params.overlap.map(Some).as_ref()),
            ],
        );
        if let Some(t) = tile {
            if t.width == 0 || t.height == 0 {
                self.error(tile_layer, "tiling.tile", "a tile side must be 1 or more");
            }
            if let Some(input) = primary {
                let size_path = "inputs[0].size";
                match input.size {
                    SizeConstraint::Fixed { width, height }
                        if (width, height) != (t.width, t.height) =>
                    {
                        self.error(
                            tile_layer,
                            "tiling.tile",
                            format!(
                                "{}x{} but the input \"{}\" only takes {width}x{height} ({size_path}): \
                                 leave the tile out",
                                t.width, t.height, input.name
                            ),
                        );
                    }
                    SizeConstraint::MultipleOf(n)
                        if n > 0 && !(t.width.is_multiple_of(n) && t.height.is_multiple_of(n)) =>
                    {
                        self.error(
                            tile_layer,
                            "tiling.tile",
                            format!(
                                "{}x{} is not a multiple of {n} ({size_path} of \"{}\")",
                                t.width, t.height, input.name
                            ),
                        );
                    }
                    _ => {}
                }
            }
            if let Some(o) = overlap
                && 2 * o >= t.width.min(t.height)
            {
                self.error(
                    overlap_layer.max(tile_layer),
                    "tiling.overlap",
                    format!(
                        "{o} on each side leaves nothing of a {}x{} tile: it must be less than half the tile",
                        t.width, t.height
                    ),
                );
            }
        }
        Tiling { tile, overlap }
    }
}
