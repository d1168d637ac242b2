//! Reading everything a model says about itself from disk: the protobuf (graph, standard image keys,
//! embedded manifest) and the sidecar. The sidecar is only ever `<model path>.json`; no path written
//! inside any document is followed.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::document::{Document, InfoLayer};
use super::error::{Error, Origin, Warning};
use super::graph::GraphInfo;
use super::image_keys::ImageKeys;
use super::onnx::{self, OnnxSummary};
use super::resolve::{self, Layer, Overrides, Resolved, Stack};
use super::{MAX_DOCUMENT_BYTES, METADATA_KEY, SIDECAR_SUFFIX};

/// The sidecar path of a model: its path with `.json` appended (`x/denoise.onnx` → `x/denoise.onnx.json`).
pub fn sidecar_path(model: &Path) -> PathBuf {
    let mut path = model.as_os_str().to_owned();
    path.push(SIDECAR_SUFFIX);
    PathBuf::from(path)
}

/// Which manifest document a description uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "path", rename_all = "snake_case")]
pub enum DocumentSource {
    /// No document: graph, image keys and defaults only.
    None,
    /// The JSON under [`METADATA_KEY`] in the model's `metadata_props`.
    Embedded,
    /// The sidecar file.
    Sidecar(PathBuf),
}

impl fmt::Display for DocumentSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocumentSource::None => {
                f.write_str("no manifest (the graph, standard image keys and defaults)")
            }
            DocumentSource::Embedded => write!(
                f,
                "manifest embedded in the model (metadata_props key \"{METADATA_KEY}\")"
            ),
            DocumentSource::Sidecar(path) => write!(f, "sidecar manifest {}", path.display()),
        }
    }
}

/// A parsed manifest document and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedDocument {
    /// [`Layer::Embedded`] or [`Layer::Sidecar`].
    pub layer: Layer,
    pub origin: Origin,
    pub document: Document,
}

/// Everything a model file (and its sidecar) says, before parameters. Read once per model file, kept
/// beside the session, resolved whenever the parameters change.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDescription {
    pub model: PathBuf,
    /// The graph's inputs and outputs as the protobuf declares them.
    pub graph: Option<GraphInfo>,
    /// What the file says about itself outside any manifest (graph name, `model_version`,
    /// `doc_string`).
    pub info: InfoLayer,
    pub image_keys: ImageKeys,
    pub document: Option<LoadedDocument>,
    /// Warnings found while reading (unknown keys, a shadowed embedded manifest ...).
    pub warnings: Vec<Warning>,
}

impl ModelDescription {
    /// Reads the model's protobuf (bounded memory, seeking over weights) and its sidecar, and parses
    /// the manifest document that applies. Fails on an unreadable model or a bad manifest document;
    /// a model without any manifest is fine.
    pub fn read(model: &Path) -> Result<ModelDescription, Error> {
        let summary = onnx::read_summary(model)?;
        let sidecar = read_sidecar(model)?;
        ModelDescription::from_parts(model, summary, sidecar)
    }

    /// Builds a description from a summary already read and the sidecar's bytes (`None`: no sidecar).
    pub fn from_parts(
        model: &Path,
        summary: OnnxSummary,
        sidecar: Option<Vec<u8>>,
    ) -> Result<ModelDescription, Error> {
        let model_origin = Origin::Model(Some(model.to_path_buf()));
        let mut warnings = Vec::new();
        let image_keys = ImageKeys::from_metadata(
            summary
                .metadata
                .iter()
                .filter_map(|e| Some((e.key.as_str(), e.value.as_deref()?))),
            &model_origin,
            &mut warnings,
        );
        let embedded: Vec<&onnx::MetadataEntry> = summary.metadata_values(METADATA_KEY).collect();
        let embedded_origin = Origin::Embedded(model.to_path_buf());
        let document = if let Some(bytes) = sidecar {
            let path = sidecar_path(model);
            let origin = Origin::Sidecar(path.clone());
            if !embedded.is_empty() {
                warnings.push(Warning {
                    origin: embedded_origin,
                    path: String::new(),
                    message: format!(
                        "not read: the sidecar {} replaces it as a whole",
                        path.display()
                    ),
                });
            }
            let (document, doc_warnings) = Document::parse_bytes(&bytes, &origin)?;
            warnings.extend(doc_warnings);
            Some(LoadedDocument {
                layer: Layer::Sidecar,
                origin,
                document,
            })
        } else if let Some(entry) = embedded.last() {
            if embedded.len() > 1 {
                warnings.push(Warning {
                    origin: embedded_origin.clone(),
                    path: String::new(),
                    message: format!(
                        "{} metadata_props entries have the key \"{METADATA_KEY}\": the last one is used",
                        embedded.len()
                    ),
                });
            }
            let Some(text) = entry.value.as_deref() else {
                return Err(if entry.value_len > onnx::MAX_METADATA_VALUE_BYTES {
                    Error::TooLarge {
                        origin: embedded_origin,
                        size: entry.value_len,
                        limit: MAX_DOCUMENT_BYTES,
                    }
                } else {
                    Error::Json {
                        origin: embedded_origin,
                        line: 1,
                        column: 1,
                        message: "not UTF-8 text".to_string(),
                    }
                });
            };
            let (document, doc_warnings) = Document::parse(text, &embedded_origin)?;
            warnings.extend(doc_warnings);
            Some(LoadedDocument {
                layer: Layer::Embedded,
                origin: embedded_origin,
                document,
            })
        } else {
            None
        };
        let info = InfoLayer {
            name: summary.graph.name.clone().filter(|n| !n.is_empty()),
            version: summary
                .model_version
                .filter(|&v| v != 0)
                .map(|v| v.to_string()),
            description: summary.doc_string.clone().filter(|d| !d.trim().is_empty()),
            ..InfoLayer::default()
        };
        Ok(ModelDescription {
            model: model.to_path_buf(),
            graph: Some(summary.graph),
            info,
            image_keys,
            document,
            warnings,
        })
    }

    /// Uses this graph (e.g. ONNX Runtime's view of the session) instead of the one read from the file.
    pub fn with_graph(mut self, graph: GraphInfo) -> ModelDescription {
        self.graph = Some(graph);
        self
    }

    /// Which document applies.
    pub fn source(&self) -> DocumentSource {
        match &self.document {
            None => DocumentSource::None,
            Some(LoadedDocument {
                layer: Layer::Sidecar,
                origin: Origin::Sidecar(path),
                ..
            }) => DocumentSource::Sidecar(path.clone()),
            Some(LoadedDocument {
                layer: Layer::Sidecar,
                ..
            }) => DocumentSource::Sidecar(sidecar_path(&self.model)),
            Some(_) => DocumentSource::Embedded,
        }
    }

    /// The description under these parameter overrides: no I/O. The read-time warnings come first.
    pub fn resolve(&self, overrides: &Overrides) -> Result<Resolved, Error> {
        let stack = Stack {
            model: Some(&self.model),
            graph: self.graph.as_ref(),
            info: &self.info,
            image_keys: &self.image_keys,
            document: self
                .document
                .as_ref()
                .map(|d| (&d.document, d.layer, d.origin.clone())),
            overrides,
        };
        let mut resolved = resolve::resolve(&stack, self.source())?;
        let mut warnings = self.warnings.clone();
        warnings.append(&mut resolved.warnings);
        resolved.warnings = warnings;
        Ok(resolved)
    }
}

/// The sidecar's bytes, `None` when there is none. Bounded by [`MAX_DOCUMENT_BYTES`].
pub fn read_sidecar(model: &Path) -> Result<Option<Vec<u8>>, Error> {
    let path = sidecar_path(model);
    let io_error = |source| Error::Io {
        path: path.clone(),
        source,
    };
    let metadata = match fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(e)),
    };
    if !metadata.is_file() {
        return Err(io_error(io::Error::other("it is not a regular file")));
    }
    read_bounded(&path, &Origin::Sidecar(path.clone())).map(Some)
}

/// A whole file of at most [`MAX_DOCUMENT_BYTES`].
pub fn read_bounded(path: &Path, origin: &Origin) -> Result<Vec<u8>, Error> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    let mut bytes = Vec::new();
    file.take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        let size = fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
        return Err(Error::TooLarge {
            origin: origin.clone(),
            size,
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    Ok(bytes)
}

/// Validates `json` as a manifest for the model at `model` (against its graph) and stores it, verbatim,
/// in the model's `metadata_props` under [`METADATA_KEY`], replacing any earlier one. Returns the
/// resolution the embedded document gives (its warnings included). Nothing is written when it fails.
pub fn embed_manifest(model: &Path, json: &str) -> Result<Resolved, Error> {
    let mut summary = onnx::read_summary(model)?;
    // The manifest being replaced plays no part (it may well be the broken one being fixed).
    summary.metadata.retain(|e| e.key != METADATA_KEY);
    let origin = Origin::Embedded(model.to_path_buf());
    let (document, mut warnings) = Document::parse(json, &origin)?;
    let mut description = ModelDescription::from_parts(model, summary, None)?;
    description.document = Some(LoadedDocument {
        layer: Layer::Embedded,
        origin,
        document,
    });
    let mut resolved = description.resolve(&Overrides::default())?;
    onnx::write_metadata(model, METADATA_KEY, Some(json))?;
    warnings.append(&mut resolved.warnings);
    resolved.warnings = warnings;
    Ok(resolved)
}

/// Removes the embedded manifest (every entry with [`METADATA_KEY`]); returns how many were removed.
pub fn remove_manifest(model: &Path) -> Result<usize, Error> {
    onnx::read_summary(model)?;
    onnx::write_metadata(model, METADATA_KEY, None)
}
