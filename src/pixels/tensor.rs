//! Between the pipeline's planar RGBA and a model's tensors, as a manifest's [`ImageFormat`] describes
//! them: which channels in which order (RGB, BGR, RGBA, BGRA, grey), the value range (one affine map per
//! channel), and the layout (NCHW or NHWC). Values arrive here already in the model's colour encoding.

use ndarray::{ArrayView2, ArrayView4, ArrayViewMut2, ArrayViewMut4, Axis, Zip};

use crate::manifest::{Component, ImageFormat, Layout};

use super::Planar;

/// Rec. 709 luma weights, for single-channel inputs.
const LUMA: [f32; 3] = [0.2126, 0.7152, 0.0722];

/// The tensor shape for an image of `width` x `height` in `format` (batch 1).
pub fn shape(format: &ImageFormat, width: usize, height: usize) -> [usize; 4] {
    shape_of(format, width, height, format.channels.count())
}

fn shape_of(format: &ImageFormat, width: usize, height: usize, channels: usize) -> [usize; 4] {
    match format.layout {
        Layout::Nchw => [1, channels, height, width],
        Layout::Nhwc => [1, height, width, channels],
    }
}

/// The plane of `rgba` a tensor channel reads, or `None` for grey (a weighted sum).
fn source_plane(component: Component) -> Option<usize> {
    match component {
        Component::Red => Some(0),
        Component::Green => Some(1),
        Component::Blue => Some(2),
        Component::Alpha => Some(3),
        Component::Luma => None,
    }
}

/// The model's input tensor data for an RGBA image (planar, top row first), in `format`.
pub fn to_model(rgba: &Planar, format: &ImageFormat) -> Vec<f32> {
    let mut out = Vec::new();
    to_model_into(rgba, format, &mut out);
    out
}

/// [`to_model`] into a reused buffer (cleared first): tiles of one frame share one allocation.
pub fn to_model_into(rgba: &Planar, format: &ImageFormat, out: &mut Vec<f32>) {
    let components = format.channels.components();
    let (w, h) = (rgba.width, rgba.height);
    let shape = shape(format, w, h);
    out.clear();
    out.resize(shape.iter().product(), 0.0);
    let Ok(mut tensor) = ArrayViewMut4::from_shape(shape, out.as_mut_slice()) else {
        return;
    };
    let luma = (components.contains(&Component::Luma)).then(|| luma_plane(rgba));
    for (c, component) in components.iter().enumerate() {
        let (scale, offset) = (format.affine.scale()[c], format.affine.offset()[c]);
        let plane = match source_plane(*component) {
            Some(p) => rgba.plane(p),
            None => luma.as_deref().unwrap_or(&[]),
        };
        let Ok(plane) = ArrayView2::from_shape((h, w), plane) else {
            continue;
        };
        // One channel of the tensor as an H x W view, whatever the layout's strides.
        let mut lane = tensor.index_axis_mut(Axis(0), 0);
        let mut lane = lane.index_axis_mut(Axis(format.layout.channel_axis() - 1), c);
        Zip::from(&mut lane)
            .and(&plane)
            .for_each(|o, x| *o = x * scale + offset);
    }
}

/// Rec. 709 luma of the colour planes, for single-channel inputs.
fn luma_plane(rgba: &Planar) -> Vec<f32> {
    let (r, g, b) = (rgba.plane(0), rgba.plane(1), rgba.plane(2));
    r.iter()
        .zip(g)
        .zip(b)
        .map(|((r, g), b)| LUMA[0] * r + LUMA[1] * g + LUMA[2] * b)
        .collect()
}

/// What part of the RGBA frame an output answers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputUse {
    /// Red, green and blue (grey fills all three); also alpha when `with_alpha` and the output has it.
    Colour { with_alpha: bool },
    /// Alpha: the output's alpha channel, or its single channel.
    Alpha,
}

/// The RGBA planes a tensor channel fills under `use_`.
fn targets(component: Component, use_: OutputUse) -> &'static [usize] {
    match (use_, component) {
        (OutputUse::Colour { .. }, Component::Red) => &[0],
        (OutputUse::Colour { .. }, Component::Green) => &[1],
        (OutputUse::Colour { .. }, Component::Blue) => &[2],
        (OutputUse::Colour { .. }, Component::Luma) => &[0, 1, 2],
        (OutputUse::Colour { with_alpha: true }, Component::Alpha) => &[3],
        (OutputUse::Alpha, Component::Alpha | Component::Luma) => &[3],
        _ => &[],
    }
}

/// The RGBA planes an output in `format` fills under `use_`.
pub fn planes_filled(format: &ImageFormat, use_: OutputUse) -> [bool; 4] {
    let mut filled = [false; 4];
    for component in format.channels.components() {
        for p in targets(*component, use_) {
            filled[*p] = true;
        }
    }
    filled
}

/// Writes a model output (`data` with the `shape` the runtime gave, in `format`) into the RGBA planes of
/// `out`, which has the output's size, undoing the range map. An error says how the shape differs from
/// what the format and the tile expect.
pub fn write_output(
    data: &[f32],
    shape: &[usize],
    format: &ImageFormat,
    use_: OutputUse,
    out: &mut Planar,
) -> Result<(), String> {
    let components = format.channels.components();
    let expected_c = components.len();
    let (c, h, w) = match (format.layout, shape) {
        (Layout::Nchw, &[1, c, h, w]) | (Layout::Nhwc, &[1, h, w, c]) => (c, h, w),
        _ => {
            return Err(format!(
                "shape {shape:?} is not a batch of one {} image",
                format.layout.name().to_uppercase()
            ));
        }
    };
    if c != expected_c {
        return Err(format!(
            "shape {shape:?} has {c} channels, but the output is described as {} ({expected_c} channels)",
            format.channels.name()
        ));
    }
    if (w, h) != (out.width, out.height) || out.channels != 4 {
        return Err(format!(
            "the output is {w}x{h} where {}x{} was expected",
            out.width, out.height
        ));
    }
    let n = h * w;
    if data.len() != n * c {
        return Err(format!("{} values for shape {shape:?}", data.len()));
    }
    let inverse = format.affine.inverse();
    let tensor =
        ArrayView4::from_shape(shape_of(format, w, h, c), data).map_err(|e| e.to_string())?;
    let channel_axis = format.layout.channel_axis() - 1;
    for (ci, component) in components.iter().enumerate() {
        let (scale, offset) = (inverse.scale()[ci], inverse.offset()[ci]);
        let lane = tensor.index_axis(Axis(0), 0);
        let lane = lane.index_axis(Axis(channel_axis), ci);
        for &p in targets(*component, use_) {
            let mut plane =
                ArrayViewMut2::from_shape((h, w), out.plane_mut(p)).map_err(|e| e.to_string())?;
            Zip::from(&mut plane)
                .and(&lane)
                .for_each(|o, y| *o = y * scale + offset);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Affine, ChannelOrder, Encoding, Normalize, Preset};

    fn format(layout: Layout, channels: ChannelOrder, scale: f64, offset: f64) -> ImageFormat {
        let n = channels.count();
        ImageFormat {
            layout,
            channels,
            normalize: Normalize::Preset(Preset::ZeroOne),
            affine: Affine::from_f64(&vec![scale; n], &vec![offset; n]).unwrap(),
            encoding: Encoding::Srgb,
            hdr: false,
        }
    }

    /// A 2x1 RGBA image: pixel 0 = (0.1, 0.2, 0.3, 0.4), pixel 1 = (0.5, 0.6, 0.7, 0.8).
    fn rgba() -> Planar {
        Planar {
            channels: 4,
            width: 2,
            height: 1,
            data: vec![0.1, 0.5, 0.2, 0.6, 0.3, 0.7, 0.4, 0.8],
        }
    }

    #[test]
    fn bgr_0_255_nhwc_input() {
        let f = format(Layout::Nhwc, ChannelOrder::Bgr, 255.0, 0.0);
        assert_eq!(shape(&f, 2, 1), [1, 1, 2, 3]);
        let t = to_model(&rgba(), &f);
        let expected: Vec<f32> = [0.3, 0.2, 0.1, 0.7, 0.6, 0.5]
            .iter()
            .map(|v| v * 255.0)
            .collect();
        for (a, b) in t.iter().zip(&expected) {
            assert!((a - b).abs() < 1e-4, "{t:?}");
        }
    }

    #[test]
    fn grey_input_is_luma_and_rgba_keeps_alpha() {
        let grey = to_model(&rgba(), &format(Layout::Nchw, ChannelOrder::Gray, 1.0, 0.0));
        assert!((grey[0] - (0.2126 * 0.1 + 0.7152 * 0.2 + 0.0722 * 0.3)).abs() < 1e-6);
        let t = to_model(
            &rgba(),
            &format(Layout::Nchw, ChannelOrder::Rgba, 2.0, -1.0),
        );
        assert_eq!(t.len(), 8);
        assert!((t[6] - (0.4 * 2.0 - 1.0)).abs() < 1e-6);
    }

    #[test]
    fn outputs_come_back_to_image_values_in_either_layout() {
        let f = format(Layout::Nhwc, ChannelOrder::Bgr, 255.0, 0.0);
        let t = to_model(&rgba(), &f);
        let mut out = Planar::zeros(4, 2, 1);
        write_output(
            &t,
            &[1, 1, 2, 3],
            &f,
            OutputUse::Colour { with_alpha: true },
            &mut out,
        )
        .unwrap();
        assert!((out.plane(0)[0] - 0.1).abs() < 1e-6 && (out.plane(0)[1] - 0.5).abs() < 1e-6);
        assert_eq!(
            out.plane(3),
            &[0.0, 0.0],
            "a BGR output has no alpha to give"
        );
        let grey = format(Layout::Nchw, ChannelOrder::Gray, 1.0, 0.0);
        write_output(
            &[0.25, 0.75],
            &[1, 1, 1, 2],
            &grey,
            OutputUse::Colour { with_alpha: true },
            &mut out,
        )
        .unwrap();
        assert_eq!(out.plane(1), &[0.25, 0.75]);
        write_output(
            &[0.5, 0.125],
            &[1, 1, 1, 2],
            &grey,
            OutputUse::Alpha,
            &mut out,
        )
        .unwrap();
        assert_eq!(out.plane(3), &[0.5, 0.125]);
        assert_eq!(
            planes_filled(&grey, OutputUse::Alpha),
            [false, false, false, true]
        );
        let rgba_format = format(Layout::Nchw, ChannelOrder::Rgba, 1.0, 0.0);
        assert_eq!(
            planes_filled(&rgba_format, OutputUse::Colour { with_alpha: false }),
            [true, true, true, false]
        );
    }

    #[test]
    fn shape_mismatches_are_explained() {
        let f = format(Layout::Nchw, ChannelOrder::Rgb, 1.0, 0.0);
        let mut out = Planar::zeros(4, 2, 1);
        let colour = OutputUse::Colour { with_alpha: true };
        assert!(
            write_output(&[0.0; 4], &[1, 2, 1, 2], &f, colour, &mut out)
                .unwrap_err()
                .contains("2 channels")
        );
        assert!(
            write_output(&[0.0; 4], &[4], &f, colour, &mut out)
                .unwrap_err()
                .contains("batch of one NCHW")
        );
        let err = write_output(&[0.0; 12], &[1, 3, 2, 2], &f, colour, &mut out).unwrap_err();
        assert!(err.contains("2x2 where 2x1"), "{err}");
    }
}
