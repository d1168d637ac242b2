//! `ofx-host render`: image files through a plugin, with the real action sequence: load, describe,
//! describe in context, create instance, parameters (InstanceChanged), begin sequence, render each
//! frame, end sequence, destroy instance, unload.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ofx_sdk::host::{Instance, RenderOptions};
use ofx_sdk::{Components, Premultiplication};

use super::{context, io, load, open, with_messages};
use crate::cli::RenderArgs;
use crate::error::CliError;
use crate::frames::{self, FrameRange};
use crate::imageio::{self, OutputFormat};
use crate::report;
use crate::timings::{FrameTiming, Timings, ms};

/// The Source clip every filter has (and the clip `--input` feeds).
const SOURCE: &str = "Source";

/// Checks the command line before any plugin code runs.
/// The `--clip NAME=PATH` pairs.
fn extra_clips(args: &RenderArgs) -> Result<Vec<(String, PathBuf)>, CliError> {
    args.clips
        .iter()
        .map(|c| match c.split_once('=') {
            Some((name, path)) if !name.is_empty() && !path.is_empty() && name != SOURCE => {
                Ok((name.to_owned(), PathBuf::from(path)))
            }
            _ => Err(CliError::Usage(format!(
                "--clip {c:?}: expected NAME=PATH for an input clip other than {SOURCE}"
            ))),
        })
        .collect()
}

fn check(args: &RenderArgs, range: FrameRange) -> Result<Vec<(String, String)>, CliError> {
    let output = args.output.to_string_lossy();
    if range.len() > 1 && !frames::has_pattern(&output) {
        return Err(CliError::Usage(format!(
            "--frames renders {} frames but the output path {output:?} has no frame pattern (# or %04d)",
            range.len()
        )));
    }
    if OutputFormat::of(&args.output).is_none() {
        return Err(CliError::Usage(format!(
            "{}: unsupported output format (use .png or .exr)",
            args.output.display()
        )));
    }
    super::parse_params(&args.params)
}

fn frame_path(pattern: &Path, frame: i64) -> PathBuf {
    PathBuf::from(frames::expand(&pattern.to_string_lossy(), frame))
}

pub fn run(args: &RenderArgs, _out: &mut dyn Write, err: &mut dyn Write) -> Result<(), CliError> {
    let range = args.frames.unwrap_or(FrameRange::single(1));
    let params = check(args, range)?;
    let library = open(args.bundle.as_deref(), Some(&args.plugin))?;
    let plugin = load(&library, &args.plugin, err)?;
    let ctx = context(&plugin, args.context)?;
    let described = plugin
        .describe_in_context(ctx)
        .map_err(|e| with_messages(err, e))?;
    report::messages(err, &plugin.take_messages()).map_err(io)?;
    for (name, _) in extra_clips(args)? {
        if described.clip(&name).is_none_or(|c| c.name == "Output") {
            return Err(CliError::Usage(format!(
                "{} has no input clip {name} in this context (--clip)",
                args.plugin
            )));
        }
    }
    if described.clip(SOURCE).is_none() {
        return Err(CliError::Usage(format!(
            "{} has no {SOURCE} clip in this context for --input",
            args.plugin
        )));
    }
    let mut timings = Timings {
        plugin: args.plugin.clone(),
        load_ms: ms(plugin.timings().load),
        describe_ms: ms(plugin.timings().describe),
        describe_in_context_ms: ms(plugin.describe_in_context_time(ctx)?),
        ..Timings::default()
    };
    // One instance for the sequence, or a fresh one per frame as MLT does.
    let sequences: Vec<FrameRange> = if args.instance_per_frame {
        range.frames().map(FrameRange::single).collect()
    } else {
        vec![range]
    };
    for sequence in sequences {
        let instance = plugin.instance(ctx).map_err(|e| with_messages(err, e))?;
        timings.create_instance_ms = ms(instance.create_time());
        let result = drive(args, &instance, &params, sequence, &mut timings, err);
        report::messages(err, &instance.take_messages()).map_err(io)?;
        // The instance is destroyed (and the plugin unloaded) whatever happened.
        match instance.destroy() {
            Ok(report) => {
                for w in &report.warnings {
                    report::warning(err, w).map_err(io)?;
                }
            }
            Err(e) => {
                report::messages(err, e.messages()).map_err(io)?;
                if result.is_ok() {
                    return Err(e.into());
                }
            }
        }
        result?;
    }
    if let Some(path) = &args.timings_json {
        let json =
            serde_json::to_string_pretty(&timings).map_err(|e| CliError::Failed(e.to_string()))?;
        std::fs::write(path, json + "\n").map_err(|e| CliError::Io {
            path: path.clone(),
            source: e,
        })?;
    }
    Ok(())
}

/// The input's premultiplication, as the file says: OpenEXR is premultiplied by convention, other
/// formats with alpha are straight, formats without alpha are opaque.
fn premultiplication(loaded: &imageio::Loaded) -> Premultiplication {
    if loaded.is_exr {
        Premultiplication::PreMultiplied
    } else if loaded.has_alpha {
        Premultiplication::UnPreMultiplied
    } else {
        Premultiplication::Opaque
    }
}

/// The images of a numbered file sequence by frame; frames without a file have none.
fn frame_source(pattern: PathBuf) -> ofx_sdk::host::FrameSource {
    std::sync::Arc::new(move |time: f64| {
        if time.fract() != 0.0 || !time.is_finite() {
            return None;
        }
        let path = frame_path(&pattern, time as i64);
        if !path.is_file() {
            return None;
        }
        imageio::read(&path).ok().map(|loaded| loaded.image)
    })
}

/// Parameters, sources and the sequence of renders.
fn drive(
    args: &RenderArgs,
    instance: &Instance,
    params: &[(String, String)],
    range: FrameRange,
    timings: &mut Timings,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    for (name, value) in params {
        let set = instance.set_param_text(name, value);
        report::messages(err, &instance.take_messages()).map_err(io)?;
        set.map_err(|e| with_messages(err, e))?;
    }
    let read_start = Instant::now();
    let first = imageio::read(&frame_path(&args.input, range.first))?;
    let options = RenderOptions {
        depth: args.depth.map(Into::into),
        components: args.components.into(),
        negative_row_bytes: args.negative_row_bytes,
        render_scale: args.render_scale,
        bounds_padding: args.bounds_padding,
        source_premultiplication: premultiplication(&first),
        source_colourspace: args
            .colourspace
            .as_deref()
            .map(|name| {
                std::ffi::CString::new(name)
                    .map_err(|_| CliError::Usage("--colourspace contains a NUL byte".into()))
            })
            .transpose()?,
        image_depth_label: args
            .inject_image_depth
            .as_deref()
            .map(|label| {
                std::ffi::CString::new(label)
                    .map_err(|_| CliError::Usage("--inject-image-depth contains a NUL byte".into()))
            })
            .transpose()?,
        ..RenderOptions::default()
    };
    instance
        .set_source(SOURCE, first.image)
        .map_err(|e| with_messages(err, e))?;
    for (name, path) in extra_clips(args)? {
        let loaded = imageio::read(&frame_path(&path, range.first))?;
        instance
            .set_source(&name, loaded.image)
            .map_err(|e| with_messages(err, e))?;
    }
    // Numbered files are frames in time too: a temporal plugin gets the neighbours it asks for.
    let sequences = std::iter::once((SOURCE.to_owned(), args.input.clone()))
        .chain(extra_clips(args)?)
        .filter(|(_, path)| frames::has_pattern(&path.to_string_lossy()));
    for (name, pattern) in sequences {
        instance
            .set_source_frames(&name, frame_source(pattern))
            .map_err(|e| with_messages(err, e))?;
    }
    let read_ms = ms(read_start.elapsed());
    report::messages(err, &instance.take_messages()).map_err(io)?;

    let (first_frame, last_frame) = (range.first as f64, range.last as f64);
    instance
        .begin_sequence(first_frame, last_frame, &options)
        .map_err(|e| with_messages(err, e))?;
    let rendered = render_frames(args, instance, range, &options, read_ms, timings, err);
    report::messages(err, &instance.take_messages()).map_err(io)?;
    let ended = instance.end_sequence();
    rendered?;
    ended.map_err(|e| with_messages(err, e))
}

/// Renders and writes each frame, printing the plugin's messages and the render-action time.
fn render_frames(
    args: &RenderArgs,
    instance: &Instance,
    range: FrameRange,
    options: &RenderOptions,
    mut read_ms: f64,
    timings: &mut Timings,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let per_frame_input = frames::has_pattern(&args.input.to_string_lossy());
    let mut warned = std::collections::BTreeSet::new();
    for frame in range.frames() {
        if per_frame_input && frame != range.first {
            let start = Instant::now();
            let loaded = imageio::read(&frame_path(&args.input, frame))?;
            instance
                .set_source(SOURCE, loaded.image)
                .map_err(|e| with_messages(err, e))?;
            read_ms = ms(start.elapsed());
        }
        for (name, path) in extra_clips(args)? {
            if frame != range.first && frames::has_pattern(&path.to_string_lossy()) {
                let loaded = imageio::read(&frame_path(&path, frame))?;
                instance
                    .set_source(&name, loaded.image)
                    .map_err(|e| with_messages(err, e))?;
            }
        }
        let report = instance.render_with_report(frame as f64, options);
        report::messages(err, &instance.take_messages()).map_err(io)?;
        let report = report.map_err(CliError::Host)?;
        for w in &report.warnings {
            if warned.insert(w.clone()) {
                report::warning(err, w).map_err(io)?;
            }
        }
        match (&report.identity, report.render_action) {
            (Some(clip), _) => writeln!(
                err,
                "frame {frame}: identity of clip {clip}, no render action"
            ),
            (None, Some(d)) => writeln!(err, "frame {frame}: render action {:.1} ms", ms(d)),
            (None, None) => Ok(()),
        }
        .map_err(io)?;
        let write_start = Instant::now();
        let alpha = report.components != Components::Rgb && options.components != Components::Rgb;
        imageio::write(
            &frame_path(&args.output, frame),
            &report.image,
            alpha,
            args.png_bits,
        )?;
        timings.frames.push(FrameTiming {
            frame,
            render_ms: report.render_action.map(ms),
            identity: report.identity.clone(),
            read_ms: std::mem::take(&mut read_ms),
            write_ms: ms(write_start.elapsed()),
        });
    }
    Ok(())
}
