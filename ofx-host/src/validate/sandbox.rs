//! Process isolation: every scenario runs in a child process (this binary re-executed with the hidden
//! `__scenario` subcommand and a JSON job), under a time limit. A crashing, aborting or hanging plugin
//! takes only its child down; the parent reports the signal, the exit code, the last action the host
//! sent, the case in progress and the end of the child's stderr, and goes on.
//!
//! The child speaks on stdout in lines starting with `@@` (anything else is the plugin's own output):
//! `@@case ID` when a case starts, `@@action+ NAME` before and `@@action- NAME STATUS` after each
//! action, and `@@result JSON` (an [`Outcome`]) at the end.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ofx_sdk::Status as OfxStatus;
use ofx_sdk::host::{ActionEvent, set_action_observer};
use serde::{Deserialize, Serialize};

use super::report::{Crash, Outcome, Verdict};
use super::rig::{Rig, StatusLog};
use super::scenario::Scenario;
use super::scenarios;
use crate::cli::{PersonalityArg, ScenarioArgs};
use crate::error::CliError;

/// What one child process is asked to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub bundle: PathBuf,
    /// `None` for the listing (`load-binary` without a plugin).
    pub plugin: Option<String>,
    pub scenario: String,
    /// Only this case (`--reproduce SCENARIO:CASE`).
    pub case: Option<String>,
    pub level: u8,
    pub seed: u64,
    pub personality: PersonalityArg,
    /// `--param NAME=VALUE`, in order.
    pub params: Vec<(String, String)>,
    /// The scenario's time limit, for watchdogs inside it that must fire first.
    pub timeout_secs: u64,
}

/// The end of the child's stderr kept for the report.
const STDERR_TAIL: usize = 4096;

/// What the parent learnt from one child.
#[derive(Debug)]
pub struct Finished {
    pub outcome: Option<Outcome>,
    pub crash: Option<Crash>,
    pub elapsed: Duration,
}

/// Runs `job` in a child process of this executable, killing it after `timeout`.
pub fn run_child(job: &Job, timeout: Duration) -> Finished {
    let start = Instant::now();
    let spawn_failed = |e: String| Finished {
        outcome: None,
        crash: Some(Crash {
            stderr_tail: format!("cannot start the scenario process: {e}"),
            ..Crash::default()
        }),
        elapsed: start.elapsed(),
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return spawn_failed(e.to_string()),
    };
    let payload = match serde_json::to_string(job) {
        Ok(p) => p,
        Err(e) => return spawn_failed(e.to_string()),
    };
    let mut child = match Command::new(exe)
        .arg("__scenario")
        .arg(payload)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return spawn_failed(e.to_string()),
    };
    let progress = Arc::new(Mutex::new(Progress::default()));
    let stdout = child.stdout.take().map(|s| {
        let progress = Arc::clone(&progress);
        std::thread::spawn(move || read_protocol(s, &progress))
    });
    let stderr = child
        .stderr
        .take()
        .map(|s| std::thread::spawn(move || read_tail(s)));

    let deadline = start + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => break None,
        }
    };
    if let Some(t) = stdout {
        let _ = t.join();
    }
    let stderr_tail = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    let elapsed = start.elapsed();
    let progress = super::lock(&progress).clone();

    let (signal, exit_code) = match status {
        Some(s) => {
            use std::os::unix::process::ExitStatusExt;
            (s.signal(), s.code())
        }
        None => (None, None),
    };
    let crash = |case: Option<String>| Crash {
        signal: signal.map(signal_name),
        exit_code,
        timed_out,
        last_action: progress.last_action.clone(),
        case,
        stderr_tail: stderr_tail.clone(),
    };
    match progress.result {
        Some(mut outcome) if !timed_out => {
            // The scenario finished; dying afterwards (at exit, in a plugin's static destructor) is
            // still worth knowing.
            if signal.is_some() || exit_code.is_some_and(|c| c != 0) {
                let how = match signal {
                    Some(s) => format!("killed by {}", signal_name(s)),
                    None => format!("exit code {}", exit_code.unwrap_or(-1)),
                };
                outcome.push(
                    None,
                    Verdict::Warn,
                    format!("the process died after the scenario finished ({how})"),
                );
            }
            Finished {
                outcome: Some(outcome),
                crash: None,
                elapsed,
            }
        }
        _ => Finished {
            outcome: None,
            crash: Some(crash(progress.case.clone())),
            elapsed,
        },
    }
}

#[derive(Debug, Clone, Default)]
struct Progress {
    last_action: Option<String>,
    case: Option<String>,
    result: Option<Outcome>,
}

fn read_protocol(stdout: impl Read, progress: &Mutex<Progress>) {
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let Some(rest) = line.strip_prefix("@@") else {
            continue;
        };
        let mut p = super::lock(progress);
        if let Some(json) = rest.strip_prefix("result ") {
            p.result = serde_json::from_str(json).ok();
        } else if let Some(case) = rest.strip_prefix("case ") {
            p.case = Some(case.to_owned());
        } else if let Some(action) = rest.strip_prefix("action+ ") {
            p.last_action = Some(format!("{action} (in progress)"));
        } else if let Some(done) = rest.strip_prefix("action- ") {
            let (action, status) = done.split_once(' ').unwrap_or((done, "?"));
            p.last_action = Some(format!("{action} (returned {status})"));
        }
    }
}

fn read_tail(stderr: impl Read) -> String {
    let mut tail: VecDeque<u8> = VecDeque::with_capacity(STDERR_TAIL);
    let mut reader = BufReader::new(stderr);
    let mut buf = [0u8; 4096];
    while let Ok(n) = reader.read(&mut buf) {
        if n == 0 {
            break;
        }
        for b in &buf[..n] {
            if tail.len() == STDERR_TAIL {
                tail.pop_front();
            }
            tail.push_back(*b);
        }
    }
    let bytes: Vec<u8> = tail.into_iter().collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `SIGSEGV` for 11 and so on (Linux numbering).
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        31 => "SIGSYS",
        _ => return format!("signal {signal}"),
    };
    format!("{name} ({signal})")
}

/// Writes one protocol line and flushes it, so the parent has it even if the process dies next.
pub(crate) fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "@@{line}");
    let _ = out.flush();
}

/// The child side: run the job's scenario and print its outcome.
pub fn child(
    args: &ScenarioArgs,
    _out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<(), CliError> {
    let job: Job = serde_json::from_str(&args.job)
        .map_err(|e| CliError::Usage(format!("bad scenario job: {e}")))?;
    let scenario = Scenario::from_name(&job.scenario)
        .ok_or_else(|| CliError::Usage(format!("unknown scenario {}", job.scenario)))?;
    let statuses = Arc::new(Mutex::new(StatusLog::default()));
    let log = Arc::clone(&statuses);
    set_action_observer(Some(Arc::new(move |e: &ActionEvent<'_>| match e.status {
        None => say(&format!("action+ {}", e.action)),
        Some(status) => {
            say(&format!("action- {} {status}", e.action));
            super::lock(&log).record(e.action, status);
        }
    })));
    let mut rig = Rig::new(job, statuses);
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        scenarios::run(scenario, &mut rig);
    }));
    if let Err(panic) = ran {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        rig.out.push(
            None,
            Verdict::Fail,
            format!("validator error (a bug in ofx-host): {what}"),
        );
    }
    rig.finish();
    let result = serde_json::to_string(&rig.out).map_err(|e| CliError::Failed(e.to_string()))?;
    say(&format!("result {result}"));
    // Plugins may leave threads running (a render stuck after an abort); do not wait for them or for
    // anything else at exit.
    std::process::exit(0)
}

/// A status a plugin returned that no action may return, or that this action may not.
pub fn illegal_status(action: &str, status: OfxStatus) -> Option<String> {
    if status.name().is_none() {
        return Some(format!(
            "{action} returned {status}, which is no OpenFX status"
        ));
    }
    let render = action == "OfxImageEffectActionRender";
    match status {
        OfxStatus::REPLY_YES | OfxStatus::REPLY_NO => Some(format!(
            "{action} returned {status}, which only questions to the user may answer"
        )),
        OfxStatus::REPLY_DEFAULT if render => Some(format!(
            "{action} returned {status}: a render must be done or fail, the host cannot render for the plugin"
        )),
        OfxStatus::GL_OUT_OF_MEMORY | OfxStatus::GL_RENDER_FAILED => Some(format!(
            "{action} returned {status} although this host never asked for OpenGL rendering"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_judged_per_action() {
        let render = "OfxImageEffectActionRender";
        assert!(illegal_status(render, OfxStatus::OK).is_none());
        assert!(illegal_status(render, OfxStatus::FAILED).is_none());
        assert!(illegal_status(render, OfxStatus::REPLY_DEFAULT).is_some());
        assert!(
            illegal_status("OfxImageEffectActionIsIdentity", OfxStatus::REPLY_DEFAULT).is_none()
        );
        assert!(illegal_status("OfxActionLoad", OfxStatus(42)).is_some());
        assert!(illegal_status("OfxActionLoad", OfxStatus::REPLY_YES).is_some());
        assert_eq!(signal_name(11), "SIGSEGV (11)");
        assert_eq!(signal_name(99), "signal 99");
    }

    #[test]
    fn the_protocol_is_read_from_stdout() {
        let text = b"hello from a plugin\n@@case a:1\n@@action+ OfxActionLoad\n@@action- OfxActionLoad kOfxStatOK\n@@action+ OfxImageEffectActionRender\n";
        let p = Mutex::new(Progress::default());
        read_protocol(&text[..], &p);
        let p = p.into_inner().unwrap();
        assert_eq!(p.case.as_deref(), Some("a:1"));
        assert_eq!(
            p.last_action.as_deref(),
            Some("OfxImageEffectActionRender (in progress)")
        );
        assert!(p.result.is_none());
    }
}
