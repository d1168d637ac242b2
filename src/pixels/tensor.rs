//! Between the pipeline's planar RGBA and a model's tensors, as a manifest's [`ImageFormat`] describes
//! them: which channels in which order (RGB, BGR, RGBA, BGRA, grey), the value range (one affine map per
//! channel), and the layout (NCHW or NHWC). Values arrive here already in the model's colour encoding.

use crate::manifest::{Component, ImageFormat, Layout};

use super::Planar;

/// Rec. 709 luma weights, for single-channel inputs.
const LUMA: [f32; 3] = [0.2126, 0.7152, 0.0722];

/// The tensor shape for an image of `width` x `height` in `format` (batch 1).
pub fn shape(format: &ImageFormat, width: usize, height: usize) -> [usize; 4] {
    let c = format.channels.count();
    match format.layout {
        Layout::Nchw => [1, c, height, width],
        Layout::Nhwc => [1, height, width, c],
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
    let components = format.channels.components();
    let n = rgba.plane_len();
    let channels: Vec<Vec<f32>> = components
        .iter()
        .enumerate()
        .map(|(c, component)| {
            let affine = |x: f32| format.affine.to_model(c, x);
            match source_plane(*component) {
                Some(p) => rgba.plane(p).iter().map(|x| affine(*x)).collect(),
                None => {
                    let (r, g, b) = (rgba.plane(0), rgba.plane(1), rgba.plane(2));
                    (0..n)
                        .map(|i| affine(LUMA[0] * r[i] + LUMA[1] * g[i] + LUMA[2] * b[i]))
                        .collect()
                }
            }
        })
        .collect();
    match format.layout {
        Layout::Nchw => channels.concat(),
        Layout::Nhwc => {
            let mut out = Vec::with_capacity(n * channels.len());
            for i in 0..n {
                out.extend(channels.iter().map(|plane| plane[i]));
            }
            out
        }
    }
}

/// A model output in image terms: the channels its format names, planar, the affine map undone.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelImage {
    pub width: usize,
    pub height: usize,
    /// `(component, plane)` in the tensor's channel order.
    pub channels: Vec<(Component, Vec<f32>)>,
}

impl ModelImage {
    /// The plane for `component`; a grey output answers for red, green and blue.
    pub fn plane(&self, component: Component) -> Option<&[f32]> {
        let exact = self.channels.iter().find(|(c, _)| *c == component);
        let grey = || {
            matches!(
                component,
                Component::Red | Component::Green | Component::Blue
            )
            .then(|| self.channels.iter().find(|(c, _)| *c == Component::Luma))
            .flatten()
        };
        exact.or_else(grey).map(|(_, p)| p.as_slice())
    }

    /// The single channel of a matte output, or its alpha channel.
    pub fn matte(&self) -> Option<&[f32]> {
        self.plane(Component::Alpha)
            .or_else(|| self.plane(Component::Luma))
    }
}

/// Reads a model output tensor (`shape` as the runtime gave it) in `format`. An error says how the
/// shape differs from what the format expects.
pub fn from_model(
    data: &[f32],
    shape: &[usize],
    format: &ImageFormat,
) -> Result<ModelImage, String> {
    let components = format.channels.components();
    let expected_c = components.len();
    let (c, h, w) = match (format.layout, shape) {
        (Layout::Nchw, &[1, c, h, w]) => (c, h, w),
        (Layout::Nhwc, &[1, h, w, c]) => (c, h, w),
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
    let n = h * w;
    if data.len() != n * c {
        return Err(format!("{} values for shape {shape:?}", data.len()));
    }
    let inverse = format.affine.inverse();
    let channels = components
        .iter()
        .enumerate()
        .map(|(ci, component)| {
            let plane: Vec<f32> = match format.layout {
                Layout::Nchw => data[ci * n..(ci + 1) * n]
                    .iter()
                    .map(|y| inverse.to_model(ci, *y))
                    .collect(),
                Layout::Nhwc => data
                    .iter()
                    .skip(ci)
                    .step_by(c)
                    .map(|y| inverse.to_model(ci, *y))
                    .collect(),
            };
            (*component, plane)
        })
        .collect();
    Ok(ModelImage {
        width: w,
        height: h,
        channels,
    })
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
        let image = from_model(&t, &[1, 1, 2, 3], &f).unwrap();
        let red = image.plane(Component::Red).unwrap();
        assert!((red[0] - 0.1).abs() < 1e-6 && (red[1] - 0.5).abs() < 1e-6);
        assert!(image.matte().is_none());
        let grey = format(Layout::Nchw, ChannelOrder::Gray, 1.0, 0.0);
        let image = from_model(&[0.25, 0.75], &[1, 1, 1, 2], &grey).unwrap();
        assert_eq!(image.plane(Component::Green).unwrap(), &[0.25, 0.75]);
        assert_eq!(image.matte().unwrap(), &[0.25, 0.75]);
    }

    #[test]
    fn shape_mismatches_are_explained() {
        let f = format(Layout::Nchw, ChannelOrder::Rgb, 1.0, 0.0);
        assert!(
            from_model(&[0.0; 4], &[1, 2, 1, 2], &f)
                .unwrap_err()
                .contains("2 channels")
        );
        assert!(
            from_model(&[0.0; 4], &[4], &f)
                .unwrap_err()
                .contains("batch of one NCHW")
        );
    }
}
