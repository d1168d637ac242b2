//! The host side's abilities for testing plugins (what `ofx-host validate` builds on), against the gain
//! fixture: canary fills, cropped sources, keyframes, out-of-range values, concurrent renders of one
//! instance, instance changes during a render, creation modes, hosts without spec defaults, the entry
//! points asked again, repeated Load/Describe and the action observer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{GAIN, assert_close, bundle, expected_gain, picture};
use ofx_sdk::host::{
    ActionEvent, CreateMode, Image, Library, LoadOptions, ParamValue, RenderOptions,
    set_action_observer,
};
use ofx_sdk::{Context, Field, RectI, Status};

fn library() -> Library {
    Library::load(bundle()).unwrap()
}

#[test]
fn output_fill_shows_what_the_plugin_wrote() {
    let plugin = library().plugin(GAIN).unwrap();
    let instance = plugin.instance(Context::Filter).unwrap();
    instance.set_param("gain", ParamValue::Double(0.5)).unwrap();
    let src = picture(9, 7);
    instance.set_source("Source", src.clone()).unwrap();
    let fill = [0.25, 0.5, 0.75, 1.0];
    let window = RectI::new(2, 1, 7, 6);
    let options = RenderOptions {
        render_window: Some(window),
        bounds_padding: 2,
        output_fill: Some(fill),
        field: Field::Lower,
        ..RenderOptions::default()
    };
    let report = instance.render_with_report(1.0, &options).unwrap();
    assert_eq!(report.output_bounds, RectI::new(0, -1, 9, 8));
    let all = report.bounds_image.unwrap();
    assert_eq!((all.width(), all.height()), (9, 9));
    // Inside the window the plugin's pixels, outside the canary.
    for y in 0..9 {
        for x in 0..9 {
            let (px, py) = (x as i32, 7 - y as i32);
            let inside = window.contains(&RectI::new(px, py, px + 1, py + 1));
            let got = all.pixel(x, y).unwrap();
            if inside {
                assert_ne!(got, fill, "pixel {x},{y}");
            } else {
                assert_eq!(got, fill, "pixel {x},{y}");
            }
        }
    }
    let expected = expected_gain(&src, 0.5, false, false);
    // Window rows 1..6 from the bottom of a 7-row image are image rows 1..6 from the top.
    let mut crop_expected = Image::new(5, 5);
    for row in 0..5 {
        for x in 0..5 {
            crop_expected.set_pixel(x, row, expected.pixel(x + 2, row + 1).unwrap());
        }
    }
    assert_close(&report.image, &crop_expected, 1e-6);
}

#[test]
fn cropped_sources_and_renders_without_sequence_actions() {
    let plugin = library().plugin(GAIN).unwrap();
    let instance = plugin.instance(Context::Filter).unwrap();
    instance.set_param("gain", ParamValue::Double(2.0)).unwrap();
    instance.set_source("Source", picture(6, 4)).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handle = instance.handle();
    let log = Arc::clone(&seen);
    set_action_observer(Some(Arc::new(move |e: &ActionEvent<'_>| {
        if e.handle == handle && e.status.is_some() {
            log.lock().unwrap().push(e.action.to_owned());
        }
    })));
    // The source covers the window only: the gain fixture reads inside the window, so it works.
    let window = RectI::new(1, 1, 4, 3);
    let options = RenderOptions {
        render_window: Some(window),
        source_bounds: Some(window),
        skip_sequence_actions: true,
        ..RenderOptions::default()
    };
    let image = instance.render(1.0, &options).unwrap();
    // Without notification (as MLT), a parameter changes silently.
    instance.set_notify_changes(false);
    instance.set_param("gain", ParamValue::Double(3.0)).unwrap();
    instance.set_notify_changes(true);
    let silent = seen.lock().unwrap().len();
    instance.set_param("gain", ParamValue::Double(2.0)).unwrap();
    set_action_observer(None);
    assert_eq!((image.width(), image.height()), (3, 2));
    let actions = seen.lock().unwrap().clone();
    assert!(
        !actions[..silent]
            .iter()
            .any(|a| a == "OfxActionInstanceChanged")
    );
    assert!(
        actions[silent..]
            .iter()
            .any(|a| a == "OfxActionInstanceChanged")
    );
    assert!(actions.iter().any(|a| a == "OfxImageEffectActionRender"));
    assert!(
        !actions.iter().any(|a| a.contains("SequenceRender")),
        "{actions:?}"
    );
}

#[test]
fn keyframes_animate_and_out_of_range_values_pass_unchecked() {
    let plugin = library().plugin(GAIN).unwrap();
    let instance = plugin.instance(Context::Filter).unwrap();
    let src = Image::filled(4, 4, [0.1, 0.2, 0.3, 1.0]);
    instance.set_source("Source", src.clone()).unwrap();
    instance
        .set_param_keys(
            "gain",
            &[
                (10.0, ParamValue::Double(3.0)),
                (0.0, ParamValue::Double(1.0)),
            ],
        )
        .unwrap();
    let options = RenderOptions::default();
    // Halfway between the keys, gain is 2; after the last it is held at 3.
    let mid = instance.render(5.0, &options).unwrap();
    assert_close(&mid, &expected_gain(&src, 2.0, false, false), 1e-6);
    let late = instance.render(20.0, &options).unwrap();
    assert_close(&late, &expected_gain(&src, 3.0, false, false), 1e-6);
    assert!(
        instance
            .set_param_keys("gain", &[(0.0, ParamValue::Double(50.0))])
            .is_err()
    );
    instance.set_param_keys("gain", &[]).unwrap();
    assert!(
        instance
            .set_param("gain", ParamValue::Double(20.0))
            .is_err()
    );
    instance
        .set_param_unchecked("gain", ParamValue::Double(20.0))
        .unwrap();
    assert_eq!(instance.param("gain").unwrap(), ParamValue::Double(20.0));
    assert!(
        instance
            .set_param_unchecked("gain", ParamValue::String("x".into()))
            .is_err()
    );
}

#[test]
fn one_instance_renders_frames_concurrently_and_takes_changes_meanwhile() {
    let plugin = library().plugin(GAIN).unwrap();
    let instance = plugin.instance(Context::Filter).unwrap();
    let src = picture(64, 48);
    instance.set_source("Source", src.clone()).unwrap();
    instance.set_param("gain", ParamValue::Double(0.5)).unwrap();
    let options = RenderOptions::default();
    instance.begin_sequence(1.0, 8.0, &options).unwrap();
    let expected = expected_gain(&src, 0.5, false, false);
    std::thread::scope(|s| {
        let renders: Vec<_> = (1..=8)
            .map(|f| {
                let (instance, options) = (&instance, &options);
                s.spawn(move || instance.render(f64::from(f), options).unwrap())
            })
            .collect();
        for r in renders {
            assert_close(&r.join().unwrap(), &expected, 1e-6);
        }
    });
    instance.end_sequence().unwrap();
    // A change from another thread while renders run: each render sees one value or the other.
    std::thread::scope(|s| {
        let renderer = s.spawn(|| {
            (0..10)
                .map(|f| instance.render(f64::from(f), &options).unwrap())
                .collect::<Vec<_>>()
        });
        for g in [0.5, 0.25, 0.5, 0.25] {
            instance.set_param("gain", ParamValue::Double(g)).unwrap();
        }
        let quarter = expected_gain(&src, 0.25, false, false);
        for image in renderer.join().unwrap() {
            let close = |e: &Image| {
                image
                    .data()
                    .iter()
                    .zip(e.data())
                    .all(|(a, b)| (a - b).abs() < 1e-6)
            };
            assert!(close(&expected) || close(&quarter));
        }
    });
}

#[test]
fn creation_modes_and_hosts_without_spec_defaults() {
    let plugin = library().plugin(GAIN).unwrap();
    // Without CreateInstance the gain fixture still works: it keeps no instance data.
    let skipped = plugin
        .instance_with(Context::Filter, CreateMode::Skip)
        .unwrap();
    assert_eq!(skipped.create_error(), None);
    skipped.set_source("Source", picture(4, 4)).unwrap();
    skipped.render(1.0, &RenderOptions::default()).unwrap();
    skipped.destroy().unwrap();
    let kept = plugin
        .instance_with(Context::Filter, CreateMode::KeepOnFailure)
        .unwrap();
    assert_eq!(kept.create_error(), None);

    let bare = Library::load_with(
        bundle(),
        LoadOptions {
            spec_defaults: false,
        },
    )
    .unwrap();
    let plugin = bare.plugin(GAIN).unwrap();
    let c = plugin.describe_in_context(Context::Filter).unwrap();
    assert_eq!(
        c.param("gain").unwrap().default,
        Some(ParamValue::Double(1.0))
    );
    // The boolean's default was never set: without spec defaults it has none the host could read.
    assert_eq!(
        c.param("channels").unwrap().options,
        ["All".to_owned(), "Red only".to_owned()]
    );
}

#[test]
fn entry_points_answer_the_same_and_load_repeats() {
    let lib = library();
    let plugin = lib.plugin(GAIN).unwrap();
    let again = plugin.repeat_load_and_describe().unwrap();
    assert_eq!(again.id, GAIN);
    assert_eq!(again.label, plugin.description().label);
    drop(plugin);
    assert!(
        lib.recheck_entries().is_empty(),
        "{:?}",
        lib.recheck_entries()
    );
    assert_eq!(Status::OK.raw(), 0);
}
