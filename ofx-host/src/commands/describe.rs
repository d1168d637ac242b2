//! `ofx-host describe`: what a plugin declares, in text or JSON.

use std::io::Write;

use super::{context, io, load, open, with_messages};
use crate::cli::DescribeArgs;
use crate::error::CliError;
use crate::report;

pub fn run(args: &DescribeArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), CliError> {
    let library = open(args.bundle.as_deref(), args.plugin.as_deref())?;
    let ids: Vec<String> = match &args.plugin {
        Some(id) => vec![id.clone()],
        None => library.plugins().into_iter().map(|p| p.id).collect(),
    };
    let mut descriptions = Vec::new();
    for id in &ids {
        let plugin = load(&library, id, err)?;
        // A plugin with neither context is still described, without clips and parameters.
        let ctx = match context(&plugin, args.context) {
            Ok(c) => Some(c),
            Err(e) if args.context.is_none() => {
                report::warning(err, &e.to_string()).map_err(io)?;
                None
            }
            Err(e) => return Err(e),
        };
        let d = plugin.describe(ctx).map_err(|e| with_messages(err, e))?;
        report::messages(err, &plugin.take_messages()).map_err(io)?;
        descriptions.push(d);
    }
    if args.json {
        let written = match (&args.plugin, descriptions.as_slice()) {
            (Some(_), [one]) => serde_json::to_writer_pretty(&mut *out, one),
            _ => serde_json::to_writer_pretty(&mut *out, &descriptions),
        };
        written.map_err(|e| CliError::Failed(e.to_string()))?;
        writeln!(out).map_err(io)?;
    } else {
        for (i, d) in descriptions.iter().enumerate() {
            if i > 0 {
                writeln!(out).map_err(io)?;
            }
            report::describe(out, d).map_err(io)?;
        }
    }
    Ok(())
}
