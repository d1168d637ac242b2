//! `OfxStatus`: the C status codes, named once.

use std::fmt;

use crate::raw::sys::OfxStatus;

/// An OpenFX status code. The `kOfxStat*` macros are `((int) N)` casts that bindgen skips, so their values
/// are written here once, from `ofxCore.h` and `ofxImageEffect.h`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub OfxStatus);

impl Status {
    pub const OK: Status = Status(0);
    pub const FAILED: Status = Status(1);
    pub const ERR_FATAL: Status = Status(2);
    pub const ERR_UNKNOWN: Status = Status(3);
    pub const ERR_MISSING_HOST_FEATURE: Status = Status(4);
    pub const ERR_UNSUPPORTED: Status = Status(5);
    pub const ERR_EXISTS: Status = Status(6);
    pub const ERR_FORMAT: Status = Status(7);
    pub const ERR_MEMORY: Status = Status(8);
    pub const ERR_BAD_HANDLE: Status = Status(9);
    pub const ERR_BAD_INDEX: Status = Status(10);
    pub const ERR_VALUE: Status = Status(11);
    pub const REPLY_YES: Status = Status(12);
    pub const REPLY_NO: Status = Status(13);
    pub const REPLY_DEFAULT: Status = Status(14);
    pub const ERR_IMAGE_FORMAT: Status = Status(1000);
    pub const GL_OUT_OF_MEMORY: Status = Status(1001);
    pub const GL_RENDER_FAILED: Status = Status(1002);

    const NAMES: [(Status, &'static str); 18] = [
        (Status::OK, "kOfxStatOK"),
        (Status::FAILED, "kOfxStatFailed"),
        (Status::ERR_FATAL, "kOfxStatErrFatal"),
        (Status::ERR_UNKNOWN, "kOfxStatErrUnknown"),
        (
            Status::ERR_MISSING_HOST_FEATURE,
            "kOfxStatErrMissingHostFeature",
        ),
        (Status::ERR_UNSUPPORTED, "kOfxStatErrUnsupported"),
        (Status::ERR_EXISTS, "kOfxStatErrExists"),
        (Status::ERR_FORMAT, "kOfxStatErrFormat"),
        (Status::ERR_MEMORY, "kOfxStatErrMemory"),
        (Status::ERR_BAD_HANDLE, "kOfxStatErrBadHandle"),
        (Status::ERR_BAD_INDEX, "kOfxStatErrBadIndex"),
        (Status::ERR_VALUE, "kOfxStatErrValue"),
        (Status::REPLY_YES, "kOfxStatReplyYes"),
        (Status::REPLY_NO, "kOfxStatReplyNo"),
        (Status::REPLY_DEFAULT, "kOfxStatReplyDefault"),
        (Status::ERR_IMAGE_FORMAT, "kOfxStatErrImageFormat"),
        (Status::GL_OUT_OF_MEMORY, "kOfxStatGLOutOfMemory"),
        (Status::GL_RENDER_FAILED, "kOfxStatGLRenderFailed"),
    ];

    /// The raw code, to hand back across the C ABI.
    pub const fn raw(self) -> OfxStatus {
        self.0
    }

    /// The header's name for this code, if it is one of the standard ones.
    pub fn name(self) -> Option<&'static str> {
        Self::NAMES
            .iter()
            .find(|(s, _)| *s == self)
            .map(|(_, n)| *n)
    }

    /// `OK` and the `Reply*` codes are answers, not failures (as in the Support library's `ofxsCore.cpp`).
    pub fn is_error(self) -> bool {
        !matches!(
            self,
            Status::OK | Status::REPLY_YES | Status::REPLY_NO | Status::REPLY_DEFAULT
        )
    }

    /// Parses a status name as written in the headers (`kOfxStatErrValue`) or without its prefix (`ErrValue`).
    pub fn from_name(name: &str) -> Option<Status> {
        Self::NAMES
            .iter()
            .find(|(_, n)| *n == name || n.strip_prefix("kOfxStat") == Some(name))
            .map(|(s, _)| *s)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown status {}", self.0),
        }
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self} ({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (status, name) in Status::NAMES {
            assert_eq!(status.name(), Some(name));
            assert_eq!(Status::from_name(name), Some(status));
        }
        assert_eq!(
            Status::from_name("ErrImageFormat"),
            Some(Status::ERR_IMAGE_FORMAT)
        );
        assert_eq!(Status(77).name(), None);
        assert_eq!(Status(77).to_string(), "unknown status 77");
    }

    #[test]
    fn replies_are_not_errors() {
        assert!(!Status::OK.is_error());
        assert!(!Status::REPLY_DEFAULT.is_error());
        assert!(Status::FAILED.is_error());
        assert!(Status::ERR_IMAGE_FORMAT.is_error());
    }

    #[test]
    fn ok_matches_the_header() {
        assert_eq!(Status::OK.raw() as u32, crate::raw::sys::kOfxStatOK);
    }
}
