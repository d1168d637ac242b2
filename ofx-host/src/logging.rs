//! Logging: `tracing` to stderr, filtered by `OFX_HOST_LOG` (EnvFilter syntax), `warn` by default.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The environment variable with the log filter.
pub const LOG_ENV: &str = "OFX_HOST_LOG";

/// Installs the subscriber once; later calls (and a filter that does not parse) leave things as they are.
pub fn init() {
    let filter = EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in logs and pipes.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}
