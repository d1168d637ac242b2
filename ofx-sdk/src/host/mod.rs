//! Host side: filled in by the host work.
