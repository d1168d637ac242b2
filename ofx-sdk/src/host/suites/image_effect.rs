//! ImageEffect suite V1: effect and clip property sets, clip definition, and the images a render
//! fetches. Images are registered under their property set's handle and tracked per instance, so an
//! image the plugin forgets to release is reported when the instance is destroyed.

use std::ffi::{CString, c_char, c_int};
use std::sync::Arc;

use crate::ofx_str;
use crate::raw::sys::{
    self, OfxImageClipHandle, OfxImageEffectHandle, OfxParamSetHandle, OfxPropertySetHandle,
    OfxRectD, OfxStatus, OfxTime,
};
use crate::status::Status;

use super::memory::{
    image_memory_alloc, image_memory_free, image_memory_lock, image_memory_unlock,
};
use super::{c_str, guard, guard_value, write_out};
use crate::host::handles::{as_ptr, lock};
use crate::host::objects::{
    CLIPS, ClipImage, ClipNode, EFFECTS, EffectKind, IMAGES, ImageNode, RenderSlot, note_misuse,
};
use crate::host::props::{PropValue, PropertySet};

pub(crate) static SUITE: sys::OfxImageEffectSuiteV1 = sys::OfxImageEffectSuiteV1 {
    getPropertySet: Some(get_property_set),
    getParamSet: Some(get_param_set),
    clipDefine: Some(clip_define),
    clipGetHandle: Some(clip_get_handle),
    clipGetPropertySet: Some(clip_get_property_set),
    clipGetImage: Some(clip_get_image),
    clipReleaseImage: Some(clip_release_image),
    clipGetRegionOfDefinition: Some(clip_get_rod),
    abort: Some(abort),
    imageMemoryAlloc: Some(image_memory_alloc),
    imageMemoryFree: Some(image_memory_free),
    imageMemoryLock: Some(image_memory_lock),
    imageMemoryUnlock: Some(image_memory_unlock),
};

unsafe extern "C" fn get_property_set(
    effect: OfxImageEffectHandle,
    out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    guard("getPropertySet", || {
        let effect = EFFECTS.get(effect).ok_or(Status::ERR_BAD_HANDLE)?;
        // SAFETY: the plugin passes storage for one handle.
        unsafe { write_out(out, effect.props.ptr()) }
    })
}

unsafe extern "C" fn get_param_set(
    effect: OfxImageEffectHandle,
    out: *mut OfxParamSetHandle,
) -> OfxStatus {
    guard("getParamSet", || {
        let effect = EFFECTS.get(effect).ok_or(Status::ERR_BAD_HANDLE)?;
        // SAFETY: the plugin passes storage for one handle.
        unsafe { write_out(out, effect.params.ptr()) }
    })
}

/// The properties a clip descriptor starts with (the spec's defaults).
pub(crate) fn clip_descriptor_props(name: &std::ffi::CStr) -> PropertySet {
    let p = PropertySet::new("clip descriptor");
    p.define_str(ofx_str!(kOfxPropType), ofx_str!(kOfxTypeClip));
    p.define_str(ofx_str!(kOfxPropName), name);
    p.define_str(ofx_str!(kOfxPropLabel), name);
    p.define_str(ofx_str!(kOfxPropShortLabel), name);
    p.define_str(ofx_str!(kOfxPropLongLabel), name);
    p.define_strs(ofx_str!(kOfxImageEffectPropSupportedComponents), &[]);
    p.define_int(ofx_str!(kOfxImageEffectPropTemporalClipAccess), 0);
    p.define_int(ofx_str!(kOfxImageClipPropOptional), 0);
    p.define_str(
        ofx_str!(kOfxImageClipPropFieldExtraction),
        ofx_str!(kOfxImageFieldDoubled),
    );
    p.define_int(ofx_str!(kOfxImageClipPropIsMask), 0);
    p.define_int(ofx_str!(kOfxImageEffectPropSupportsTiles), 1);
    p
}

/// A clip descriptor with its type and name only, for hosts that do not pre-fill spec defaults.
fn bare_clip_descriptor_props(name: &std::ffi::CStr) -> PropertySet {
    let p = PropertySet::new("clip descriptor");
    p.define_str(ofx_str!(kOfxPropType), ofx_str!(kOfxTypeClip));
    p.define_str(ofx_str!(kOfxPropName), name);
    p
}

unsafe extern "C" fn clip_define(
    effect: OfxImageEffectHandle,
    name: *const c_char,
    out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    guard("clipDefine", || {
        let effect_id = effect.addr();
        let effect = EFFECTS.get(effect).ok_or(Status::ERR_BAD_HANDLE)?;
        if !matches!(effect.kind, EffectKind::ContextDescriptor(_)) {
            tracing::warn!("clipDefine called outside DescribeInContext");
            return Err(Status::ERR_BAD_HANDLE);
        }
        // SAFETY: the plugin passes a NUL-terminated name.
        let name = unsafe { c_str(name) }.ok_or(Status::ERR_VALUE)?;
        if name.to_str().is_err() {
            tracing::warn!(clip = ?name, "clip name is not UTF-8");
            return Err(Status::ERR_VALUE);
        }
        let mut clips = lock(&effect.clips);
        if clips.iter().any(|c| c.name.as_c_str() == name) {
            note_misuse(format!(
                "clipDefine of {:?}: a clip of that name exists (kOfxStatErrExists)",
                name.to_string_lossy()
            ));
            return Err(Status::ERR_EXISTS);
        }
        let props = if effect.spec_defaults {
            clip_descriptor_props(name)
        } else {
            bare_clip_descriptor_props(name)
        };
        let clip = CLIPS.register(ClipNode::new(name, props, effect_id, false));
        let props = clip.props.ptr();
        clips.push(clip);
        if !out.is_null() {
            // SAFETY: non-null storage for one handle.
            unsafe { out.write(props) };
        }
        Ok(())
    })
}

unsafe extern "C" fn clip_get_handle(
    effect: OfxImageEffectHandle,
    name: *const c_char,
    clip_out: *mut OfxImageClipHandle,
    props_out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    guard("clipGetHandle", || {
        let effect = EFFECTS.get(effect).ok_or(Status::ERR_BAD_HANDLE)?;
        // SAFETY: the plugin passes a NUL-terminated name.
        let name = unsafe { c_str(name) }.ok_or(Status::ERR_UNKNOWN)?;
        let id = effect.clip_handle(name).ok_or(Status::ERR_UNKNOWN)?;
        let clip = CLIPS.get_id(id).ok_or(Status::ERR_UNKNOWN)?;
        // SAFETY: the plugin passes storage for one handle.
        unsafe { write_out(clip_out, as_ptr(id)) }?;
        if !props_out.is_null() {
            // SAFETY: non-null storage for one handle.
            unsafe { props_out.write(clip.props.ptr()) };
        }
        Ok(())
    })
}

unsafe extern "C" fn clip_get_property_set(
    clip: OfxImageClipHandle,
    out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    guard("clipGetPropertySet", || {
        let clip = CLIPS.get(clip).ok_or(Status::ERR_BAD_HANDLE)?;
        // SAFETY: the plugin passes storage for one handle.
        unsafe { write_out(out, clip.props.ptr()) }
    })
}

/// The property set of one fetched image.
fn image_props(image: &ClipImage) -> PropertySet {
    let b = &image.buffer;
    let p = PropertySet::read_only("image");
    p.define_str(ofx_str!(kOfxPropType), ofx_str!(kOfxTypeImage));
    let depth = image.depth_label.as_deref().unwrap_or(b.depth.as_cstr());
    p.define_str(ofx_str!(kOfxImageEffectPropPixelDepth), depth);
    p.define_str(
        ofx_str!(kOfxImageEffectPropComponents),
        b.components.as_cstr(),
    );
    p.define_str(
        ofx_str!(kOfxImageEffectPropPreMultiplication),
        image.premultiplication.as_cstr(),
    );
    p.define_doubles(
        ofx_str!(kOfxImageEffectPropRenderScale),
        &[image.render_scale, image.render_scale],
    );
    p.define_double(ofx_str!(kOfxImagePropPixelAspectRatio), 1.0);
    p.define_ptr(ofx_str!(kOfxImagePropData), b.data_ptr());
    let r = b.bounds;
    p.define_ints(ofx_str!(kOfxImagePropBounds), &[r.x1, r.y1, r.x2, r.y2]);
    let d = image.rod_pixels;
    p.define_ints(
        ofx_str!(kOfxImagePropRegionOfDefinition),
        &[d.x1, d.y1, d.x2, d.y2],
    );
    p.define_int(
        ofx_str!(kOfxImagePropRowBytes),
        c_int::try_from(b.row_bytes).unwrap_or(0),
    );
    p.define_str(ofx_str!(kOfxImagePropField), image.field.as_cstr());
    let uid = CString::new(image.unique_id.clone()).unwrap_or_default();
    p.define(
        ofx_str!(kOfxImagePropUniqueIdentifier),
        PropValue::String(vec![uid]),
    );
    p
}

unsafe extern "C" fn clip_get_image(
    clip: OfxImageClipHandle,
    time: OfxTime,
    _region: *const OfxRectD,
    out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    guard("clipGetImage", || {
        let clip = CLIPS.get(clip).ok_or(Status::ERR_BAD_HANDLE)?;
        let effect = EFFECTS.get_id(clip.effect).ok_or(Status::ERR_BAD_HANDLE)?;
        if !clip.instance || !effect.is_instance() {
            return Err(Status::ERR_BAD_HANDLE);
        }
        if out.is_null() {
            return Err(Status::ERR_VALUE);
        }
        // The whole image is handed out whatever the region. A clip without a frame source answers
        // every time with the current frame; one with a source answers the frames GetFramesNeeded asked
        // for, and no other.
        let Some(image) = clip.image_at(time) else {
            tracing::debug!(clip = ?clip.name, time, "clipGetImage on a clip with no image");
            return Err(Status::FAILED);
        };
        if time != image.time {
            tracing::debug!(clip = ?clip.name, time, current = image.time, "clipGetImage at another time");
        }
        let props = image_props(&image).register();
        let handle = props.ptr();
        let id = props.id();
        let slot = RenderSlot::get();
        IMAGES.insert_at(
            id,
            Arc::new(ImageNode {
                _props: props,
                _buffer: image.buffer,
                effect: clip.effect,
            }),
        );
        lock(&effect.images).push((id, slot));
        // SAFETY: non-null storage for one handle.
        unsafe { out.write(handle) };
        Ok(())
    })
}

unsafe extern "C" fn clip_release_image(image: OfxPropertySetHandle) -> OfxStatus {
    guard("clipReleaseImage", || {
        let node = IMAGES.remove(image.addr()).ok_or(Status::ERR_BAD_HANDLE)?;
        if let Some(effect) = EFFECTS.get_id(node.effect) {
            lock(&effect.images).retain(|(i, _)| *i != image.addr());
        }
        Ok(())
    })
}

unsafe extern "C" fn clip_get_rod(
    clip: OfxImageClipHandle,
    _time: OfxTime,
    out: *mut OfxRectD,
) -> OfxStatus {
    guard("clipGetRegionOfDefinition", || {
        let clip = CLIPS.get(clip).ok_or(Status::ERR_BAD_HANDLE)?;
        if !clip.instance {
            return Err(Status::ERR_BAD_HANDLE);
        }
        let r = *lock(&clip.rod);
        // SAFETY: the plugin passes storage for one rectangle.
        unsafe {
            write_out(
                out,
                OfxRectD {
                    x1: r.x1,
                    y1: r.y1,
                    x2: r.x2,
                    y2: r.y2,
                },
            )
        }
    })
}

unsafe extern "C" fn abort(effect: OfxImageEffectHandle) -> c_int {
    guard_value("abort", 0, || {
        EFFECTS.get(effect).map_or(0, |e| c_int::from(e.aborted()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::objects::EffectNode;
    use crate::host::pixels::PixelBuffer;
    use crate::types::{Components, Context, Field, PixelDepth, Premultiplication, RectI};

    #[test]
    fn images_are_fetched_described_and_released_once() {
        let effect = EFFECTS.register(EffectNode::new(
            EffectKind::Instance(Context::Filter),
            PropertySet::new("t"),
        ));
        let name = ofx_str!(kOfxImageEffectSimpleSourceClipName);
        let clip = CLIPS.register(ClipNode::new(
            name,
            clip_descriptor_props(name),
            effect.id(),
            true,
        ));
        let bounds = RectI::new(0, 0, 4, 3);
        let buffer = PixelBuffer::new(PixelDepth::Short, Components::Rgb, bounds, true).unwrap();
        let s = &SUITE;
        // SAFETY: live handles and valid output storage, as a plugin passes them.
        unsafe {
            let mut img: OfxPropertySetHandle = std::ptr::null_mut();
            let get = s.clipGetImage.unwrap();
            assert_eq!(
                get(clip.ptr(), 1.0, std::ptr::null(), &mut img),
                Status::FAILED.raw()
            );
            clip.set_image(
                0,
                ClipImage {
                    buffer: Arc::new(buffer),
                    rod_pixels: bounds,
                    premultiplication: Premultiplication::Opaque,
                    render_scale: 1.0,
                    field: Field::None,
                    time: 1.0,
                    depth_label: None,
                    unique_id: "u1".into(),
                    current: true,
                    temporal: false,
                },
            );
            assert_eq!(get(clip.ptr(), 1.0, std::ptr::null(), &mut img), 0);
            let props = crate::host::props::PROPS.get(img).unwrap();
            assert_eq!(props.int(ofx_str!(kOfxImagePropRowBytes), 0), Some(-24));
            assert_eq!(
                props.get(ofx_str!(kOfxImagePropBounds)),
                Some(PropValue::Int(vec![0, 0, 4, 3]))
            );
            assert_eq!(
                props
                    .string(ofx_str!(kOfxImageEffectPropPixelDepth), 0)
                    .as_deref(),
                Some(ofx_str!(kOfxBitDepthShort))
            );
            assert_eq!(lock(&effect.images).len(), 1);
            let release = s.clipReleaseImage.unwrap();
            assert_eq!(release(img), 0);
            assert_eq!(release(img), Status::ERR_BAD_HANDLE.raw());
            assert!(lock(&effect.images).is_empty());
            assert!(crate::host::props::PROPS.get(img).is_none());
            let mut rod = OfxRectD {
                x1: 1.0,
                y1: 1.0,
                x2: 1.0,
                y2: 1.0,
            };
            assert_eq!(
                s.clipGetRegionOfDefinition.unwrap()(clip.ptr(), 1.0, &mut rod),
                0
            );
            assert_eq!((rod.x2, rod.y2), (0.0, 0.0));
            // Clips are defined in DescribeInContext only.
            let mut p: OfxPropertySetHandle = std::ptr::null_mut();
            assert_eq!(
                s.clipDefine.unwrap()(effect.ptr(), c"Mask".as_ptr(), &mut p),
                Status::ERR_BAD_HANDLE.raw()
            );
            assert_eq!(s.abort.unwrap()(effect.ptr()), 0);
            effect
                .abort
                .store(true, std::sync::atomic::Ordering::Relaxed);
            assert_eq!(s.abort.unwrap()(effect.ptr()), 1);
        }
    }
}
