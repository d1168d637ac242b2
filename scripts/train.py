#!/usr/bin/env python3
"""Train onnxfx's own small models on CPU and export them to ONNX: a x2 super-resolution net (`sr2`) and a
blind Gaussian denoiser (`denoise`).

Usage (in the venv of scripts/train-requirements.txt):
    train.py --task sr2|denoise --out DIR --iters N [--seed 0] [--threads 1] \
             --skimage-wheel scikit_image-0.26.0-...whl --scipy-wheel scipy-1.9.3-...whl

Reproducible: the photographs come from two pinned wheels (sha256 checked here), every random choice comes
from --seed, the number of iterations is fixed (not a time budget), torch runs deterministic algorithms on
--threads threads. The same command on the same CPU gives the same weights; another CPU or thread count may
differ in the last bits of float sums.

Held out (never read here): astronaut, chelsea, coffee, rocket -- the photographs `cargo xtask eval` and the
gallery use. Every training image, with its licence as stated by its package, is in TRAINING_IMAGES.

The ONNX graph is written by hand with `onnx.helper` from the trained weights (Conv, PRelu, Relu, Add,
DepthToSpace, Resize), so no exporter version matters; it is checked against the torch model with
onnxruntime before it is written (max |diff| <= 1e-4 on a real crop).
"""

import argparse
import bz2
import hashlib
import io
import json
import math
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper
from PIL import Image


# Wheels the photographs come from: file name -> sha256 (the registry's file, as deps.toml pins them).
PINS = {
    "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl":
        "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
    "scipy-1.9.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl":
        "abaf921531b5aeaafced90157db505e10345e45038c39e5d9b6c7922d68085cb",
}

# (wheel, member, licence as its package states it). Grey images are used as grey RGB (random tints).
TRAINING_IMAGES = [
    ("skimage", "skimage/data/hubble_deep_field.jpg", "public domain (NASA, Hubble eXtreme Deep Field)"),
    ("skimage", "skimage/data/retina.jpg", "CC0 1.0 (Mikael Haggstrom, Wikimedia Commons)"),
    ("skimage", "skimage/data/ihc.png", "no known copyright restrictions (CMMI, immunohistochemistry)"),
    ("skimage", "skimage/data/camera.png", "CC0 (photographer Lav Varshney)"),
    ("skimage", "skimage/data/coins.png", "no known copyright restrictions (Brooklyn Museum)"),
    ("skimage", "skimage/data/brick.png", "CC0 (CC0Textures Bricks25)"),
    ("skimage", "skimage/data/grass.png", "CC0 (DeviantArt linolafett Grass-01)"),
    ("skimage", "skimage/data/gravel.png", "CC0 (CC0Textures Gravel04)"),
    ("skimage", "skimage/data/cell.png", "CC0 (Paul Mueller et al., quantitative phase image)"),
    ("skimage", "skimage/data/text.png", "public domain (Wikipedia File:Corner.png)"),
    ("scipy", "scipy/misc/face.dat", "public domain (raccoon-procyon-lotor.jpg, public-domain-image.com)"),
    ("scipy", "scipy/misc/ascent.dat", "public domain (accent-to-the-top.jpg, public-domain-image.com)"),
]
HELD_OUT = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"]

OPSET = 17
IR_VERSION = 8


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def open_wheel(path):
    path = Path(path)
    want = PINS.get(path.name)
    if want is None:
        sys.exit(f"{path.name} is not a pinned wheel (expected one of {sorted(PINS)})")
    got = sha256(path)
    if got != want:
        sys.exit(f"{path}: sha256 {got}, pinned {want}")
    return zipfile.ZipFile(path)


def decode(member, data):
    """A training image as float32 RGB 0..1, [H, W, 3]."""
    if member.endswith("face.dat"):
        rgb = np.frombuffer(bz2.decompress(data), dtype=np.uint8).reshape(768, 1024, 3)
    elif member.endswith("ascent.dat"):
        import pickle

        rgb = np.asarray(pickle.loads(data), dtype=np.float64)
        rgb = np.clip(rgb, 0, 255).astype(np.uint8)
    else:
        with Image.open(io.BytesIO(data)) as img:
            rgb = np.asarray(img.convert("RGB") if img.mode not in ("L", "I;16") else img.convert("L"))
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    return rgb.astype(np.float32) / 255.0


def load_training_images(wheels):
    images = []
    for source, member, licence in TRAINING_IMAGES:
        data = wheels[source].read(member)
        rgb = decode(member, data)
        grey = bool(np.all(rgb[:, :, 0] == rgb[:, :, 1]) and np.all(rgb[:, :, 1] == rgb[:, :, 2]))
        images.append((member, rgb, grey))
        print(f"  {member}: {rgb.shape[1]}x{rgb.shape[0]}{' grey' if grey else ''} -- {licence}")
    return images


def pil_resize(rgb, size):
    """PIL's bicubic resize (antialiased when shrinking), per channel in float: the degradation the eval uses."""
    out = [np.asarray(Image.fromarray(rgb[:, :, c], mode="F").resize(size, Image.BICUBIC)) for c in range(3)]
    return np.stack(out, axis=2)


# ---- models ----------------------------------------------------------------------------------------------


class SR2(nn.Module):
    """x2: conv head, PReLU body with a feature skip, conv to 12 channels, PixelShuffle, plus bicubic(x)."""

    def __init__(self, features=32, body=6):
        super().__init__()
        self.head = nn.Conv2d(3, features, 3, padding=1)
        self.head_act = nn.PReLU(features, 0.1)
        self.body = nn.ModuleList([nn.Conv2d(features, features, 3, padding=1) for _ in range(body)])
        self.acts = nn.ModuleList([nn.PReLU(features, 0.1) for _ in range(body)])
        self.tail = nn.Conv2d(features, 12, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, x):
        h = self.head_act(self.head(x))
        f = h
        for conv, act in zip(self.body, self.acts):
            f = act(conv(f))
        r = F.pixel_shuffle(self.tail(f + h), 2)
        base = F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False)
        return base + r


class Denoiser(nn.Module):
    """DnCNN-style residual denoiser without batch norm: y = x - net(x)."""

    def __init__(self, features=32, layers=10):
        super().__init__()
        convs = [nn.Conv2d(3, features, 3, padding=1)]
        convs += [nn.Conv2d(features, features, 3, padding=1) for _ in range(layers - 2)]
        convs.append(nn.Conv2d(features, 3, 3, padding=1))
        self.convs = nn.ModuleList(convs)
        for conv in self.convs[:-1]:  # He init: a plain ReLU stack learns slowly from PyTorch's default
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
            nn.init.zeros_(conv.bias)
        nn.init.zeros_(self.convs[-1].weight)
        nn.init.zeros_(self.convs[-1].bias)

    def forward(self, x):
        h = x
        for conv in self.convs[:-1]:
            h = F.relu(conv(h))
        return x - self.convs[-1](h)


class UNetDenoiser(nn.Module):
    """Residual denoiser on three scales (full, 1/2, 1/4; F, 2F, 4F channels): y = x - net(x).

    Each halving doubles the receptive field for the cost of one full-resolution layer, which is what a
    plain stack cannot afford on a CPU. Strided 2x2 convolutions go down, 2x2 transposed convolutions come
    up, and the encoder's features are added back at each scale. Sizes must be multiples of 4 (the manifest
    says so; the plugin pads by reflection).
    """

    def __init__(self, features=32, per_level=2):
        super().__init__()
        f = features

        def block(c):
            return nn.ModuleList([nn.Conv2d(c, c, 3, padding=1) for _ in range(per_level)])

        self.head = nn.Conv2d(3, f, 3, padding=1)
        self.enc0, self.enc1, self.mid = block(f), block(2 * f), block(4 * f)
        self.down1, self.down2 = nn.Conv2d(f, 2 * f, 2, stride=2), nn.Conv2d(2 * f, 4 * f, 2, stride=2)
        self.up2, self.up1 = nn.ConvTranspose2d(4 * f, 2 * f, 2, stride=2), nn.ConvTranspose2d(2 * f, f, 2, stride=2)
        self.dec1, self.dec0 = block(2 * f), block(f)
        self.tail = nn.Conv2d(f, 3, 3, padding=1)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        nn.init.zeros_(self.tail.weight)

    @staticmethod
    def run_block(convs, h):
        for conv in convs:
            h = F.relu(conv(h))
        return h

    def forward(self, x):
        e0 = self.run_block(self.enc0, F.relu(self.head(x)))
        e1 = self.run_block(self.enc1, F.relu(self.down1(e0)))
        m = self.run_block(self.mid, F.relu(self.down2(e1)))
        d1 = self.run_block(self.dec1, F.relu(self.up2(m)) + e1)
        d0 = self.run_block(self.dec0, F.relu(self.up1(d1)) + e0)
        return x - self.tail(d0)


# ---- ONNX by hand ----------------------------------------------------------------------------------------


class GraphBuilder:
    def __init__(self):
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, stem):
        self.n += 1
        return f"{stem}_{self.n}"

    def const(self, stem, array, dtype=np.float32):
        name = self.name(stem)
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), name))
        return name

    def op(self, op_type, inputs, **attrs):
        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def conv(self, x, conv, op_type="Conv"):
        """A torch Conv2d or ConvTranspose2d (same weight layout in ONNX), its kernel, stride and padding."""
        w = self.const("w", conv.weight.detach().numpy())
        b = self.const("b", conv.bias.detach().numpy())
        k, s, p = list(conv.kernel_size), list(conv.stride), list(conv.padding)
        return self.op(op_type, [x, w, b], kernel_shape=k, strides=s, pads=p + p)

    def conv_relu(self, x, conv, op_type="Conv"):
        return self.op("Relu", [self.conv(x, conv, op_type)])

    def prelu(self, x, act):
        slope = act.weight.detach().numpy().reshape(-1, 1, 1)
        return self.op("PRelu", [x, self.const("slope", slope)])

    def model(self, name, x_in, y_out, doc):
        self.nodes[-1].output[0] = y_out
        dims = ["N", 3, "H", "W"]
        out_dims = ["N", 3, "H2", "W2"] if name == "onnxfx-sr2" else dims
        graph = helper.make_graph(
            self.nodes,
            name,
            [helper.make_tensor_value_info(x_in, TensorProto.FLOAT, dims)],
            [helper.make_tensor_value_info(y_out, TensorProto.FLOAT, out_dims)],
            self.inits,
        )
        graph.doc_string = doc
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="onnxfx scripts/train.py")
        m.ir_version = IR_VERSION
        m.doc_string = doc
        onnx.checker.check_model(m)
        return m


def export_sr2(net, doc):
    g = GraphBuilder()
    h = g.prelu(g.conv("image", net.head), net.head_act)
    f = h
    for conv, act in zip(net.body, net.acts):
        f = g.prelu(g.conv(f, conv), act)
    t = g.conv(g.op("Add", [f, h]), net.tail)
    r = g.op("DepthToSpace", [t], blocksize=2, mode="CRD")
    scales = g.const("scales", [1.0, 1.0, 2.0, 2.0])
    base = g.op("Resize", ["image", "", scales], mode="cubic", cubic_coeff_a=-0.75,
                coordinate_transformation_mode="half_pixel", exclude_outside=0)
    g.op("Add", [base, r])
    return g.model("onnxfx-sr2", "image", "output", doc)


def export_denoiser(net, doc):
    g = GraphBuilder()
    h = "image"
    for conv in net.convs[:-1]:
        h = g.op("Relu", [g.conv(h, conv)])
    noise = g.conv(h, net.convs[-1])
    g.op("Sub", ["image", noise])
    return g.model("onnxfx-denoise", "image", "output", doc)


def export_unet_denoiser(net, doc):
    g = GraphBuilder()

    def block(convs, h):
        for conv in convs:
            h = g.conv_relu(h, conv)
        return h

    e0 = block(net.enc0, g.conv_relu("image", net.head))
    e1 = block(net.enc1, g.conv_relu(e0, net.down1))
    m = block(net.mid, g.conv_relu(e1, net.down2))
    d1 = block(net.dec1, g.op("Add", [g.conv_relu(m, net.up2, "ConvTranspose"), e1]))
    d0 = block(net.dec0, g.op("Add", [g.conv_relu(d1, net.up1, "ConvTranspose"), e0]))
    g.op("Sub", ["image", g.conv(d0, net.tail)])
    return g.model("onnxfx-denoise", "image", "output", doc)


# ---- training --------------------------------------------------------------------------------------------


def augment(patch, rng, grey):
    """Flips, transposes, channel order; grey images get a random tint (colour the network can see)."""
    k = rng.integers(8)
    if k & 1:
        patch = patch[:, ::-1]
    if k & 2:
        patch = patch[::-1]
    if k & 4:
        patch = patch.transpose(1, 0, 2)
    groups = patch.shape[2] // 3  # SR pairs carry LR and HR side by side: treat both alike
    if grey:
        tint = rng.uniform(0.6, 1.0, size=3).astype(np.float32)
        patch = patch * np.tile(tint, groups)
    else:
        order = rng.permutation(3)
        patch = patch[:, :, np.concatenate([order + 3 * g for g in range(groups)])]
    return np.ascontiguousarray(patch)


def sr_pairs(images):
    """Each image at three sizes (PIL bicubic, antialiased), each with its x0.5 bicubic version."""
    pairs = []
    for name, rgb, grey in images:
        h, w = rgb.shape[:2]
        for s in (1.0, 0.75, 0.5):
            hw, hh = int(w * s) // 2 * 2, int(h * s) // 2 * 2
            if min(hw, hh) < 200:
                continue
            hr = pil_resize(rgb, (hw, hh)) if s != 1.0 else rgb[:hh, :hw]
            hr = np.clip(hr, 0, 1)
            lr = np.clip(pil_resize(hr, (hw // 2, hh // 2)), 0, 1)
            pairs.append((hr, lr, grey, hw * hh))
    return pairs


def batch_sr(pairs, weights, rng, batch, lr_patch):
    xs, ys = [], []
    for i in rng.choice(len(pairs), size=batch, p=weights):
        hr, lr, grey, _ = pairs[i]
        y0 = rng.integers(lr.shape[0] - lr_patch + 1)
        x0 = rng.integers(lr.shape[1] - lr_patch + 1)
        both = np.concatenate(
            [np.repeat(np.repeat(lr[y0:y0 + lr_patch, x0:x0 + lr_patch], 2, 0), 2, 1),
             hr[2 * y0:2 * (y0 + lr_patch), 2 * x0:2 * (x0 + lr_patch)]], axis=2)
        both = augment(both, rng, grey)
        xs.append(both[::2, ::2, :3])
        ys.append(both[:, :, 3:])
    x = torch.from_numpy(np.stack(xs).transpose(0, 3, 1, 2).copy())
    y = torch.from_numpy(np.stack(ys).transpose(0, 3, 1, 2).copy())
    return x, y


def batch_denoise(images, weights, rng, batch, patch, sigma_max):
    xs, ys = [], []
    for i in rng.choice(len(images), size=batch, p=weights):
        _, rgb, grey = images[i]
        y0 = rng.integers(rgb.shape[0] - patch + 1)
        x0 = rng.integers(rgb.shape[1] - patch + 1)
        clean = augment(rgb[y0:y0 + patch, x0:x0 + patch], rng, grey)
        sigma = rng.uniform(0, sigma_max) / 255.0
        noisy = clean + rng.standard_normal(clean.shape).astype(np.float32) * sigma
        xs.append(noisy)
        ys.append(clean)
    x = torch.from_numpy(np.stack(xs).transpose(0, 3, 1, 2).copy())
    y = torch.from_numpy(np.stack(ys).transpose(0, 3, 1, 2).copy())
    return x, y


def check_onnx(model_proto, net, sample):
    """The exported graph must match the torch model on a real crop."""
    session = ort.InferenceSession(model_proto.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(None, {"image": sample})[0]
    with torch.no_grad():
        want = net(torch.from_numpy(sample)).numpy()
    diff = float(np.max(np.abs(got - want)))
    print(f"onnx vs torch on a {list(sample.shape)} crop: max |diff| = {diff:.2e}")
    if diff > 1e-4:
        sys.exit(f"the exported graph differs from the torch model by {diff}")
    return diff


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=("sr2", "denoise"), required=True)
    parser.add_argument("--out", required=True, help="folder for the .onnx file and its training log")
    parser.add_argument("--iters", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--arch", choices=("dncnn", "unet"), default="dncnn", help="denoiser architecture")
    parser.add_argument("--features", type=int, default=32,
                        help="denoiser: channels of its hidden layers (of its full-resolution ones for unet)")
    parser.add_argument("--layers", type=int, default=10,
                        help="denoiser: convolutions, first and last included (dncnn); 3x3 convolutions per "
                             "block (unet)")
    parser.add_argument("--patch", type=int, default=48, help="input patch side (low-resolution side for sr2)")
    parser.add_argument("--skimage-wheel", required=True)
    parser.add_argument("--scipy-wheel", required=True)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(args.seed)
    wheels = {"skimage": open_wheel(args.skimage_wheel), "scipy": open_wheel(args.scipy_wheel)}
    print("training images:")
    images = load_training_images(wheels)

    if args.task == "sr2":
        net = SR2()
        pairs = sr_pairs(images)
        weights = np.array([p[3] for p in pairs], dtype=np.float64)
        weights /= weights.sum()
        next_batch = lambda: batch_sr(pairs, weights, rng, args.batch, args.patch)  # noqa: E731
    else:
        if args.arch == "unet":
            if args.patch % 4:
                sys.exit("--arch unet needs a --patch that is a multiple of 4")
            net = UNetDenoiser(features=args.features, per_level=args.layers)
        else:
            net = Denoiser(features=args.features, layers=args.layers)
        weights = np.array([im[1].shape[0] * im[1].shape[1] for im in images], dtype=np.float64)
        weights /= weights.sum()
        next_batch = lambda: batch_denoise(images, weights, rng, args.batch, args.patch, 55.0)  # noqa: E731
    params = sum(p.numel() for p in net.parameters())
    print(f"{args.task}: {params} parameters, {args.iters} iterations of batch {args.batch}")

    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    warmup = max(1, args.iters // 20)

    def schedule(step):  # linear warm-up, then cosine down to 1% of the rate
        if step < warmup:
            return (step + 1) / warmup
        t = (step - warmup) / max(1, args.iters - warmup)
        return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * t))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
    log, started, running = [], time.time(), 0.0
    for it in range(1, args.iters + 1):
        x, y = next_batch()
        loss = torch.sqrt((net(x) - y) ** 2 + 1e-6).mean()  # Charbonnier (smooth L1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running += loss.item()
        if it % 200 == 0 or it == args.iters:
            n = 200 if it % 200 == 0 else it % 200
            elapsed = time.time() - started
            print(f"iter {it}: loss {running / n:.5f}, lr {sched.get_last_lr()[0]:.2e}, {elapsed:.0f} s",
                  flush=True)
            log.append({"iter": it, "loss": running / n, "seconds": round(elapsed, 1)})
            running = 0.0

    net.eval()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cmd = " ".join(["scripts/train.py"] + [a if " " not in a else repr(a) for a in sys.argv[1:]])
    doc = (f"onnxfx {args.task}: trained by `{cmd}` ({params} parameters, {args.iters} iterations, "
           f"seed {args.seed}, torch {torch.__version__})")
    sample_rgb = images[10][1][100:164, 200:296]  # a crop of face.dat
    sample = np.ascontiguousarray(sample_rgb.transpose(2, 0, 1)[None])
    if args.task == "sr2":
        proto = export_sr2(net, doc)
        name = "onnxfx-sr2.onnx"
    else:
        proto = export_unet_denoiser(net, doc) if args.arch == "unet" else export_denoiser(net, doc)
        name = "onnxfx-denoise.onnx"
    diff = check_onnx(proto, net, sample)
    onnx.save(proto, out / name)
    (out / f"{name}.train-log.json").write_text(json.dumps({
        "command": cmd, "task": args.task, "parameters": params, "iterations": args.iters,
        "batch": args.batch, "seed": args.seed, "threads": args.threads, "torch": torch.__version__,
        "seconds": round(time.time() - started, 1), "onnx_vs_torch_max_abs_diff": diff,
        "training_images": [{"member": m, "licence": l} for _, m, l in TRAINING_IMAGES],
        "held_out": HELD_OUT, "log": log}, indent=1))
    print(f"wrote {out / name} ({(out / name).stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
