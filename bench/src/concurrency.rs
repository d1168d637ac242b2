//! Several instances rendering at once against the same renders one after the other: throughput, and
//! the CPU time both take (more CPU for the same frames means threads fighting over the cores).

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::plugin::{self, Host};
use crate::stats::{self, Stats};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Concurrency {
    pub instances: usize,
    pub sequential_ms: Stats,
    pub concurrent_ms: Stats,
    /// Concurrent throughput ÷ sequential throughput (the same frames): above 1 is a gain.
    pub throughput_ratio: Stats,
    /// CPU seconds (user + system, whole process) for the sequential and the concurrent frames.
    pub sequential_cpu_s: Stats,
    pub concurrent_cpu_s: Stats,
}

/// User + system CPU seconds of this process so far.
pub fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes one rusage struct into memory we own.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &raw mut usage);
        usage
    };
    #[allow(clippy::cast_precision_loss)]
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

pub fn measure(
    host: &Host,
    model: &Path,
    (width, height): (usize, usize),
    instances: usize,
    rounds: usize,
) -> Result<Concurrency> {
    let all: Vec<_> = (0..instances)
        .map(|_| host.instance(model, width, height))
        .collect::<Result<_>>()?;
    for instance in &all {
        plugin::render(instance, 0.0)?;
    }
    let (mut seq, mut conc, mut seq_cpu, mut conc_cpu) = (vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        let time = f64::from(u32::try_from(round)?) + 1.0;
        let (cpu, start) = (cpu_seconds(), Instant::now());
        for instance in &all {
            plugin::render(instance, time)?;
        }
        seq.push(start.elapsed().as_secs_f64() * 1e3);
        seq_cpu.push(cpu_seconds() - cpu);

        let (cpu, start) = (cpu_seconds(), Instant::now());
        std::thread::scope(|scope| {
            let handles: Vec<_> = all
                .iter()
                .map(|instance| scope.spawn(move || plugin::render(instance, time)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect::<Result<Vec<f64>>>()
        })?;
        conc.push(start.elapsed().as_secs_f64() * 1e3);
        conc_cpu.push(cpu_seconds() - cpu);
    }
    let stats = |v: &[f64]| Stats::of(v).ok_or_else(|| anyhow::anyhow!("no rounds"));
    Ok(Concurrency {
        instances,
        sequential_ms: stats(&seq)?,
        concurrent_ms: stats(&conc)?,
        throughput_ratio: stats(&stats::ratios(&seq, &conc))?,
        sequential_cpu_s: stats(&seq_cpu)?,
        concurrent_cpu_s: stats(&conc_cpu)?,
    })
}
