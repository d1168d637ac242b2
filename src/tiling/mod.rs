//! Any resolution: running a model tile by tile.
//!
//! - [`plan`](mod@plan): which source pixels each run reads (overlap, reflect padding to the model's
//!   size), which part of the region it answers for, where its output lands (× the model's scale);
//!   tile size from a memory budget.
//! - [`pad`]: reflect padding of a tile to the model's input size, cropping back.
//! - [`blend`]: feathered accumulation of tile outputs into the output frame.
//! - [`par`]: splitting whole-frame passes over the cores.
//!
//! Pure geometry and arithmetic on [`crate::pixels::Planar`] and [`ofx_sdk::RectI`]: no OFX handles,
//! no runtime. The render glue drives it:
//!
//! ```text
//! let plan = plan(&PlanRequest { region, context: source_bounds, scale, constraint, tile, overlap,
//!                                feather: default_feather(overlap) })?;
//! let mut blender = Blender::new(&plan, out_channels);
//! for tile in &plan.tiles {
//!     let input = pad_reflect(model_input(read_rgba(tile.read, ..)?), tile.pad);
//!     blender.add(tile, &model.run(&input)?)?;
//! }
//! let output = blender.finish(); // covers plan.output(), row 0 at the top
//! ```

pub mod blend;
pub mod pad;
pub mod par;
pub mod plan;

#[cfg(test)]
mod equivalence;

pub use blend::Blender;
pub use pad::{crop, pad_reflect, reflect_index, unpad};
pub use plan::{
    DEFAULT_FEATURES, MIN_CORE, Pad, PlanRequest, SizeConstraint, Tile, TileCost, TilePlan,
    TilingError, auto_tile_size, default_feather, plan,
};
