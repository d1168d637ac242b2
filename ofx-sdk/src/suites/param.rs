//! The parameter suite (`ofxParam.h`): declarative parameter definitions for describe-in-context, and
//! type-checked value access for instances (the suite's getters are C-variadic, so the pointer passed must
//! match the parameter's type exactly: every getter checks the type first).

use std::ffi::{CStr, CString, c_char};
use std::ptr;

use super::Suites;
use super::property::PropertySet;
use super::suite_call;
use crate::error::{Error, Result};
use crate::ofx_str;
use crate::raw::sys;
use crate::status::Status;

/// How a string parameter is edited (`kOfxParamPropStringMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringMode {
    SingleLine,
    MultiLine,
    /// A file path; `must_exist` asks the host's browser for an existing file (`kOfxParamPropStringFilePathExists`).
    FilePath {
        must_exist: bool,
    },
    DirectoryPath,
    /// Read-only text the plugin writes (an info field).
    Label,
}

impl StringMode {
    fn as_cstr(self) -> &'static CStr {
        match self {
            StringMode::SingleLine => ofx_str!(kOfxParamStringIsSingleLine),
            StringMode::MultiLine => ofx_str!(kOfxParamStringIsMultiLine),
            StringMode::FilePath { .. } => ofx_str!(kOfxParamStringIsFilePath),
            StringMode::DirectoryPath => ofx_str!(kOfxParamStringIsDirectoryPath),
            StringMode::Label => ofx_str!(kOfxParamStringIsLabel),
        }
    }
}

/// What kind of parameter, with its type-specific description.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamKind {
    Double {
        default: f64,
        min: f64,
        max: f64,
        display_min: f64,
        display_max: f64,
    },
    Integer {
        default: i32,
        min: i32,
        max: i32,
        display_min: i32,
        display_max: i32,
    },
    Boolean {
        default: bool,
    },
    Choice {
        options: Vec<String>,
        default: usize,
    },
    String {
        default: String,
        mode: StringMode,
    },
    PushButton,
}

impl ParamKind {
    fn type_name(&self) -> &'static CStr {
        match self {
            ParamKind::Double { .. } => ofx_str!(kOfxParamTypeDouble),
            ParamKind::Integer { .. } => ofx_str!(kOfxParamTypeInteger),
            ParamKind::Boolean { .. } => ofx_str!(kOfxParamTypeBoolean),
            ParamKind::Choice { .. } => ofx_str!(kOfxParamTypeChoice),
            ParamKind::String { .. } => ofx_str!(kOfxParamTypeString),
            ParamKind::PushButton => ofx_str!(kOfxParamTypePushButton),
        }
    }
}

/// A parameter as an effect declares it. `name` is the stable script name that saved projects and
/// command lines refer to: never rename a shipped one. Build with the constructors and chain the options.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDef {
    pub name: String,
    pub label: String,
    pub hint: String,
    pub kind: ParamKind,
    pub animates: bool,
    pub evaluate_on_change: bool,
    pub persistent: bool,
}

impl ParamDef {
    fn new(name: &str, label: &str, kind: ParamKind) -> Self {
        let animates = matches!(kind, ParamKind::Double { .. } | ParamKind::Integer { .. });
        let persistent = !matches!(
            kind,
            ParamKind::PushButton
                | ParamKind::String {
                    mode: StringMode::Label,
                    ..
                }
        );
        ParamDef {
            name: name.into(),
            label: label.into(),
            hint: String::new(),
            kind,
            animates,
            evaluate_on_change: true,
            persistent,
        }
    }

    pub fn double(name: &str, label: &str, default: f64) -> Self {
        let (min, max) = (-f64::MAX, f64::MAX);
        Self::new(
            name,
            label,
            ParamKind::Double {
                default,
                min,
                max,
                display_min: min,
                display_max: max,
            },
        )
    }

    pub fn integer(name: &str, label: &str, default: i32) -> Self {
        let (min, max) = (i32::MIN, i32::MAX);
        Self::new(
            name,
            label,
            ParamKind::Integer {
                default,
                min,
                max,
                display_min: min,
                display_max: max,
            },
        )
    }

    pub fn boolean(name: &str, label: &str, default: bool) -> Self {
        Self::new(name, label, ParamKind::Boolean { default })
    }

    pub fn choice(name: &str, label: &str, options: &[&str], default: usize) -> Self {
        let options = options.iter().map(|o| (*o).to_owned()).collect();
        Self::new(name, label, ParamKind::Choice { options, default })
    }

    pub fn string(name: &str, label: &str, default: &str, mode: StringMode) -> Self {
        Self::new(
            name,
            label,
            ParamKind::String {
                default: default.into(),
                mode,
            },
        )
    }

    pub fn push_button(name: &str, label: &str) -> Self {
        Self::new(name, label, ParamKind::PushButton)
    }

    pub fn hint(mut self, hint: &str) -> Self {
        self.hint = hint.into();
        self
    }

    /// Hard limits and the slider's range, the same; Resolve wants explicit ranges.
    pub fn range(mut self, lo: f64, hi: f64) -> Self {
        match &mut self.kind {
            ParamKind::Double {
                min,
                max,
                display_min,
                display_max,
                ..
            } => {
                (*min, *max, *display_min, *display_max) = (lo, hi, lo, hi);
            }
            ParamKind::Integer {
                min,
                max,
                display_min,
                display_max,
                ..
            } => {
                let (lo, hi) = (saturate_i32(lo), saturate_i32(hi));
                (*min, *max, *display_min, *display_max) = (lo, hi, lo, hi);
            }
            _ => {}
        }
        self
    }

    /// The slider's range only, inside wider hard limits.
    pub fn display_range(mut self, lo: f64, hi: f64) -> Self {
        match &mut self.kind {
            ParamKind::Double {
                display_min,
                display_max,
                ..
            } => (*display_min, *display_max) = (lo, hi),
            ParamKind::Integer {
                display_min,
                display_max,
                ..
            } => {
                (*display_min, *display_max) = (saturate_i32(lo), saturate_i32(hi));
            }
            _ => {}
        }
        self
    }

    pub fn animates(mut self, animates: bool) -> Self {
        self.animates = animates;
        self
    }

    pub fn evaluate_on_change(mut self, evaluate: bool) -> Self {
        self.evaluate_on_change = evaluate;
        self
    }

    pub fn persistent(mut self, persistent: bool) -> Self {
        self.persistent = persistent;
        self
    }
}

#[allow(clippy::cast_possible_truncation)]
fn saturate_i32(v: f64) -> i32 {
    // `as` saturates (and maps NaN to 0), which is what clamping a range bound needs.
    v as i32
}

fn c_string(what: &str, value: &str) -> Result<CString> {
    CString::new(value).map_err(|e| Error::InvalidString {
        what: what.into(),
        detail: e.to_string(),
    })
}

/// An effect's parameter set: define parameters (descriptor) or fetch them (instance).
#[derive(Clone, Copy)]
pub struct ParamSet<'a> {
    handle: sys::OfxParamSetHandle,
    suites: &'a Suites,
}

impl<'a> ParamSet<'a> {
    pub(crate) fn new(handle: sys::OfxParamSetHandle, suites: &'a Suites) -> Self {
        ParamSet { handle, suites }
    }

    /// Defines one parameter and sets every property of its description.
    pub fn define(&self, def: &ParamDef) -> Result<()> {
        let name = c_string("parameter name", &def.name)?;
        let mut props = ptr::null_mut();
        // SAFETY: live parameter set of a descriptor, NUL-terminated type and name, valid out pointer.
        let status = unsafe {
            suite_call!(
                self.suites.param,
                paramDefine(
                    self.handle,
                    def.kind.type_name().as_ptr(),
                    name.as_ptr(),
                    &mut props
                )
            )
        };
        if status.is_error() {
            return Err(Error::Property {
                call: "paramDefine",
                name: def.name.clone(),
                status,
            });
        }
        let props = PropertySet::new(props, self.suites.property)
            .ok_or(Error::NullHandle("parameter descriptor"))?;
        props.set_string(ofx_str!(kOfxPropLabel), 0, &def.label)?;
        props.set_string(ofx_str!(kOfxParamPropScriptName), 0, &def.name)?;
        if !def.hint.is_empty() {
            props.set_string(ofx_str!(kOfxParamPropHint), 0, &def.hint)?;
        }
        let default = ofx_str!(kOfxParamPropDefault);
        match &def.kind {
            ParamKind::Double {
                default: d,
                min,
                max,
                display_min,
                display_max,
            } => {
                props.set_double(default, 0, *d)?;
                props.set_double(ofx_str!(kOfxParamPropMin), 0, *min)?;
                props.set_double(ofx_str!(kOfxParamPropMax), 0, *max)?;
                props.set_double(ofx_str!(kOfxParamPropDisplayMin), 0, *display_min)?;
                props.set_double(ofx_str!(kOfxParamPropDisplayMax), 0, *display_max)?;
            }
            ParamKind::Integer {
                default: d,
                min,
                max,
                display_min,
                display_max,
            } => {
                props.set_int(default, 0, *d)?;
                props.set_int(ofx_str!(kOfxParamPropMin), 0, *min)?;
                props.set_int(ofx_str!(kOfxParamPropMax), 0, *max)?;
                props.set_int(ofx_str!(kOfxParamPropDisplayMin), 0, *display_min)?;
                props.set_int(ofx_str!(kOfxParamPropDisplayMax), 0, *display_max)?;
            }
            ParamKind::Boolean { default: d } => props.set_int(default, 0, i32::from(*d))?,
            ParamKind::Choice {
                options,
                default: d,
            } => {
                for (i, option) in options.iter().enumerate() {
                    props.set_string(ofx_str!(kOfxParamPropChoiceOption), i, option)?;
                }
                props.set_int(default, 0, i32::try_from(*d).unwrap_or(0))?;
            }
            ParamKind::String { default: d, mode } => {
                props.set_string(default, 0, d)?;
                props.set_cstr(ofx_str!(kOfxParamPropStringMode), 0, mode.as_cstr())?;
                if let StringMode::FilePath { must_exist } = mode {
                    props.set_int(
                        ofx_str!(kOfxParamPropStringFilePathExists),
                        0,
                        i32::from(*must_exist),
                    )?;
                }
            }
            ParamKind::PushButton => {}
        }
        if !matches!(def.kind, ParamKind::PushButton) {
            props.set_int(ofx_str!(kOfxParamPropAnimates), 0, i32::from(def.animates))?;
            props.set_int(
                ofx_str!(kOfxParamPropPersistant),
                0,
                i32::from(def.persistent),
            )?;
        }
        props.set_int(
            ofx_str!(kOfxParamPropEvaluateOnChange),
            0,
            i32::from(def.evaluate_on_change),
        )?;
        Ok(())
    }

    /// An instance's parameter by its script name.
    pub fn param(&self, name: &CStr) -> Result<Param<'a>> {
        let mut handle = ptr::null_mut();
        let mut props = ptr::null_mut();
        // SAFETY: live parameter set of an instance, NUL-terminated name, valid out pointers.
        let status = unsafe {
            suite_call!(
                self.suites.param,
                paramGetHandle(self.handle, name.as_ptr(), &mut handle, &mut props)
            )
        };
        let name_str = name.to_string_lossy().into_owned();
        if status.is_error() {
            return Err(Error::Property {
                call: "paramGetHandle",
                name: name_str,
                status,
            });
        }
        if handle.is_null() {
            return Err(Error::NullHandle("parameter"));
        }
        let props = PropertySet::new(props, self.suites.property)
            .ok_or(Error::NullHandle("parameter property set"))?;
        let type_name = props.get_cstring(ofx_str!(kOfxParamPropType), 0)?;
        Ok(Param {
            handle,
            props,
            suite: self.suites.param,
            type_name,
            name: name_str,
        })
    }
}

/// An instance's parameter, with getters that refuse to call the variadic C functions with the wrong type.
pub struct Param<'a> {
    handle: sys::OfxParamHandle,
    props: PropertySet<'a>,
    suite: &'a sys::OfxParameterSuiteV1,
    type_name: CString,
    name: String,
}

impl<'a> Param<'a> {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn properties(&self) -> PropertySet<'a> {
        self.props
    }

    fn expect_type(&self, allowed: &[&CStr]) -> Result<()> {
        if allowed.contains(&self.type_name.as_c_str()) {
            Ok(())
        } else {
            Err(Error::InvalidValue(format!(
                "parameter '{}' is of type {}, not {}",
                self.name,
                self.type_name.to_string_lossy(),
                allowed
                    .iter()
                    .map(|t| t.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    }

    fn check(&self, call: &'static str, status: Status) -> Result<()> {
        if status.is_error() {
            Err(Error::Property {
                call,
                name: self.name.clone(),
                status,
            })
        } else {
            Ok(())
        }
    }

    /// A double parameter's value at `time`.
    pub fn double_at(&self, time: f64) -> Result<f64> {
        self.expect_type(&[ofx_str!(kOfxParamTypeDouble)])?;
        let mut value = 0.0f64;
        // SAFETY: the type check above guarantees the host writes exactly one double through the pointer.
        let status = unsafe {
            suite_call!(
                self.suite,
                paramGetValueAtTime(self.handle, time, &mut value as *mut f64)
            )
        };
        self.check("paramGetValueAtTime", status).map(|()| value)
    }

    /// An integer, boolean or choice parameter's value at `time` (booleans are 0/1, choices the index).
    pub fn int_at(&self, time: f64) -> Result<i32> {
        self.expect_type(&[
            ofx_str!(kOfxParamTypeInteger),
            ofx_str!(kOfxParamTypeBoolean),
            ofx_str!(kOfxParamTypeChoice),
        ])?;
        let mut value: i32 = 0;
        // SAFETY: the type check guarantees the host writes exactly one int through the pointer.
        let status = unsafe {
            suite_call!(
                self.suite,
                paramGetValueAtTime(self.handle, time, &mut value as *mut i32)
            )
        };
        self.check("paramGetValueAtTime", status).map(|()| value)
    }

    pub fn bool_at(&self, time: f64) -> Result<bool> {
        self.expect_type(&[ofx_str!(kOfxParamTypeBoolean)])?;
        self.int_at(time).map(|v| v != 0)
    }

    /// A string parameter's value at `time`, copied out of the host's memory.
    pub fn string_at(&self, time: f64) -> Result<String> {
        self.expect_type(&[ofx_str!(kOfxParamTypeString)])?;
        let mut value: *const c_char = ptr::null();
        // SAFETY: the type check guarantees the host writes one `char*` through the pointer.
        let status = unsafe {
            suite_call!(
                self.suite,
                paramGetValueAtTime(self.handle, time, &mut value as *mut *const c_char)
            )
        };
        self.check("paramGetValueAtTime", status)?;
        if value.is_null() {
            return Ok(String::new());
        }
        // SAFETY: the host returned a NUL-terminated string it owns; it is copied at once.
        let value = unsafe { CStr::from_ptr(value) };
        value
            .to_str()
            .map(str::to_owned)
            .map_err(|e| Error::InvalidString {
                what: self.name.clone(),
                detail: e.to_string(),
            })
    }

    /// Sets a double parameter (a value the plugin suggests, such as a model's default).
    pub fn set_double(&self, value: f64) -> Result<()> {
        self.expect_type(&[ofx_str!(kOfxParamTypeDouble)])?;
        // SAFETY: the type check guarantees the host reads exactly one double.
        let status = unsafe { suite_call!(self.suite, paramSetValue(self.handle, value)) };
        self.check("paramSetValue", status)
    }

    /// Sets an integer, boolean or choice parameter.
    pub fn set_int(&self, value: i32) -> Result<()> {
        self.expect_type(&[
            ofx_str!(kOfxParamTypeInteger),
            ofx_str!(kOfxParamTypeBoolean),
            ofx_str!(kOfxParamTypeChoice),
        ])?;
        // SAFETY: the type check guarantees the host reads exactly one int.
        let status = unsafe { suite_call!(self.suite, paramSetValue(self.handle, value)) };
        self.check("paramSetValue", status)
    }

    /// Sets a string parameter (an info field the plugin fills in).
    pub fn set_string(&self, value: &str) -> Result<()> {
        self.expect_type(&[ofx_str!(kOfxParamTypeString)])?;
        let value = c_string(&self.name, value)?;
        // SAFETY: the type check guarantees the host reads one `const char*`; the host copies the string.
        let status = unsafe { suite_call!(self.suite, paramSetValue(self.handle, value.as_ptr())) };
        self.check("paramSetValue", status)
    }
}
