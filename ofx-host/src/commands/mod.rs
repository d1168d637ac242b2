//! The subcommands. Each writes its results to `out` (stdout) and messages, warnings and timings to
//! `err` (stderr), so the binary stays a thin wrapper and tests can capture both.

use std::io::Write;
use std::path::Path;

use ofx_sdk::Context;
use ofx_sdk::host::{HostError, Library, Plugin, find_plugin};

use crate::cli::ContextArg;
use crate::error::CliError;
use crate::report;

pub mod describe;
pub mod list;
pub mod render;

/// The library holding `id`: the named bundle, or the first one found in the plugin path.
fn open(bundle: Option<&Path>, id: Option<&str>) -> Result<Library, CliError> {
    match (bundle, id) {
        (Some(b), _) => Ok(Library::load(b)?),
        (None, Some(id)) => Ok(find_plugin(id, None)?),
        (None, None) => Err(CliError::Usage(
            "name a bundle or a plugin (--plugin ID)".into(),
        )),
    }
}

/// Loads a plugin, printing what it said while loading.
fn load(library: &Library, id: &str, err: &mut dyn Write) -> Result<Plugin, CliError> {
    match library.plugin(id) {
        Ok(plugin) => {
            let messages = plugin.take_messages();
            report::messages(err, &messages).map_err(io)?;
            for w in &plugin.description().warnings {
                report::warning(err, &format!("{id}: {w}")).map_err(io)?;
            }
            Ok(plugin)
        }
        Err(e) => {
            report::messages(err, e.messages()).map_err(io)?;
            Err(e.into())
        }
    }
}

/// The context asked for, or the plugin's default one.
fn context(plugin: &Plugin, asked: Option<ContextArg>) -> Result<Context, CliError> {
    match asked {
        Some(c) => Ok(c.into()),
        None => plugin.default_context().ok_or_else(|| {
            CliError::Host(HostError::UnsupportedContext {
                plugin: plugin.info().id.clone(),
                context: "filter or general".into(),
            })
        }),
    }
}

/// `--param NAME=VALUE` arguments, split and checked (the values are parsed against each parameter's
/// type later, once the plugin is loaded).
pub fn parse_params(params: &[String]) -> Result<Vec<(String, String)>, CliError> {
    params
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(n, v)| (n.trim().to_owned(), v.to_owned()))
                .filter(|(n, _)| !n.is_empty())
                .ok_or_else(|| CliError::Usage(format!("--param {p:?}: expected NAME=VALUE")))
        })
        .collect()
}

/// Writing to stdout/stderr failed (a closed pipe): nothing more can be reported there.
fn io(e: std::io::Error) -> CliError {
    CliError::Failed(format!("cannot write output: {e}"))
}

/// Prints an error's plugin messages before it is returned.
fn with_messages(err: &mut dyn Write, e: HostError) -> CliError {
    let _ = report::messages(err, e.messages());
    CliError::Host(e)
}
