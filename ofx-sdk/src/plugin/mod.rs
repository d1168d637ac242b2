//! The plugin side: what an effect implements ([`Effect`]), what it is handed ([`EffectDescriptor`],
//! [`EffectInstance`], typed action arguments), and the machinery that turns C calls into those
//! ([`entry`], [`instance`], [`export`]).

pub mod actions;
pub mod effect;
pub mod entry;
pub mod export;
pub mod host;
pub mod instance;
pub mod location;

pub use actions::{
    BeginSequenceRenderArgs, ChangeReason, ClipPreferences, FramesNeeded, FramesNeededArgs,
    Identity, InstanceChangedArgs, IsIdentityArgs, RegionOfDefinitionArgs, RegionsOfInterest,
    RegionsOfInterestArgs, RenderArgs,
};
pub use effect::{ClipDef, Effect, EffectDescriptor, EffectInstance, SequentialRender};
pub use export::PluginEntry;
pub use location::library_path;

pub use crate::suites::image_effect::{Clip, Image, ImageLayout, PixelRow, PixelRowMut};
pub use crate::suites::message::MessageLevel;
pub use crate::suites::param::{Param, ParamDef, ParamKind, StringMode};
pub use crate::suites::progress::Progress;
pub use crate::suites::property::PropertySet;
