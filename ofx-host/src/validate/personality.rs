//! Host personalities (`--as`): what real hosts are known to do to plugins (`shared/hosts.md`), as
//! changes to how this host loads plugins, sets up renders and makes source images. Every scenario runs
//! under the chosen personality; the `host-*` scenarios compare each personality with the spec.

use ofx_sdk::host::{LoadOptions, RenderOptions};
use ofx_sdk::{Premultiplication, RenderThreadSafety};

use crate::cli::PersonalityArg;

/// A host personality.
pub type Personality = PersonalityArg;

/// What kind of picture a host hands plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Light {
    /// Values in 0..1.
    Display,
    /// Scene-linear: values above 1 in highlights (and a few slightly below 0).
    Linear,
}

impl PersonalityArg {
    pub fn name(self) -> &'static str {
        match self {
            PersonalityArg::Spec => "spec",
            PersonalityArg::Mlt => "mlt",
            PersonalityArg::Natron => "natron",
            PersonalityArg::Resolve => "resolve",
            PersonalityArg::Nuke => "nuke",
        }
    }

    pub const ALL: [PersonalityArg; 5] = [
        PersonalityArg::Spec,
        PersonalityArg::Mlt,
        PersonalityArg::Natron,
        PersonalityArg::Resolve,
        PersonalityArg::Nuke,
    ];

    /// How the plugin is loaded: MLT does not pre-fill spec defaults.
    pub fn load_options(self) -> LoadOptions {
        LoadOptions {
            spec_defaults: self != PersonalityArg::Mlt,
        }
    }

    /// The host's usual render set-up.
    pub fn render_options(self) -> RenderOptions {
        let mut o = RenderOptions::default();
        match self {
            PersonalityArg::Spec => {}
            // Bottom-left origin with the data pointer on the last scanline and negative row bytes;
            // straight (unpremultiplied) colour.
            PersonalityArg::Mlt => {
                o.negative_row_bytes = true;
                o.source_premultiplication = Premultiplication::UnPreMultiplied;
            }
            // The viewer zoomed out to 50 %.
            PersonalityArg::Natron => o.render_scale = 0.5,
            PersonalityArg::Resolve => {}
            // Nuke's images are premultiplied.
            PersonalityArg::Nuke => {
                o.source_premultiplication = Premultiplication::PreMultiplied;
            }
        }
        o
    }

    /// The light of the pictures it hands out.
    pub fn light(self) -> Light {
        match self {
            PersonalityArg::Natron | PersonalityArg::Nuke => Light::Linear,
            PersonalityArg::Spec | PersonalityArg::Mlt | PersonalityArg::Resolve => Light::Display,
        }
    }

    /// Whether it creates a fresh instance for every frame (MLT, unless the plugin is thread-unsafe).
    pub fn instance_per_frame(self, safety: RenderThreadSafety) -> bool {
        self == PersonalityArg::Mlt && safety != RenderThreadSafety::Unsafe
    }

    /// Whether it tells instances about parameter and clip changes (MLT never sends InstanceChanged).
    pub fn sends_instance_changed(self) -> bool {
        self != PersonalityArg::Mlt
    }

    /// Whether it treats clip preferences the host cannot honour as errors (Nuke).
    pub fn strict_clip_preferences(self) -> bool {
        self == PersonalityArg::Nuke
    }

    /// Whether connected clips lack an image on some frames (Resolve): every third frame.
    pub fn withholds_frame(self, frame: f64) -> bool {
        self == PersonalityArg::Resolve && frame.rem_euclid(3.0) == 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personalities_differ_from_the_spec() {
        let spec = PersonalityArg::Spec.render_options();
        assert_eq!(spec, RenderOptions::default());
        assert!(PersonalityArg::Mlt.render_options().negative_row_bytes);
        assert!(!PersonalityArg::Mlt.load_options().spec_defaults);
        assert!(PersonalityArg::Spec.load_options().spec_defaults);
        assert_eq!(PersonalityArg::Natron.render_options().render_scale, 0.5);
        assert!(PersonalityArg::Mlt.instance_per_frame(RenderThreadSafety::FullySafe));
        assert!(!PersonalityArg::Mlt.instance_per_frame(RenderThreadSafety::Unsafe));
        assert!(PersonalityArg::Resolve.withholds_frame(2.0));
        assert!(!PersonalityArg::Resolve.withholds_frame(1.0));
        assert!(!PersonalityArg::Spec.withholds_frame(2.0));
        let names: Vec<&str> = PersonalityArg::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(names, ["spec", "mlt", "natron", "resolve", "nuke"]);
    }
}
