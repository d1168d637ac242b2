#!/usr/bin/env python3
"""Generate the small ONNX models the tests use, and check each one.

Usage: make_test_models.py OUTDIR

Every model is opset 17, float32, NCHW, with input `image` and output `output` unless its entry says
otherwise; N, H and W are symbolic (dynamic) unless stated. Good models must pass onnx.checker and match a
numpy formula when run by onnxruntime (max abs diff <= 1e-5); bad models must fail the way they are meant
to. The script exits non-zero if any check fails, so the models in OUTDIR can be trusted.
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
# The oldest IR version that carries opset 17: readable by any onnxruntime that runs opset 17.
IR_VERSION = 8
TOLERANCE = 1e-5
FLOAT = TensorProto.FLOAT
FLOAT16 = TensorProto.FLOAT16

# Symbolic dimensions: the plugin must not assume a fixed batch or frame size.
N, H, W = "N", "H", "W"


def image(name, channels, dims=(N, H, W), elem=FLOAT):
    n, h, w = dims
    return helper.make_tensor_value_info(name, elem, [n, channels, h, w])


def const(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def model(name, nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    m = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="onnxfx scripts/make_test_models.py",
    )
    m.ir_version = IR_VERSION
    return m


# ---- good models -------------------------------------------------------------------------------------


def invert():
    return model(
        "invert",
        [helper.make_node("Sub", ["one", "image"], ["output"])],
        [image("image", 3)],
        [image("output", 3)],
        [const("one", 1.0)],
    )


def gain():
    # y = 2x + 0.1, not clamped: values outside 0..1 must come back to the host as they are.
    return model(
        "gain",
        [
            helper.make_node("Mul", ["image", "two"], ["doubled"]),
            helper.make_node("Add", ["doubled", "offset"], ["output"]),
        ],
        [image("image", 3)],
        [image("output", 3)],
        [const("two", 2.0), const("offset", 0.1)],
    )


SHARPEN = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32)


def conv3x3():
    # Depthwise 3x3 sharpen. pads=1 means zero padding: edge pixels see zeros outside the frame, so they
    # differ from a clamp-to-edge filter (tests comparing edges must expect that).
    weights = np.tile(SHARPEN, (3, 1, 1, 1))  # [3 out, 1 in per group, 3, 3]
    return model(
        "conv3x3",
        [
            helper.make_node(
                "Conv",
                ["image", "w", "b"],
                ["output"],
                kernel_shape=[3, 3],
                pads=[1, 1, 1, 1],
                group=3,
            )
        ],
        [image("image", 3)],
        [image("output", 3)],
        [const("w", weights), const("b", np.zeros(3))],
    )


def upscale2x():
    # Nearest-neighbour x2: a 1x1 conv copies each input channel into its 4 sub-pixel slots, then
    # DepthToSpace (DCR) moves slot (i, j) of output channel c, which DCR reads from channel (2i + j) * 3 + c,
    # to pixel (2y + i, 2x + j).
    weights = np.zeros((12, 3, 1, 1), dtype=np.float32)
    for k in range(12):
        weights[k, k % 3, 0, 0] = 1.0
    return model(
        "upscale2x",
        [
            helper.make_node("Conv", ["image", "w"], ["slots"], kernel_shape=[1, 1]),
            helper.make_node("DepthToSpace", ["slots"], ["output"], blocksize=2, mode="DCR"),
        ],
        [image("image", 3)],
        [image("output", 3, (N, "H2", "W2"))],
        [const("w", weights)],
    )


def two_outputs():
    return model(
        "two_outputs",
        [
            helper.make_node("Mul", ["image", "half_k"], ["half"]),
            helper.make_node("Sub", ["one", "image"], ["inverted"]),
        ],
        [image("image", 3)],
        [image("half", 3), image("inverted", 3)],
        [const("half_k", 0.5), const("one", 1.0)],
    )


def rgba_identity():
    return model(
        "rgba_identity",
        [helper.make_node("Mul", ["image", "one"], ["output"])],
        [image("image", 4)],
        [image("output", 4)],
        [const("one", 1.0)],
    )


LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)  # Rec. 709


def luma():
    return model(
        "luma",
        [helper.make_node("Conv", ["image", "w"], ["output"], kernel_shape=[1, 1])],
        [image("image", 3)],
        [image("output", 1)],
        [const("w", LUMA.reshape(1, 3, 1, 1))],
    )


# ---- models the plugin must reject (valid ONNX, wrong for an image effect) ---------------------------


def not_image():
    return model(
        "not_image",
        [helper.make_node("Mul", ["image", "one"], ["output"])],
        [helper.make_tensor_value_info("image", FLOAT, [1, 10])],
        [helper.make_tensor_value_info("output", FLOAT, [1, 10])],
        [const("one", 1.0)],
    )


def int_input():
    return model(
        "int_input",
        [helper.make_node("Cast", ["image"], ["output"], to=FLOAT)],
        [image("image", 3, elem=TensorProto.INT64)],
        [image("output", 3)],
    )


def bad_output_shape():
    return model(
        "bad_output_shape",
        [helper.make_node("GlobalAveragePool", ["image"], ["output"])],
        [image("image", 3)],
        [image("output", 3, (N, 1, 1))],
    )


def two_channel_output():
    weights = np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32).reshape(2, 3, 1, 1)
    return model(
        "two_channel_output",
        [helper.make_node("Conv", ["image", "w"], ["output"], kernel_shape=[1, 1])],
        [image("image", 3)],
        [image("output", 2)],
        [const("w", weights)],
    )


def fixed_64():
    m = invert()
    fixed = image("image", 3, (1, 64, 64))
    m.graph.input[0].CopyFrom(fixed)
    m.graph.output[0].CopyFrom(image("output", 3, (1, 64, 64)))
    m.graph.name = "fixed_64"
    return m


def matte_fixed_64():
    # A fixed-size matting model without a manifest (as ISNet is fixed at 1024): [1,3,64,64] in, its
    # Rec. 709 luma [1,1,64,64] out. The Matte node takes a single-channel output as the matte.
    return model(
        "matte_fixed_64",
        [helper.make_node("Conv", ["image", "w"], ["output"])],
        [image("image", 3, (1, 64, 64))],
        [image("output", 1, (1, 64, 64))],
        [const("w", LUMA.reshape(1, 3, 1, 1))],
    )


def clamp01():
    # y = min(max(x, 0), 1): a model that cannot give back values above 1, for the HDR policy.
    return model(
        "clamp01",
        [helper.make_node("Clip", ["image", "low", "high"], ["output"])],
        [image("image", 3)],
        [image("output", 3)],
        [const("low", 0.0), const("high", 1.0)],
    )


def nan_output():
    # y = sqrt(x - 2): NaN for every image value in 0..1, a model gone wrong.
    return model(
        "nan_output",
        [helper.make_node("Sub", ["image", "two"], ["shifted"]), helper.make_node("Sqrt", ["shifted"], ["output"])],
        [image("image", 3)],
        [image("output", 3)],
        [const("two", 2.0)],
    )


def reshape_64():
    # Declares dynamic H and W but reshapes to 64x64: any other size fails inside the run, so a tile of
    # another size fails where the probe (64x64) succeeded.
    return model(
        "reshape_64",
        [helper.make_node("Reshape", ["image", "shape"], ["output"])],
        [image("image", 3)],
        [image("output", 3)],
        [numpy_helper.from_array(np.array([1, 3, 64, 64], dtype=np.int64), "shape")],
    )


def out_of_memory():
    # Identity on small frames (the plugin's 64x64 probe included); from 256x256 pixels up it expands
    # the image by 2^40 along a new axis before reducing it back, an allocation no machine can make:
    # ONNX Runtime's arena fails the way it does when memory runs out, at once and without touching
    # any memory. The expansion is 1 + floor(H*W / 65536) * 2^40 copies.
    ints = lambda name, values: numpy_helper.from_array(np.array(values, dtype=np.int64), name)
    nodes = [
        helper.make_node("Shape", ["image"], ["dims"]),
        helper.make_node("Gather", ["dims", "two"], ["h"], axis=0),
        helper.make_node("Gather", ["dims", "three"], ["w"], axis=0),
        helper.make_node("Mul", ["h", "w"], ["area"]),
        helper.make_node("Div", ["area", "threshold"], ["large"]),
        helper.make_node("Mul", ["large", "huge"], ["extra"]),
        helper.make_node("Add", ["extra", "one"], ["copies"]),
        helper.make_node("Concat", ["ones", "copies"], ["target"], axis=0),
        helper.make_node("Unsqueeze", ["image", "last"], ["x5"]),
        helper.make_node("Expand", ["x5", "target"], ["expanded"]),
        helper.make_node("ReduceMax", ["expanded"], ["output"], axes=[4], keepdims=0),
    ]
    return model(
        "out_of_memory",
        nodes,
        [image("image", 3)],
        [image("output", 3)],
        [
            ints("two", [2]),
            ints("three", [3]),
            ints("threshold", [65536]),
            ints("huge", [1 << 40]),
            ints("one", [1]),
            ints("ones", [1, 1, 1, 1]),
            ints("last", [4]),
        ],
    )


def check_allocation_fails(path, shape):
    """The model's run on `shape` fails in ONNX Runtime's allocator (what the plugin reports as out
    of memory)."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    try:
        session.run(None, {"image": np.zeros(shape, dtype=np.float32)})
    except Exception as e:  # onnxruntime raises its own Fail type
        assert "Failed to allocate memory" in str(e), f"{path.name}: {e}"
        print(f"  {path.name:24} fails to allocate on {list(shape)}, as it should")
        return
    raise AssertionError(f"{path.name}: ran on {shape}; expected an allocation failure")


def invert_fp16():
    # invert with float16 input and output: the node converts at the boundary.
    return model(
        "invert_fp16",
        [helper.make_node("Sub", ["one", "image"], ["output"])],
        [image("image", 3, elem=FLOAT16)],
        [image("output", 3, elem=FLOAT16)],
        [numpy_helper.from_array(np.array(1.0, dtype=np.float16), "one")],
    )


# ---- expectations ------------------------------------------------------------------------------------


def conv_sharpen(x):
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))  # zero padding, as the model's pads
    h, w = x.shape[2:]
    out = np.zeros_like(x)
    for dy in range(3):
        for dx in range(3):
            out += SHARPEN[dy, dx] * padded[:, :, dy : dy + h, dx : dx + w]
    return out


def nearest2x(x):
    return x.repeat(2, axis=2).repeat(2, axis=3)


# name -> (builder, input shape for the check, expected outputs as a function of x)
# Checks use N=2 and H != W so that a fixed batch or swapped axes would show.
GOOD = {
    "invert": (invert, (2, 3, 8, 12), lambda x: [1 - x]),
    "gain": (gain, (2, 3, 8, 12), lambda x: [2 * x + 0.1]),
    "conv3x3": (conv3x3, (2, 3, 8, 12), lambda x: [conv_sharpen(x)]),
    "upscale2x": (upscale2x, (2, 3, 8, 12), lambda x: [nearest2x(x)]),
    "two_outputs": (two_outputs, (2, 3, 8, 12), lambda x: [0.5 * x, 1 - x]),
    "rgba_identity": (rgba_identity, (2, 4, 8, 12), lambda x: [x]),
    "luma": (luma, (2, 3, 8, 12), lambda x: [np.einsum("c,nchw->nhw", LUMA, x)[:, None]]),
    "clamp01": (clamp01, (2, 3, 8, 12), lambda x: [np.clip(x, 0, 1)]),
    "invert_fp16": (invert_fp16, (2, 3, 8, 12), lambda x: [1 - x]),
    "matte_fixed_64": (matte_fixed_64, (1, 3, 64, 64), lambda x: [np.einsum("c,nchw->nhw", LUMA, x)[:, None]]),
}

# Valid ONNX that runs, but is not something an image plugin can use.
WRONG_FOR_IMAGES = {
    "not_image": (not_image, (1, 10), lambda x: [x]),
    "int_input": (int_input, (1, 3, 8, 12), lambda x: [x.astype(np.float32)]),
    "bad_output_shape": (bad_output_shape, (1, 3, 8, 12), lambda x: [x.mean(axis=(2, 3), keepdims=True)]),
    "two_channel_output": (two_channel_output, (1, 3, 8, 12), lambda x: [x[:, :2]]),
    "fixed_64": (fixed_64, (1, 3, 64, 64), lambda x: [1 - x]),
    "nan_output": (nan_output, (1, 3, 8, 12), lambda x: [np.sqrt(x - 2)]),
    "reshape_64": (reshape_64, (1, 3, 64, 64), lambda x: [x]),
    "out_of_memory": (out_of_memory, (1, 3, 64, 64), lambda x: [x]),
}


def check_runs(path, shape, expect, rng):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    input_meta = session.get_inputs()[0]
    tolerance = TOLERANCE
    if input_meta.type == "tensor(int64)":
        x = rng.integers(0, 256, size=shape, dtype=np.int64)
    elif input_meta.type == "tensor(float16)":
        x = rng.random(shape, dtype=np.float32).astype(np.float16)
        tolerance = 1e-3  # half precision
    else:
        x = rng.random(shape, dtype=np.float32)
    got = session.run(None, {input_meta.name: x})
    with np.errstate(invalid="ignore"):
        want = expect(x)
    assert len(got) == len(want), f"{path.name}: {len(got)} outputs, expected {len(want)}"
    worst = 0.0
    for g, w in zip(got, want):
        assert g.shape == w.shape, f"{path.name}: output shape {g.shape}, expected {w.shape}"
        g, w = g.astype(np.float32), w.astype(np.float32)
        # NaN where expected (a model made to produce NaN), and nowhere else.
        assert np.array_equal(np.isnan(g), np.isnan(w)), f"{path.name}: NaN where not expected"
        worst = max(worst, float(np.max(np.abs(np.nan_to_num(g) - np.nan_to_num(w)))))
    names = [o.name for o in session.get_outputs()]
    print(f"  {path.name:24} outputs {names} max abs diff {worst:.2e}")
    assert worst <= tolerance, f"{path.name}: max abs diff {worst} > {tolerance}"


def check_unloadable(path):
    try:
        ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types
        first_line = str(error).splitlines()[0][:80]
        print(f"  {path.name:24} rejected by onnxruntime as intended: {first_line}")
        return
    raise AssertionError(f"{path.name}: onnxruntime loaded it")


def corrupt_bytes():
    # Deterministic garbage: a text header (field 9 with wire type 6, which protobuf does not have) and a
    # run of 0xff (an endless varint), so no protobuf parser can read it as a model.
    return b"NOT AN ONNX MODEL\n" + bytes([0xFF]) * 64 + bytes(range(256))


# ---- models that describe themselves (docs/manifest.md) ----------------------------------------------
# Each is a runnable model whose metadata (or sidecar) the manifest code reads. Key of the embedded JSON:
MANIFEST_KEY = "onnxfx.manifest"
# Per tensor channel of manifest_embedded, in the tensor's order (B, G, R): the node's RGB result is
# x * [0.25, 0.5, 1.0] + 0.1 when it honours channels "bgr" and normalize "0..255" both ways.
BGR_GAIN = np.array([1.0, 0.5, 0.25], dtype=np.float32)

EMBEDDED_MANIFEST = {
    "schema": "onnxfx.manifest/1",
    "name": "BGR gain (test)",
    "version": "1.0",
    "task": "color",
    "license": "MIT OR Apache-2.0",
    "authors": ["onnxfx tests"],
    "source": "scripts/make_test_models.py",
    "inputs": [
        {
            "name": "image",
            "layout": "nchw",
            "channels": "bgr",
            "normalize": "0..255",
            "encoding": "linear",
            "hdr": True,
            "size": {"multiple_of": 8},
        }
    ],
    "outputs": [
        {
            "name": "output",
            "channels": "bgr",
            "normalize": "0..255",
            "encoding": "linear",
            "role": "color",
            "scale": 1,
        }
    ],
    "tiling": {"tile": 256, "overlap": 16},
}

# Shadowed by the sidecar below: the sidecar wins as a whole document.
SHADOWED_MANIFEST = {
    "schema": "onnxfx.manifest/1",
    "name": "embedded (shadowed by the sidecar)",
    "inputs": [{"name": "image", "channels": "bgr"}],
}

# Written next to manifest_sidecar.onnx as manifest_sidecar.onnx.json. "licence" is a deliberate typo:
# readers warn about the unknown key and go on.
SIDECAR_MANIFEST = {
    "schema": "onnxfx.manifest/1",
    "name": "identity (sidecar)",
    "licence": "MIT",
    "inputs": [{"name": "image", "channels": "rgb", "encoding": "srgb"}],
    "outputs": [{"name": "output", "encoding": "srgb"}],
}

# Invalid on purpose: three channels but two std values.
BAD_MANIFEST = {
    "schema": "onnxfx.manifest/1",
    "inputs": [{"name": "image", "normalize": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5]}}],
}


def with_metadata(m, props):
    for key, value in props.items():
        entry = m.metadata_props.add()
        entry.key = key
        entry.value = value
    return m


def manifest_embedded():
    m = model(
        "manifest_embedded",
        [
            helper.make_node("Mul", ["image", "k"], ["scaled"]),
            helper.make_node("Add", ["scaled", "offset"], ["output"]),
        ],
        [image("image", 3)],
        [image("output", 3)],
        [const("k", BGR_GAIN.reshape(1, 3, 1, 1)), const("offset", 25.5)],
    )
    # An unrelated entry before ours: writers must keep it.
    props = {"converted_by": "make_test_models.py", MANIFEST_KEY: json.dumps(EMBEDDED_MANIFEST)}
    return with_metadata(m, props)


def manifest_image_keys():
    # The standard ONNX image keys only: BGR, sRGB, 0..255. y = 255 - x (an invert in 0..255).
    m = model(
        "manifest_image_keys",
        [helper.make_node("Sub", ["full", "image"], ["output"])],
        [image("image", 3)],
        [image("output", 3)],
        [const("full", 255.0)],
    )
    return with_metadata(
        m,
        {
            "Image.BitmapPixelFormat": "Bgr8",
            "Image.ColorSpaceGamma": "SRGB",
            "Image.NominalPixelRange": "NominalRange_0_255",
        },
    )


def manifest_sidecar():
    m = model(
        "manifest_sidecar",
        [helper.make_node("Mul", ["image", "one"], ["output"])],
        [image("image", 3)],
        [image("output", 3)],
        [const("one", 1.0)],
    )
    return with_metadata(m, {MANIFEST_KEY: json.dumps(SHADOWED_MANIFEST)})


def manifest_bad():
    m = model(
        "manifest_bad",
        [helper.make_node("Mul", ["image", "one"], ["output"])],
        [image("image", 3)],
        [image("output", 3)],
        [const("one", 1.0)],
    )
    return with_metadata(m, {MANIFEST_KEY: json.dumps(BAD_MANIFEST)})


MATTE_MANIFEST = {
    "schema": "onnxfx.manifest/1",
    "name": "luma matte (test)",
    "task": "matte",
    "inputs": [{"name": "image", "channels": "rgb", "encoding": "srgb"}],
    "outputs": [{"name": "matte", "role": "alpha", "channels": "gray"}],
}


def matte():
    # A one-channel output used as alpha: the Rec. 709 luma of the input, by the embedded manifest.
    m = model(
        "matte",
        [helper.make_node("Conv", ["image", "w"], ["matte"])],
        [image("image", 3)],
        [image("matte", 1)],
        [const("w", LUMA.reshape(1, 3, 1, 1))],
    )
    return with_metadata(m, {MANIFEST_KEY: json.dumps(MATTE_MANIFEST)})


def manifest_nhwc_fixed():
    # NHWC, fixed 48x32 in, 96x64 out (nearest x2): layout, size and scale all follow from the graph.
    return model(
        "manifest_nhwc_fixed",
        [
            helper.make_node(
                "Resize",
                ["image", "", "scales"],
                ["output"],
                mode="nearest",
                coordinate_transformation_mode="asymmetric",
                nearest_mode="floor",
            )
        ],
        [helper.make_tensor_value_info("image", FLOAT, [1, 32, 48, 3])],
        [helper.make_tensor_value_info("output", FLOAT, [1, 64, 96, 3])],
        [const("scales", [1.0, 2.0, 2.0, 1.0])],
    )


MANIFEST_MODELS = {
    "manifest_embedded": (
        manifest_embedded,
        (2, 3, 8, 12),
        lambda x: [x * BGR_GAIN.reshape(1, 3, 1, 1) + 25.5],
    ),
    "manifest_image_keys": (manifest_image_keys, (2, 3, 8, 12), lambda x: [255 - x]),
    "manifest_sidecar": (manifest_sidecar, (2, 3, 8, 12), lambda x: [x]),
    "manifest_bad": (manifest_bad, (2, 3, 8, 12), lambda x: [x]),
    "matte": (matte, (2, 3, 8, 12), lambda x: [np.einsum("c,nchw->nhw", LUMA, x)[:, None]]),
    "manifest_nhwc_fixed": (
        manifest_nhwc_fixed,
        (1, 32, 48, 3),
        lambda x: [x.repeat(2, axis=1).repeat(2, axis=2)],
    ),
}


def write_manifest_models(out, rng):
    print("models with manifests or image metadata:")
    for name, (build, shape, expect) in MANIFEST_MODELS.items():
        path = out / f"{name}.onnx"
        m = build()
        onnx.checker.check_model(m, full_check=True)
        onnx.save(m, path)
        check_runs(path, shape, expect, rng)
    (out / "manifest_sidecar.onnx.json").write_text(json.dumps(SIDECAR_MANIFEST, indent=2) + "\n")


# ---- several inputs, frames in time, recurrent state (issue 8) ---------------------------------------

IMAGE_MASK_MANIFEST = {
    "schema": "onnxfx.manifest/1",
    "name": "Image and mask",
    "inputs": [
        {"name": "image"},
        {"name": "mask", "clip": "Mask", "channels": "gray", "encoding": "data"},
        {"name": "gain", "kind": "float", "default": 0.5, "min": 0, "max": 2},
    ],
}
TWO_FRAMES_MANIFEST = {
    "schema": "onnxfx.manifest/1",
    "name": "Difference with the previous frame",
    "inputs": [{"name": "current"}, {"name": "previous", "time_offset": -1}],
    "outputs": [{"name": "output", "role": "color", "encoding": "data"}],
}
RECURRENT_MANIFEST = {
    "schema": "onnxfx.manifest/1",
    "name": "Recurrent toy (running average)",
    "inputs": [{"name": "image"}, {"name": "state_in", "kind": "state", "state_of": "state_out"}],
    "outputs": [{"name": "output", "role": "color"}, {"name": "state_out", "role": "ignore"}],
}


def image_mask():
    # y = image * (1 - mask) + gain * mask: the mask clip's alpha marks where the gain replaces the image.
    m = model(
        "image_mask",
        [
            helper.make_node("Sub", ["one", "mask"], ["keep"]),
            helper.make_node("Mul", ["image", "keep"], ["kept"]),
            helper.make_node("Mul", ["mask", "gain"], ["filled"]),
            helper.make_node("Add", ["kept", "filled"], ["output"]),
        ],
        [image("image", 3), image("mask", 1), helper.make_tensor_value_info("gain", FLOAT, [1])],
        [image("output", 3)],
        [const("one", 1.0)],
    )
    return with_metadata(m, {MANIFEST_KEY: json.dumps(IMAGE_MASK_MANIFEST)})


def two_frames():
    # y = current - previous + 0.5
    m = model(
        "two_frames",
        [
            helper.make_node("Sub", ["current", "previous"], ["delta"]),
            helper.make_node("Add", ["delta", "half"], ["output"]),
        ],
        [image("current", 3), image("previous", 3)],
        [image("output", 3)],
        [const("half", 0.5)],
    )
    return with_metadata(m, {MANIFEST_KEY: json.dumps(TWO_FRAMES_MANIFEST)})


def recurrent():
    # y = (image + state) / 2, the state fed back is y: a running average over the frames. The first
    # state is zeros of shape [1, 3, 1, 1] (unknown dimensions are 1), broadcast over the frame.
    m = model(
        "recurrent",
        [
            helper.make_node("Add", ["image", "state_in"], ["sum"]),
            helper.make_node("Mul", ["sum", "half"], ["output"]),
            helper.make_node("Identity", ["output"], ["state_out"]),
        ],
        [image("image", 3), image("state_in", 3, dims=(1, "SH", "SW"))],
        [image("output", 3), image("state_out", 3)],
        [const("half", 0.5)],
    )
    return with_metadata(m, {MANIFEST_KEY: json.dumps(RECURRENT_MANIFEST)})


def write_multi_input_models(out, rng):
    print("models with several inputs, frames and state:")
    a = rng.random((1, 3, 5, 7), dtype=np.float32)
    b = rng.random((1, 3, 5, 7), dtype=np.float32)
    mask = (rng.random((1, 1, 5, 7)) > 0.5).astype(np.float32)
    gain = np.array([0.25], np.float32)
    cases = {
        "image_mask": (image_mask, {"image": a, "mask": mask, "gain": gain}, a * (1 - mask) + gain * mask),
        "two_frames": (two_frames, {"current": a, "previous": b}, a - b + 0.5),
        "recurrent": (recurrent, {"image": a, "state_in": np.zeros((1, 3, 1, 1), np.float32)}, a / 2),
    }
    for name, (build, feed, expect) in cases.items():
        path = out / f"{name}.onnx"
        m = build()
        onnx.checker.check_model(m, full_check=True)
        onnx.save(m, path)
        got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feed)[0]
        err = float(np.max(np.abs(got - expect)))
        if not err <= TOLERANCE:
            sys.exit(f"{name}: differs from its formula by {err}")
        print(f"  {name}: ok")


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(17)

    print(f"good models (onnx {onnx.__version__}, onnxruntime {ort.__version__}):")
    for name, (build, shape, expect) in GOOD.items():
        path = out / f"{name}.onnx"
        m = build()
        onnx.checker.check_model(m, full_check=True)
        onnx.save(m, path)
        check_runs(path, shape, expect, rng)

    print("valid ONNX the plugin must reject:")
    for name, (build, shape, expect) in WRONG_FOR_IMAGES.items():
        path = out / f"{name}.onnx"
        m = build()
        onnx.checker.check_model(m, full_check=True)
        onnx.save(m, path)
        check_runs(path, shape, expect, rng)

    check_allocation_fails(out / "out_of_memory.onnx", (1, 3, 300, 451))

    print("files that are not models:")
    corrupt = out / "corrupt.onnx"
    corrupt.write_bytes(corrupt_bytes())
    check_unloadable(corrupt)
    whole = (out / "invert.onnx").read_bytes()
    truncated = out / "truncated.onnx"
    truncated.write_bytes(whole[: len(whole) // 2])
    check_unloadable(truncated)

    write_manifest_models(out, rng)
    write_multi_input_models(out, rng)

    print(f"wrote {len(GOOD) + len(WRONG_FOR_IMAGES) + len(MANIFEST_MODELS) + 5} models to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
