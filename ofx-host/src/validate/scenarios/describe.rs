//! What the plugin declares: the effect, its clips and its parameters.

use ofx_sdk::Context;
use ofx_sdk::host::{ContextDescription, ParamDescription, ParamKind, ParamValue, Plugin};

use crate::validate::rig::Rig;

/// The contexts this host can describe and render.
fn contexts(plugin: &Plugin) -> Vec<Context> {
    plugin
        .description()
        .contexts
        .iter()
        .copied()
        .filter(|c| matches!(c, Context::Filter | Context::General))
        .collect()
}

pub fn plugin(rig: &mut Rig) {
    let Some(plugin) = rig.plugin() else { return };
    std::mem::forget(plugin.clone());
    let d = plugin.description().clone();
    for w in &d.warnings {
        rig.warn(None, w.clone());
    }
    for m in plugin.take_messages() {
        rig.warn(None, format!("message posted while describing: {m}"));
    }
    if d.label == d.id {
        rig.warn(None, "no label (kOfxPropLabel): hosts show the identifier");
    }
    if d.grouping.is_empty() {
        rig.warn(
            None,
            "no grouping (kOfxImageEffectPluginPropGrouping): hosts file the effect at the top of their menus",
        );
    }
    if d.contexts.is_empty() {
        rig.fail(None, "no supported context");
    } else if contexts(&plugin).is_empty() {
        rig.warn(
            None,
            "neither the Filter nor the General context: this host cannot render the plugin",
        );
    }
    if d.pixel_depths.is_empty() {
        rig.fail(None, "no supported pixel depth");
    }
    rig.pass(
        None,
        format!(
            "{} {}.{} {:?}: contexts {:?}, depths {:?}, {:?}, tiles {}",
            d.id,
            d.version_major,
            d.version_minor,
            d.label,
            d.contexts,
            d.pixel_depths,
            d.render_thread_safety,
            d.supports_tiles
        ),
    );
}

/// Host warnings that the clip checks below report as failures themselves.
fn checked_here(w: &str) -> bool {
    w.starts_with("no Output clip")
        || w.contains("has no Source clip")
        || w.contains("declares no supported components")
}

pub fn clips(rig: &mut Rig) {
    let Some(plugin) = rig.plugin() else { return };
    std::mem::forget(plugin.clone());
    let all = contexts(&plugin);
    if all.is_empty() {
        rig.skip(None, "no context this host can describe");
        return;
    }
    for ctx in all {
        let case = ofx_sdk::host::names::context(ctx);
        if !rig.wants(case) {
            continue;
        }
        rig.begin(case);
        let c = match plugin.describe_in_context(ctx) {
            Ok(c) => c,
            Err(e) => {
                rig.fail(Some(case), format!("DescribeInContext failed: {e}"));
                continue;
            }
        };
        check_clips(rig, case, &c);
    }
}

fn check_clips(rig: &mut Rig, case: &str, c: &ContextDescription) {
    for w in c.warnings.iter().filter(|w| !checked_here(w)) {
        rig.warn(Some(case), w.clone());
    }
    if c.clip("Output").is_none() {
        rig.fail(Some(case), "no Output clip");
    }
    if c.context == Context::Filter && c.clip("Source").is_none() {
        rig.fail(Some(case), "the Filter context needs a Source clip");
    }
    for clip in &c.clips {
        if clip.components.is_empty() {
            rig.fail(
                Some(case),
                format!(
                    "clip {} declares no supported components (kOfxImageEffectPropSupportedComponents)",
                    clip.name
                ),
            );
        }
        if clip.is_mask && !clip.optional {
            rig.warn(
                Some(case),
                format!(
                    "mask clip {} is not optional: hosts expect masks to be optional",
                    clip.name
                ),
            );
        }
        if clip.name == "Output" && clip.optional {
            rig.warn(Some(case), "the Output clip is declared optional");
        }
    }
    if let (Some(out), Some(src)) = (c.clip("Output"), c.clip("Source"))
        && !out.components.iter().any(|x| src.components.contains(x))
    {
        rig.warn(
            Some(case),
            format!(
                "Output ({:?}) and Source ({:?}) share no component layout: the plugin must convert",
                out.components, src.components
            ),
        );
    }
    let names: Vec<&str> = c.clips.iter().map(|c| c.name.as_str()).collect();
    rig.pass(Some(case), format!("clips {names:?}"));
}

pub fn params(rig: &mut Rig) {
    let Some(plugin) = rig.plugin() else { return };
    std::mem::forget(plugin.clone());
    let all = contexts(&plugin);
    if all.is_empty() {
        rig.skip(None, "no context this host can describe");
        return;
    }
    for ctx in all {
        let case = ofx_sdk::host::names::context(ctx);
        if !rig.wants(case) {
            continue;
        }
        rig.begin(case);
        let c = match plugin.describe_in_context(ctx) {
            Ok(c) => c,
            Err(e) => {
                rig.fail(Some(case), format!("DescribeInContext failed: {e}"));
                continue;
            }
        };
        for w in c.warnings.iter().filter(|w| w.starts_with("paramDefine")) {
            rig.fail(Some(case), w.clone());
        }
        for p in &c.params {
            check_param(rig, case, p, &c);
        }
        let unknown: Vec<String> = rig
            .job
            .params
            .iter()
            .filter(|(n, _)| c.param(n).is_none())
            .map(|(n, _)| n.clone())
            .collect();
        for name in unknown {
            rig.warn(
                Some(case),
                format!("--param {name}: the plugin has no such parameter (ignored)"),
            );
        }
        rig.pass(Some(case), format!("{} parameter(s)", c.params.len()));
    }
}

/// `2` for one value, `[1, 2]` for several.
fn show(v: &[f64]) -> String {
    match v {
        [one] => one.to_string(),
        _ => format!(
            "[{}]",
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Numbers of a value, for range checks.
pub fn numbers(v: &ParamValue) -> Vec<f64> {
    match v {
        ParamValue::Bool(b) => vec![f64::from(u8::from(*b))],
        ParamValue::Int(i) => vec![f64::from(*i)],
        ParamValue::Double(d) => vec![*d],
        ParamValue::Ints(v) => v.iter().copied().map(f64::from).collect(),
        ParamValue::Doubles(v) => v.clone(),
        ParamValue::String(_) => Vec::new(),
    }
}

fn check_param(rig: &mut Rig, case: &str, p: &ParamDescription, c: &ContextDescription) {
    let name = &p.name;
    if p.label.trim().is_empty() {
        rig.warn(Some(case), format!("parameter {name} has an empty label"));
    }
    let (min, max) = (p.min.as_ref().map(numbers), p.max.as_ref().map(numbers));
    if let (Some(lo), Some(hi)) = (&min, &max)
        && lo.iter().zip(hi).any(|(a, b)| a > b)
    {
        rig.fail(
            Some(case),
            format!(
                "parameter {name}: minimum {} above maximum {}",
                show(lo),
                show(hi)
            ),
        );
    }
    if let Some(d) = p.default.as_ref().map(numbers)
        && matches!(
            p.kind,
            ParamKind::Integer
                | ParamKind::Double
                | ParamKind::Double2D
                | ParamKind::Double3D
                | ParamKind::Integer2D
                | ParamKind::Integer3D
                | ParamKind::Rgb
                | ParamKind::Rgba
        )
    {
        let below = min
            .as_ref()
            .is_some_and(|lo| d.iter().zip(lo).any(|(v, l)| v < l));
        let above = max
            .as_ref()
            .is_some_and(|hi| d.iter().zip(hi).any(|(v, h)| v > h));
        if below || above {
            rig.fail(
                Some(case),
                format!(
                    "parameter {name}: default {} outside its range [{}, {}]",
                    show(&d),
                    min.as_deref().map_or("-inf".into(), show),
                    max.as_deref().map_or("inf".into(), show)
                ),
            );
        }
        let (dlo, dhi) = (
            p.display_min.as_ref().map(numbers),
            p.display_max.as_ref().map(numbers),
        );
        if let (Some(a), Some(b)) = (&dlo, &dhi)
            && a.iter().zip(b).any(|(x, y)| x > y)
        {
            rig.warn(
                Some(case),
                format!(
                    "parameter {name}: display minimum {} above display maximum {}",
                    show(a),
                    show(b)
                ),
            );
        }
        let outside = |disp: &Option<Vec<f64>>| {
            disp.as_ref().is_some_and(|v| {
                v.iter().enumerate().any(|(i, x)| {
                    min.as_ref().and_then(|m| m.get(i)).is_some_and(|m| x < m)
                        || max.as_ref().and_then(|m| m.get(i)).is_some_and(|m| x > m)
                })
            })
        };
        if outside(&dlo) || outside(&dhi) {
            rig.warn(
                Some(case),
                format!("parameter {name}: display range beyond the range: sliders offer values the parameter refuses"),
            );
        }
    }
    match p.kind {
        ParamKind::Choice | ParamKind::StrChoice if p.options.is_empty() => {
            rig.fail(
                Some(case),
                format!("choice parameter {name} has no options"),
            );
        }
        ParamKind::Choice => {
            if let Some(ParamValue::Int(i)) = p.default
                && usize::try_from(i).map_or(true, |i| i >= p.options.len())
            {
                rig.fail(
                    Some(case),
                    format!(
                        "choice parameter {name}: default index {i} but {} option(s)",
                        p.options.len()
                    ),
                );
            }
        }
        ParamKind::StrChoice => {
            if let Some(ParamValue::String(s)) = &p.default
                && !p.options.contains(s)
            {
                rig.fail(
                    Some(case),
                    format!("string choice parameter {name}: default {s:?} is not an option"),
                );
            }
        }
        _ => {}
    }
    if let Some(parent) = &p.parent {
        match c.param(parent) {
            Some(g) if g.kind == ParamKind::Group => {}
            Some(_) => rig.warn(
                Some(case),
                format!("parameter {name}: parent {parent} is not a group"),
            ),
            None => rig.warn(
                Some(case),
                format!("parameter {name}: parent {parent} is not defined"),
            ),
        }
    }
}

/// Numeric parameters a host that wants explicit ranges (Resolve) would complain about.
pub fn unbounded(c: &ContextDescription) -> Vec<String> {
    c.params
        .iter()
        .filter(|p| {
            matches!(
                p.kind,
                ParamKind::Integer
                    | ParamKind::Double
                    | ParamKind::Double2D
                    | ParamKind::Double3D
                    | ParamKind::Integer2D
                    | ParamKind::Integer3D
            ) && (p.min.is_none() || p.max.is_none())
                && !p.secret
        })
        .map(|p| p.name.clone())
        .collect()
}
