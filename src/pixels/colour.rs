//! Colour encodings: converting the clip's encoding to the model's and back, and the HDR shoulder for
//! models that take no values above 1.
//!
//! Each [`Encoding`] has `encode` (scene-linear → encoded) and `decode` (encoded → linear), inverses of
//! each other wherever both results are finite (NaN and ±inf pass through):
//!
//! - `Linear`: the identity.
//! - `Srgb`: IEC 61966-2-1's piecewise curve (12.92 slope in the toe, 2.4 power above); negatives are
//!   mirrored (`f(-x) = -f(x)`, as extended sRGB does), and the power segment goes on above 1.
//! - `Rec709`: ITU-R BT.709's OETF (4.5 slope, 0.45 power) and its inverse; mirrored, and going on
//!   above 1, likewise.
//! - `AcesCct`: ACEScct (AMPAS S-2016-001): a linear toe below 0.0078125 (negatives included), log2
//!   above, without limit.
//!
//! Three deliberate departures from the documents, all for exact invertibility: sRGB switches segments
//! where they meet (0.0031306684 linear, 0.0404482363 encoded) rather than at the published, rounded
//! 0.0031308 and 0.04045, between which the segments disagree (no value moves by more than 3e-8);
//! Rec.709 uses the unrounded α = 1.09929682680944, β = 0.018053968510807 (BT.2020 gives them; BT.709's
//! 1.099 and 0.018 leave a 2.5e-4 step at the knee, where no inverse exists); ACEScct's decode does not
//! clamp at 65504 (S-2016-001 does; a float EXR may hold more).
//!
//! Speed: powers and logs use polynomial approximations (module `approx`: a few ulps, branch-free, so
//! the loops vectorise) rather than libm's `powf`/`log2`, one call per value, which glibc makes 1.4x
//! slower for sRGB and Rec.709 and 1.5-2.7x for ACEScct (measured single-threaded on 25M values).
//! Round trips agree to about 1e-6 relative; the tests state each curve's bound.

use super::Planar;
use crate::tiling::par;

/// A transfer function: how the values of a clip or a model's tensor relate to scene-linear light.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Linear,
    Srgb,
    Rec709,
    AcesCct,
    /// Values that are not light (depth, probabilities, motion vectors): never converted.
    Data,
}

impl Encoding {
    pub const ALL: [Encoding; 5] = [
        Encoding::Linear,
        Encoding::Srgb,
        Encoding::Rec709,
        Encoding::AcesCct,
        Encoding::Data,
    ];

    /// The stable lower-case name used by manifests and parameters.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Linear => "linear",
            Encoding::Srgb => "srgb",
            Encoding::Rec709 => "rec709",
            Encoding::AcesCct => "acescct",
            Encoding::Data => "data",
        }
    }

    /// The encoding named `name` (case-insensitive), as [`Encoding::name`] spells it.
    pub fn from_name(name: &str) -> Option<Encoding> {
        Self::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Scene-linear → this encoding.
    pub fn encode(self, linear: f32) -> f32 {
        match self {
            Encoding::Linear | Encoding::Data => linear,
            Encoding::Srgb => Srgb::encode(linear),
            Encoding::Rec709 => Rec709::encode(linear),
            Encoding::AcesCct => AcesCct::encode(linear),
        }
    }

    /// This encoding → scene-linear.
    pub fn decode(self, encoded: f32) -> f32 {
        match self {
            Encoding::Linear | Encoding::Data => encoded,
            Encoding::Srgb => Srgb::decode(encoded),
            Encoding::Rec709 => Rec709::decode(encoded),
            Encoding::AcesCct => AcesCct::decode(encoded),
        }
    }
}

/// Re-encodes `values` from `from` to `to` in place (one pass, threaded on large slices).
pub fn convert_slice(values: &mut [f32], from: Encoding, to: Encoding) {
    // Data is not light: nothing converts to or from it.
    if from == to || from == Encoding::Data || to == Encoding::Data {
        return;
    }
    match from {
        Encoding::Linear | Encoding::Data => convert_from::<Linear>(values, to),
        Encoding::Srgb => convert_from::<Srgb>(values, to),
        Encoding::Rec709 => convert_from::<Rec709>(values, to),
        Encoding::AcesCct => convert_from::<AcesCct>(values, to),
    }
}

/// Re-encodes the colour planes of `planes` from `from` to `to`: every plane of a 1- or 3-plane buffer,
/// the first three of a 4-plane (RGBA) one. Alpha is coverage, not light: it is never encoded.
pub fn convert(planes: &mut Planar, from: Encoding, to: Encoding) {
    convert_slice(colour_values(planes), from, to);
}

/// The colour planes' values: planar storage keeps them contiguous, before alpha.
pub(crate) fn colour_values(planes: &mut Planar) -> &mut [f32] {
    let n = if planes.channels == 4 {
        3 * planes.plane_len()
    } else {
        planes.data.len()
    };
    &mut planes.data[..n]
}

/// One transfer function, as types so that [`convert_slice`] compiles one loop per pair of encodings.
trait Curve {
    fn encode(x: f32) -> f32;
    fn decode(v: f32) -> f32;
}

fn convert_from<F: Curve>(values: &mut [f32], to: Encoding) {
    match to {
        Encoding::Linear | Encoding::Data => apply::<F, Linear>(values),
        Encoding::Srgb => apply::<F, Srgb>(values),
        Encoding::Rec709 => apply::<F, Rec709>(values),
        Encoding::AcesCct => apply::<F, AcesCct>(values),
    }
}

fn apply<F: Curve, T: Curve>(values: &mut [f32]) {
    par::for_each_chunk(values, 1, |_, chunk| {
        for v in chunk {
            *v = T::encode(F::decode(*v));
        }
    });
}

struct Linear;

impl Curve for Linear {
    fn encode(x: f32) -> f32 {
        x
    }
    fn decode(v: f32) -> f32 {
        v
    }
}

struct Srgb;

impl Srgb {
    // Where 12.92 x = 1.055 x^(1/2.4) - 0.055 (the published 0.0031308 and 0.04045 are rounded).
    const LINEAR_BREAK: f32 = 0.003_130_668_4;
    const ENCODED_BREAK: f32 = 0.040_448_236;
    const SLOPE: f32 = 12.92;
}

impl Curve for Srgb {
    fn encode(x: f32) -> f32 {
        let a = x.abs();
        // Both segments, then a select: a branch here would stop the loop from vectorising.
        let toe = a * Self::SLOPE;
        let power = 1.055 * approx::pow(a, 1.0 / 2.4) - 0.055;
        let e = if a <= Self::LINEAR_BREAK { toe } else { power };
        e.copysign(x)
    }

    fn decode(v: f32) -> f32 {
        let a = v.abs();
        let toe = a / Self::SLOPE;
        let power = approx::pow((a + 0.055) / 1.055, 2.4);
        let x = if a <= Self::ENCODED_BREAK { toe } else { power };
        x.copysign(v)
    }
}

struct Rec709;

impl Rec709 {
    // BT.2020's unrounded constants: the two segments meet with equal value and slope.
    const ALPHA: f32 = 1.099_296_8;
    const BETA: f32 = 0.018_053_968;
    const SLOPE: f32 = 4.5;
}

impl Curve for Rec709 {
    fn encode(x: f32) -> f32 {
        let a = x.abs();
        let toe = a * Self::SLOPE;
        let power = Self::ALPHA * approx::pow(a, 0.45) - (Self::ALPHA - 1.0);
        let e = if a < Self::BETA { toe } else { power };
        e.copysign(x)
    }

    fn decode(v: f32) -> f32 {
        let a = v.abs();
        let toe = a / Self::SLOPE;
        let power = approx::pow((a + (Self::ALPHA - 1.0)) / Self::ALPHA, 1.0 / 0.45);
        let x = if a < Self::BETA * Self::SLOPE {
            toe
        } else {
            power
        };
        x.copysign(v)
    }
}

struct AcesCct;

impl AcesCct {
    const X_BRK: f32 = 0.007_812_5;
    const Y_BRK: f32 = 0.155_251_14;
    // AMPAS: A = 10.5402377416545, B = 0.0729055341958355 (here to f32 precision).
    const A: f32 = 10.540_237;
    const B: f32 = 0.072_905_53;
}

impl Curve for AcesCct {
    fn encode(x: f32) -> f32 {
        let toe = Self::A * x + Self::B;
        // (log2(x) + 9.72) / 17.52 in f64: in f32, adding 9.72 to a large log would drop bits.
        #[allow(clippy::cast_possible_truncation)]
        let log = ((approx::log2_wide(x) + 9.72) / 17.52) as f32;
        if x <= Self::X_BRK { toe } else { log }
    }

    fn decode(v: f32) -> f32 {
        let toe = (v - Self::B) / Self::A;
        let exp = approx::exp2_wide(f64::from(v) * 17.52 - 9.72);
        if v <= Self::Y_BRK { toe } else { exp }
    }
}

/// The HDR policy for models that take no values above 1: values up to the knee pass unchanged, values
/// above it are compressed by a Reinhard shoulder into `[knee, 1)`:
///
/// `compress(x) = k + (1 - k) t / (1 + t)` with `t = (x - k) / (1 - k)`, for `x > k`;
/// `expand(y) = k + (1 - k) u / (1 - u)` with `u = (y - k) / (1 - k)`, for `y > k`.
///
/// Continuous with slope 1 at the knee, strictly increasing, and `expand` is the exact inverse of
/// `compress` (applied to encoded values, after the colour conversion). Two limits, documented rather
/// than hidden: `f32` has about 2²⁴ values in `[k, 1)`, so a round trip keeps roughly
/// `1.5e-7 · t` relative precision (2e-6 at 4, 1e-4 at 100); and both directions saturate at
/// [`Shoulder::MAX`] (65504, the largest half float): `compress` above it, `expand` for model outputs at
/// or above `compress(MAX)`, including outputs at or above 1, which no input maps to. Below the knee
/// (negative values included) nothing changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shoulder {
    knee: f32,
}

impl Default for Shoulder {
    fn default() -> Self {
        Shoulder { knee: 0.8 }
    }
}

impl Shoulder {
    /// The largest value `expand` returns.
    pub const MAX: f32 = 65504.0;

    /// A shoulder above `knee`, which must lie in `[0, 1)`.
    pub fn new(knee: f32) -> Option<Shoulder> {
        (0.0..1.0).contains(&knee).then_some(Shoulder { knee })
    }

    pub fn knee(self) -> f32 {
        self.knee
    }

    /// `x` above the knee compressed into `[knee, 1)`; above [`Shoulder::MAX`] it saturates (in `f32`
    /// the curve would reach 1 itself near 1e6).
    pub fn compress(self, x: f32) -> f32 {
        let k = self.knee;
        let r = 1.0 - k;
        if x > k {
            // k + r t / (1 + t) rewritten as 1 - r² / (x - k + r): every step is monotonic under
            // rounding, so the f32 curve never steps backwards.
            1.0 - r * r / (x.min(Self::MAX) - k + r)
        } else {
            x
        }
    }

    pub fn expand(self, y: f32) -> f32 {
        let k = self.knee;
        let r = 1.0 - k;
        // k + r u / (1 - u) rewritten as k - r + r² / (1 - y), the mirror of `compress` (1 - y is exact
        // for y in [0.5, 1]). Computed for every value and selected, so that the loop vectorises.
        let e = (k - r + r * r / (1.0 - y)).min(Self::MAX);
        // At or above 1 no input maps: the model overshot. The brightest value the policy stands for.
        let e = if y < 1.0 { e } else { Self::MAX };
        if y > k { e } else { y }
    }

    /// Compresses the colour planes of `planes` (alpha is left alone).
    pub fn compress_planes(self, planes: &mut Planar) {
        par::for_each_chunk(colour_values(planes), 1, |_, c| {
            for v in c {
                *v = self.compress(*v);
            }
        });
    }

    /// Expands the colour planes of `planes` (alpha is left alone).
    pub fn expand_planes(self, planes: &mut Planar) {
        par::for_each_chunk(colour_values(planes), 1, |_, c| {
            for v in c {
                *v = self.expand(*v);
            }
        });
    }
}

/// Branch-free `log2`, `exp2` and `pow`, a few ulps from the exact values, for the curves' domains:
/// positive normal inputs, results between 2^-126 and 2^127.5 (below, about 1e-38 comes out rather
/// than something smaller; above, +inf). NaN stays NaN. Plain SSE2 arithmetic: the plugin is built for
/// baseline x86-64, where these loops run four values at a time.
mod approx {
    /// `log2(x)` for a positive normal `x` as (exponent, log2 of the mantissa in [√½, √2)): the exponent
    /// is an exact integer and the mantissa part lies in [-0.5, 0.5], so callers can scale each part
    /// without losing bits. NaN and +inf come back as the second part.
    #[inline]
    pub fn log2_parts(x: f32) -> (f32, f32) {
        let bits = x.to_bits();
        let mut e = (bits >> 23).cast_signed() - 127;
        let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
        if m > std::f32::consts::SQRT_2 {
            m *= 0.5;
            e += 1;
        }
        // log2(m) = 2/ln2 · atanh(t), t = (m-1)/(m+1), |t| <= 0.1716: the series to t⁹ is within 1e-9.
        let t = (m - 1.0) / (m + 1.0);
        let t2 = t * t;
        let series = t
            * (2.885_39
                + t2 * (0.961_796_7 + t2 * (0.577_078_04 + t2 * (0.412_198_6 + t2 * 0.320_599_1))));
        // The bit tricks read NaN and inf as ordinary numbers: pass them on instead.
        let series = if x.is_finite() { series } else { x };
        #[allow(clippy::cast_precision_loss)] // |e| < 512
        (e as f32, series)
    }

    /// `log2(x)` in `f64`, for callers that add large offsets before rounding (ACEScct).
    #[inline]
    pub fn log2_wide(x: f32) -> f64 {
        let (e, l) = log2_parts(x);
        f64::from(e) + f64::from(l)
    }

    /// `2^(n + r)` for an integer `n` in [-126, 128] (128 gives inf) and `r` in [-0.625, 0.625].
    #[inline]
    fn pow2(n: i32, r: f32) -> f32 {
        // 2^r: Chebyshev interpolation of degree 6 on [-0.5, 0.5], within 3e-9 there (2e-7 at ±0.625).
        let p = 1.0
            // (the first coefficient is ln 2 to f32 precision)
            + r * (std::f32::consts::LN_2
                + r * (0.240_226_5
                    + r * (0.055_503_27
                        + r * (0.009_618_057 + r * (0.001_340_042_8 + r * 1.546_144_5e-4)))));
        p * f32::from_bits(((n + 127).cast_unsigned() & 0xff) << 23)
    }

    /// 1.5 · 2²³: adding and subtracting it rounds an `f32` of magnitude below 2²² to an integer, which
    /// then also sits in the low bits of the sum's representation.
    const ROUND: f32 = 12_582_912.0;

    /// `2^(a + b)` where `a` is exact and `b` is small: the integer part comes from `a + b`, the
    /// fraction from `(a - n) + b`, which is exact up to the last addition.
    #[inline]
    fn exp2_split(a: f32, b: f32) -> f32 {
        let y = (a + b).clamp(-126.0, 128.0);
        let shifted = y + ROUND;
        let n = shifted.to_bits().cast_signed() - ROUND.to_bits().cast_signed();
        // `a + b` rounds, so the fraction may stray a little past ±0.5, where the polynomial still
        // holds; the clamp matters only when `y` was clamped.
        let r = ((a - (shifted - ROUND)) + b).clamp(-0.625, 0.625);
        pow2(n, r)
    }

    /// `2^y` with `y` in `f64` (ACEScct's decode scales before it exponentiates).
    #[inline]
    pub fn exp2_wide(y: f64) -> f32 {
        // 1.5 · 2⁵², the f64 counterpart of ROUND.
        const ROUND_WIDE: f64 = 6_755_399_441_055_744.0;
        let y = y.clamp(-126.0, 128.0);
        let shifted = y + ROUND_WIDE;
        #[allow(clippy::cast_possible_truncation)] // the low 32 bits hold the (small) integer
        let n = (shifted.to_bits() as u32).cast_signed();
        #[allow(clippy::cast_possible_truncation)] // |r| <= 0.5
        let r = (y - (shifted - ROUND_WIDE)) as f32;
        pow2(n, r)
    }

    /// `x^p` for a positive normal `x` and a constant `p` (|p| < 16).
    #[inline]
    pub fn pow(x: f32, p: f64) -> f32 {
        // p = hi + lo with hi on 12 bits: hi · exponent is exact, lo · exponent is tiny.
        #[allow(clippy::cast_possible_truncation)]
        let pf = p as f32;
        let hi = f32::from_bits(pf.to_bits() & 0xffff_f000);
        #[allow(clippy::cast_possible_truncation)]
        let lo = (p - f64::from(hi)) as f32;
        let (e, l) = log2_parts(x);
        exp2_split(hi * e, lo * e + pf * l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from 1e-8 to 1e4 (both signs), dense: a million of each sign, 2.8e-5 apart relatively.
    fn dense() -> impl Iterator<Item = f32> {
        (0..1_000_000).flat_map(|i| {
            let x = 1e-8f64 * 10f64.powf(f64::from(i) * 12.0 / 1_000_000.0);
            let x = x as f32;
            [x, -x]
        })
    }

    fn rel(a: f32, b: f32) -> f32 {
        (a - b).abs() / b.abs()
    }

    #[test]
    fn approximations_are_within_a_few_ulps() {
        let mut worst = (0.0f32, 0.0f32);
        for x in dense().filter(|x| *x > 0.0) {
            for p in [2.4f64, 1.0 / 2.4, 0.45, 1.0 / 0.45] {
                let exact = f64::from(x).powf(p);
                if exact.is_finite() && exact > 1e-30 && exact < 1e30 {
                    worst.0 = worst
                        .0
                        .max(((f64::from(approx::pow(x, p)) - exact) / exact).abs() as f32);
                }
            }
            let l = approx::log2_wide(x);
            worst.1 = worst.1.max((l - f64::from(x).log2()).abs() as f32);
        }
        assert!(worst.0 < 4e-7, "pow: {}", worst.0);
        assert!(worst.1 < 1e-7, "log2: {}", worst.1);
        assert_eq!(approx::exp2_wide(0.0), 1.0);
        assert_eq!(approx::exp2_wide(-126.0), f32::MIN_POSITIVE);
        assert_eq!(approx::exp2_wide(200.0), f32::INFINITY);
        assert!(approx::exp2_wide(-200.0) <= f32::MIN_POSITIVE);
        assert!(approx::exp2_wide(f64::NAN).is_nan());
        assert_eq!(approx::exp2_wide(127.0), 2f32.powi(127));
        assert!(approx::pow(f32::NAN, 2.4).is_nan());
        assert_eq!(approx::pow(f32::INFINITY, 0.45), f32::INFINITY);
        assert_eq!(approx::pow(1.0, 2.4), 1.0);
        assert_eq!(approx::pow(1e30, 2.4), f32::INFINITY);
        assert!(approx::pow(1e-30, 2.4) < 1e-37);
    }

    /// Round trips both ways over the dense range, with a relative bound plus absolute floors (linear,
    /// encoded) for ACEScct's toe, whose encoded values sit on the offset 0.0729 (its f32 spacing,
    /// 7.5e-9, divided by the slope 10.54 in linear terms).
    #[test]
    fn encodings_round_trip() {
        // (encoding, relative bound, absolute floors)
        let bounds = [
            (Encoding::Linear, 0.0, (0.0, 0.0)),
            (Encoding::Srgb, 1e-6, (0.0, 0.0)),
            (Encoding::Rec709, 1e-6, (0.0, 0.0)),
            (Encoding::AcesCct, 2e-6, (1e-9, 2e-8)),
        ];
        for (enc, bound, (floor, floor_encoded)) in bounds {
            let mut worst = 0.0f32;
            for x in dense() {
                let back = enc.decode(enc.encode(x));
                let err = (back - x).abs();
                assert!(err <= bound * x.abs() + floor, "{enc:?}: {x} -> {back}");
                worst = worst.max(rel(back, x));
                // And the other way, over the encoded values that the curve reaches.
                let v = x;
                if enc == Encoding::AcesCct && v > 5.0 {
                    continue; // 2^(5*17.52) overflows f32
                }
                let again = enc.encode(enc.decode(v));
                assert!(
                    (again - v).abs() <= bound * v.abs() + floor_encoded,
                    "{enc:?}: {v} -> {again}"
                );
            }
            assert!(worst <= bound.max(1.0), "{enc:?}");
        }
    }

    #[test]
    fn curves_match_their_documents() {
        // sRGB: the breakpoints and 1 → 1, 0.5 → 0.21404 (IEC 61966-2-1).
        assert_eq!(Encoding::Srgb.encode(0.0), 0.0);
        assert!((Encoding::Srgb.encode(1.0) - 1.0).abs() < 1e-7);
        assert!((Encoding::Srgb.decode(0.5) - 0.214_041_14).abs() < 1e-7);
        assert!((Encoding::Srgb.encode(0.003_130_8) - 0.040_45).abs() < 1e-7);
        assert!((Encoding::Srgb.decode(0.040_45) - 0.003_130_8).abs() < 1e-8);
        assert_eq!(Encoding::Srgb.encode(-0.5), -Encoding::Srgb.encode(0.5));
        // Rec.709: 0.018 → 0.081, 1 → 1; 0.18 → 0.409.
        assert!((Encoding::Rec709.encode(1.0) - 1.0).abs() < 1e-6);
        assert!((Encoding::Rec709.encode(0.018) - 0.081).abs() < 1e-6);
        assert!((Encoding::Rec709.encode(0.18) - 0.409_1).abs() < 1e-3);
        // ACEScct: 0.18 → 0.4135884 (S-2016-001 table), the breakpoint, and the toe below zero.
        assert!((Encoding::AcesCct.encode(0.18) - 0.413_588_4).abs() < 1e-6);
        assert!((Encoding::AcesCct.encode(0.007_812_5) - 0.155_251_14).abs() < 1e-7);
        assert!((Encoding::AcesCct.encode(0.0) - 0.072_905_53).abs() < 1e-8);
        assert!(Encoding::AcesCct.encode(-0.01) < 0.072_905_53);
        assert!(rel(Encoding::AcesCct.decode(1.0), 222.860_94) < 1e-6);
        // Against libm across the range, to make sure the approximations are wired to the right curve.
        for i in 1..2000 {
            let x = i as f32 * 0.01;
            let srgb = if x <= 0.003_130_8 {
                12.92 * x
            } else {
                1.055 * x.powf(1.0 / 2.4) - 0.055
            };
            assert!(rel(Encoding::Srgb.encode(x), srgb) < 1e-6);
            let cct = (x.log2() + 9.72) / 17.52;
            assert!(rel(Encoding::AcesCct.encode(x), cct) < 1e-6);
        }
    }

    #[test]
    fn nan_and_infinities_pass_through() {
        for enc in Encoding::ALL {
            assert!(
                enc.encode(f32::NAN).is_nan() && enc.decode(f32::NAN).is_nan(),
                "{enc:?}"
            );
            for inf in [f32::INFINITY, f32::NEG_INFINITY] {
                assert_eq!(enc.encode(inf), inf, "{enc:?}");
                assert_eq!(enc.decode(inf), inf, "{enc:?}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for e in Encoding::ALL {
            assert_eq!(Encoding::from_name(e.name()), Some(e));
        }
        assert_eq!(Encoding::from_name(" sRGB "), Some(Encoding::Srgb));
        assert_eq!(Encoding::from_name("gamma22"), None);
    }

    #[test]
    fn convert_leaves_alpha_and_round_trips_planes() {
        let n = 70_000; // large enough to run threaded
        let mut p = Planar {
            channels: 4,
            width: n,
            height: 1,
            data: (0..4 * n)
                .map(|i| (i % 1000) as f32 * 0.004 - 1.0)
                .collect(),
        };
        let before = p.clone();
        convert(&mut p, Encoding::Linear, Encoding::Srgb);
        assert_eq!(p.plane(3), before.plane(3));
        assert_eq!(p.data[5], Encoding::Srgb.encode(before.data[5]));
        convert(&mut p, Encoding::Srgb, Encoding::AcesCct);
        convert(&mut p, Encoding::AcesCct, Encoding::Linear);
        for (a, b) in p.data.iter().zip(&before.data) {
            assert!((a - b).abs() <= 4e-6 * b.abs() + 1e-8, "{a} vs {b}");
        }
    }

    #[test]
    fn the_shoulder_is_invertible_and_bounded_below_one() {
        let s = Shoulder::default();
        assert!(Shoulder::new(1.0).is_none() && Shoulder::new(-0.1).is_none());
        assert_eq!(s.compress(0.5), 0.5);
        assert_eq!(s.compress(-3.0), -3.0);
        let mut previous = s.compress(0.8);
        for i in 1..2_000_000 {
            let x = 0.8 + i as f32 * 1e-4; // up to 200
            let y = s.compress(x);
            assert!(y < 1.0 && y >= previous, "{x} -> {y}");
            previous = y;
            let back = s.expand(y);
            // As fine as f32's spacing near y allows: a few half-ulps of y (3e-8) times dx/dy = (1+t)².
            let t = (x - 0.8) / 0.2;
            let bound = 1.2e-7 * (1.0 + t) * (1.0 + t) + 2e-7 * x;
            assert!((back - x).abs() <= bound, "{x} -> {y} -> {back}");
        }
        assert!(s.compress(f32::MAX) < 1.0 && s.compress(f32::INFINITY) < 1.0);
        // compress(MAX) sits some ten f32 steps below 1, so MAX comes back only to within ~10%.
        assert!(s.expand(s.compress(f32::INFINITY)) > 0.8 * Shoulder::MAX);
        assert_eq!(s.expand(1.0), Shoulder::MAX);
        assert_eq!(s.expand(1.5), Shoulder::MAX);
        assert_eq!(s.expand(f32::INFINITY), Shoulder::MAX);
        let mut p = Planar {
            channels: 4,
            width: 2,
            height: 1,
            data: vec![0.5, 3.0, 0.5, 3.0, 0.5, 3.0, 7.0, 7.0],
        };
        s.compress_planes(&mut p);
        assert!(p.data[..6].iter().all(|v| *v < 1.0));
        assert_eq!(&p.data[6..], &[7.0, 7.0]);
        s.expand_planes(&mut p);
        assert!((p.data[1] - 3.0).abs() < 1e-5);
    }
}
