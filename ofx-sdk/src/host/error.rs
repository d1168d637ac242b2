//! The host side's error type. A plugin failure carries the action, the status it returned and the
//! messages it posted during that action, so a front end can print exactly what went wrong.

use std::path::PathBuf;

use crate::status::Status;

use super::message::{Message, MessageLevel};

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The path is not a bundle or `.ofx` binary this host can load.
    #[error("{}: {reason}", path.display())]
    NotABundle { path: PathBuf, reason: String },
    /// `dlopen` failed (missing dependency, unresolved symbol with `RTLD_NOW`, wrong architecture ...).
    #[error("cannot load {}: {message}", path.display())]
    Load { path: PathBuf, message: String },
    /// A mandatory entry point is not exported.
    #[error("{} does not export {symbol}", path.display())]
    MissingSymbol { path: PathBuf, symbol: &'static str },
    /// `OfxSetHost` returned an error: the binary does not want to run in this host.
    #[error("{}: OfxSetHost returned {status}", path.display())]
    Declined { path: PathBuf, status: Status },
    /// No loaded or scanned binary has a plugin with this identifier.
    #[error("no plugin {id} found in {searched}")]
    PluginNotFound { id: String, searched: String },
    /// An entry of `OfxGetPlugin` cannot be used (null, wrong API, identifier not UTF-8 ...).
    #[error("plugin {index} of {}: {reason}", path.display())]
    BadPlugin {
        path: PathBuf,
        index: usize,
        reason: String,
    },
    /// An action returned an error status (or a status the action may not return).
    #[error("{what} failed: {status}{}", plugin_said(.messages))]
    Action {
        what: String,
        action: String,
        status: Status,
        messages: Vec<Message>,
    },
    /// The plugin answered with data the host cannot use (an empty region of definition, an unknown
    /// identity clip ...).
    #[error("{what}: {reason}")]
    PluginData { what: String, reason: String },
    /// The plugin does not declare the requested context (or this host does not support it).
    #[error("{plugin} does not support the {context} context")]
    UnsupportedContext { plugin: String, context: String },
    #[error("no clip named {0:?}")]
    UnknownClip(String),
    #[error("no parameter named {0:?}")]
    UnknownParam(String),
    #[error("parameter {name}: {reason}")]
    InvalidParamValue { name: String, reason: String },
    /// The caller's request does not make sense (a zero render scale, an empty render window ...).
    #[error("{0}")]
    InvalidRequest(String),
    #[error("out of memory allocating {0}")]
    OutOfMemory(String),
}

/// The most relevant plugin message, appended to an action error: the persistent message, else the
/// last error.
fn plugin_said(messages: &[Message]) -> String {
    let chosen = messages.iter().rev().find(|m| m.persistent).or_else(|| {
        messages
            .iter()
            .rev()
            .find(|m| matches!(m.level, MessageLevel::Error | MessageLevel::Fatal))
    });
    chosen.map(|m| format!(": {}", m.text)).unwrap_or_default()
}

impl HostError {
    /// The status of a failed action.
    pub fn status(&self) -> Option<Status> {
        match self {
            HostError::Action { status, .. } | HostError::Declined { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The messages the plugin posted during the failed action.
    pub fn messages(&self) -> &[Message] {
        match self {
            HostError::Action { messages, .. } => messages,
            _ => &[],
        }
    }

    /// Whether the caller asked for something impossible (unknown parameter, bad value, bad option),
    /// as opposed to the plugin or the system failing.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            HostError::UnknownClip(_)
                | HostError::UnknownParam(_)
                | HostError::InvalidParamValue { .. }
                | HostError::InvalidRequest(_)
                | HostError::UnsupportedContext { .. }
        )
    }
}
