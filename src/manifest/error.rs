//! Errors and warnings. Every message names where the value came from ([`Origin`]) and the field's path
//! in the document (`inputs[0].normalize.std`), so an artist can find and fix it.

use std::fmt;
use std::path::PathBuf;

/// Where a value (or a problem) came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A sidecar document `<model>.onnx.json`, or a manifest file checked on its own.
    Sidecar(PathBuf),
    /// The manifest stored in this model's `metadata_props`.
    Embedded(PathBuf),
    /// The model file itself: its graph, its standard image keys, or a default applied to it.
    Model(Option<PathBuf>),
    /// The effect's parameters ([`super::Overrides`]).
    Parameters,
    /// A document given as text, with no file behind it.
    Text,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Sidecar(path) => write!(f, "sidecar manifest {}", path.display()),
            Origin::Embedded(path) => write!(f, "manifest embedded in {}", path.display()),
            Origin::Model(Some(path)) => write!(f, "model {}", path.display()),
            Origin::Model(None) => f.write_str("model"),
            Origin::Parameters => f.write_str("parameters"),
            Origin::Text => f.write_str("manifest"),
        }
    }
}

/// One wrong value: where it came from, its path in the document, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub origin: Origin,
    /// `inputs[0].normalize.std`; empty for the document as a whole.
    pub path: String,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.origin, self.message)
        } else {
            write!(f, "{}: {}: {}", self.origin, self.path, self.message)
        }
    }
}

/// Something worth telling that does not stop the model from running (an unknown key, a shadowed
/// document, a standard image key with a value we do not know).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub origin: Origin,
    pub path: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.origin, self.message)
        } else {
            write!(f, "{}: {}: {}", self.origin, self.path, self.message)
        }
    }
}

/// Why a model description could not be read or resolved.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{origin}: {size} bytes is larger than the {limit} bytes a manifest may have")]
    TooLarge {
        origin: Origin,
        size: u64,
        limit: u64,
    },

    /// The document is not JSON (or not UTF-8).
    #[error("{origin}: not valid JSON at line {line}, column {column}: {message}")]
    Json {
        origin: Origin,
        line: usize,
        column: usize,
        message: String,
    },

    /// The document is JSON but some values are wrong; every wrong value is listed.
    #[error("{}", join(errors))]
    Invalid { errors: Vec<FieldError> },

    /// The model file is not a readable ONNX protobuf.
    #[error("cannot read the ONNX model {path}: {message}")]
    Onnx { path: PathBuf, message: String },
}

fn join(errors: &[FieldError]) -> String {
    let mut text = String::new();
    for (i, error) in errors.iter().enumerate() {
        if i > 0 {
            text.push_str("; ");
        }
        text.push_str(&error.to_string());
    }
    if text.is_empty() {
        text.push_str("invalid manifest");
    }
    text
}

impl Error {
    /// The individual field errors (empty for I/O, size, JSON syntax and protobuf errors).
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Error::Invalid { errors } => errors,
            _ => &[],
        }
    }
}
