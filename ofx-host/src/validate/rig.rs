//! The child side's test rig: the loaded plugin, the user's parameters, source pictures, render set-up
//! under the chosen personality, and the checks a scenario records.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ofx_sdk::host::{HostError, Image, Instance, Library, Plugin, RenderOptions, RenderReport};
use ofx_sdk::{Context, Status as OfxStatus};

use super::personality::{Light, Personality};
use super::report::{Outcome, Verdict};
use super::sandbox::{Job, illegal_status, say};

/// The source clip of the filter context (and the general context's usual input).
pub const SOURCE: &str = "Source";

/// Every status each action returned during the scenario, with a count.
#[derive(Debug, Default)]
pub struct StatusLog {
    seen: BTreeMap<(String, i32), usize>,
}

impl StatusLog {
    pub fn record(&mut self, action: &str, status: OfxStatus) {
        *self
            .seen
            .entry((action.to_owned(), status.raw()))
            .or_default() += 1;
    }
}

/// The state of one scenario run in a child process.
pub struct Rig {
    pub job: Job,
    pub personality: Personality,
    /// Checks recorded so far; printed as the result.
    pub out: Outcome,
    statuses: Arc<Mutex<StatusLog>>,
    library: Option<Result<Library, String>>,
    /// Renders checked, and how many of them the plugin answered with an identity.
    pub rendered: usize,
    pub identities: usize,
}

impl Rig {
    pub fn new(job: Job, statuses: Arc<Mutex<StatusLog>>) -> Rig {
        Rig {
            personality: job.personality,
            job,
            out: Outcome::default(),
            statuses,
            library: None,
            rendered: 0,
            identities: 0,
        }
    }

    pub fn level(&self) -> u8 {
        self.job.level
    }

    /// `full` at level 10, proportionally fewer below, at least `min`.
    pub fn count(&self, full: usize, min: usize) -> usize {
        (full * usize::from(self.level()) / 10).max(min)
    }

    pub fn plugin_id(&self) -> &str {
        self.job.plugin.as_deref().unwrap_or("")
    }

    // ---- recording ----

    /// Whether `case` should run (everything, or only the case `--reproduce` names).
    pub fn wants(&self, case: &str) -> bool {
        self.job.case.as_deref().is_none_or(|c| c == case)
    }

    /// Announces a case to the parent (named in the report if the process dies during it).
    pub fn begin(&self, case: &str) {
        say(&format!("case {case}"));
    }

    pub fn pass(&mut self, case: Option<&str>, message: impl Into<String>) {
        self.out.push(case, Verdict::Pass, message);
    }

    pub fn warn(&mut self, case: Option<&str>, message: impl Into<String>) {
        self.out.push(case, Verdict::Warn, message);
    }

    pub fn fail(&mut self, case: Option<&str>, message: impl Into<String>) {
        self.out.push(case, Verdict::Fail, message);
    }

    pub fn skip(&mut self, case: Option<&str>, message: impl Into<String>) {
        self.out.push(case, Verdict::Skip, message);
    }

    /// Closing checks: statuses no action may return fail; a scenario whose renders were all
    /// identities exercised nothing.
    pub fn finish(&mut self) {
        if self.rendered > 0 && self.identities == self.rendered {
            self.warn(
                None,
                format!(
                    "all {} renders were identities (IsIdentity named a clip): the Render action was never exercised; pass --param values that make the plugin render",
                    self.rendered
                ),
            );
        }
        self.finish_statuses();
    }

    /// Turns the statuses the plugin returned into checks: a status no action may return fails.
    fn finish_statuses(&mut self) {
        let seen = std::mem::take(&mut super::lock(&self.statuses).seen);
        for ((action, raw), count) in seen {
            if let Some(problem) = illegal_status(&action, OfxStatus(raw)) {
                self.fail(None, format!("{problem} ({count} time(s))"));
            }
        }
    }

    // ---- the plugin ----

    /// The bundle, loaded once per process as the personality loads plugins.
    pub fn library(&mut self) -> Result<Library, String> {
        if self.library.is_none() {
            let loaded = Library::load_with(&self.job.bundle, self.personality.load_options())
                .map_err(|e| e.to_string());
            self.library = Some(loaded);
        }
        self.library
            .clone()
            .unwrap_or_else(|| Err("not loaded".into()))
    }

    /// The plugin under test, loaded and described; a failure is recorded and `None` returned.
    pub fn plugin(&mut self) -> Option<Plugin> {
        let id = self.plugin_id().to_owned();
        match self
            .library()
            .and_then(|l| l.plugin(&id).map_err(|e| e.to_string()))
        {
            Ok(p) => Some(p),
            Err(e) => {
                self.fail(None, format!("cannot load the plugin: {e}"));
                None
            }
        }
    }

    /// The context renders use: Filter, else General; `None` (recorded as a skip) when the plugin
    /// supports neither.
    pub fn context(&mut self, plugin: &Plugin) -> Option<Context> {
        let c = plugin.default_context();
        if c.is_none() {
            self.skip(
                None,
                "the plugin supports neither the Filter nor the General context, the only ones this host renders",
            );
        }
        c
    }

    /// A new instance with the user's parameters and a source picture of `w` x `h` (seeded by `salt`).
    pub fn instance(
        &self,
        plugin: &Plugin,
        context: Context,
        w: usize,
        h: usize,
        salt: u64,
    ) -> Result<Instance, HostError> {
        let instance = plugin.instance(context)?;
        instance.set_notify_changes(self.personality.sends_instance_changed());
        self.prepare(&instance, w, h, salt)?;
        Ok(instance)
    }

    /// Sets the user's parameters and the source pictures of an instance.
    pub fn prepare(
        &self,
        instance: &Instance,
        w: usize,
        h: usize,
        salt: u64,
    ) -> Result<(), HostError> {
        self.apply_params(instance)?;
        self.connect_sources(instance, w, h, salt)
    }

    /// Sets the user's parameters; names this plugin does not have are skipped (one run may validate
    /// several plugins; `describe-params` warns about them).
    pub fn apply_params(&self, instance: &Instance) -> Result<(), HostError> {
        for (name, value) in &self.job.params {
            match instance.set_param_text(name, value) {
                Err(HostError::UnknownParam(_)) => {}
                other => {
                    other?;
                }
            }
        }
        Ok(())
    }

    /// Connects every input clip (mandatory and optional) to a picture.
    pub fn connect_sources(
        &self,
        instance: &Instance,
        w: usize,
        h: usize,
        salt: u64,
    ) -> Result<(), HostError> {
        for (i, clip) in input_clips(instance).iter().enumerate() {
            let light = self.personality.light();
            instance.set_source(clip, picture(w, h, salt.wrapping_add(i as u64), light))?;
        }
        Ok(())
    }

    /// The user parameters' names: never fuzzed.
    pub fn user_param(&self, name: &str) -> bool {
        self.job.params.iter().any(|(n, _)| n == name)
    }

    /// The render set-up of the personality.
    pub fn options(&self) -> RenderOptions {
        self.personality.render_options()
    }

    /// A random generator for one case: the same seed and case always give the same values.
    pub fn rng(&self, case: &str) -> fastrand::Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.job.scenario.bytes().chain([b':']).chain(case.bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        fastrand::Rng::with_seed(self.job.seed ^ h)
    }

    /// Renders, recording a failure (with the plugin's message) under `case`; `None` if it failed.
    pub fn render(
        &mut self,
        case: &str,
        instance: &Instance,
        time: f64,
        options: &RenderOptions,
    ) -> Option<RenderReport> {
        match instance.render_with_report(time, options) {
            Ok(r) => Some(r),
            Err(e) => {
                self.fail(Some(case), e.to_string());
                None
            }
        }
    }
}

/// The names of an instance's input clips (every clip but Output), in definition order.
pub fn input_clips(instance: &Instance) -> Vec<String> {
    instance
        .description()
        .clips
        .iter()
        .filter(|c| c.name != "Output")
        .map(|c| c.name.clone())
        .collect()
}

/// A deterministic test picture: smooth gradients, a hard edge and seeded noise, so that rows, columns
/// and channels all differ. Display light stays in 0..1; linear light reaches 6 in the highlights and
/// dips slightly below 0 in every ninth column. Alpha varies in 0.25..1.
pub fn picture(w: usize, h: usize, seed: u64, light: Light) -> Image {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut img = Image::new(w, h);
    let (fw, fh) = (w.max(2) as f32 - 1.0, h.max(2) as f32 - 1.0);
    for y in 0..h {
        for x in 0..w {
            let (u, v) = (x as f32 / fw, y as f32 / fh);
            let edge = if (x + y) % 7 < 3 { 0.15 } else { 0.0 };
            let noise = rng.f32() * 0.1;
            let mut rgb = [
                (u * 0.8 + edge + noise).min(1.0),
                (v * 0.7 + noise).min(1.0),
                ((1.0 - u) * 0.5 + v * 0.3 + edge).min(1.0),
            ];
            if light == Light::Linear {
                // A highlight band and a slightly negative shadow, as scene-linear images have.
                let boost = if y % 5 == 0 { 6.0 } else { 1.0 };
                for c in &mut rgb {
                    *c *= boost;
                }
                if x % 9 == 4 {
                    rgb[2] = -0.03;
                }
            }
            let alpha = 0.25 + 0.75 * ((x * 3 + y * 5) % 11) as f32 / 10.0;
            // No value a half float would hold as a denormal: the output checks flag those.
            let clean = |v: f32| if v.abs() < 1e-4 { 0.0 } else { v };
            img.set_pixel(x, y, [clean(rgb[0]), clean(rgb[1]), clean(rgb[2]), alpha]);
        }
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_deterministic_and_in_range() {
        let a = picture(9, 5, 3, Light::Display);
        assert_eq!(a, picture(9, 5, 3, Light::Display));
        assert_ne!(a, picture(9, 5, 4, Light::Display));
        assert!(a.data().iter().all(|v| (0.0..=1.0).contains(v)));
        let l = picture(9, 5, 3, Light::Linear);
        assert!(l.data().iter().any(|v| *v > 1.0));
        assert!(l.data().iter().any(|v| *v < 0.0));
        let one = picture(1, 1, 0, Light::Display);
        assert_eq!((one.width(), one.height()), (1, 1));
    }
}
