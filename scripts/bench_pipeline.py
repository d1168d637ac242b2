#!/usr/bin/env python3
"""The pipeline a TD would write with numpy and onnxruntime, timed for `cargo xtask bench`.

Usage: bench_pipeline.py --model M.onnx --contract CONTRACT.json --width W --height H --threads T

Image array in, image array out: an RGBA float32 frame [H, W, 4] (top row first, as a host hands it) becomes
the model's tensor (channel order, the manifest's affine range map, layout, padding to the size the model
takes, or fixed-size tiles), runs, and the outputs come back into an RGBA float32 frame (range undone,
colour and/or alpha, the source's alpha kept where no output gives it, cropped to the frame times the
model's scale). The contract (what the plugin reads from the model's manifest) comes from the bench, so
both sides feed the model the same tensor; nothing else of onnxfx is used.

It runs as a server so the bench can interleave it with the Rust measurements: it prints `ready MS` (the
session's creation time) once the session exists and one warm-up run is done, then answers each `run`
line on stdin with the milliseconds of one whole pipeline, and stops at `quit` or end of input.
"""

import argparse
import json
import sys
import time

import numpy as np
import onnxruntime as ort

PLANE = {"R": 0, "G": 1, "B": 2, "A": 3}
LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def frame(width, height):
    """A smooth, deterministic RGBA test frame (values in 0..1, opaque-ish alpha)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.empty((height, width, 4), dtype=np.float32)
    img[..., 0] = x / max(width - 1, 1)
    img[..., 1] = y / max(height - 1, 1)
    img[..., 2] = 0.5 + 0.5 * np.sin(x * 0.05) * np.cos(y * 0.05)
    img[..., 3] = 1.0
    return img


def to_tensor(img, contract):
    """[H, W, 4] RGBA -> the input tensor (batch 1) in the model's channels, range and layout."""
    channels = []
    for c, (name, scale, offset) in enumerate(zip(contract["channels"], contract["scale"], contract["offset"])):
        plane = img[..., :3] @ LUMA if name == "L" else img[..., PLANE[name]]
        channels.append(plane * np.float32(scale) + np.float32(offset))
    if contract["layout"] == "nchw":
        return np.ascontiguousarray(np.stack(channels)[None], dtype=np.float32)
    return np.ascontiguousarray(np.stack(channels, axis=-1)[None], dtype=np.float32)


def padded(img, size):
    """Reflect-pads the frame (bottom and right) to the multiple the model takes."""
    kind = size["kind"]
    if kind != "multiple_of":
        return img
    n = size["n"]
    h, w = img.shape[:2]
    ph, pw = (-h) % n, (-w) % n
    if ph == 0 and pw == 0:
        return img
    return np.pad(img, ((0, ph), (0, pw), (0, 0)), mode="reflect")


def into_frame(out, values, output, planes_hw):
    """Writes one output tensor into the RGBA frame `out` (range undone)."""
    v = values[0] if output["layout"] == "nchw" else np.moveaxis(values[0], -1, 0)
    h, w = planes_hw
    for c, name in enumerate(output["channels"]):
        plane = v[c, :h, :w] * np.float32(output["inv_scale"][c]) + np.float32(output["inv_offset"][c])
        if output["use"] == "alpha":
            out[..., 3] = plane
        elif name == "L":
            out[..., 0] = plane
            out[..., 1] = plane
            out[..., 2] = plane
        elif name != "A" or output.get("with_alpha"):
            out[..., PLANE[name]] = plane


def run_once(session, img, contract):
    """One frame through the model; returns the output RGBA frame."""
    size = contract["size"]
    names = [o["name"] for o in contract["outputs"]]
    h, w = img.shape[:2]
    if size["kind"] == "fixed":
        tw, th = size["width"], size["height"]
        tiles = []
        for y0 in range(0, h, th):
            for x0 in range(0, w, tw):
                tile = img[y0 : y0 + th, x0 : x0 + tw]
                ph, pw = th - tile.shape[0], tw - tile.shape[1]
                if ph or pw:
                    tile = np.pad(tile, ((0, ph), (0, pw), (0, 0)), mode="edge")
                results = session.run(names, {contract["input"]: to_tensor(tile, contract)})
                tiles.append(((y0, x0), tile.shape[:2], results))
        scale = tiles[0][2][0].shape[-1 if contract["outputs"][0]["layout"] == "nchw" else -2] // tw
        out = np.empty((h * scale, w * scale, 4), dtype=np.float32)
        out[..., 3] = np.repeat(np.repeat(img[..., 3], scale, 0), scale, 1)
        for (y0, x0), _, results in tiles:
            ys, xs = y0 * scale, x0 * scale
            view = out[ys : ys + th * scale, xs : xs + tw * scale]
            for output, values in zip(contract["outputs"], results):
                into_frame(view, values, output, view.shape[:2])
        return out
    tensor = to_tensor(padded(img, size), contract)
    results = session.run(names, {contract["input"]: tensor})
    first = results[0]
    out_w = first.shape[3] if contract["outputs"][0]["layout"] == "nchw" else first.shape[2]
    scale = max(out_w // tensor.shape[3 if contract["layout"] == "nchw" else 2], 1)
    out = np.empty((h * scale, w * scale, 4), dtype=np.float32)
    # The source's alpha where no output gives it (nearest-neighbour for scale models), as the plugin does.
    alpha = img[..., 3] if scale == 1 else np.repeat(np.repeat(img[..., 3], scale, 0), scale, 1)
    out[..., 3] = alpha
    for output, values in zip(contract["outputs"], results):
        into_frame(out, values, output, (h * scale, w * scale))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--contract", required=True)
    parser.add_argument("--width", type=int, required=True)
    parser.add_argument("--height", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    with open(args.contract) as f:
        contract = json.load(f)

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    start = time.perf_counter()
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    created = (time.perf_counter() - start) * 1e3
    img = frame(args.width, args.height)
    out = run_once(session, img, contract)  # warm-up: the first run sizes the arena
    assert out.shape[2] == 4
    print(f"ready {created:.3f} {ort.__version__}", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        if command != "run":
            print(f"error unknown command {command!r}", flush=True)
            continue
        start = time.perf_counter()
        out = run_once(session, img, contract)
        elapsed = (time.perf_counter() - start) * 1e3
        print(f"ms {elapsed:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
