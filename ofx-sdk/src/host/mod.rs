//! The host side: everything a host needs to load an OpenFX bundle and drive its plugins through the
//! real C ABI, in process.
//!
//! ```no_run
//! use ofx_sdk::host::{Image, Library, RenderOptions};
//! use ofx_sdk::Context;
//!
//! let library = Library::load("gain.ofx.bundle")?;          // dlopen, OfxGetPlugin
//! let plugin = library.plugin("org.example.gain")?;         // setHost, Load, Describe
//! let instance = plugin.instance(Context::Filter)?;         // DescribeInContext, CreateInstance
//! instance.set_param_text("gain", "2.0")?;                  // InstanceChanged (user edit)
//! instance.set_source("Source", Image::filled(64, 64, [0.5, 0.5, 0.5, 1.0]))?;
//! let image = instance.render(1.0, &RenderOptions::default())?; // ... Render ...
//! # Ok::<(), ofx_sdk::host::HostError>(())
//! ```
//!
//! - [`Library`] loads a binary ([`bundle`] finds it), [`Plugin`] is a loaded and described plugin,
//!   [`Instance`] an instance that renders. All three are `Send + Sync`; different instances render in
//!   parallel from different threads.
//! - Every plugin failure is a [`HostError`] carrying the status and the plugin's messages.
//! - Internals: handles are numbers looked up in tables (`handles`), property sets
//!   (`props`), the suites served by `fetchSuite` (`suites/`), and a C shim for the variadic suite
//!   functions (`shim`, `csrc/variadic.c`).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod action;
pub mod bundle;
mod describe;
mod error;
mod handles;
mod host_desc;
mod image;
mod instance;
mod library;
mod memory;
mod message;
pub mod names;
mod objects;
mod param;
mod pixels;
mod plugin;
mod props;
mod render;
mod shim;
mod suites;

pub use action::{ActionEvent, ActionObserver, set_action_observer};
pub use describe::{
    ClipDescription, ContextDescription, EffectDescription, ParamDescription, PluginDescription,
    StringMode,
};
pub use error::HostError;
pub use host_desc::HOST_NAME;
pub use image::Image;
pub use instance::{CreateMode, DestroyReport, FrameSource, Instance, RenderOptions, RenderReport};
pub use library::{Library, LoadOptions, PluginInfo, RejectedPlugin, find_plugin};
pub use message::{Message, MessageLevel, take_orphan_messages};
pub use objects::Progress;
pub use param::{ParamKind, ParamValue};
pub use plugin::{Plugin, PluginTimings};
