//! What validation found: the checks a scenario records (in the child), what the parent makes of each
//! scenario's process (crash, hang), the human summary and the JSON report.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::cli::PersonalityArg;

/// The verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Skip,
    Pass,
    Warn,
    Fail,
}

/// One thing a scenario checked. `case` names the part of the scenario it belongs to, so the case can
/// be replayed alone (`--reproduce SCENARIO:CASE`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    pub verdict: Verdict,
    pub message: String,
}

/// A plugin a bundle lists, as `load-binary` found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub id: String,
    pub version: String,
}

/// What a scenario's child process reports on stdout when it finishes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    pub checks: Vec<Check>,
    /// The plugins of the bundle (`load-binary` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<Listed>,
}

impl Outcome {
    /// Records a check; the same check twice (a warning every frame) is kept once.
    pub fn push(&mut self, case: Option<&str>, verdict: Verdict, message: impl Into<String>) {
        let check = Check {
            case: case.map(str::to_owned),
            verdict,
            message: message.into(),
        };
        if !self.checks.contains(&check) {
            self.checks.push(check);
        }
    }

    /// The worst verdict (Pass when nothing was checked but something ran, Skip when all skipped).
    pub fn verdict(&self) -> Verdict {
        let worst = self.checks.iter().map(|c| c.verdict).max();
        match worst {
            None => Verdict::Pass,
            Some(Verdict::Skip) if self.checks.iter().all(|c| c.verdict == Verdict::Skip) => {
                Verdict::Skip
            }
            Some(Verdict::Skip) => Verdict::Pass,
            Some(v) => v,
        }
    }
}

/// How a scenario ended, as the summary and the JSON report name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Skip,
    Pass,
    Warn,
    Fail,
    /// The child process died (signal, abort, unexpected exit) before reporting.
    Crash,
    /// The child process ran past the time limit and was killed.
    Hang,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Skip => "SKIP",
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Crash => "CRASH",
            Status::Hang => "HANG",
        }
    }

    pub fn is_failure(self) -> bool {
        matches!(self, Status::Fail | Status::Crash | Status::Hang)
    }
}

impl From<Verdict> for Status {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Skip => Status::Skip,
            Verdict::Pass => Status::Pass,
            Verdict::Warn => Status::Warn,
            Verdict::Fail => Status::Fail,
        }
    }
}

/// How a child process died.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Crash {
    /// The signal that killed it (`SIGSEGV` ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Killed after running past the time limit.
    pub timed_out: bool,
    /// The last action the host sent, and whether it had returned (`... (returned kOfxStatOK)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_action: Option<String>,
    /// The case in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// The end of the child's standard error (the plugin's own messages and any panic or abort text).
    pub stderr_tail: String,
}

/// One scenario's result for one plugin.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioReport {
    pub name: String,
    pub description: String,
    pub status: Status,
    pub duration_ms: f64,
    pub checks: Vec<Check>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crash: Option<Crash>,
    /// Command lines that replay each failing case (or the whole scenario).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reproduce: Vec<String>,
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Totals {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub crash: usize,
    pub hang: usize,
    pub skip: usize,
}

impl Totals {
    pub fn add(&mut self, s: Status) {
        match s {
            Status::Pass => self.pass += 1,
            Status::Warn => self.warn += 1,
            Status::Fail => self.fail += 1,
            Status::Crash => self.crash += 1,
            Status::Hang => self.hang += 1,
            Status::Skip => self.skip += 1,
        }
    }

    pub fn failures(&self) -> usize {
        self.fail + self.crash + self.hang
    }
}

/// One plugin's validation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PluginReport {
    pub bundle: PathBuf,
    /// Empty when the bundle could not be loaded at all (then `scenarios` holds `load-binary`).
    pub plugin: String,
    pub version: Option<String>,
    pub totals: Totals,
    pub scenarios: Vec<ScenarioReport>,
}

/// The whole run, as `--json` writes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub validator: String,
    pub level: u8,
    pub seed: u64,
    pub personality: PersonalityArg,
    pub duration_ms: f64,
    pub totals: Totals,
    pub plugins: Vec<PluginReport>,
}

/// Prints one scenario as it finishes: `  PASS  name  (12 ms)` and, unless it passed, its reasons.
pub fn scenario_line(out: &mut dyn Write, s: &ScenarioReport) -> std::io::Result<()> {
    writeln!(
        out,
        "  {:5}  {:30} {:>8.0} ms",
        s.status.label(),
        s.name,
        s.duration_ms
    )?;
    let shown = |v: Verdict| match s.status {
        Status::Pass | Status::Skip => v == Verdict::Skip && s.status == Status::Skip,
        _ => v >= Verdict::Warn,
    };
    for (printed, c) in s.checks.iter().filter(|c| shown(c.verdict)).enumerate() {
        if printed == 12 {
            writeln!(out, "         ... (see the JSON report for the rest)")?;
            break;
        }
        let case = c
            .case
            .as_deref()
            .map(|c| format!("[{c}] "))
            .unwrap_or_default();
        writeln!(
            out,
            "         {}: {case}{}",
            Status::from(c.verdict).label().to_lowercase(),
            c.message
        )?;
    }
    if let Some(crash) = &s.crash {
        let how = match (&crash.signal, crash.exit_code, crash.timed_out) {
            (_, _, true) => "killed after the time limit".to_owned(),
            (Some(sig), _, _) => format!("killed by {sig}"),
            (None, Some(code), _) => format!("exited with code {code} without a result"),
            (None, None, false) => "ended without a result".to_owned(),
        };
        writeln!(out, "         {how}")?;
        if let Some(a) = &crash.last_action {
            writeln!(out, "         last action: {a}")?;
        }
        if let Some(c) = &crash.case {
            writeln!(out, "         case: {c}")?;
        }
        for line in crash
            .stderr_tail
            .lines()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .iter()
            .rev()
        {
            writeln!(out, "         | {line}")?;
        }
    }
    if s.status.is_failure() {
        for r in &s.reproduce {
            writeln!(out, "         reproduce: {r}")?;
        }
    }
    Ok(())
}

/// The closing line of one plugin.
pub fn plugin_summary(out: &mut dyn Write, p: &PluginReport) -> std::io::Result<()> {
    let t = &p.totals;
    writeln!(
        out,
        "{}: {} passed, {} warnings, {} failed, {} crashed, {} hung, {} skipped",
        if p.plugin.is_empty() {
            p.bundle.display().to_string()
        } else {
            p.plugin.clone()
        },
        t.pass,
        t.warn,
        t.fail,
        t.crash,
        t.hang,
        t.skip
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_verdict_is_the_worst_check() {
        let mut o = Outcome::default();
        assert_eq!(o.verdict(), Verdict::Pass);
        o.push(None, Verdict::Skip, "n/a");
        assert_eq!(o.verdict(), Verdict::Skip);
        o.push(Some("a"), Verdict::Pass, "ok");
        assert_eq!(o.verdict(), Verdict::Pass);
        o.push(Some("b"), Verdict::Warn, "hm");
        o.push(Some("c"), Verdict::Fail, "no");
        assert_eq!(o.verdict(), Verdict::Fail);
        let json = serde_json::to_string(&o).unwrap_or_default();
        assert!(json.contains("\"verdict\":\"fail\""), "{json}");
    }
}
