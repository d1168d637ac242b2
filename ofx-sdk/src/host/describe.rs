//! What a plugin says about itself, read from its descriptors after `Describe` and
//! `DescribeInContext`: plain data, serialisable for `ofx-host describe --json`. Anything odd in the
//! plugin's answers (a string that is not UTF-8, an unknown depth) becomes a warning, never a panic.

use std::ffi::{CStr, CString};
use std::path::PathBuf;

use serde::Serialize;

use crate::ofx_str;
use crate::types::{Components, Context, PixelDepth, RenderThreadSafety};

use super::handles::lock;
use super::names::ser;
use super::objects::EffectNode;
use super::param::{ParamKind, ParamValue, Stored};
use super::props::{PropValue, PropertySet};

/// The plugin as a whole (from `OfxGetPlugin` and `Describe`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectDescription {
    pub id: String,
    pub version_major: u32,
    pub version_minor: u32,
    /// `kOfxPropVersionLabel`, when set.
    pub version_label: Option<String>,
    /// The label, falling back to the identifier when the plugin set none.
    pub label: String,
    pub grouping: String,
    pub description: String,
    #[serde(serialize_with = "ser::contexts")]
    pub contexts: Vec<Context>,
    #[serde(serialize_with = "ser::depths")]
    pub pixel_depths: Vec<PixelDepth>,
    #[serde(serialize_with = "ser::thread_safety")]
    pub render_thread_safety: RenderThreadSafety,
    pub host_frame_threading: bool,
    pub supports_tiles: bool,
    pub supports_multi_resolution: bool,
    pub supports_multiple_clip_depths: bool,
    pub temporal_clip_access: bool,
    pub single_instance: bool,
    pub binary: PathBuf,
    pub bundle: Option<PathBuf>,
    /// Problems with the plugin's answers that did not stop the host.
    pub warnings: Vec<String>,
}

/// One clip of a context.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClipDescription {
    pub name: String,
    pub label: String,
    #[serde(serialize_with = "ser::components")]
    pub components: Vec<Components>,
    pub optional: bool,
    pub is_mask: bool,
    pub temporal_access: bool,
    pub supports_tiles: bool,
}

/// How a string parameter is edited (`kOfxParamPropStringMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StringMode {
    SingleLine,
    MultiLine,
    FilePath,
    DirectoryPath,
    Label,
    RichText,
}

/// One parameter of a context.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamDescription {
    pub name: String,
    pub kind: ParamKind,
    pub label: String,
    pub hint: String,
    /// `None` for types without a value (group, page, push button).
    pub default: Option<ParamValue>,
    /// Range limits, `None` when the plugin left them unbounded.
    pub min: Option<ParamValue>,
    pub max: Option<ParamValue>,
    pub display_min: Option<ParamValue>,
    pub display_max: Option<ParamValue>,
    /// Choice options, in index order.
    pub options: Vec<String>,
    pub string_mode: Option<StringMode>,
    /// `kOfxParamPropDoubleType` without its prefix (`Plain`, `Scale`, `XY` ...).
    pub double_type: Option<String>,
    /// The enclosing group, if any.
    pub parent: Option<String>,
    pub secret: bool,
    pub enabled: bool,
    pub animates: bool,
}

/// What `DescribeInContext` declared for one context.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContextDescription {
    #[serde(serialize_with = "ser::context")]
    pub context: Context,
    pub clips: Vec<ClipDescription>,
    pub params: Vec<ParamDescription>,
    pub warnings: Vec<String>,
}

impl ContextDescription {
    pub fn clip(&self, name: &str) -> Option<&ClipDescription> {
        self.clips.iter().find(|c| c.name == name)
    }

    pub fn param(&self, name: &str) -> Option<&ParamDescription> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// A plugin, and optionally one context of it: what `ofx-host describe` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginDescription {
    #[serde(flatten)]
    pub effect: EffectDescription,
    pub context: Option<ContextDescription>,
}

/// Reads a string property, recording a warning when it is not UTF-8.
fn text(props: &PropertySet, name: &CStr, warnings: &mut Vec<String>) -> Option<String> {
    let s = props.string(name, 0)?;
    Some(utf8(&s, name, warnings))
}

fn utf8(s: &CString, name: &CStr, warnings: &mut Vec<String>) -> String {
    match s.to_str() {
        Ok(t) => t.to_owned(),
        Err(_) => {
            warnings.push(format!("{} is not valid UTF-8", name.to_string_lossy()));
            s.to_string_lossy().into_owned()
        }
    }
}

fn flag(props: &PropertySet, name: &CStr, default: bool) -> bool {
    props.int(name, 0).map_or(default, |v| v != 0)
}

/// Parses a list of OpenFX constants, warning about the ones this host does not know.
fn enum_list<T>(
    props: &PropertySet,
    name: &CStr,
    parse: fn(&CStr) -> Option<T>,
    warnings: &mut Vec<String>,
) -> Vec<T> {
    let mut out = Vec::new();
    for s in props.strings(name).unwrap_or_default() {
        match parse(&s) {
            Some(v) => out.push(v),
            None => warnings.push(format!(
                "{} has an unknown value {:?}",
                name.to_string_lossy(),
                s
            )),
        }
    }
    out
}

pub(crate) fn effect_description(
    info: &super::library::PluginInfo,
    props: &PropertySet,
    mut warnings: Vec<String>,
) -> EffectDescription {
    let w = &mut warnings;
    let label = text(props, ofx_str!(kOfxPropLabel), w)
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| info.id.clone());
    let safety = props.string(ofx_str!(kOfxImageEffectPluginRenderThreadSafety), 0);
    let render_thread_safety = match safety.as_deref().map(RenderThreadSafety::from_cstr) {
        Some(Some(s)) => s,
        other => {
            if other.is_some() {
                w.push(format!(
                    "unknown render thread safety {safety:?}; assuming unsafe"
                ));
            }
            RenderThreadSafety::Unsafe
        }
    };
    let contexts = enum_list(
        props,
        ofx_str!(kOfxImageEffectPropSupportedContexts),
        Context::from_cstr,
        w,
    );
    if contexts.is_empty() {
        w.push("the plugin declares no supported context".to_owned());
    }
    let pixel_depths = enum_list(
        props,
        ofx_str!(kOfxImageEffectPropSupportedPixelDepths),
        PixelDepth::from_cstr,
        w,
    );
    if pixel_depths.is_empty() {
        w.push("the plugin declares no supported pixel depth".to_owned());
    }
    EffectDescription {
        id: info.id.clone(),
        version_major: info.version_major,
        version_minor: info.version_minor,
        version_label: text(props, ofx_str!(kOfxPropVersionLabel), w).filter(|s| !s.is_empty()),
        label,
        grouping: text(props, ofx_str!(kOfxImageEffectPluginPropGrouping), w).unwrap_or_default(),
        description: text(props, ofx_str!(kOfxPropPluginDescription), w).unwrap_or_default(),
        contexts,
        pixel_depths,
        render_thread_safety,
        host_frame_threading: flag(
            props,
            ofx_str!(kOfxImageEffectPluginPropHostFrameThreading),
            false,
        ),
        supports_tiles: flag(props, ofx_str!(kOfxImageEffectPropSupportsTiles), true),
        supports_multi_resolution: flag(
            props,
            ofx_str!(kOfxImageEffectPropSupportsMultiResolution),
            true,
        ),
        supports_multiple_clip_depths: flag(
            props,
            ofx_str!(kOfxImageEffectPropSupportsMultipleClipDepths),
            false,
        ),
        temporal_clip_access: flag(
            props,
            ofx_str!(kOfxImageEffectPropTemporalClipAccess),
            false,
        ),
        single_instance: flag(
            props,
            ofx_str!(kOfxImageEffectPluginPropSingleInstance),
            false,
        ),
        binary: info.binary.clone(),
        bundle: info.bundle.clone(),
        warnings,
    }
}

pub(crate) fn context_description(
    context: Context,
    effect: &EffectNode,
    mut warnings: Vec<String>,
) -> ContextDescription {
    let w = &mut warnings;
    let clips: Vec<ClipDescription> = lock(&effect.clips)
        .iter()
        .map(|c| {
            let p = &c.props;
            ClipDescription {
                name: utf8(&c.name, ofx_str!(kOfxPropName), w),
                label: text(p, ofx_str!(kOfxPropLabel), w).unwrap_or_default(),
                components: enum_list(
                    p,
                    ofx_str!(kOfxImageEffectPropSupportedComponents),
                    Components::from_cstr,
                    w,
                ),
                optional: flag(p, ofx_str!(kOfxImageClipPropOptional), false),
                is_mask: flag(p, ofx_str!(kOfxImageClipPropIsMask), false),
                temporal_access: flag(p, ofx_str!(kOfxImageEffectPropTemporalClipAccess), false),
                supports_tiles: flag(p, ofx_str!(kOfxImageEffectPropSupportsTiles), true),
            }
        })
        .collect();
    let output = ofx_str!(kOfxImageEffectOutputClipName)
        .to_str()
        .unwrap_or("Output");
    if !clips.iter().any(|c| c.name == output) {
        w.push(format!("no {output} clip is defined"));
    }
    if context == Context::Filter && !clips.iter().any(|c| c.name == "Source") {
        w.push("the filter context has no Source clip".to_owned());
    }
    for c in &clips {
        if c.components.is_empty() {
            w.push(format!("clip {} declares no supported components", c.name));
        }
    }
    let params = lock(&effect.params.params)
        .iter()
        .map(|p| param_description(p.kind, &p.name, &p.props, w))
        .collect();
    ContextDescription {
        context,
        clips,
        params,
        warnings,
    }
}

/// A range limit, `None` when it is the type's extreme (the plugin left it unbounded).
fn limit(kind: ParamKind, value: Option<PropValue>) -> Option<ParamValue> {
    let unbounded = match &value {
        Some(PropValue::Double(v)) => v.iter().all(|x| x.abs() >= f64::MAX),
        Some(PropValue::Int(v)) => v.iter().all(|x| *x == i32::MIN || *x == i32::MAX),
        _ => true,
    };
    if unbounded {
        return None;
    }
    Stored::from_prop(kind, value)?.to_value(match kind {
        // A boolean's range is not a boolean.
        ParamKind::Boolean | ParamKind::Choice => ParamKind::Integer,
        k => k,
    })
}

fn param_description(
    kind: ParamKind,
    name: &CString,
    p: &PropertySet,
    w: &mut Vec<String>,
) -> ParamDescription {
    let name = utf8(name, ofx_str!(kOfxPropName), w);
    let default = match Stored::from_prop(kind, p.get(ofx_str!(kOfxParamPropDefault))) {
        Some(s) => s.to_value(kind),
        None if kind.shape().is_some() => {
            w.push(format!("parameter {name} has an unusable default"));
            None
        }
        None => None,
    };
    let mut options: Vec<String> = p
        .strings(ofx_str!(kOfxParamPropChoiceOption))
        .unwrap_or_default()
        .iter()
        .map(|s| utf8(s, ofx_str!(kOfxParamPropChoiceOption), w))
        .collect();
    // OpenFX 1.5's kOfxParamPropChoiceOrder only changes display order; indices are what values are,
    // so options stay in index order here.
    if !matches!(kind, ParamKind::Choice | ParamKind::StrChoice) {
        options.clear();
    }
    let string_mode = (kind == ParamKind::String)
        .then(|| p.string(ofx_str!(kOfxParamPropStringMode), 0))
        .flatten()
        .and_then(|m| {
            [
                (
                    ofx_str!(kOfxParamStringIsSingleLine),
                    StringMode::SingleLine,
                ),
                (ofx_str!(kOfxParamStringIsMultiLine), StringMode::MultiLine),
                (ofx_str!(kOfxParamStringIsFilePath), StringMode::FilePath),
                (
                    ofx_str!(kOfxParamStringIsDirectoryPath),
                    StringMode::DirectoryPath,
                ),
                (ofx_str!(kOfxParamStringIsLabel), StringMode::Label),
                (
                    ofx_str!(kOfxParamStringIsRichTextFormat),
                    StringMode::RichText,
                ),
            ]
            .into_iter()
            .find(|(c, _)| *c == m.as_c_str())
            .map(|(_, s)| s)
        });
    let double_type = p.string(ofx_str!(kOfxParamPropDoubleType), 0).map(|s| {
        s.to_string_lossy()
            .trim_start_matches("OfxParamDoubleType")
            .to_owned()
    });
    ParamDescription {
        label: text(p, ofx_str!(kOfxPropLabel), w).unwrap_or_else(|| name.clone()),
        hint: text(p, ofx_str!(kOfxParamPropHint), w).unwrap_or_default(),
        default,
        min: limit(kind, p.get(ofx_str!(kOfxParamPropMin))),
        max: limit(kind, p.get(ofx_str!(kOfxParamPropMax))),
        display_min: limit(kind, p.get(ofx_str!(kOfxParamPropDisplayMin))),
        display_max: limit(kind, p.get(ofx_str!(kOfxParamPropDisplayMax))),
        options,
        string_mode,
        double_type,
        parent: text(p, ofx_str!(kOfxParamPropParent), w).filter(|s| !s.is_empty()),
        secret: flag(p, ofx_str!(kOfxParamPropSecret), false),
        enabled: flag(p, ofx_str!(kOfxParamPropEnabled), true),
        animates: flag(p, ofx_str!(kOfxParamPropAnimates), false),
        kind,
        name,
    }
}
