//! Loading: the binary, its entry points, repeated Load/Unload, and the entry points after Unload.

use std::time::Instant;

use ofx_sdk::host::Library;

use crate::validate::report::Listed;
use crate::validate::rig::Rig;

/// Loading any longer than this at start-up is worth a warning: hosts scan every plugin.
const SLOW_LOAD_MS: f64 = 2000.0;

pub fn load_binary(rig: &mut Rig) {
    let start = Instant::now();
    let loaded = Library::load_with(&rig.job.bundle, rig.personality.load_options());
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let library = match loaded {
        Ok(l) => l,
        Err(e) => {
            rig.fail(None, format!("cannot load the binary: {e}"));
            return;
        }
    };
    let plugins = library.plugins();
    rig.out.plugins = plugins
        .iter()
        .map(|p| Listed {
            id: p.id.clone(),
            version: format!("{}.{}", p.version_major, p.version_minor),
        })
        .collect();
    rig.pass(
        None,
        format!(
            "{} loaded with RTLD_NOW in {ms:.0} ms; OfxGetNumberOfPlugins and OfxGetPlugin present; {} plugin(s)",
            library.binary().display(),
            plugins.len()
        ),
    );
    if ms > SLOW_LOAD_MS {
        rig.warn(
            None,
            format!("loading took {ms:.0} ms: hosts load every plugin when they start"),
        );
    }
    if library.bundle().is_none() {
        rig.warn(
            None,
            "the binary is not inside a .ofx.bundle (Contents/<arch>/): hosts only scan bundles",
        );
    }
    for r in library.rejected() {
        rig.fail(
            None,
            format!("OfxGetPlugin({}) refused: {}", r.index, r.reason),
        );
    }
    if plugins.is_empty() {
        rig.fail(None, "the binary exports no usable plugin");
    }
    if let Some(id) = rig.job.plugin.clone()
        && !plugins.iter().any(|p| p.id == id)
    {
        rig.fail(None, format!("the binary has no plugin {id}"));
    }
}

pub fn load_cycles(rig: &mut Rig) {
    let Ok(library) = rig.library() else {
        rig.fail(None, "cannot load the binary");
        return;
    };
    let id = rig.plugin_id().to_owned();
    let cycles = rig.count(100, 5);
    let mut first = None;
    let start = Instant::now();
    for i in 0..cycles {
        let case = i.to_string();
        if !rig.wants(&case) {
            continue;
        }
        rig.begin(&case);
        let plugin = match library.plugin(&id) {
            Ok(p) => p,
            Err(e) => {
                rig.fail(
                    Some(&case),
                    format!("Load/Describe number {} failed: {e}", i + 1),
                );
                return;
            }
        };
        let mut described = plugin.description().clone();
        if let Some(ctx) = plugin.default_context() {
            match plugin.describe_in_context(ctx) {
                Ok(c) => described.warnings.extend(c.warnings),
                Err(e) => {
                    rig.fail(
                        Some(&case),
                        format!("DescribeInContext number {} failed: {e}", i + 1),
                    );
                    return;
                }
            }
        }
        match &first {
            None => first = Some(described),
            Some(f) if *f != described => {
                rig.fail(
                    Some(&case),
                    format!(
                        "Describe number {} declared something else than the first (label {:?} vs {:?}, contexts {:?} vs {:?}, depths {:?} vs {:?})",
                        i + 1,
                        described.label,
                        f.label,
                        described.contexts,
                        f.contexts,
                        described.pixel_depths,
                        f.pixel_depths
                    ),
                );
                return;
            }
            Some(_) => {}
        }
        // Dropping the last handle sends Unload.
        drop(plugin);
    }
    rig.pass(
        None,
        format!(
            "{cycles} Load/Describe/DescribeInContext/Unload cycles in {:.0} ms, all alike",
            start.elapsed().as_secs_f64() * 1e3
        ),
    );
}

pub fn entry_points_stable(rig: &mut Rig) {
    let Ok(library) = rig.library() else {
        rig.fail(None, "cannot load the binary");
        return;
    };
    let id = rig.plugin_id().to_owned();
    match library.plugin(&id) {
        Ok(p) => drop(p),
        Err(e) => {
            rig.fail(None, format!("cannot load the plugin: {e}"));
            return;
        }
    }
    // Unloaded now: a host still holds the OfxPlugin pointers and may call the entry points.
    let problems = library.recheck_entries();
    for p in &problems {
        rig.fail(None, format!("after Unload: {p}"));
    }
    match library.plugin(&id) {
        Ok(p) => {
            if problems.is_empty() {
                rig.pass(
                    None,
                    "after Unload the entry points answer the same and the plugin loads again",
                );
            }
            drop(p);
        }
        Err(e) => rig.fail(
            None,
            format!("the plugin does not load again after Unload: {e}"),
        ),
    }
}
