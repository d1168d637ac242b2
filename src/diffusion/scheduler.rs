//! Noise schedulers, from the published formulas as diffusers implements them (Karras et al. 2022 for
//! Euler, Song et al. 2020 for DDIM with eta 0, Luo et al. 2023 for LCM), driven by the pipeline's own
//! `scheduler/scheduler_config.json`. Values follow diffusers' float32 arithmetic where it matters
//! (alphas_cumprod, sigmas), so the timesteps and sigmas agree exactly and the steps to float rounding
//! (checked against diffusers over a grid of configurations in `tests/diffusion.rs`).
//!
//! Configurations these formulas do not cover (trained betas, zero-SNR rescaling, Karras sigmas,
//! thresholding ...) are refused with the key and its value, never approximated.

use serde_json::{Map, Value};

/// The schedulers the node offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchedulerKind {
    /// EulerDiscreteScheduler (the usual choice for SD-Turbo and SD 2.x).
    Euler,
    /// DDIMScheduler, deterministic (eta 0).
    Ddim,
    /// LCMScheduler (latent consistency models; draws fresh noise between steps).
    Lcm,
}

impl SchedulerKind {
    pub const ALL: [SchedulerKind; 3] = [
        SchedulerKind::Euler,
        SchedulerKind::Ddim,
        SchedulerKind::Lcm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SchedulerKind::Euler => "Euler",
            SchedulerKind::Ddim => "DDIM",
            SchedulerKind::Lcm => "LCM",
        }
    }

    /// The kind a diffusers `_class_name` stands for, if it is one of ours.
    pub fn from_class_name(name: &str) -> Option<SchedulerKind> {
        match name {
            "EulerDiscreteScheduler" => Some(SchedulerKind::Euler),
            "DDIMScheduler" => Some(SchedulerKind::Ddim),
            "LCMScheduler" => Some(SchedulerKind::Lcm),
            _ => None,
        }
    }
}

/// How the model's output is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prediction {
    Epsilon,
    VPrediction,
    Sample,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spacing {
    Leading,
    Linspace,
    Trailing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BetaSchedule {
    Linear,
    ScaledLinear,
    SquaredCosCapV2,
}

/// The keys of `scheduler_config.json` that the formulas use, with each scheduler's defaults for the keys
/// a file leaves out (they differ: Euler spaces `linspace` by default, DDIM `leading`).
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerConfig {
    /// The `_class_name` the pipeline ships with (informative: the node's choice decides).
    pub class_name: Option<String>,
    num_train_timesteps: usize,
    beta_start: f64,
    beta_end: f64,
    beta_schedule: BetaSchedule,
    prediction: Prediction,
    spacing: Spacing,
    steps_offset: usize,
    set_alpha_to_one: bool,
    clip_sample: bool,
    clip_sample_range: f64,
    original_inference_steps: usize,
    timestep_scaling: f64,
}

fn num(map: &Map<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| format!("\"{key}\" is {v}, not a number")),
    }
}

fn whole(map: &Map<String, Value>, key: &str) -> Result<Option<usize>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("\"{key}\" is {v}, not a whole number")),
    }
}

fn flag(map: &Map<String, Value>, key: &str) -> Result<Option<bool>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(format!("\"{key}\" is {v}, not true or false")),
    }
}

fn text<'m>(map: &'m Map<String, Value>, key: &str) -> Result<Option<&'m str>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(format!("\"{key}\" is {v}, not a string")),
    }
}

impl SchedulerConfig {
    /// Reads a `scheduler_config.json` document for `kind`. Unknown keys are ignored (diffusers adds
    /// some with every release); keys whose value needs formulas this code lacks are refused.
    pub fn from_json(value: &Value, kind: SchedulerKind) -> Result<SchedulerConfig, String> {
        let map = value
            .as_object()
            .ok_or("the scheduler configuration is not a JSON object")?;
        let refuse = |key: &str, why: &str| -> Result<(), String> {
            Err(format!(
                "\"{key}\" {why}: not supported by onnxfx's schedulers"
            ))
        };
        if map.get("trained_betas").is_some_and(|v| !v.is_null()) {
            refuse("trained_betas", "is set")?;
        }
        for key in [
            "rescale_betas_zero_snr",
            "thresholding",
            "use_karras_sigmas",
            "use_exponential_sigmas",
            "use_beta_sigmas",
        ] {
            if flag(map, key)? == Some(true) {
                refuse(key, "is true")?;
            }
        }
        if let Some(v) = text(map, "interpolation_type")?
            && v != "linear"
        {
            refuse("interpolation_type", &format!("is \"{v}\""))?;
        }
        if let Some(v) = text(map, "final_sigmas_type")?
            && v != "zero"
        {
            refuse("final_sigmas_type", &format!("is \"{v}\""))?;
        }
        if let Some(v) = text(map, "timestep_type")?
            && v != "discrete"
        {
            refuse("timestep_type", &format!("is \"{v}\""))?;
        }
        let (beta_start, beta_end, schedule) = match kind {
            SchedulerKind::Lcm => (0.00085, 0.012, "scaled_linear"),
            _ => (0.0001, 0.02, "linear"),
        };
        let beta_schedule = match text(map, "beta_schedule")?.unwrap_or(schedule) {
            "linear" => BetaSchedule::Linear,
            "scaled_linear" => BetaSchedule::ScaledLinear,
            "squaredcos_cap_v2" => BetaSchedule::SquaredCosCapV2,
            other => return Err(format!("unknown \"beta_schedule\" \"{other}\"")),
        };
        let prediction = match text(map, "prediction_type")?.unwrap_or("epsilon") {
            "epsilon" => Prediction::Epsilon,
            "v_prediction" => Prediction::VPrediction,
            "sample" | "original_sample" => Prediction::Sample,
            other => return Err(format!("unknown \"prediction_type\" \"{other}\"")),
        };
        let default_spacing = match kind {
            SchedulerKind::Euler => "linspace",
            _ => "leading",
        };
        let spacing = match text(map, "timestep_spacing")?.unwrap_or(default_spacing) {
            "leading" => Spacing::Leading,
            "linspace" => Spacing::Linspace,
            "trailing" => Spacing::Trailing,
            other => return Err(format!("unknown \"timestep_spacing\" \"{other}\"")),
        };
        let config = SchedulerConfig {
            class_name: text(map, "_class_name")?.map(str::to_owned),
            num_train_timesteps: whole(map, "num_train_timesteps")?.unwrap_or(1000),
            beta_start: num(map, "beta_start")?.unwrap_or(beta_start),
            beta_end: num(map, "beta_end")?.unwrap_or(beta_end),
            beta_schedule,
            prediction,
            spacing,
            steps_offset: whole(map, "steps_offset")?.unwrap_or(0),
            set_alpha_to_one: flag(map, "set_alpha_to_one")?.unwrap_or(true),
            // DDIM clips by default; Euler has no such key; LCM does not clip by default.
            clip_sample: flag(map, "clip_sample")?.unwrap_or(kind == SchedulerKind::Ddim),
            clip_sample_range: num(map, "clip_sample_range")?.unwrap_or(1.0),
            original_inference_steps: whole(map, "original_inference_steps")?.unwrap_or(50),
            timestep_scaling: num(map, "timestep_scaling")?.unwrap_or(10.0),
        };
        if !(2..=100_000).contains(&config.num_train_timesteps) {
            return Err(format!(
                "\"num_train_timesteps\" is {}: expected 2 to 100000",
                config.num_train_timesteps
            ));
        }
        Ok(config)
    }

    pub fn num_train_timesteps(&self) -> usize {
        self.num_train_timesteps
    }
}

/// `torch.linspace(start, end, n, dtype=float32)`.
fn linspace_f32(start: f64, end: f64, n: usize) -> Vec<f32> {
    if n == 1 {
        return vec![start as f32];
    }
    let step = (end - start) / (n - 1) as f64;
    (0..n)
        .map(|i| {
            // torch fills the first half from the start and the second half from the end.
            if i < n / 2 {
                (start + step * i as f64) as f32
            } else {
                (end - step * (n - 1 - i) as f64) as f32
            }
        })
        .collect()
}

/// `np.linspace(start, stop, n)` (float64, the last value exactly `stop`).
fn np_linspace(start: f64, stop: f64, n: usize, endpoint: bool) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    let div = if endpoint { n - 1 } else { n };
    if div == 0 {
        return vec![start];
    }
    let step = (stop - start) / div as f64;
    let mut v: Vec<f64> = (0..n).map(|i| i as f64 * step + start).collect();
    if endpoint && n > 1 {
        v[n - 1] = stop;
    }
    v
}

/// `np.arange(start, stop, step)` for a negative float step.
fn np_arange_down(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let len = ((stop - start) / step).ceil().max(0.0) as usize;
    (0..len).map(|i| start + i as f64 * step).collect()
}

fn alphas_cumprod(config: &SchedulerConfig) -> Vec<f32> {
    let n = config.num_train_timesteps;
    let betas: Vec<f32> = match config.beta_schedule {
        BetaSchedule::Linear => linspace_f32(config.beta_start, config.beta_end, n),
        BetaSchedule::ScaledLinear => {
            linspace_f32(config.beta_start.sqrt(), config.beta_end.sqrt(), n)
                .into_iter()
                .map(|b| b * b)
                .collect()
        }
        BetaSchedule::SquaredCosCapV2 => {
            let alpha_bar = |t: f64| {
                let c = libm::cos((t + 0.008) / 1.008 * std::f64::consts::PI / 2.0);
                c * c
            };
            (0..n)
                .map(|i| {
                    let (t1, t2) = (i as f64 / n as f64, (i + 1) as f64 / n as f64);
                    (1.0 - alpha_bar(t2) / alpha_bar(t1)).min(0.999) as f32
                })
                .collect()
        }
    };
    let mut product = 1.0f32;
    betas
        .into_iter()
        .map(|b| {
            product *= 1.0 - b;
            product
        })
        .collect()
}

/// A scheduler set up for one generation: its timesteps (and sigmas, for Euler).
#[derive(Debug, Clone)]
pub struct Scheduler {
    kind: SchedulerKind,
    config: SchedulerConfig,
    alphas_cumprod: Vec<f32>,
    final_alpha_cumprod: f32,
    /// Descending timesteps, as the UNet receives them.
    timesteps: Vec<f64>,
    /// Euler's noise levels, one per timestep plus a final 0.
    sigmas: Vec<f32>,
    steps: usize,
}

impl Scheduler {
    /// `set_timesteps(steps)` of the diffusers scheduler of `kind`.
    pub fn new(
        kind: SchedulerKind,
        config: &SchedulerConfig,
        steps: usize,
    ) -> Result<Scheduler, String> {
        let n = config.num_train_timesteps;
        if steps == 0 || steps > n {
            return Err(format!("{steps} steps: expected 1 to {n}"));
        }
        let ac = alphas_cumprod(config);
        let final_alpha_cumprod = if config.set_alpha_to_one { 1.0 } else { ac[0] };
        let nf = n as f64;
        let timesteps: Vec<f64> = match kind {
            SchedulerKind::Lcm => {
                let original = config.original_inference_steps;
                if original == 0 || original > n {
                    return Err(format!(
                        "\"original_inference_steps\" is {original}: expected 1 to {n}"
                    ));
                }
                if steps > original {
                    return Err(format!(
                        "LCM takes at most {original} steps (the pipeline's original_inference_steps)"
                    ));
                }
                let k = n / original;
                let origin: Vec<f64> = (1..=original).rev().map(|i| (i * k) as f64 - 1.0).collect();
                np_linspace(0.0, origin.len() as f64, steps, false)
                    .into_iter()
                    .map(|i| origin[i.floor() as usize])
                    .collect()
            }
            SchedulerKind::Ddim | SchedulerKind::Euler => {
                let offset = config.steps_offset as f64;
                match config.spacing {
                    Spacing::Linspace => np_linspace(0.0, nf - 1.0, steps, true)
                        .into_iter()
                        .rev()
                        .map(|t| {
                            if kind == SchedulerKind::Ddim {
                                t.round_ties_even()
                            } else {
                                t
                            }
                        })
                        .collect(),
                    Spacing::Leading => {
                        let ratio = (n / steps) as f64;
                        (0..steps)
                            .rev()
                            .map(|i| (i as f64 * ratio).round_ties_even() + offset)
                            .collect()
                    }
                    Spacing::Trailing => {
                        let ratio = nf / steps as f64;
                        np_arange_down(nf, 0.0, -ratio)
                            .into_iter()
                            .map(|t| t.round_ties_even() - 1.0)
                            .collect()
                    }
                }
            }
        };
        // Euler's timesteps are float32 in diffusers.
        let timesteps: Vec<f64> = if kind == SchedulerKind::Euler {
            timesteps.iter().map(|t| f64::from(*t as f32)).collect()
        } else {
            timesteps
        };
        if let Some(bad) = timesteps.iter().find(|t| !(0.0..nf).contains(*t)) {
            return Err(format!(
                "timestep {bad} is outside 0..{n} with this configuration and {steps} steps"
            ));
        }
        let sigmas = if kind == SchedulerKind::Euler {
            let all: Vec<f32> = ac.iter().map(|a| ((1.0 - a) / a).sqrt()).collect();
            let mut sigmas: Vec<f32> = timesteps
                .iter()
                .map(|t| {
                    let i = (t.floor() as usize).min(n - 1);
                    let j = (i + 1).min(n - 1);
                    let (a, b) = (f64::from(all[i]), f64::from(all[j]));
                    let frac = t - i as f64;
                    (if j == i { a } else { a + (b - a) * frac }) as f32
                })
                .collect();
            sigmas.push(0.0);
            sigmas
        } else {
            Vec::new()
        };
        Ok(Scheduler {
            kind,
            config: config.clone(),
            alphas_cumprod: ac,
            final_alpha_cumprod,
            timesteps,
            sigmas,
            steps,
        })
    }

    pub fn kind(&self) -> SchedulerKind {
        self.kind
    }

    /// The descending timesteps of the whole schedule.
    pub fn timesteps(&self) -> &[f64] {
        &self.timesteps
    }

    /// Euler's sigmas (empty for the others).
    pub fn sigmas(&self) -> &[f32] {
        &self.sigmas
    }

    /// The first step an image-to-image run takes: only the last `steps × strength` steps run
    /// (`get_timesteps` of diffusers' img2img and inpainting pipelines).
    pub fn start_index(&self, strength: f64) -> usize {
        let init = ((self.steps as f64 * strength).floor() as usize).min(self.steps);
        self.steps - init
    }

    /// The standard deviation of pure-noise latents.
    pub fn init_noise_sigma(&self) -> f32 {
        match self.kind {
            SchedulerKind::Euler => {
                let max = self.sigmas.iter().copied().fold(0.0f32, f32::max);
                match self.config.spacing {
                    Spacing::Linspace | Spacing::Trailing => max,
                    Spacing::Leading => (max * max + 1.0).sqrt(),
                }
            }
            _ => 1.0,
        }
    }

    /// The timestep value the UNet gets at step `index`.
    pub fn unet_timestep(&self, index: usize) -> f32 {
        self.timesteps[index] as f32
    }

    /// Scales the UNet's input at step `index` (Euler divides by √(σ² + 1)).
    pub fn scale_model_input(&self, index: usize, sample: &mut [f32]) {
        if self.kind == SchedulerKind::Euler {
            let sigma = self.sigmas[index];
            let scale = (sigma * sigma + 1.0).sqrt();
            for v in sample {
                *v /= scale;
            }
        }
    }

    fn alpha(&self, timestep: f64) -> f32 {
        let t = timestep.max(0.0) as usize;
        self.alphas_cumprod[t.min(self.alphas_cumprod.len() - 1)]
    }

    /// Noises clean latents to the level of step `index` (img2img's starting point; inpainting's
    /// blend of the known region).
    pub fn add_noise(&self, original: &[f32], noise: &[f32], index: usize) -> Vec<f32> {
        match self.kind {
            SchedulerKind::Euler => {
                let sigma = self.sigmas[index];
                original
                    .iter()
                    .zip(noise)
                    .map(|(x, n)| x + n * sigma)
                    .collect()
            }
            _ => {
                let a = self.alpha(self.timesteps[index]);
                let (s, r) = (a.sqrt(), (1.0 - a).sqrt());
                original
                    .iter()
                    .zip(noise)
                    .map(|(x, n)| s * x + r * n)
                    .collect()
            }
        }
    }

    /// Whether step `index` draws fresh noise (LCM, on every step but the schedule's last).
    pub fn step_needs_noise(&self, index: usize) -> bool {
        self.kind == SchedulerKind::Lcm && index + 1 != self.steps
    }

    /// One denoising step from `sample` at step `index`, given the model's (guided) output. `noise` is
    /// the fresh noise when [`Scheduler::step_needs_noise`] says so.
    pub fn step(
        &self,
        index: usize,
        model_output: &[f32],
        sample: &[f32],
        noise: Option<&[f32]>,
    ) -> Vec<f32> {
        let t = self.timesteps[index];
        match self.kind {
            SchedulerKind::Euler => {
                let (sigma, next) = (self.sigmas[index], self.sigmas[index + 1]);
                let dt = next - sigma;
                let c = (sigma * sigma + 1.0).sqrt();
                let denominator = sigma * sigma + 1.0;
                model_output
                    .iter()
                    .zip(sample)
                    .map(|(m, x)| {
                        let x0 = match self.config.prediction {
                            Prediction::Epsilon => x - sigma * m,
                            Prediction::VPrediction => m * (-sigma / c) + x / denominator,
                            Prediction::Sample => *m,
                        };
                        let derivative = (x - x0) / sigma;
                        x + derivative * dt
                    })
                    .collect()
            }
            SchedulerKind::Ddim => {
                let ratio = (self.config.num_train_timesteps / self.steps) as f64;
                let prev = t - ratio;
                let a = self.alpha(t);
                let a_prev = if prev >= 0.0 {
                    self.alpha(prev)
                } else {
                    self.final_alpha_cumprod
                };
                let b = 1.0 - a;
                let (sa, sb) = (a.sqrt(), b.sqrt());
                let range = self.config.clip_sample_range as f32;
                let direction = (1.0 - a_prev).sqrt();
                model_output
                    .iter()
                    .zip(sample)
                    .map(|(m, x)| {
                        let (mut x0, eps) = match self.config.prediction {
                            Prediction::Epsilon => ((x - sb * m) / sa, *m),
                            Prediction::VPrediction => (sa * x - sb * m, sa * m + sb * x),
                            Prediction::Sample => (*m, (x - sa * m) / sb),
                        };
                        if self.config.clip_sample {
                            x0 = x0.clamp(-range, range);
                        }
                        a_prev.sqrt() * x0 + direction * eps
                    })
                    .collect()
            }
            SchedulerKind::Lcm => {
                let prev = self.timesteps.get(index + 1).copied().unwrap_or(t);
                let a = self.alpha(t);
                let a_prev = if prev >= 0.0 {
                    self.alpha(prev)
                } else {
                    self.final_alpha_cumprod
                };
                let (sa, sb) = (a.sqrt(), (1.0 - a).sqrt());
                let scaled = t * self.config.timestep_scaling;
                let sigma_data = 0.5f64;
                let c_skip =
                    (sigma_data * sigma_data / (scaled * scaled + sigma_data * sigma_data)) as f32;
                let c_out = (scaled / (scaled * scaled + sigma_data * sigma_data).sqrt()) as f32;
                let range = self.config.clip_sample_range as f32;
                let denoised = model_output.iter().zip(sample).map(|(m, x)| {
                    let mut x0 = match self.config.prediction {
                        Prediction::Epsilon => (x - sb * m) / sa,
                        Prediction::VPrediction => sa * x - sb * m,
                        Prediction::Sample => *m,
                    };
                    if self.config.clip_sample {
                        x0 = x0.clamp(-range, range);
                    }
                    c_out * x0 + c_skip * x
                });
                match noise.filter(|_| self.step_needs_noise(index)) {
                    Some(noise) => {
                        let (s, r) = (a_prev.sqrt(), (1.0 - a_prev).sqrt());
                        denoised.zip(noise).map(|(d, n)| s * d + r * n).collect()
                    }
                    None => denoised.collect(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sd_config(kind: SchedulerKind, extra: &[(&str, Value)]) -> SchedulerConfig {
        let mut v = serde_json::json!({
            "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
            "num_train_timesteps": 1000, "set_alpha_to_one": false, "steps_offset": 1,
            "clip_sample": false, "prediction_type": "epsilon"
        });
        for (k, value) in extra {
            v[*k] = value.clone();
        }
        SchedulerConfig::from_json(&v, kind).unwrap()
    }

    #[test]
    fn timesteps_follow_each_spacing() {
        let euler = Scheduler::new(
            SchedulerKind::Euler,
            &sd_config(SchedulerKind::Euler, &[]),
            4,
        )
        .unwrap();
        assert_eq!(euler.timesteps(), [999.0, 666.0, 333.0, 0.0]);
        let ddim =
            Scheduler::new(SchedulerKind::Ddim, &sd_config(SchedulerKind::Ddim, &[]), 5).unwrap();
        assert_eq!(ddim.timesteps(), [801.0, 601.0, 401.0, 201.0, 1.0]);
        let lcm =
            Scheduler::new(SchedulerKind::Lcm, &sd_config(SchedulerKind::Lcm, &[]), 4).unwrap();
        assert_eq!(lcm.timesteps(), [999.0, 759.0, 499.0, 259.0]);
        let trailing = sd_config(
            SchedulerKind::Euler,
            &[("timestep_spacing", Value::from("trailing"))],
        );
        let euler = Scheduler::new(SchedulerKind::Euler, &trailing, 2).unwrap();
        assert_eq!(euler.timesteps(), [999.0, 499.0]);
        assert_eq!(euler.start_index(0.75), 1);
        assert_eq!(euler.start_index(1.0), 0);
        assert_eq!(euler.start_index(0.1), 2);
    }

    #[test]
    fn unsupported_configurations_are_refused_by_key() {
        let v = serde_json::json!({"use_karras_sigmas": true});
        let e = SchedulerConfig::from_json(&v, SchedulerKind::Euler).unwrap_err();
        assert!(e.contains("use_karras_sigmas"), "{e}");
        let v = serde_json::json!({"trained_betas": [0.1, 0.2]});
        assert!(SchedulerConfig::from_json(&v, SchedulerKind::Ddim).is_err());
        let lcm = sd_config(SchedulerKind::Lcm, &[]);
        assert!(Scheduler::new(SchedulerKind::Lcm, &lcm, 51).is_err());
        assert!(Scheduler::new(SchedulerKind::Euler, &lcm, 0).is_err());
    }
}
