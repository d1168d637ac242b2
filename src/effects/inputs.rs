//! The ONNX Inference node's inputs beyond the Source image and its output choice: the optional
//! clips a manifest can map inputs to (Mask, Reference), frames in time (GetFramesNeeded), the
//! parameter slots that feed scalar inputs (float inputs from *Value 1..4*, int inputs from *Integer
//! 1..2*, string inputs from *Text*), the *View Output* choice, and the recurrent state kept per
//! instance.
//!
//! OFX declares clips and parameters once, before any model is chosen, so the node offers a fixed set
//! and the manifest maps the model's inputs onto it, in the order the inputs are listed: the first
//! float input reads *Value 1*, the second *Value 2*, and so on. The info field names the mapping.

use std::collections::HashMap;
use std::ffi::{CStr, CString};

use ofx_sdk::plugin::{EffectInstance, ParamDef, StringMode};

use crate::error::{Error, Result};
use crate::manifest::{ImageOutput, InputKind, Manifest, OutputRole, ScalarDefault};
use crate::pipeline::{FrameSpec, Value};

/// Optional clips a manifest can read besides Source.
pub const MASK_CLIP: &CStr = c"Mask";
pub const REFERENCE_CLIP: &CStr = c"Reference";
/// Every input clip, Source first.
pub const INPUT_CLIPS: [&str; 3] = ["Source", "Mask", "Reference"];

/// Stable parameter names of the slots. Never rename one.
pub const VALUES: [&CStr; 4] = [c"value1", c"value2", c"value3", c"value4"];
pub const INTEGERS: [&CStr; 2] = [c"integer1", c"integer2"];
pub const TEXTS: [&CStr; 1] = [c"text1"];
pub const VIEW_OUTPUT: &CStr = c"viewOutput";

/// *View Output* options: saved projects store the index, so append, never reorder.
const VIEW_OPTIONS: [&str; 5] = ["From model", "Output 1", "Output 2", "Output 3", "Output 4"];

/// The slots' definitions, after the node's own parameters.
pub fn definitions() -> Vec<ParamDef> {
    let mut defs = Vec::new();
    for (i, name) in VALUES.iter().enumerate() {
        defs.push(
            ParamDef::double(&name.to_string_lossy(), &format!("Value {}", i + 1), 0.0)
                .range(-1.0e6, 1.0e6)
                .display_range(0.0, 1.0)
                .hint("Feeds the model's float input of this rank (the Model field names it); the model's manifest suggests its value and range."),
        );
    }
    for (i, name) in INTEGERS.iter().enumerate() {
        defs.push(
            ParamDef::integer(&name.to_string_lossy(), &format!("Integer {}", i + 1), 0)
                .range(-1.0e6, 1.0e6)
                .display_range(0.0, 100.0)
                .hint("Feeds the model's integer input of this rank (the Model field names it)."),
        );
    }
    defs.push(
        ParamDef::string("text1", "Text", "", StringMode::SingleLine)
            .hint("Feeds the model's string input (the Model field names it).")
            .animates(false),
    );
    defs.push(
        ParamDef::choice("viewOutput", "View Output", &VIEW_OPTIONS, 0)
            .hint("Which of the model's outputs the node shows as colour: the one its manifest names, or the Nth output of the graph.")
            .animates(false),
    );
    defs
}

/// The slot each scalar input reads, in manifest order: `(input name, kind, slot parameter)`.
pub fn slots(manifest: &Manifest) -> Result<Vec<(String, InputKind, &'static CStr)>> {
    let mut counts: HashMap<InputKind, usize> = HashMap::new();
    let mut out = Vec::new();
    for input in manifest.inputs.iter().filter(|i| i.kind.is_scalar()) {
        let n = counts.entry(input.kind).or_insert(0);
        let table: &[&'static CStr] = match input.kind {
            InputKind::Float => &VALUES,
            InputKind::Int => &INTEGERS,
            _ => &TEXTS,
        };
        let slot = table.get(*n).ok_or_else(|| {
            Error::Ofx(ofx_sdk::Error::InvalidValue(format!(
                "the model has more than {} {} inputs; this node has {} slots for them",
                table.len(),
                input.kind.name(),
                table.len()
            )))
        })?;
        *n += 1;
        out.push((input.name.clone(), input.kind, *slot));
    }
    Ok(out)
}

/// The values of the spec's extra inputs at `time`, by index into [`FrameSpec::extra`] (images and
/// states get a placeholder), clamped to the manifest's range.
pub fn values(
    instance: &EffectInstance<'_>,
    time: f64,
    manifest: &Manifest,
    spec: &FrameSpec,
) -> Result<Vec<Value>> {
    let slots = slots(manifest)?;
    let mut out = Vec::with_capacity(spec.extra.len());
    for extra in &spec.extra {
        let slot = slots.iter().find(|(n, _, _)| *n == extra.input.name);
        let clamp = |v: f64| {
            let lo = extra.input.min.unwrap_or(f64::NEG_INFINITY);
            let hi = extra.input.max.unwrap_or(f64::INFINITY);
            if v.is_nan() {
                lo.max(0.0).min(hi)
            } else {
                v.clamp(lo, hi)
            }
        };
        out.push(match slot {
            Some((_, InputKind::Float, p)) => {
                Value::Float(clamp(instance.param(p)?.double_at(time)?) as f32)
            }
            Some((_, InputKind::Int, p)) => {
                Value::Int(clamp(f64::from(instance.param(p)?.int_at(time)?)) as i64)
            }
            Some((_, _, p)) => Value::Text(instance.param(p)?.string_at(time)?),
            None => Value::Float(0.0),
        });
    }
    Ok(out)
}

/// Writes the manifest's defaults into the slots (when the artist picks a model) and labels them with
/// the inputs' names where the host allows it.
pub fn apply_defaults(instance: &EffectInstance<'_>, manifest: &Manifest) -> Result<()> {
    for (name, kind, slot) in slots(manifest)? {
        let Some(input) = manifest.input(&name) else {
            continue;
        };
        let param = instance.param(slot)?;
        match (&input.default, kind) {
            (Some(ScalarDefault::Number(v)), InputKind::Float) => param.set_double(*v)?,
            (Some(ScalarDefault::Number(v)), InputKind::Int) => {
                param.set_int(v.round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32)?;
            }
            (Some(ScalarDefault::Text(t)), InputKind::String) => param.set_string(t)?,
            _ => {}
        }
        // Labels of parameter instances are read-only on some hosts: a courtesy only.
        let _ =
            param
                .properties()
                .set_string(ofx_str_label(), 0, &format!("{name} ({})", kind.name()));
    }
    Ok(())
}

fn ofx_str_label() -> &'static CStr {
    ofx_sdk::ofx_str!(kOfxPropLabel)
}

/// The output roles *View Output* asks for: output N (graph order) as colour, the others ignored
/// (alpha outputs keep their role). Empty for "From model".
pub fn view_roles(choice: i32, outputs: &[String]) -> Result<Vec<(String, OutputRole)>> {
    let Some(n) = usize::try_from(choice).ok().filter(|n| *n > 0) else {
        return Ok(Vec::new());
    };
    if n > outputs.len() {
        return Err(Error::Ofx(ofx_sdk::Error::InvalidValue(format!(
            "View Output is output {n}, but the model has {} output{}",
            outputs.len(),
            if outputs.len() == 1 { "" } else { "s" }
        ))));
    }
    Ok(outputs
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let role = if i + 1 == n {
                OutputRole::Color
            } else {
                OutputRole::Ignore
            };
            (name.clone(), role)
        })
        .collect())
}

/// The frame ranges each input clip needs for the frame at `time`: the offsets of the inputs that
/// read it (Source always includes the frame itself).
pub fn frames_needed(spec: &FrameSpec, time: f64) -> Vec<(CString, (f64, f64))> {
    let mut ranges: Vec<(CString, (f64, f64))> = Vec::new();
    let inputs = std::iter::once(&spec.input)
        .chain(spec.extra.iter().map(|e| &e.input).filter(|i| i.is_image()));
    for input in inputs {
        let Ok(clip) = CString::new(input.clip.as_str()) else {
            continue;
        };
        let t = time + input.time_offset as f64;
        match ranges.iter_mut().find(|(c, _)| *c == clip) {
            Some((_, (lo, hi))) => {
                *lo = lo.min(t);
                *hi = hi.max(t);
            }
            None => ranges.push((clip, (t.min(time), t.max(time)))),
        }
    }
    ranges
}

/// One line for the info field: the mapping of inputs to clips, frames and slots, and the recurrent
/// policy.
pub fn describe(manifest: &Manifest, spec: &FrameSpec) -> String {
    let mut parts = Vec::new();
    for extra in &spec.extra {
        let input = &extra.input;
        match input.kind {
            InputKind::Image => parts.push(format!(
                "'{}' from {}{}",
                input.name,
                input.clip,
                match input.time_offset {
                    0 => String::new(),
                    o => format!(" at frame {o:+}"),
                }
            )),
            InputKind::State => parts.push(format!(
                "'{}' is the state fed back from '{}'",
                input.name,
                input.state_of.as_deref().unwrap_or("?")
            )),
            _ => {}
        }
    }
    if let Ok(slots) = slots(manifest) {
        for (name, _, slot) in slots {
            parts.push(format!("'{name}' from {}", slot.to_string_lossy()));
        }
    }
    if spec.is_recurrent() {
        parts.push(
            "recurrent: state carried from frame to frame (render in order; the whole frame is one \
             tile), reset when frames are not consecutive"
                .into(),
        );
    }
    parts.join("; ")
}

/// The graph's output names in order, for [`view_roles`].
pub fn output_names(outputs: &[ImageOutput]) -> Vec<String> {
    outputs.iter().map(|o| o.name.clone()).collect()
}
