//! Deliberately broken plugins for the validator's tests, written with the raw OpenFX ABI the way a C
//! plugin is. All share one correct effect, "invert with strength" (colour = mix of the source and
//! its inverse, alpha copied; Byte and Float RGBA; tiles; fully thread-safe), and each breaks it in
//! one way, chosen by its identifier `org.onnxfx.broken.<defect>`:
//!
//! - `panic`: panics in Render (a panic cannot unwind out of an `extern "C"` function: the process
//!   aborts, as a C++ plugin throwing through the C boundary does).
//! - `badstatus`: answers GetRegionOfDefinition with kOfxStatReplyYes, EndSequenceRender with
//!   kOfxStatReplyNo and the Render of frame 2 with kOfxStatReplyDefault.
//! - `leak`: leaks 128 KiB of touched memory per render.
//! - `outside`: writes the whole output image, not just the render window.
//! - `nan`: writes NaN where the source's red is below 0.1.
//! - `racy`: declares itself fully thread-safe but passes every row through one global scratch buffer.
//! - `crashunload`: dereferences null in Unload.
//! - `hangabort`: polls abort per row (and sleeps 1 ms per row); once aborted it never returns.
//! - `untouched`: never writes the top row of the render window.
//! - `posrows`: refuses images with negative row bytes (bottom-up memory, as MLT hands them).
//! - `baddesc`: no label, a default outside its range, a choice without options, a parameter defined
//!   twice.
#![allow(non_snake_case, non_upper_case_globals, clippy::missing_safety_doc)]

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use openfx_sys::*;

const OK: OfxStatus = 0;
const FAILED: OfxStatus = 1;
const ERR_MISSING_HOST_FEATURE: OfxStatus = 4;
const REPLY_YES: OfxStatus = 12;
const REPLY_NO: OfxStatus = 13;
const REPLY_DEFAULT: OfxStatus = 14;

const PANIC: u8 = 0;
const BADSTATUS: u8 = 1;
const LEAK: u8 = 2;
const OUTSIDE: u8 = 3;
const NAN: u8 = 4;
const RACY: u8 = 5;
const CRASHUNLOAD: u8 = 6;
const HANGABORT: u8 = 7;
const UNTOUCHED: u8 = 8;
const POSROWS: u8 = 9;
const BADDESC: u8 = 10;

const NAMES: [&[u8]; 11] = [
    b"org.onnxfx.broken.panic\0",
    b"org.onnxfx.broken.badstatus\0",
    b"org.onnxfx.broken.leak\0",
    b"org.onnxfx.broken.outside\0",
    b"org.onnxfx.broken.nan\0",
    b"org.onnxfx.broken.racy\0",
    b"org.onnxfx.broken.crashunload\0",
    b"org.onnxfx.broken.hangabort\0",
    b"org.onnxfx.broken.untouched\0",
    b"org.onnxfx.broken.posrows\0",
    b"org.onnxfx.broken.baddesc\0",
];

fn c(s: &[u8]) -> *const c_char {
    s.as_ptr().cast()
}

fn eq(a: *const c_char, b: &[u8]) -> bool {
    // SAFETY: `a` is a NUL-terminated string from the host.
    !a.is_null() && unsafe { CStr::from_ptr(a) }.to_bytes_with_nul() == b
}

static HOST: AtomicPtr<OfxHost> = AtomicPtr::new(null_mut());

struct Suites {
    prop: &'static OfxPropertySuiteV1,
    fx: &'static OfxImageEffectSuiteV1,
    param: &'static OfxParameterSuiteV1,
    msg: &'static OfxMessageSuiteV2,
}

static SUITES: OnceLock<Suites> = OnceLock::new();

unsafe fn fetch<T>(name: &[u8], version: c_int) -> Option<&'static T> {
    let host = HOST.load(Ordering::Acquire);
    if host.is_null() {
        return None;
    }
    let p = ((*host).fetchSuite?)((*host).host, c(name), version);
    p.cast::<T>().as_ref()
}

unsafe fn load() -> OfxStatus {
    if SUITES.get().is_some() {
        return OK;
    }
    let suites = (|| {
        Some(Suites {
            prop: fetch(kOfxPropertySuite, 1)?,
            fx: fetch(kOfxImageEffectSuite, 1)?,
            param: fetch(kOfxParameterSuite, 1)?,
            msg: fetch(kOfxMessageSuite, 2)?,
        })
    })();
    match suites {
        Some(s) => {
            let _ = SUITES.set(s);
            OK
        }
        None => ERR_MISSING_HOST_FEATURE,
    }
}

fn s() -> &'static Suites {
    SUITES.get().expect("Load fetched the suites")
}

unsafe extern "C" fn set_host(host: *mut OfxHost) {
    HOST.store(host, Ordering::Release);
}

unsafe fn props_of(effect: OfxImageEffectHandle) -> OfxPropertySetHandle {
    let mut p = null_mut();
    (s().fx.getPropertySet.unwrap())(effect, &mut p);
    p
}

unsafe fn set_str(p: OfxPropertySetHandle, name: &[u8], i: c_int, v: &[u8]) {
    (s().prop.propSetString.unwrap())(p, c(name), i, c(v));
}

unsafe fn set_int(p: OfxPropertySetHandle, name: &[u8], v: c_int) {
    (s().prop.propSetInt.unwrap())(p, c(name), 0, v);
}

unsafe fn set_double(p: OfxPropertySetHandle, name: &[u8], v: f64) {
    (s().prop.propSetDouble.unwrap())(p, c(name), 0, v);
}

unsafe fn get_int(p: OfxPropertySetHandle, name: &[u8], i: c_int) -> c_int {
    let mut v = 0;
    (s().prop.propGetInt.unwrap())(p, c(name), i, &mut v);
    v
}

unsafe fn get_double(p: OfxPropertySetHandle, name: &[u8], i: c_int) -> f64 {
    let mut v = 0.0;
    (s().prop.propGetDouble.unwrap())(p, c(name), i, &mut v);
    v
}

unsafe fn get_str(p: OfxPropertySetHandle, name: &[u8]) -> *const c_char {
    let mut v: *mut c_char = null_mut();
    (s().prop.propGetString.unwrap())(p, c(name), 0, &mut v);
    v
}

unsafe fn get_ptr(p: OfxPropertySetHandle, name: &[u8]) -> *mut c_void {
    let mut v = null_mut();
    (s().prop.propGetPointer.unwrap())(p, c(name), 0, &mut v);
    v
}

unsafe fn describe(effect: OfxImageEffectHandle, defect: u8) {
    let p = props_of(effect);
    if defect != BADDESC {
        set_str(p, kOfxPropLabel, 0, b"Broken Invert\0");
    }
    set_str(p, kOfxImageEffectPluginPropGrouping, 0, b"onnxfx/Broken\0");
    set_str(p, kOfxImageEffectPropSupportedContexts, 0, kOfxImageEffectContextFilter);
    set_str(p, kOfxImageEffectPropSupportedPixelDepths, 0, kOfxBitDepthByte);
    set_str(p, kOfxImageEffectPropSupportedPixelDepths, 1, kOfxBitDepthFloat);
    set_str(
        p,
        kOfxImageEffectPluginRenderThreadSafety,
        0,
        kOfxImageEffectRenderFullySafe,
    );
    set_int(p, kOfxImageEffectPropSupportsTiles, 1);
}

unsafe fn describe_in_context(effect: OfxImageEffectHandle, defect: u8) {
    for name in [
        kOfxImageEffectSimpleSourceClipName,
        kOfxImageEffectOutputClipName,
    ] {
        let mut p = null_mut();
        (s().fx.clipDefine.unwrap())(effect, c(name), &mut p);
        set_str(p, kOfxImageEffectPropSupportedComponents, 0, kOfxImageComponentRGBA);
    }
    let mut set = null_mut();
    (s().fx.getParamSet.unwrap())(effect, &mut set);
    let define = s().param.paramDefine.unwrap();
    let mut p = null_mut();
    define(set, c(kOfxParamTypeDouble), c(b"strength\0"), &mut p);
    set_str(p, kOfxPropLabel, 0, b"Strength\0");
    set_double(p, kOfxParamPropDefault, if defect == BADDESC { 2.0 } else { 1.0 });
    set_double(p, kOfxParamPropMin, 0.0);
    set_double(p, kOfxParamPropMax, 1.0);
    if defect == BADDESC {
        define(set, c(kOfxParamTypeDouble), c(b"strength\0"), &mut p);
        define(set, c(kOfxParamTypeChoice), c(b"mode\0"), &mut p);
    }
}

/// One image as the plugin sees it (4 channels, 1 or 4 bytes each).
#[derive(Clone, Copy)]
struct View {
    data: *mut u8,
    bounds: [c_int; 4],
    row_bytes: isize,
    depth: usize,
}

impl View {
    unsafe fn of(image: OfxPropertySetHandle) -> View {
        let mut b = [0; 4];
        (s().prop.propGetIntN.unwrap())(image, c(kOfxImagePropBounds), 4, b.as_mut_ptr());
        let depth = if eq(get_str(image, kOfxImageEffectPropPixelDepth), kOfxBitDepthByte) {
            1
        } else {
            4
        };
        View {
            data: get_ptr(image, kOfxImagePropData).cast(),
            bounds: b,
            row_bytes: get_int(image, kOfxImagePropRowBytes, 0) as isize,
            depth,
        }
    }

    fn inside(&self, x: c_int, y: c_int) -> bool {
        x >= self.bounds[0] && x < self.bounds[2] && y >= self.bounds[1] && y < self.bounds[3]
    }

    unsafe fn at(&self, x: c_int, y: c_int, ch: usize) -> *mut u8 {
        self.data.offset(
            (y - self.bounds[1]) as isize * self.row_bytes
                + (x - self.bounds[0]) as isize * (4 * self.depth) as isize
                + (ch * self.depth) as isize,
        )
    }

    unsafe fn get(&self, x: c_int, y: c_int, ch: usize) -> f32 {
        if !self.inside(x, y) {
            return 0.0;
        }
        let p = self.at(x, y, ch);
        match self.depth {
            1 => *p as f32 / 255.0,
            _ => p.cast::<f32>().read_unaligned(),
        }
    }

    unsafe fn set(&self, x: c_int, y: c_int, ch: usize, v: f32) {
        let p = self.at(x, y, ch);
        match self.depth {
            1 => *p = (v.clamp(0.0, 1.0) * 255.0).round() as u8,
            _ => p.cast::<f32>().write_unaligned(v),
        }
    }
}

/// The racy plugin's shared scratch row: 4 values per pixel, wide enough for the test frames.
static SCRATCH: [AtomicU32; 4 * 1024] = [const { AtomicU32::new(0) }; 4 * 1024];

unsafe fn render(effect: OfxImageEffectHandle, in_args: OfxPropertySetHandle, defect: u8) -> OfxStatus {
    if defect == PANIC {
        panic!("broken on purpose: a panic in Render");
    }
    let time = get_double(in_args, kOfxPropTime, 0);
    let mut window = [0; 4];
    (s().prop.propGetIntN.unwrap())(
        in_args,
        c(kOfxImageEffectPropRenderWindow),
        4,
        window.as_mut_ptr(),
    );
    let mut set = null_mut();
    (s().fx.getParamSet.unwrap())(effect, &mut set);
    let mut strength_h = null_mut();
    (s().param.paramGetHandle.unwrap())(set, c(b"strength\0"), &mut strength_h, null_mut());
    let mut strength = 1.0f64;
    (s().param.paramGetValueAtTime.unwrap())(strength_h, time, &mut strength as *mut f64);
    let strength = strength as f32;

    let fx = s().fx;
    let (mut src_clip, mut dst_clip) = (null_mut(), null_mut());
    (fx.clipGetHandle.unwrap())(effect, c(kOfxImageEffectSimpleSourceClipName), &mut src_clip, null_mut());
    (fx.clipGetHandle.unwrap())(effect, c(kOfxImageEffectOutputClipName), &mut dst_clip, null_mut());
    let (mut src_img, mut dst_img) = (null_mut(), null_mut());
    if (fx.clipGetImage.unwrap())(src_clip, time, null_mut(), &mut src_img) != OK {
        return FAILED;
    }
    if (fx.clipGetImage.unwrap())(dst_clip, time, null_mut(), &mut dst_img) != OK {
        (fx.clipReleaseImage.unwrap())(src_img);
        return FAILED;
    }
    let (src, dst) = (View::of(src_img), View::of(dst_img));
    let release = || {
        (fx.clipReleaseImage.unwrap())(src_img);
        (fx.clipReleaseImage.unwrap())(dst_img);
    };
    if defect == POSROWS && (src.row_bytes < 0 || dst.row_bytes < 0) {
        (s().msg.setPersistentMessage.unwrap())(
            effect.cast(),
            c(kOfxMessageError),
            c(b"\0"),
            c(b"negative row bytes are not supported\0"),
        );
        release();
        return FAILED;
    }
    let [mut x1, mut y1, mut x2, mut y2] = window;
    if defect == OUTSIDE {
        [x1, y1, x2, y2] = dst.bounds;
    }
    if defect == UNTOUCHED {
        y2 -= 1;
    }
    let offset = if defect == RACY { (time.rem_euclid(10.0) as f32) * 0.01 } else { 0.0 };
    for y in y1..y2 {
        if defect == HANGABORT {
            if (fx.abort.unwrap())(effect) != 0 {
                loop {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut row = Vec::with_capacity(((x2 - x1).max(0) as usize) * 4);
        for x in x1..x2 {
            for ch in 0..4 {
                let v = src.get(x, y, ch);
                let out = if ch < 3 {
                    let inverted = v + strength * ((1.0 - v) - v) + offset;
                    if defect == NAN && src.get(x, y, 0) < 0.1 {
                        f32::NAN
                    } else {
                        inverted
                    }
                } else {
                    v
                };
                row.push(out);
            }
        }
        if defect == RACY {
            // Through the shared scratch buffer, with a pause in between: fine alone, wrong together.
            for (i, v) in row.iter().enumerate().take(SCRATCH.len()) {
                SCRATCH[i].store(v.to_bits(), Ordering::Relaxed);
            }
            std::thread::sleep(Duration::from_micros(200));
            for (i, v) in row.iter_mut().enumerate().take(SCRATCH.len()) {
                *v = f32::from_bits(SCRATCH[i].load(Ordering::Relaxed));
            }
        }
        for (i, x) in (x1..x2).enumerate() {
            for ch in 0..4 {
                dst.set(x, y, ch, row[i * 4 + ch]);
            }
        }
    }
    if defect == LEAK {
        let block = vec![7u8; 128 * 1024];
        std::mem::forget(block);
    }
    release();
    if defect == BADSTATUS && time == 2.0 {
        return REPLY_DEFAULT;
    }
    OK
}

unsafe extern "C" fn main_entry<const D: u8>(
    action: *const c_char,
    handle: *const c_void,
    in_args: OfxPropertySetHandle,
    _out: OfxPropertySetHandle,
) -> OfxStatus {
    let effect = handle as OfxImageEffectHandle;
    if eq(action, kOfxActionLoad) {
        load()
    } else if eq(action, kOfxActionUnload) {
        if D == CRASHUNLOAD {
            std::ptr::null_mut::<u32>().write_volatile(1);
        }
        OK
    } else if eq(action, kOfxActionDescribe) {
        describe(effect, D);
        OK
    } else if eq(action, kOfxImageEffectActionDescribeInContext) {
        describe_in_context(effect, D);
        OK
    } else if eq(action, kOfxImageEffectActionGetRegionOfDefinition) && D == BADSTATUS {
        REPLY_YES
    } else if eq(action, kOfxImageEffectActionEndSequenceRender) && D == BADSTATUS {
        REPLY_NO
    } else if eq(action, kOfxImageEffectActionRender) {
        render(effect, in_args, D)
    } else if eq(action, kOfxActionCreateInstance) || eq(action, kOfxActionDestroyInstance) {
        OK
    } else {
        REPLY_DEFAULT
    }
}

struct Plugins([OfxPlugin; 11]);
// The table only holds pointers to constant strings and functions.
unsafe impl Sync for Plugins {}
unsafe impl Send for Plugins {}

static PLUGINS: OnceLock<Plugins> = OnceLock::new();

fn plugin(defect: u8, main: OfxPluginEntryPoint) -> OfxPlugin {
    OfxPlugin {
        pluginApi: c(kOfxImageEffectPluginApi),
        apiVersion: 1,
        pluginIdentifier: c(NAMES[defect as usize]),
        pluginVersionMajor: 1,
        pluginVersionMinor: 0,
        setHost: Some(set_host),
        mainEntry: main,
    }
}

#[no_mangle]
pub extern "C" fn OfxGetNumberOfPlugins() -> c_int {
    NAMES.len() as c_int
}

#[no_mangle]
pub extern "C" fn OfxGetPlugin(nth: c_int) -> *mut OfxPlugin {
    let table = PLUGINS.get_or_init(|| {
        Plugins([
            plugin(PANIC, Some(main_entry::<PANIC>)),
            plugin(BADSTATUS, Some(main_entry::<BADSTATUS>)),
            plugin(LEAK, Some(main_entry::<LEAK>)),
            plugin(OUTSIDE, Some(main_entry::<OUTSIDE>)),
            plugin(NAN, Some(main_entry::<NAN>)),
            plugin(RACY, Some(main_entry::<RACY>)),
            plugin(CRASHUNLOAD, Some(main_entry::<CRASHUNLOAD>)),
            plugin(HANGABORT, Some(main_entry::<HANGABORT>)),
            plugin(UNTOUCHED, Some(main_entry::<UNTOUCHED>)),
            plugin(POSROWS, Some(main_entry::<POSROWS>)),
            plugin(BADDESC, Some(main_entry::<BADDESC>)),
        ])
    });
    match usize::try_from(nth).ok().and_then(|i| table.0.get(i)) {
        Some(p) => (p as *const OfxPlugin).cast_mut(),
        None => null_mut(),
    }
}
