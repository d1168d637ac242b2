//! Short lower-case names for the OpenFX enumerations, as `ofx-host` prints, parses and serialises them
//! (`filter`, `float`, `rgba`, `instance-safe`).

use crate::types::{Components, Context, PixelDepth, Premultiplication, RenderThreadSafety};

pub fn context(c: Context) -> &'static str {
    match c {
        Context::Filter => "filter",
        Context::General => "general",
        Context::Generator => "generator",
        Context::Transition => "transition",
        Context::Paint => "paint",
        Context::Retimer => "retimer",
    }
}

pub fn depth(d: PixelDepth) -> &'static str {
    match d {
        PixelDepth::Byte => "byte",
        PixelDepth::Short => "short",
        PixelDepth::Half => "half",
        PixelDepth::Float => "float",
    }
}

pub fn components(c: Components) -> &'static str {
    match c {
        Components::Rgba => "rgba",
        Components::Rgb => "rgb",
        Components::Alpha => "alpha",
    }
}

pub fn premultiplication(p: Premultiplication) -> &'static str {
    match p {
        Premultiplication::Opaque => "opaque",
        Premultiplication::PreMultiplied => "premultiplied",
        Premultiplication::UnPreMultiplied => "unpremultiplied",
    }
}

pub fn thread_safety(t: RenderThreadSafety) -> &'static str {
    match t {
        RenderThreadSafety::Unsafe => "unsafe",
        RenderThreadSafety::InstanceSafe => "instance-safe",
        RenderThreadSafety::FullySafe => "fully-safe",
    }
}

/// The context a short name (or the OpenFX constant) names.
pub fn parse_context(s: &str) -> Option<Context> {
    Context::ALL
        .iter()
        .copied()
        .find(|c| context(*c).eq_ignore_ascii_case(s) || c.as_str() == s)
}

/// The depth a short name (or the OpenFX constant) names.
pub fn parse_depth(s: &str) -> Option<PixelDepth> {
    PixelDepth::ALL
        .iter()
        .copied()
        .find(|d| depth(*d).eq_ignore_ascii_case(s) || d.as_str() == s)
}

/// The components a short name (or the OpenFX constant) names.
pub fn parse_components(s: &str) -> Option<Components> {
    Components::ALL
        .iter()
        .copied()
        .find(|c| components(*c).eq_ignore_ascii_case(s) || c.as_str() == s)
}

/// Serde helpers writing the short names.
pub(crate) mod ser {
    use serde::Serializer;
    use serde::ser::SerializeSeq;

    use crate::types::{Components, Context, PixelDepth, RenderThreadSafety};

    fn list<S: Serializer, T: Copy>(
        items: &[T],
        name: fn(T) -> &'static str,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(items.len()))?;
        for i in items {
            seq.serialize_element(name(*i))?;
        }
        seq.end()
    }

    pub(crate) fn contexts<S: Serializer>(v: &[Context], s: S) -> Result<S::Ok, S::Error> {
        list(v, super::context, s)
    }

    pub(crate) fn context<S: Serializer>(v: &Context, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::context(*v))
    }

    pub(crate) fn depths<S: Serializer>(v: &[PixelDepth], s: S) -> Result<S::Ok, S::Error> {
        list(v, super::depth, s)
    }

    pub(crate) fn components<S: Serializer>(v: &[Components], s: S) -> Result<S::Ok, S::Error> {
        list(v, super::components, s)
    }

    pub(crate) fn thread_safety<S: Serializer>(
        v: &RenderThreadSafety,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::thread_safety(*v))
    }
}
