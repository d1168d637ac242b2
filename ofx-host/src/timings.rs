//! `--timings-json`: how long each action took inside the plugin, so benchmarks can separate the
//! plugin's render time from process start and file I/O.

use serde::Serialize;

/// Milliseconds, as the JSON carries them.
pub fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FrameTiming {
    pub frame: i64,
    /// Time in the Render action; absent when the plugin reported an identity.
    pub render_ms: Option<f64>,
    /// The clip the output was taken from, when the plugin reported an identity.
    pub identity: Option<String>,
    /// Reading the input file(s) for this frame.
    pub read_ms: f64,
    /// Writing the output file.
    pub write_ms: f64,
}

/// Every time is measured around the action call alone (inside the host, not including it), except
/// `read_ms`/`write_ms`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub plugin: String,
    pub load_ms: f64,
    pub describe_ms: f64,
    pub describe_in_context_ms: f64,
    pub create_instance_ms: f64,
    pub frames: Vec<FrameTiming>,
}
