//! Between the pipeline's RGBA planes and a model's channels: which planes the model gets, and how its
//! output, the source alpha and the mix make the final RGBA.

use super::Planar;

/// Rec. 709 luma weights, for models that take one channel.
const LUMA: [f32; 3] = [0.2126, 0.7152, 0.0722];

/// The model's input planes from RGBA: 4 → RGBA, 3 → RGB, 1 → luma. `None` for any other count.
pub fn model_input(rgba: &Planar, channels: usize) -> Option<Planar> {
    let n = rgba.plane_len();
    let data = match channels {
        4 => rgba.data.clone(),
        3 => rgba.data[..3 * n].to_vec(),
        1 => {
            let (r, g, b) = (rgba.plane(0), rgba.plane(1), rgba.plane(2));
            (0..n)
                .map(|i| LUMA[0] * r[i] + LUMA[1] * g[i] + LUMA[2] * b[i])
                .collect()
        }
        _ => return None,
    };
    Some(Planar {
        channels,
        width: rgba.width,
        height: rgba.height,
        data,
    })
}

/// The output channel counts [`compose_output`] accepts.
pub const OUTPUT_CHANNELS: [usize; 3] = [1, 3, 4];

/// Builds the final RGBA from the model's output (`scale` times the source's size): 4 channels give
/// RGBA, 3 give RGB with the source's alpha, 1 gives grey with the source's alpha. The source is sampled
/// nearest-neighbour where the model upscales. `mix` blends from the source (0) to the model (1).
pub fn compose_output(model: &Planar, source: &Planar, scale: usize, mix: f32) -> Option<Planar> {
    if !OUTPUT_CHANNELS.contains(&model.channels)
        || model.width != source.width * scale
        || model.height != source.height * scale
    {
        return None;
    }
    let (w, h) = (model.width, model.height);
    let mut out = Planar::zeros(4, w, h);
    for c in 0..4 {
        let from_model = match model.channels {
            4 => Some(c),
            3 => (c < 3).then_some(c),
            _ => (c < 3).then_some(0),
        };
        let src_plane = source.plane(c);
        let model_plane = from_model.map(|mc| model.plane(mc));
        let out_plane = out.plane_mut(c);
        for (y, out_row) in out_plane.chunks_exact_mut(w).enumerate() {
            let src_row = &src_plane[(y / scale) * source.width..][..source.width];
            let model_row = model_plane.map(|p| &p[y * w..(y + 1) * w]);
            match (model_row, scale) {
                (Some(m), 1) => blend_row(out_row, m, src_row, mix),
                (Some(m), _) => {
                    for (x, o) in out_row.iter_mut().enumerate() {
                        *o = blend(m[x], src_row[x / scale], mix);
                    }
                }
                (None, 1) => out_row.copy_from_slice(src_row),
                (None, _) => {
                    for (x, o) in out_row.iter_mut().enumerate() {
                        *o = src_row[x / scale];
                    }
                }
            }
        }
    }
    Some(out)
}

/// Mix 1 passes the model's value through untouched (NaN and infinities included).
fn blend(model: f32, source: f32, mix: f32) -> f32 {
    if mix >= 1.0 {
        model
    } else {
        source + mix * (model - source)
    }
}

fn blend_row(out: &mut [f32], model: &[f32], source: &[f32], mix: f32) {
    if mix >= 1.0 {
        out.copy_from_slice(model);
    } else {
        for ((o, m), s) in out.iter_mut().zip(model).zip(source) {
            *o = s + mix * (m - s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgba(w: usize, h: usize, f: impl Fn(usize, usize) -> f32) -> Planar {
        let n = w * h;
        Planar {
            channels: 4,
            width: w,
            height: h,
            data: (0..4 * n).map(|i| f(i / n, i % n)).collect(),
        }
    }

    #[test]
    fn input_channel_selection() {
        let src = rgba(2, 1, |c, i| (c * 10 + i) as f32);
        assert_eq!(
            model_input(&src, 3).unwrap().data,
            vec![0.0, 1.0, 10.0, 11.0, 20.0, 21.0]
        );
        assert_eq!(model_input(&src, 4).unwrap().data.len(), 8);
        let luma = model_input(&src, 1).unwrap();
        assert!((luma.data[0] - (0.7152 * 10.0 + 0.0722 * 20.0)).abs() < 1e-5);
        assert!(model_input(&src, 2).is_none());
    }

    #[test]
    fn rgb_output_keeps_source_alpha_and_mixes() {
        let src = rgba(1, 1, |c, _| if c == 3 { 0.5 } else { 0.0 });
        let model = Planar {
            channels: 3,
            width: 1,
            height: 1,
            data: vec![1.0, 1.0, 1.0],
        };
        let out = compose_output(&model, &src, 1, 0.25).unwrap();
        assert_eq!(out.data, vec![0.25, 0.25, 0.25, 0.5]);
    }

    #[test]
    fn upscaled_output_samples_source_nearest() {
        // 2x1 source, alpha 0.1 and 0.9; x2 grey model output 4x2.
        let src = rgba(2, 1, |c, i| if c == 3 { [0.1, 0.9][i] } else { 0.0 });
        let model = Planar {
            channels: 1,
            width: 4,
            height: 2,
            data: vec![0.5; 8],
        };
        let out = compose_output(&model, &src, 2, 1.0).unwrap();
        assert_eq!(out.plane(0), &[0.5; 8]);
        assert_eq!(out.plane(3), &[0.1, 0.1, 0.9, 0.9, 0.1, 0.1, 0.9, 0.9]);
        assert!(compose_output(&model, &src, 1, 1.0).is_none());
    }
}
