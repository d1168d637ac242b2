//! Safe Rust over the OpenFX C API.
//!
//! - [`raw`]: the ABI from `openfx-sys` (bindgen over the official headers).
//! - [`status`], [`error`], [`types`]: codes, errors and value types shared by both sides.
//! - [`suites`]: one module per OpenFX suite header, as the plugin calls them.
//! - [`plugin`]: the safe `Effect` trait, typed action arguments, the one `main_entry` with its panic
//!   barrier, per-instance data and the `ofx_export!` macro.
//! - [`host`] (feature `host`): what a host owns and implements to load a bundle and drive its plugins.
//!
//! All FFI `unsafe` of the project lives in this crate, in `suites/`, `plugin/` and `host/`.

pub mod colour;
pub mod error;
pub mod plugin;
pub mod raw;
pub mod status;
pub mod suites;
pub mod types;

#[cfg(feature = "host")]
pub mod host;

pub use error::{ActionError, Error, Result};
pub use status::Status;
pub use types::{
    Components, Context, Field, PixelDepth, Premultiplication, RectD, RectI, RenderThreadSafety,
};
