//! Property sets as the host owns them: named, typed, multi-dimensional values with the Property suite's
//! semantics and statuses. The suite functions in `suites/property.rs` only translate C arguments;
//! every rule lives here so it can be tested without the C ABI.
//!
//! Strings are stored as `CString`s: a pointer handed to the plugin stays valid until that property is
//! changed or the set dies, as the OpenFX spec promises.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString, c_char, c_int};
use std::sync::Mutex;

use crate::status::Status;

use super::handles::{Registered, Table, lock};

/// Every live property set, by handle.
pub(crate) static PROPS: Table<PropertySet> = Table::new();

/// The four property types of the Property suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PropType {
    Pointer,
    String,
    Double,
    Int,
}

/// All the values of one property.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PropValue {
    /// Pointers are kept as addresses: the host never dereferences a plugin's pointer.
    Pointer(Vec<usize>),
    String(Vec<CString>),
    Double(Vec<f64>),
    Int(Vec<c_int>),
}

impl PropValue {
    pub(crate) fn prop_type(&self) -> PropType {
        match self {
            PropValue::Pointer(_) => PropType::Pointer,
            PropValue::String(_) => PropType::String,
            PropValue::Double(_) => PropType::Double,
            PropValue::Int(_) => PropType::Int,
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            PropValue::Pointer(v) => v.len(),
            PropValue::String(v) => v.len(),
            PropValue::Double(v) => v.len(),
            PropValue::Int(v) => v.len(),
        }
    }

    fn empty(ty: PropType) -> PropValue {
        match ty {
            PropType::Pointer => PropValue::Pointer(Vec::new()),
            PropType::String => PropValue::String(Vec::new()),
            PropType::Double => PropValue::Double(Vec::new()),
            PropType::Int => PropValue::Int(Vec::new()),
        }
    }

    fn scalar(&self, index: usize) -> Option<Scalar> {
        match self {
            PropValue::Pointer(v) => v.get(index).map(|p| Scalar::Pointer(*p)),
            PropValue::String(v) => v.get(index).map(|s| Scalar::String(s.clone())),
            PropValue::Double(v) => v.get(index).map(|d| Scalar::Double(*d)),
            PropValue::Int(v) => v.get(index).map(|i| Scalar::Int(*i)),
        }
    }

    /// Writes `value` at `index`, appending when `index` is the current length. The types must match.
    fn put(&mut self, index: usize, value: Scalar) -> bool {
        fn put_in<T>(v: &mut Vec<T>, index: usize, x: T) -> bool {
            match index.cmp(&v.len()) {
                std::cmp::Ordering::Less => v[index] = x,
                std::cmp::Ordering::Equal => v.push(x),
                std::cmp::Ordering::Greater => return false,
            }
            true
        }
        match (self, value) {
            (PropValue::Pointer(v), Scalar::Pointer(x)) => put_in(v, index, x),
            (PropValue::String(v), Scalar::String(x)) => put_in(v, index, x),
            (PropValue::Double(v), Scalar::Double(x)) => put_in(v, index, x),
            (PropValue::Int(v), Scalar::Int(x)) => put_in(v, index, x),
            _ => false,
        }
    }

    fn truncate(&mut self, len: usize) {
        match self {
            PropValue::Pointer(v) => v.truncate(len),
            PropValue::String(v) => v.truncate(len),
            PropValue::Double(v) => v.truncate(len),
            PropValue::Int(v) => v.truncate(len),
        }
    }
}

/// One value crossing the suite boundary.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Pointer(usize),
    String(CString),
    Double(f64),
    Int(c_int),
}

impl Scalar {
    fn prop_type(&self) -> PropType {
        match self {
            Scalar::Pointer(_) => PropType::Pointer,
            Scalar::String(_) => PropType::String,
            Scalar::Double(_) => PropType::Double,
            Scalar::Int(_) => PropType::Int,
        }
    }
}

#[derive(Debug, Clone)]
struct Property {
    value: PropValue,
    /// What `propReset` restores.
    default: PropValue,
    /// The spec fixes the dimension (a rectangle is 4 values); variable ones grow and shrink.
    fixed: bool,
}

/// A property set. `writable` is false for sets the plugin may only read (the host description, images).
pub(crate) struct PropertySet {
    what: &'static str,
    writable: bool,
    props: Mutex<BTreeMap<CString, Property>>,
}

impl PropertySet {
    pub(crate) fn new(what: &'static str) -> Self {
        PropertySet {
            what,
            writable: true,
            props: Mutex::new(BTreeMap::new()),
        }
    }

    pub(crate) fn read_only(what: &'static str) -> Self {
        PropertySet {
            writable: false,
            ..PropertySet::new(what)
        }
    }

    /// Registers the set so a plugin can reach it.
    pub(crate) fn register(self) -> Registered<PropertySet> {
        PROPS.register(self)
    }

    /// A copy of every property (an instance starts from its descriptor's properties).
    pub(crate) fn copy_from(&self, other: &PropertySet) {
        let theirs = lock(&other.props).clone();
        lock(&self.props).extend(theirs);
    }

    // ---- host side ----

    /// Defines a property with a fixed dimension; its value now is also its default.
    pub(crate) fn define(&self, name: &CStr, value: PropValue) {
        self.define_with(name, value, true);
    }

    /// Defines a property whose dimension may change (lists such as supported contexts).
    pub(crate) fn define_var(&self, name: &CStr, value: PropValue) {
        self.define_with(name, value, false);
    }

    fn define_with(&self, name: &CStr, value: PropValue, fixed: bool) {
        let prop = Property {
            default: value.clone(),
            value,
            fixed,
        };
        lock(&self.props).insert(name.to_owned(), prop);
    }

    pub(crate) fn define_str(&self, name: &CStr, value: &CStr) {
        self.define(name, PropValue::String(vec![value.to_owned()]));
    }

    pub(crate) fn define_strs(&self, name: &CStr, values: &[&CStr]) {
        self.define_var(
            name,
            PropValue::String(values.iter().map(|s| (*s).to_owned()).collect()),
        );
    }

    pub(crate) fn define_int(&self, name: &CStr, value: c_int) {
        self.define(name, PropValue::Int(vec![value]));
    }

    pub(crate) fn define_ints(&self, name: &CStr, values: &[c_int]) {
        self.define(name, PropValue::Int(values.to_vec()));
    }

    pub(crate) fn define_double(&self, name: &CStr, value: f64) {
        self.define(name, PropValue::Double(vec![value]));
    }

    pub(crate) fn define_doubles(&self, name: &CStr, values: &[f64]) {
        self.define(name, PropValue::Double(values.to_vec()));
    }

    pub(crate) fn define_ptr(&self, name: &CStr, value: usize) {
        self.define(name, PropValue::Pointer(vec![value]));
    }

    /// Overwrites a value from the host side, keeping the property's default and dimension rule.
    pub(crate) fn set(&self, name: &CStr, value: PropValue) {
        let mut props = lock(&self.props);
        match props.get_mut(name) {
            Some(p) => p.value = value,
            None => {
                props.insert(
                    name.to_owned(),
                    Property {
                        default: value.clone(),
                        value,
                        fixed: true,
                    },
                );
            }
        }
    }

    pub(crate) fn set_str(&self, name: &CStr, value: &CStr) {
        self.set(name, PropValue::String(vec![value.to_owned()]));
    }

    pub(crate) fn set_int(&self, name: &CStr, value: c_int) {
        self.set(name, PropValue::Int(vec![value]));
    }

    pub(crate) fn set_double(&self, name: &CStr, value: f64) {
        self.set(name, PropValue::Double(vec![value]));
    }

    pub(crate) fn set_doubles(&self, name: &CStr, values: &[f64]) {
        self.set(name, PropValue::Double(values.to_vec()));
    }

    pub(crate) fn get(&self, name: &CStr) -> Option<PropValue> {
        lock(&self.props).get(name).map(|p| p.value.clone())
    }

    pub(crate) fn contains(&self, name: &CStr) -> bool {
        lock(&self.props).contains_key(name)
    }

    pub(crate) fn string(&self, name: &CStr, index: usize) -> Option<CString> {
        match self.get(name)? {
            PropValue::String(v) => v.into_iter().nth(index),
            _ => None,
        }
    }

    pub(crate) fn strings(&self, name: &CStr) -> Option<Vec<CString>> {
        match self.get(name)? {
            PropValue::String(v) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn int(&self, name: &CStr, index: usize) -> Option<c_int> {
        match self.get(name)? {
            PropValue::Int(v) => v.get(index).copied(),
            _ => None,
        }
    }

    pub(crate) fn double(&self, name: &CStr, index: usize) -> Option<f64> {
        match self.get(name)? {
            PropValue::Double(v) => v.get(index).copied(),
            _ => None,
        }
    }

    pub(crate) fn doubles(&self, name: &CStr) -> Option<Vec<f64>> {
        match self.get(name)? {
            PropValue::Double(v) => Some(v),
            _ => None,
        }
    }

    // ---- the Property suite's rules ----

    /// `propSet*`: the plugin writes one value. Setting index 0 of a property the host did not define
    /// creates it (plugins set properties newer than this host knows; refusing them breaks real
    /// plugins), anything else follows the spec: `ErrUnknown`, `ErrBadIndex`, `ErrValue` on a type
    /// mismatch or a read-only set.
    pub(crate) fn plugin_set(&self, name: &CStr, index: c_int, value: Scalar) -> Status {
        let ty = value.prop_type();
        let status = self.plugin_set_inner(name, index, value);
        if status.is_error() {
            self.note_failed_set(name, &format!("[{index}]"), ty, status);
        }
        status
    }

    /// Records a refused write as plugin misuse (a wrong type or index is a plugin bug).
    fn note_failed_set(&self, name: &CStr, at: &str, ty: PropType, status: Status) {
        super::objects::note_misuse(format!(
            "setting {}{at} ({ty:?}) on the {} failed: {status}",
            name.to_string_lossy(),
            self.what
        ));
    }

    fn plugin_set_inner(&self, name: &CStr, index: c_int, value: Scalar) -> Status {
        if !self.writable {
            tracing::warn!(set = self.what, property = ?name, "plugin tried to write a read-only property set");
            return Status::ERR_VALUE;
        }
        let Ok(index) = usize::try_from(index) else {
            return Status::ERR_BAD_INDEX;
        };
        let mut props = lock(&self.props);
        let Some(prop) = props.get_mut(name) else {
            if index != 0 {
                return Status::ERR_UNKNOWN;
            }
            tracing::debug!(set = self.what, property = ?name, "plugin created a property the host does not define");
            let ty = value.prop_type();
            let mut v = PropValue::empty(ty);
            v.put(0, value);
            props.insert(
                name.to_owned(),
                Property {
                    default: PropValue::empty(ty),
                    value: v,
                    fixed: false,
                },
            );
            return Status::OK;
        };
        if prop.value.prop_type() != value.prop_type() {
            return Status::ERR_VALUE;
        }
        if prop.fixed && index >= prop.value.len() {
            return Status::ERR_BAD_INDEX;
        }
        if prop.value.put(index, value) {
            Status::OK
        } else {
            Status::ERR_BAD_INDEX
        }
    }

    /// `propSet*N`: the plugin writes the first `values.len()` values. A variable-dimension property
    /// takes exactly these values (setting 2 supported depths after 4 leaves 2).
    pub(crate) fn plugin_set_n(&self, name: &CStr, ty: PropType, values: Vec<Scalar>) -> Status {
        let count = values.len();
        let status = self.plugin_set_n_inner(name, ty, values);
        if status.is_error() {
            self.note_failed_set(name, &format!("[0..{count}]"), ty, status);
        }
        status
    }

    fn plugin_set_n_inner(&self, name: &CStr, ty: PropType, values: Vec<Scalar>) -> Status {
        if !self.writable {
            tracing::warn!(set = self.what, property = ?name, "plugin tried to write a read-only property set");
            return Status::ERR_VALUE;
        }
        let mut props = lock(&self.props);
        let count = values.len();
        let prop = match props.get_mut(name) {
            Some(p) => p,
            None => {
                tracing::debug!(set = self.what, property = ?name, "plugin created a property the host does not define");
                props.entry(name.to_owned()).or_insert(Property {
                    default: PropValue::empty(ty),
                    value: PropValue::empty(ty),
                    fixed: false,
                })
            }
        };
        if prop.value.prop_type() != ty {
            return Status::ERR_VALUE;
        }
        if prop.fixed && count > prop.value.len() {
            return Status::ERR_BAD_INDEX;
        }
        let mut next = prop.value.clone();
        for (i, v) in values.into_iter().enumerate() {
            if !next.put(i, v) {
                return Status::ERR_VALUE;
            }
        }
        if !prop.fixed {
            next.truncate(count);
        }
        prop.value = next;
        Status::OK
    }

    /// `propGet*`: one value, `ErrUnknown` / `ErrValue` (type) / `ErrBadIndex`.
    pub(crate) fn plugin_get(
        &self,
        name: &CStr,
        index: c_int,
        ty: PropType,
    ) -> Result<Scalar, Status> {
        let Ok(index) = usize::try_from(index) else {
            return Err(Status::ERR_BAD_INDEX);
        };
        let props = lock(&self.props);
        let prop = props.get(name).ok_or(Status::ERR_UNKNOWN)?;
        if prop.value.prop_type() != ty {
            return Err(Status::ERR_VALUE);
        }
        prop.value.scalar(index).ok_or(Status::ERR_BAD_INDEX)
    }

    /// `propGetString`: a pointer to the stored string, valid until the property changes.
    pub(crate) fn plugin_get_str(
        &self,
        name: &CStr,
        index: c_int,
    ) -> Result<*const c_char, Status> {
        let Ok(index) = usize::try_from(index) else {
            return Err(Status::ERR_BAD_INDEX);
        };
        let props = lock(&self.props);
        let prop = props.get(name).ok_or(Status::ERR_UNKNOWN)?;
        match &prop.value {
            PropValue::String(v) => v
                .get(index)
                .map(|s| s.as_ptr())
                .ok_or(Status::ERR_BAD_INDEX),
            _ => Err(Status::ERR_VALUE),
        }
    }

    /// `propGet*N`: the first `count` values (`ErrBadIndex` if there are fewer).
    pub(crate) fn plugin_get_n(
        &self,
        name: &CStr,
        count: c_int,
        ty: PropType,
    ) -> Result<PropValue, Status> {
        let Ok(count) = usize::try_from(count) else {
            return Err(Status::ERR_BAD_INDEX);
        };
        let props = lock(&self.props);
        let prop = props.get(name).ok_or(Status::ERR_UNKNOWN)?;
        if prop.value.prop_type() != ty {
            return Err(Status::ERR_VALUE);
        }
        if count > prop.value.len() {
            return Err(Status::ERR_BAD_INDEX);
        }
        let mut v = prop.value.clone();
        v.truncate(count);
        Ok(v)
    }

    /// `propGetStringN`: pointers to the first `count` stored strings.
    pub(crate) fn plugin_get_str_n(
        &self,
        name: &CStr,
        count: c_int,
    ) -> Result<Vec<*const c_char>, Status> {
        let Ok(count) = usize::try_from(count) else {
            return Err(Status::ERR_BAD_INDEX);
        };
        let props = lock(&self.props);
        let prop = props.get(name).ok_or(Status::ERR_UNKNOWN)?;
        match &prop.value {
            PropValue::String(v) if count <= v.len() => {
                Ok(v[..count].iter().map(|s| s.as_ptr()).collect())
            }
            PropValue::String(_) => Err(Status::ERR_BAD_INDEX),
            _ => Err(Status::ERR_VALUE),
        }
    }

    /// `propReset`: back to the value the host defined.
    pub(crate) fn plugin_reset(&self, name: &CStr) -> Status {
        if !self.writable {
            return Status::ERR_VALUE;
        }
        let mut props = lock(&self.props);
        match props.get_mut(name) {
            Some(p) => {
                p.value = p.default.clone();
                Status::OK
            }
            None => Status::ERR_UNKNOWN,
        }
    }

    /// `propGetDimension`.
    pub(crate) fn plugin_dimension(&self, name: &CStr) -> Result<usize, Status> {
        lock(&self.props)
            .get(name)
            .map(|p| p.value.len())
            .ok_or(Status::ERR_UNKNOWN)
    }
}

impl std::fmt::Debug for PropertySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PropertySet")
            .field("what", &self.what)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_and_statuses() {
        let set = PropertySet::new("test");
        set.define_int(c"A", 1);
        set.define_strs(c"List", &[]);
        assert_eq!(set.plugin_get(c"A", 0, PropType::Int), Ok(Scalar::Int(1)));
        assert_eq!(
            set.plugin_get(c"A", 1, PropType::Int),
            Err(Status::ERR_BAD_INDEX)
        );
        assert_eq!(
            set.plugin_get(c"A", -1, PropType::Int),
            Err(Status::ERR_BAD_INDEX)
        );
        assert_eq!(
            set.plugin_get(c"A", 0, PropType::Double),
            Err(Status::ERR_VALUE)
        );
        assert_eq!(
            set.plugin_get(c"Nope", 0, PropType::Int),
            Err(Status::ERR_UNKNOWN)
        );
        // A fixed dimension does not grow; a variable one appends at its end only.
        assert_eq!(
            set.plugin_set(c"A", 1, Scalar::Int(2)),
            Status::ERR_BAD_INDEX
        );
        assert_eq!(
            set.plugin_set(c"A", 0, Scalar::Double(2.0)),
            Status::ERR_VALUE
        );
        assert_eq!(
            set.plugin_set(c"List", 0, Scalar::String(c"x".into())),
            Status::OK
        );
        assert_eq!(
            set.plugin_set(c"List", 2, Scalar::String(c"z".into())),
            Status::ERR_BAD_INDEX
        );
        assert_eq!(
            set.plugin_set(c"List", 1, Scalar::String(c"y".into())),
            Status::OK
        );
        assert_eq!(set.plugin_dimension(c"List"), Ok(2));
        assert_eq!(set.plugin_dimension(c"Nope"), Err(Status::ERR_UNKNOWN));
    }

    #[test]
    fn unknown_properties_are_created_at_index_zero_only() {
        let set = PropertySet::new("test");
        assert_eq!(
            set.plugin_set(c"New", 1, Scalar::Int(1)),
            Status::ERR_UNKNOWN
        );
        assert_eq!(set.plugin_set(c"New", 0, Scalar::Int(1)), Status::OK);
        assert_eq!(set.plugin_set(c"New", 1, Scalar::Int(2)), Status::OK);
        assert_eq!(set.get(c"New"), Some(PropValue::Int(vec![1, 2])));
        // Reset of a plugin-created property empties it.
        assert_eq!(set.plugin_reset(c"New"), Status::OK);
        assert_eq!(set.plugin_dimension(c"New"), Ok(0));
        assert_eq!(set.plugin_reset(c"Other"), Status::ERR_UNKNOWN);
    }

    #[test]
    fn set_n_replaces_variable_and_prefixes_fixed() {
        let set = PropertySet::new("test");
        set.define_strs(c"Depths", &[c"a", c"b", c"c"]);
        set.define_doubles(c"Rect", &[0.0, 0.0, 0.0, 0.0]);
        let two = vec![Scalar::String(c"x".into()), Scalar::String(c"y".into())];
        assert_eq!(
            set.plugin_set_n(c"Depths", PropType::String, two),
            Status::OK
        );
        assert_eq!(set.strings(c"Depths"), Some(vec![c"x".into(), c"y".into()]));
        assert_eq!(
            set.plugin_set_n(c"Rect", PropType::Double, vec![Scalar::Double(1.0)]),
            Status::OK
        );
        assert_eq!(set.doubles(c"Rect"), Some(vec![1.0, 0.0, 0.0, 0.0]));
        let five = vec![Scalar::Double(1.0); 5];
        assert_eq!(
            set.plugin_set_n(c"Rect", PropType::Double, five),
            Status::ERR_BAD_INDEX
        );
        assert_eq!(
            set.plugin_set_n(c"Rect", PropType::Int, vec![Scalar::Int(1)]),
            Status::ERR_VALUE
        );
        assert_eq!(
            set.plugin_get_n(c"Rect", 5, PropType::Double),
            Err(Status::ERR_BAD_INDEX)
        );
        assert_eq!(set.plugin_reset(c"Rect"), Status::OK);
        assert_eq!(set.doubles(c"Rect"), Some(vec![0.0; 4]));
    }

    #[test]
    fn read_only_sets_refuse_writes() {
        let set = PropertySet::read_only("host");
        set.define_int(c"A", 1);
        assert_eq!(set.plugin_set(c"A", 0, Scalar::Int(2)), Status::ERR_VALUE);
        assert_eq!(set.plugin_reset(c"A"), Status::ERR_VALUE);
        assert_eq!(set.int(c"A", 0), Some(1));
    }

    #[test]
    fn string_pointers_stay_valid_until_the_property_changes() {
        let set = PropertySet::new("test");
        set.define_str(c"S", c"hello");
        let p = set.plugin_get_str(c"S", 0).unwrap();
        set.define_int(c"Other", 1); // the map may rebalance; the string's heap buffer does not move
        // SAFETY: `p` points into the stored CString, which has not been changed or dropped.
        assert_eq!(unsafe { CStr::from_ptr(p) }, c"hello");
    }
}
