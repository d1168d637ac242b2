//! `ofx-host validate`: a conformance, fuzz and concurrency validator for OpenFX plugins, after
//! clap-validator and pluginval.
//!
//! The parent (this module) lists the plugins of each bundle (the `load-binary` scenario, itself in a
//! child process, since loading runs plugin code), plans the scenarios the level asks for, runs each in
//! a child process ([`sandbox`]) on `--jobs` workers, prints a line per scenario as results come in
//! order, and writes the JSON report. The child side ([`rig`], [`scenarios`]) drives the plugin through
//! `ofx_sdk::host` and records checks ([`report::Check`]); [`checks`] judges pixels; [`personality`]
//! says how real hosts differ from the spec.

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::cli::ValidateArgs;
use crate::commands::parse_params;
use crate::error::CliError;

pub mod checks;
pub mod personality;
pub mod report;
pub mod rig;
pub mod sandbox;
pub mod scenario;
pub mod scenarios;

use report::{PluginReport, Report, ScenarioReport, Status, Totals, Verdict};
use sandbox::{Finished, Job};
use scenario::Scenario;

/// Locks a mutex, ignoring poisoning (a panicking scenario thread must not take the report down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn io(e: std::io::Error) -> CliError {
    CliError::Failed(format!("cannot write output: {e}"))
}

/// Quotes a command-line word for a POSIX shell when it needs it.
fn shell_word(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        w.to_owned()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// The command line that replays `target` (`SCENARIO` or `SCENARIO:CASE`) of one plugin.
fn reproduce_line(job: &Job, target: &str) -> String {
    let mut words = vec![
        "ofx-host".to_owned(),
        "validate".to_owned(),
        shell_word(&job.bundle.display().to_string()),
    ];
    if let Some(p) = &job.plugin {
        words.push("--plugin".into());
        words.push(shell_word(p));
    }
    words.extend([
        "--level".into(),
        job.level.to_string(),
        "--seed".into(),
        job.seed.to_string(),
    ]);
    if job.personality != crate::cli::PersonalityArg::Spec {
        words.push("--as".into());
        words.push(job.personality.name().into());
    }
    for (n, v) in &job.params {
        words.push("--param".into());
        words.push(shell_word(&format!("{n}={v}")));
    }
    words.push("--reproduce".into());
    words.push(shell_word(target));
    words.join(" ")
}

/// Turns a finished child into a scenario report.
fn scenario_report(scenario: Scenario, job: &Job, finished: Finished) -> ScenarioReport {
    let (status, checks, crash) = match finished {
        Finished {
            outcome: Some(o), ..
        } => (Status::from(o.verdict()), o.checks, None),
        Finished { crash: Some(c), .. } => (
            if c.timed_out {
                Status::Hang
            } else {
                Status::Crash
            },
            Vec::new(),
            Some(c),
        ),
        Finished { .. } => (Status::Crash, Vec::new(), None),
    };
    let mut reproduce = Vec::new();
    if status.is_failure() {
        let mut targets: Vec<String> = checks
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .map(|c| match &c.case {
                Some(case) => format!("{}:{case}", scenario.name()),
                None => scenario.name().to_owned(),
            })
            .collect();
        if let Some(case) = crash.as_ref().and_then(|c| c.case.clone()) {
            targets.push(format!("{}:{case}", scenario.name()));
        }
        if targets.is_empty() {
            targets.push(scenario.name().to_owned());
        }
        targets.dedup();
        targets.truncate(5);
        reproduce = targets.iter().map(|t| reproduce_line(job, t)).collect();
    }
    ScenarioReport {
        name: scenario.name().to_owned(),
        description: scenario.description().to_owned(),
        status,
        duration_ms: 0.0,
        checks,
        crash,
        reproduce,
    }
}

/// Runs jobs on `workers` threads; `done(i, finished)` is called on the caller's thread, in any order.
fn run_pool(
    jobs: &[(Scenario, Job)],
    workers: usize,
    timeout: Duration,
    mut done: impl FnMut(usize, Finished),
) {
    let queue = Mutex::new((0..jobs.len()).collect::<VecDeque<usize>>());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        for _ in 0..workers.max(1).min(jobs.len().max(1)) {
            let (queue, tx) = (&queue, tx.clone());
            s.spawn(move || {
                loop {
                    let Some(i) = lock(queue).pop_front() else {
                        break;
                    };
                    let finished = sandbox::run_child(&jobs[i].1, timeout);
                    if tx.send((i, finished)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, finished) in rx {
            done(i, finished);
        }
    });
}

/// The scenarios to run at this level (or the ones named).
fn plan(args: &ValidateArgs) -> Result<Vec<(Scenario, Option<String>)>, CliError> {
    if let Some(target) = &args.reproduce {
        let (s, case) = scenario::parse_target(target).ok_or_else(|| {
            CliError::Usage(format!(
                "--reproduce {target}: no such scenario (see --list-scenarios)"
            ))
        })?;
        return Ok(vec![(s, case)]);
    }
    if !args.scenarios.is_empty() {
        return args
            .scenarios
            .iter()
            .map(|n| {
                Scenario::from_name(n)
                    .map(|s| (s, None))
                    .ok_or_else(|| CliError::Usage(format!("--scenario {n}: no such scenario")))
            })
            .collect();
    }
    Ok(Scenario::ALL
        .iter()
        .filter(|s| s.level() <= args.level && **s != Scenario::LoadBinary)
        .map(|s| (*s, None))
        .collect())
}

pub fn run(args: &ValidateArgs, out: &mut dyn Write, _err: &mut dyn Write) -> Result<(), CliError> {
    if args.list_scenarios {
        for s in Scenario::ALL {
            writeln!(
                out,
                "{:30} level {:2}  {}",
                s.name(),
                s.level(),
                s.description()
            )
            .map_err(io)?;
        }
        return Ok(());
    }
    let params = parse_params(&args.params)?;
    let planned = plan(args)?;
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs() ^ u64::from(d.subsec_nanos()))
            % 1_000_000
    });
    let workers = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let timeout = Duration::from_secs(args.timeout.max(1));
    let start = Instant::now();
    let job = |bundle: &PathBuf, plugin: Option<String>, s: Scenario, case: Option<String>| Job {
        bundle: bundle.clone(),
        plugin,
        scenario: s.name().to_owned(),
        case,
        level: args.level,
        seed,
        personality: args.personality,
        params: params.clone(),
        timeout_secs: args.timeout,
    };
    writeln!(
        out,
        "ofx-host validate: level {}, seed {seed}, as {}, {} scenario(s), {workers} at a time",
        args.level,
        args.personality.name(),
        planned.len() + usize::from(args.reproduce.is_none() && args.scenarios.is_empty())
    )
    .map_err(io)?;

    // 1. List every bundle's plugins, each in a child process.
    let listing: Vec<(Scenario, Job)> = args
        .bundles
        .iter()
        .map(|b| {
            (
                Scenario::LoadBinary,
                job(b, args.plugin.clone(), Scenario::LoadBinary, None),
            )
        })
        .collect();
    let mut listed: Vec<Option<ScenarioReport>> = vec![None; listing.len()];
    let mut ids: Vec<Vec<(String, String)>> = vec![Vec::new(); listing.len()];
    run_pool(&listing, workers, timeout, |i, finished| {
        let elapsed = finished.elapsed;
        if let Some(o) = &finished.outcome {
            ids[i] = o
                .plugins
                .iter()
                .map(|p| (p.id.clone(), p.version.clone()))
                .collect();
        }
        let mut r = scenario_report(Scenario::LoadBinary, &listing[i].1, finished);
        r.duration_ms = elapsed.as_secs_f64() * 1e3;
        listed[i] = Some(r);
    });

    // 2. Plan every plugin's scenarios.
    let mut plugins: Vec<PluginReport> = Vec::new();
    let mut jobs: Vec<(Scenario, Job)> = Vec::new();
    let mut owner: Vec<usize> = Vec::new();
    let with_listing = args.reproduce.is_none() && args.scenarios.is_empty();
    for (b, bundle) in args.bundles.iter().enumerate() {
        let load = listed[b].clone();
        let mut found: Vec<(String, String)> = ids[b].clone();
        if let Some(id) = &args.plugin {
            found.retain(|(p, _)| p == id);
        }
        let load_failed = load.as_ref().is_none_or(|l| l.status.is_failure());
        if found.is_empty() {
            plugins.push(PluginReport {
                bundle: bundle.clone(),
                plugin: args.plugin.clone().unwrap_or_default(),
                version: None,
                totals: Totals::default(),
                scenarios: load.into_iter().collect(),
            });
            continue;
        }
        for (id, version) in found {
            let index = plugins.len();
            let mut first = Vec::new();
            if with_listing || load_failed {
                first.extend(load.clone());
            }
            plugins.push(PluginReport {
                bundle: bundle.clone(),
                plugin: id.clone(),
                version: Some(version),
                totals: Totals::default(),
                scenarios: first,
            });
            for (s, case) in &planned {
                jobs.push((*s, job(bundle, Some(id.clone()), *s, case.clone())));
                owner.push(index);
            }
        }
    }

    // 3. Run them, printing each plugin's lines in order as they complete.
    let mut results: Vec<Option<ScenarioReport>> = vec![None; jobs.len()];
    let mut next = 0;
    let mut headed: Vec<bool> = vec![false; plugins.len()];
    let print_ready = |results: &[Option<ScenarioReport>],
                       next: &mut usize,
                       headed: &mut [bool],
                       out: &mut dyn Write|
     -> std::io::Result<()> {
        while let Some(Some(r)) = results.get(*next) {
            let p = owner[*next];
            if !headed[p] {
                headed[p] = true;
                writeln!(
                    out,
                    "{} ({})",
                    plugins[p].plugin,
                    plugins[p].bundle.display()
                )?;
                for s in &plugins[p].scenarios {
                    report::scenario_line(out, s)?;
                }
            }
            report::scenario_line(out, r)?;
            *next += 1;
        }
        Ok(())
    };
    let mut write_error = None;
    run_pool(&jobs, workers, timeout, |i, finished| {
        let elapsed = finished.elapsed;
        let mut r = scenario_report(jobs[i].0, &jobs[i].1, finished);
        r.duration_ms = elapsed.as_secs_f64() * 1e3;
        results[i] = Some(r);
        if let Err(e) = print_ready(&results, &mut next, &mut headed, out) {
            write_error.get_or_insert(e);
        }
    });
    if let Some(e) = write_error {
        return Err(io(e));
    }
    for (i, r) in results.into_iter().enumerate() {
        if let Some(r) = r {
            plugins[owner[i]].scenarios.push(r);
        }
    }

    // 4. Totals, the summary and the report.
    let mut totals = Totals::default();
    for (i, p) in plugins.iter_mut().enumerate() {
        if !headed.get(i).copied().unwrap_or(true) {
            writeln!(out, "{} ({})", p.plugin, p.bundle.display()).map_err(io)?;
            for s in &p.scenarios {
                report::scenario_line(out, s).map_err(io)?;
            }
        }
        for s in &p.scenarios {
            p.totals.add(s.status);
            totals.add(s.status);
        }
    }
    writeln!(out).map_err(io)?;
    for p in &plugins {
        report::plugin_summary(out, p).map_err(io)?;
    }
    let duration = start.elapsed();
    writeln!(
        out,
        "validation {} in {:.1} s (level {}, seed {seed}, as {})",
        if totals.failures() == 0 {
            "passed"
        } else {
            "FAILED"
        },
        duration.as_secs_f64(),
        args.level,
        args.personality.name()
    )
    .map_err(io)?;
    let report = Report {
        validator: format!("ofx-host {}", env!("CARGO_PKG_VERSION")),
        level: args.level,
        seed,
        personality: args.personality,
        duration_ms: duration.as_secs_f64() * 1e3,
        totals,
        plugins,
    };
    if let Some(path) = &args.json {
        let json =
            serde_json::to_string_pretty(&report).map_err(|e| CliError::Failed(e.to_string()))?;
        std::fs::write(path, json + "\n").map_err(|e| CliError::Io {
            path: path.clone(),
            source: e,
        })?;
    }
    if totals.failures() > 0 {
        return Err(CliError::Validation(totals.failures()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduce_lines_quote_what_a_shell_would_split() {
        let job = Job {
            bundle: PathBuf::from("/tmp/my plugins/x.ofx.bundle"),
            plugin: Some("org.x.y".into()),
            scenario: "param-fuzz".into(),
            case: None,
            level: 7,
            seed: 42,
            personality: crate::cli::PersonalityArg::Mlt,
            params: vec![("modelFile".into(), "/m/a b.onnx".into())],
            timeout_secs: 60,
        };
        assert_eq!(
            reproduce_line(&job, "param-fuzz:3"),
            "ofx-host validate '/tmp/my plugins/x.ofx.bundle' --plugin org.x.y --level 7 --seed 42 --as mlt --param 'modelFile=/m/a b.onnx' --reproduce param-fuzz:3"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
