//! Concurrency, as the plugin's declared render thread safety allows, and whether the declaration holds:
//! pixels rendered concurrently must equal the same renders done one after another.

use ofx_sdk::RenderThreadSafety;
use ofx_sdk::host::names::thread_safety;
use ofx_sdk::host::{Image, Instance, RenderOptions};

use super::{H, W, instance, setup};
use crate::validate::checks;
use crate::validate::rig::Rig;

/// Instances or threads rendering at once.
const THREADS: usize = 4;

/// Compares concurrent results with the serial references; returns the first mismatch.
fn mismatch(reference: &[Image], got: &[Result<Image, String>], tol: f32) -> Option<String> {
    for (i, (r, g)) in reference.iter().zip(got).enumerate() {
        match g {
            Err(e) => return Some(format!("render {i} failed: {e}")),
            Ok(g) => match checks::max_difference(r, g) {
                Some(d) if d <= tol => {}
                Some(d) => return Some(format!("render {i} differs by up to {d}")),
                None => return Some(format!("render {i} has another size")),
            },
        }
    }
    None
}

fn serial(inst: &Instance, frames: &[f64], options: &RenderOptions) -> Result<Vec<Image>, String> {
    frames
        .iter()
        .map(|f| inst.render(*f, options).map_err(|e| e.to_string()))
        .collect()
}

pub fn instances(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let safety = plugin.description().render_thread_safety;
    let case = "instances";
    rig.begin(case);
    let options = RenderOptions {
        depth: Some(super::best_depth(&plugin)),
        ..rig.options()
    };
    let tol = options.depth.map_or(1e-5, checks::tolerance);
    let frames: Vec<f64> = (1..=rig.count(8, 2)).map(|f| f as f64).collect();
    let mut insts = Vec::new();
    for i in 0..THREADS {
        // Different pictures per instance, so that crossed wires show.
        let Some(inst) = instance(rig, case, &plugin, ctx, W, H, 100 + i as u64) else {
            return;
        };
        insts.push(inst);
    }
    let mut reference = Vec::new();
    for inst in &insts {
        match serial(inst, &frames, &options) {
            Ok(r) => reference.push(r),
            Err(e) => {
                rig.fail(Some(case), format!("serial render failed: {e}"));
                return;
            }
        }
    }
    let rounds = rig.count(4, 1);
    let results: Vec<Vec<Result<Image, String>>> = std::thread::scope(|s| {
        let handles: Vec<_> = insts
            .iter()
            .map(|inst| {
                let (frames, options) = (&frames, &options);
                s.spawn(move || {
                    let mut out = Vec::new();
                    for _ in 0..rounds {
                        for f in frames {
                            out.push(inst.render(*f, options).map_err(|e| e.to_string()));
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (i, (reference, got)) in reference.iter().zip(&results).enumerate() {
        let repeated: Vec<Image> = reference.iter().cycle().take(got.len()).cloned().collect();
        if let Some(m) = mismatch(&repeated, got, tol) {
            let why = if safety == RenderThreadSafety::Unsafe {
                "although this host serialised them (the plugin is declared unsafe)".to_owned()
            } else {
                format!(
                    "the plugin declares itself {}, yet renders of different instances disturb each other",
                    thread_safety(safety)
                )
            };
            rig.fail(
                Some(case),
                format!(
                    "instance {i} rendering alongside {}: {m}: {why}",
                    THREADS - 1
                ),
            );
            return;
        }
    }
    let how = if safety == RenderThreadSafety::Unsafe {
        "one after another (the plugin is declared unsafe, so this host serialises it)"
    } else {
        "at once"
    };
    rig.pass(
        Some(case),
        format!(
            "{THREADS} instances x {} frames x {rounds} rounds rendered {how}: pixels equal serial renders",
            frames.len()
        ),
    );
}

pub fn frames(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let safety = plugin.description().render_thread_safety;
    if safety != RenderThreadSafety::FullySafe {
        rig.skip(
            None,
            format!(
                "the plugin declares itself {}: hosts never render one instance from several threads",
                thread_safety(safety)
            ),
        );
        return;
    }
    let case = "frames";
    rig.begin(case);
    let options = RenderOptions {
        depth: Some(super::best_depth(&plugin)),
        ..rig.options()
    };
    let tol = options.depth.map_or(1e-5, checks::tolerance);
    let n = rig.count(12, 4);
    let frames: Vec<f64> = (1..=n).map(|f| f as f64).collect();
    let Some(inst) = instance(rig, case, &plugin, ctx, W, H, 110) else {
        return;
    };
    let reference = match serial(&inst, &frames, &options) {
        Ok(r) => r,
        Err(e) => {
            rig.fail(Some(case), format!("serial render failed: {e}"));
            return;
        }
    };
    if let Err(e) = inst.begin_sequence(1.0, n as f64, &options) {
        rig.fail(Some(case), format!("BeginSequenceRender failed: {e}"));
        return;
    }
    // Each thread renders every frame, starting at a different one.
    let results: Vec<Vec<Result<Image, String>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (frames, options, inst) = (&frames, &options, &inst);
                s.spawn(move || {
                    (0..frames.len())
                        .map(|k| {
                            let f = frames[(k + t * 3) % frames.len()];
                            inst.render(f, options).map_err(|e| e.to_string())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    if let Err(e) = inst.end_sequence() {
        rig.fail(Some(case), format!("EndSequenceRender failed: {e}"));
    }
    for (t, got) in results.iter().enumerate() {
        let expected: Vec<Image> = (0..frames.len())
            .map(|k| reference[(k + t * 3) % frames.len()].clone())
            .collect();
        if let Some(m) = mismatch(&expected, got, tol) {
            rig.fail(
                Some(case),
                format!(
                    "thread {t} of {THREADS} rendering frames of one instance at once: {m}: the plugin declares itself fully-safe, yet concurrent renders of one instance disturb each other"
                ),
            );
            return;
        }
    }
    rig.pass(
        Some(case),
        format!("{THREADS} threads rendered {n} frames of one instance at once: pixels equal serial renders"),
    );
}
