//! The scenarios' code, one file per group, and what they share: the standard frame, renders with
//! their output checks, and the formats a plugin supports.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ofx_sdk::host::{HostError, Instance, Plugin, RenderOptions, RenderReport};
use ofx_sdk::{Components, Context, PixelDepth};

use super::checks::{self, CANARY_A, CANARY_B};
use super::rig::Rig;
use super::scenario::Scenario;

mod abort;
mod concurrency;
mod describe;
mod hosts;
mod lifecycle;
mod loading;
mod params;
mod render;
mod resources;

/// The frame most scenarios render: small, so that heavy plugins stay quick, and not square.
pub const W: usize = 64;
pub const H: usize = 48;

/// Runs one scenario, recording its checks in the rig.
pub fn run(scenario: Scenario, rig: &mut Rig) {
    match scenario {
        Scenario::LoadBinary => loading::load_binary(rig),
        Scenario::LoadCycles => loading::load_cycles(rig),
        Scenario::EntryPointsStable => loading::entry_points_stable(rig),
        Scenario::DescribePlugin => describe::plugin(rig),
        Scenario::DescribeClips => describe::clips(rig),
        Scenario::DescribeParams => describe::params(rig),
        Scenario::ActionLifecycle => lifecycle::lifecycle(rig),
        Scenario::RenderOutsideSequence => lifecycle::outside_sequence(rig),
        Scenario::ChangeDuringRender => lifecycle::change_during_render(rig),
        Scenario::DestroyDuringRender => lifecycle::destroy_during_render(rig),
        Scenario::RenderWithoutInstanceData => lifecycle::without_instance_data(rig),
        Scenario::RenderFormats => render::formats(rig),
        Scenario::RenderGeometry => render::geometry(rig),
        Scenario::OutputCoverage => render::coverage(rig),
        Scenario::OutputValues => render::values(rig),
        Scenario::OutputDeterminism => render::determinism(rig),
        Scenario::ParamChoices => params::choices(rig),
        Scenario::ParamFuzz => params::fuzz(rig),
        Scenario::ParamOutOfRange => params::out_of_range(rig),
        Scenario::ParamAnimation => params::animation(rig),
        Scenario::ConcurrentInstances => concurrency::instances(rig),
        Scenario::ConcurrentFrames => concurrency::frames(rig),
        Scenario::Abort => abort::abort(rig),
        Scenario::ResourceMemory => resources::memory(rig),
        Scenario::ResourceHandles => resources::handles(rig),
        Scenario::HostMlt => hosts::host(rig, super::personality::Personality::Mlt),
        Scenario::HostNatron => hosts::host(rig, super::personality::Personality::Natron),
        Scenario::HostResolve => hosts::host(rig, super::personality::Personality::Resolve),
        Scenario::HostNuke => hosts::host(rig, super::personality::Personality::Nuke),
    }
}

/// The plugin and its render context, or `None` (recorded) when the plugin cannot be rendered here.
/// The plugin is kept loaded until the process ends, so that only the scenarios about unloading
/// unload it.
pub fn setup(rig: &mut Rig) -> Option<(Plugin, Context)> {
    let plugin = rig.plugin()?;
    let context = rig.context(&plugin)?;
    // Keep it loaded for the life of the process: dropping the last handle would send Unload.
    std::mem::forget(plugin.clone());
    Some((plugin, context))
}

/// A new instance with the user's parameters and the standard source, or `None` with a failure
/// recorded under `case`.
pub fn instance(
    rig: &mut Rig,
    case: &str,
    plugin: &Plugin,
    context: Context,
    w: usize,
    h: usize,
    salt: u64,
) -> Option<Instance> {
    match rig.instance(plugin, context, w, h, salt) {
        Ok(i) => Some(i),
        Err(e) => {
            rig.fail(Some(case), format!("cannot set up an instance: {e}"));
            None
        }
    }
}

/// Renders and checks what every render must satisfy: no NaN or infinity in the output (denormals
/// warn), images released, clip preferences the host can honour (strictly under Nuke).
pub fn checked_render(
    rig: &mut Rig,
    case: &str,
    instance: &Instance,
    time: f64,
    options: &RenderOptions,
) -> Option<RenderReport> {
    let report = rig.render(case, instance, time, options)?;
    check_report(
        rig,
        case,
        &report,
        rig.personality.strict_clip_preferences(),
    );
    Some(report)
}

/// The checks of [`checked_render`] on a report.
pub fn check_report(rig: &mut Rig, case: &str, report: &RenderReport, strict: bool) {
    rig.rendered += 1;
    if report.identity.is_some() {
        rig.identities += 1;
    }
    let odd = checks::odd_values(&report.image, report.depth, report.components);
    let what = || {
        format!(
            "{} {} {}x{}",
            depth_name(report.depth),
            components_name(report.components),
            report.image.width(),
            report.image.height()
        )
    };
    if odd.nan + odd.infinite > 0 {
        rig.fail(
            Some(case),
            format!("{} in the output ({})", odd.describe(), what()),
        );
    } else if odd.denormal > 0 {
        rig.warn(
            Some(case),
            format!(
                "{} in the output ({}): denormals slow down every later operation",
                odd.describe(),
                what()
            ),
        );
    }
    if report.unreleased_images > 0 {
        rig.warn(
            Some(case),
            format!(
                "the plugin did not release {} image(s) it fetched during the render",
                report.unreleased_images
            ),
        );
    }
    for w in &report.warnings {
        if w.starts_with("clip preferences") {
            if strict {
                rig.fail(Some(case), format!("strict host: {w}"));
            } else {
                rig.warn(Some(case), w.clone());
            }
        }
    }
}

/// The depths to test: every declared one the host knows (Float when none is declared).
pub fn depths(plugin: &Plugin) -> Vec<PixelDepth> {
    let d = &plugin.description().pixel_depths;
    if d.is_empty() {
        vec![PixelDepth::Float]
    } else {
        d.clone()
    }
}

/// The best depth for value checks: Float, else Half, else the plugin's first.
pub fn best_depth(plugin: &Plugin) -> PixelDepth {
    let d = depths(plugin);
    [PixelDepth::Float, PixelDepth::Half]
        .into_iter()
        .find(|x| d.contains(x))
        .unwrap_or(d[0])
}

/// Component layouts every clip of the context supports (RGBA when none is common).
pub fn components(instance: &Instance) -> Vec<Components> {
    let clips = &instance.description().clips;
    let common: Vec<Components> = [Components::Rgba, Components::Rgb, Components::Alpha]
        .into_iter()
        .filter(|c| clips.iter().all(|clip| clip.components.contains(c)))
        .collect();
    if common.is_empty() {
        vec![Components::Rgba]
    } else {
        common
    }
}

/// Whether the plugin and every clip support tiles (render windows smaller than the frame).
pub fn tiles(plugin: &Plugin, instance: &Instance) -> bool {
    plugin.description().supports_tiles
        && instance
            .description()
            .clips
            .iter()
            .all(|c| c.supports_tiles)
}

pub use ofx_sdk::host::names::{components as components_name, depth as depth_name};

/// Two renders of one frame over the two canaries, with every check: odd values, pixels left
/// untouched in the window, pixels written outside it (`options.bounds_padding` > 0 gives room), and
/// equal pixels both times. Returns the first render.
pub fn canary_pair(
    rig: &mut Rig,
    case: &str,
    instance: &Instance,
    time: f64,
    options: &RenderOptions,
) -> Option<RenderReport> {
    let with = |fill| RenderOptions {
        output_fill: Some(fill),
        ..options.clone()
    };
    let a = checked_render(rig, case, instance, time, &with(CANARY_A))?;
    if a.identity.is_some() {
        rig.pass(
            Some(case),
            format!(
                "identity of clip {}: nothing rendered",
                a.identity.as_deref().unwrap_or("?")
            ),
        );
        return Some(a);
    }
    let b = rig.render(case, instance, time, &with(CANARY_B))?;
    let what = format!(
        "{} {} window {}x{}",
        depth_name(a.depth),
        components_name(a.components),
        a.image.width(),
        a.image.height()
    );
    let untouched = checks::untouched(&a, &b);
    if untouched > 0 {
        rig.fail(
            Some(case),
            format!(
                "{untouched} of {} pixels of the render window were never written ({what})",
                a.image.width() * a.image.height()
            ),
        );
    }
    let outside = checks::written_outside(&a, CANARY_A) + checks::written_outside(&b, CANARY_B);
    if outside > 0 {
        rig.fail(
            Some(case),
            format!(
                "{outside} pixel(s) written outside the render window {:?} (image bounds {:?}, {what})",
                a.render_window, a.output_bounds
            ),
        );
    }
    if untouched == 0 {
        match checks::max_difference(&a.image, &b.image) {
            Some(d) if d > checks::tolerance(a.depth) => rig.fail(
                Some(case),
                format!("the same frame rendered twice differs by up to {d} ({what})"),
            ),
            _ => {}
        }
    }
    Some(a)
}

/// Renders on another thread and waits at most `limit`: `None` when the render did not return (the
/// thread is left behind; the process ends with the scenario).
pub fn render_within(
    instance: &Arc<Instance>,
    time: f64,
    options: &RenderOptions,
    limit: Duration,
) -> Option<(Result<RenderReport, HostError>, Duration)> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (instance, options) = (Arc::clone(instance), options.clone());
    std::thread::spawn(move || {
        let start = Instant::now();
        let r = instance.render_with_report(time, &options);
        let _ = tx.send((r, start.elapsed()));
    });
    rx.recv_timeout(limit).ok()
}
