//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::frames::FrameRange;

/// A headless OpenFX host: list, describe and render OFX image effects without a GUI.
///
/// Plugins are found in OFX_PLUGIN_PATH, then /usr/OFX/Plugins, unless a bundle is named.
/// Logging: OFX_HOST_LOG (EnvFilter syntax, e.g. `debug` or `ofx_sdk=trace`; default `warn`), on stderr.
const AFTER_HELP: &str = "\
Pixel values are never colour-converted: 8-bit files map to 0..1 by /255, 16-bit by /65535, OpenEXR
values pass through as they are; PNG output clamps to 0..1 and rounds.
Plugin messages are printed on stderr as `[error] text`; each rendered frame prints
`frame N: render action X.Y ms` (the Render action alone) on stderr.
Exit codes: 0 success, 1 failure (loading, a plugin action, file I/O), 2 usage error.";

#[derive(Debug, Parser)]
#[command(name = "ofx-host", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the plugins of bundles or plugin directories (default: OFX_PLUGIN_PATH, /usr/OFX/Plugins).
    List(ListArgs),
    /// Describe a plugin: contexts, pixel depths, clips, parameters with types, defaults and ranges.
    Describe(DescribeArgs),
    /// Render image files through a plugin.
    Render(RenderArgs),
    /// Validate plugins: conformance, fuzzing, concurrency, resources and host personalities, each
    /// scenario in a child process. Exit code 1 when anything fails at the chosen level.
    Validate(ValidateArgs),
    /// Runs one validation scenario in this process (the child side of `validate`).
    #[command(name = "__scenario", hide = true)]
    Scenario(ScenarioArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Bundles (`X.ofx.bundle`) or `.ofx` binaries to validate.
    #[arg(required_unless_present = "list_scenarios")]
    pub bundles: Vec<PathBuf>,
    /// Validate only this plugin (default: every plugin of the bundles).
    #[arg(long)]
    pub plugin: Option<String>,
    /// Strictness 1..10: higher levels run more scenarios, more cases and more renders.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub level: u8,
    /// Seed of every random choice (default: from the clock; the summary prints it).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run one scenario, or one case of it (`SCENARIO` or `SCENARIO:CASE`, as a failure prints).
    #[arg(long, value_name = "SCENARIO[:CASE]")]
    pub reproduce: Option<String>,
    /// Run only these scenarios (repeatable; default: all up to the level).
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,
    /// Write the report as JSON to this file.
    #[arg(long, value_name = "REPORT")]
    pub json: Option<PathBuf>,
    /// Scenarios run at once, each in its own process (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Host personality: replay what a real host is known to do to plugins.
    #[arg(long = "as", value_enum, default_value_t = PersonalityArg::Spec)]
    pub personality: PersonalityArg,
    /// Set a parameter on every instance, by its declared type (as for `render`): values the plugin
    /// needs to render (a model file, say). These are never fuzzed. Repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Time limit of one scenario in seconds; a scenario running longer is reported as a hang.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub timeout: u64,
    /// Print the scenarios (name, level, description) and exit.
    #[arg(long)]
    pub list_scenarios: bool,
}

#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// The job, as JSON.
    pub job: String,
}

/// `--as`: which host's known behaviour to replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PersonalityArg {
    /// What the OpenFX specification allows, nothing more.
    Spec,
    /// MLT (Shotcut, Kdenlive): no spec defaults, repeated Load, an instance per frame, bottom-up rows.
    Mlt,
    /// Natron: render scale below 1 while zoomed out, linear (over-range) images.
    Natron,
    /// DaVinci Resolve: connected clips without an image on some frames, display-referred images.
    Resolve,
    /// Nuke: premultiplied images, strict clip preferences, tiles.
    Nuke,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Bundles (`X.ofx.bundle`), `.ofx` binaries or directories to scan.
    pub paths: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The bundle or `.ofx` binary (default: search OFX_PLUGIN_PATH for --plugin).
    pub bundle: Option<PathBuf>,
    /// The plugin identifier (default: every plugin of the bundle).
    #[arg(long)]
    pub plugin: Option<String>,
    /// The context to describe clips and parameters in (default: filter if supported, else general).
    #[arg(long, value_enum)]
    pub context: Option<ContextArg>,
    /// Print JSON: an object with --plugin, else an array of objects.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The bundle or `.ofx` binary (default: search OFX_PLUGIN_PATH for --plugin).
    pub bundle: Option<PathBuf>,
    /// The plugin identifier.
    #[arg(long)]
    pub plugin: String,
    /// Set a parameter, by its declared type: numbers, true/false/1/0, a choice's label or index,
    /// comma-separated values for colours and 2D/3D parameters. Repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Input image (PNG 8/16-bit, TIFF, JPEG, OpenEXR) for the Source clip. With --frames, `#`
    /// (zero-padded to the number of #) or `%04d` stand for the frame number.
    #[arg(long, short)]
    pub input: PathBuf,
    /// An image for another input clip (a Mask, a Reference): `NAME=PATH`, with the same frame patterns
    /// as --input. Repeatable. Optional clips not named stay unconnected.
    #[arg(long = "clip", value_name = "NAME=PATH")]
    pub clips: Vec<String>,
    /// Output image: `.png` (8-bit, or 16 with --png-bits 16) or `.exr` (32-bit float). Same frame
    /// patterns as --input.
    #[arg(long, short)]
    pub output: PathBuf,
    /// Frames to render, `A-B` or `A` (default: frame 1).
    #[arg(long)]
    pub frames: Option<FrameRange>,
    /// Pixel depth to offer (used when the plugin supports it, else the best it supports).
    #[arg(long, value_enum)]
    pub depth: Option<DepthArg>,
    /// Components to offer the clips.
    #[arg(long, value_enum, default_value_t = ComponentsArg::Rgba)]
    pub components: ComponentsArg,
    /// Store images top row first in memory, with negative row bytes and the data pointer on the
    /// bottom row (the last scanline), as MLT does.
    #[arg(long)]
    pub negative_row_bytes: bool,
    /// The context to instantiate in (default: filter if supported, else general).
    #[arg(long, value_enum)]
    pub context: Option<ContextArg>,
    /// Render scale (0 < S <= 8): the input is resampled and the output has the scaled size.
    #[arg(long, default_value_t = 1.0)]
    pub render_scale: f64,
    /// Extra pixels around the render window in the output image's bounds.
    #[arg(long, default_value_t = 0, value_name = "PIXELS")]
    pub bounds_padding: u32,
    /// Say, as a colour-managed host (OpenFX 1.5), which colourspace the input's values are in, e.g.
    /// `ofx_linear` for a linear EXR or `srgb_tx` for an sRGB picture.
    #[arg(long, value_name = "NAME")]
    pub colourspace: Option<String>,
    /// Create and destroy an instance for every frame, as MLT does, instead of one for the sequence.
    #[arg(long)]
    pub instance_per_frame: bool,
    /// Fault injection for plugin tests: label every image handed to the plugin with this pixel
    /// depth string (e.g. one it never declared) while the pixels keep their real depth.
    #[arg(long, value_name = "DEPTH")]
    pub inject_image_depth: Option<String>,
    /// Bits per channel of PNG output.
    #[arg(long, default_value_t = 8, value_parser = clap::builder::PossibleValuesParser::new(["8", "16"]).map(|s| s.parse::<u8>().unwrap_or(8)))]
    pub png_bits: u8,
    /// Write per-frame render-action times and load/describe/create times as JSON.
    #[arg(long, value_name = "FILE")]
    pub timings_json: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ContextArg {
    Filter,
    General,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DepthArg {
    Byte,
    Short,
    Half,
    Float,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ComponentsArg {
    Rgba,
    Rgb,
}

impl From<ContextArg> for ofx_sdk::Context {
    fn from(c: ContextArg) -> Self {
        match c {
            ContextArg::Filter => ofx_sdk::Context::Filter,
            ContextArg::General => ofx_sdk::Context::General,
        }
    }
}

impl From<DepthArg> for ofx_sdk::PixelDepth {
    fn from(d: DepthArg) -> Self {
        match d {
            DepthArg::Byte => ofx_sdk::PixelDepth::Byte,
            DepthArg::Short => ofx_sdk::PixelDepth::Short,
            DepthArg::Half => ofx_sdk::PixelDepth::Half,
            DepthArg::Float => ofx_sdk::PixelDepth::Float,
        }
    }
}

impl From<ComponentsArg> for ofx_sdk::Components {
    fn from(c: ComponentsArg) -> Self {
        match c {
            ComponentsArg::Rgba => ofx_sdk::Components::Rgba,
            ComponentsArg::Rgb => ofx_sdk::Components::Rgb,
        }
    }
}
