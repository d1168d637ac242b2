//! Premultiplication and bad-value policy: filled in by the colour work (issue 4).
