#!/usr/bin/env python3
"""Convert an ncnn model (.param text + .bin weights) to ONNX, and check it against the ncnn runtime.

Usage:
    ncnn2onnx.py convert MODEL.param MODEL.bin OUT.onnx [--name NAME] [--doc TEXT]
    ncnn2onnx.py verify MODEL.param MODEL.bin OUT.onnx [--size 64] [--tolerance 1e-4]

`verify` needs the PyPI `ncnn` package: it runs both on the same random 0..1 RGB patch (seeded) with ncnn's
fp16 storage and arithmetic turned off and prints the largest difference; exit status 1 above --tolerance.

The layers Real-ESRGAN's ncnn exports use are supported: Input, Split, Concat, Convolution (with its fused
activation: ReLU, leaky ReLU, clip, sigmoid), PReLU, Eltwise (product, sum with coefficients, max),
BinaryOp (add, sub, mul, div between two blobs), PixelShuffle, Interp (nearest, bilinear, bicubic by scale).
Anything else is an error naming the layer. Weights stored as float16 in the .bin stay float16 in the ONNX
file (one Cast to float32 each, folded by ONNX Runtime at load), so the file is no larger than the source.

Formats, as ncnn reads them (src/net.cpp, src/modelbin.cpp, src/layer/*.cpp):
- .param: magic 7767517, "layer_count blob_count", then one line per layer:
  `Type name n_in n_out in_blobs... out_blobs... key=value...`; a negative key -23300-k holds an array
  `count,v1,v2...` for parameter k. Keys default as each layer's load_param says.
- .bin: per layer in order, its weights. A tagged blob (Convolution weights) starts with a 4-byte flag:
  0x01306B47 float16 (data padded to 4 bytes), 0x000D4B38 int8 (unsupported here), 0 float32; untagged
  blobs (biases, PReLU slopes) are raw float32.
"""

import argparse
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
FP16_TAG = 0x01306B47
INT8_TAG = 0x000D4B38


def parse_param(path):
    with open(path) as f:
        lines = [line.split() for line in f if line.strip()]
    if lines[0] != ["7767517"]:
        raise ValueError(f"{path}: not an ncnn param file (magic {lines[0]})")
    layers = []
    for fields in lines[2:]:
        kind, name, n_in, n_out = fields[0], fields[1], int(fields[2]), int(fields[3])
        inputs = fields[4:4 + n_in]
        outputs = fields[4 + n_in:4 + n_in + n_out]
        params = {}
        for item in fields[4 + n_in + n_out:]:
            key, value = item.split("=", 1)
            key = int(key)
            if key <= -23300:
                values = value.split(",")
                params[-key - 23300] = [float(v) for v in values[1:1 + int(values[0])]]
            elif any(c in value for c in ".eE"):
                params[key] = float(value)
            else:
                params[key] = int(value)
        layers.append({"type": kind, "name": name, "inputs": inputs, "outputs": outputs, "params": params})
    return layers


class Weights:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        self.pos = 0

    def raw_f32(self, count):
        out = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.pos).copy()
        self.pos += 4 * count
        return out

    def tagged(self, count):
        (tag,) = struct.unpack_from("<I", self.data, self.pos)
        self.pos += 4
        if tag == FP16_TAG:
            out = np.frombuffer(self.data, dtype="<f2", count=count, offset=self.pos).copy()
            self.pos += (2 * count + 3) // 4 * 4
            return out
        if tag == 0:
            return self.raw_f32(count)
        if tag == INT8_TAG:
            raise ValueError("int8-quantised weights are not supported")
        raise ValueError(f"unknown weight tag {tag:#x} at byte {self.pos - 4}")

    def done(self):
        return self.pos == len(self.data)


def convert(param_path, bin_path, name="ncnn", doc=""):
    layers = parse_param(param_path)
    weights = Weights(bin_path)
    nodes, inits = [], []
    alias = {}  # Split outputs -> the blob they copy
    counter = [0]
    graph_input = graph_output = None

    def blob(b):
        return alias.get(b, b)

    def fresh(stem):
        counter[0] += 1
        return f"{stem}_{counter[0]}"

    def const(stem, array):
        n = fresh(stem)
        array = np.asarray(array)
        inits.append(numpy_helper.from_array(array, n))
        if array.dtype == np.float16:
            f32 = fresh(stem + "_f32")
            nodes.append(helper.make_node("Cast", [n], [f32], to=TensorProto.FLOAT))
            return f32
        return n

    def activation(x, out, kind, args):
        if kind == 0:
            nodes.append(helper.make_node("Identity", [x], [out]))
        elif kind == 1:
            nodes.append(helper.make_node("Relu", [x], [out]))
        elif kind == 2:
            nodes.append(helper.make_node("LeakyRelu", [x], [out], alpha=float(args[0])))
        elif kind == 3:
            lo, hi = const("clip_lo", np.float32(args[0])), const("clip_hi", np.float32(args[1]))
            nodes.append(helper.make_node("Clip", [x, lo, hi], [out]))
        elif kind == 4:
            nodes.append(helper.make_node("Sigmoid", [x], [out]))
        else:
            raise ValueError(f"activation type {kind} is not supported")

    for layer in layers:
        kind, p = layer["type"], layer["params"]
        ins = [blob(b) for b in layer["inputs"]]
        outs = layer["outputs"]
        where = f"layer {layer['name']} ({kind})"
        if kind == "Input":
            graph_input = outs[0]
        elif kind == "Split":
            for o in outs:
                alias[o] = ins[0]
        elif kind == "Convolution":
            num_out = p.get(0, 0)
            kw = p.get(1, 0)
            kh = p.get(11, kw)
            dw = p.get(2, 1)
            dh = p.get(12, dw)
            sw = p.get(3, 1)
            sh = p.get(13, sw)
            pl = p.get(4, 0)
            pt = p.get(14, pl)
            pr = p.get(15, pl)
            pb = p.get(16, pt)
            if min(pl, pt, pr, pb) < 0 or p.get(8, 0) or p.get(18, 0.0):
                raise ValueError(f"{where}: SAME/int8/pad-value convolutions are not supported")
            size = p.get(6, 0)
            w = weights.tagged(size)
            in_ch = size // (num_out * kw * kh)
            w = w.reshape(num_out, in_ch, kh, kw)
            conv_in = [ins[0], const("w", w)]
            if p.get(5, 0):
                conv_in.append(const("b", weights.raw_f32(num_out)))
            conv_out = fresh("conv") if p.get(9, 0) else outs[0]
            nodes.append(helper.make_node("Conv", conv_in, [conv_out], kernel_shape=[kh, kw],
                                          strides=[sh, sw], dilations=[dh, dw], pads=[pt, pl, pb, pr]))
            if p.get(9, 0):
                activation(conv_out, outs[0], p[9], p.get(10, []))
        elif kind == "PReLU":
            count = p.get(0, 0)
            slope = weights.raw_f32(count).reshape(-1, 1, 1) if count > 1 else weights.raw_f32(1)
            nodes.append(helper.make_node("PRelu", [ins[0], const("slope", slope)], [outs[0]]))
        elif kind == "Concat":
            axis = p.get(0, 0)
            nodes.append(helper.make_node("Concat", ins, [outs[0]], axis=axis + 1))
        elif kind == "Eltwise":
            op, coeffs = p.get(0, 1), p.get(1, [])
            if op == 0:
                acc = ins[0]
                for i, x in enumerate(ins[1:]):
                    o = outs[0] if i == len(ins) - 2 else fresh("prod")
                    nodes.append(helper.make_node("Mul", [acc, x], [o]))
                    acc = o
            elif op == 2:
                nodes.append(helper.make_node("Max", ins, [outs[0]]))
            elif op == 1:
                terms = []
                for i, x in enumerate(ins):
                    c = coeffs[i] if coeffs else 1.0
                    if c == 1.0:
                        terms.append(x)
                    else:
                        t = fresh("scaled")
                        nodes.append(helper.make_node("Mul", [x, const("coeff", np.float32(c))], [t]))
                        terms.append(t)
                nodes.append(helper.make_node("Sum", terms, [outs[0]]))
            else:
                raise ValueError(f"{where}: operation {op} is not supported")
        elif kind == "BinaryOp":
            op = p.get(0, 0)
            if p.get(1, 0):
                raise ValueError(f"{where}: a scalar operand is not supported")
            onnx_op = {0: "Add", 1: "Sub", 2: "Mul", 3: "Div"}.get(op)
            if onnx_op is None:
                raise ValueError(f"{where}: operation {op} is not supported")
            nodes.append(helper.make_node(onnx_op, ins[:2], [outs[0]]))
        elif kind == "PixelShuffle":
            if p.get(1, 0) != 0:
                raise ValueError(f"{where}: only PyTorch's channel order (mode 0) is supported")
            nodes.append(helper.make_node("DepthToSpace", [ins[0]], [outs[0]], blocksize=p.get(0, 1),
                                          mode="CRD"))
        elif kind == "Interp":
            mode, hs, ws = p.get(0, 0), p.get(1, 1.0), p.get(2, 1.0)
            if p.get(3, 0) or p.get(4, 0) or p.get(5, 0) or p.get(6, 0):
                raise ValueError(f"{where}: fixed output sizes and align_corner are not supported")
            scales = const("scales", np.array([1.0, 1.0, hs, ws], dtype=np.float32))
            if mode == 1:
                attrs = dict(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
            elif mode == 2:
                attrs = dict(mode="linear", coordinate_transformation_mode="half_pixel")
            elif mode == 3:
                attrs = dict(mode="cubic", coordinate_transformation_mode="half_pixel", cubic_coeff_a=-0.75,
                             exclude_outside=0)
            else:
                raise ValueError(f"{where}: resize type {mode} is not supported")
            nodes.append(helper.make_node("Resize", [ins[0], "", scales], [outs[0]], **attrs))
        else:
            raise ValueError(f"{where}: layer type {kind} is not supported")
        if kind != "Split" and outs:
            graph_output = outs[0]
    if not weights.done():
        raise ValueError(f"{bin_path}: {len(weights.data) - weights.pos} bytes of weights left over")
    if graph_input is None or graph_output is None:
        raise ValueError("no Input layer or no output")
    # Stable tensor names for the manifest: input "input", output "output".
    for node in nodes:
        node.input[:] = ["input" if i == graph_input else i for i in node.input]
        node.output[:] = ["output" if o == graph_output else o for o in node.output]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "H", "W"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, "OH", "OW"])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="onnxfx scripts/ncnn2onnx.py")
    model.ir_version = IR_VERSION
    model.doc_string = doc
    onnx.checker.check_model(model)
    return model


def verify(param_path, bin_path, onnx_path, size, seed=0):
    import ncnn
    import onnxruntime as ort

    rng = np.random.default_rng(seed)
    x = rng.random((3, size, size), dtype=np.float32)
    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.use_fp16_packed = False
    net.opt.use_fp16_storage = False
    net.opt.use_fp16_arithmetic = False
    net.opt.use_bf16_storage = False
    net.opt.num_threads = 2
    net.load_param(param_path)
    net.load_model(bin_path)
    layers = parse_param(param_path)
    in_blob = layers[0]["outputs"][0]
    out_blob = [layer for layer in layers if layer["type"] != "Split"][-1]["outputs"][0]
    ex = net.create_extractor()
    ex.input(in_blob, ncnn.Mat(x))
    _, out = ex.extract(out_blob)
    want = np.array(out)
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x[None]})[0][0]
    if got.shape != want.shape:
        raise ValueError(f"shapes differ: onnx {got.shape}, ncnn {want.shape}")
    return float(np.max(np.abs(got - want))), got.shape


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("convert", "verify"))
    parser.add_argument("param")
    parser.add_argument("bin")
    parser.add_argument("onnx")
    parser.add_argument("--name", default="ncnn")
    parser.add_argument("--doc", default="")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    if args.command == "convert":
        model = convert(args.param, args.bin, args.name, args.doc)
        onnx.save(model, args.onnx)
        print(f"{args.onnx}: {len(model.graph.node)} nodes, {len(model.graph.initializer)} initializers")
        return 0
    diff, shape = verify(args.param, args.bin, args.onnx, args.size)
    ok = diff <= args.tolerance
    print(f"{args.onnx}: max |onnx - ncnn| = {diff:.3e} on a {args.size}x{args.size} patch "
          f"(output {list(shape)}), tolerance {args.tolerance:g}: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
