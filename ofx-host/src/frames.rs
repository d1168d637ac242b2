//! Frame ranges (`--frames 1-10`) and frame-numbered paths (`in.####.png`, `in.%04d.exr`).

use std::str::FromStr;

/// An inclusive range of frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRange {
    pub first: i64,
    pub last: i64,
}

impl FrameRange {
    pub fn single(frame: i64) -> FrameRange {
        FrameRange {
            first: frame,
            last: frame,
        }
    }

    pub fn frames(&self) -> impl Iterator<Item = i64> {
        self.first..=self.last
    }

    pub fn len(&self) -> u64 {
        self.last.abs_diff(self.first) + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

impl FromStr for FrameRange {
    type Err = String;

    /// `A` or `A-B` with `A <= B`; frames may be negative (`-5--1`).
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("invalid frame range {s:?} (expected A or A-B)");
        let s = s.trim();
        // The separator is a '-' that follows a digit.
        let sep = s
            .char_indices()
            .skip(1)
            .find(|(i, c)| *c == '-' && s.as_bytes()[i - 1].is_ascii_digit());
        let (a, b) = match sep {
            Some((i, _)) => (&s[..i], &s[i + 1..]),
            None => (s, s),
        };
        let first: i64 = a.parse().map_err(|_| bad())?;
        let last: i64 = b.parse().map_err(|_| bad())?;
        if first > last {
            return Err(format!(
                "invalid frame range {s:?}: {first} is after {last}"
            ));
        }
        Ok(FrameRange { first, last })
    }
}

/// Whether a path contains a frame number pattern.
pub fn has_pattern(path: &str) -> bool {
    path.contains('#') || printf_spec(path).is_some()
}

/// The first `%d` / `%0Nd` in `s`: (start, end, width).
fn printf_spec(s: &str) -> Option<(usize, usize, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if b.get(i + 1) == Some(&b'%') {
                i += 2;
                continue;
            }
            let mut j = i + 1;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if b.get(j) == Some(&b'd') {
                let width = s[i + 1..j].parse().unwrap_or(0);
                return Some((i, j + 1, width));
            }
        }
        i += 1;
    }
    None
}

/// `path` with every `#` run replaced by the frame number zero-padded to the run's length, and every
/// `%d`/`%0Nd` by the number padded to N (`%%` is a percent sign).
pub fn expand(path: &str, frame: i64) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    let mut rest = path;
    while !rest.is_empty() {
        if rest.starts_with('#') {
            let n = rest.len() - rest.trim_start_matches('#').len();
            out.push_str(&format!("{frame:0n$}"));
            rest = &rest[n..];
        } else if rest.starts_with("%%") {
            out.push('%');
            rest = &rest[2..];
        } else if let Some((0, end, width)) = printf_spec(rest) {
            out.push_str(&format!("{frame:0width$}"));
            rest = &rest[end..];
        } else {
            let c = rest.chars().next().unwrap_or('#');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges() {
        assert_eq!("1-10".parse(), Ok(FrameRange { first: 1, last: 10 }));
        assert_eq!("7".parse(), Ok(FrameRange::single(7)));
        assert_eq!(
            "-5--1".parse(),
            Ok(FrameRange {
                first: -5,
                last: -1
            })
        );
        assert_eq!("-3".parse(), Ok(FrameRange::single(-3)));
        assert!("5-1".parse::<FrameRange>().is_err());
        assert!("a-b".parse::<FrameRange>().is_err());
        assert_eq!(
            FrameRange { first: 1, last: 3 }
                .frames()
                .collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn expands_patterns() {
        assert_eq!(expand("in.####.png", 7), "in.0007.png");
        assert_eq!(expand("in.#.png", 12), "in.12.png");
        assert_eq!(expand("in.%04d.exr", 42), "in.0042.exr");
        assert_eq!(expand("in.%d.exr", 42), "in.42.exr");
        assert_eq!(expand("a%%b.png", 1), "a%b.png");
        assert_eq!(expand("plain.png", 3), "plain.png");
        assert!(has_pattern("x.###.png") && has_pattern("x.%03d.png"));
        assert!(!has_pattern("x.png") && !has_pattern("100%%.png"));
    }
}
