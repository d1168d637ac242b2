//! Colour encodings: filled in by the colour work (issue 4).
