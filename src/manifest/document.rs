//! A manifest document as written: every field optional (what it leaves out comes from lower layers).
//!
//! Parsed in one pass over a `serde_json::Value` so that every wrong value is reported with its path
//! (`inputs[0].normalize.std: expected 3 numbers, found 2`) and every unknown key becomes a warning
//! (with a "did you mean" when a known key is close) instead of an error: documents written for a later
//! minor revision of the schema still load.

use serde_json::{Map, Value};

use super::error::{Error, FieldError, Origin, Warning};
use super::types::{
    ChannelOrder, Encoding, InputKind, Layout, Normalize, Numbers, OutputRole, Preset,
    ScalarDefault, SizeConstraint, TileSize,
};
use super::{MAX_DOCUMENT_BYTES, SCHEMA, SCHEMA_PREFIX, SCHEMA_VERSION};

/// The largest width, height, multiple or tile side a document may state.
pub const MAX_SIDE: u64 = 1 << 16;
/// The largest scale factor a document may state.
pub const MAX_SCALE: u64 = 64;
/// The most inputs or outputs a document may list.
pub const MAX_TENSORS: usize = 256;
/// The largest |time_offset| in frames.
pub const MAX_TIME_OFFSET: i64 = 100_000;

const ROOT_KEYS: &[&str] = &[
    "schema",
    "name",
    "version",
    "task",
    "license",
    "authors",
    "source",
    "description",
    "inputs",
    "outputs",
    "tiling",
];
const INPUT_KEYS: &[&str] = &[
    "name",
    "kind",
    "clip",
    "time_offset",
    "layout",
    "channels",
    "normalize",
    "encoding",
    "hdr",
    "size",
    "default",
    "min",
    "max",
    "state_of",
];
const OUTPUT_KEYS: &[&str] = &[
    "name",
    "role",
    "layout",
    "channels",
    "normalize",
    "encoding",
    "hdr",
    "scale",
];
const TILING_KEYS: &[&str] = &["tile", "overlap"];
const NORMALIZE_KEYS: &[&str] = &["range", "mean", "std", "max_pixel_value", "scale", "offset"];
const SIZE_KEYS: &[&str] = &["multiple_of", "fixed"];

/// Model information as written (all optional).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InfoLayer {
    pub name: Option<String>,
    pub version: Option<String>,
    pub task: Option<String>,
    pub license: Option<String>,
    pub authors: Option<Vec<String>>,
    pub source: Option<String>,
    pub description: Option<String>,
}

/// The per-tensor fields as one layer states them (all optional). Inputs use `kind`, `clip`,
/// `time_offset` and `size`; outputs use `scale` and `role`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TensorLayer {
    pub kind: Option<InputKind>,
    pub clip: Option<String>,
    pub time_offset: Option<i64>,
    pub layout: Option<Layout>,
    pub channels: Option<ChannelOrder>,
    pub normalize: Option<Normalize>,
    pub encoding: Option<Encoding>,
    pub hdr: Option<bool>,
    pub size: Option<SizeConstraint>,
    pub scale: Option<usize>,
    pub role: Option<OutputRole>,
    pub default: Option<ScalarDefault>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub state_of: Option<String>,
}

/// One entry of `inputs` or `outputs`.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorEntry {
    /// The graph's tensor name.
    pub name: String,
    pub layer: TensorLayer,
}

/// `tiling` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TilingLayer {
    pub tile: Option<TileSize>,
    pub overlap: Option<usize>,
}

/// A parsed manifest document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    pub info: InfoLayer,
    /// `None` when the document has no `inputs` key.
    pub inputs: Option<Vec<TensorEntry>>,
    pub outputs: Option<Vec<TensorEntry>>,
    pub tiling: TilingLayer,
}

impl Document {
    /// Parses a document. `Ok` carries the warnings (unknown keys); `Err` lists every wrong value.
    pub fn parse(text: &str, origin: &Origin) -> Result<(Document, Vec<Warning>), Error> {
        let size = text.len() as u64;
        if size > MAX_DOCUMENT_BYTES {
            return Err(Error::TooLarge {
                origin: origin.clone(),
                size,
                limit: MAX_DOCUMENT_BYTES,
            });
        }
        let value: Value = serde_json::from_str(text).map_err(|e| Error::Json {
            origin: origin.clone(),
            line: e.line(),
            column: e.column(),
            message: json_message(&e),
        })?;
        Document::from_value(&value, origin)
    }

    /// Parses bytes that should be UTF-8 JSON.
    pub fn parse_bytes(bytes: &[u8], origin: &Origin) -> Result<(Document, Vec<Warning>), Error> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let before = &bytes[..e.valid_up_to()];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            Error::Json {
                origin: origin.clone(),
                line,
                column,
                message: "not UTF-8 text".to_string(),
            }
        })?;
        Document::parse(text, origin)
    }

    /// Parses an already decoded JSON value.
    pub fn from_value(value: &Value, origin: &Origin) -> Result<(Document, Vec<Warning>), Error> {
        let mut p = Parser {
            origin: origin.clone(),
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        let document = p.document(value);
        if p.errors.is_empty()
            && let Some(document) = document
        {
            Ok((document, p.warnings))
        } else {
            Err(Error::Invalid { errors: p.errors })
        }
    }
}

/// serde_json's message without its " at line L column C" tail (we report those separately).
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            let ellipsis = if short.len() < s.len() { "…" } else { "" };
            format!("the string \"{short}{ellipsis}\"")
        }
        Value::Array(a) => format!("a list of {}", a.len()),
        Value::Object(_) => "an object".to_string(),
    }
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let current = row[j + 1];
            let substitute = previous + usize::from(ca != cb);
            row[j + 1] = substitute.min(row[j] + 1).min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

/// The closest known key within 2 edits (ignoring case), if any.
fn suggestion<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let lower = key.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (distance(&lower, k), *k))
        .filter(|(d, k)| *d <= 2 && *d < k.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// A note for an unknown key that is a known key in the wrong place.
type Hint = fn(&str) -> Option<&'static str>;

struct Parser {
    origin: Origin,
    errors: Vec<FieldError>,
    warnings: Vec<Warning>,
}

impl Parser {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            origin: self.origin.clone(),
            path: path.into(),
            message: message.into(),
        });
    }

    fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Warning {
            origin: self.origin.clone(),
            path: path.into(),
            message: message.into(),
        });
    }

    /// The value as an object; warns about keys not in `known` (keys starting with `x-` are left alone:
    /// they are for tools and people, documented as such).
    fn object<'v>(
        &mut self,
        value: &'v Value,
        path: &str,
        known: &[&str],
        hint: Hint,
    ) -> Option<&'v Map<String, Value>> {
        let Value::Object(map) = value else {
            self.error(
                path,
                format!("expected an object, found {}", describe(value)),
            );
            return None;
        };
        for key in map.keys() {
            if known.contains(&key.as_str()) || key.starts_with("x-") {
                continue;
            }
            let message = if let Some(h) = hint(key) {
                format!("unknown key ignored: {h}")
            } else if let Some(s) = suggestion(key, known) {
                format!("unknown key ignored (did you mean \"{s}\"?)")
            } else {
                "unknown key ignored".to_string()
            };
            self.warn(join(path, key), message);
        }
        Some(map)
    }

    fn string(&mut self, value: &Value, path: &str) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            other => {
                self.error(
                    path,
                    format!("expected a string, found {}", describe(other)),
                );
                None
            }
        }
    }

    fn non_empty_string(&mut self, value: &Value, path: &str) -> Option<String> {
        let s = self.string(value, path)?;
        if s.trim().is_empty() {
            self.error(path, "must not be empty");
            return None;
        }
        Some(s)
    }

    fn boolean(&mut self, value: &Value, path: &str) -> Option<bool> {
        match value {
            Value::Bool(b) => Some(*b),
            other => {
                self.error(
                    path,
                    format!("expected true or false, found {}", describe(other)),
                );
                None
            }
        }
    }

    fn whole(&mut self, value: &Value, path: &str, min: u64, max: u64) -> Option<u64> {
        match value.as_u64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.error(
                    path,
                    format!(
                        "expected a whole number from {min} to {max}, found {}",
                        describe(value)
                    ),
                );
                None
            }
        }
    }

    fn side(&mut self, value: &Value, path: &str) -> Option<usize> {
        self.whole(value, path, 1, MAX_SIDE)
            .and_then(|n| usize::try_from(n).ok())
    }

    fn number(&mut self, value: &Value, path: &str) -> Option<f64> {
        match value.as_f64() {
            Some(n) if n.is_finite() => Some(n),
            _ => {
                self.error(
                    path,
                    format!("expected a number, found {}", describe(value)),
                );
                None
            }
        }
    }

    fn choice<T>(
        &mut self,
        value: &Value,
        path: &str,
        parse: fn(&str) -> Option<T>,
        names: &[&str],
    ) -> Option<T> {
        let text = self.string(value, path)?;
        let parsed = parse(&text);
        if parsed.is_none() {
            self.error(
                path,
                format!(
                    "unknown value \"{text}\" (expected one of: {})",
                    names.join(", ")
                ),
            );
        }
        parsed
    }

    fn document(&mut self, value: &Value) -> Option<Document> {
        let root = self.object(value, "", ROOT_KEYS, root_hint)?;
        match root.get("schema") {
            None => {
                self.error(
                    "schema",
                    format!("missing: a manifest starts with \"schema\": \"{SCHEMA}\""),
                );
                return None;
            }
            Some(v) => {
                let text = self.string(v, "schema")?;
                let major = text
                    .strip_prefix(SCHEMA_PREFIX)
                    .and_then(|rest| rest.split('.').next())
                    .and_then(|m| m.parse::<u32>().ok());
                match major {
                    Some(SCHEMA_VERSION) => {}
                    Some(m) if m > SCHEMA_VERSION => {
                        self.error(
                            "schema",
                            format!(
                                "\"{text}\" is a newer schema than this onnxfx reads \
                                 (\"{SCHEMA}\"): update onnxfx"
                            ),
                        );
                        return None;
                    }
                    _ => {
                        self.error("schema", format!("\"{text}\" is not \"{SCHEMA}\""));
                        return None;
                    }
                }
            }
        }

        let mut doc = Document {
            info: self.info(root),
            ..Document::default()
        };
        if let Some(v) = root.get("inputs") {
            doc.inputs = self.entries(v, "inputs", true);
        }
        if let Some(v) = root.get("outputs") {
            doc.outputs = self.entries(v, "outputs", false);
        }
        if let Some(v) = root.get("tiling") {
            doc.tiling = self.tiling(v, "tiling").unwrap_or_default();
        }
        Some(doc)
    }

    fn info(&mut self, root: &Map<String, Value>) -> InfoLayer {
        let mut text = |key: &str| root.get(key).and_then(|v| self.string(v, key));
        let mut info = InfoLayer {
            name: text("name"),
            version: None,
            task: text("task"),
            license: text("license"),
            authors: None,
            source: text("source"),
            description: text("description"),
        };
        info.version = match root.get("version") {
            None => None,
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(v) => self.string(v, "version"),
        };
        info.authors = match root.get("authors") {
            None => None,
            Some(Value::String(s)) => Some(vec![s.clone()]),
            Some(Value::Array(list)) => {
                let mut authors = Vec::new();
                for (i, v) in list.iter().enumerate() {
                    if let Some(s) = self.string(v, &format!("authors[{i}]")) {
                        authors.push(s);
                    }
                }
                Some(authors)
            }
            Some(other) => {
                self.error(
                    "authors",
                    format!("expected a list of strings, found {}", describe(other)),
                );
                None
            }
        };
        info
    }

    fn entries(&mut self, value: &Value, path: &str, inputs: bool) -> Option<Vec<TensorEntry>> {
        let Value::Array(list) = value else {
            self.error(path, format!("expected a list, found {}", describe(value)));
            return None;
        };
        if list.len() > MAX_TENSORS {
            self.error(
                path,
                format!("{} entries: at most {MAX_TENSORS}", list.len()),
            );
            return None;
        }
        let mut entries: Vec<TensorEntry> = Vec::new();
        for (i, v) in list.iter().enumerate() {
            let entry_path = format!("{path}[{i}]");
            let Some(entry) = self.entry(v, &entry_path, inputs) else {
                continue;
            };
            if entries.iter().any(|e| e.name == entry.name) {
                self.error(
                    join(&entry_path, "name"),
                    format!("\"{}\" is listed twice", entry.name),
                );
                continue;
            }
            entries.push(entry);
        }
        Some(entries)
    }

    fn entry(&mut self, value: &Value, path: &str, input: bool) -> Option<TensorEntry> {
        let (known, hint): (&[&str], Hint) = if input {
            (INPUT_KEYS, input_hint)
        } else {
            (OUTPUT_KEYS, output_hint)
        };
        let map = self.object(value, path, known, hint)?;
        let name = match map.get("name") {
            None => {
                self.error(join(path, "name"), "missing: the graph's tensor name");
                None
            }
            Some(v) => self.non_empty_string(v, &join(path, "name")),
        };
        let mut layer = TensorLayer::default();
        for (key, v) in map {
            let at = join(path, key);
            match key.as_str() {
                "kind" if input => {
                    layer.kind = self.choice(
                        v,
                        &at,
                        InputKind::parse,
                        &names(&InputKind::ALL, InputKind::name),
                    );
                }
                "default" if input => {
                    layer.default = match v {
                        serde_json::Value::String(t) => Some(ScalarDefault::Text(t.clone())),
                        _ => self.number(v, &at).map(ScalarDefault::Number),
                    };
                }
                "min" if input => layer.min = self.number(v, &at),
                "max" if input => layer.max = self.number(v, &at),
                "state_of" if input => layer.state_of = self.non_empty_string(v, &at),
                "clip" if input => layer.clip = self.non_empty_string(v, &at),
                "time_offset" if input => {
                    layer.time_offset = match v.as_i64() {
                        Some(t) if t.abs() <= MAX_TIME_OFFSET => Some(t),
                        _ => {
                            self.error(
                                &at,
                                format!(
                                    "expected a whole number of frames from -{MAX_TIME_OFFSET} to \
                                     {MAX_TIME_OFFSET}, found {}",
                                    describe(v)
                                ),
                            );
                            None
                        }
                    }
                }
                "size" if input => layer.size = self.size(v, &at),
                "scale" if !input => {
                    layer.scale = self
                        .whole(v, &at, 1, MAX_SCALE)
                        .and_then(|n| usize::try_from(n).ok());
                }
                "role" if !input => {
                    layer.role = self.choice(
                        v,
                        &at,
                        OutputRole::parse,
                        &names(&OutputRole::ALL, OutputRole::name),
                    );
                }
                "layout" => {
                    layer.layout =
                        self.choice(v, &at, Layout::parse, &names(&Layout::ALL, Layout::name));
                }
                "channels" => {
                    layer.channels = self.choice(
                        v,
                        &at,
                        ChannelOrder::parse,
                        &names(&ChannelOrder::ALL, ChannelOrder::name),
                    );
                }
                "encoding" => {
                    layer.encoding = self.choice(
                        v,
                        &at,
                        Encoding::from_name,
                        &names(&Encoding::ALL, Encoding::name),
                    );
                }
                "hdr" => layer.hdr = self.boolean(v, &at),
                "normalize" => layer.normalize = self.normalize(v, &at),
                _ => {}
            }
        }
        Some(TensorEntry { name: name?, layer })
    }

    fn size(&mut self, value: &Value, path: &str) -> Option<SizeConstraint> {
        if let Value::String(s) = value {
            if s.eq_ignore_ascii_case("any") {
                return Some(SizeConstraint::Any);
            }
            self.error(
                path,
                format!(
                    "unknown value \"{s}\" (expected \"any\", {{\"multiple_of\": N}} or \
                     {{\"fixed\": [width, height]}})"
                ),
            );
            return None;
        }
        let map = self.object(value, path, SIZE_KEYS, no_hint)?;
        match (map.get("multiple_of"), map.get("fixed")) {
            (Some(n), None) => self
                .side(n, &join(path, "multiple_of"))
                .map(SizeConstraint::MultipleOf),
            (None, Some(fixed)) => {
                let (width, height) = self.pair(fixed, &join(path, "fixed"))?;
                Some(SizeConstraint::Fixed { width, height })
            }
            _ => {
                self.error(
                    path,
                    "expected exactly one of \"multiple_of\" or \"fixed\" (or the string \"any\")",
                );
                None
            }
        }
    }

    /// `[width, height]`, each 1..=MAX_SIDE.
    fn pair(&mut self, value: &Value, path: &str) -> Option<(usize, usize)> {
        match value {
            Value::Array(list) if list.len() == 2 => {
                let w = self.side(&list[0], &format!("{path}[0]"));
                let h = self.side(&list[1], &format!("{path}[1]"));
                Some((w?, h?))
            }
            other => {
                self.error(
                    path,
                    format!("expected [width, height], found {}", describe(other)),
                );
                None
            }
        }
    }

    fn tiling(&mut self, value: &Value, path: &str) -> Option<TilingLayer> {
        let map = self.object(value, path, TILING_KEYS, no_hint)?;
        let mut tiling = TilingLayer::default();
        if let Some(v) = map.get("tile") {
            let at = join(path, "tile");
            tiling.tile = if v.is_array() {
                self.pair(v, &at)
                    .map(|(width, height)| TileSize { width, height })
            } else {
                self.side(v, &at).map(|n| TileSize {
                    width: n,
                    height: n,
                })
            };
        }
        if let Some(v) = map.get("overlap") {
            tiling.overlap = self
                .whole(v, &join(path, "overlap"), 0, MAX_SIDE)
                .and_then(|n| usize::try_from(n).ok());
        }
        if let (Some(tile), Some(overlap)) = (tiling.tile, tiling.overlap)
            && 2 * overlap >= tile.width.min(tile.height)
        {
            self.error(
                join(path, "overlap"),
                format!(
                    "{overlap} on each side leaves nothing of a {}x{} tile: it must be less than \
                     half the tile",
                    tile.width, tile.height
                ),
            );
        }
        Some(tiling)
    }

    fn normalize(&mut self, value: &Value, path: &str) -> Option<Normalize> {
        if let Value::String(s) = value {
            let preset = Preset::parse(s);
            if preset.is_none() {
                let presets: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
                self.error(
                    path,
                    format!(
                        "unknown value \"{s}\" (expected one of: {}, or an object with \"range\", \
                         \"mean\"/\"std\" or \"scale\"/\"offset\")",
                        presets.join(", ")
                    ),
                );
            }
            return preset.map(Normalize::Preset);
        }
        let map = self.object(value, path, NORMALIZE_KEYS, no_hint)?;
        let has = |k: &str| map.contains_key(k);
        let forms = [
            has("range"),
            has("mean") || has("std") || has("max_pixel_value"),
            has("scale") || has("offset"),
        ];
        if forms.iter().filter(|&&f| f).count() != 1 {
            self.error(
                path,
                "expected one form: {\"range\": [low, high]}, {\"mean\": [...], \"std\": [...]} or \
                 {\"scale\": [...], \"offset\": [...]}",
            );
            return None;
        }
        if forms[0] {
            let at = join(path, "range");
            let range = map.get("range")?;
            let Value::Array(list) = range else {
                self.error(
                    &at,
                    format!("expected [low, high], found {}", describe(range)),
                );
                return None;
            };
            if list.len() != 2 {
                self.error(
                    &at,
                    format!("expected [low, high], found a list of {}", list.len()),
                );
                return None;
            }
            let low = self.number(&list[0], &format!("{at}[0]"));
            let high = self.number(&list[1], &format!("{at}[1]"));
            let (low, high) = (low?, high?);
            if low == high {
                self.error(&at, "low and high must differ (the map must be invertible)");
                return None;
            }
            return Some(Normalize::Range { low, high });
        }
        if forms[1] {
            let mean = self.required_numbers(map, path, "mean", false);
            let std = self.required_numbers(map, path, "std", true);
            let max_pixel_value = match map.get("max_pixel_value") {
                None => Some(1.0),
                Some(v) => {
                    let at = join(path, "max_pixel_value");
                    match self.number(v, &at) {
                        Some(m) if m > 0.0 => Some(m),
                        Some(_) => {
                            self.error(at, "must be greater than 0");
                            None
                        }
                        None => None,
                    }
                }
            };
            return Some(Normalize::MeanStd {
                mean: mean?,
                std: std?,
                max_pixel_value: max_pixel_value?,
            });
        }
        let scale = self.required_numbers(map, path, "scale", true);
        let offset = match map.get("offset") {
            None => Some(Numbers::All(0.0)),
            Some(v) => self.numbers(v, &join(path, "offset"), false),
        };
        Some(Normalize::Affine {
            scale: scale?,
            offset: offset?,
        })
    }

    fn required_numbers(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
        key: &str,
        non_zero: bool,
    ) -> Option<Numbers> {
        let at = join(path, key);
        match map.get(key) {
            None => {
                self.error(at, "missing");
                None
            }
            Some(v) => self.numbers(v, &at, non_zero),
        }
    }

    /// A number, or a list of 1 to 4 numbers (one per channel; its length is checked against the
    /// channel order when the description is resolved).
    fn numbers(&mut self, value: &Value, path: &str, non_zero: bool) -> Option<Numbers> {
        let numbers = match value {
            Value::Number(_) => Numbers::All(self.number(value, path)?),
            Value::Array(list) if (1..=4).contains(&list.len()) => {
                let mut values = Vec::with_capacity(list.len());
                for (i, v) in list.iter().enumerate() {
                    values.push(self.number(v, &format!("{path}[{i}]")));
                }
                Numbers::PerChannel(values.into_iter().collect::<Option<Vec<f64>>>()?)
            }
            other => {
                self.error(
                    path,
                    format!(
                        "expected a number or a list of 1 to 4 numbers (one per channel), found {}",
                        describe(other)
                    ),
                );
                return None;
            }
        };
        if non_zero {
            let values = numbers.values();
            if let Some(i) = values.iter().position(|&v| v == 0.0) {
                let at = match numbers {
                    Numbers::All(_) => path.to_string(),
                    Numbers::PerChannel(_) => format!("{path}[{i}]"),
                };
                self.error(at, "must not be 0 (the map must be invertible)");
                return None;
            }
        }
        Some(numbers)
    }
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|&t| name(t)).collect()
}

fn no_hint(_: &str) -> Option<&'static str> {
    None
}

fn root_hint(key: &str) -> Option<&'static str> {
    match key {
        "licence" => Some("the key is \"license\""),
        "tile" | "overlap" => Some("put it under \"tiling\""),
        "layout" | "channels" | "normalize" | "encoding" | "hdr" | "size" | "scale" | "role" => {
            Some("it belongs to an entry of \"inputs\" or \"outputs\"")
        }
        "model" => Some("name, version, task, license, authors and source are top-level keys"),
        _ => None,
    }
}

fn input_hint(key: &str) -> Option<&'static str> {
    match key {
        "scale" | "role" => Some("only outputs have it"),
        "tile" | "overlap" | "tiling" => {
            Some("tiling is model-wide: put it under the top-level \"tiling\"")
        }
        "range" | "mean" | "std" => Some("it belongs under \"normalize\""),
        _ => None,
    }
}

fn output_hint(key: &str) -> Option<&'static str> {
    match key {
        "size" => Some("only inputs have it (an output's size is the input's times \"scale\")"),
        "kind" | "clip" | "time_offset" | "default" | "min" | "max" | "state_of" => {
            Some("only inputs have it")
        }
        "tile" | "overlap" | "tiling" => {
            Some("tiling is model-wide: put it under the top-level \"tiling\"")
        }
        "range" | "mean" | "std" => Some("it belongs under \"normalize\""),
        _ => None,
    }
}
