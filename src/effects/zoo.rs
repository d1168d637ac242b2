//! The models the bundle ships (`cargo xtask models` installs them into
//! `Contents/Resources/models/`; each has a card and a manifest there), and how a task node finds one.
//! File names are stable: the task nodes' choices name them.

use std::path::PathBuf;

use super::common::bundled_model;
use crate::error::{Error, Result};

/// One model of the zoo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZooModel {
    /// Shown in the node's choice and in messages.
    pub name: &'static str,
    /// File name inside `Contents/Resources/models/`.
    pub file: &'static str,
    /// For opt-in models: why it is opt-in, and the command that installs it.
    pub opt_in: Option<(&'static str, &'static str)>,
}

pub const SR2: ZooModel = ZooModel {
    name: "onnxfx x2",
    file: "onnxfx-sr2.onnx",
    opt_in: None,
};

pub const REALESRGAN_X4PLUS: ZooModel = ZooModel {
    name: "Real-ESRGAN x4plus",
    file: "realesrgan-x4plus.onnx",
    opt_in: None,
};

pub const ANIMEVIDEO_X2: ZooModel = ZooModel {
    name: "realesr-animevideov3 x2",
    file: "realesr-animevideov3-x2.onnx",
    opt_in: None,
};

pub const ANIMEVIDEO_X4: ZooModel = ZooModel {
    name: "realesr-animevideov3 x4",
    file: "realesr-animevideov3-x4.onnx",
    opt_in: None,
};

pub const ESRGAN_SLIM_X2: ZooModel = ZooModel {
    name: "UpscalerJS ESRGAN slim x2",
    file: "esrgan-slim-x2.onnx",
    opt_in: None,
};

pub const ESRGAN_SLIM_X4: ZooModel = ZooModel {
    name: "UpscalerJS ESRGAN slim x4",
    file: "esrgan-slim-x4.onnx",
    opt_in: None,
};

pub const ESRGAN_MEDIUM_X2: ZooModel = ZooModel {
    name: "UpscalerJS ESRGAN medium x2",
    file: "esrgan-medium-x2.onnx",
    opt_in: None,
};

pub const ESRGAN_MEDIUM_X4: ZooModel = ZooModel {
    name: "UpscalerJS ESRGAN medium x4",
    file: "esrgan-medium-x4.onnx",
    opt_in: None,
};

pub const DENOISE: ZooModel = ZooModel {
    name: "onnxfx denoiser",
    file: "onnxfx-denoise.onnx",
    opt_in: None,
};

pub const ISNET: ZooModel = ZooModel {
    name: "ISNet (general use)",
    file: "isnet-general.onnx",
    opt_in: Some((
        "it comes from an AGPL-3.0 npm package (@imgly/background-removal-data; the weights are MIT)",
        "cargo xtask models --with isnet && cargo xtask bundle --with-models",
    )),
};

impl ZooModel {
    /// The model's file in the bundle, or why it is not there.
    pub fn path(&self) -> Result<PathBuf> {
        let path = bundled_model(self.file);
        if path.is_file() {
            return Ok(path);
        }
        Err(match self.opt_in {
            Some((licence, how)) => Error::ModelNotInstalled {
                name: self.name.to_owned(),
                licence: licence.to_owned(),
                how: how.to_owned(),
            },
            None => Error::BundledModelMissing {
                name: self.name.to_owned(),
                path,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_models_say_how_to_get_them() {
        let missing = ZooModel {
            file: "no-such-model.onnx",
            ..SR2
        };
        let text = missing.path().unwrap_err().to_string();
        assert!(
            text.contains("onnxfx x2 is missing from the bundle"),
            "{text}"
        );
        let opt_in = ZooModel {
            file: "no-such-model.onnx",
            ..ISNET
        };
        let text = opt_in.path().unwrap_err().to_string();
        assert!(
            text.contains("not installed")
                && text.contains("AGPL-3.0")
                && text.contains("--with isnet"),
            "{text}"
        );
    }
}
