//! The image effect suite (`ofxImageEffect.h`): effect handles, clips, and images with safe pixel rows.

use std::ffi::{CStr, CString};
use std::ptr;

use half::f16;

use super::Suites;
use super::property::PropertySet;
use super::suite_call;
use crate::error::{Error, Result};
use crate::ofx_str;
use crate::raw::sys;
use crate::status::Status;
use crate::types::{Components, PixelDepth, Premultiplication, RectD, RectI};

/// An effect handle (descriptor or instance) with the suites to work on it.
#[derive(Clone, Copy)]
pub struct ImageEffect<'a> {
    handle: sys::OfxImageEffectHandle,
    suites: &'a Suites,
}

impl<'a> ImageEffect<'a> {
    pub(crate) fn new(handle: sys::OfxImageEffectHandle, suites: &'a Suites) -> Option<Self> {
        (!handle.is_null()).then_some(ImageEffect { handle, suites })
    }

    pub fn handle(&self) -> sys::OfxImageEffectHandle {
        self.handle
    }

    pub(crate) fn suites(&self) -> &'a Suites {
        self.suites
    }

    /// The effect's own property set.
    pub fn properties(&self) -> Result<PropertySet<'a>> {
        let mut props = ptr::null_mut();
        // SAFETY: live effect handle from the current action; `props` is a valid out pointer.
        let status = unsafe {
            suite_call!(
                self.suites.image_effect,
                getPropertySet(self.handle, &mut props)
            )
        };
        check("getPropertySet", status)?;
        PropertySet::new(props, self.suites.property)
            .ok_or(Error::NullHandle("effect property set"))
    }

    /// The effect's parameter set handle.
    pub(crate) fn param_set(&self) -> Result<sys::OfxParamSetHandle> {
        let mut set = ptr::null_mut();
        // SAFETY: live effect handle; `set` is a valid out pointer.
        let status =
            unsafe { suite_call!(self.suites.image_effect, getParamSet(self.handle, &mut set)) };
        check("getParamSet", status)?;
        if set.is_null() {
            Err(Error::NullHandle("parameter set"))
        } else {
            Ok(set)
        }
    }

    /// Defines a clip on a descriptor (describe in context) and returns its property set.
    pub fn define_clip(&self, name: &CStr) -> Result<PropertySet<'a>> {
        let mut props = ptr::null_mut();
        // SAFETY: live descriptor handle, NUL-terminated name, valid out pointer.
        let status = unsafe {
            suite_call!(
                self.suites.image_effect,
                clipDefine(self.handle, name.as_ptr(), &mut props)
            )
        };
        check("clipDefine", status)?;
        PropertySet::new(props, self.suites.property).ok_or(Error::NullHandle("clip descriptor"))
    }

    /// An instance's clip by name.
    pub fn clip(&self, name: &CStr) -> Result<Clip<'a>> {
        let mut clip = ptr::null_mut();
        let mut props = ptr::null_mut();
        // SAFETY: live instance handle, NUL-terminated name, valid out pointers.
        let status = unsafe {
            suite_call!(
                self.suites.image_effect,
                clipGetHandle(self.handle, name.as_ptr(), &mut clip, &mut props)
            )
        };
        if status.is_error() {
            return Err(Error::Suite {
                call: "clipGetHandle",
                status,
            });
        }
        let props = PropertySet::new(props, self.suites.property)
            .ok_or(Error::NullHandle("clip property set"))?;
        if clip.is_null() {
            return Err(Error::NullHandle("clip"));
        }
        Ok(Clip {
            handle: clip,
            props,
            suites: self.suites,
            name: name.to_owned(),
        })
    }

    /// Whether the host asks the current render to stop (an artist cancelled it).
    pub fn abort_requested(&self) -> bool {
        let Some(abort) = self.suites.image_effect.abort else {
            return false;
        };
        // SAFETY: live instance handle; the host's abort takes only the handle.
        unsafe { abort(self.handle) != 0 }
    }
}

fn check(call: &'static str, status: Status) -> Result<()> {
    if status.is_error() {
        Err(Error::Suite { call, status })
    } else {
        Ok(())
    }
}

/// A clip of an effect instance.
pub struct Clip<'a> {
    handle: sys::OfxImageClipHandle,
    props: PropertySet<'a>,
    suites: &'a Suites,
    name: CString,
}

impl<'a> Clip<'a> {
    pub fn name(&self) -> &CStr {
        &self.name
    }

    pub fn properties(&self) -> PropertySet<'a> {
        self.props
    }

    /// Whether something is connected to this clip (hosts may report optional clips disconnected).
    pub fn is_connected(&self) -> bool {
        self.props
            .get_int(ofx_str!(kOfxImageClipPropConnected), 0)
            .map(|v| v != 0)
            .unwrap_or(true)
    }

    /// The colourspace the host says the clip's images are in (OpenFX 1.5 colour management), if it says.
    pub fn colourspace(&self) -> Option<String> {
        self.props
            .get_string(crate::colour::PROP_CLIP_COLOURSPACE, 0)
            .ok()
            .filter(|s| !s.is_empty())
    }

    /// The clip's region of definition at `time`, in canonical coordinates.
    pub fn region_of_definition(&self, time: f64) -> Result<RectD> {
        let mut rect = sys::OfxRectD {
            x1: 0.0,
            y1: 0.0,
            x2: 0.0,
            y2: 0.0,
        };
        // SAFETY: live clip handle, valid out pointer.
        let status = unsafe {
            suite_call!(
                self.suites.image_effect,
                clipGetRegionOfDefinition(self.handle, time, &mut rect)
            )
        };
        check("clipGetRegionOfDefinition", status)?;
        Ok(RectD::new(rect.x1, rect.y1, rect.x2, rect.y2))
    }

    /// Fetches the clip's image at `time` (for `region`, or the host's default region). `Ok(None)` when the
    /// host has no image there (`kOfxStatFailed`: the spec says to treat it as black and transparent).
    /// The image is released when the returned value is dropped.
    pub fn image(&self, time: f64, region: Option<RectD>) -> Result<Option<Image<'a>>> {
        let region = region.map(|r| sys::OfxRectD {
            x1: r.x1,
            y1: r.y1,
            x2: r.x2,
            y2: r.y2,
        });
        let region_ptr = region.as_ref().map_or(ptr::null(), ptr::from_ref);
        let mut handle = ptr::null_mut();
        // SAFETY: live clip handle; `region_ptr` is null or points to a rect on this stack frame; valid out
        // pointer.
        let status = unsafe {
            suite_call!(
                self.suites.image_effect,
                clipGetImage(self.handle, time, region_ptr, &mut handle)
            )
        };
        if status == Status::FAILED {
            return Ok(None);
        }
        check("clipGetImage", status)?;
        let props =
            PropertySet::new(handle, self.suites.property).ok_or(Error::NullHandle("image"))?;
        // From here on the guard owns the handle and releases it even when reading the layout fails.
        let release = ReleaseOnDrop {
            props,
            suite: self.suites.image_effect,
        };
        let (layout, data) = ImageLayout::read(&props)?;
        Ok(Some(Image {
            release,
            layout,
            data,
        }))
    }
}

/// How an image's pixels lie in memory, read from its property set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageLayout {
    /// The pixels the image holds, in pixel coordinates (origin bottom-left).
    pub bounds: RectI,
    /// Bytes from one row to the next one up; negative for bottom-up memory (MLT does that).
    pub row_bytes: isize,
    pub depth: PixelDepth,
    pub components: Components,
    pub premultiplication: Option<Premultiplication>,
    pub render_scale: (f64, f64),
    pub pixel_aspect_ratio: f64,
}

impl ImageLayout {
    /// Bytes of one row's pixels (without padding).
    pub fn row_len_bytes(&self) -> usize {
        self.bounds.width() * self.components.count() * self.depth.bytes()
    }

    fn read(props: &PropertySet<'_>) -> Result<(ImageLayout, *mut u8)> {
        let bounds = props.get_rect_i(ofx_str!(kOfxImagePropBounds))?;
        let row_bytes = props.get_int(ofx_str!(kOfxImagePropRowBytes), 0)?;
        let depth_name = props.get_cstring(ofx_str!(kOfxImageEffectPropPixelDepth), 0)?;
        let depth = PixelDepth::from_cstr(&depth_name).ok_or_else(|| {
            Error::UnsupportedImage(format!("unknown pixel depth {depth_name:?}"))
        })?;
        let comps_name = props.get_cstring(ofx_str!(kOfxImageEffectPropComponents), 0)?;
        let components = Components::from_cstr(&comps_name).ok_or_else(|| {
            Error::UnsupportedImage(format!("unsupported components {comps_name:?}"))
        })?;
        // Optional on some hosts: absent values take the spec's defaults.
        let premultiplication = props
            .get_cstring(ofx_str!(kOfxImageEffectPropPreMultiplication), 0)
            .ok()
            .and_then(|s| Premultiplication::from_cstr(&s));
        let render_scale = props
            .get_doubles::<2>(ofx_str!(kOfxImageEffectPropRenderScale))
            .map_or((1.0, 1.0), |s| (s[0], s[1]));
        let pixel_aspect_ratio = props
            .get_double(ofx_str!(kOfxImagePropPixelAspectRatio), 0)
            .unwrap_or(1.0);
        let data = props
            .get_pointer(ofx_str!(kOfxImagePropData), 0)?
            .cast::<u8>();
        let layout = ImageLayout {
            bounds,
            row_bytes: isize::try_from(row_bytes).unwrap_or(0),
            depth,
            components,
            premultiplication,
            render_scale,
            pixel_aspect_ratio,
        };
        if !layout.bounds.is_empty() {
            if data.is_null() {
                return Err(Error::UnsupportedImage(
                    "the host gave an image with no pixel data".into(),
                ));
            }
            if layout.row_bytes.unsigned_abs() < layout.row_len_bytes() {
                return Err(Error::UnsupportedImage(format!(
                    "row bytes {} are fewer than one row of {} pixels needs ({} bytes)",
                    layout.row_bytes,
                    layout.bounds.width(),
                    layout.row_len_bytes()
                )));
            }
        }
        Ok((layout, data))
    }
}

/// A fetched image; released back to the host when dropped (the RAII guard over `clipReleaseImage`).
pub struct Image<'a> {
    release: ReleaseOnDrop<'a>,
    layout: ImageLayout,
    data: *mut u8,
}

/// Owns an image handle from `clipGetImage` and gives it back with `clipReleaseImage`.
struct ReleaseOnDrop<'a> {
    props: PropertySet<'a>,
    suite: &'a sys::OfxImageEffectSuiteV1,
}

/// One row of pixels, typed by the image's depth; `components` values per pixel, `bounds.x1` first.
pub enum PixelRow<'a> {
    Byte(&'a [u8]),
    Short(&'a [u16]),
    Half(&'a [f16]),
    Float(&'a [f32]),
}

/// A writable row of pixels (output images).
pub enum PixelRowMut<'a> {
    Byte(&'a mut [u8]),
    Short(&'a mut [u16]),
    Half(&'a mut [f16]),
    Float(&'a mut [f32]),
}

impl Image<'_> {
    pub fn layout(&self) -> ImageLayout {
        self.layout
    }

    pub fn bounds(&self) -> RectI {
        self.layout.bounds
    }

    pub fn properties(&self) -> PropertySet<'_> {
        self.release.props
    }

    /// Address of row `y`'s first pixel, after checking that `y` is inside the bounds.
    fn row_ptr(&self, y: i32) -> Result<(*mut u8, ImageLayout)> {
        let layout = self.layout();
        if y < layout.bounds.y1 || y >= layout.bounds.y2 {
            return Err(Error::InvalidValue(format!(
                "row {y} is outside the image bounds {:?}",
                layout.bounds
            )));
        }
        let offset = isize::try_from(i64::from(y) - i64::from(layout.bounds.y1))
            .ok()
            .and_then(|r| r.checked_mul(layout.row_bytes))
            .ok_or_else(|| Error::InvalidValue("image row offset overflows".into()))?;
        // `wrapping_offset` computes the address without asserting anything; it is only dereferenced
        // through the row slices below, whose extent the layout checks guarantee.
        Ok((self.data.wrapping_offset(offset), layout))
    }

    /// Row `y` of the image (pixel coordinates), read-only.
    pub fn row(&self, y: i32) -> Result<PixelRow<'_>> {
        let (ptr, layout) = self.row_ptr(y)?;
        let n = layout.bounds.width() * layout.components.count();
        // SAFETY: the host guarantees `row_bytes * height` bytes at `data` for the image's life, each row
        // starting at `data + (y - y1) * row_bytes` (negative steps included), and `ImageLayout::read`
        // checked that a row's pixels fit in |row_bytes|. Alignment is checked by `typed_slice`.
        unsafe {
            Ok(match layout.depth {
                PixelDepth::Byte => PixelRow::Byte(typed_slice(ptr, n)?),
                PixelDepth::Short => PixelRow::Short(typed_slice(ptr, n)?),
                PixelDepth::Half => PixelRow::Half(typed_slice(ptr, n)?),
                PixelDepth::Float => PixelRow::Float(typed_slice(ptr, n)?),
            })
        }
    }

    /// Every row, bottom to top, writable. The rows are disjoint (|row bytes| covers a row), so they may
    /// be handed to several threads.
    pub fn rows_mut(&mut self) -> Result<Vec<(i32, PixelRowMut<'_>)>> {
        let layout = self.layout();
        let n = layout.bounds.width() * layout.components.count();
        let mut rows = Vec::with_capacity(layout.bounds.height());
        for y in layout.bounds.y1..layout.bounds.y2 {
            let (ptr, _) = self.row_ptr(y)?;
            // SAFETY: as in `row`; the rows do not overlap because |row_bytes| >= the bytes of a row, and
            // `&mut self` keeps every other view of this image out for the borrow's life.
            let row = unsafe {
                match layout.depth {
                    PixelDepth::Byte => PixelRowMut::Byte(typed_slice_mut(ptr, n)?),
                    PixelDepth::Short => PixelRowMut::Short(typed_slice_mut(ptr, n)?),
                    PixelDepth::Half => PixelRowMut::Half(typed_slice_mut(ptr, n)?),
                    PixelDepth::Float => PixelRowMut::Float(typed_slice_mut(ptr, n)?),
                }
            };
            rows.push((y, row));
        }
        Ok(rows)
    }
}

/// # Safety
/// `ptr` must point to `n` readable `T`-sized values that stay valid and unwritten for `'a`.
unsafe fn typed_slice<'a, T>(ptr: *mut u8, n: usize) -> Result<&'a [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    check_aligned::<T>(ptr)?;
    // SAFETY: forwarded from the caller; alignment checked above.
    Ok(unsafe { std::slice::from_raw_parts(ptr.cast::<T>(), n) })
}

/// # Safety
/// `ptr` must point to `n` writable `T`-sized values, not aliased elsewhere for `'a`.
unsafe fn typed_slice_mut<'a, T>(ptr: *mut u8, n: usize) -> Result<&'a mut [T]> {
    if n == 0 {
        return Ok(&mut []);
    }
    check_aligned::<T>(ptr)?;
    // SAFETY: forwarded from the caller; alignment checked above.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr.cast::<T>(), n) })
}

fn check_aligned<T>(ptr: *mut u8) -> Result<()> {
    if ptr.align_offset(align_of::<T>()) == 0 {
        Ok(())
    } else {
        Err(Error::UnsupportedImage(format!(
            "pixel rows are not aligned to {} bytes",
            align_of::<T>()
        )))
    }
}

impl Drop for ReleaseOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(release) = self.suite.clipReleaseImage {
            // SAFETY: the handle came from clipGetImage and is released exactly once, here.
            let status = Status(unsafe { release(self.props.handle()) });
            if status.is_error() {
                tracing::warn!("clipReleaseImage failed: {status}");
            }
        }
    }
}
