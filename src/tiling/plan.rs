//! The tile plan: which source pixels each model run reads, which part of the region it answers for, and
//! where its output lands.
//!
//! Coordinates are OFX pixel coordinates (origin bottom-left, y up). Both axes are planned independently
//! and the tiles are their product, so tiles form a grid of `columns × rows`.
//!
//! Per axis, for a region `[a, b)` of length `L`, a model input length `T` and an overlap `o`:
//! - the cores split `[a, b)` into `n` nearly equal runs (lengths differ by at most one), with `n = 1` when
//!   the region plus the context that exists on either side (at most `o` each) fits in `T`, else
//!   `n = ceil(L / (T - 2o))`;
//! - a tile reads its core widened by `o` on each side, clipped to the context rectangle; when the model
//!   wants a larger input (multiple of N, fixed size), the read first grows into real pixels of the
//!   context, and only what is still missing is reflect-padded (which happens only when the read spans the
//!   whole context on that axis);
//! - its output lands at `core × scale`, and the model's whole output covers `(read + padding) × scale`.

use ofx_sdk::RectI;

/// How the model constrains the spatial size of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SizeConstraint {
    /// Any width and height.
    Any,
    /// Exactly this size (a graph with static height and width).
    Fixed { width: usize, height: usize },
    /// Width and height both multiples of this (networks with strided downsampling).
    MultipleOf(usize),
}

impl SizeConstraint {
    /// Whether an input of `width` x `height` satisfies the constraint.
    pub fn accepts(self, width: usize, height: usize) -> bool {
        match self {
            SizeConstraint::Any => true,
            SizeConstraint::Fixed {
                width: w,
                height: h,
            } => width == w && height == h,
            SizeConstraint::MultipleOf(n) => {
                n > 0 && width.is_multiple_of(n) && height.is_multiple_of(n)
            }
        }
    }
}

/// What to tile and under which constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanRequest {
    /// The source pixels to process (source pixel coordinates). Their cores partition it.
    pub region: RectI,
    /// Source pixels that may be read as context around the region (usually the source image's bounds;
    /// `region` itself for a result that depends on nothing outside it). The plan uses the bounding box of
    /// `context` and `region`.
    pub context: RectI,
    /// The model's spatial scale factor (output pixels per input pixel), at least 1.
    pub scale: usize,
    pub constraint: SizeConstraint,
    /// The model input size per tile (width, height) in source pixels, overlap included. Rounded down to
    /// the constraint's multiple; ignored for fixed-size models.
    pub tile: (usize, usize),
    /// Context pixels read on each side of a core (where they exist).
    pub overlap: usize,
    /// How far (source pixels) a tile's output reaches past its core into its neighbours, with a ramping
    /// weight; at most `overlap`. Outputs agree exactly with an untiled run for a model whose receptive
    /// radius is at most `overlap - feather`. [`default_feather`] gives half the overlap.
    pub feather: usize,
}

/// Half the overlap: the other half gives the feathered pixels their context.
pub fn default_feather(overlap: usize) -> usize {
    overlap / 2
}

/// Reflect padding around a read rectangle, in pixels. `top` is above the read's top row (high y, row 0
/// of a [`crate::pixels::Planar`]), `bottom` below its bottom row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pad {
    pub left: usize,
    pub right: usize,
    pub top: usize,
    pub bottom: usize,
}

impl Pad {
    pub fn is_zero(&self) -> bool {
        *self == Pad::default()
    }
}

/// One model run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// Grid position: column from the left, row from the top.
    pub column: usize,
    pub row: usize,
    /// The source pixels this tile answers for; the cores of a plan partition its region.
    pub core: RectI,
    /// The source pixels to read (inside the context rectangle).
    pub read: RectI,
    /// Reflect padding that brings `read` to the model's input size.
    pub pad: Pad,
    /// `core × scale`: the output pixels this tile answers for.
    pub output: RectI,
}

impl Tile {
    /// The model input: `read` widened by `pad`, in (virtual) source coordinates.
    pub fn input(&self) -> RectI {
        RectI::new(
            offset(self.read.x1, -signed(self.pad.left)),
            offset(self.read.y1, -signed(self.pad.bottom)),
            offset(self.read.x2, signed(self.pad.right)),
            offset(self.read.y2, signed(self.pad.top)),
        )
    }

    /// The model input's (width, height).
    pub fn input_size(&self) -> (usize, usize) {
        let r = self.input();
        (r.width(), r.height())
    }
}

/// A plan: the tiles in reading order (rows from the top, columns from the left).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TilePlan {
    pub region: RectI,
    pub scale: usize,
    pub feather: usize,
    pub columns: usize,
    pub rows: usize,
    pub tiles: Vec<Tile>,
}

impl TilePlan {
    /// `region × scale`: the output pixels the plan produces.
    pub fn output(&self) -> RectI {
        scale_rect(self.region, self.scale)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TilingError {
    #[error("the model's scale factor must be at least 1")]
    ZeroScale,
    #[error("a size multiple of 0 pixels is meaningless")]
    ZeroMultiple,
    #[error("a fixed input size of {width}x{height} pixels cannot hold a tile")]
    ZeroFixedSize { width: usize, height: usize },
    #[error("a {tile}-pixel tile leaves no core between two {overlap}-pixel overlaps")]
    OverlapTooLarge { tile: usize, overlap: usize },
    #[error("the feather ({feather} pixels) must not exceed the overlap ({overlap} pixels)")]
    FeatherTooLarge { feather: usize, overlap: usize },
    #[error("tile coordinates leave the 32-bit pixel range")]
    OutOfRange,
    #[error("a tile's output is {got:?} (channels, width, height); the plan expects {expected:?}")]
    OutputShape {
        expected: (usize, usize, usize),
        got: (usize, usize, usize),
    },
    #[error("tile ({column}, {row}) is not part of the plan being blended")]
    UnknownTile { column: usize, row: usize },
    #[error(
        "a memory budget of {budget} bytes holds no {min_side}-pixel tile at {bytes_per_pixel} bytes per pixel"
    )]
    BudgetTooSmall {
        budget: usize,
        bytes_per_pixel: usize,
        min_side: usize,
    },
}

/// One axis of a tile, in source pixels: `[start, end)` ranges and padding before (low) and after (high).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub core: (i64, i64),
    pub read: (i64, i64),
    pub pad: (usize, usize),
}

#[derive(Debug, Clone, Copy)]
enum Fit {
    Any,
    Multiple(usize),
    Fixed(usize),
}

impl Fit {
    /// The model input length for tiles of nominal length `tile`.
    fn tile_len(self, tile: usize) -> usize {
        match self {
            Fit::Any => tile,
            Fit::Multiple(n) => (tile / n).max(1) * n,
            Fit::Fixed(n) => n,
        }
    }

    /// The input length the model accepts for `len` real pixels.
    fn required(self, len: usize) -> usize {
        match self {
            Fit::Any => len,
            Fit::Multiple(n) => len.div_ceil(n) * n,
            Fit::Fixed(n) => n,
        }
    }
}

/// Plans the tiles of `req`. An empty region gives a plan without tiles.
pub fn plan(req: &PlanRequest) -> Result<TilePlan, TilingError> {
    if req.scale == 0 {
        return Err(TilingError::ZeroScale);
    }
    if req.feather > req.overlap {
        return Err(TilingError::FeatherTooLarge {
            feather: req.feather,
            overlap: req.overlap,
        });
    }
    let (fit_x, fit_y) = match req.constraint {
        SizeConstraint::Any => (Fit::Any, Fit::Any),
        SizeConstraint::MultipleOf(0) => return Err(TilingError::ZeroMultiple),
        SizeConstraint::MultipleOf(n) => (Fit::Multiple(n), Fit::Multiple(n)),
        SizeConstraint::Fixed { width, height } if width == 0 || height == 0 => {
            return Err(TilingError::ZeroFixedSize { width, height });
        }
        SizeConstraint::Fixed { width, height } => (Fit::Fixed(width), Fit::Fixed(height)),
    };
    let r = req.region;
    let mut tiles = Vec::new();
    if r.is_empty() {
        return Ok(TilePlan {
            region: r,
            scale: req.scale,
            feather: req.feather,
            columns: 0,
            rows: 0,
            tiles,
        });
    }
    let c = req.context;
    let (cx, cy) = if c.is_empty() {
        ((r.x1, r.x2), (r.y1, r.y2))
    } else {
        (
            (c.x1.min(r.x1), c.x2.max(r.x2)),
            (c.y1.min(r.y1), c.y2.max(r.y2)),
        )
    };
    let xs = plan_axis((r.x1, r.x2), cx, req.tile.0, req.overlap, fit_x)?;
    let mut ys = plan_axis((r.y1, r.y2), cy, req.tile.1, req.overlap, fit_y)?;
    // Rows from the top: the highest y first.
    ys.reverse();
    tiles.reserve(xs.len() * ys.len());
    for (row, y) in ys.iter().enumerate() {
        for (column, x) in xs.iter().enumerate() {
            let core = rect(x.core, y.core)?;
            tiles.push(Tile {
                column,
                row,
                core,
                read: rect(x.read, y.read)?,
                pad: Pad {
                    left: x.pad.0,
                    right: x.pad.1,
                    top: y.pad.1,
                    bottom: y.pad.0,
                },
                output: checked_scale(core, req.scale)?,
            });
        }
    }
    checked_scale(r, req.scale)?;
    Ok(TilePlan {
        region: r,
        scale: req.scale,
        feather: req.feather,
        columns: xs.len(),
        rows: ys.len(),
        tiles,
    })
}

/// Plans one axis: `region` and `context` are `[start, end)`; `context` contains `region`.
fn plan_axis(
    region: (i32, i32),
    context: (i32, i32),
    tile: usize,
    overlap: usize,
    fit: Fit,
) -> Result<Vec<Span>, TilingError> {
    let (a, b) = (i64::from(region.0), i64::from(region.1));
    let (lo, hi) = (i64::from(context.0), i64::from(context.1));
    let t = fit.tile_len(tile);
    let o = wide(overlap)?;
    let len = b - a;
    let t_i = wide(t)?;
    let step = t_i.saturating_sub(o.saturating_mul(2));
    if step < 1 {
        return Err(TilingError::OverlapTooLarge { tile: t, overlap });
    }
    let before = o.min(a - lo);
    let after = o.min(hi - b);
    let n = if len + before + after <= t_i {
        1
    } else {
        (len + step - 1) / step
    };
    let (base, extra) = (len / n, len % n);
    let mut spans = Vec::with_capacity(usize::try_from(n).map_err(|_| TilingError::OutOfRange)?);
    let mut start = a;
    for i in 0..n {
        let end = start + base + i64::from(i < extra);
        spans.push(span((start, end), (lo, hi), o, fit)?);
        start = end;
    }
    Ok(spans)
}

/// The read and padding of one core.
fn span(core: (i64, i64), (lo, hi): (i64, i64), o: i64, fit: Fit) -> Result<Span, TilingError> {
    let mut r0 = (core.0 - o).max(lo);
    let mut r1 = (core.1 + o).min(hi);
    let len = usize::try_from(r1 - r0).map_err(|_| TilingError::OutOfRange)?;
    let deficit = wide(fit.required(len) - len)?;
    // Real context first, split between both sides; padding only for what the context cannot give.
    let mut take_lo = (deficit / 2).min(r0 - lo);
    let take_hi = (deficit - take_lo).min(hi - r1);
    take_lo += (deficit - take_lo - take_hi).min(r0 - lo - take_lo);
    r0 -= take_lo;
    r1 += take_hi;
    let pad = usize::try_from(deficit - take_lo - take_hi).map_err(|_| TilingError::OutOfRange)?;
    Ok(Span {
        core,
        read: (r0, r1),
        pad: (pad / 2, pad - pad / 2),
    })
}

fn wide(v: usize) -> Result<i64, TilingError> {
    i64::try_from(v).map_err(|_| TilingError::OutOfRange)
}

fn rect(x: (i64, i64), y: (i64, i64)) -> Result<RectI, TilingError> {
    let c = |v: i64| i32::try_from(v).map_err(|_| TilingError::OutOfRange);
    Ok(RectI::new(c(x.0)?, c(y.0)?, c(x.1)?, c(y.1)?))
}

fn checked_scale(r: RectI, s: usize) -> Result<RectI, TilingError> {
    let s = wide(s)?;
    rect(
        (i64::from(r.x1) * s, i64::from(r.x2) * s),
        (i64::from(r.y1) * s, i64::from(r.y2) * s),
    )
}

/// `r × s`, saturating (the plan checked its own rectangles).
pub(crate) fn scale_rect(r: RectI, s: usize) -> RectI {
    let s = i32::try_from(s).unwrap_or(i32::MAX);
    RectI::new(
        r.x1.saturating_mul(s),
        r.y1.saturating_mul(s),
        r.x2.saturating_mul(s),
        r.y2.saturating_mul(s),
    )
}

fn signed(v: usize) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

fn offset(v: i32, d: i32) -> i32 {
    v.saturating_add(d)
}

/// Memory that one tile costs, per model *input* pixel, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileCost {
    pub bytes_per_input_pixel: usize,
}

/// Feature channels assumed for a model that says nothing about itself (64 is the width of the common
/// super-resolution and restoration networks: ESRGAN, SwinIR, NAFNet's first stage).
pub const DEFAULT_FEATURES: usize = 64;

impl TileCost {
    /// An estimate for an `f32` model with `in_channels` → `out_channels` at `scale`, whose widest layers
    /// carry `features` channels at output resolution (a pessimistic place for them), per input pixel:
    ///
    /// - 16 B: the RGBA read of the tile;
    /// - `8 · in_channels` B: the model input, and its padded copy;
    /// - `8 · out_channels · scale²` B: the output tensor inside the runtime and our copy of it;
    /// - `8 · features · scale²` B: two live activation maps (one read, one written), which dominates.
    ///
    /// A heuristic: skip connections and a runtime's arena can need more, so the budget given to
    /// [`auto_tile_size`] should keep a margin (a manifest's preferred tile size overrides all this).
    pub fn estimate(
        in_channels: usize,
        out_channels: usize,
        scale: usize,
        features: usize,
    ) -> Self {
        let s2 = scale.saturating_mul(scale);
        let bytes = 16usize
            .saturating_add(in_channels.saturating_mul(8))
            .saturating_add(out_channels.saturating_mul(8).saturating_mul(s2))
            .saturating_add(features.saturating_mul(8).saturating_mul(s2));
        TileCost {
            bytes_per_input_pixel: bytes,
        }
    }

    /// The estimate for a `width × height` model input.
    pub fn bytes(&self, width: usize, height: usize) -> usize {
        self.bytes_per_input_pixel
            .saturating_mul(width)
            .saturating_mul(height)
    }
}

/// The smallest core [`auto_tile_size`] accepts: below it, overlap dominates the work.
pub const MIN_CORE: usize = 16;

/// The largest square tile (model input, source pixels) whose estimated cost fits `budget` bytes, rounded
/// down to the constraint's multiple. A fixed-size model gets its size whatever the budget (it has no
/// other). Fails when not even a tile with a [`MIN_CORE`] core fits.
pub fn auto_tile_size(
    budget: usize,
    cost: TileCost,
    constraint: SizeConstraint,
    overlap: usize,
) -> Result<(usize, usize), TilingError> {
    let multiple = match constraint {
        SizeConstraint::Fixed { width, height } => return Ok((width, height)),
        SizeConstraint::MultipleOf(0) => return Err(TilingError::ZeroMultiple),
        SizeConstraint::MultipleOf(n) => n,
        SizeConstraint::Any => 1,
    };
    let pixels = budget / cost.bytes_per_input_pixel.max(1);
    let side = (pixels.isqrt() / multiple) * multiple;
    let min_side = overlap.saturating_mul(2).saturating_add(MIN_CORE);
    if side < min_side {
        return Err(TilingError::BudgetTooSmall {
            budget,
            bytes_per_pixel: cost.bytes_per_input_pixel,
            min_side,
        });
    }
    Ok((side, side))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn req(region: RectI, tile: (usize, usize), overlap: usize) -> PlanRequest {
        PlanRequest {
            region,
            context: region,
            scale: 1,
            constraint: SizeConstraint::Any,
            tile,
            overlap,
            feather: default_feather(overlap),
        }
    }

    #[test]
    fn a_region_smaller_than_a_tile_is_one_tile() {
        let r = RectI::new(10, 20, 60, 50);
        let p = plan(&req(r, (64, 64), 8)).unwrap();
        assert_eq!(p.tiles.len(), 1);
        let t = p.tiles[0];
        assert_eq!((t.core, t.read, t.pad), (r, r, Pad::default()));
    }

    #[test]
    fn a_fixed_model_pads_a_small_image_by_reflection_on_both_sides() {
        let r = RectI::new(0, 0, 100, 30);
        let mut q = req(r, (0, 0), 4);
        q.constraint = SizeConstraint::Fixed {
            width: 256,
            height: 256,
        };
        let p = plan(&q).unwrap();
        assert_eq!(p.tiles.len(), 1);
        let t = p.tiles[0];
        assert_eq!(t.read, r);
        assert_eq!(
            t.pad,
            Pad {
                left: 78,
                right: 78,
                bottom: 113,
                top: 113
            }
        );
        assert_eq!(t.input_size(), (256, 256));
    }

    #[test]
    fn an_upscaling_plan_places_outputs_at_core_times_scale() {
        let r = RectI::new(-5, 3, 95, 43);
        let mut q = req(r, (48, 32), 4);
        q.scale = 2;
        let p = plan(&q).unwrap();
        assert_eq!(p.output(), RectI::new(-10, 6, 190, 86));
        assert_eq!((p.columns, p.rows), (3, 2));
        // Reading order: the top row first.
        assert!(p.tiles[0].core.y1 > p.tiles[3].core.y1);
        for t in &p.tiles {
            assert_eq!(t.output, scale_rect(t.core, 2));
        }
    }

    #[test]
    fn context_outside_the_region_is_read_when_it_exists() {
        let r = RectI::new(100, 100, 110, 110);
        let mut q = req(r, (64, 64), 8);
        q.context = RectI::new(0, 0, 105, 1000);
        let t = plan(&q).unwrap().tiles[0];
        assert_eq!(t.read, RectI::new(92, 92, 110, 118));
    }

    #[test]
    fn bad_requests_are_refused() {
        let r = RectI::new(0, 0, 10, 10);
        let mut q = req(r, (8, 8), 4);
        assert_eq!(
            plan(&q),
            Err(TilingError::OverlapTooLarge {
                tile: 8,
                overlap: 4
            })
        );
        q.overlap = 1;
        q.feather = 2;
        assert!(matches!(plan(&q), Err(TilingError::FeatherTooLarge { .. })));
        q.feather = 0;
        q.scale = 0;
        assert_eq!(plan(&q), Err(TilingError::ZeroScale));
        q.scale = 1;
        q.constraint = SizeConstraint::MultipleOf(0);
        assert_eq!(plan(&q), Err(TilingError::ZeroMultiple));
    }

    #[test]
    fn an_8k_frame_through_a_x2_model_stays_within_the_budget() {
        let budget = 1 << 30;
        let cost = TileCost::estimate(3, 3, 2, DEFAULT_FEATURES);
        let tile = auto_tile_size(budget, cost, SizeConstraint::MultipleOf(8), 16).unwrap();
        assert_eq!(tile.0 % 8, 0);
        let region = RectI::new(0, 0, 7680, 4320);
        let mut q = req(region, tile, 16);
        q.scale = 2;
        q.constraint = SizeConstraint::MultipleOf(8);
        let p = plan(&q).unwrap();
        assert!(p.tiles.len() > 1);
        for t in &p.tiles {
            let (w, h) = t.input_size();
            assert!(cost.bytes(w, h) <= budget);
        }
        assert!(matches!(
            auto_tile_size(1000, cost, SizeConstraint::Any, 16),
            Err(TilingError::BudgetTooSmall { .. })
        ));
    }

    fn constraint() -> impl Strategy<Value = SizeConstraint> {
        prop_oneof![
            Just(SizeConstraint::Any),
            (1usize..=16).prop_map(SizeConstraint::MultipleOf),
            (1usize..=80, 1usize..=80)
                .prop_map(|(width, height)| SizeConstraint::Fixed { width, height }),
        ]
    }

    prop_compose! {
        fn request()(
            x in -300i32..300, y in -300i32..300, w in 0i32..220, h in 0i32..220,
            grow in (0i32..40, 0i32..40, 0i32..40, 0i32..40),
            shift in (-50i32..50, -50i32..50),
            scale in 1usize..=4,
            constraint in constraint(),
            tile in (1usize..=90, 1usize..=90),
            overlap in 0usize..=12,
            feather_share in 0usize..=100,
        ) -> PlanRequest {
            let region = RectI::new(x, y, x + w, y + h);
            // Context: around the region, partly overlapping it or not at all.
            let context = RectI::new(
                x - grow.0 + shift.0, y - grow.1 + shift.1,
                x + w + grow.2 + shift.0, y + h + grow.3 + shift.1,
            );
            PlanRequest {
                region, context, scale, constraint, tile, overlap,
                feather: overlap * feather_share / 100,
            }
        }
    }

    fn expand(r: RectI, by: i32) -> RectI {
        RectI::new(r.x1 - by, r.y1 - by, r.x2 + by, r.y2 + by)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn plans_respect_the_geometry(q in request()) {
            let Ok(p) = plan(&q) else {
                // The only refusal a valid request meets: no core between the overlaps.
                let t = match q.constraint {
                    SizeConstraint::Any => q.tile,
                    SizeConstraint::MultipleOf(n) =>
                        ((q.tile.0 / n).max(1) * n, (q.tile.1 / n).max(1) * n),
                    SizeConstraint::Fixed { width, height } => (width, height),
                };
                prop_assert!(t.0 <= 2 * q.overlap || t.1 <= 2 * q.overlap);
                return Ok(());
            };
            let r = q.region;
            let hull = if q.context.is_empty() { r } else {
                RectI::new(
                    q.context.x1.min(r.x1), q.context.y1.min(r.y1),
                    q.context.x2.max(r.x2), q.context.y2.max(r.y2),
                )
            };
            prop_assert_eq!(p.tiles.len(), p.columns * p.rows);
            // Cores partition the region: every pixel in exactly one core, no core outside.
            let (w, h) = (r.width(), r.height());
            let mut count = vec![0u8; w * h];
            for t in &p.tiles {
                prop_assert!(r.contains(&t.core) && !t.core.is_empty());
                for y in t.core.y1..t.core.y2 {
                    for x in t.core.x1..t.core.x2 {
                        let (cx, cy) = (x - r.x1, y - r.y1);
                        count[usize::try_from(cy).unwrap() * w + usize::try_from(cx).unwrap()] += 1;
                    }
                }
            }
            prop_assert!(count.iter().all(|c| *c == 1));
            let o = i32::try_from(q.overlap).unwrap();
            for t in &p.tiles {
                // Output placement is exactly core × scale.
                prop_assert_eq!(t.output, scale_rect(t.core, q.scale));
                // Reads stay in the context hull and hold the core with its overlap, where it exists.
                prop_assert!(hull.contains(&t.read));
                prop_assert!(t.read.contains(&expand(t.core, o).intersect(&hull).unwrap()));
                // The input meets the constraint and never exceeds the tile size.
                let (iw, ih) = t.input_size();
                match q.constraint {
                    SizeConstraint::Any => {
                        // Exactly the core and its overlap: nothing to grow into a size for.
                        prop_assert_eq!(Some(t.read), expand(t.core, o).intersect(&hull));
                        prop_assert!(t.pad.is_zero());
                        prop_assert!(iw <= q.tile.0.max(1) && ih <= q.tile.1.max(1));
                    }
                    SizeConstraint::MultipleOf(n) => {
                        prop_assert!(iw % n == 0 && ih % n == 0);
                        prop_assert!(iw <= (q.tile.0 / n).max(1) * n);
                        prop_assert!(ih <= (q.tile.1 / n).max(1) * n);
                    }
                    SizeConstraint::Fixed { width, height } => {
                        prop_assert_eq!((iw, ih), (width, height));
                    }
                }
                // Padding is exactly what the context lacks: only on an axis the read spans whole,
                // split evenly.
                let (pw, ph) = (t.pad.left + t.pad.right, t.pad.top + t.pad.bottom);
                prop_assert_eq!(iw, t.read.width() + pw);
                prop_assert_eq!(ih, t.read.height() + ph);
                if pw > 0 {
                    prop_assert!(t.read.x1 == hull.x1 && t.read.x2 == hull.x2);
                    prop_assert!(t.pad.right - t.pad.left <= 1);
                }
                if ph > 0 {
                    prop_assert!(t.read.y1 == hull.y1 && t.read.y2 == hull.y2);
                    prop_assert!(t.pad.top - t.pad.bottom <= 1);
                }
            }
            // A region that fits a tile with its context is one tile.
            if let SizeConstraint::Any = q.constraint {
                let fits = |len: usize, before: i32, after: i32, t: usize| {
                    len + before.clamp(0, o) as usize + after.clamp(0, o) as usize <= t
                };
                if !r.is_empty()
                    && fits(w, r.x1 - hull.x1, hull.x2 - r.x2, q.tile.0)
                    && fits(h, r.y1 - hull.y1, hull.y2 - r.y2, q.tile.1)
                {
                    prop_assert_eq!(p.tiles.len(), 1);
                }
            }
        }
    }
}
