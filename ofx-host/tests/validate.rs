//! `ofx-host validate` against plugins that are right and plugins that are broken on purpose
//! (`tests/broken`): each defect is flagged by the scenario meant to catch it, the validator itself
//! never crashes, failures print a command line that replays them, and the JSON report has its shape.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{GAIN, broken_bundle, bundle, scratch};
use serde_json::Value;

/// Runs `ofx-host validate BUNDLE ARGS --json FILE`; returns the exit code, stdout and the report.
fn validate(bundle: &Path, args: &[&str], name: &str) -> (i32, String, Value) {
    let json = scratch(name).join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_ofx-host"))
        .arg("validate")
        .arg(bundle)
        .args(args)
        .arg("--json")
        .arg(&json)
        .env_remove("OFX_HOST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    let report = std::fs::read(&json)
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or_else(|_| panic!("no report (exit {code}):\n{stdout}\n{stderr}"));
    (code, stdout, report)
}

/// The scenario `name` of the report's first plugin.
fn scenario<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["plugins"][0]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no scenario {name} in {report:#}"))
}

/// Every check message of a scenario with this verdict.
fn messages(s: &Value, verdict: &str) -> Vec<String> {
    s["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == verdict)
        .map(|c| c["message"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_correct_plugin_passes_level_10_and_the_report_has_its_shape() {
    let (code, stdout, report) = validate(
        bundle(),
        &[
            "--plugin", GAIN, "--level", "10", "--seed", "7", "--param", "gain=0.5",
        ],
        "gain-level-10",
    );
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("validation passed"), "{stdout}");
    assert_eq!(report["level"], 10);
    assert_eq!(report["seed"], 7);
    assert_eq!(report["personality"], "spec");
    assert_eq!(report["totals"]["fail"], 0);
    let plugin = &report["plugins"][0];
    assert_eq!(plugin["plugin"], GAIN);
    assert_eq!(plugin["version"], "1.2");
    let scenarios = plugin["scenarios"].as_array().unwrap();
    // Every scenario runs at level 10, load-binary first.
    assert_eq!(scenarios.len(), 29);
    assert_eq!(scenarios[0]["name"], "load-binary");
    for s in scenarios {
        assert!(s["description"].as_str().unwrap().len() > 10);
        assert!(s["duration_ms"].as_f64().unwrap() >= 0.0);
        let status = s["status"].as_str().unwrap();
        assert!(["pass", "warn", "skip"].contains(&status), "{s:#}");
    }
    // The gain fixture rendered on several threads at once and agreed with itself.
    let frames = scenario(&report, "concurrent-frames");
    assert_eq!(frames["status"], "pass", "{frames:#}");
}

/// One broken plugin, the scenario that must catch it, and what the report must say.
struct Expect {
    defect: &'static str,
    args: &'static [&'static str],
    scenario: &'static str,
    status: &'static str,
    says: &'static [&'static str],
}

const EXPECTED: &[Expect] = &[
    Expect {
        defect: "panic",
        args: &["--scenario", "action-lifecycle"],
        scenario: "action-lifecycle",
        status: "crash",
        says: &["SIGABRT", "OfxImageEffectActionRender (in progress)"],
    },
    Expect {
        defect: "badstatus",
        args: &["--scenario", "action-lifecycle"],
        scenario: "action-lifecycle",
        status: "fail",
        says: &[
            "kOfxStatReplyYes",
            "kOfxStatReplyNo",
            "kOfxStatReplyDefault",
        ],
    },
    Expect {
        defect: "leak",
        args: &["--scenario", "resource-memory", "--level", "6"],
        scenario: "resource-memory",
        status: "fail",
        says: &["memory leak"],
    },
    Expect {
        defect: "outside",
        args: &["--scenario", "output-coverage"],
        scenario: "output-coverage",
        status: "fail",
        says: &["written outside the render window"],
    },
    Expect {
        defect: "nan",
        args: &["--scenario", "output-values"],
        scenario: "output-values",
        status: "fail",
        says: &["NaN in the output"],
    },
    Expect {
        defect: "racy",
        args: &[
            "--scenario",
            "concurrent-frames",
            "--scenario",
            "concurrent-instances",
        ],
        scenario: "concurrent-frames",
        status: "fail",
        says: &["declares itself fully-safe", "disturb each other"],
    },
    Expect {
        defect: "crashunload",
        args: &["--scenario", "load-cycles"],
        scenario: "load-cycles",
        status: "crash",
        says: &["SIGSEGV", "OfxActionUnload (in progress)"],
    },
    Expect {
        defect: "hangabort",
        args: &["--scenario", "abort", "--level", "3", "--timeout", "12"],
        scenario: "abort",
        status: "fail",
        says: &["did not return within"],
    },
    Expect {
        defect: "untouched",
        args: &["--scenario", "output-coverage"],
        scenario: "output-coverage",
        status: "fail",
        says: &["were never written"],
    },
    Expect {
        defect: "posrows",
        args: &["--scenario", "host-mlt"],
        scenario: "host-mlt",
        status: "fail",
        says: &[
            "breaks under mlt (works under spec)",
            "negative row bytes are not supported",
        ],
    },
    Expect {
        defect: "baddesc",
        args: &[
            "--scenario",
            "describe-params",
            "--scenario",
            "describe-plugin",
        ],
        scenario: "describe-params",
        status: "fail",
        says: &[
            "outside its range",
            "has no options",
            "paramDefine of \"strength\"",
        ],
    },
];

/// All the text of a scenario: check messages and crash details.
fn text(s: &Value) -> String {
    let mut all: Vec<String> = s["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["message"].as_str().unwrap().to_owned())
        .collect();
    if let Some(crash) = s["crash"].as_object() {
        for v in crash.values() {
            all.push(v.as_str().map_or_else(|| v.to_string(), str::to_owned));
        }
    }
    all.join("\n")
}

#[test]
fn each_broken_plugin_is_flagged_by_the_right_scenario() {
    let results: Vec<(&Expect, i32, String, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = EXPECTED
            .iter()
            .map(|e| {
                s.spawn(move || {
                    let id = format!("org.onnxfx.broken.{}", e.defect);
                    let mut args = vec!["--plugin", id.as_str(), "--seed", "3", "--jobs", "1"];
                    args.extend_from_slice(e.args);
                    let (code, stdout, report) =
                        validate(broken_bundle(), &args, &format!("broken-{}", e.defect));
                    (e, code, stdout, report)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (e, code, stdout, report) in results {
        // The validator ran to the end and says the plugin failed.
        assert_eq!(code, 1, "{}: {stdout}", e.defect);
        assert!(
            stdout.contains("validation FAILED"),
            "{}: {stdout}",
            e.defect
        );
        let s = scenario(&report, e.scenario);
        assert_eq!(s["status"], e.status, "{}: {s:#}", e.defect);
        let all = text(s);
        for needle in e.says {
            assert!(
                all.contains(needle),
                "{}: {needle:?} not in {s:#}",
                e.defect
            );
        }
        // Every failure comes with the command line that replays it.
        let repro = s["reproduce"][0].as_str().unwrap();
        assert!(
            repro.contains(&format!("--reproduce {}", e.scenario)),
            "{repro}"
        );
        assert!(repro.contains("--seed 3"), "{repro}");
    }
}

#[test]
fn broken_plugins_pass_where_nothing_is_wrong() {
    // The race shows only when renders overlap: one at a time, the racy plugin is fine.
    let (code, stdout, report) = validate(
        broken_bundle(),
        &[
            "--plugin",
            "org.onnxfx.broken.racy",
            "--scenario",
            "output-determinism",
            "--scenario",
            "render-formats",
        ],
        "racy-alone",
    );
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(scenario(&report, "output-determinism")["status"], "pass");
    // posrows works under the spec; under --as mlt every render fails.
    let (code, _, report) = validate(
        broken_bundle(),
        &[
            "--plugin",
            "org.onnxfx.broken.posrows",
            "--scenario",
            "action-lifecycle",
        ],
        "posrows-spec",
    );
    assert_eq!(code, 0);
    assert_eq!(scenario(&report, "action-lifecycle")["status"], "pass");
    let (code, _, report) = validate(
        broken_bundle(),
        &[
            "--plugin",
            "org.onnxfx.broken.posrows",
            "--scenario",
            "action-lifecycle",
            "--as",
            "mlt",
        ],
        "posrows-mlt",
    );
    assert_eq!(code, 1);
    assert_eq!(report["personality"], "mlt");
    let s = scenario(&report, "action-lifecycle");
    assert!(text(s).contains("negative row bytes"), "{s:#}");
    // The bad description warns about the missing label.
    let (_, _, report) = validate(
        broken_bundle(),
        &[
            "--plugin",
            "org.onnxfx.broken.baddesc",
            "--scenario",
            "describe-plugin",
        ],
        "baddesc-label",
    );
    let s = scenario(&report, "describe-plugin");
    assert_eq!(s["status"], "warn");
    assert!(
        messages(s, "warn").iter().any(|m| m.contains("no label")),
        "{s:#}"
    );
}

#[test]
fn the_reproduce_line_replays_one_case() {
    let (code, _, report) = validate(
        broken_bundle(),
        &[
            "--plugin",
            "org.onnxfx.broken.outside",
            "--scenario",
            "render-geometry",
            "--level",
            "3",
            "--seed",
            "11",
        ],
        "outside-geometry",
    );
    assert_eq!(code, 1);
    let s = scenario(&report, "render-geometry");
    let line = s["reproduce"][0].as_str().unwrap().to_owned();
    assert!(line.starts_with("ofx-host validate "), "{line}");
    let words: Vec<&str> = line.split_whitespace().collect();
    let target = words.last().unwrap().to_string();
    assert!(target.starts_with("render-geometry:"), "{line}");
    // Run it as printed (the paths here have no spaces).
    let json = scratch("outside-replay").join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_ofx-host"))
        .args(&words[1..])
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let replay: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let scenarios = replay["plugins"][0]["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 1, "only the replayed scenario runs");
    let case = target.trim_start_matches("render-geometry:");
    let checks = scenarios[0]["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .filter(|c| c["case"].is_string())
            .all(|c| c["case"] == case),
        "{checks:#?}"
    );
    assert!(checks.iter().any(|c| c["verdict"] == "fail"), "{checks:#?}");
}

#[test]
fn a_plugin_past_the_time_limit_is_killed_and_reported_as_hung() {
    let (code, stdout, report) = validate(
        broken_bundle(),
        &[
            "--plugin",
            "org.onnxfx.broken.hangabort",
            "--scenario",
            "abort",
            "--level",
            "3",
            "--timeout",
            "2",
        ],
        "hang",
    );
    assert_eq!(code, 1, "{stdout}");
    let s = scenario(&report, "abort");
    assert_eq!(s["status"], "hang", "{s:#}");
    assert_eq!(s["crash"]["timed_out"], true);
    assert!(
        s["crash"]["last_action"]
            .as_str()
            .unwrap()
            .contains("OfxImageEffectActionRender"),
        "{s:#}"
    );
    assert!(stdout.contains("HANG"), "{stdout}");
}

#[test]
fn scenarios_are_listed_and_bad_arguments_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_ofx-host"))
        .args(["validate", "--list-scenarios"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let list = String::from_utf8_lossy(&out.stdout);
    assert_eq!(list.lines().count(), 29);
    for name in [
        "load-binary",
        "param-fuzz",
        "concurrent-frames",
        "host-nuke",
    ] {
        assert!(list.contains(name), "{list}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_ofx-host"))
        .args([
            "validate",
            "x.ofx.bundle",
            "--reproduce",
            "no-such-scenario",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_ofx-host"))
        .args(["validate", "x.ofx.bundle", "--level", "11"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // A path that is no bundle: reported as a failing load-binary, not a crash of the validator.
    let (code, _, report) = validate(Path::new("/nonexistent/x.ofx.bundle"), &[], "missing");
    assert_eq!(code, 1);
    assert_eq!(scenario(&report, "load-binary")["status"], "fail");
}
