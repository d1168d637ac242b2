#!/usr/bin/env python3
"""Run an ONNX model on a PNG with onnxruntime's Python API and save the first output as .npy.

Usage: reference_infer.py --model M.onnx --input IMG.png --output OUT.npy [--channels 3|4]

The input is the PNG as float32 in 0..1 (value / 255), RGB (or RGBA with --channels 4), NCHW [1, C, H, W]
with the top row first: the plugin's default mapping. This path shares no code with onnxfx, so the tests
can use its output as an independent reference for what the plugin renders.
"""

import argparse
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image


def load_image(path, channels):
    mode = {3: "RGB", 4: "RGBA"}[channels]
    with Image.open(path) as img:
        # 16-bit greys come in as mode "I;16"; scale them to 8 bits first so /255 means the same everywhere.
        if img.mode.startswith("I;16") or img.mode == "I":
            img = img.point(lambda v: v / 257).convert("L")
        pixels = np.asarray(img.convert(mode), dtype=np.float32) / 255.0  # [H, W, C], top row first
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[None])  # [1, C, H, W]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", required=True, help="PNG image")
    parser.add_argument("--output", required=True, help=".npy file for the first output")
    parser.add_argument("--channels", type=int, choices=(3, 4), default=3)
    args = parser.parse_args()

    x = load_image(args.input, args.channels)
    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: x}
    first = session.run([session.get_outputs()[0].name], feed)[0]
    np.save(args.output, first)
    print(f"{args.output}: {first.dtype} {list(first.shape)} (input {list(x.shape)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
