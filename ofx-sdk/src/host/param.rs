//! Parameters: their types, how their values are stored for the C ABI, the descriptor properties each
//! type starts with, and how a host-side value (typed or text from a command line) is checked against
//! a parameter's declaration.

use std::ffi::{CStr, CString, c_int};

use crate::ofx_str;

use super::props::{PropValue, PropertySet};

/// `OfxParamTypeStrChoice` (OpenFX 1.5): a choice whose value is the option string.
pub(crate) const STR_CHOICE: &CStr = c"OfxParamTypeStrChoice";
/// `OfxParamPropChoiceOrder` (OpenFX 1.5).
pub(crate) const CHOICE_ORDER: &CStr = c"OfxParamPropChoiceOrder";

/// A parameter's type (`kOfxParamType*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    Integer,
    Double,
    Boolean,
    Choice,
    StrChoice,
    Rgba,
    Rgb,
    Double2D,
    Integer2D,
    Double3D,
    Integer3D,
    String,
    Custom,
    Group,
    Page,
    PushButton,
}

/// The C type of each value of a parameter, as the variadic shim reads and writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueType {
    Double,
    Int,
    String,
}

impl ParamKind {
    const TABLE: [(ParamKind, &'static CStr); 16] = [
        (ParamKind::Integer, ofx_str!(kOfxParamTypeInteger)),
        (ParamKind::Double, ofx_str!(kOfxParamTypeDouble)),
        (ParamKind::Boolean, ofx_str!(kOfxParamTypeBoolean)),
        (ParamKind::Choice, ofx_str!(kOfxParamTypeChoice)),
        (ParamKind::StrChoice, STR_CHOICE),
        (ParamKind::Rgba, ofx_str!(kOfxParamTypeRGBA)),
        (ParamKind::Rgb, ofx_str!(kOfxParamTypeRGB)),
        (ParamKind::Double2D, ofx_str!(kOfxParamTypeDouble2D)),
        (ParamKind::Integer2D, ofx_str!(kOfxParamTypeInteger2D)),
        (ParamKind::Double3D, ofx_str!(kOfxParamTypeDouble3D)),
        (ParamKind::Integer3D, ofx_str!(kOfxParamTypeInteger3D)),
        (ParamKind::String, ofx_str!(kOfxParamTypeString)),
        (ParamKind::Custom, ofx_str!(kOfxParamTypeCustom)),
        (ParamKind::Group, ofx_str!(kOfxParamTypeGroup)),
        (ParamKind::Page, ofx_str!(kOfxParamTypePage)),
        (ParamKind::PushButton, ofx_str!(kOfxParamTypePushButton)),
    ];

    /// The kind the OpenFX type string names; `None` for unknown or unsupported types (Parametric).
    pub fn from_cstr(s: &CStr) -> Option<ParamKind> {
        Self::TABLE.iter().find(|(_, c)| *c == s).map(|(k, _)| *k)
    }

    pub fn as_cstr(self) -> &'static CStr {
        Self::TABLE
            .iter()
            .find(|(k, _)| *k == self)
            .map_or(c"", |(_, c)| c)
    }

    /// Short lower-case name, as `describe` prints it.
    pub fn name(self) -> &'static str {
        match self {
            ParamKind::Integer => "integer",
            ParamKind::Double => "double",
            ParamKind::Boolean => "boolean",
            ParamKind::Choice => "choice",
            ParamKind::StrChoice => "strchoice",
            ParamKind::Rgba => "rgba",
            ParamKind::Rgb => "rgb",
            ParamKind::Double2D => "double2d",
            ParamKind::Integer2D => "integer2d",
            ParamKind::Double3D => "double3d",
            ParamKind::Integer3D => "integer3d",
            ParamKind::String => "string",
            ParamKind::Custom => "custom",
            ParamKind::Group => "group",
            ParamKind::Page => "page",
            ParamKind::PushButton => "pushbutton",
        }
    }

    /// The C type and count of the values; `None` for types without a value (group, page, button).
    pub(crate) fn shape(self) -> Option<(ValueType, usize)> {
        Some(match self {
            ParamKind::Integer | ParamKind::Boolean | ParamKind::Choice => (ValueType::Int, 1),
            ParamKind::Double => (ValueType::Double, 1),
            ParamKind::StrChoice | ParamKind::String | ParamKind::Custom => (ValueType::String, 1),
            ParamKind::Rgba => (ValueType::Double, 4),
            ParamKind::Rgb | ParamKind::Double3D => (ValueType::Double, 3),
            ParamKind::Double2D => (ValueType::Double, 2),
            ParamKind::Integer2D => (ValueType::Int, 2),
            ParamKind::Integer3D => (ValueType::Int, 3),
            ParamKind::Group | ParamKind::Page | ParamKind::PushButton => return None,
        })
    }

    /// Whether the type has min/max properties.
    fn is_numeric(self) -> bool {
        matches!(
            self,
            ParamKind::Integer
                | ParamKind::Double
                | ParamKind::Double2D
                | ParamKind::Integer2D
                | ParamKind::Double3D
                | ParamKind::Integer3D
                | ParamKind::Rgb
                | ParamKind::Rgba
        )
    }
}

impl std::fmt::Display for ParamKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A parameter value on the host side. Choices are option indices (`Int`), booleans `Bool`, colours and
/// 2D/3D values `Doubles`/`Ints`, strings (also custom and string-choice parameters) `String`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Int(i32),
    Double(f64),
    Ints(Vec<i32>),
    Doubles(Vec<f64>),
    String(String),
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn list<T: std::fmt::Display>(
            f: &mut std::fmt::Formatter<'_>,
            v: &[T],
        ) -> std::fmt::Result {
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{x}")?;
            }
            Ok(())
        }
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Double(d) => write!(f, "{d}"),
            ParamValue::Ints(v) => list(f, v),
            ParamValue::Doubles(v) => list(f, v),
            ParamValue::String(s) => write!(f, "{s:?}"),
        }
    }
}

/// A parameter's value as the C ABI exchanges it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stored {
    Doubles(Vec<f64>),
    Ints(Vec<c_int>),
    Text(CString),
    None,
}

impl Stored {
    /// The zero value of a type (what `kOfxParamPropDefault` starts as).
    pub(crate) fn zero(kind: ParamKind) -> Stored {
        match kind.shape() {
            Some((ValueType::Double, n)) => Stored::Doubles(vec![0.0; n]),
            Some((ValueType::Int, n)) => Stored::Ints(vec![0; n]),
            Some((ValueType::String, _)) => Stored::Text(CString::default()),
            None => Stored::None,
        }
    }

    /// Reads a property holding values of `kind` (the default, typically); `None` if it has the wrong
    /// type or too few values.
    pub(crate) fn from_prop(kind: ParamKind, value: Option<PropValue>) -> Option<Stored> {
        let (ty, n) = kind.shape()?;
        match (ty, value?) {
            (ValueType::Double, PropValue::Double(v)) if v.len() >= n => {
                Some(Stored::Doubles(v[..n].to_vec()))
            }
            (ValueType::Int, PropValue::Int(v)) if v.len() >= n => {
                Some(Stored::Ints(v[..n].to_vec()))
            }
            (ValueType::String, PropValue::String(v)) => v.into_iter().next().map(Stored::Text),
            _ => None,
        }
    }

    pub(crate) fn to_prop(&self) -> Option<PropValue> {
        match self {
            Stored::Doubles(v) => Some(PropValue::Double(v.clone())),
            Stored::Ints(v) => Some(PropValue::Int(v.clone())),
            Stored::Text(s) => Some(PropValue::String(vec![s.clone()])),
            Stored::None => None,
        }
    }

    /// The public value of a stored value of `kind`.
    pub(crate) fn to_value(&self, kind: ParamKind) -> Option<ParamValue> {
        Some(match (kind, self) {
            (ParamKind::Boolean, Stored::Ints(v)) => ParamValue::Bool(*v.first()? != 0),
            (ParamKind::Integer | ParamKind::Choice, Stored::Ints(v)) => {
                ParamValue::Int(*v.first()?)
            }
            (ParamKind::Double, Stored::Doubles(v)) => ParamValue::Double(*v.first()?),
            (_, Stored::Ints(v)) => ParamValue::Ints(v.clone()),
            (_, Stored::Doubles(v)) => ParamValue::Doubles(v.clone()),
            (_, Stored::Text(s)) => ParamValue::String(s.to_string_lossy().into_owned()),
            (_, Stored::None) => return None,
        })
    }
}

/// Sets the properties every parameter descriptor of `kind` starts with (the spec's defaults), so a
/// plugin reading one back gets a value and not `ErrUnknown`.
pub(crate) fn define_descriptor_props(props: &PropertySet, kind: ParamKind, name: &CStr) {
    props.define_str(ofx_str!(kOfxPropType), ofx_str!(kOfxTypeParameter));
    props.define_str(ofx_str!(kOfxParamPropType), kind.as_cstr());
    props.define_str(ofx_str!(kOfxPropName), name);
    props.define_str(ofx_str!(kOfxPropLabel), name);
    props.define_str(ofx_str!(kOfxPropShortLabel), name);
    props.define_str(ofx_str!(kOfxPropLongLabel), name);
    props.define_int(ofx_str!(kOfxParamPropSecret), 0);
    props.define_int(ofx_str!(kOfxParamPropCanUndo), 1);
    props.define_str(ofx_str!(kOfxParamPropHint), c"");
    props.define_str(ofx_str!(kOfxParamPropScriptName), name);
    props.define_str(ofx_str!(kOfxParamPropParent), c"");
    props.define_int(ofx_str!(kOfxParamPropEnabled), 1);
    props.define_ptr(ofx_str!(kOfxParamPropDataPtr), 0);
    props.define_ptr(ofx_str!(kOfxParamPropInteractV1), 0);
    props.define_doubles(ofx_str!(kOfxParamPropInteractSize), &[0.0, 0.0]);
    props.define_double(ofx_str!(kOfxParamPropInteractSizeAspect), 1.0);
    props.define_ints(ofx_str!(kOfxParamPropInteractMinimumSize), &[10, 10]);
    props.define_ints(ofx_str!(kOfxParamPropInteractPreferedSize), &[10, 10]);
    if let Some(default) = Stored::zero(kind).to_prop() {
        props.define(ofx_str!(kOfxParamPropDefault), default);
        props.define_int(ofx_str!(kOfxParamPropAnimates), 1);
        props.define_int(ofx_str!(kOfxParamPropIsAnimating), 0);
        props.define_int(ofx_str!(kOfxParamPropIsAutoKeying), 0);
        props.define_int(ofx_str!(kOfxParamPropPersistant), 1);
        props.define_int(ofx_str!(kOfxParamPropEvaluateOnChange), 1);
        props.define_int(ofx_str!(kOfxParamPropPluginMayWrite), 0);
        props.define_str(
            ofx_str!(kOfxParamPropCacheInvalidation),
            ofx_str!(kOfxParamInvalidateValueChange),
        );
    }
    if kind.is_numeric() {
        let n = kind.shape().map_or(1, |(_, n)| n);
        if matches!(kind.shape(), Some((ValueType::Int, _))) {
            props.define_ints(ofx_str!(kOfxParamPropMin), &vec![c_int::MIN; n]);
            props.define_ints(ofx_str!(kOfxParamPropMax), &vec![c_int::MAX; n]);
            props.define_ints(ofx_str!(kOfxParamPropDisplayMin), &vec![c_int::MIN; n]);
            props.define_ints(ofx_str!(kOfxParamPropDisplayMax), &vec![c_int::MAX; n]);
        } else {
            props.define_doubles(ofx_str!(kOfxParamPropMin), &vec![-f64::MAX; n]);
            props.define_doubles(ofx_str!(kOfxParamPropMax), &vec![f64::MAX; n]);
            props.define_doubles(ofx_str!(kOfxParamPropDisplayMin), &vec![-f64::MAX; n]);
            props.define_doubles(ofx_str!(kOfxParamPropDisplayMax), &vec![f64::MAX; n]);
            props.define_double(ofx_str!(kOfxParamPropIncrement), 1.0);
            props.define_int(ofx_str!(kOfxParamPropDigits), 2);
            props.define_str(
                ofx_str!(kOfxParamPropDoubleType),
                ofx_str!(kOfxParamDoubleTypePlain),
            );
            props.define_str(
                ofx_str!(kOfxParamPropDefaultCoordinateSystem),
                ofx_str!(kOfxParamCoordinatesCanonical),
            );
        }
        if n > 1 {
            let labels: &[&CStr] = match kind {
                ParamKind::Rgb => &[c"r", c"g", c"b"],
                ParamKind::Rgba => &[c"r", c"g", c"b", c"a"],
                _ => &[c"x", c"y", c"z"],
            };
            props.define(
                ofx_str!(kOfxParamPropDimensionLabel),
                PropValue::String(
                    labels[..n.min(labels.len())]
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect(),
                ),
            );
        }
    }
    match kind {
        ParamKind::Choice | ParamKind::StrChoice => {
            props.define_strs(ofx_str!(kOfxParamPropChoiceOption), &[]);
            props.define_var(CHOICE_ORDER, PropValue::Int(Vec::new()));
        }
        ParamKind::String => {
            props.define_str(
                ofx_str!(kOfxParamPropStringMode),
                ofx_str!(kOfxParamStringIsSingleLine),
            );
            props.define_int(ofx_str!(kOfxParamPropStringFilePathExists), 1);
        }
        ParamKind::Custom => props.define_ptr(ofx_str!(kOfxParamPropCustomInterpCallbackV1), 0),
        ParamKind::Group => props.define_int(ofx_str!(kOfxParamPropGroupOpen), 1),
        ParamKind::Page => props.define_strs(ofx_str!(kOfxParamPropPageChild), &[]),
        _ => {}
    }
}

/// A parameter descriptor with its type and name only, for hosts that do not pre-fill spec defaults.
pub(crate) fn define_bare_props(props: &PropertySet, kind: ParamKind, name: &CStr) {
    props.define_str(ofx_str!(kOfxPropType), ofx_str!(kOfxTypeParameter));
    props.define_str(ofx_str!(kOfxParamPropType), kind.as_cstr());
    props.define_str(ofx_str!(kOfxPropName), name);
}

/// What a host-side value must satisfy, read from the parameter's properties.
#[derive(Debug, Clone)]
pub(crate) struct Constraints {
    pub kind: ParamKind,
    pub options: Vec<String>,
    pub min: Option<Vec<f64>>,
    pub max: Option<Vec<f64>>,
}

impl Constraints {
    pub(crate) fn read(kind: ParamKind, props: &PropertySet) -> Constraints {
        let numbers = |name: &CStr| match props.get(name)? {
            PropValue::Double(v) => Some(v),
            PropValue::Int(v) => Some(v.into_iter().map(f64::from).collect()),
            _ => None,
        };
        Constraints {
            kind,
            options: props
                .strings(ofx_str!(kOfxParamPropChoiceOption))
                .unwrap_or_default()
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect(),
            min: numbers(ofx_str!(kOfxParamPropMin)),
            max: numbers(ofx_str!(kOfxParamPropMax)),
        }
    }

    /// Checks `value` against the type, options and range, and converts it for storage.
    pub(crate) fn store(&self, value: &ParamValue) -> Result<Stored, String> {
        let stored = self.store_unchecked(value)?;
        self.check_range(&stored)?;
        Ok(stored)
    }

    /// Like [`Constraints::store`] without the range check.
    pub(crate) fn store_unchecked(&self, value: &ParamValue) -> Result<Stored, String> {
        let kind = self.kind;
        let Some((ty, n)) = kind.shape() else {
            return Err(format!("a {kind} parameter has no value"));
        };
        let wrong = || format!("a {kind} parameter cannot take the value {value}");
        let stored = match (kind, value) {
            (ParamKind::Boolean, ParamValue::Bool(b)) => Stored::Ints(vec![c_int::from(*b)]),
            (ParamKind::Boolean, ParamValue::Int(i @ (0 | 1))) => Stored::Ints(vec![*i]),
            (ParamKind::Choice, ParamValue::Int(i)) => {
                if usize::try_from(*i).map_or(true, |i| i >= self.options.len()) {
                    return Err(format!(
                        "choice index {i} is out of range (options: {})",
                        self.options_list()
                    ));
                }
                Stored::Ints(vec![*i])
            }
            (ParamKind::Choice, ParamValue::String(s)) => Stored::Ints(vec![self.option_index(s)?]),
            (ParamKind::StrChoice, ParamValue::String(s)) => {
                self.option_index(s)?;
                Stored::Text(text(s)?)
            }
            (ParamKind::String | ParamKind::Custom, ParamValue::String(s)) => {
                Stored::Text(text(s)?)
            }
            (ParamKind::Integer, ParamValue::Int(i)) => Stored::Ints(vec![*i]),
            (ParamKind::Integer, ParamValue::Double(d)) if d.fract() == 0.0 => {
                Stored::Ints(vec![int(*d)?])
            }
            (ParamKind::Double, ParamValue::Double(d)) => Stored::Doubles(vec![*d]),
            (ParamKind::Double, ParamValue::Int(i)) => Stored::Doubles(vec![f64::from(*i)]),
            (_, ParamValue::Doubles(v)) if ty == ValueType::Double && v.len() == n => {
                Stored::Doubles(v.clone())
            }
            (_, ParamValue::Ints(v)) if ty == ValueType::Double && v.len() == n => {
                Stored::Doubles(v.iter().copied().map(f64::from).collect())
            }
            (_, ParamValue::Ints(v)) if ty == ValueType::Int && v.len() == n => {
                Stored::Ints(v.clone())
            }
            _ => return Err(wrong()),
        };
        Ok(stored)
    }

    /// Parses command-line text by the parameter's type: numbers, `true`/`false`/`1`/`0`, a choice by
    /// option label or index, comma- or space-separated values for colours and 2D/3D parameters.
    pub(crate) fn parse(&self, text: &str) -> Result<ParamValue, String> {
        let t = text.trim();
        let kind = self.kind;
        let number = |s: &str| {
            s.trim()
                .parse::<f64>()
                .map_err(|_| format!("{s:?} is not a number"))
        };
        let integer = |s: &str| {
            s.trim()
                .parse::<i32>()
                .map_err(|_| format!("{s:?} is not an integer"))
        };
        let parts = || {
            t.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
        };
        Ok(match kind {
            ParamKind::Double => ParamValue::Double(number(t)?),
            ParamKind::Integer => ParamValue::Int(integer(t)?),
            ParamKind::Boolean => match t.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => ParamValue::Bool(true),
                "false" | "0" | "no" | "off" => ParamValue::Bool(false),
                _ => return Err(format!("{t:?} is not a boolean (true/false/1/0)")),
            },
            ParamKind::Choice => match self.option_index(t) {
                Ok(i) => ParamValue::Int(i),
                Err(e) => ParamValue::Int(t.parse::<i32>().map_err(|_| e)?),
            },
            ParamKind::StrChoice | ParamKind::String | ParamKind::Custom => {
                ParamValue::String(text.to_owned())
            }
            ParamKind::Rgba | ParamKind::Rgb | ParamKind::Double2D | ParamKind::Double3D => {
                ParamValue::Doubles(parts().map(number).collect::<Result<_, _>>()?)
            }
            ParamKind::Integer2D | ParamKind::Integer3D => {
                ParamValue::Ints(parts().map(integer).collect::<Result<_, _>>()?)
            }
            ParamKind::Group | ParamKind::Page | ParamKind::PushButton => {
                return Err(format!("a {kind} parameter has no value"));
            }
        })
    }

    fn options_list(&self) -> String {
        self.options
            .iter()
            .map(|o| format!("{o:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The index of an option by its label (exact match first, then ignoring case).
    fn option_index(&self, label: &str) -> Result<i32, String> {
        let found = self.options.iter().position(|o| o == label).or_else(|| {
            self.options
                .iter()
                .position(|o| o.eq_ignore_ascii_case(label))
        });
        found.and_then(|i| i32::try_from(i).ok()).ok_or_else(|| {
            format!(
                "{label:?} is not one of the options ({})",
                self.options_list()
            )
        })
    }

    fn check_range(&self, stored: &Stored) -> Result<(), String> {
        let values: Vec<f64> = match stored {
            Stored::Doubles(v) => v.clone(),
            Stored::Ints(v) if self.kind.is_numeric() => v.iter().copied().map(f64::from).collect(),
            _ => return Ok(()),
        };
        for (i, v) in values.iter().enumerate() {
            let lo = self
                .min
                .as_ref()
                .and_then(|m| m.get(i))
                .copied()
                .unwrap_or(f64::NEG_INFINITY);
            let hi = self
                .max
                .as_ref()
                .and_then(|m| m.get(i))
                .copied()
                .unwrap_or(f64::INFINITY);
            if !(lo..=hi).contains(v) {
                return Err(format!("{v} is outside the parameter's range [{lo}, {hi}]"));
            }
        }
        Ok(())
    }
}

fn text(s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| "a parameter string cannot contain a NUL character".to_owned())
}

fn int(d: f64) -> Result<c_int, String> {
    if d >= f64::from(c_int::MIN) && d <= f64::from(c_int::MAX) {
        #[allow(clippy::cast_possible_truncation)]
        Ok(d as c_int)
    } else {
        Err(format!("{d} does not fit an integer parameter"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constraints(kind: ParamKind) -> Constraints {
        let props = PropertySet::new("param");
        define_descriptor_props(&props, kind, c"p");
        let mut c = Constraints::read(kind, &props);
        c.options = vec!["All".into(), "Red only".into()];
        c
    }

    #[test]
    fn parses_by_declared_type() {
        let double = constraints(ParamKind::Double);
        assert_eq!(double.parse("1.5"), Ok(ParamValue::Double(1.5)));
        assert!(double.parse("abc").is_err());
        let boolean = constraints(ParamKind::Boolean);
        assert_eq!(boolean.parse("1"), Ok(ParamValue::Bool(true)));
        assert_eq!(boolean.parse("False"), Ok(ParamValue::Bool(false)));
        assert!(boolean.parse("maybe").is_err());
        let choice = constraints(ParamKind::Choice);
        assert_eq!(choice.parse("red only"), Ok(ParamValue::Int(1)));
        assert_eq!(choice.parse("0"), Ok(ParamValue::Int(0)));
        assert!(choice.store(&choice.parse("7").unwrap()).is_err());
        assert!(choice.parse("blue").is_err());
        let rgb = constraints(ParamKind::Rgb);
        assert_eq!(
            rgb.parse("0.1, 0.2 0.3"),
            Ok(ParamValue::Doubles(vec![0.1, 0.2, 0.3]))
        );
        assert!(rgb.store(&ParamValue::Doubles(vec![1.0])).is_err());
        assert!(constraints(ParamKind::PushButton).parse("1").is_err());
    }

    #[test]
    fn store_checks_range_and_converts() {
        let mut double = constraints(ParamKind::Double);
        double.min = Some(vec![0.0]);
        double.max = Some(vec![10.0]);
        assert_eq!(
            double.store(&ParamValue::Int(2)),
            Ok(Stored::Doubles(vec![2.0]))
        );
        assert!(double.store(&ParamValue::Double(11.0)).is_err());
        assert!(double.store(&ParamValue::String("x".into())).is_err());
        let int = constraints(ParamKind::Integer);
        assert_eq!(
            int.store(&ParamValue::Double(3.0)),
            Ok(Stored::Ints(vec![3]))
        );
        assert!(int.store(&ParamValue::Double(3.5)).is_err());
        assert_eq!(
            Stored::Ints(vec![1]).to_value(ParamKind::Boolean),
            Some(ParamValue::Bool(true))
        );
    }
}
