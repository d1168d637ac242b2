//! Actions in the legal order, and in orders outside the spec that real hosts produce and a plugin
//! must survive.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ofx_sdk::host::{CreateMode, Instance, ParamKind, RenderOptions};

use super::{H, W, checked_render, instance, setup};
use crate::validate::rig::Rig;

/// Parameters the validator may set (not the user's, with a value, not secret).
fn settable(rig: &Rig, inst: &Instance) -> Vec<String> {
    inst.description()
        .params
        .iter()
        .filter(|p| {
            !rig.user_param(&p.name)
                && p.default.is_some()
                && !p.secret
                && !matches!(p.kind, ParamKind::Custom)
        })
        .map(|p| p.name.clone())
        .collect()
}

pub fn lifecycle(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let case = "sequence";
    rig.begin(case);
    let Some(inst) = instance(rig, case, &plugin, ctx, W, H, 1) else {
        return;
    };
    // Every parameter edited once (to its own value): one InstanceChanged each.
    for name in settable(rig, &inst) {
        let value = match inst.param(&name) {
            Ok(v) => v,
            Err(e) => {
                rig.fail(Some(case), format!("parameter {name} has no value: {e}"));
                continue;
            }
        };
        if let Err(e) = inst.set_param(&name, value) {
            rig.fail(
                Some(case),
                format!("InstanceChanged for parameter {name} failed: {e}"),
            );
        }
    }
    let options = rig.options();
    if let Err(e) = inst.begin_sequence(1.0, 3.0, &options) {
        rig.fail(Some(case), format!("BeginSequenceRender failed: {e}"));
        return;
    }
    let mut rendered = 0;
    for frame in 1..=3 {
        if checked_render(rig, case, &inst, f64::from(frame), &options).is_some() {
            rendered += 1;
        }
    }
    if let Err(e) = inst.end_sequence() {
        rig.fail(Some(case), format!("EndSequenceRender failed: {e}"));
    }
    match inst.destroy() {
        Ok(report) => {
            for w in report.warnings {
                rig.warn(Some(case), w);
            }
        }
        Err(e) => rig.fail(Some(case), format!("DestroyInstance failed: {e}")),
    }
    rig.pass(
        Some(case),
        format!(
            "create, instance changed, begin sequence, {rendered} renders, end sequence, destroy"
        ),
    );
}

pub fn outside_sequence(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let case = "no-sequence";
    rig.begin(case);
    let Some(inst) = instance(rig, case, &plugin, ctx, W, H, 2) else {
        return;
    };
    let options = RenderOptions {
        skip_sequence_actions: true,
        ..rig.options()
    };
    for frame in 1..=2 {
        match inst.render_with_report(f64::from(frame), &options) {
            Ok(r) => super::check_report(rig, case, &r, false),
            Err(e) => {
                rig.warn(
                    Some(case),
                    format!("refused a render outside a sequence (hosts do send them): {e}"),
                );
                return;
            }
        }
    }
    rig.pass(
        Some(case),
        "renders without BeginSequenceRender/EndSequenceRender work",
    );
}

pub fn change_during_render(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let case = "changes";
    rig.begin(case);
    let Some(inst) = instance(rig, case, &plugin, ctx, W, H, 3) else {
        return;
    };
    // Values to send: each settable parameter at its own value, and the user's parameters again.
    let mut edits: Vec<(String, Option<String>)> = settable(rig, &inst)
        .into_iter()
        .map(|n| (n, None))
        .collect();
    edits.extend(
        rig.job
            .params
            .iter()
            .map(|(n, v)| (n.clone(), Some(v.clone()))),
    );
    if edits.is_empty() {
        rig.skip(Some(case), "the plugin has no parameter to change");
        return;
    }
    let frames = rig.count(20, 4);
    let options = rig.options();
    let done = AtomicBool::new(false);
    let (renders, edits_sent, edit_errors) = std::thread::scope(|s| {
        let renderer = s.spawn(|| {
            let results: Vec<_> = (0..frames)
                .map(|f| inst.render_with_report(f as f64, &options))
                .collect();
            done.store(true, Ordering::Relaxed);
            results
        });
        let (mut sent, mut errors) = (0, Vec::new());
        while !done.load(Ordering::Relaxed) {
            for (name, text) in &edits {
                let r = match text {
                    Some(t) => inst.set_param_text(name, t).map(drop),
                    None => inst.param(name).and_then(|v| inst.set_param(name, v)),
                };
                sent += 1;
                if let Err(e) = r {
                    errors.push(format!("{name}: {e}"));
                }
            }
            std::thread::yield_now();
        }
        (renderer.join().unwrap_or_default(), sent, errors)
    });
    for e in edit_errors.iter().take(3) {
        rig.warn(
            Some(case),
            format!("InstanceChanged during renders failed: {e}"),
        );
    }
    let failed: Vec<String> = renders
        .iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    for r in renders.iter().flatten() {
        super::check_report(rig, case, r, false);
    }
    if let Some(first) = failed.first() {
        rig.fail(
            Some(case),
            format!(
                "{} of {frames} renders failed while parameters changed: {first}",
                failed.len()
            ),
        );
    } else {
        rig.pass(
            Some(case),
            format!(
                "{frames} renders with {edits_sent} InstanceChanged from another thread meanwhile"
            ),
        );
    }
}

pub fn destroy_during_render(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let case = "destroy";
    rig.begin(case);
    let Some(inst) = instance(rig, case, &plugin, ctx, W, H, 4) else {
        return;
    };
    let frames = rig.count(20, 4);
    let options = rig.options();
    let done = AtomicBool::new(false);
    let (renders, churned, churn_errors) = std::thread::scope(|s| {
        let renderer = s.spawn(|| {
            let results: Vec<_> = (0..frames)
                .map(|f| inst.render_with_report(f as f64, &options))
                .collect();
            done.store(true, Ordering::Relaxed);
            results
        });
        let (mut churned, mut errors) = (0usize, Vec::new());
        while !done.load(Ordering::Relaxed) {
            let other = rig.instance(&plugin, ctx, W, H, 5 + churned as u64);
            match other {
                Ok(o) => {
                    // Render it once in a while, so that destruction follows real work.
                    if churned % 3 == 0
                        && let Err(e) = o.render(1.0, &options)
                    {
                        errors.push(format!("render of the other instance: {e}"));
                    }
                    if let Err(e) = o.destroy() {
                        errors.push(format!("destroy: {e}"));
                    }
                }
                Err(e) => errors.push(format!("create: {e}")),
            }
            churned += 1;
        }
        (renderer.join().unwrap_or_default(), churned, errors)
    });
    for e in churn_errors.iter().take(3) {
        rig.fail(Some(case), format!("another instance: {e}"));
    }
    let failed: Vec<String> = renders
        .iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    if let Some(first) = failed.first() {
        rig.fail(
            Some(case),
            format!(
                "{} of {frames} renders failed while other instances were destroyed: {first}",
                failed.len()
            ),
        );
    } else {
        rig.pass(
            Some(case),
            format!("{frames} renders while {churned} other instances were created and destroyed"),
        );
    }
}

pub fn without_instance_data(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let case = "no-create";
    rig.begin(case);
    let inst = match plugin.instance_with(ctx, CreateMode::Skip) {
        Ok(i) => Arc::new(i),
        Err(e) => {
            rig.fail(Some(case), format!("cannot set up the instance: {e}"));
            return;
        }
    };
    // Parameters and sources go in as MLT sets them, without InstanceChanged.
    inst.set_notify_changes(false);
    let _ = rig.prepare(&inst, W, H, 6);
    let options = rig.options();
    let mut outcomes = Vec::new();
    for frame in 1..=2 {
        match inst.render_with_report(f64::from(frame), &options) {
            Ok(_) => outcomes.push("rendered".to_owned()),
            Err(e) => {
                let said = if e.messages().is_empty() {
                    " without a message"
                } else {
                    ""
                };
                outcomes.push(format!(
                    "refused with {}{said}",
                    e.status().map_or_else(|| e.to_string(), |s| s.to_string())
                ));
            }
        }
    }
    match Arc::try_unwrap(inst) {
        Ok(i) => {
            if let Err(e) = i.destroy() {
                outcomes.push(format!("DestroyInstance: {e}"));
            }
        }
        Err(_) => outcomes.push("instance still shared".into()),
    }
    rig.pass(
        Some(case),
        format!(
            "survived renders without instance data: {}",
            outcomes.join("; ")
        ),
    );
}
