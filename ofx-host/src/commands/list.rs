//! `ofx-host list`: the plugins of bundles or plugin directories, with id, version, label and path.

use std::io::Write;
use std::path::PathBuf;

use ofx_sdk::host::{Library, bundle};
use serde::Serialize;

use super::io;
use crate::cli::ListArgs;
use crate::error::CliError;
use crate::report;

/// One line of the listing.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: String,
    pub version: String,
    /// From Describe; empty when the plugin failed to load or describe.
    pub label: String,
    pub bundle: Option<PathBuf>,
    pub binary: PathBuf,
}

/// Lists plugins. Plugins that fail to load are listed without a label and warned about; a path named on
/// the command line that cannot be loaded at all makes the command fail (exit 1) after listing the rest.
pub fn run(args: &ListArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), CliError> {
    let explicit = !args.paths.is_empty();
    let roots = if explicit {
        args.paths.clone()
    } else {
        bundle::search_paths()
    };
    let mut entries = Vec::new();
    let mut failed = Vec::new();
    for root in &roots {
        // A named bundle or binary is loaded directly; anything else is scanned for bundles.
        let candidates = if root.is_file() || bundle::resolve(root).is_ok() {
            vec![root.clone()]
        } else if root.is_dir() {
            bundle::find_bundles(root)
        } else {
            if explicit {
                failed.push(format!("{}: no such file or directory", root.display()));
            }
            Vec::new()
        };
        for path in candidates {
            match Library::load(&path) {
                Ok(lib) => list_library(&lib, &mut entries, err)?,
                Err(e) => {
                    report::warning(err, &e.to_string()).map_err(io)?;
                    if explicit {
                        failed.push(e.to_string());
                    }
                }
            }
        }
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &entries)
            .map_err(|e| CliError::Failed(e.to_string()))?;
        writeln!(out).map_err(io)?;
    } else {
        for e in &entries {
            let path = e.bundle.as_ref().unwrap_or(&e.binary);
            writeln!(
                out,
                "{}\t{}\t{}\t{}",
                e.id,
                e.version,
                e.label,
                path.display()
            )
            .map_err(io)?;
        }
    }
    match failed.as_slice() {
        [] => Ok(()),
        [one] => Err(CliError::Failed(one.clone())),
        many => Err(CliError::Failed(format!(
            "{} paths could not be loaded",
            many.len()
        ))),
    }
}

fn list_library(
    lib: &Library,
    entries: &mut Vec<Entry>,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    for r in lib.rejected() {
        report::warning(
            err,
            &format!(
                "{}: plugin {} rejected: {}",
                lib.binary().display(),
                r.index,
                r.reason
            ),
        )
        .map_err(io)?;
    }
    for info in lib.plugins() {
        let label = match lib.plugin(&info.id) {
            Ok(p) => {
                report::messages(err, &p.take_messages()).map_err(io)?;
                p.description().label.clone()
            }
            Err(e) => {
                report::messages(err, e.messages()).map_err(io)?;
                report::warning(err, &e.to_string()).map_err(io)?;
                String::new()
            }
        };
        entries.push(Entry {
            version: format!("{}.{}", info.version_major, info.version_minor),
            id: info.id,
            label,
            bundle: info.bundle,
            binary: info.binary,
        });
    }
    Ok(())
}
