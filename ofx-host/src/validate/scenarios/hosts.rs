//! Host personalities: the same small battery of renders under the spec and as a real host does it,
//! so a plugin that works under the spec but breaks in one host is reported with that host named.

use ofx_sdk::host::{CreateMode, Library, Plugin, RenderOptions};
use ofx_sdk::{Context, PixelDepth, RectI};

use super::{H, W, check_report, components_name, depth_name};
use crate::validate::personality::Personality;
use crate::validate::rig::{Rig, input_clips, picture};
use crate::validate::scenarios::describe;

/// What one battery found: the first failure, and notes.
struct Battery {
    failure: Option<String>,
    notes: Vec<String>,
}

pub fn host(rig: &mut Rig, host: Personality) {
    let spec = battery(rig, Personality::Spec, host);
    let theirs = battery(rig, host, host);
    let name = host.name();
    match (&spec.failure, &theirs.failure) {
        (None, None) => rig.pass(
            None,
            format!(
                "works under the spec and as {name} does it ({})",
                theirs.notes.join("; ")
            ),
        ),
        (None, Some(e)) => rig.fail(None, format!("breaks under {name} (works under spec): {e}")),
        (Some(a), Some(b)) => rig.fail(
            None,
            format!("fails under the spec ({a}) and under {name} ({b})"),
        ),
        (Some(a), None) => rig.warn(
            None,
            format!("fails under the spec ({a}) but works as {name} does it"),
        ),
    }
    for n in theirs.notes.iter().filter(|n| n.starts_with("warning: ")) {
        rig.warn(
            None,
            format!("{name}: {}", n.trim_start_matches("warning: ")),
        );
    }
}

/// The renders of one battery: `as_host` decides how (spec or a host), `for_host` which host's
/// battery it is (the spec run replays the same frames the spec's way).
fn battery(rig: &mut Rig, as_host: Personality, for_host: Personality) -> Battery {
    let mut b = Battery {
        failure: None,
        notes: Vec::new(),
    };
    let prefix = as_host.name().to_owned();
    rig.begin(&prefix);
    let library = match Library::load_with(&rig.job.bundle, as_host.load_options()) {
        Ok(l) => l,
        Err(e) => {
            b.failure = Some(format!("cannot load the binary: {e}"));
            return b;
        }
    };
    let id = rig.plugin_id().to_owned();
    let plugin = match library.plugin(&id) {
        Ok(p) => p,
        Err(e) => {
            b.failure = Some(format!("cannot load the plugin: {e}"));
            return b;
        }
    };
    // Keep it loaded: Unload is another scenario's business.
    std::mem::forget(plugin.clone());
    let Some(ctx) = plugin.default_context() else {
        b.failure = Some("no Filter or General context".into());
        return b;
    };
    if as_host == Personality::Mlt {
        mlt_describe(&plugin, ctx, &mut b);
    }
    if as_host == Personality::Resolve {
        match plugin.describe_in_context(ctx) {
            Ok(c) => {
                let loose = describe::unbounded(&c);
                if !loose.is_empty() {
                    b.notes.push(format!(
                        "warning: Resolve wants explicit ranges; no minimum or maximum on {}",
                        loose.join(", ")
                    ));
                }
            }
            Err(e) => b.failure = Some(format!("DescribeInContext failed: {e}")),
        }
    }
    if b.failure.is_some() {
        return b;
    }
    let safety = plugin.description().render_thread_safety;
    let per_frame = as_host.instance_per_frame(safety);
    let light = as_host.light();
    let base = as_host.render_options();
    let frames = frames_of(for_host, &plugin);
    let mut shared = None;
    for (frame, options) in frames {
        let case = format!("{prefix}-frame-{frame}");
        rig.begin(&case);
        let fresh;
        let inst = if per_frame || shared.is_none() {
            let made = plugin.instance(ctx).and_then(|i| {
                i.set_notify_changes(as_host.sends_instance_changed());
                rig.apply_params(&i)?;
                for clip in input_clips(&i) {
                    i.set_source(&clip, picture(W, H, 150, light))?;
                }
                Ok(i)
            });
            match made {
                Ok(i) if per_frame => {
                    fresh = i;
                    &fresh
                }
                Ok(i) => shared.insert(i),
                Err(e) => {
                    b.failure = Some(format!("frame {frame}: cannot set up an instance: {e}"));
                    return b;
                }
            }
        } else {
            match &shared {
                Some(i) => i,
                None => return b,
            }
        };
        let options = RenderOptions {
            withhold_source_images: as_host.withholds_frame(frame),
            ..merge(&base, &options)
        };
        let what = format!(
            "frame {frame} ({}, scale {}, {}{})",
            options.depth.map_or("best depth", depth_name),
            options.render_scale,
            components_name(options.components),
            if options.negative_row_bytes {
                ", rows top-down"
            } else {
                ""
            }
        );
        match inst.render_with_report(frame, &options) {
            Ok(r) => {
                let before = rig.out.checks.len();
                check_report(rig, &case, &r, as_host.strict_clip_preferences());
                // Fold what the checks found into this battery's verdict.
                let found: Vec<_> = rig.out.checks.drain(before..).collect();
                if let Some(f) = found
                    .iter()
                    .find(|c| c.verdict == crate::validate::report::Verdict::Fail)
                {
                    b.failure = Some(format!("{what}: {}", f.message));
                    return b;
                }
                for w in found {
                    b.notes.push(format!("warning: {what}: {}", w.message));
                }
                b.notes.push(format!("{what} rendered"));
            }
            Err(e) if options.withhold_source_images => {
                b.notes
                    .push(format!("{what} without a source image: refused ({e})"));
            }
            Err(e) => {
                b.failure = Some(format!("{what}: {e}"));
                return b;
            }
        }
    }
    if as_host == Personality::Mlt {
        rig.begin("mlt-without-create");
        mlt_without_create(&plugin, ctx, rig, &mut b);
    }
    b.notes
        .retain(|n| n.starts_with("warning: ") || as_host != Personality::Spec);
    b.notes.truncate(12);
    b
}

/// Options of a frame on top of a host's usual set-up: the frame's own choices win.
fn merge(base: &RenderOptions, frame: &RenderOptions) -> RenderOptions {
    let default = RenderOptions::default();
    let mut o = base.clone();
    if frame.depth.is_some() {
        o.depth = frame.depth;
    }
    if frame.render_scale != default.render_scale {
        o.render_scale = frame.render_scale;
    }
    if frame.render_window.is_some() {
        o.render_window = frame.render_window;
    }
    if frame.components != default.components {
        o.components = frame.components;
    }
    o
}

/// The frames of a host's battery and what is special about each.
fn frames_of(host: Personality, plugin: &Plugin) -> Vec<(f64, RenderOptions)> {
    let d = plugin.description();
    let has = |x: PixelDepth| d.pixel_depths.contains(&x);
    let plain = RenderOptions::default();
    match host {
        // 8-bit, and 16-bit for rgba64 projects.
        Personality::Mlt => {
            let mut v = vec![
                (
                    1.0,
                    RenderOptions {
                        depth: has(PixelDepth::Byte).then_some(PixelDepth::Byte),
                        ..plain.clone()
                    },
                ),
                (
                    2.0,
                    RenderOptions {
                        depth: has(PixelDepth::Short).then_some(PixelDepth::Short),
                        ..plain.clone()
                    },
                ),
            ];
            v.push((3.0, plain));
            v
        }
        // Zoomed out to 50 % and 25 %.
        Personality::Natron => vec![
            (
                1.0,
                RenderOptions {
                    render_scale: 0.5,
                    ..plain.clone()
                },
            ),
            (
                2.0,
                RenderOptions {
                    render_scale: 0.25,
                    ..plain.clone()
                },
            ),
            (
                3.0,
                RenderOptions {
                    render_scale: 1.0,
                    ..plain
                },
            ),
        ],
        // Frame 2 has no source image.
        Personality::Resolve => vec![(1.0, plain.clone()), (2.0, plain.clone()), (3.0, plain)],
        // Tiles when the plugin takes them.
        Personality::Nuke => {
            let mut v = vec![(1.0, plain.clone())];
            if d.supports_tiles {
                v.push((
                    2.0,
                    RenderOptions {
                        render_window: Some(RectI::new(0, 0, 32, 24)),
                        ..plain.clone()
                    },
                ));
                v.push((
                    3.0,
                    RenderOptions {
                        render_window: Some(RectI::new(32, 24, 64, 48)),
                        ..plain
                    },
                ));
            } else {
                v.push((2.0, plain));
            }
            v
        }
        Personality::Spec => vec![(1.0, plain)],
    }
}

/// MLT scans again and again: Load and Describe repeated without Unload must declare the same.
fn mlt_describe(plugin: &Plugin, ctx: Context, b: &mut Battery) {
    let first = plugin.description().clone();
    for i in 0..3 {
        match plugin.repeat_load_and_describe() {
            Ok(again) if again == first => {}
            Ok(again) => {
                b.failure = Some(format!(
                    "Load/Describe repeated without Unload (number {}) declared something else: label {:?}, contexts {:?}, depths {:?}",
                    i + 2,
                    again.label,
                    again.contexts,
                    again.pixel_depths
                ));
                return;
            }
            Err(e) => {
                b.failure = Some(format!(
                    "Load/Describe repeated without Unload (number {}) failed: {e}",
                    i + 2
                ));
                return;
            }
        }
    }
    if let Err(e) = plugin.describe_in_context(ctx) {
        b.failure = Some(format!(
            "DescribeInContext without spec defaults failed: {e}"
        ));
        return;
    }
    b.notes.push(
        "Load and Describe repeated 3 times without Unload, properties without spec defaults"
            .into(),
    );
}

/// MLT renders an instance whose creation failed: without instance data the plugin must refuse.
fn mlt_without_create(plugin: &Plugin, ctx: Context, rig: &Rig, b: &mut Battery) {
    let inst = match plugin.instance_with(ctx, CreateMode::Skip) {
        Ok(i) => i,
        Err(e) => {
            b.failure = Some(format!(
                "cannot set up an instance without CreateInstance: {e}"
            ));
            return;
        }
    };
    inst.set_notify_changes(false);
    let _ = rig.apply_params(&inst);
    for clip in input_clips(&inst) {
        let _ = inst.set_source(&clip, picture(W, H, 151, Personality::Mlt.light()));
    }
    let options = RenderOptions {
        negative_row_bytes: true,
        ..RenderOptions::default()
    };
    let note = match inst.render_with_report(1.0, &options) {
        Ok(_) => "Render after a CreateInstance that never ran: rendered".to_owned(),
        Err(e) => format!(
            "Render after a CreateInstance that never ran: refused with {}",
            e.status().map_or_else(|| e.to_string(), |s| s.to_string())
        ),
    };
    b.notes.push(note);
    let _ = inst.destroy();
}
