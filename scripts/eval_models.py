#!/usr/bin/env python3
"""Quality figures of the zoo's models on held-out photographs, the inputs `cargo xtask eval` times and
`cargo xtask gallery` renders, the figures written into the model cards, and contact sheets.

Usage:
    eval_models.py prepare --photos DIR --out DIR
    eval_models.py quality --zoo DIR --photos DIR --out EVAL.json [--quick]
    eval_models.py cards --eval EVAL.json --speeds SPEEDS.json --cards DIR
    eval_models.py sheet --out PNG --title TEXT (--row LABEL BEFORE AFTER [BEFORE_LABEL AFTER_LABEL])...

Protocol (the same for every model, stated in each card):
- Held-out photographs: astronaut, chelsea, coffee, rocket (scikit-image 0.26.0); scripts/train.py never
  reads them.
- Super-resolution x s: the photograph cropped to a multiple of s is the reference; its PIL bicubic
  reduction (antialiased) by s is the input; the baseline is PIL bicubic enlargement of that input. The
  model runs with onnxruntime (CPU) exactly as its manifest says (RGB, 0..1, NCHW; grown by reflection to
  its size multiple, as the plugin pads, and cropped back); its output is clipped to 0..1. PSNR over RGB
  in 0..1 with a border of s pixels left out; SSIM (Gaussian window 11, sigma 1.5) on Rec.709 luma, same
  border.
- Denoising at sigma 15, 25, 50 (of 255): reference + sigma * N(0, 1), seed 0, not clipped, is the input;
  the baseline is that noisy input itself. Same PSNR and SSIM, no border.
- Matting: no held-out photograph has a reference alpha: visual check (the gallery).
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageDraw

from reference_infer import reflect_pads  # the padding the plugin applies, as the tests' reference does

HELD_OUT = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"]
SR_MODELS = {
    "onnxfx-sr2.onnx": 2,
    "realesr-animevideov3-x2.onnx": 2,
    "realesr-animevideov3-x4.onnx": 4,
    "realesrgan-x4plus.onnx": 4,
    "esrgan-slim-x2.onnx": 2,
    "esrgan-slim-x4.onnx": 4,
    "esrgan-medium-x2.onnx": 2,
    "esrgan-medium-x4.onnx": 4,
}
DENOISE_MODELS = ["onnxfx-denoise.onnx"]
SIGMAS = [15, 25, 50]
MARK_BEGIN = "<!-- eval:begin (written by `cargo xtask eval`) -->"
MARK_END = "<!-- eval:end -->"


def load(path):
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0


def pil_resize(rgb, size):
    return np.stack([np.asarray(Image.fromarray(rgb[:, :, c], mode="F").resize(size, Image.BICUBIC))
                     for c in range(3)], axis=2)


def psnr(a, b, border=0):
    if border:
        a, b = a[border:-border, border:-border], b[border:-border, border:-border]
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(1.0 / mse)


def gaussian_blur(x, sigma=1.5, radius=5):
    t = np.arange(-radius, radius + 1)
    k = np.exp(-(t ** 2) / (2 * sigma ** 2))
    k /= k.sum()
    pad = np.pad(x, radius, mode="reflect")
    tmp = sum(k[i] * pad[:, i:i + x.shape[1]] for i in range(len(k)))
    return sum(k[i] * tmp[i:i + x.shape[0], :] for i in range(len(k)))


def ssim(a, b, border=0):
    luma = np.array([0.2126, 0.7152, 0.0722])
    ya, yb = (a.astype(np.float64) @ luma), (b.astype(np.float64) @ luma)
    if border:
        ya, yb = ya[border:-border, border:-border], yb[border:-border, border:-border]
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    mu_a, mu_b = gaussian_blur(ya), gaussian_blur(yb)
    var_a = gaussian_blur(ya * ya) - mu_a ** 2
    var_b = gaussian_blur(yb * yb) - mu_b ** 2
    cov = gaussian_blur(ya * yb) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return float(s.mean())


def run(model, rgb):
    """The model on an RGB image; a size-multiple model sees it grown by reflection (as the plugin pads)."""
    session, multiple = model
    h, w = rgb.shape[:2]
    rows, columns = reflect_pads(h, w, multiple)
    padded = np.pad(rgb, (rows, columns, (0, 0)), mode="reflect")
    x = np.ascontiguousarray(padded.transpose(2, 0, 1)[None], dtype=np.float32)
    name = session.get_inputs()[0].name
    y = session.run(None, {name: x})[0][0].transpose(1, 2, 0)
    if padded.shape != rgb.shape:
        s = y.shape[0] // padded.shape[0]  # the model's scale
        y = y[rows[0] * s:(rows[0] + h) * s, columns[0] * s:(columns[0] + w) * s]
    return np.clip(y, 0, 1)


def session_for(path):
    """A CPU session and the size multiple its manifest (the `.onnx.json` sidecar) asks for, 1 if none."""
    options = ort.SessionOptions()
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    sidecar = Path(f"{path}.json")
    multiple = 1
    if sidecar.is_file():
        size = json.loads(sidecar.read_text())["inputs"][0].get("size")
        if isinstance(size, dict):
            multiple = int(size.get("multiple_of", 1))
    return session, multiple


def quality(args):
    zoo, photos = Path(args.zoo), Path(args.photos)
    results = {}
    for model, s in SR_MODELS.items():
        if not (zoo / model).is_file():
            continue
        if args.quick and model == "realesrgan-x4plus.onnx":
            continue
        session = session_for(zoo / model)
        rows = []
        for photo in HELD_OUT:
            hr = load(photos / photo)
            h, w = hr.shape[0] // s * s, hr.shape[1] // s * s
            hr = hr[:h, :w]
            lr = np.clip(pil_resize(hr, (w // s, h // s)), 0, 1)
            bicubic = np.clip(pil_resize(lr, (w, h)), 0, 1)
            out = run(session, lr)
            rows.append({"photo": photo, "bicubic_psnr": psnr(bicubic, hr, s), "psnr": psnr(out, hr, s),
                         "bicubic_ssim": ssim(bicubic, hr, s), "ssim": ssim(out, hr, s)})
            print(f"{model} {photo}: PSNR {rows[-1]['psnr']:.2f} dB (bicubic {rows[-1]['bicubic_psnr']:.2f}), "
                  f"SSIM {rows[-1]['ssim']:.4f} (bicubic {rows[-1]['bicubic_ssim']:.4f})", flush=True)
        results[model] = {"task": f"x{s}", "rows": rows}
    for model in DENOISE_MODELS:
        if not (zoo / model).is_file():
            continue
        session = session_for(zoo / model)
        rows = []
        rng = np.random.default_rng(0)
        for photo in HELD_OUT:
            clean = load(photos / photo)
            for sigma in SIGMAS:
                noisy = clean + rng.standard_normal(clean.shape).astype(np.float32) * sigma / 255.0
                out = run(session, noisy)
                rows.append({"photo": photo, "sigma": sigma, "noisy_psnr": psnr(noisy, clean),
                             "psnr": psnr(out, clean), "noisy_ssim": ssim(noisy, clean),
                             "ssim": ssim(out, clean)})
                print(f"{model} {photo} sigma {sigma}: PSNR {rows[-1]['psnr']:.2f} dB "
                      f"(noisy {rows[-1]['noisy_psnr']:.2f}), SSIM {rows[-1]['ssim']:.4f}", flush=True)
        results[model] = {"task": "denoise", "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    # The targets, checked wherever the models were measured.
    failures = []
    if "onnxfx-sr2.onnx" in results:
        rows = results["onnxfx-sr2.onnx"]["rows"]
        gain = float(np.mean([r["psnr"] - r["bicubic_psnr"] for r in rows]))
        print(f"target: onnxfx-sr2 +{gain:.2f} dB over bicubic on average (target +1.5)")
        if gain < 1.5:
            failures.append(f"onnxfx-sr2 gains {gain:.2f} dB over bicubic (target 1.5)")
    if "onnxfx-denoise.onnx" in results:
        row = [r for r in results["onnxfx-denoise.onnx"]["rows"] if r["photo"] == "chelsea.png"
               and r["sigma"] == 25][0]
        print(f"target: onnxfx-denoise {row['psnr']:.2f} dB at sigma 25 on chelsea (target 30)")
        if row["psnr"] < 30.0:
            failures.append(f"onnxfx-denoise gives {row['psnr']:.2f} dB at sigma 25 on chelsea (target 30)")
    if failures and args.check_targets:
        sys.exit("; ".join(failures))
    return 0


def prepare(args):
    photos, out = Path(args.photos), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    coffee = load(photos / "coffee.png")
    # Speed inputs: what gives a 1920x1080 output for each scale.
    for name, size in [("in-1920x1080.png", (1920, 1080)), ("in-960x540.png", (960, 540)),
                       ("in-480x270.png", (480, 270))]:
        Image.fromarray((np.clip(pil_resize(coffee, size), 0, 1) * 255 + 0.5).astype(np.uint8)).save(out / name)
    # Gallery inputs: bicubic reductions of held-out photographs, and a noisy chelsea (sigma 25, seed 0).
    for photo in ["chelsea.png", "astronaut.png"]:
        rgb = load(photos / photo)
        for s in (2, 4):
            h, w = rgb.shape[0] // s * s, rgb.shape[1] // s * s
            lr = np.clip(pil_resize(rgb[:h, :w], (w // s, h // s)), 0, 1)
            Image.fromarray((lr * 255 + 0.5).astype(np.uint8)).save(out / f"{Path(photo).stem}-x{s}-input.png")
    rng = np.random.default_rng(0)
    chelsea = load(photos / "chelsea.png")
    noisy = np.clip(chelsea + rng.standard_normal(chelsea.shape).astype(np.float32) * 25 / 255.0, 0, 1)
    Image.fromarray((noisy * 255 + 0.5).astype(np.uint8)).save(out / "chelsea-noisy25.png")
    return 0


def card_section(model, result, speed):
    lines = [MARK_BEGIN, ""]
    if result and result["task"].startswith("x"):
        s = int(result["task"][1:])
        lines += [f"Quality, x{s} from a bicubic reduction of each held-out photograph (see below for the protocol):", "",
                  "| photograph | PSNR model | PSNR bicubic | gain | SSIM model | SSIM bicubic |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for r in result["rows"]:
            lines.append(f"| {r['photo']} | {r['psnr']:.2f} dB | {r['bicubic_psnr']:.2f} dB | "
                         f"{r['psnr'] - r['bicubic_psnr']:+.2f} dB | {r['ssim']:.4f} | {r['bicubic_ssim']:.4f} |")
        rows = result["rows"]
        lines.append(f"| **mean** | {np.mean([r['psnr'] for r in rows]):.2f} dB | "
                     f"{np.mean([r['bicubic_psnr'] for r in rows]):.2f} dB | "
                     f"{np.mean([r['psnr'] - r['bicubic_psnr'] for r in rows]):+.2f} dB | "
                     f"{np.mean([r['ssim'] for r in rows]):.4f} | {np.mean([r['bicubic_ssim'] for r in rows]):.4f} |")
    elif result and result["task"] == "denoise":
        lines += ["Quality, Gaussian noise of sigma 15, 25, 50 (of 255) added to each held-out photograph:", "",
                  "| photograph | sigma | PSNR noisy | PSNR denoised | SSIM noisy | SSIM denoised |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for r in result["rows"]:
            lines.append(f"| {r['photo']} | {r['sigma']} | {r['noisy_psnr']:.2f} dB | {r['psnr']:.2f} dB | "
                         f"{r['noisy_ssim']:.4f} | {r['ssim']:.4f} |")
    else:
        lines.append("Quality: no held-out photograph has a reference alpha; checked by eye in the gallery.")
    lines.append("")
    if speed:
        lines.append(f"Speed: {speed['seconds']:.2f} s for one frame of {speed['output']} output "
                     f"({speed['input']} input) in `ofx-host render`'s render action, {speed['node']} node, "
                     f"CPU, 2 cores shared with other work (release build, ONNX Runtime 1.31.1).")
    lines += ["", "Protocol: `scripts/eval_models.py` (docstring); held-out photographs astronaut, chelsea, "
              "coffee, rocket (scikit-image 0.26.0), never used in training.", "", MARK_END]
    return "\n".join(lines)


def cards(args):
    results = json.loads(Path(args.eval).read_text())
    speeds = json.loads(Path(args.speeds).read_text()) if Path(args.speeds).is_file() else {}
    for card in sorted(Path(args.cards).glob("*.md")):
        model = card.stem + ".onnx"
        if model not in results and model not in speeds:
            continue
        text = card.read_text()
        section = card_section(model, results.get(model), speeds.get(model))
        if MARK_BEGIN in text and MARK_END in text:
            before = text[:text.index(MARK_BEGIN)]
            after = text[text.index(MARK_END) + len(MARK_END):]
            text = before + section + after
        else:
            text = text.rstrip() + "\n\n## Measured quality and speed\n\n" + section + "\n"
        card.write_text(text)
        print(f"cards: {card}")
    return 0


def sheet(args):
    rows = []
    for row in args.row:
        label, before, after = row[:3]
        names = row[3:5] if len(row) >= 5 else ["before", "after"]
        a = Image.open(before).convert("RGBA")
        b = Image.open(after).convert("RGBA")
        # Show both at the output's size (the input enlarged without smoothing, as an editor would).
        a = a.resize(b.size, Image.NEAREST)
        checker = Image.new("RGBA", b.size, (200, 200, 200, 255))
        draw = ImageDraw.Draw(checker)
        for y in range(0, b.size[1], 16):
            for x in range(0, b.size[0], 16):
                if (x // 16 + y // 16) % 2:
                    draw.rectangle([x, y, x + 15, y + 15], fill=(150, 150, 150, 255))
        b = Image.alpha_composite(checker, b)
        rows.append((label, names, a, b))
    width = max(a.size[0] + b.size[0] for _, _, a, b in rows) + 30
    height = sum(a.size[1] + 40 for _, _, a, _ in rows) + 40
    out = Image.new("RGB", (width, height), (32, 32, 32))
    draw = ImageDraw.Draw(out)
    draw.text((10, 10), args.title, fill=(255, 255, 255))
    y = 40
    for label, names, a, b in rows:
        draw.text((10, y), f"{label}: {names[0]}", fill=(230, 230, 230))
        draw.text((20 + a.size[0], y), names[1], fill=(230, 230, 230))
        out.paste(a.convert("RGB"), (10, y + 16))
        out.paste(b.convert("RGB"), (20 + a.size[0], y + 16))
        y += a.size[1] + 40
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    out.save(args.out, optimize=True)
    print(f"sheet: {args.out}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--photos", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("quality")
    p.add_argument("--zoo", required=True)
    p.add_argument("--photos", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--quick", action="store_true", help="leave out Real-ESRGAN x4plus (the slow one)")
    p.add_argument("--check-targets", action="store_true", help="fail below the issue's targets")
    p = sub.add_parser("cards")
    p.add_argument("--eval", required=True)
    p.add_argument("--speeds", required=True)
    p.add_argument("--cards", required=True)
    p = sub.add_parser("sheet")
    p.add_argument("--out", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--row", nargs="+", action="append", required=True)
    args = parser.parse_args()
    return {"prepare": prepare, "quality": quality, "cards": cards, "sheet": sheet}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
