//! Tiling: filled in by the tiling work (issue 4).
