//! The scenarios, as an explicit list: a kebab-case name (what the command line, the summary and the
//! JSON report use), the lowest level that runs it, and a description.

macro_rules! scenarios {
    ($($variant:ident => $name:literal, $level:literal, $description:literal;)+) => {
        /// One validation scenario. Each runs in its own child process.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Scenario {
            $(#[doc = $description] $variant),+
        }

        impl Scenario {
            /// Every scenario, in the order they run and are reported.
            pub const ALL: &'static [Scenario] = &[$(Scenario::$variant),+];

            /// The kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $(Scenario::$variant => $name),+ }
            }

            /// The lowest `--level` that runs it.
            pub fn level(self) -> u8 {
                match self { $(Scenario::$variant => $level),+ }
            }

            /// What it does, in one sentence.
            pub fn description(self) -> &'static str {
                match self { $(Scenario::$variant => $description),+ }
            }
        }
    };
}

scenarios! {
    LoadBinary => "load-binary", 1,
        "dlopen with RTLD_NOW (unresolved symbols fail here), both entry points, the plugin count and every OfxPlugin entry, time to load";
    LoadCycles => "load-cycles", 3,
        "Load, Describe and Unload over and over (10 times the level): every answer the same, every status OK";
    EntryPointsStable => "entry-points-stable", 2,
        "after Unload, OfxGetPlugin answers the same and the OfxPlugin strings a host keeps are still valid";
    DescribePlugin => "describe-plugin", 1,
        "Describe: label, supported contexts and pixel depths, thread safety, flags, and suite calls the plugin got wrong";
    DescribeClips => "describe-clips", 1,
        "DescribeInContext in each context this host runs: Output and Source clips, supported components, optional and mask clips";
    DescribeParams => "describe-params", 1,
        "parameters: unique names, defaults inside their ranges, sane display ranges, choice options, groups, labels";
    ActionLifecycle => "action-lifecycle", 1,
        "the legal action sequence (create, instance changed, begin sequence, renders, end sequence, destroy), with every returned status checked";
    RenderFormats => "render-formats", 2,
        "every supported pixel depth and component layout, rows stored bottom-up and top-down (negative row bytes), and the other context";
    RenderGeometry => "render-geometry", 3,
        "1x1 and odd frames, render windows of 1x1, odd sizes and offsets (with tiles), render scales 1, 0.5 and 0.25, fields, image bounds larger than the window, sources cropped to the window";
    OutputCoverage => "output-coverage", 2,
        "a canary fill of the output shows pixels left untouched inside the render window and pixels written outside it";
    OutputValues => "output-values", 2,
        "no NaN, infinity or denormal in the output, for ordinary, black, white, over-range and negative sources";
    OutputDeterminism => "output-determinism", 2,
        "the same frame rendered twice, and on a fresh instance, gives the same pixels";
    ParamChoices => "param-choices", 3,
        "every choice option and both boolean values render (a value refused on its own warns)";
    ParamFuzz => "param-fuzz", 4,
        "each numeric parameter alone at both ends of its range, then seeded random values within the ranges for a random third of the parameters (4 cases per level), each rendered and checked";
    ParamOutOfRange => "param-out-of-range", 5,
        "parameter values beyond the declared ranges, as scripts and keyframes produce: the plugin must survive";
    ParamAnimation => "param-animation", 5,
        "keyframed parameters: renders between, on and beyond the keys";
    RenderOutsideSequence => "render-outside-sequence", 4,
        "Render without BeginSequenceRender and EndSequenceRender around it (outside the spec; hosts do it)";
    ChangeDuringRender => "change-during-render", 5,
        "InstanceChanged from another thread while renders of the instance run, as a host's interface thread does";
    DestroyDuringRender => "destroy-during-render", 5,
        "one instance destroyed while another instance renders";
    RenderWithoutInstanceData => "render-without-instance-data", 4,
        "renders of an instance whose CreateInstance never ran, as after a failed creation that MLT ignores: an error, never a crash";
    ConcurrentInstances => "concurrent-instances", 4,
        "several instances rendering at once from several threads, as the declared thread safety allows; pixels equal serial renders";
    ConcurrentFrames => "concurrent-frames", 5,
        "a fully thread-safe plugin: one instance rendering several frames at once; pixels equal serial renders";
    Abort => "abort", 3,
        "the host's abort flag raised before the render, at the first progress report and mid-render: the render returns promptly";
    ResourceMemory => "resource-memory", 6,
        "resident memory over many renders and instance churn (100 renders per level): growth per render reported";
    ResourceHandles => "resource-handles", 6,
        "open file descriptors and threads before loading and after unloading";
    HostMlt => "host-mlt", 2,
        "MLT: properties without spec defaults, repeated Load and Describe, a fresh instance per frame, bottom-up rows, 8 and 16-bit, Render after a CreateInstance that never ran";
    HostNatron => "host-natron", 2,
        "Natron: render scales 0.5 and 0.25 as when the viewer is zoomed out, linear images with values above 1";
    HostResolve => "host-resolve", 2,
        "DaVinci Resolve: a connected clip without an image on some frames, display-referred images, explicit parameter ranges";
    HostNuke => "host-nuke", 2,
        "Nuke: premultiplied images, strict clip preferences, tiles";
}

impl Scenario {
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.iter().copied().find(|s| s.name() == name)
    }
}

/// `SCENARIO` or `SCENARIO:CASE`.
pub fn parse_target(text: &str) -> Option<(Scenario, Option<String>)> {
    let (name, case) = match text.split_once(':') {
        Some((n, c)) => (n, Some(c.to_owned()).filter(|c| !c.is_empty())),
        None => (text, None),
    };
    Scenario::from_name(name.trim()).map(|s| (s, case))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_parse_back() {
        let mut names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        for n in &names {
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{n}");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Scenario::ALL.len());
        for s in Scenario::ALL {
            assert_eq!(Scenario::from_name(s.name()), Some(*s));
            assert!((1..=10).contains(&s.level()));
            assert!(!s.description().is_empty());
        }
        assert_eq!(
            parse_target("param-fuzz:7"),
            Some((Scenario::ParamFuzz, Some("7".into())))
        );
        assert_eq!(parse_target("abort"), Some((Scenario::Abort, None)));
        assert_eq!(parse_target("nope"), None);
    }
}
