#!/usr/bin/env python3
"""Convert a TF.js layers model (model.json + weight shards) to ONNX, and check it on a fixture image.

Usage:
    tfjs2onnx.py convert MODEL_DIR OUT.onnx [--input-range 1|255] [--name NAME] [--doc TEXT]
    tfjs2onnx.py verify OUT.onnx FIXTURE.png EXPECTED.png [--tolerance T]

MODEL_DIR holds model.json and the shards its weightsManifest names. The ONNX graph (opset 17, IR 8, float32)
takes `input` [1,3,H,W] RGB 0..1 (H, W dynamic) and gives `output` [1,3,sH,sW] RGB 0..1, clipped like the
package clips its output. A model trained on 0..255 (--input-range 255, UpscalerJS's RDN) gets the scaling
inside the graph: x255 in front, /255 behind.

Layers handled (Keras, channels_last, turned to NCHW): InputLayer, Conv2D (stride 1, no dilation or
groups, padding same/valid, linear or relu activation), Activation (relu, sigmoid, tanh, linear),
Concatenate and Add, UpSampling2D (nearest), UpscalerJS's custom MultiplyBeta (x beta) and PixelShuffle<N>x
(tf.depthToSpace NHWC, which is ONNX DepthToSpace in DCR mode). Anything else is an error naming the layer.
Kernels are stored HWIO and become OIHW.

`verify` runs the ONNX file on the package's fixture (an 8-bit RGBA PNG, alpha opaque) and compares it with
the package's expected result (also 8-bit, our output rounded to nearest): the figure is max |ours - expected|
in 0..1 units before rounding. A correct conversion stays within half an 8-bit level (0.5/255 = 1.96e-3);
the tolerance adds 1% of a level for float noise at rounding boundaries. Also reported: the fraction of
values whose rounded 8-bit result differs (about 2e-5 for a correct conversion: boundary cases only).
"""

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
# The fixtures are 8-bit PNGs: half a level, plus 1% of a level for float noise at rounding boundaries.
TOLERANCE = 0.51 / 255.0


def read_weights(manifest, read):
    """name -> float32 array, from the shards in manifest order (`read(path)` gives a shard's bytes)."""
    weights = {}
    for group in manifest:
        data = b"".join(read(path) for path in group["paths"])
        pos = 0
        for entry in group["weights"]:
            if entry.get("dtype") != "float32" or "quantization" in entry:
                raise ValueError(f"weight {entry['name']}: only unquantised float32 is supported")
            count = int(np.prod(entry["shape"])) if entry["shape"] else 1
            array = np.frombuffer(data, dtype="<f4", count=count, offset=pos).reshape(entry["shape"])
            weights[entry["name"]] = array.astype(np.float32)
            pos += 4 * count
        if pos != len(data):
            raise ValueError(f"shards {group['paths']}: {len(data) - pos} bytes left over")
    return weights


class Graph:
    def __init__(self, weights):
        self.weights = weights
        self.nodes = []
        self.inits = []
        self.count = 0

    def fresh(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def const(self, base, array):
        name = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
        return name

    def node(self, op, inputs, base, **attrs):
        out = self.fresh(base)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def weight(self, layer, kind):
        key = f"{layer}/{kind}"
        if key not in self.weights:
            raise ValueError(f"layer {layer}: weight {key} missing from the manifest")
        return self.weights[key]


ACTIVATIONS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}


def activation(g, x, name, kind):
    if kind in (None, "linear"):
        return x
    if kind not in ACTIVATIONS:
        raise ValueError(f"layer {name}: activation {kind} not supported")
    return g.node(ACTIVATIONS[kind], [x], f"{name}_{kind}")


def conv2d(g, x, name, cfg):
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise ValueError(f"layer {name}: data_format {cfg['data_format']} not supported")
    if list(cfg["strides"]) != [1, 1] or list(cfg["dilation_rate"]) != [1, 1] or cfg.get("groups", 1) != 1:
        raise ValueError(f"layer {name}: only stride 1, dilation 1, groups 1 are supported")
    kh, kw = cfg["kernel_size"]
    if cfg["padding"] == "same":
        if kh % 2 == 0 or kw % 2 == 0:
            raise ValueError(f"layer {name}: 'same' padding with an even kernel is not supported")
        pads = [kh // 2, kw // 2, kh // 2, kw // 2]
    elif cfg["padding"] == "valid":
        pads = [0, 0, 0, 0]
    else:
        raise ValueError(f"layer {name}: padding {cfg['padding']} not supported")
    kernel = g.weight(name, "kernel")  # HWIO
    inputs = [x, g.const(f"{name}_w", kernel.transpose(3, 2, 0, 1))]
    if cfg.get("use_bias", True):
        inputs.append(g.const(f"{name}_b", g.weight(name, "bias")))
    y = g.node("Conv", inputs, name, kernel_shape=[kh, kw], pads=pads)
    return activation(g, y, name, cfg.get("activation"))


def channel_axis(name, axis):
    # channels_last rank-4: axis 3 / -1 is channels, which is axis 1 in NCHW.
    if axis not in (3, -1):
        raise ValueError(f"layer {name}: concatenation on axis {axis} not supported")
    return 1


def convert(model_json, read, input_range=1.0, name="model", doc=""):
    """ONNX ModelProto from a parsed model.json; `read(path)` gives the bytes of a shard it names."""
    topology = model_json["modelTopology"]
    config = topology.get("model_config", topology)["config"]
    g = Graph(read_weights(model_json["weightsManifest"], read))
    if len(config["input_layers"]) != 1 or len(config["output_layers"]) != 1:
        raise ValueError("only single-input, single-output models are supported")
    tensors = {}
    x = "input"
    if input_range != 1.0:
        x = g.node("Mul", [x, g.const("range_in", input_range)], "range_in")
    for layer in config["layers"]:
        kind, lname, cfg = layer["class_name"], layer["name"], layer["config"]
        if kind == "InputLayer":
            tensors[lname] = x
            continue
        if len(layer["inbound_nodes"]) != 1:
            raise ValueError(f"layer {lname}: shared layers are not supported")
        srcs = []
        for src, node_index, tensor_index, *_ in layer["inbound_nodes"][0]:
            if node_index != 0 or tensor_index != 0:
                raise ValueError(f"layer {lname}: input {src}[{node_index}][{tensor_index}] not supported")
            srcs.append(tensors[src])
        if kind == "Conv2D":
            y = conv2d(g, srcs[0], lname, cfg)
        elif kind == "Activation":
            y = activation(g, srcs[0], lname, cfg["activation"])
        elif kind == "Concatenate":
            y = g.node("Concat", srcs, lname, axis=channel_axis(lname, cfg.get("axis", -1)))
        elif kind == "Add":
            y = srcs[0]
            for other in srcs[1:]:
                y = g.node("Add", [y, other], lname)
        elif kind == "MultiplyBeta":
            y = g.node("Mul", [srcs[0], g.const(f"{lname}_beta", cfg.get("beta", 0.2))], lname)
        elif kind.startswith("PixelShuffle"):
            y = g.node("DepthToSpace", srcs, lname, blocksize=int(cfg["scale"]), mode="DCR")
        elif kind == "UpSampling2D":
            if cfg.get("interpolation", "nearest") != "nearest":
                raise ValueError(f"layer {lname}: interpolation {cfg['interpolation']} not supported")
            sh, sw = cfg["size"]
            scales = g.const(f"{lname}_scales", [1.0, 1.0, float(sh), float(sw)])
            # Integer factors: asymmetric + floor repeats each pixel, as Keras does.
            y = g.node("Resize", [srcs[0], "", scales], lname, mode="nearest",
                       coordinate_transformation_mode="asymmetric", nearest_mode="floor")
        else:
            raise ValueError(f"layer {lname}: layer type {kind} not supported")
        tensors[lname] = y
    y = tensors[config["output_layers"][0][0]]
    if input_range != 1.0:
        y = g.node("Mul", [y, g.const("range_out", 1.0 / input_range)], "range_out")
    zero, one = g.const("lo", 0.0), g.const("hi", 1.0)
    g.nodes.append(helper.make_node("Clip", [y, zero, one], ["output"], name="output"))

    graph = helper.make_graph(
        g.nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, "out_height", "out_width"])],
        g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="onnxfx tfjs2onnx.py", doc_string=doc)
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def load_png(data):
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))
    if image[..., 3].min() != 255:
        raise ValueError("fixture has transparent pixels; the check assumes an opaque image")
    return image[..., :3]


def verify(onnx_path, fixture_png, expected_png):
    """(max |diff| in 0..1 units, fraction of 8-bit values that differ after rounding, output shape)."""
    import onnxruntime as ort

    lr = load_png(fixture_png).astype(np.float32) / 255.0
    expected = load_png(expected_png).astype(np.float32)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    sr = session.run(["output"], {"input": lr.transpose(2, 0, 1)[None]})[0]
    got = sr[0].transpose(1, 2, 0) * 255.0
    if got.shape != expected.shape:
        raise ValueError(f"output {got.shape} but the expected fixture is {expected.shape}")
    diff = float(np.abs(got - expected).max() / 255.0)
    mismatch = float((np.round(got) != expected).mean())
    return diff, mismatch, sr.shape


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert")
    c.add_argument("model_dir")
    c.add_argument("out")
    c.add_argument("--input-range", type=float, default=1.0)
    c.add_argument("--name", default="model")
    c.add_argument("--doc", default="")
    v = sub.add_parser("verify")
    v.add_argument("onnx")
    v.add_argument("fixture")
    v.add_argument("expected")
    v.add_argument("--tolerance", type=float, default=TOLERANCE)
    args = parser.parse_args()
    if args.cmd == "convert":
        root = Path(args.model_dir)
        model_json = json.loads((root / "model.json").read_text())
        proto = convert(model_json, lambda p: (root / p).read_bytes(), args.input_range, args.name, args.doc)
        onnx.save(proto, args.out)
        return 0
    diff, mismatch, shape = verify(args.onnx, Path(args.fixture).read_bytes(), Path(args.expected).read_bytes())
    print(f"max |onnx - expected| = {diff:.3e} (tolerance {args.tolerance:.3e}), 8-bit values differing "
          f"after rounding: {mismatch:.1e} (output {list(shape)})")
    return 0 if diff <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
