//! The plugin through the real bundle and the in-process host library: the render action's time (what
//! a host's render costs inside the node), a fresh instance against one that finds its model in the
//! cache, and the memory of one large render.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use ofx_sdk::host::{ActionEvent, Instance, Library, Plugin, RenderOptions};
use serde::{Deserialize, Serialize};

use crate::frame;

pub const PLUGIN_ID: &str = "io.github.onnxfx.Inference";

/// The bundle, loaded once per process (Load and Describe run here).
pub struct Host {
    _library: Library,
    pub plugin: Plugin,
}

impl Host {
    pub fn load(bundle: &Path) -> Result<Host> {
        let library =
            Library::load(bundle).map_err(|e| anyhow!("loading {}: {e}", bundle.display()))?;
        let plugin = library
            .plugin(PLUGIN_ID)
            .map_err(|e| anyhow!("{PLUGIN_ID}: {e}"))?;
        Ok(Host {
            _library: library,
            plugin,
        })
    }

    /// A Filter instance rendering `model` on the test frame of `width` x `height`.
    pub fn instance(&self, model: &Path, width: usize, height: usize) -> Result<Instance> {
        let instance = self
            .plugin
            .instance(ofx_sdk::Context::Filter)
            .map_err(|e| anyhow!("creating an instance: {e}"))?;
        instance
            .set_param_text("modelFile", &model.display().to_string())
            .map_err(|e| anyhow!("setting modelFile: {e}"))?;
        instance
            .set_source("Source", frame::host_image(width, height)?)
            .map_err(|e| anyhow!("setting the source: {e}"))?;
        Ok(instance)
    }
}

/// Milliseconds inside the Render action for one frame.
pub fn render(instance: &Instance, time: f64) -> Result<f64> {
    let report = instance
        .render_with_report(time, &RenderOptions::default())
        .map_err(|e| anyhow!("render: {e}"))?;
    let action = report
        .render_action
        .context("the plugin answered IsIdentity instead of rendering")?;
    Ok(action.as_secs_f64() * 1e3)
}

/// A new instance's first render (its model's session is created on the way) against a second
/// instance's, which finds the model in the process-wide cache. Run in a fresh process each time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColdWarm {
    /// Instance creation, setting the model file and the first render, wall clock.
    pub first_ms: f64,
    pub first_action_ms: f64,
    /// The same for a second instance with the same model.
    pub second_ms: f64,
    pub second_action_ms: f64,
}

pub fn cold_warm(bundle: &Path, model: &Path, width: usize, height: usize) -> Result<ColdWarm> {
    let host = Host::load(bundle)?;
    let mut times = Vec::new();
    // The first instance stays alive, as in a host with two nodes on the same model.
    let mut instances = Vec::new();
    for time in [1.0, 2.0] {
        let start = Instant::now();
        let instance = host.instance(model, width, height)?;
        let action = render(&instance, time)?;
        times.push((start.elapsed().as_secs_f64() * 1e3, action));
        instances.push(instance);
    }
    Ok(ColdWarm {
        first_ms: times[0].0,
        first_action_ms: times[0].1,
        second_ms: times[1].0,
        second_action_ms: times[1].1,
    })
}

/// Memory of one large render, from the process's own accounting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Memory {
    pub source: (usize, usize),
    pub output: (usize, usize),
    /// The source and output images as the host hands them to the plugin (float RGBA).
    pub frame_buffers: u64,
    /// Resident memory when the Render action starts (runtime, session, the host's images).
    pub rss_at_start: u64,
    /// The largest resident memory during the Render action.
    pub peak_rss: u64,
    /// The whole process's peak (`ru_maxrss`), including the host's copies before and after.
    pub process_max_rss: u64,
    pub action_ms: f64,
}

/// `VmRSS` and `VmHWM` of this process, in bytes.
fn rss_and_peak() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets `VmHWM` to the current resident size (Linux: `clear_refs` 5), so the next reading is the
/// peak since now.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub fn max_rss_bytes() -> u64 {
    // SAFETY: getrusage writes one rusage struct into memory we own.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &raw mut usage);
        usage
    };
    u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024
}

/// Renders the test frame of `width` x `height` once through `model` (a x2 model makes the output
/// twice as large), after a small warm-up render that creates the session; the Render action's
/// memory is read by an action observer at its start and end.
pub fn memory(bundle: &Path, model: &Path, width: usize, height: usize) -> Result<Memory> {
    let host = Host::load(bundle)?;
    let instance = host.instance(model, 64, 64)?;
    render(&instance, 1.0)?;
    instance
        .set_source("Source", frame::host_image(width, height)?)
        .map_err(|e| anyhow!("setting the source: {e}"))?;
    let readings: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let seen = Arc::clone(&readings);
    ofx_sdk::host::set_action_observer(Some(Arc::new(move |event: &ActionEvent<'_>| {
        if event.action != "OfxImageEffectActionRender" {
            return;
        }
        if event.status.is_none() {
            reset_peak();
        }
        seen.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(rss_and_peak());
    })));
    let report = instance
        .render_with_report(2.0, &RenderOptions::default())
        .map_err(|e| anyhow!("render: {e}"))?;
    ofx_sdk::host::set_action_observer(None);
    let readings = readings
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let [(start, _), (_, peak)] = readings[..] else {
        return Err(anyhow!("the observer saw {} Render events", readings.len()));
    };
    let output = (report.image.width(), report.image.height());
    let frame_bytes = |(w, h): (usize, usize)| (w * h * 16) as u64;
    Ok(Memory {
        source: (width, height),
        output,
        frame_buffers: frame_bytes((width, height)) + frame_bytes(output),
        rss_at_start: start,
        peak_rss: peak,
        process_max_rss: max_rss_bytes(),
        action_ms: report
            .render_action
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3),
    })
}
