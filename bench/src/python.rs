//! The Python pipeline (`scripts/bench_pipeline.py`) as a child process answering one `run` at a time,
//! so its runs interleave with the Rust ones.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{Context, Result, bail};

pub struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The onnxruntime version the Python side imported.
    pub version: String,
}

pub struct Setup<'a> {
    pub python: &'a Path,
    pub script: &'a Path,
    pub model: &'a Path,
    pub contract: &'a Path,
    pub threads: usize,
}

impl Server {
    pub fn start(setup: &Setup<'_>, width: usize, height: usize) -> Result<Server> {
        let mut child = Command::new(setup.python)
            .arg(setup.script)
            .arg("--model")
            .arg(setup.model)
            .arg("--contract")
            .arg(setup.contract)
            .args([
                "--width",
                &width.to_string(),
                "--height",
                &height.to_string(),
            ])
            .args(["--threads", &setup.threads.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", setup.python.display()))?;
        let stdin = child.stdin.take().context("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("no stdout")?);
        let mut server = Server {
            child,
            stdin,
            stdout,
            version: String::new(),
        };
        let ready = server.line()?;
        let mut words = ready.split_whitespace();
        if words.next() != Some("ready") {
            bail!("the Python pipeline said {ready:?} instead of ready");
        }
        server.version = words.nth(1).unwrap_or("?").to_owned();
        Ok(server)
    }

    fn line(&mut self) -> Result<String> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            let status = self.child.wait()?;
            bail!("the Python pipeline ended ({status}); its stderr is above");
        }
        Ok(line.trim().to_owned())
    }

    /// Milliseconds of one whole pipeline: image array in, image array out.
    pub fn run(&mut self) -> Result<f64> {
        writeln!(self.stdin, "run")?;
        self.stdin.flush()?;
        let answer = self.line()?;
        answer
            .strip_prefix("ms ")
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("the Python pipeline answered {answer:?}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        let _ = self.child.wait();
    }
}
