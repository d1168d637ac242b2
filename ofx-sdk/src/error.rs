//! The SDK's error type: every failure of a suite call names the call (and the property, where there is
//! one) and carries the host's status, so a message can say exactly what went wrong.

use crate::status::Status;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A property suite call returned an error status.
    #[error("{call}(\"{name}\") failed: {status}")]
    Property {
        call: &'static str,
        name: String,
        status: Status,
    },
    /// Any other suite call returned an error status.
    #[error("{call} failed: {status}")]
    Suite { call: &'static str, status: Status },
    /// The host does not offer a suite the plugin cannot work without.
    #[error("the host does not provide the {name} suite version {version}")]
    MissingSuite { name: &'static str, version: i32 },
    /// The host's suite struct has a null function pointer.
    #[error("the host's suite has no {0} function")]
    MissingFunction(&'static str),
    /// The host handed us a null handle where one is required (some hosts render after a failed create).
    #[error("null {0} handle")]
    NullHandle(&'static str),
    /// A string from the host or for the host is not valid (interior NUL, not UTF-8).
    #[error("invalid string for {what}: {detail}")]
    InvalidString { what: String, detail: String },
    /// A value from the host does not make sense (unknown pixel depth, negative size ...).
    #[error("{0}")]
    InvalidValue(String),
    /// An image the host handed over cannot be read (unknown depth or components, bad row bytes).
    #[error("unsupported image: {0}")]
    UnsupportedImage(String),
    /// A host feature the action needs is absent.
    #[error("the host lacks {0}")]
    MissingHostFeature(String),
}

impl Error {
    /// The status to return from an action that failed because of this error.
    pub fn status(&self) -> Status {
        match self {
            Error::Property { status, .. } | Error::Suite { status, .. }
                if *status == Status::ERR_MEMORY =>
            {
                Status::ERR_MEMORY
            }
            Error::MissingSuite { .. }
            | Error::MissingFunction(_)
            | Error::MissingHostFeature(_) => Status::ERR_MISSING_HOST_FEATURE,
            Error::NullHandle(_) => Status::ERR_BAD_HANDLE,
            Error::UnsupportedImage(_) => Status::ERR_IMAGE_FORMAT,
            _ => Status::FAILED,
        }
    }
}

/// What every effect error offers at the OFX boundary: a status for the host and a sentence for the artist.
pub trait ActionError: std::error::Error {
    /// The status the action returns.
    fn status(&self) -> Status;
    /// The text shown through the host's message suite.
    fn user_message(&self) -> String {
        self.to_string()
    }
}

impl ActionError for Error {
    fn status(&self) -> Status {
        Error::status(self)
    }
}
