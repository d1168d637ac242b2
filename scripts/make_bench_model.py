#!/usr/bin/env python3
"""Generate the benchmark's own model: a small residual convolution network, the shape of a light
restoration model (denoise, sharpen), with fixed random weights.

Usage: make_bench_model.py OUT.onnx

`image` [N, 3, H, W] -> 3x3 conv to 16 channels, ReLU, 3x3 conv 16 -> 16, ReLU, 3x3 conv 16 -> 3, plus the
input -> `output` [N, 3, H, W]. About 3,200 multiply-adds per pixel (6.6 GMAC at 1920x1080): enough work
that the session's time is a real model's, not a memory copy's; dynamic sizes, opset 17, float32, and a
receptive radius of 3 pixels (tiles with the default overlap give the untiled frame).
"""

import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def conv(name, x, w, b):
    return helper.make_node("Conv", [x, w, b], [name], pads=[1, 1, 1, 1], kernel_shape=[3, 3])


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    rng = np.random.default_rng(7)
    widths = [(16, 3), (16, 16), (3, 16)]
    inits, nodes, x = [], [], "image"
    for i, (o, c) in enumerate(widths):
        w = (rng.standard_normal((o, c, 3, 3)) * np.sqrt(2.0 / (9 * c)) * 0.5).astype(np.float32)
        b = np.zeros(o, dtype=np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        y = f"c{i}"
        nodes.append(conv(y, x, f"w{i}", f"b{i}"))
        if i + 1 < len(widths):
            nodes.append(helper.make_node("Relu", [y], [f"r{i}"]))
            y = f"r{i}"
        x = y
    nodes.append(helper.make_node("Add", ["image", x], ["output"]))
    io = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", 3, "H", "W"])  # noqa: E731
    graph = helper.make_graph(nodes, "bench_convnet", [io("image")], [io("output")], inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="onnxfx scripts/make_bench_model.py"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out)
    # Check that it runs and keeps the size.
    session = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    y = session.run(None, {"image": np.zeros((1, 3, 17, 23), dtype=np.float32)})[0]
    assert y.shape == (1, 3, 17, 23), y.shape
    print(f"{out}: bench convnet, {sum(int(np.prod(i.dims)) for i in inits)} weights")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
