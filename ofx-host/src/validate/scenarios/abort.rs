//! Abort: the host's abort flag raised before the render, at the plugin's first progress report and in
//! the middle of a render. The render must return promptly (done or failed, never stuck), and the
//! instance must render normally afterwards.

use std::sync::Arc;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use ofx_sdk::host::{Instance, RenderOptions};

use super::{instance, render_within, setup};
use crate::validate::rig::Rig;

/// How long a render may go on after the abort was raised before it counts as stuck.
fn grace(rig: &Rig) -> Duration {
    Duration::from_secs((rig.job.timeout_secs / 4).clamp(2, 10))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub fn abort(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    // Big enough that an abort can land mid-render.
    let side = if rig.level() >= 5 { 512 } else { 256 };
    let Some(inst) = instance(rig, "setup", &plugin, ctx, side, side, 120) else {
        return;
    };
    let inst = Arc::new(inst);
    let options = rig.options();
    let grace = grace(rig);
    // A normal render first, for comparison.
    let normal = match render_within(&inst, 1.0, &options, grace * 2) {
        Some((Ok(_), d)) => d,
        Some((Err(e), _)) => {
            rig.fail(None, format!("a normal render failed: {e}"));
            return;
        }
        None => {
            rig.fail(
                None,
                format!(
                    "a normal render did not return within {:.0} s",
                    (grace * 2).as_secs_f64()
                ),
            );
            return;
        }
    };
    let cases: [(&str, RenderOptions); 2] = [
        (
            "before-render",
            RenderOptions {
                abort_at_start: true,
                ..options.clone()
            },
        ),
        (
            "at-first-progress",
            RenderOptions {
                abort_on_progress: true,
                ..options.clone()
            },
        ),
    ];
    for (case, aborting) in cases {
        if !rig.wants(case) {
            continue;
        }
        rig.begin(case);
        match render_within(&inst, 2.0, &aborting, grace + normal) {
            None => {
                rig.fail(
                    Some(case),
                    format!(
                        "the render did not return within {:.1} s of the abort (a normal render takes {:.0} ms)",
                        (grace + normal).as_secs_f64(),
                        ms(normal)
                    ),
                );
                return;
            }
            Some((result, took)) => {
                let how = match result {
                    Ok(_) => "finished".to_owned(),
                    Err(e) => format!(
                        "stopped with {}",
                        e.status().map_or_else(|| e.to_string(), |s| s.to_string())
                    ),
                };
                rig.pass(
                    Some(case),
                    format!(
                        "{how} in {:.0} ms (a normal render: {:.0} ms)",
                        ms(took),
                        ms(normal)
                    ),
                );
            }
        }
        if !renders_again(rig, case, &inst, &options, grace) {
            return;
        }
    }
    let case = "mid-render";
    if rig.wants(case) {
        rig.begin(case);
        mid_render(rig, case, &inst, &options, grace, normal);
    }
}

/// After an abort the next render must work.
fn renders_again(
    rig: &mut Rig,
    case: &str,
    inst: &Arc<Instance>,
    options: &RenderOptions,
    grace: Duration,
) -> bool {
    match render_within(inst, 3.0, options, grace * 2) {
        Some((Ok(_), _)) => true,
        Some((Err(e), _)) => {
            rig.fail(
                Some(case),
                format!("after the abort, the next render failed: {e}"),
            );
            false
        }
        None => {
            rig.fail(
                Some(case),
                "after the abort, the next render did not return",
            );
            false
        }
    }
}

/// A render on another thread, with the abort flag raised (and raised again: each render clears it)
/// from this one shortly after it started.
fn mid_render(
    rig: &mut Rig,
    case: &str,
    inst: &Arc<Instance>,
    options: &RenderOptions,
    grace: Duration,
    normal: Duration,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    let (worker, opts) = (Arc::clone(inst), options.clone());
    std::thread::spawn(move || {
        let start = Instant::now();
        let r = worker.render_with_report(4.0, &opts);
        let _ = tx.send((r, start.elapsed()));
    });
    // Let the render get going: a tenth of a normal render, at least a millisecond.
    let delay = (normal / 10).max(Duration::from_millis(1));
    let started = Instant::now();
    let mut raised: Option<Instant> = None;
    let outcome = loop {
        let wait = if raised.is_none() {
            delay
        } else {
            Duration::from_millis(2)
        };
        match rx.recv_timeout(wait) {
            Ok(r) => break Some(r),
            Err(RecvTimeoutError::Disconnected) => break None,
            Err(RecvTimeoutError::Timeout) => {}
        }
        inst.abort();
        let first = *raised.get_or_insert_with(Instant::now);
        if first.elapsed() > grace + normal {
            break None;
        }
    };
    match (outcome, raised) {
        (None, Some(at)) => rig.fail(
            Some(case),
            format!(
                "the render did not return within {:.1} s of the abort raised {:.0} ms into it (a normal render takes {:.0} ms)",
                at.elapsed().as_secs_f64(),
                ms(at - started),
                ms(normal)
            ),
        ),
        (None, None) => rig.fail(Some(case), "the render thread vanished"),
        (Some((_, took)), None) => rig.pass(
            Some(case),
            format!("the render finished in {:.0} ms, before the abort could land", ms(took)),
        ),
        (Some((result, took)), Some(at)) => {
            let after = at.elapsed();
            let how = match result {
                Ok(_) => "finished".to_owned(),
                Err(e) => format!(
                    "stopped with {}",
                    e.status().map_or_else(|| e.to_string(), |s| s.to_string())
                ),
            };
            rig.pass(
                Some(case),
                format!(
                    "{how} {:.0} ms after the abort (raised {:.0} ms in; the render took {:.0} ms, a normal one {:.0} ms)",
                    ms(after),
                    ms(at - started),
                    ms(took),
                    ms(normal)
                ),
            );
            let _ = renders_again(rig, case, inst, options, grace);
        }
    }
}
