//! Renders: formats, geometry, and the checks on the pixels that come out.

use ofx_sdk::host::{Image, Instance, RenderOptions};
use ofx_sdk::{Context, Field, PixelDepth, RectI};

use super::{
    H, W, best_depth, canary_pair, check_report, checked_render, components, components_name,
    depth_name, depths, instance, setup, tiles,
};
use crate::validate::checks;
use crate::validate::rig::{Rig, input_clips};

pub fn formats(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let Some(probe) = instance(rig, "setup", &plugin, ctx, W, H, 10) else {
        return;
    };
    let layouts = components(&probe);
    drop(probe);
    let mut done = 0;
    for depth in depths(&plugin) {
        for comps in &layouts {
            for negative in [false, true] {
                let case = format!(
                    "{}-{}-{}",
                    depth_name(depth),
                    components_name(*comps),
                    if negative { "top-down" } else { "bottom-up" }
                );
                if !rig.wants(&case) {
                    continue;
                }
                rig.begin(&case);
                let Some(inst) = instance(rig, &case, &plugin, ctx, W, H, 11) else {
                    continue;
                };
                let options = RenderOptions {
                    depth: Some(depth),
                    components: *comps,
                    negative_row_bytes: negative,
                    ..rig.options()
                };
                if let Some(r) = checked_render(rig, &case, &inst, 1.0, &options) {
                    if r.identity.is_none() && (r.depth != depth || r.components != *comps) {
                        rig.warn(
                            Some(&case),
                            format!(
                                "asked for {} {}, the plugin's clip preferences made it {} {}",
                                depth_name(depth),
                                components_name(*comps),
                                depth_name(r.depth),
                                components_name(r.components)
                            ),
                        );
                    }
                    done += 1;
                }
            }
        }
    }
    // The other context this host runs, when the plugin has it too.
    let others: Vec<Context> = plugin
        .description()
        .contexts
        .iter()
        .copied()
        .filter(|c| *c != ctx && matches!(c, Context::Filter | Context::General))
        .collect();
    for other in others {
        let case = format!("context-{}", ofx_sdk::host::names::context(other));
        if !rig.wants(&case) {
            continue;
        }
        rig.begin(&case);
        let Some(inst) = instance(rig, &case, &plugin, other, W, H, 12) else {
            continue;
        };
        let options = RenderOptions {
            depth: Some(best_depth(&plugin)),
            ..rig.options()
        };
        if canary_pair(rig, &case, &inst, 1.0, &options).is_some() {
            done += 1;
        }
    }
    rig.pass(
        None,
        format!("{done} depth x components x row order combinations (and other contexts) rendered"),
    );
}

/// One geometry case: a frame size, and optionally a render window, scale, field, padding and a
/// cropped source.
struct Shape {
    name: String,
    frame: (usize, usize),
    options: RenderOptions,
    needs_tiles: bool,
}

fn shapes(rig: &Rig, base: &RenderOptions) -> Vec<Shape> {
    let shape = |name: &str, frame, f: &dyn Fn(&mut RenderOptions), needs_tiles| {
        let mut options = RenderOptions {
            bounds_padding: 2,
            ..base.clone()
        };
        f(&mut options);
        Shape {
            name: name.to_owned(),
            frame,
            options,
            needs_tiles,
        }
    };
    let window = |r: RectI| move |o: &mut RenderOptions| o.render_window = Some(r);
    let mut v = vec![
        shape("frame-1x1", (1, 1), &|_| {}, false),
        shape("frame-1x17", (1, 17), &|_| {}, false),
        shape("frame-17x1", (17, 1), &|_| {}, false),
        shape("frame-odd-31x17", (31, 17), &|_| {}, false),
        shape(
            "frame-top-down",
            (W, H),
            &|o| o.negative_row_bytes = !o.negative_row_bytes,
            false,
        ),
        shape(
            "bounds-padding-16",
            (W, H),
            &|o| o.bounds_padding = 16,
            false,
        ),
        shape("scale-0.5", (W, H), &|o| o.render_scale = 0.5, false),
        shape("scale-0.25", (W, H), &|o| o.render_scale = 0.25, false),
        shape(
            "scale-0.5-odd-31x17",
            (31, 17),
            &|o| o.render_scale = 0.5,
            false,
        ),
        shape("field-lower", (W, H), &|o| o.field = Field::Lower, false),
        shape("field-upper", (W, H), &|o| o.field = Field::Upper, false),
        shape(
            "window-1x1-origin",
            (W, H),
            &window(RectI::new(0, 0, 1, 1)),
            true,
        ),
        shape(
            "window-1x1-inside",
            (W, H),
            &window(RectI::new(33, 21, 34, 22)),
            true,
        ),
        shape(
            "window-odd",
            (W, H),
            &window(RectI::new(3, 5, 14, 12)),
            true,
        ),
        shape(
            "window-top-right",
            (W, H),
            &window(RectI::new(41, 30, 64, 48)),
            true,
        ),
        shape(
            "window-one-row",
            (W, H),
            &window(RectI::new(0, 47, 64, 48)),
            true,
        ),
        shape(
            "window-past-the-frame",
            (W, H),
            &window(RectI::new(50, 40, 90, 70)),
            true,
        ),
        shape(
            "window-top-down",
            (W, H),
            &|o| {
                o.render_window = Some(RectI::new(7, 3, 29, 40));
                o.negative_row_bytes = !o.negative_row_bytes;
            },
            true,
        ),
        shape(
            "source-cropped-to-window",
            (W, H),
            &|o| {
                let r = RectI::new(10, 8, 40, 30);
                o.render_window = Some(r);
                o.source_bounds = Some(r);
            },
            true,
        ),
        shape(
            "source-partly-missing",
            (W, H),
            &|o| o.source_bounds = Some(RectI::new(0, 0, 40, 30)),
            true,
        ),
    ];
    if rig.level() >= 8 {
        v.push(shape("frame-large-523x301", (523, 301), &|_| {}, false));
        v.push(shape(
            "scale-0.25-large-523x301",
            (523, 301),
            &|o| o.render_scale = 0.25,
            false,
        ));
    }
    v
}

pub fn geometry(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let Some(probe) = instance(rig, "setup", &plugin, ctx, W, H, 20) else {
        return;
    };
    let tiled = tiles(&plugin, &probe);
    drop(probe);
    let base = RenderOptions {
        depth: Some(best_depth(&plugin)),
        ..rig.options()
    };
    let (mut done, mut skipped) = (0, 0);
    for s in shapes(rig, &base) {
        if !rig.wants(&s.name) {
            continue;
        }
        if s.needs_tiles && !tiled {
            skipped += 1;
            continue;
        }
        rig.begin(&s.name);
        let Some(inst) = instance(rig, &s.name, &plugin, ctx, s.frame.0, s.frame.1, 21) else {
            continue;
        };
        let Some(r) = canary_pair(rig, &s.name, &inst, 1.0, &s.options) else {
            continue;
        };
        if r.identity.is_none() {
            let want = expected_window(&s.options, r.region_of_definition);
            if (r.image.width(), r.image.height()) != want {
                rig.warn(
                    Some(&s.name),
                    format!(
                        "the output is {}x{}, expected {}x{} (a region of definition other than the source's?)",
                        r.image.width(),
                        r.image.height(),
                        want.0,
                        want.1
                    ),
                );
            }
        }
        done += 1;
    }
    if skipped > 0 {
        rig.skip(
            None,
            format!(
                "{skipped} render-window and cropped-source cases: the plugin does not support tiles, so hosts always render it whole"
            ),
        );
    }
    rig.pass(None, format!("{done} geometry cases rendered"));
}

/// The render window's size for a case, from the region of definition the plugin reported.
fn expected_window(options: &RenderOptions, rod: ofx_sdk::RectD) -> (usize, usize) {
    let s = options.render_scale;
    let full = rod.scaled(s, s).round_out();
    let window = options
        .render_window
        .and_then(|w| w.intersect(&full))
        .unwrap_or(full);
    (window.width(), window.height())
}

pub fn coverage(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let Some(probe) = instance(rig, "setup", &plugin, ctx, W, H, 30) else {
        return;
    };
    let layouts = components(&probe);
    drop(probe);
    let mut done = 0;
    for depth in depths(&plugin) {
        for comps in &layouts {
            let case = format!("{}-{}", depth_name(depth), components_name(*comps));
            if !rig.wants(&case) {
                continue;
            }
            rig.begin(&case);
            let Some(inst) = instance(rig, &case, &plugin, ctx, W, H, 31) else {
                continue;
            };
            let options = RenderOptions {
                depth: Some(depth),
                components: *comps,
                bounds_padding: 3,
                ..rig.options()
            };
            if canary_pair(rig, &case, &inst, 1.0, &options).is_some() {
                done += 1;
            }
        }
    }
    rig.pass(
        None,
        format!(
            "{done} formats rendered over two canaries with 3 pixels of padding around the window"
        ),
    );
}

/// Source pictures at the edges of the value range.
fn special_sources(w: usize, h: usize) -> Vec<(&'static str, Image)> {
    let ramp = |lo: f32, hi: f32| {
        let mut img = Image::new(w, h);
        for y in 0..h {
            for x in 0..w {
                let t = (x + y * w) as f32 / (w * h).max(2) as f32;
                let v = lo + (hi - lo) * t;
                img.set_pixel(x, y, [v, v * 0.5, hi - v + lo, 1.0]);
            }
        }
        img
    };
    vec![
        ("black", Image::filled(w, h, [0.0, 0.0, 0.0, 1.0])),
        ("white", Image::filled(w, h, [1.0, 1.0, 1.0, 1.0])),
        ("transparent", Image::filled(w, h, [0.0, 0.0, 0.0, 0.0])),
        (
            "straight-colour-no-alpha",
            Image::filled(w, h, [0.8, 0.5, 0.2, 0.0]),
        ),
        ("over-range", ramp(0.0, 16.0)),
        ("negative", ramp(-2.0, 0.5)),
        // Tiny but normal floats: a denormal in the output is the plugin's own making.
        ("tiny", Image::filled(w, h, [1e-30, 1e-20, 1e-37, 1.0])),
    ]
}

pub fn values(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let depth = best_depth(&plugin);
    if matches!(depth, PixelDepth::Byte | PixelDepth::Short) {
        rig.skip(
            None,
            "the plugin only renders integer depths, which cannot hold NaN, infinity or denormals",
        );
        return;
    }
    let options = RenderOptions {
        depth: Some(depth),
        ..rig.options()
    };
    let mut done = 0;
    for (name, image) in special_sources(W, H) {
        if !rig.wants(name) {
            continue;
        }
        rig.begin(name);
        let Some(inst) = instance(rig, name, &plugin, ctx, W, H, 40) else {
            continue;
        };
        if let Err(e) = set_all_sources(&inst, &image) {
            rig.fail(Some(name), format!("cannot connect the source: {e}"));
            continue;
        }
        if checked_render(rig, name, &inst, 1.0, &options).is_some() {
            done += 1;
        }
    }
    rig.pass(
        None,
        format!(
            "{done} special sources rendered at {}, output values checked",
            depth_name(depth)
        ),
    );
}

fn set_all_sources(inst: &Instance, image: &Image) -> Result<(), ofx_sdk::host::HostError> {
    for c in input_clips(inst) {
        inst.set_source(&c, image.clone())?;
    }
    Ok(())
}

pub fn determinism(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let case = "repeat";
    rig.begin(case);
    let options = RenderOptions {
        depth: Some(best_depth(&plugin)),
        ..rig.options()
    };
    let Some(first) = instance(rig, case, &plugin, ctx, W, H, 50) else {
        return;
    };
    let Some(a) = checked_render(rig, case, &first, 1.0, &options) else {
        return;
    };
    // Another frame in between, then the first again, then a fresh instance.
    let _ = first.render(2.0, &options);
    let Some(b) = rig.render(case, &first, 1.0, &options) else {
        return;
    };
    let Some(second) = instance(rig, case, &plugin, ctx, W, H, 50) else {
        return;
    };
    let Some(c) = rig.render(case, &second, 1.0, &options) else {
        return;
    };
    compare(
        rig,
        case,
        &a.image,
        &b.image,
        "on the same instance",
        a.depth,
    );
    compare(
        rig,
        case,
        &a.image,
        &c.image,
        "on a fresh instance",
        a.depth,
    );
    check_report(rig, case, &c, false);
}

fn compare(rig: &mut Rig, case: &str, a: &Image, b: &Image, how: &str, depth: PixelDepth) {
    match checks::max_difference(a, b) {
        None => rig.fail(
            Some(case),
            format!(
                "frame 1 rendered {how} has another size ({}x{} vs {}x{})",
                b.width(),
                b.height(),
                a.width(),
                a.height()
            ),
        ),
        Some(d) if d > checks::tolerance(depth) => rig.fail(
            Some(case),
            format!("frame 1 rendered again {how} differs by up to {d}"),
        ),
        Some(d) if d > 0.0 => rig.pass(
            Some(case),
            format!("frame 1 rendered again {how}: equal within {d} (rounding)"),
        ),
        Some(_) => rig.pass(
            Some(case),
            format!("frame 1 rendered again {how}: identical"),
        ),
    }
}
