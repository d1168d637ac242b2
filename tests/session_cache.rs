//! The ONNX session is created once per model per process, not per instance: hosts such as MLT create
//! and destroy an instance for every frame (`ofx-host --instance-per-frame` does the same), and loading
//! the model each time would dominate the render time. The plugin logs each load at `info` level.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{photo, render_with_env, scratch, test_model};

#[test]
fn three_instances_one_per_frame_share_one_session() {
    let dir = scratch();
    let out = dir.path().join("frame.#.png");
    let run = render_with_env(
        &test_model("conv3x3.onnx"),
        &photo("chelsea.png"),
        &out,
        &["--frames", "1-3", "--instance-per-frame"],
        &[("ONNXFX_LOG", "info")],
    );
    assert!(run.success, "{}", run.stderr);
    for frame in 1..=3 {
        assert!(dir.path().join(format!("frame.{frame}.png")).is_file());
    }
    let renders = run
        .stderr
        .lines()
        .filter(|l| l.contains("render action"))
        .count();
    let loads = run
        .stderr
        .lines()
        .filter(|l| l.contains("loaded model"))
        .count();
    assert_eq!(renders, 3, "{}", run.stderr);
    assert_eq!(
        loads, 1,
        "the model must be loaded once for three instances:\n{}",
        run.stderr
    );
}
