//! Logging: `tracing` to stderr (or `ONNXFX_LOG_FILE`), filtered by `ONNXFX_LOG` in `EnvFilter` syntax
//! (default `warn`, so the host's console stays quiet), installed once at the first Load, plus a panic hook
//! that logs where a panic happened before the SDK's barrier turns it into a failure status.

use std::io::IsTerminal;
use std::sync::{Mutex, Once};

use tracing_subscriber::EnvFilter;

static INIT: Once = Once::new();

pub fn init() {
    INIT.call_once(|| {
        let filter =
            EnvFilter::try_from_env("ONNXFX_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false);
        // A host may already have a global subscriber: then ours is simply not installed.
        let file = std::env::var_os("ONNXFX_LOG_FILE").and_then(|path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
        });
        let _ = match file {
            Some(file) => builder
                .with_ansi(false)
                .with_writer(Mutex::new(file))
                .try_init(),
            None => builder
                .with_ansi(std::io::stderr().is_terminal())
                .with_writer(std::io::stderr)
                .try_init(),
        };
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            tracing::error!("panic: {info}");
            previous(info);
        }));
    });
}
