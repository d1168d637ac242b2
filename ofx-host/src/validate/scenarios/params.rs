//! Parameters: every option, seeded random values within the ranges, values beyond them, keyframes.

use ofx_sdk::host::{Instance, ParamDescription, ParamKind, ParamValue, StringMode};

use super::{H, W, check_report, checked_render, instance, setup};
use crate::validate::checks;
use crate::validate::rig::Rig;
use crate::validate::scenarios::describe::numbers;

/// The parameters the validator varies: with a value, not the user's, not secret, not a path or a
/// label (their values only mean something to the plugin's author).
fn variable(rig: &Rig, inst: &Instance) -> Vec<ParamDescription> {
    inst.description()
        .params
        .iter()
        .filter(|p| {
            p.default.is_some()
                && !p.secret
                && !rig.user_param(&p.name)
                && !matches!(p.kind, ParamKind::Custom)
                && !matches!(
                    p.string_mode,
                    Some(StringMode::FilePath | StringMode::DirectoryPath | StringMode::Label)
                )
        })
        .cloned()
        .collect()
}

/// The range to draw from, per value: the declared range, else the display range, else around the
/// default.
fn range(p: &ParamDescription) -> Vec<(f64, f64)> {
    let default = p.default.as_ref().map(numbers).unwrap_or_default();
    let pick = |a: &Option<ParamValue>, b: &Option<ParamValue>| match (a, b) {
        (Some(a), Some(b)) => Some((numbers(a), numbers(b))),
        _ => None,
    };
    let (lo, hi) = pick(&p.min, &p.max)
        .or_else(|| pick(&p.display_min, &p.display_max))
        .unwrap_or_else(|| {
            let lo = default.iter().map(|d| d - 10.0 * (d.abs() + 1.0)).collect();
            let hi = default.iter().map(|d| d + 10.0 * (d.abs() + 1.0)).collect();
            (lo, hi)
        });
    lo.into_iter().zip(hi).collect()
}

fn is_int(kind: ParamKind) -> bool {
    matches!(
        kind,
        ParamKind::Integer | ParamKind::Integer2D | ParamKind::Integer3D
    )
}

/// A value of `p` from `draw(lo, hi)` per dimension.
fn numeric(p: &ParamDescription, mut draw: impl FnMut(f64, f64) -> f64) -> Option<ParamValue> {
    let values: Vec<f64> = range(p).into_iter().map(|(lo, hi)| draw(lo, hi)).collect();
    let ints = || {
        values
            .iter()
            .map(|v| v.round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32)
            .collect::<Vec<i32>>()
    };
    Some(match p.kind {
        ParamKind::Double => ParamValue::Double(*values.first()?),
        ParamKind::Integer => ParamValue::Int(*ints().first()?),
        k if is_int(k) => ParamValue::Ints(ints()),
        ParamKind::Double2D | ParamKind::Double3D | ParamKind::Rgb | ParamKind::Rgba => {
            ParamValue::Doubles(values)
        }
        _ => return None,
    })
}

/// A random value within the declared constraints.
fn random_value(p: &ParamDescription, rng: &mut fastrand::Rng) -> Option<ParamValue> {
    match p.kind {
        ParamKind::Boolean => Some(ParamValue::Bool(rng.bool())),
        ParamKind::Choice if !p.options.is_empty() => Some(ParamValue::Int(
            i32::try_from(rng.usize(..p.options.len())).unwrap_or(0),
        )),
        ParamKind::StrChoice if !p.options.is_empty() => Some(ParamValue::String(
            p.options[rng.usize(..p.options.len())].clone(),
        )),
        ParamKind::String => {
            let len = rng.usize(..24);
            Some(ParamValue::String(
                (0..len).map(|_| rng.alphanumeric()).collect(),
            ))
        }
        ParamKind::Group | ParamKind::Page | ParamKind::PushButton => None,
        _ => numeric(p, |lo, hi| {
            // Ends of the range now and then: that is where bugs live.
            match rng.u8(..10) {
                0 => lo,
                1 => hi,
                _ if lo.is_finite() && hi.is_finite() => lo + (hi - lo) * rng.f64(),
                _ => rng.f64() * 100.0,
            }
        }),
    }
}

/// How a render with chosen parameter values went.
enum Rendered {
    Done,
    /// The plugin refused the combination with an error status and told the artist why.
    Refused(String),
    Failed,
}

/// Renders with parameter values the validator chose. Some combinations make no sense to a plugin
/// (a layout its model does not have, say): refusing them with an error status and a message is
/// correct. Refusing without a word warns (the artist sees nothing); any other failure (the host could
/// not use the plugin's answers) fails.
fn render_chosen(
    rig: &mut Rig,
    case: &str,
    inst: &Instance,
    time: f64,
    options: &ofx_sdk::host::RenderOptions,
    values: &str,
) -> Rendered {
    match inst.render_with_report(time, options) {
        Ok(r) => {
            let before = rig.out.checks.len();
            check_report(rig, case, &r, false);
            let failed = rig.out.checks[before..]
                .iter()
                .any(|c| c.verdict == crate::validate::report::Verdict::Fail);
            if failed {
                rig.fail(
                    Some(case),
                    format!("the parameter values of this case: {values}"),
                );
            }
            Rendered::Done
        }
        Err(e) if e.status().is_some() && !e.messages().is_empty() => {
            Rendered::Refused(e.to_string())
        }
        Err(e) if e.status().is_some() => {
            rig.warn(
                Some(case),
                format!("{values}: refused without a message for the artist: {e}"),
            );
            Rendered::Refused(e.to_string())
        }
        Err(e) => {
            rig.fail(Some(case), format!("render with {values} failed: {e}"));
            Rendered::Failed
        }
    }
}

pub fn choices(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let Some(probe) = instance(rig, "setup", &plugin, ctx, W, H, 60) else {
        return;
    };
    let params: Vec<ParamDescription> = variable(rig, &probe)
        .into_iter()
        .filter(|p| {
            matches!(
                p.kind,
                ParamKind::Choice | ParamKind::StrChoice | ParamKind::Boolean
            )
        })
        .collect();
    drop(probe);
    if params.is_empty() {
        rig.skip(None, "no choice or boolean parameter");
        return;
    }
    let options = rig.options();
    let mut done = 0;
    for p in params {
        let values: Vec<ParamValue> = match p.kind {
            ParamKind::Boolean => vec![ParamValue::Bool(false), ParamValue::Bool(true)],
            ParamKind::Choice => (0..p.options.len())
                .filter_map(|i| i32::try_from(i).ok().map(ParamValue::Int))
                .collect(),
            _ => p.options.iter().cloned().map(ParamValue::String).collect(),
        };
        for (i, v) in values.into_iter().enumerate() {
            let case = format!("{}={i}", p.name);
            if !rig.wants(&case) {
                continue;
            }
            rig.begin(&case);
            let Some(inst) = instance(rig, &case, &plugin, ctx, W, H, 61) else {
                continue;
            };
            if let Err(e) = inst.set_param(&p.name, v.clone()) {
                rig.fail(
                    Some(&case),
                    format!("setting {} to {v} failed: {e}", p.name),
                );
                continue;
            }
            match render_chosen(rig, &case, &inst, 1.0, &options, &format!("{}={v}", p.name)) {
                Rendered::Done => done += 1,
                Rendered::Refused(why) => refused_alone(rig, &case, &why),
                Rendered::Failed => {}
            }
        }
    }
    rig.pass(None, format!("{done} option values rendered"));
}

pub fn fuzz(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let Some(probe) = instance(rig, "setup", &plugin, ctx, W, H, 70) else {
        return;
    };
    let params = variable(rig, &probe);
    drop(probe);
    if params.is_empty() {
        rig.skip(None, "no parameter the validator may vary");
        return;
    }
    let cases = rig.count(40, 4);
    let options = rig.options();
    // Each numeric parameter alone at both ends of its declared range.
    let mut ends = 0;
    for p in params.iter().filter(|p| p.min.is_some() && p.max.is_some()) {
        for (end, pick_low) in [("min", true), ("max", false)] {
            let case = format!("{}={end}", p.name);
            if !rig.wants(&case) {
                continue;
            }
            let Some(v) = numeric(p, |lo, hi| if pick_low { lo } else { hi }) else {
                continue;
            };
            rig.begin(&case);
            let Some(inst) = instance(rig, &case, &plugin, ctx, W, H, 70) else {
                continue;
            };
            if let Err(e) = inst.set_param(&p.name, v.clone()) {
                rig.fail(Some(&case), format!("setting {}={v} failed: {e}", p.name));
                continue;
            }
            match render_chosen(rig, &case, &inst, 1.0, &options, &format!("{}={v}", p.name)) {
                Rendered::Done => ends += 1,
                Rendered::Refused(why) => refused_alone(rig, &case, &why),
                Rendered::Failed => {}
            }
        }
    }
    if ends > 0 {
        rig.pass(
            None,
            format!("{ends} range ends rendered, one parameter at a time"),
        );
    }
    let (mut done, mut refused) = (0, Vec::new());
    for i in 0..cases {
        let case = i.to_string();
        if !rig.wants(&case) {
            continue;
        }
        rig.begin(&case);
        let mut rng = rig.rng(&case);
        let Some(inst) = instance(rig, &case, &plugin, ctx, W, H, 71 + i as u64) else {
            continue;
        };
        // A random third of the parameters (one at least) per case: varying all of them at once
        // mostly makes combinations a plugin rightly refuses, and tests little of its rendering.
        let pick = rng.usize(..params.len());
        let mut set = Vec::new();
        for (k, p) in params.iter().enumerate() {
            if k != pick && rng.u8(..3) != 0 {
                continue;
            }
            let Some(v) = random_value(p, &mut rng) else {
                continue;
            };
            match inst.set_param(&p.name, v.clone()) {
                Ok(()) => set.push(format!("{}={v}", p.name)),
                Err(e) if e.is_usage() => {}
                Err(e) => rig.fail(
                    Some(&case),
                    format!("InstanceChanged for {}={v} failed: {e}", p.name),
                ),
            }
        }
        let time = 1.0 + i as f64;
        match render_chosen(rig, &case, &inst, time, &options, &set.join(" ")) {
            Rendered::Done => done += 1,
            Rendered::Refused(why) => refused.push(format!("{case}: {why}")),
            Rendered::Failed => {}
        }
    }
    rig.pass(
        None,
        format!("{done} of {cases} random parameter sets rendered"),
    );
    note_refusals(rig, &refused);
}

/// A value refused on its own, every other parameter at its default: the declared constraints offer
/// it, yet it cannot render. A warning: sometimes by design (a value that contradicts the loaded
/// model), sometimes a range wider than the plugin can honour.
fn refused_alone(rig: &mut Rig, case: &str, why: &str) {
    rig.warn(
        Some(case),
        format!(
            "a value the parameter declares, alone with the rest at defaults, is refused: {why}"
        ),
    );
}

/// Reports the combinations the plugin refused (correctly, with a message), with the first reasons.
fn note_refusals(rig: &mut Rig, refused: &[String]) {
    if refused.is_empty() {
        return;
    }
    rig.pass(
        None,
        format!(
            "{} combination(s) refused with an error and a message, as they should be when they make no sense to the plugin",
            refused.len()
        ),
    );
    // Each different reason once, with the first case that gave it.
    let mut reasons: Vec<(&str, &str)> = Vec::new();
    for r in refused {
        let (case, why) = r.split_once(": ").unwrap_or(("", r.as_str()));
        if !reasons.iter().any(|(_, w)| *w == why) {
            reasons.push((case, why));
        }
    }
    for (case, why) in reasons.into_iter().take(12) {
        rig.pass(Some(case), format!("refused: {why}"));
    }
}

pub fn out_of_range(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let Some(probe) = instance(rig, "setup", &plugin, ctx, W, H, 80) else {
        return;
    };
    let params: Vec<ParamDescription> = variable(rig, &probe)
        .into_iter()
        .filter(|p| p.min.is_some() || p.max.is_some())
        .collect();
    drop(probe);
    if params.is_empty() {
        rig.skip(None, "no parameter with a declared range");
        return;
    }
    let options = rig.options();
    let (mut rendered, mut refused) = (0, 0);
    for p in params {
        let beyond: [(&str, f64); 4] = [
            ("below", -0.5),
            ("far-below", -10.0),
            ("above", 0.5),
            ("far-above", 10.0),
        ];
        for (label, k) in beyond {
            let case = format!("{}-{label}", p.name);
            if !rig.wants(&case) {
                continue;
            }
            let Some(v) = numeric(&p, |lo, hi| {
                let span = if (hi - lo).is_finite() && hi > lo {
                    hi - lo
                } else {
                    1.0
                };
                if k < 0.0 {
                    lo + span * k
                } else {
                    hi + span * k
                }
            }) else {
                continue;
            };
            rig.begin(&case);
            let Some(inst) = instance(rig, &case, &plugin, ctx, W, H, 81) else {
                continue;
            };
            if let Err(e) = inst.set_param_unchecked(&p.name, v.clone()) {
                rig.warn(
                    Some(&case),
                    format!(
                        "InstanceChanged for {}={v} (beyond its range) failed: {e}",
                        p.name
                    ),
                );
                continue;
            }
            match inst.render_with_report(1.0, &options) {
                Ok(r) => {
                    let odd = checks::odd_values(&r.image, r.depth, r.components);
                    if odd.any() {
                        rig.warn(
                            Some(&case),
                            format!(
                                "{}={v} (beyond its range) gives {} in the output",
                                p.name,
                                odd.describe()
                            ),
                        );
                    }
                    rendered += 1;
                }
                Err(_) => refused += 1,
            }
        }
    }
    rig.pass(
        None,
        format!("survived values beyond the ranges: {rendered} rendered, {refused} refused with an error"),
    );
}

pub fn animation(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let Some(probe) = instance(rig, "setup", &plugin, ctx, W, H, 90) else {
        return;
    };
    let params: Vec<ParamDescription> = variable(rig, &probe)
        .into_iter()
        .filter(|p| p.animates)
        .collect();
    drop(probe);
    if params.is_empty() {
        rig.skip(None, "no animatable parameter");
        return;
    }
    let options = rig.options();
    let case = "keys";
    rig.begin(case);
    let Some(inst) = instance(rig, case, &plugin, ctx, W, H, 91) else {
        return;
    };
    let mut rng = rig.rng(case);
    let mut animated = Vec::new();
    for p in &params {
        let (Some(a), Some(b)) = (random_value(p, &mut rng), random_value(p, &mut rng)) else {
            continue;
        };
        let keys = [(0.0, a.clone()), (10.0, b.clone())];
        match inst.set_param_keys(&p.name, &keys) {
            Ok(()) => animated.push(format!("{} {a} -> {b}", p.name)),
            Err(e) if e.is_usage() => {}
            Err(e) => rig.fail(Some(case), format!("animating {} failed: {e}", p.name)),
        }
    }
    let mut done = 0;
    for time in [0.0, 2.5, 5.0, 10.0, 15.0] {
        if checked_render(rig, case, &inst, time, &options).is_some() {
            done += 1;
        }
    }
    rig.pass(
        Some(case),
        format!(
            "{done} frames rendered with keyframes on frames 0 and 10 ({})",
            animated.join(", ")
        ),
    );
}
