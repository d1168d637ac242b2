//! A Stable-Diffusion-class pipeline exported to ONNX in Optimum's layout, run as diffusers'
//! `StableDiffusionImg2ImgPipeline` and `StableDiffusionInpaintPipeline` run it: prompt encoding with
//! classifier-free guidance (unconditional first), VAE encoding with sampling, the scheduler's loop, VAE
//! decoding (in tiles for large frames). The four sessions come from the engine's process-wide cache, so
//! every instance (and every node pointing at the same folder) shares them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::noise::{NoisePurpose, NoiseSource};
use super::scheduler::{Scheduler, SchedulerConfig, SchedulerKind};
use super::tokenizer::PromptTokenizer;
use crate::engine::{self, ImageModel, InputData, NamedInput, RunOptions};
use crate::error::{Error, Result};

/// The files of Optimum's layout this code reads.
pub const LAYOUT: [&str; 7] = [
    "model_index.json",
    "scheduler/scheduler_config.json",
    "tokenizer",
    "text_encoder/model.onnx",
    "unet/model.onnx",
    "vae_encoder/model.onnx",
    "vae_decoder/model.onnx",
];

/// SD 1.x's latent scaling when the VAE's config does not say.
const DEFAULT_SCALING_FACTOR: f32 = 0.18215;
/// Pixels per latent (four VAE blocks).
pub const VAE_FACTOR: usize = 8;

/// What to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Source + prompt + strength.
    Img2Img,
    /// Source + mask (1 repaints, 0 keeps) + prompt.
    Inpaint,
}

/// One generation.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub mode: Mode,
    /// Planar RGB in 0..1, `3 × height × width`, top row first.
    pub image: &'a [f32],
    /// `height × width` in 0..1 (inpainting); thresholded at 0.5 as diffusers does.
    pub mask: Option<&'a [f32]>,
    pub width: usize,
    pub height: usize,
    pub prompt: &'a str,
    pub negative_prompt: &'a str,
    pub steps: usize,
    pub strength: f64,
    pub guidance: f32,
    pub scheduler: SchedulerKind,
    /// Latent tile side for decoding; frames whose latents are larger decode in overlapping tiles.
    pub decode_tile: usize,
    /// Keys that replace the pipeline's `scheduler_config.json` values (e.g. `timestep_spacing`).
    pub scheduler_overrides: Option<&'a serde_json::Map<String, Value>>,
}

/// What the loop tells its caller after each step; `false` from [`Observer::step`] stops the run.
pub trait Observer {
    /// Step `done` of `total` finished with these latents.
    fn step(&mut self, done: usize, total: usize, latents: &[f32]) -> bool;
}

/// An observer that only counts.
pub struct Quiet;

impl Observer for Quiet {
    fn step(&mut self, _: usize, _: usize, _: &[f32]) -> bool {
        true
    }
}

/// A loaded pipeline.
pub struct DiffusionPipeline {
    dir: PathBuf,
    tokenizer: PromptTokenizer,
    scheduler_json: Value,
    pub text_encoder: Arc<ImageModel>,
    pub unet: Arc<ImageModel>,
    pub vae_encoder: Arc<ImageModel>,
    pub vae_decoder: Arc<ImageModel>,
    scaling_factor: f32,
    unet_channels: usize,
}

fn bad(dir: &Path, reason: impl Into<String>) -> Error {
    Error::Pipeline {
        dir: dir.to_owned(),
        reason: reason.into(),
    }
}

fn read_json(dir: &Path, file: &str) -> Result<Value> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| bad(dir, format!("{file}: {e}")))?;
    serde_json::from_str(&text).map_err(|e| bad(dir, format!("{file}: {e}")))
}

impl DiffusionPipeline {
    /// Loads the pipeline in `dir` (sessions from the engine's cache).
    pub fn load(dir: &Path, options: RunOptions) -> Result<DiffusionPipeline> {
        if !dir.is_dir() {
            return Err(bad(dir, "not a folder"));
        }
        let missing: Vec<&str> = LAYOUT
            .iter()
            .copied()
            .filter(|f| !dir.join(f).exists())
            .collect();
        if !missing.is_empty() {
            return Err(bad(
                dir,
                format!(
                    "not an ONNX diffusion pipeline in Optimum's layout: missing {} (export one with \
                     `optimum-cli export onnx --model ID --task text-to-image DIR`)",
                    missing.join(", ")
                ),
            ));
        }
        let scheduler_json = read_json(dir, "scheduler/scheduler_config.json")?;
        let tokenizer = PromptTokenizer::load(&dir.join("tokenizer")).map_err(|e| bad(dir, e))?;
        let scaling_factor = ["vae_decoder/config.json", "vae_encoder/config.json"]
            .iter()
            .filter(|f| dir.join(f).is_file())
            .find_map(|f| {
                read_json(dir, f)
                    .ok()?
                    .get("scaling_factor")?
                    .as_f64()
                    .map(|v| v as f32)
            })
            .unwrap_or(DEFAULT_SCALING_FACTOR);
        let model = |file: &str| engine::model(&dir.join(file), options);
        let unet = model("unet/model.onnx")?;
        let unet_channels = unet
            .graph
            .inputs
            .iter()
            .find(|t| t.name == "sample")
            .and_then(|t| t.dim(1)?.fixed())
            .and_then(|c| usize::try_from(c).ok())
            .ok_or_else(|| {
                bad(
                    dir,
                    "unet/model.onnx has no 'sample' input with a fixed channel count",
                )
            })?;
        if unet_channels != 4 && unet_channels != 9 {
            return Err(bad(
                dir,
                format!(
                    "the UNet takes {unet_channels} channels: expected 4 (img2img) or 9 (inpainting)"
                ),
            ));
        }
        Ok(DiffusionPipeline {
            dir: dir.to_owned(),
            tokenizer,
            scheduler_json,
            text_encoder: model("text_encoder/model.onnx")?,
            unet,
            vae_encoder: model("vae_encoder/model.onnx")?,
            vae_decoder: model("vae_decoder/model.onnx")?,
            scaling_factor,
            unet_channels,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The UNet's input channels: 4 (text/img2img) or 9 (an inpainting UNet).
    pub fn unet_channels(&self) -> usize {
        self.unet_channels
    }

    /// The scheduler class the pipeline ships with.
    pub fn scheduler_class(&self) -> Option<&str> {
        self.scheduler_json.get("_class_name")?.as_str()
    }

    pub fn tokenizer(&self) -> &PromptTokenizer {
        &self.tokenizer
    }

    /// The scheduler of `kind` for `steps`, configured by the pipeline's scheduler_config.json with
    /// `overrides` replacing some of its keys.
    pub fn scheduler(
        &self,
        kind: SchedulerKind,
        steps: usize,
        overrides: Option<&serde_json::Map<String, Value>>,
    ) -> Result<Scheduler> {
        let mut json = self.scheduler_json.clone();
        if let (Some(map), Some(overrides)) = (json.as_object_mut(), overrides) {
            map.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let config = SchedulerConfig::from_json(&json, kind)
            .map_err(|e| bad(&self.dir, format!("scheduler/scheduler_config.json: {e}")))?;
        Scheduler::new(kind, &config, steps).map_err(|e| bad(&self.dir, e))
    }

    /// The text encoder's `last_hidden_state` for `ids` (batch 1): `[1, S, D]` values and the shape.
    fn encode_text(&self, ids: &[i64]) -> Result<(Vec<f32>, Vec<usize>)> {
        let shape = [1, ids.len()];
        let mut out = (Vec::new(), Vec::new());
        self.text_encoder.run_inputs(
            &[NamedInput {
                name: "input_ids",
                shape: &shape,
                data: InputData::I64(ids),
            }],
            &["last_hidden_state"],
            &mut |_, shape, data| {
                out = (data.to_vec(), shape.to_vec());
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Encodes an image (planar RGB in -1..1) and samples the latent distribution, scaled.
    fn encode_image(
        &self,
        image: &[f32],
        width: usize,
        height: usize,
        noise: &mut dyn NoiseSource,
    ) -> Result<Vec<f32>> {
        let shape = [1, 3, height, width];
        let mut params = Vec::new();
        self.vae_encoder.run_inputs(
            &[NamedInput {
                name: "sample",
                shape: &shape,
                data: InputData::F32(image),
            }],
            &["latent_parameters"],
            &mut |_, shape, data| {
                if shape.get(1) != Some(&8) {
                    return Err(format!(
                        "latent_parameters is {shape:?}: expected 8 channels"
                    ));
                }
                params = data.to_vec();
                Ok(())
            },
        )?;
        let len = params.len() / 2;
        let eps = noise
            .normal(NoisePurpose::Vae, len)
            .map_err(|e| bad(&self.dir, e))?;
        let (mean, logvar) = params.split_at(len);
        Ok(mean
            .iter()
            .zip(logvar)
            .zip(eps)
            .map(|((m, lv), e)| {
                let std = (0.5 * lv.clamp(-30.0, 20.0)).exp();
                self.scaling_factor * (m + std * e)
            })
            .collect())
    }

    /// Decodes latents `[1, 4, h, w]` into planar RGB in 0..1, in tiles when larger than `tile`.
    pub fn decode(&self, latents: &[f32], h: usize, w: usize, tile: usize) -> Result<Vec<f32>> {
        let scaled: Vec<f32> = latents.iter().map(|v| v / self.scaling_factor).collect();
        let tile = tile.max(8);
        let image = if h <= tile && w <= tile {
            self.decode_whole(&scaled, h, w)?
        } else {
            self.decode_tiled(&scaled, h, w, tile)?
        };
        Ok(image
            .into_iter()
            .map(|v| (v / 2.0 + 0.5).clamp(0.0, 1.0))
            .collect())
    }

    fn decode_whole(&self, latents: &[f32], h: usize, w: usize) -> Result<Vec<f32>> {
        let shape = [1, 4, h, w];
        let mut image = Vec::new();
        let (oh, ow) = (h * VAE_FACTOR, w * VAE_FACTOR);
        self.vae_decoder.run_inputs(
            &[NamedInput {
                name: "latent_sample",
                shape: &shape,
                data: InputData::F32(latents),
            }],
            &["sample"],
            &mut |_, shape, data| {
                if shape != [1, 3, oh, ow] {
                    return Err(format!(
                        "the decoder gave {shape:?}, expected [1, 3, {oh}, {ow}]"
                    ));
                }
                image = data.to_vec();
                Ok(())
            },
        )?;
        Ok(image)
    }

    /// Decodes overlapping latent tiles and blends them with linear ramps across the overlaps: memory
    /// bounded by the tile, seams hidden by the blend (the decoder's attention sees one tile at a time,
    /// so tiled and whole decodes differ slightly).
    fn decode_tiled(&self, latents: &[f32], h: usize, w: usize, tile: usize) -> Result<Vec<f32>> {
        let overlap = (tile / 4).max(2);
        let starts = |len: usize| -> Vec<usize> {
            if len <= tile {
                return vec![0];
            }
            let stride = tile - overlap;
            let mut s: Vec<usize> = (0..)
                .map(|i| i * stride)
                .take_while(|s| s + tile < len)
                .collect();
            s.push(len - tile);
            s
        };
        let (ys, xs) = (starts(h), starts(w));
        let (oh, ow) = (h * VAE_FACTOR, w * VAE_FACTOR);
        let mut sum = vec![0.0f32; 3 * oh * ow];
        let mut weight = vec![0.0f32; oh * ow];
        for &y0 in &ys {
            for &x0 in &xs {
                let (th, tw) = (tile.min(h), tile.min(w));
                let mut part = vec![0.0f32; 4 * th * tw];
                for c in 0..4 {
                    for y in 0..th {
                        let src = &latents[(c * h + y0 + y) * w + x0..][..tw];
                        part[(c * th + y) * tw..][..tw].copy_from_slice(src);
                    }
                }
                let decoded = self.decode_whole(&part, th, tw)?;
                let ramp = (overlap * VAE_FACTOR) as f32;
                let (ph, pw) = (th * VAE_FACTOR, tw * VAE_FACTOR);
                let edge = |i: usize, n: usize, first: bool, last: bool| -> f32 {
                    let from_start = if first {
                        f32::INFINITY
                    } else {
                        (i as f32 + 0.5) / ramp
                    };
                    let from_end = if last {
                        f32::INFINITY
                    } else {
                        ((n - i) as f32 - 0.5) / ramp
                    };
                    from_start.min(from_end).min(1.0)
                };
                for y in 0..ph {
                    let wy = edge(y, ph, y0 == 0, y0 + th == h);
                    for x in 0..pw {
                        let wgt = wy * edge(x, pw, x0 == 0, x0 + tw == w);
                        let (gy, gx) = (y0 * VAE_FACTOR + y, x0 * VAE_FACTOR + x);
                        weight[gy * ow + gx] += wgt;
                        for c in 0..3 {
                            sum[(c * oh + gy) * ow + gx] += wgt * decoded[(c * ph + y) * pw + x];
                        }
                    }
                }
            }
        }
        for c in 0..3 {
            for (s, wgt) in sum[c * oh * ow..][..oh * ow].iter_mut().zip(&weight) {
                *s /= wgt.max(f32::MIN_POSITIVE);
            }
        }
        Ok(sum)
    }

    /// Runs one generation; the result is planar RGB in 0..1 of the request's size.
    pub fn generate(
        &self,
        request: &Request<'_>,
        noise: &mut dyn NoiseSource,
        observer: &mut dyn Observer,
    ) -> Result<Vec<f32>> {
        let (width, height) = (request.width, request.height);
        if width == 0 || height == 0 || width % VAE_FACTOR != 0 || height % VAE_FACTOR != 0 {
            return Err(bad(
                &self.dir,
                format!("{width}x{height}: the size must be a multiple of {VAE_FACTOR}"),
            ));
        }
        let (h, w) = (height / VAE_FACTOR, width / VAE_FACTOR);
        let plane = h * w;
        if request.image.len() != 3 * width * height {
            return Err(bad(
                &self.dir,
                "the image does not have 3 planes of the request's size",
            ));
        }
        let inpaint = request.mode == Mode::Inpaint;
        if !inpaint && self.unet_channels == 9 {
            return Err(bad(
                &self.dir,
                "this is an inpainting pipeline (9-channel UNet): use the Inpaint mode",
            ));
        }
        let mask: Option<Vec<f32>> = match (inpaint, request.mask) {
            (false, _) => None,
            (true, Some(m)) if m.len() == width * height => Some(
                m.iter()
                    .map(|v| if *v >= 0.5 { 1.0 } else { 0.0 })
                    .collect(),
            ),
            (true, Some(_)) => return Err(bad(&self.dir, "the mask is not of the request's size")),
            (true, None) => return Err(bad(&self.dir, "inpainting needs a mask")),
        };

        // Prompts: unconditional first, as diffusers batches them.
        let guided = request.guidance > 1.0;
        let tokenize = |text: &str| self.tokenizer.encode(text).map_err(|e| bad(&self.dir, e));
        let (cond, cond_shape) = self.encode_text(&tokenize(request.prompt)?)?;
        let mut context = Vec::new();
        if guided {
            let (uncond, _) = self.encode_text(&tokenize(request.negative_prompt)?)?;
            context.extend_from_slice(&uncond);
        }
        context.extend_from_slice(&cond);
        let batch = if guided { 2 } else { 1 };
        let context_shape = [batch, cond_shape[1], cond_shape[2]];

        let scheduler = self.scheduler(
            request.scheduler,
            request.steps,
            request.scheduler_overrides,
        )?;
        let start = scheduler.start_index(request.strength);
        if start >= request.steps {
            return Err(bad(
                &self.dir,
                format!(
                    "strength {} with {} steps leaves no step to run: raise one of them",
                    request.strength, request.steps
                ),
            ));
        }
        let image_norm: Vec<f32> = request.image.iter().map(|v| 2.0 * v - 1.0).collect();
        let strength_max = request.strength >= 1.0;

        // Initial latents (diffusers' prepare_latents): the image encoded first when it is needed.
        let needs_image_latents = !inpaint || !strength_max || self.unet_channels == 4;
        let image_latents = if needs_image_latents {
            Some(self.encode_image(&image_norm, width, height, noise)?)
        } else {
            None
        };
        let initial_noise = noise
            .normal(NoisePurpose::Latents, 4 * plane)
            .map_err(|e| bad(&self.dir, e))?;
        let mut latents = match (&image_latents, inpaint && strength_max) {
            (Some(image), false) => scheduler.add_noise(image, &initial_noise, start),
            _ => {
                let sigma = scheduler.init_noise_sigma();
                initial_noise.iter().map(|n| n * sigma).collect()
            }
        };

        // Inpainting conditions: the mask at latent size (nearest) and the masked image's latents.
        let (mask_latent, masked_latents) = match &mask {
            Some(mask) => {
                let mut small = vec![0.0f32; plane];
                for y in 0..h {
                    for x in 0..w {
                        small[y * w + x] = mask[(y * VAE_FACTOR) * width + x * VAE_FACTOR];
                    }
                }
                let masked = if self.unet_channels == 9 {
                    let mut m = image_norm.clone();
                    for c in 0..3 {
                        for (v, k) in m[c * width * height..][..width * height]
                            .iter_mut()
                            .zip(mask)
                        {
                            if *k >= 0.5 {
                                *v = 0.0;
                            }
                        }
                    }
                    Some(self.encode_image(&m, width, height, noise)?)
                } else {
                    None
                };
                (Some(small), masked)
            }
            None => (None, None),
        };

        let channels = self.unet_channels;
        let total = request.steps - start;
        let timestep_shape: [usize; 0] = [];
        for (done, index) in (start..request.steps).enumerate() {
            let mut scaled = latents.clone();
            scheduler.scale_model_input(index, &mut scaled);
            let mut sample = Vec::with_capacity(batch * channels * plane);
            for _ in 0..batch {
                sample.extend_from_slice(&scaled);
                if channels == 9 {
                    sample.extend_from_slice(mask_latent.as_deref().unwrap_or(&[]));
                    sample.extend_from_slice(masked_latents.as_deref().unwrap_or(&[]));
                }
            }
            let sample_shape = [batch, channels, h, w];
            let timestep = [scheduler.unet_timestep(index)];
            let mut predicted = Vec::new();
            self.unet.run_inputs(
                &[
                    NamedInput {
                        name: "sample",
                        shape: &sample_shape,
                        data: InputData::F32(&sample),
                    },
                    NamedInput {
                        name: "timestep",
                        shape: &timestep_shape,
                        data: InputData::F32(&timestep),
                    },
                    NamedInput {
                        name: "encoder_hidden_states",
                        shape: &context_shape,
                        data: InputData::F32(&context),
                    },
                ],
                &["out_sample"],
                &mut |_, shape, data| {
                    if shape != [batch, 4, h, w] {
                        return Err(format!(
                            "out_sample is {shape:?}, expected [{batch}, 4, {h}, {w}]"
                        ));
                    }
                    predicted = data.to_vec();
                    Ok(())
                },
            )?;
            let guided_output: Vec<f32> = if guided {
                let (uncond, cond) = predicted.split_at(4 * plane);
                uncond
                    .iter()
                    .zip(cond)
                    .map(|(u, c)| u + request.guidance * (c - u))
                    .collect()
            } else {
                predicted
            };
            let step_noise = if scheduler.step_needs_noise(index) {
                Some(
                    noise
                        .normal(NoisePurpose::Step, 4 * plane)
                        .map_err(|e| bad(&self.dir, e))?,
                )
            } else {
                None
            };
            latents = scheduler.step(index, &guided_output, &latents, step_noise.as_deref());
            // A 4-channel UNet inpaints by putting the known region back, noised to the next level.
            if let (Some(mask), Some(image), 4) = (&mask_latent, &image_latents, channels) {
                let known = if index + 1 < request.steps {
                    scheduler.add_noise(image, &initial_noise, index + 1)
                } else {
                    image.clone()
                };
                for c in 0..4 {
                    for (i, m) in mask.iter().enumerate() {
                        let v = &mut latents[c * plane + i];
                        *v = (1.0 - m) * known[c * plane + i] + m * *v;
                    }
                }
            }
            if !observer.step(done + 1, total, &latents) {
                return Err(Error::Aborted);
            }
        }
        self.decode(&latents, h, w, request.decode_tile)
    }
}
