//! A planar float image: `channels` planes of `height` rows of `width` values, row 0 at the **top**, the
//! memory layout of one NCHW tensor with N = 1.

#[derive(Debug, Clone, PartialEq)]
pub struct Planar {
    pub channels: usize,
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

impl Planar {
    pub fn zeros(channels: usize, width: usize, height: usize) -> Self {
        Planar {
            channels,
            width,
            height,
            data: vec![0.0; channels * width * height],
        }
    }

    pub fn plane_len(&self) -> usize {
        self.width * self.height
    }

    pub fn plane(&self, c: usize) -> &[f32] {
        let n = self.plane_len();
        &self.data[c * n..(c + 1) * n]
    }

    pub fn plane_mut(&mut self, c: usize) -> &mut [f32] {
        let n = self.plane_len();
        &mut self.data[c * n..(c + 1) * n]
    }

    /// The NCHW shape of this buffer as a tensor.
    pub fn tensor_shape(&self) -> [usize; 4] {
        [1, self.channels, self.height, self.width]
    }
}
