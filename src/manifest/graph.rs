//! What the graph says about its tensors, as plain data. The engine fills it from ONNX Runtime's session
//! (names, element types, shapes); [`super::onnx::read_summary`] fills it from the protobuf. This module
//! only reads it: which layout, channel count, fixed size and scale the shapes imply.

use std::fmt;

use super::types::{ChannelOrder, Layout, SizeConstraint};

/// One dimension of a declared shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dim {
    /// A static size (> 0).
    Fixed(u64),
    /// A symbolic size (`dim_param`, e.g. `"N"`, `"height"`).
    Named(String),
    /// Neither (or a value ≤ 0, which ONNX Runtime reports for dynamic dimensions).
    Unknown,
}

impl Dim {
    /// From ONNX Runtime's view: a value (-1 when dynamic) and a symbol (empty when none).
    pub fn from_value_and_symbol(value: i64, symbol: &str) -> Dim {
        if value > 0 {
            Dim::Fixed(value.unsigned_abs())
        } else if !symbol.is_empty() {
            Dim::Named(symbol.to_string())
        } else {
            Dim::Unknown
        }
    }

    pub fn fixed(&self) -> Option<u64> {
        match self {
            Dim::Fixed(v) => Some(*v),
            _ => None,
        }
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Fixed(v) => write!(f, "{v}"),
            Dim::Named(name) => f.write_str(name),
            Dim::Unknown => f.write_str("?"),
        }
    }
}

/// An ONNX `TensorProto.DataType` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ElemType(pub i32);

impl ElemType {
    pub const FLOAT: ElemType = ElemType(1);
    pub const UINT8: ElemType = ElemType(2);
    pub const FLOAT16: ElemType = ElemType(10);
    pub const DOUBLE: ElemType = ElemType(11);
    pub const BFLOAT16: ElemType = ElemType(16);

    /// ONNX's name for it (`float`, `float16`, `int64` ...), or `type N`.
    pub fn name(self) -> String {
        let known = match self.0 {
            1 => "float",
            2 => "uint8",
            3 => "int8",
            4 => "uint16",
            5 => "int16",
            6 => "int32",
            7 => "int64",
            8 => "string",
            9 => "bool",
            10 => "float16",
            11 => "double",
            12 => "uint32",
            13 => "uint64",
            14 => "complex64",
            15 => "complex128",
            16 => "bfloat16",
            17 => "float8e4m3fn",
            18 => "float8e4m3fnuz",
            19 => "float8e5m2",
            20 => "float8e5m2fnuz",
            21 => "uint4",
            22 => "int4",
            23 => "float4e2m1",
            _ => return format!("type {}", self.0),
        };
        known.to_string()
    }
}

/// One graph input or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphTensor {
    pub name: String,
    /// `None` for non-tensor values (sequences, maps) or when the graph does not say.
    pub elem_type: Option<ElemType>,
    /// `None` when the graph declares no shape.
    pub shape: Option<Vec<Dim>>,
    /// Per-dimension denotations (`DATA_BATCH`, `DATA_CHANNEL`, `DATA_FEATURE`), when the graph has them;
    /// empty or the same length as `shape`.
    pub dim_denotations: Vec<Option<String>>,
    /// The type denotation (`IMAGE`, `TENSOR` ...), when the graph has one.
    pub denotation: Option<String>,
}

impl GraphTensor {
    /// A tensor from plain dims (what ONNX Runtime gives).
    pub fn new(
        name: impl Into<String>,
        elem_type: Option<ElemType>,
        shape: Option<Vec<Dim>>,
    ) -> Self {
        GraphTensor {
            name: name.into(),
            elem_type,
            shape,
            dim_denotations: Vec::new(),
            denotation: None,
        }
    }

    pub fn rank(&self) -> Option<usize> {
        self.shape.as_ref().map(Vec::len)
    }

    pub fn dim(&self, axis: usize) -> Option<&Dim> {
        self.shape.as_ref().and_then(|s| s.get(axis))
    }

    /// `[N, 3, H, W]`, or `(no shape)`.
    pub fn shape_text(&self) -> String {
        match &self.shape {
            None => "(no shape)".to_string(),
            Some(dims) => {
                let parts: Vec<String> = dims.iter().map(Dim::to_string).collect();
                format!("[{}]", parts.join(", "))
            }
        }
    }

    /// The layout the shape implies: a `DATA_CHANNEL` denotation on axis 1 or 3 decides; otherwise a
    /// static 1, 3 or 4 on axis 1 means NCHW, else on axis 3 NHWC. `None` when the shape cannot tell.
    pub fn implied_layout(&self) -> Option<Layout> {
        if self.rank() != Some(4) {
            return None;
        }
        for layout in Layout::ALL {
            let axis = layout.channel_axis();
            if let Some(Some(d)) = self.dim_denotations.get(axis)
                && d == "DATA_CHANNEL"
            {
                return Some(layout);
            }
        }
        let channel_like = |axis| {
            self.dim(axis)
                .and_then(Dim::fixed)
                .is_some_and(|c| matches!(c, 1 | 3 | 4))
        };
        if channel_like(1) {
            Some(Layout::Nchw)
        } else if channel_like(3) {
            Some(Layout::Nhwc)
        } else {
            None
        }
    }

    /// The static channel count under `layout`.
    pub fn channel_count(&self, layout: Layout) -> Option<u64> {
        if self.rank() != Some(4) {
            return None;
        }
        self.dim(layout.channel_axis()).and_then(Dim::fixed)
    }

    /// The usual channel order for the static channel count under `layout`.
    pub fn implied_channels(&self, layout: Layout) -> Option<ChannelOrder> {
        self.channel_count(layout).and_then(ChannelOrder::for_count)
    }

    /// `Fixed` when height and width are both static under `layout`.
    pub fn implied_size(&self, layout: Layout) -> Option<SizeConstraint> {
        let (h, w) = self.spatial(layout)?;
        Some(SizeConstraint::Fixed {
            width: usize::try_from(w.fixed()?).ok()?,
            height: usize::try_from(h.fixed()?).ok()?,
        })
    }

    /// (height, width) dims under `layout`.
    pub fn spatial(&self, layout: Layout) -> Option<(&Dim, &Dim)> {
        if self.rank() != Some(4) {
            return None;
        }
        Some((
            self.dim(layout.height_axis())?,
            self.dim(layout.width_axis())?,
        ))
    }
}

/// What a caller knows of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphInfo {
    /// `GraphProto.name`.
    pub name: Option<String>,
    /// The real inputs (initializers excluded).
    pub inputs: Vec<GraphTensor>,
    pub outputs: Vec<GraphTensor>,
}

/// The scale the shapes imply between an input and an output: `Some(s)` when both spatial sizes are
/// static and the output is `s` times the input on both axes, or when both axes use the same symbol on
/// both sides (`s = 1`). `Err` with a reason when static sizes are not a whole common multiple.
pub fn implied_scale(
    input: &GraphTensor,
    input_layout: Layout,
    output: &GraphTensor,
    output_layout: Layout,
) -> Result<Option<usize>, String> {
    let (Some((ih, iw)), Some((oh, ow))) =
        (input.spatial(input_layout), output.spatial(output_layout))
    else {
        return Ok(None);
    };
    if let (Dim::Named(a), Dim::Named(b), Dim::Named(c), Dim::Named(d)) = (ih, iw, oh, ow)
        && a == c
        && b == d
    {
        return Ok(Some(1));
    }
    let (Some(ih), Some(iw), Some(oh), Some(ow)) = (ih.fixed(), iw.fixed(), oh.fixed(), ow.fixed())
    else {
        return Ok(None);
    };
    if oh % ih == 0 && ow % iw == 0 && oh / ih == ow / iw && oh >= ih {
        Ok(usize::try_from(oh / ih).ok())
    } else {
        Err(format!(
            "the output is {ow}x{oh} for a {iw}x{ih} input, not a whole multiple of it"
        ))
    }
}
