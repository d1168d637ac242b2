#!/usr/bin/env python3
"""Run an ONNX model on a PNG with onnxruntime's Python API and save the first output as .npy.

Usage: reference_infer.py --model M.onnx --input IMG.png --output OUT.npy [--channels 3|4] [--bgr]
                          [--mean M [M ...]] [--std S [S ...]] [--multiple-of N]

The input is the PNG as float32 in 0..1 (value / 255), RGB (or RGBA with --channels 4; BGR with --bgr),
then (x - mean) / std per channel when given, NCHW [1, C, H, W] with the top row first: the mapping a model
manifest asks of the plugin. With --multiple-of N (a manifest's `"size": {"multiple_of": N}`) the input is
grown by reflection to the next multiple of N, split evenly with an odd pixel at the right and at the top
(the high ends of OFX's y-up axes, as the plugin places it), and the output is cropped back. This path shares no code with onnxfx, so the tests can use its output as an
independent reference for what the plugin renders.
"""

import argparse
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image


def reflect_pads(h, w, multiple):
    """(top, bottom), (left, right) to add by reflection for multiples of `multiple`: split evenly, an odd
    one at the top and at the right (the high ends of OFX's y-up axes), where the plugin puts it."""
    grow_h, grow_w = -h % multiple, -w % multiple
    return (grow_h - grow_h // 2, grow_h // 2), (grow_w // 2, grow_w - grow_w // 2)


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
    parser.add_argument("--input", required=True, help="PNG image, or .npy float32 [1, C, H, W] taken as is")
    parser.add_argument("--output", required=True, help=".npy file for the first output")
    parser.add_argument("--channels", type=int, choices=(3, 4), default=3)
    parser.add_argument("--bgr", action="store_true", help="reverse the colour channels (BGR order)")
    parser.add_argument("--mean", type=float, nargs="+", default=[0.0])
    parser.add_argument("--std", type=float, nargs="+", default=[1.0])
    parser.add_argument("--multiple-of", type=int, default=1, help="pad H and W by reflection to multiples of N")
    args = parser.parse_args()

    if args.input.endswith(".npy"):
        x = np.load(args.input).astype(np.float32)  # already [1, C, H, W]
    else:
        x = load_image(args.input, args.channels)
    if args.bgr:
        x[:, :3] = x[:, 2::-1].copy()
    mean = np.array(args.mean, dtype=np.float32).reshape(1, -1, 1, 1)
    std = np.array(args.std, dtype=np.float32).reshape(1, -1, 1, 1)
    x = np.ascontiguousarray((x - mean) / std, dtype=np.float32)
    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    h, w = x.shape[2:]
    rows, columns = reflect_pads(h, w, args.multiple_of)
    padded = np.pad(x, ((0, 0), (0, 0), rows, columns), mode="reflect")
    first = session.run([session.get_outputs()[0].name], {session.get_inputs()[0].name: padded})[0]
    if padded.shape != x.shape:
        if first.shape[2:] != padded.shape[2:]:
            sys.exit("--multiple-of crops back only outputs of the input's size")
        first = np.ascontiguousarray(first[:, :, rows[0]:rows[0] + h, columns[0]:columns[0] + w])
    np.save(args.output, first)
    print(f"{args.output}: {first.dtype} {list(first.shape)} (input {list(padded.shape)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
