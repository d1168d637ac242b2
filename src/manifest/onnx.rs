//! The ONNX protobuf at the wire level: read `metadata_props` and the graph's inputs and outputs, and
//! set one `metadata_props` entry, without ONNX Runtime and without loading the model.
//!
//! Models can be gigabytes. Reading walks the top-level fields of `ModelProto` and `seek`s over every
//! length-delimited field it does not need (weights, nodes), so memory stays bounded by the limits below
//! whatever the file's size. Writing copies every top-level field byte for byte, drops the entries with
//! our key and appends the new entry at the end (protobuf readers accept fields in any order), into a
//! temporary file in the same folder that is then renamed over the model.
//!
//! Hand-written rather than `prost`: prost decodes whole messages into memory and drops the fields it
//! does not know, and both matter here; what we need of the wire format is varints, tags and lengths.
//! Field numbers are those of `onnx/onnx.proto` (IR version 10), which are stable across IR versions.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::MAX_DOCUMENT_BYTES;
use super::error::Error;
use super::graph::{Dim, ElemType, GraphInfo, GraphTensor};

/// The longest key, tensor name or graph name read (bytes).
pub const MAX_NAME_BYTES: u64 = 64 * 1024;
/// The longest `doc_string` read; longer ones are skipped.
pub const MAX_DOC_STRING_BYTES: u64 = 64 * 1024;
/// The longest `metadata_props` value read; longer ones are skipped (reported as too large).
pub const MAX_METADATA_VALUE_BYTES: u64 = MAX_DOCUMENT_BYTES;
/// The most `metadata_props` entries read.
pub const MAX_METADATA_ENTRIES: usize = 4096;
/// The most graph inputs, and outputs, read.
pub const MAX_GRAPH_TENSORS: usize = 4096;
/// The most dimensions of one shape.
pub const MAX_DIMS: usize = 64;
/// The most initializer names remembered (to tell real inputs from weights listed as inputs, IR < 4).
pub const MAX_INITIALIZER_NAMES: usize = 1 << 20;

const VARINT: u8 = 0;
const I64: u8 = 1;
const LEN: u8 = 2;
const I32: u8 = 5;

// ModelProto
const MODEL_IR_VERSION: u32 = 1;
const MODEL_PRODUCER_NAME: u32 = 2;
const MODEL_PRODUCER_VERSION: u32 = 3;
const MODEL_VERSION: u32 = 5;
const MODEL_DOC_STRING: u32 = 6;
const MODEL_GRAPH: u32 = 7;
const MODEL_METADATA_PROPS: u32 = 14;
// StringStringEntryProto
const ENTRY_KEY: u32 = 1;
const ENTRY_VALUE: u32 = 2;
// GraphProto
const GRAPH_NAME: u32 = 2;
const GRAPH_INITIALIZER: u32 = 5;
const GRAPH_INPUT: u32 = 11;
const GRAPH_OUTPUT: u32 = 12;
// TensorProto
const TENSOR_NAME: u32 = 8;
// ValueInfoProto
const VALUE_INFO_NAME: u32 = 1;
const VALUE_INFO_TYPE: u32 = 2;
// TypeProto
const TYPE_TENSOR: u32 = 1;
const TYPE_DENOTATION: u32 = 6;
// TypeProto.Tensor
const TENSOR_TYPE_ELEM: u32 = 1;
const TENSOR_TYPE_SHAPE: u32 = 2;
// TensorShapeProto
const SHAPE_DIM: u32 = 1;
// TensorShapeProto.Dimension
const DIM_VALUE: u32 = 1;
const DIM_PARAM: u32 = 2;
const DIM_DENOTATION: u32 = 3;

/// A malformed protobuf: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// Byte offset in the file.
    pub offset: u64,
    pub message: String,
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "byte {}: {}", self.offset, self.message)
    }
}

type Wired<T> = Result<T, WireError>;

/// One `metadata_props` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataEntry {
    pub key: String,
    /// `None` when the value is longer than [`MAX_METADATA_VALUE_BYTES`] or not UTF-8.
    pub value: Option<String>,
    /// The value's length in bytes.
    pub value_len: u64,
}

/// What the model file says about itself, read without loading it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OnnxSummary {
    pub ir_version: Option<u64>,
    pub producer_name: Option<String>,
    pub producer_version: Option<String>,
    pub model_version: Option<i64>,
    pub doc_string: Option<String>,
    /// In file order. Entries whose key is longer than [`MAX_NAME_BYTES`] or not UTF-8 are left out.
    pub metadata: Vec<MetadataEntry>,
    pub graph: GraphInfo,
}

impl OnnxSummary {
    /// The values of the entries with this key, in file order (`None` for unreadable ones).
    pub fn metadata_values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a MetadataEntry> {
        self.metadata.iter().filter(move |e| e.key == key)
    }
}

struct Wire<R> {
    inner: R,
    pos: u64,
}

impl<R: Read + Seek> Wire<R> {
    fn fail<T>(&self, message: impl Into<String>) -> Wired<T> {
        Err(WireError {
            offset: self.pos,
            message: message.into(),
        })
    }

    fn io<T>(&self, e: &io::Error) -> Wired<T> {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            self.fail("unexpected end of file")
        } else {
            self.fail(format!("read error: {e}"))
        }
    }

    fn byte(&mut self, end: u64) -> Wired<u8> {
        if self.pos >= end {
            return self.fail("a value runs past the end of its message");
        }
        let mut b = [0u8; 1];
        if let Err(e) = self.inner.read_exact(&mut b) {
            return self.io(&e);
        }
        self.pos += 1;
        Ok(b[0])
    }

    fn varint(&mut self, end: u64) -> Wired<u64> {
        let mut value = 0u64;
        for i in 0..10 {
            let b = self.byte(end)?;
            if i == 9 && b > 1 {
                return self.fail("a varint overflows 64 bits");
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        self.fail("a varint is longer than 10 bytes")
    }

    /// (field number, wire type).
    fn tag(&mut self, end: u64) -> Wired<(u32, u8)> {
        let key = self.varint(end)?;
        let field = key >> 3;
        let wire = (key & 7) as u8;
        if field == 0 || field > (1 << 29) - 1 {
            return self.fail(format!("field number {field} is not valid"));
        }
        match u32::try_from(field) {
            Ok(field) => Ok((field, wire)),
            Err(_) => self.fail(format!("field number {field} is not valid")),
        }
    }

    /// A length prefix, checked against the enclosing message's end.
    fn len(&mut self, end: u64) -> Wired<u64> {
        let n = self.varint(end)?;
        if n > end.saturating_sub(self.pos) {
            return self.fail(format!(
                "a field of {n} bytes runs past the end of its message ({} bytes left)",
                end.saturating_sub(self.pos)
            ));
        }
        Ok(n)
    }

    fn skip(&mut self, n: u64, end: u64) -> Wired<()> {
        if n > end.saturating_sub(self.pos) {
            return self.fail("a value runs past the end of its message");
        }
        let Ok(delta) = i64::try_from(n) else {
            return self.fail("a field is too long");
        };
        if let Err(e) = self.inner.seek_relative(delta) {
            return self.io(&e);
        }
        self.pos += n;
        Ok(())
    }

    fn skip_field(&mut self, wire: u8, end: u64) -> Wired<()> {
        match wire {
            VARINT => self.varint(end).map(drop),
            I64 => self.skip(8, end),
            LEN => {
                let n = self.len(end)?;
                self.skip(n, end)
            }
            I32 => self.skip(4, end),
            3 | 4 => self.fail("protobuf groups (wire types 3 and 4) are not used by ONNX"),
            other => self.fail(format!("wire type {other} does not exist")),
        }
    }

    fn bytes(&mut self, n: u64) -> Wired<Vec<u8>> {
        let Ok(size) = usize::try_from(n) else {
            return self.fail("a field is too long");
        };
        let mut buf = vec![0u8; size];
        if let Err(e) = self.inner.read_exact(&mut buf) {
            return self.io(&e);
        }
        self.pos += n;
        Ok(buf)
    }

    /// A length-delimited string of at most `max` bytes: `Ok(None)` (skipped) when longer or not UTF-8.
    fn string(&mut self, end: u64, max: u64) -> Wired<Option<String>> {
        let n = self.len(end)?;
        if n > max {
            self.skip(n, end)?;
            return Ok(None);
        }
        Ok(String::from_utf8(self.bytes(n)?).ok())
    }

    /// A length-delimited string that must be readable (names).
    fn name(&mut self, end: u64, what: &str) -> Wired<String> {
        let start = self.pos;
        match self.string(end, MAX_NAME_BYTES)? {
            Some(s) => Ok(s),
            None => Err(WireError {
                offset: start,
                message: format!("{what} is longer than {MAX_NAME_BYTES} bytes or not UTF-8"),
            }),
        }
    }

    /// The end of a length-delimited sub-message starting here.
    fn message_end(&mut self, end: u64) -> Wired<u64> {
        let n = self.len(end)?;
        Ok(self.pos + n)
    }

    fn model(&mut self, end: u64) -> Wired<OnnxSummary> {
        let mut summary = OnnxSummary::default();
        let mut graph_seen = false;
        while self.pos < end {
            let (field, wire) = self.tag(end)?;
            match (field, wire) {
                (MODEL_IR_VERSION, VARINT) => summary.ir_version = Some(self.varint(end)?),
                (MODEL_PRODUCER_NAME, LEN) => {
                    summary.producer_name = self.string(end, MAX_NAME_BYTES)?;
                }
                (MODEL_PRODUCER_VERSION, LEN) => {
                    summary.producer_version = self.string(end, MAX_NAME_BYTES)?;
                }
                (MODEL_VERSION, VARINT) => {
                    summary.model_version =
                        Some(i64::from_ne_bytes(self.varint(end)?.to_ne_bytes()));
                }
                (MODEL_DOC_STRING, LEN) => {
                    summary.doc_string = self.string(end, MAX_DOC_STRING_BYTES)?
                }
                (MODEL_GRAPH, LEN) => {
                    let graph_end = self.message_end(end)?;
                    summary.graph = self.graph(graph_end)?;
                    graph_seen = true;
                }
                (MODEL_METADATA_PROPS, LEN) => {
                    let entry_end = self.message_end(end)?;
                    let (key, value, value_len) =
                        self.entry(entry_end, MAX_METADATA_VALUE_BYTES)?;
                    if summary.metadata.len() >= MAX_METADATA_ENTRIES {
                        return self.fail(format!(
                            "more than {MAX_METADATA_ENTRIES} metadata_props entries"
                        ));
                    }
                    if let Some(key) = key {
                        summary.metadata.push(MetadataEntry {
                            key,
                            value,
                            value_len,
                        });
                    }
                }
                _ => self.skip_field(wire, end)?,
            }
        }
        if !graph_seen {
            return self.fail("the file has no graph: it is not an ONNX model");
        }
        Ok(summary)
    }

    /// A `StringStringEntryProto`: (key, value, value length); the value is read only up to `max`.
    fn entry(&mut self, end: u64, max: u64) -> Wired<(Option<String>, Option<String>, u64)> {
        let (mut key, mut value, mut value_len) = (None, None, 0);
        while self.pos < end {
            let (field, wire) = self.tag(end)?;
            match (field, wire) {
                (ENTRY_KEY, LEN) => key = self.string(end, MAX_NAME_BYTES)?,
                (ENTRY_VALUE, LEN) => {
                    value_len = self.len(end)?;
                    value = if value_len > max {
                        self.skip(value_len, end)?;
                        None
                    } else {
                        String::from_utf8(self.bytes(value_len)?).ok()
                    };
                }
                _ => self.skip_field(wire, end)?,
            }
        }
        Ok((key, value, value_len))
    }

    fn graph(&mut self, end: u64) -> Wired<GraphInfo> {
        let mut graph = GraphInfo::default();
        let mut initializers: HashSet<String> = HashSet::new();
        while self.pos < end {
            let (field, wire) = self.tag(end)?;
            match (field, wire) {
                (GRAPH_NAME, LEN) => graph.name = Some(self.name(end, "the graph's name")?),
                (GRAPH_INITIALIZER, LEN) => {
                    let tensor_end = self.message_end(end)?;
                    if let Some(name) = self.tensor_name(tensor_end)?
                        && initializers.len() < MAX_INITIALIZER_NAMES
                    {
                        initializers.insert(name);
                    }
                }
                (GRAPH_INPUT | GRAPH_OUTPUT, LEN) => {
                    let info_end = self.message_end(end)?;
                    let tensor = self.value_info(info_end)?;
                    let list = if field == GRAPH_INPUT {
                        &mut graph.inputs
                    } else {
                        &mut graph.outputs
                    };
                    if list.len() >= MAX_GRAPH_TENSORS {
                        return self.fail(format!(
                            "more than {MAX_GRAPH_TENSORS} graph inputs or outputs"
                        ));
                    }
                    list.push(tensor);
                }
                _ => self.skip_field(wire, end)?,
            }
        }
        // Before IR version 4, initializers were also listed as inputs; they are weights, not inputs.
        graph.inputs.retain(|t| !initializers.contains(&t.name));
        Ok(graph)
    }

    /// A `TensorProto`'s name, skipping its data.
    fn tensor_name(&mut self, end: u64) -> Wired<Option<String>> {
        let mut name = None;
        while self.pos < end {
            let (field, wire) = self.tag(end)?;
            if (field, wire) == (TENSOR_NAME, LEN) {
                name = self.string(end, MAX_NAME_BYTES)?;
            } else {
                self.skip_field(wire, end)?;
            }
        }
        Ok(name)
    }

    fn value_info(&mut self, end: u64) -> Wired<GraphTensor> {
        let mut tensor = GraphTensor::new(String::new(), None, None);
        while self.pos < end {
            let (field, wire) = self.tag(end)?;
            match (field, wire) {
                (VALUE_INFO_NAME, LEN) => tensor.name = self.name(end, "a tensor name")?,
                (VALUE_INFO_TYPE, LEN) => {
                    let type_end = self.message_end(end)?;
                    self.type_proto(type_end, &mut tensor)?;
                }
                _ => self.skip_field(wire, end)?,
            }
        }
        Ok(tensor)
    }

    fn type_proto(&mut self, end: u64, tensor: &mut GraphTensor) -> Wired<()> {
        while self.pos < end {
            let (field, wire) = self.tag(end)?;
            match (field, wire) {
                (TYPE_TENSOR, LEN) => {
                    let tensor_end = self.message_end(end)?;
                    self.tensor_type(tensor_end, tensor)?;
                }
                (TYPE_DENOTATION, LEN) => tensor.denotation = self.string(end, MAX_NAME_BYTES)?,
                _ => self.skip_field(wire, end)?,
            }
        }
        Ok(())
    }

    fn tensor_type(&mut self, end: u64, tensor: &mut GraphTensor) -> Wired<()> {
        while self.pos < end {
            let (field, wire) = self.tag(end)?;
            match (field, wire) {
                (TENSOR_TYPE_ELEM, VARINT) => {
                    tensor.elem_type = i32::try_from(self.varint(end)?).ok().map(ElemType);
                }
                (TENSOR_TYPE_SHAPE, LEN) => {
                    let shape_end = self.message_end(end)?;
                    let mut dims = Vec::new();
                    let mut denotations = Vec::new();
                    while self.pos < shape_end {
                        let (field, wire) = self.tag(shape_end)?;
                        if (field, wire) == (SHAPE_DIM, LEN) {
                            if dims.len() >= MAX_DIMS {
                                return self
                                    .fail(format!("a shape has more than {MAX_DIMS} dimensions"));
                            }
                            let dim_end = self.message_end(shape_end)?;
                            let (dim, denotation) = self.dim(dim_end)?;
                            dims.push(dim);
                            denotations.push(denotation);
                        } else {
                            self.skip_field(wire, shape_end)?;
                        }
                    }
                    tensor.shape = Some(dims);
                    tensor.dim_denotations = if denotations.iter().any(Option::is_some) {
                        denotations
                    } else {
                        Vec::new()
                    };
                }
                _ => self.skip_field(wire, end)?,
            }
        }
        Ok(())
    }

    fn dim(&mut self, end: u64) -> Wired<(Dim, Option<String>)> {
        let (mut dim, mut denotation) = (Dim::Unknown, None);
        while self.pos < end {
            let (field, wire) = self.tag(end)?;
            match (field, wire) {
                (DIM_VALUE, VARINT) => {
                    let v = i64::from_ne_bytes(self.varint(end)?.to_ne_bytes());
                    dim = if v > 0 {
                        Dim::Fixed(v.unsigned_abs())
                    } else {
                        Dim::Unknown
                    };
                }
                (DIM_PARAM, LEN) => {
                    dim = match self.string(end, MAX_NAME_BYTES)? {
                        Some(p) if !p.is_empty() => Dim::Named(p),
                        _ => Dim::Unknown,
                    };
                }
                (DIM_DENOTATION, LEN) => denotation = self.string(end, MAX_NAME_BYTES)?,
                _ => self.skip_field(wire, end)?,
            }
        }
        Ok((dim, denotation))
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_len_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_varint(out, u64::from(field) << 3 | u64::from(LEN));
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// The bytes of one top-level `metadata_props` field (tag, length, entry).
pub fn encode_metadata_entry(key: &str, value: &str) -> Vec<u8> {
    let mut entry = Vec::with_capacity(key.len() + value.len() + 12);
    put_len_field(&mut entry, ENTRY_KEY, key.as_bytes());
    put_len_field(&mut entry, ENTRY_VALUE, value.as_bytes());
    let mut field = Vec::with_capacity(entry.len() + 6);
    put_len_field(&mut field, MODEL_METADATA_PROPS, &entry);
    field
}

/// Reads a model's summary from any seekable reader of `len` bytes.
pub fn read_summary_from<R: Read + Seek>(reader: R, len: u64) -> Result<OnnxSummary, WireError> {
    let mut wire = Wire {
        inner: BufReader::with_capacity(64 * 1024, reader),
        pos: 0,
    };
    wire.model(len)
}

/// Reads a model file's summary (metadata and graph inputs and outputs), seeking over everything else.
pub fn read_summary(path: &Path) -> Result<OnnxSummary, Error> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    let len = file.metadata().map_err(io_error)?.len();
    read_summary_from(file, len).map_err(|e| Error::Onnx {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Copies a model from `reader` (`len` bytes) to `out`, byte for byte, without the `metadata_props`
/// entries whose key is `key`, then appends `key = value` when `value` is given. Returns how many
/// entries were dropped. Checks the whole top level first, so nothing is written for a malformed file.
pub fn set_metadata<R: Read + Seek, W: Write>(
    reader: R,
    len: u64,
    out: &mut W,
    key: &str,
    value: Option<&str>,
) -> Result<usize, WireError> {
    let mut wire = Wire {
        inner: BufReader::with_capacity(64 * 1024, reader),
        pos: 0,
    };
    // Pass 1: the byte ranges of our entries.
    let mut drop_ranges: Vec<(u64, u64)> = Vec::new();
    let mut graph_seen = false;
    while wire.pos < len {
        let start = wire.pos;
        let (field, wire_type) = wire.tag(len)?;
        match (field, wire_type) {
            (MODEL_METADATA_PROPS, LEN) => {
                let entry_end = wire.message_end(len)?;
                // Only the key matters here: values are skipped whatever their size.
                let (entry_key, _, _) = wire.entry(entry_end, 0)?;
                if entry_key.as_deref() == Some(key) {
                    drop_ranges.push((start, entry_end));
                }
            }
            (MODEL_GRAPH, LEN) => {
                graph_seen = true;
                wire.skip_field(wire_type, len)?;
            }
            _ => wire.skip_field(wire_type, len)?,
        }
    }
    if !graph_seen {
        return wire.fail("the file has no graph: it is not an ONNX model");
    }
    // Pass 2: copy everything else.
    let mut reader = wire.inner;
    let write_error = |e: io::Error| WireError {
        offset: 0,
        message: format!("write error: {e}"),
    };
    if let Err(e) = reader.seek(SeekFrom::Start(0)) {
        return Err(WireError {
            offset: 0,
            message: format!("read error: {e}"),
        });
    }
    let mut pos = 0u64;
    for &(start, end) in drop_ranges.iter().chain(std::iter::once(&(len, len))) {
        let n = start - pos;
        let copied = io::copy(&mut (&mut reader).take(n), out).map_err(write_error)?;
        if copied != n {
            return Err(WireError {
                offset: pos + copied,
                message: "the file changed while it was being copied".to_string(),
            });
        }
        if end > start {
            let skipped = i64::try_from(end - start)
                .map_err(io::Error::other)
                .and_then(|n| reader.seek_relative(n));
            if let Err(e) = skipped {
                return Err(WireError {
                    offset: start,
                    message: format!("read error: {e}"),
                });
            }
        }
        pos = end;
    }
    if let Some(value) = value {
        out.write_all(&encode_metadata_entry(key, value))
            .map_err(write_error)?;
    }
    Ok(drop_ranges.len())
}

/// Sets (or with `None` removes) the `metadata_props` entry `key` of the model file at `path`, keeping
/// every other byte. Atomic: a temporary file beside the model (same folder, so the same file system)
/// is written, synced and renamed over it, with the model's permissions. A symbolic link is followed
/// and its target replaced. Returns how many old entries with that key were dropped.
pub fn write_metadata(path: &Path, key: &str, value: Option<&str>) -> Result<usize, Error> {
    let target: PathBuf = fs::canonicalize(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let io_error = |source| Error::Io {
        path: target.clone(),
        source,
    };
    let file = File::open(&target).map_err(io_error)?;
    let metadata = file.metadata().map_err(io_error)?;
    let folder = target.parent().unwrap_or(Path::new("."));
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(folder)
        .map_err(io_error)?;
    fs::set_permissions(temp.path(), metadata.permissions()).map_err(io_error)?;
    let mut out = BufWriter::with_capacity(1 << 20, temp.as_file());
    let dropped =
        set_metadata(file, metadata.len(), &mut out, key, value).map_err(|e| Error::Onnx {
            path: target.clone(),
            message: e.to_string(),
        })?;
    out.flush().map_err(io_error)?;
    drop(out);
    temp.as_file().sync_all().map_err(io_error)?;
    temp.persist(&target).map_err(|e| io_error(e.error))?;
    // Make the rename itself durable where the platform allows (best effort).
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(dropped)
}

#[cfg(test)]
pub(crate) mod encode {
    //! Test helpers that build protobuf bytes.
    use super::*;

    pub fn varint_field(out: &mut Vec<u8>, field: u32, value: u64) {
        put_varint(out, u64::from(field) << 3);
        put_varint(out, value);
    }

    pub fn len_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
        put_len_field(out, field, bytes);
    }

    /// The tag and length of a length-delimited field whose payload is written separately.
    pub fn len_prefix(out: &mut Vec<u8>, field: u32, len: u64) {
        put_varint(out, u64::from(field) << 3 | u64::from(LEN));
        put_varint(out, len);
    }

    /// A ValueInfoProto for a float tensor; dims as `Ok(value)` or `Err(param)`.
    pub fn value_info(name: &str, dims: &[Result<i64, &str>]) -> Vec<u8> {
        let mut shape = Vec::new();
        for d in dims {
            let mut dim = Vec::new();
            match d {
                Ok(v) => varint_field(&mut dim, DIM_VALUE, u64::from_ne_bytes(v.to_ne_bytes())),
                Err(p) => len_field(&mut dim, DIM_PARAM, p.as_bytes()),
            }
            len_field(&mut shape, SHAPE_DIM, &dim);
        }
        let mut tensor_type = Vec::new();
        varint_field(&mut tensor_type, TENSOR_TYPE_ELEM, 1);
        len_field(&mut tensor_type, TENSOR_TYPE_SHAPE, &shape);
        let mut type_proto = Vec::new();
        len_field(&mut type_proto, TYPE_TENSOR, &tensor_type);
        let mut info = Vec::new();
        len_field(&mut info, VALUE_INFO_NAME, name.as_bytes());
        len_field(&mut info, VALUE_INFO_TYPE, &type_proto);
        info
    }

    /// A ModelProto with one graph (inputs, outputs, a weight blob of `blob` bytes) and metadata.
    pub fn model(
        inputs: &[Vec<u8>],
        outputs: &[Vec<u8>],
        blob: usize,
        metadata: &[(&str, &str)],
    ) -> Vec<u8> {
        let mut graph = Vec::new();
        len_field(&mut graph, GRAPH_NAME, b"synthetic");
        let mut weight = Vec::new();
        len_field(&mut weight, TENSOR_NAME, b"w");
        len_field(&mut weight, 9, &vec![7u8; blob]); // raw_data
        len_field(&mut graph, GRAPH_INITIALIZER, &weight);
        for i in inputs {
            len_field(&mut graph, GRAPH_INPUT, i);
        }
        for o in outputs {
            len_field(&mut graph, GRAPH_OUTPUT, o);
        }
        let mut model = Vec::new();
        varint_field(&mut model, MODEL_IR_VERSION, 8);
        len_field(&mut model, MODEL_PRODUCER_NAME, b"onnxfx tests");
        len_field(&mut model, MODEL_GRAPH, &graph);
        for (k, v) in metadata {
            model.extend(encode_metadata_entry(k, v));
        }
        model
    }
}
