//! "Generative (diffusion)": img2img and inpainting with a Stable-Diffusion-class pipeline exported to
//! ONNX in Optimum's layout, inside the node. Source gives the image, the optional Mask clip the region to
//! repaint; the prompt, steps, strength, guidance, seed and scheduler are parameters.
//!
//! Output size policy (resize): the frame is resized so its long side is *Working Size* (0: the frame's
//! own size), each side rounded to a multiple of 64 (what SD UNets need), generated at that size, and
//! resized back to the frame; alpha stays the source's. The VAE decodes in tiles above *VAE Tile Size*.
//! Colour: the pipeline sees sRGB-encoded values (what SD was trained on), converted from and back to
//! the clip's encoding (host colour management or *Working Space*); premultiplied clips are
//! unpremultiplied for it. Determinism: the noise comes from the seed (plus the frame number when *Seed
//! per Frame* is on) through a generator that is the same on every machine; the same frame, parameters
//! and seed give the same pixels on every render with the same provider.

use std::collections::HashMap;
use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Instant;

use ofx_sdk::plugin::{
    ClipDef, Effect, EffectDescriptor, EffectInstance, InstanceChangedArgs, MessageLevel, ParamDef,
    RenderArgs, StringMode,
};
use ofx_sdk::{
    Components, Context, PixelDepth, Premultiplication, RectI, RenderThreadSafety, ofx_str,
};

use super::common::clip_encoding;
use super::params;
use crate::diffusion::pipeline::{Mode, Observer, Request};
use crate::diffusion::{DiffusionPipeline, SchedulerKind, SeededNoise, noise};
use crate::engine::{Device, Precision, RunOptions};
use crate::error::{Error, Result};
use crate::pixels::colour::{self, Encoding};
use crate::pixels::{Planar, alpha, read, write};

/// Stable parameter names. Never rename one.
pub const PIPELINE_DIR: &CStr = c"pipelineDir";
pub const MODE: &CStr = c"mode";
pub const PROMPT: &CStr = c"prompt";
pub const NEGATIVE_PROMPT: &CStr = c"negativePrompt";
pub const STEPS: &CStr = c"steps";
pub const STRENGTH: &CStr = c"strength";
pub const GUIDANCE: &CStr = c"guidance";
pub const SEED: &CStr = c"seed";
pub const SEED_PER_FRAME: &CStr = c"seedPerFrame";
pub const SCHEDULER: &CStr = c"scheduler";
pub const WORKING_SIZE: &CStr = c"workingSize";
pub const VAE_TILE: &CStr = c"vaeTile";
pub const MASK_CHANNEL: &CStr = c"maskChannel";
pub const WORKING_SPACE: &CStr = c"workingSpace";
pub const DEVICE: &CStr = c"device";
pub const INFO: &CStr = c"pipelineInfo";

/// The optional clip whose alpha (or luminance) marks the region to repaint.
pub const MASK_CLIP: &CStr = c"Mask";

const MODE_OPTIONS: [&str; 2] = ["Image to image", "Inpaint (Mask clip)"];
const SCHEDULER_OPTIONS: [&str; 3] = ["Euler", "DDIM", "LCM"];
const MASK_OPTIONS: [&str; 2] = ["Alpha", "Luminance"];
/// The multiple SD-class UNets need of each side (three down-samplings of the 8x-smaller latents).
const SIZE_MULTIPLE: usize = 64;

fn definitions() -> Vec<ParamDef> {
    vec![
        ParamDef::string("pipelineDir", "Pipeline Folder", "", StringMode::DirectoryPath)
            .hint("A diffusion pipeline exported to ONNX in Optimum's layout (model_index.json, unet/, text_encoder/, vae_encoder/, vae_decoder/, tokenizer/, scheduler/).")
            .animates(false),
        ParamDef::choice("mode", "Mode", &MODE_OPTIONS, 0)
            .hint("Image to image: the Source, reworked by the prompt. Inpaint: only where the Mask clip is white (alpha or luminance at least 0.5); an unconnected Mask repaints the whole frame. Inpainting pipelines (9-channel UNet) take Inpaint only.")
            .animates(false),
        ParamDef::string("prompt", "Prompt", "", StringMode::MultiLine).animates(false),
        ParamDef::string("negativePrompt", "Negative Prompt", "", StringMode::MultiLine)
            .hint("What to steer away from (used when Guidance is above 1).")
            .animates(false),
        ParamDef::integer("steps", "Steps", 20)
            .range(1.0, 150.0)
            .display_range(1.0, 50.0)
            .hint("Denoising steps of the whole schedule; img2img runs the last Steps x Strength of them.")
            .animates(false),
        ParamDef::double("strength", "Strength", 0.75)
            .range(0.0, 1.0)
            .hint("How much of the source is replaced: 0 keeps it, 1 generates from noise. When Steps x Strength is below 1 no step runs and the Source passes unchanged."),
        ParamDef::double("guidance", "Guidance", 7.5)
            .range(0.0, 30.0)
            .hint("Classifier-free guidance scale; 1 or less runs without the negative prompt (SD-Turbo and LCM models want 0 or 1)."),
        ParamDef::integer("seed", "Seed", 0)
            .range(0.0, 1_000_000_000.0)
            .display_range(0.0, 100_000.0)
            .animates(false),
        ParamDef::boolean("seedPerFrame", "Seed per Frame", true)
            .hint("Combine the seed with the frame number, so every frame of a sequence gets its own noise, the same on every render and machine."),
        ParamDef::choice("scheduler", "Scheduler", &SCHEDULER_OPTIONS, 0)
            .hint("Configured by the pipeline's scheduler_config.json (betas, prediction type, timestep spacing).")
            .animates(false),
        ParamDef::integer("workingSize", "Working Size", 512)
            .range(0.0, 4096.0)
            .display_range(0.0, 2048.0)
            .hint("Long side in pixels the frame is resized to for the pipeline (sides rounded to multiples of 64), then back. 0: the frame's own size.")
            .animates(false),
        ParamDef::integer("vaeTile", "VAE Tile Size", 512)
            .range(64.0, 4096.0)
            .hint("Frames larger than this (pixels) are decoded by the VAE in overlapping tiles, bounding memory.")
            .animates(false),
        ParamDef::choice("maskChannel", "Mask Channel", &MASK_OPTIONS, 0)
            .hint("Which channel of the Mask clip marks the region to repaint.")
            .animates(false),
        params::working_space_def()
            .hint("The encoding of the clip's values; the pipeline gets sRGB. Auto: what the host says, else its habit."),
        params::device_def().hint("Where the pipeline's sessions run: the CPU, or a GPU when one is available."),
        ParamDef::string("pipelineInfo", "Pipeline", "", StringMode::Label)
            .hint("The pipeline's UNet, scheduler and tokenizer, the provider, and the last render's time and steps, or why it cannot be used.")
            .animates(false)
            .evaluate_on_change(false),
    ]
}

/// Pipelines loaded in this process, by folder and options (the sessions themselves live in the
/// engine's cache; this keeps the tokenizer and configuration parsed once).
static PIPELINES: LazyLock<Mutex<PipelineCache>> = LazyLock::new(|| Mutex::new(HashMap::new()));

type PipelineCache = HashMap<(PathBuf, RunOptions), Arc<DiffusionPipeline>>;

fn pipeline(dir: &str, options: RunOptions) -> Result<Arc<DiffusionPipeline>> {
    if dir.trim().is_empty() {
        return Err(Error::NoModel);
    }
    let canonical = std::fs::canonicalize(dir).map_err(|_| Error::Pipeline {
        dir: PathBuf::from(dir),
        reason: "the folder does not exist".into(),
    })?;
    let key = (canonical.clone(), options);
    if let Some(p) = PIPELINES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return Ok(Arc::clone(p));
    }
    let loaded = Arc::new(DiffusionPipeline::load(&canonical, options)?);
    PIPELINES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, Arc::clone(&loaded));
    Ok(loaded)
}

/// The parameters of one render.
struct Settings {
    dir: String,
    options: RunOptions,
    mode: Mode,
    prompt: String,
    negative: String,
    steps: usize,
    strength: f64,
    guidance: f32,
    seed: u64,
    scheduler: SchedulerKind,
    working_size: usize,
    vae_tile: usize,
    mask_luminance: bool,
    working_space: Option<Encoding>,
}

impl Settings {
    fn read(instance: &EffectInstance<'_>, time: f64) -> Result<Settings> {
        let int = |name: &CStr| -> Result<i32> { Ok(instance.param(name)?.int_at(time)?) };
        let text = |name: &CStr| -> Result<String> { Ok(instance.param(name)?.string_at(time)?) };
        let double = |name: &CStr| -> Result<f64> { Ok(instance.param(name)?.double_at(time)?) };
        let seed = u64::try_from(int(SEED)?).unwrap_or(0);
        let per_frame = instance.param(SEED_PER_FRAME)?.bool_at(time)?;
        let seed = if per_frame {
            // Frames are whole numbers on render farms; the bits of the time keep fields apart too.
            noise::mix(&[seed, time.to_bits()])
        } else {
            seed
        };
        let scheduler = SchedulerKind::ALL
            .get(usize::try_from(int(SCHEDULER)?).unwrap_or(0))
            .copied()
            .unwrap_or(SchedulerKind::Euler);
        let working_space = params::read_working_space(instance, time)?;
        let finite = |v: f64, default: f64| if v.is_finite() { v } else { default };
        Ok(Settings {
            dir: text(PIPELINE_DIR)?,
            options: RunOptions {
                device: if int(DEVICE)? == 1 {
                    Device::Gpu
                } else {
                    Device::Cpu
                },
                precision: Precision::Float32,
            },
            mode: if int(MODE)? == 1 {
                Mode::Inpaint
            } else {
                Mode::Img2Img
            },
            prompt: text(PROMPT)?,
            negative: text(NEGATIVE_PROMPT)?,
            steps: usize::try_from(int(STEPS)?).unwrap_or(1).clamp(1, 1000),
            strength: finite(double(STRENGTH)?, 0.75).clamp(0.0, 1.0),
            guidance: finite(double(GUIDANCE)?, 7.5).clamp(0.0, 100.0) as f32,
            seed,
            scheduler,
            working_size: usize::try_from(int(WORKING_SIZE)?).unwrap_or(0).min(8192),
            vae_tile: usize::try_from(int(VAE_TILE)?).unwrap_or(512).max(64),
            mask_luminance: int(MASK_CHANNEL)? == 1,
            working_space,
        })
    }
}

/// The size the pipeline works at for a `width × height` frame (see the module's size policy).
pub fn working_size(width: usize, height: usize, long_side: usize) -> (usize, usize) {
    let (w, h) = (width.max(1) as f64, height.max(1) as f64);
    let scale = if long_side == 0 {
        1.0
    } else {
        long_side as f64 / w.max(h)
    };
    let round = |v: f64| {
        let m = SIZE_MULTIPLE as f64;
        (((v * scale) / m).round().max(1.0) * m) as usize
    };
    (round(w), round(h))
}

/// Resizes one plane with a triangle filter, widened when shrinking (no aliasing).
pub fn resize_plane(src: &[f32], sw: usize, sh: usize, dw: usize, dh: usize) -> Vec<f32> {
    let weights = |s: usize, d: usize| -> Vec<Vec<(usize, f32)>> {
        let scale = s as f64 / d as f64;
        let support = scale.max(1.0);
        (0..d)
            .map(|i| {
                let centre = (i as f64 + 0.5) * scale - 0.5;
                let lo = (centre - support).floor().max(0.0) as usize;
                let hi = ((centre + support).ceil() as usize).min(s - 1);
                let mut taps: Vec<(usize, f32)> = (lo..=hi)
                    .map(|j| {
                        (
                            j,
                            (1.0 - ((j as f64 - centre) / support).abs()).max(0.0) as f32,
                        )
                    })
                    .filter(|(_, w)| *w > 0.0)
                    .collect();
                if taps.is_empty() {
                    taps.push((centre.round().clamp(0.0, (s - 1) as f64) as usize, 1.0));
                }
                let total: f32 = taps.iter().map(|(_, w)| w).sum();
                taps.iter_mut().for_each(|(_, w)| *w /= total);
                taps
            })
            .collect()
    };
    let (wx, wy) = (weights(sw, dw), weights(sh, dh));
    let mut rows = vec![0.0f32; sh * dw];
    for y in 0..sh {
        let line = &src[y * sw..][..sw];
        for (x, taps) in wx.iter().enumerate() {
            rows[y * dw + x] = taps.iter().map(|(j, w)| line[*j] * w).sum();
        }
    }
    let mut out = vec![0.0f32; dh * dw];
    for (y, taps) in wy.iter().enumerate() {
        for x in 0..dw {
            out[y * dw + x] = taps.iter().map(|(j, w)| rows[j * dw + x] * w).sum();
        }
    }
    out
}

/// Progress per denoising step and the host's abort between steps.
struct Steps<'a, 'i> {
    instance: &'a EffectInstance<'i>,
    progress: ofx_sdk::plugin::Progress<'i>,
}

impl Observer for Steps<'_, '_> {
    fn step(&mut self, done: usize, total: usize, _latents: &[f32]) -> bool {
        let fraction = 0.1 + 0.85 * done as f64 / total.max(1) as f64;
        self.progress.update(fraction) && !self.instance.abort_requested()
    }
}

#[derive(Default)]
pub struct Generative {
    last: Mutex<Option<String>>,
}

fn source_clip() -> &'static CStr {
    ofx_str!(kOfxImageEffectSimpleSourceClipName)
}

fn output_clip() -> &'static CStr {
    ofx_str!(kOfxImageEffectOutputClipName)
}

impl Generative {
    fn update_info(&self, instance: &EffectInstance<'_>, time: f64) -> Result<()> {
        let settings = Settings::read(instance, time)?;
        let text = match pipeline(&settings.dir, settings.options) {
            Ok(p) => {
                let mut parts = vec![format!(
                    "{}: UNet of {} channels ({}), shipped scheduler {}, prompts of {} tokens, runs on {}",
                    p.dir()
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                    p.unet_channels(),
                    if p.unet_channels() == 9 {
                        "inpainting"
                    } else {
                        "img2img"
                    },
                    p.scheduler_class().unwrap_or("unknown"),
                    p.tokenizer().max_length(),
                    p.unet.provider().name
                )];
                if let Some(last) = self
                    .last
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone()
                {
                    parts.push(last);
                }
                parts.join("; ")
            }
            Err(Error::NoModel) => String::new(),
            Err(e) => e.to_string(),
        };
        instance.param(INFO)?.set_string(&text)?;
        Ok(())
    }
}

impl Effect for Generative {
    type Error = Error;

    const ID: &'static CStr = c"io.github.onnxfx.Generative";
    const VERSION: (u32, u32) = (1, 0);

    fn load() -> Result<()> {
        crate::logging::init();
        Ok(())
    }

    fn describe(desc: &EffectDescriptor<'_>) -> Result<()> {
        if let Some(bundle) = desc.plugin_file_path() {
            crate::engine::runtime::note_bundle_path(&bundle);
        }
        desc.set_labels(
            "Generative (diffusion)",
            "Generative",
            "Generative (diffusion, onnxfx)",
        )?;
        desc.set_grouping("onnxfx")?;
        desc.set_plugin_description(
            "Image-to-image and inpainting with a Stable-Diffusion-class pipeline exported to ONNX \
             (Optimum's layout): prompt, negative prompt, steps, strength, guidance, seed and scheduler.",
        )?;
        desc.set_supported_contexts(&[Context::Filter, Context::General])?;
        desc.set_supported_pixel_depths(&[
            PixelDepth::Byte,
            PixelDepth::Short,
            PixelDepth::Half,
            PixelDepth::Float,
        ])?;
        desc.set_render_thread_safety(RenderThreadSafety::FullySafe)?;
        desc.set_host_frame_threading(false)?;
        desc.set_supports_tiles(false)?;
        desc.set_supports_multi_resolution(false)?;
        desc.set_temporal_clip_access(false)?;
        desc.set_supports_multiple_clip_depths(true)?;
        Ok(())
    }

    fn describe_in_context(desc: &EffectDescriptor<'_>, _context: Context) -> Result<()> {
        let components = [Components::Rgba, Components::Rgb, Components::Alpha];
        desc.define_clip(&ClipDef {
            name: source_clip(),
            components: &components,
            optional: false,
            supports_tiles: false,
        })?;
        let mask = desc.define_clip(&ClipDef {
            name: MASK_CLIP,
            components: &components,
            optional: true,
            supports_tiles: false,
        })?;
        // A hint for hosts that draw mask inputs differently; hosts without it ignore the property.
        let _ = mask.set_int(ofx_str!(kOfxImageClipPropIsMask), 0, 1);
        desc.define_clip(&ClipDef {
            name: output_clip(),
            components: &components,
            optional: false,
            supports_tiles: false,
        })?;
        for def in definitions() {
            desc.define_param(&def)?;
        }
        Ok(())
    }

    fn create_instance(instance: &EffectInstance<'_>) -> Result<Self> {
        let effect = Generative::default();
        if let Err(e) = effect.update_info(instance, 0.0) {
            tracing::debug!("pipeline info not updated: {e}");
        }
        Ok(effect)
    }

    fn instance_changed(
        &self,
        instance: &EffectInstance<'_>,
        args: &InstanceChangedArgs,
    ) -> Result<()> {
        if args.is_clip || args.name.as_bytes() == INFO.to_bytes() {
            return Ok(());
        }
        if let Err(e) = self.update_info(instance, args.time) {
            instance.message(MessageLevel::Warning, &format!("onnxfx: {e}"));
        }
        Ok(())
    }

    fn render(&self, instance: &EffectInstance<'_>, args: &RenderArgs) -> Result<()> {
        let started = Instant::now();
        let time = args.time;
        let settings = Settings::read(instance, time)?;
        let progress = instance.progress("Generative (diffusion)");
        let pipe = pipeline(&settings.dir, settings.options)?;
        let mut output = instance
            .clip(output_clip())?
            .image(time, None)?
            .ok_or(Error::NoOutputImage { time })?;
        let out_layout = output.layout();
        let window = args
            .window
            .intersect(&out_layout.bounds)
            .unwrap_or(args.window);
        let source_clip = instance.clip(source_clip())?;
        let host_colourspace = source_clip.colourspace();
        let source = source_clip
            .image(time, None)?
            .ok_or(Error::NoSourceImage { time })?;
        let src = source.layout();
        // The frame is the source's bounds (the pipeline needs all of it); the window is cut from it.
        let frame = src.bounds;
        if frame.is_empty() {
            return Err(Error::NoSourceImage { time });
        }
        let (fw, fh) = (frame.width(), frame.height());
        let mut rgba = read::read_rgba(frame, src.bounds, src.components, |y| source.row(y))?;
        drop(source);
        alpha::sanitize(&mut rgba, alpha::Sanitize::default());
        let premultiplied = src.premultiplication == Some(Premultiplication::PreMultiplied);
        if premultiplied {
            alpha::unpremultiply(&mut rgba).map_err(|e| Error::Tiling(e.to_string()))?;
        }
        let encoding = clip_encoding(settings.working_space, host_colourspace);
        let mut srgb = rgba.clone();
        colour::convert(&mut srgb, encoding, Encoding::Srgb);

        let mask = match settings.mode {
            Mode::Img2Img => None,
            Mode::Inpaint => Some(self.read_mask(instance, time, frame, &settings)?),
        };
        let (ww, wh) = working_size(fw, fh, settings.working_size);
        let pixels = ww * wh;
        if pixels > crate::effects::inference::MAX_OUTPUT_PIXELS / 16 {
            return Err(Error::FrameTooLarge {
                width: ww,
                height: wh,
                pixels,
                limit: crate::effects::inference::MAX_OUTPUT_PIXELS / 16,
            });
        }
        let mut image = Vec::with_capacity(3 * pixels);
        for c in 0..3 {
            let plane = resize_plane(srgb.plane(c), fw, fh, ww, wh);
            image.extend(plane.into_iter().map(|v| v.clamp(0.0, 1.0)));
        }
        let mask_small = mask.as_ref().map(|m| resize_plane(m, fw, fh, ww, wh));
        // Too little strength for a single step: the source passes unchanged (diffusers refuses).
        let ran = settings.steps
            - pipe
                .scheduler(settings.scheduler, settings.steps, None)?
                .start_index(settings.strength);
        if ran == 0 {
            let mut passed = rgba;
            if premultiplied {
                alpha::premultiply(&mut passed).map_err(|e| Error::Tiling(e.to_string()))?;
            }
            write::write_rgba(
                &passed,
                frame,
                window,
                out_layout.bounds,
                out_layout.components,
                output.rows_mut()?,
            );
            return Ok(());
        }
        if !progress.update(0.1) || instance.abort_requested() {
            return Err(Error::Aborted);
        }
        let request = Request {
            mode: settings.mode,
            image: &image,
            mask: mask_small.as_deref(),
            width: ww,
            height: wh,
            prompt: &settings.prompt,
            negative_prompt: &settings.negative,
            steps: settings.steps,
            strength: settings.strength,
            guidance: settings.guidance,
            scheduler: settings.scheduler,
            decode_tile: settings.vae_tile / crate::diffusion::pipeline::VAE_FACTOR,
            scheduler_overrides: None,
        };
        let mut noise = SeededNoise::new(settings.seed);
        let mut observer = Steps { instance, progress };
        let generated = pipe.generate(&request, &mut noise, &mut observer)?;
        let ran = settings.steps
            - pipe
                .scheduler(settings.scheduler, settings.steps, None)?
                .start_index(settings.strength);
        let mut result = Planar::zeros(4, fw, fh);
        for c in 0..3 {
            let plane = resize_plane(&generated[c * ww * wh..][..ww * wh], ww, wh, fw, fh);
            result.plane_mut(c).copy_from_slice(&plane);
        }
        colour::convert(&mut result, Encoding::Srgb, encoding);
        result.plane_mut(3).copy_from_slice(rgba.plane(3));
        alpha::sanitize(&mut result, alpha::Sanitize::default());
        if premultiplied {
            alpha::premultiply(&mut result).map_err(|e| Error::Tiling(e.to_string()))?;
        }
        write::write_rgba(
            &result,
            frame,
            window,
            out_layout.bounds,
            out_layout.components,
            output.rows_mut()?,
        );
        let ms = started.elapsed().as_secs_f64() * 1e3;
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(format!(
            "last render {ms:.0} ms, {ran} steps of {} at {ww}x{wh}",
            settings.scheduler.name()
        ));
        tracing::debug!("generated {fw}x{fh} (worked at {ww}x{wh}) in {ms:.1} ms");
        Ok(())
    }
}

impl Generative {
    /// The mask over the frame, 1 where to repaint: the Mask clip's alpha (or luminance); an unconnected
    /// Mask, or one without an image at this frame, repaints everything (documented default).
    fn read_mask(
        &self,
        instance: &EffectInstance<'_>,
        time: f64,
        frame: RectI,
        settings: &Settings,
    ) -> Result<Vec<f32>> {
        let everything = vec![1.0f32; frame.width() * frame.height()];
        let Ok(clip) = instance.clip(MASK_CLIP) else {
            return Ok(everything);
        };
        if !clip.is_connected() {
            return Ok(everything);
        }
        let Some(image) = clip.image(time, None)? else {
            return Ok(everything);
        };
        let layout = image.layout();
        let rgba = read::read_rgba(frame, layout.bounds, layout.components, |y| image.row(y))?;
        let luminance = settings.mask_luminance && layout.components != Components::Alpha;
        Ok(if luminance {
            (0..rgba.plane_len())
                .map(|i| {
                    0.2126 * rgba.plane(0)[i]
                        + 0.7152 * rgba.plane(1)[i]
                        + 0.0722 * rgba.plane(2)[i]
                })
                .collect()
        } else {
            rgba.plane(3).to_vec()
        })
    }
}

/// Whether a folder looks like an ONNX diffusion pipeline (for messages and tests).
pub fn looks_like_pipeline(dir: &Path) -> bool {
    crate::diffusion::pipeline::LAYOUT
        .iter()
        .all(|f| dir.join(f).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_sizes_are_multiples_of_64() {
        assert_eq!(working_size(1920, 1080, 512), (512, 320));
        assert_eq!(working_size(64, 48, 0), (64, 64));
        assert_eq!(working_size(1000, 1000, 0), (1024, 1024));
        assert_eq!(working_size(10, 10, 64), (64, 64));
    }

    #[test]
    fn resizing_keeps_flat_images_flat_and_round_trips_sizes() {
        let flat = vec![0.25f32; 30 * 20];
        let up = resize_plane(&flat, 30, 20, 64, 64);
        assert!(up.iter().all(|v| (v - 0.25).abs() < 1e-6));
        let down = resize_plane(&up, 64, 64, 7, 5);
        assert_eq!(down.len(), 35);
        assert!(down.iter().all(|v| (v - 0.25).abs() < 1e-6));
        let same: Vec<f32> = (0..12).map(|v| v as f32).collect();
        assert_eq!(resize_plane(&same, 4, 3, 4, 3), same);
    }
}
