//! Resources: resident memory over many renders and instance churn, file descriptors and threads left
//! behind after unloading. Read from `/proc/self` (Linux).

use std::path::PathBuf;

use ofx_sdk::host::Library;

use super::{H, W, instance, setup};
use crate::validate::rig::Rig;

/// Growth per render above which memory counts as leaking (with [`LEAK_TOTAL`] in all).
const LEAK_PER_RENDER: f64 = 16.0 * 1024.0;
const LEAK_TOTAL: f64 = 8.0 * 1024.0 * 1024.0;
/// Growth worth a warning.
const GROWTH_PER_RENDER: f64 = 2.0 * 1024.0;
const GROWTH_TOTAL: f64 = 2.0 * 1024.0 * 1024.0;

/// Resident set size in bytes.
fn rss() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb * 1024.0)
}

fn threads() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| {
                    let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
                    comm.trim().to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Open file descriptors and what they point to (without the one reading the list).
fn fds() -> Vec<(String, PathBuf)> {
    let listing = PathBuf::from(format!("/proc/{}/fd", std::process::id()));
    std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| {
                    let target = std::fs::read_link(e.path()).unwrap_or_default();
                    (e.file_name().to_string_lossy().into_owned(), target)
                })
                .filter(|(_, target)| *target != listing)
                .collect()
        })
        .unwrap_or_default()
}

fn mib(b: f64) -> f64 {
    b / (1024.0 * 1024.0)
}

/// Judges memory growth between a warmed-up sample and the end.
fn judge(rig: &mut Rig, case: &str, what: &str, n: usize, warm: f64, end: f64) {
    let grown = end - warm;
    let per = grown / n.max(1) as f64;
    let text = format!(
        "resident memory {:.1} MiB after warm-up, {:.1} MiB after {n} more {what} ({:+.1} KiB per {what_one})",
        mib(warm),
        mib(end),
        per / 1024.0,
        what_one = what.trim_end_matches('s')
    );
    if per > LEAK_PER_RENDER && grown > LEAK_TOTAL {
        rig.fail(Some(case), format!("memory leak: {text}"));
    } else if per > GROWTH_PER_RENDER && grown > GROWTH_TOTAL {
        rig.warn(Some(case), format!("memory grows: {text}"));
    } else {
        rig.pass(Some(case), text);
    }
}

pub fn memory(rig: &mut Rig) {
    let Some((plugin, ctx)) = setup(rig) else {
        return;
    };
    let options = rig.options();
    let renders = rig.count(1000, 100);
    let case = "renders";
    if rig.wants(case) {
        rig.begin(case);
        let Some(inst) = instance(rig, case, &plugin, ctx, W, H, 130) else {
            return;
        };
        let warm_up = renders / 10;
        let mut warm = None;
        for i in 0..renders {
            if i == warm_up {
                warm = rss();
            }
            if let Err(e) = inst.render((i % 50) as f64, &options) {
                rig.fail(Some(case), format!("render {i} failed: {e}"));
                return;
            }
        }
        if let (Some(w), Some(e)) = (warm, rss()) {
            judge(rig, case, "renders", renders - warm_up, w, e);
        }
    }
    let case = "instances";
    if rig.wants(case) {
        rig.begin(case);
        let cycles = rig.count(200, 20);
        let warm_up = cycles / 10;
        let mut warm = None;
        for i in 0..cycles {
            if i == warm_up {
                warm = rss();
            }
            let Some(inst) = instance(rig, case, &plugin, ctx, W, H, 131) else {
                return;
            };
            if let Err(e) = inst.render(1.0, &options) {
                rig.fail(Some(case), format!("render on instance {i} failed: {e}"));
                return;
            }
            if let Err(e) = inst.destroy() {
                rig.fail(Some(case), format!("destroying instance {i} failed: {e}"));
                return;
            }
        }
        if let (Some(w), Some(e)) = (warm, rss()) {
            judge(rig, case, "instances", cycles - warm_up, w, e);
        }
    }
}

pub fn handles(rig: &mut Rig) {
    let case = "unload";
    rig.begin(case);
    let (fds_before, threads_before) = (fds(), threads());
    {
        let library = match Library::load_with(&rig.job.bundle, rig.personality.load_options()) {
            Ok(l) => l,
            Err(e) => {
                rig.fail(Some(case), format!("cannot load the binary: {e}"));
                return;
            }
        };
        let id = rig.plugin_id().to_owned();
        let plugin = match library.plugin(&id) {
            Ok(p) => p,
            Err(e) => {
                rig.fail(Some(case), format!("cannot load the plugin: {e}"));
                return;
            }
        };
        if let Some(ctx) = plugin.default_context() {
            let options = rig.options();
            for i in 0..3 {
                match rig.instance(&plugin, ctx, W, H, 140 + i) {
                    Ok(inst) => {
                        let _ = inst.render(1.0, &options);
                        if let Err(e) = inst.destroy() {
                            rig.fail(Some(case), format!("DestroyInstance failed: {e}"));
                        }
                    }
                    Err(e) => rig.fail(Some(case), format!("cannot set up an instance: {e}")),
                }
            }
        }
        // The last handle goes: Unload.
        drop(plugin);
    }
    let (fds_after, threads_after) = (fds(), threads());
    let opened: Vec<String> = fds_after
        .iter()
        .filter(|(n, _)| !fds_before.iter().any(|(b, _)| b == n))
        .map(|(n, t)| format!("{n} -> {}", t.display()))
        .collect();
    if opened.is_empty() {
        rig.pass(Some(case), "no file descriptor left open after Unload");
    } else {
        rig.warn(
            Some(case),
            format!(
                "{} file descriptor(s) left open after Unload: {}",
                opened.len(),
                opened.join(", ")
            ),
        );
    }
    let extra = threads_after.len().saturating_sub(threads_before.len());
    if extra == 0 {
        rig.pass(Some(case), "no thread left running after Unload");
    } else {
        let mut names: Vec<String> = threads_after.clone();
        for b in &threads_before {
            if let Some(i) = names.iter().position(|n| n == b) {
                names.remove(i);
            }
        }
        names.sort();
        names.dedup();
        rig.warn(
            Some(case),
            format!(
                "{extra} thread(s) left running after Unload (named {}): the binary stays loaded in hosts, so they live on",
                names.join(", ")
            ),
        );
    }
}
