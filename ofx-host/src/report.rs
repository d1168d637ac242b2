//! Text output: plugin descriptions and messages, as `ofx-host` prints them.

use std::io::Write;

use ofx_sdk::host::{Message, ParamDescription, ParamKind, ParamValue, PluginDescription, names};

/// `[error] text`, one line per message, as the plugin posted them.
pub fn messages(err: &mut dyn Write, messages: &[Message]) -> std::io::Result<()> {
    for m in messages {
        writeln!(err, "{m}")?;
    }
    Ok(())
}

pub fn warning(err: &mut dyn Write, text: &str) -> std::io::Result<()> {
    writeln!(err, "ofx-host: warning: {text}")
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn join<T>(items: &[T], f: impl Fn(&T) -> &str) -> String {
    if items.is_empty() {
        return "(none)".to_owned();
    }
    items.iter().map(f).collect::<Vec<_>>().join(", ")
}

/// A plugin description as indented text.
pub fn describe(out: &mut dyn Write, d: &PluginDescription) -> std::io::Result<()> {
    let e = &d.effect;
    writeln!(
        out,
        "{} {}.{}  {:?}",
        e.id, e.version_major, e.version_minor, e.label
    )?;
    if let Some(v) = &e.version_label {
        writeln!(out, "  version label:  {v}")?;
    }
    if !e.grouping.is_empty() {
        writeln!(out, "  grouping:       {}", e.grouping)?;
    }
    if !e.description.is_empty() {
        writeln!(
            out,
            "  description:    {}",
            e.description.replace('\n', " ")
        )?;
    }
    writeln!(out, "  binary:         {}", e.binary.display())?;
    writeln!(
        out,
        "  contexts:       {}",
        join(&e.contexts, |c| names::context(*c))
    )?;
    writeln!(
        out,
        "  pixel depths:   {}",
        join(&e.pixel_depths, |p| names::depth(*p))
    )?;
    writeln!(
        out,
        "  thread safety:  {}",
        names::thread_safety(e.render_thread_safety)
    )?;
    writeln!(
        out,
        "  supports:       tiles {}, multi-resolution {}, multiple clip depths {}, temporal access {}",
        yes(e.supports_tiles),
        yes(e.supports_multi_resolution),
        yes(e.supports_multiple_clip_depths),
        yes(e.temporal_clip_access)
    )?;
    for w in &e.warnings {
        writeln!(out, "  warning: {w}")?;
    }
    let Some(c) = &d.context else { return Ok(()) };
    writeln!(out, "context {}", names::context(c.context))?;
    writeln!(out, "  clips:")?;
    let width = c.clips.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for clip in &c.clips {
        let mut extra = String::new();
        if clip.optional {
            extra.push_str("  optional");
        }
        if clip.is_mask {
            extra.push_str("  mask");
        }
        writeln!(
            out,
            "    {:width$}  {}{extra}",
            clip.name,
            join(&clip.components, |x| names::components(*x))
        )?;
    }
    writeln!(out, "  parameters:")?;
    if c.params.is_empty() {
        writeln!(out, "    (none)")?;
    }
    let width = c.params.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in &c.params {
        writeln!(out, "    {:width$}  {}", p.name, param_line(p))?;
    }
    for w in &c.warnings {
        writeln!(out, "  warning: {w}")?;
    }
    Ok(())
}

fn value(v: &ParamValue) -> String {
    v.to_string()
}

fn param_line(p: &ParamDescription) -> String {
    let mut parts = vec![format!("{:9}", p.kind.name())];
    if let Some(d) = &p.default {
        let mut s = format!("default {}", value(d));
        if let (ParamKind::Choice, ParamValue::Int(i)) = (p.kind, d)
            && let Some(o) = usize::try_from(*i).ok().and_then(|i| p.options.get(i))
        {
            s.push_str(&format!(" ({o})"));
        }
        parts.push(s);
    }
    let range = |lo: &Option<ParamValue>, hi: &Option<ParamValue>| match (lo, hi) {
        (None, None) => None,
        (lo, hi) => Some(format!(
            "[{}, {}]",
            lo.as_ref().map_or("-inf".into(), value),
            hi.as_ref().map_or("inf".into(), value)
        )),
    };
    if let Some(r) = range(&p.min, &p.max) {
        parts.push(format!("range {r}"));
    }
    if let Some(r) = range(&p.display_min, &p.display_max) {
        parts.push(format!("display {r}"));
    }
    if !p.options.is_empty() {
        parts.push(format!("options: {}", p.options.join(", ")));
    }
    if let Some(m) = p.string_mode {
        let mode = serde_json::to_value(m)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        parts.push(format!("mode {mode}"));
    }
    if let Some(t) = p.double_type.as_deref().filter(|t| *t != "Plain") {
        parts.push(format!("type {t}"));
    }
    if p.label != p.name {
        parts.push(format!("{:?}", p.label));
    }
    if p.secret {
        parts.push("secret".into());
    }
    if let Some(parent) = &p.parent {
        parts.push(format!("in {parent}"));
    }
    let mut line = parts.join("  ");
    if !p.hint.is_empty() {
        line.push_str(&format!("  -- {}", p.hint.replace('\n', " ")));
    }
    line
}
