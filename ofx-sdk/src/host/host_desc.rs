//! The host description a plugin receives in `OfxHost.host`, and the `OfxHost` struct itself. Values are
//! what this host really does: it renders in the background, in the Filter and General contexts, at any
//! of the four depths, one depth for all clips of a render, without animation or temporal access.

use std::ffi::c_int;
use std::sync::{LazyLock, OnceLock};

use crate::ofx_str;
use crate::raw::sys;

use super::handles::Registered;
use super::props::PropertySet;

/// `kOfxPropName` of this host: what a plugin checks to recognise it.
pub const HOST_NAME: &str = "io.github.onnxfx.ofx-host";
const HOST_NAME_C: &std::ffi::CStr = c"io.github.onnxfx.ofx-host";
/// `OfxParamHostPropSupportsStrChoice` (OpenFX 1.5).
const SUPPORTS_STR_CHOICE: &std::ffi::CStr = c"OfxParamHostPropSupportsStrChoice";

pub(crate) static HOST_PROPS: LazyLock<Registered<PropertySet>> = LazyLock::new(|| {
    let p = PropertySet::read_only("host description");
    p.define_str(ofx_str!(kOfxPropType), ofx_str!(kOfxTypeImageEffectHost));
    p.define_str(ofx_str!(kOfxPropName), HOST_NAME_C);
    p.define_str(ofx_str!(kOfxPropLabel), c"onnxfx headless host");
    p.define_var(
        ofx_str!(kOfxPropAPIVersion),
        super::props::PropValue::Int(vec![1, 5]),
    );
    p.define_var(
        ofx_str!(kOfxPropVersion),
        super::props::PropValue::Int(version()),
    );
    p.define_str(ofx_str!(kOfxPropVersionLabel), c"0.1.0");
    p.define_ptr(ofx_str!(kOfxPropHostOSHandle), 0);
    p.define_int(ofx_str!(kOfxImageEffectHostPropIsBackground), 1);
    p.define_int(ofx_str!(kOfxImageEffectPropSupportsOverlays), 0);
    p.define_int(ofx_str!(kOfxImageEffectPropSupportsMultiResolution), 1);
    p.define_int(ofx_str!(kOfxImageEffectPropSupportsTiles), 1);
    p.define_int(ofx_str!(kOfxImageEffectPropTemporalClipAccess), 0);
    p.define_strs(
        ofx_str!(kOfxImageEffectPropSupportedComponents),
        &[
            ofx_str!(kOfxImageComponentRGBA),
            ofx_str!(kOfxImageComponentRGB),
            ofx_str!(kOfxImageComponentAlpha),
        ],
    );
    p.define_strs(
        ofx_str!(kOfxImageEffectPropSupportedContexts),
        &[
            ofx_str!(kOfxImageEffectContextFilter),
            ofx_str!(kOfxImageEffectContextGeneral),
        ],
    );
    p.define_strs(
        ofx_str!(kOfxImageEffectPropSupportedPixelDepths),
        &[
            ofx_str!(kOfxBitDepthByte),
            ofx_str!(kOfxBitDepthShort),
            ofx_str!(kOfxBitDepthHalf),
            ofx_str!(kOfxBitDepthFloat),
        ],
    );
    p.define_int(ofx_str!(kOfxImageEffectPropSupportsMultipleClipDepths), 0);
    p.define_int(ofx_str!(kOfxImageEffectPropSupportsMultipleClipPARs), 0);
    p.define_int(ofx_str!(kOfxImageEffectPropSetableFrameRate), 0);
    p.define_int(ofx_str!(kOfxImageEffectPropSetableFielding), 0);
    p.define_str(
        ofx_str!(kOfxImageEffectHostPropNativeOrigin),
        ofx_str!(kOfxHostNativeOriginBottomLeft),
    );
    p.define_str(ofx_str!(kOfxImageEffectPropOpenGLRenderSupported), c"false");
    p.define_str(ofx_str!(kOfxImageEffectPropCudaRenderSupported), c"false");
    p.define_str(ofx_str!(kOfxImageEffectPropCudaStreamSupported), c"false");
    p.define_str(ofx_str!(kOfxImageEffectPropMetalRenderSupported), c"false");
    p.define_str(ofx_str!(kOfxImageEffectPropOpenCLRenderSupported), c"false");
    p.define_int(ofx_str!(kOfxImageEffectInstancePropSequentialRender), 1);
    p.define_int(ofx_str!(kOfxImageEffectPropRenderQualityDraft), 0);
    p.define_int(ofx_str!(kOfxParamHostPropSupportsCustomAnimation), 0);
    p.define_int(ofx_str!(kOfxParamHostPropSupportsStringAnimation), 0);
    p.define_int(ofx_str!(kOfxParamHostPropSupportsBooleanAnimation), 0);
    p.define_int(ofx_str!(kOfxParamHostPropSupportsChoiceAnimation), 0);
    p.define_int(ofx_str!(kOfxParamHostPropSupportsCustomInteract), 0);
    p.define_int(ofx_str!(kOfxParamHostPropSupportsParametricAnimation), 0);
    p.define_int(SUPPORTS_STR_CHOICE, 1);
    // -1: no limit on the number of parameters; pages are not shown, so none.
    p.define_int(ofx_str!(kOfxParamHostPropMaxParameters), -1);
    p.define_int(ofx_str!(kOfxParamHostPropMaxPages), 0);
    p.define_ints(ofx_str!(kOfxParamHostPropPageRowColumnCount), &[0, 0]);
    p.register()
});

/// The crate version as the host's `kOfxPropVersion` (major, minor, patch).
fn version() -> Vec<c_int> {
    env!("CARGO_PKG_VERSION")
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

/// The address of the one `OfxHost` struct, kept as an integer so it can live in a static.
struct HostPtr(usize);

static HOST: OnceLock<HostPtr> = OnceLock::new();

/// The `OfxHost*` handed to `setHost` and `OfxSetHost`. It is leaked on purpose: a plugin may keep the
/// pointer for the life of the process, and it may (wrongly) write to it, which must not alias memory the
/// host reads through a reference.
pub(crate) fn host_struct() -> *mut sys::OfxHost {
    let addr = HOST
        .get_or_init(|| {
            super::shim::init();
            let host = Box::new(sys::OfxHost {
                host: HOST_PROPS.ptr(),
                fetchSuite: Some(super::suites::fetch_suite),
            });
            HostPtr(Box::into_raw(host).expose_provenance())
        })
        .0;
    std::ptr::with_exposed_provenance_mut(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_description_is_complete_and_read_only() {
        assert_eq!(HOST_NAME_C.to_str(), Ok(HOST_NAME));
        let p = &*HOST_PROPS;
        assert_eq!(
            p.string(ofx_str!(kOfxPropName), 0).as_deref(),
            Some(HOST_NAME_C)
        );
        assert_eq!(
            p.get(ofx_str!(kOfxPropAPIVersion)),
            Some(super::super::props::PropValue::Int(vec![1, 5]))
        );
        assert_eq!(
            p.int(ofx_str!(kOfxImageEffectHostPropIsBackground), 0),
            Some(1)
        );
        assert_eq!(
            p.strings(ofx_str!(kOfxImageEffectPropSupportedPixelDepths))
                .map(|v| v.len()),
            Some(4)
        );
        let status = p.plugin_set(
            ofx_str!(kOfxPropName),
            0,
            super::super::props::Scalar::String(c"x".into()),
        );
        assert_eq!(status, crate::Status::ERR_VALUE);
        // SAFETY: the host struct lives forever; reading its fields is what a plugin does.
        let host = unsafe { &*host_struct() };
        assert_eq!(host.host.addr(), p.id());
        assert!(host.fetchSuite.is_some());
    }
}
