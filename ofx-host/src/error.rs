//! The CLI's error type and its exit codes: 2 for usage errors (bad flags, unknown parameter, bad value),
//! 1 for everything that failed while running (loading, plugin actions, file I/O).

use std::path::PathBuf;

use ofx_sdk::host::HostError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line asks for something impossible.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Host(#[from] HostError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Image { path: PathBuf, message: String },
    #[error("{0}")]
    Failed(String),
    /// Validation ran and found this many failing scenarios.
    #[error("{0} scenario(s) failed")]
    Validation(usize),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Host(e) if e.is_usage() => 2,
            _ => 1,
        }
    }
}
