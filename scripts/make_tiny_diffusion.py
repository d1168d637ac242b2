"""A tiny Stable-Diffusion-1.x-style pipeline with random weights, exported to ONNX in Optimum's directory
layout, and the diffusers reference run on it: the fixture of the Generative (diffusion) effect's tests.

Usage: make_tiny_diffusion.py OUT_DIR

Nothing is downloaded (HF_HUB_OFFLINE=1): the models are built from small configs in code with a fixed seed,
the CLIP-style BPE tokenizer is trained here on a few sentences. Written:

  OUT/tiny-sd/           img2img pipeline (4-channel UNet)      model_index.json, scheduler/, tokenizer/,
  OUT/tiny-sd-inpaint/   inpainting pipeline (9-channel UNet)   text_encoder/, unet/, vae_encoder/, vae_decoder/
  OUT/reference/CASE/    one diffusers run per case: case.json, image.npy, mask.npy, ids.npy (prompt and
                         negative prompt token ids), noise_*.npy (every normal draw the pipeline made, in
                         order, named by who drew it), latents_*.npy (the latents after every step),
                         output.npy (the decoded image, H x W x 3 in 0..1)
  OUT/reference/schedulers.json   timesteps, sigmas and one step of each scheduler over many configs

The ONNX graphs use Optimum's tensor names and dtypes (see shared/diffusion.md); each export is checked
against torch here before anything is written.
"""

import inspect
import json
import os
import shutil
import sys
from collections import Counter
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["DIFFUSERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402

import diffusers  # noqa: E402
from diffusers import (  # noqa: E402
    AutoencoderKL,
    DDIMScheduler,
    EulerDiscreteScheduler,
    LCMScheduler,
    StableDiffusionImg2ImgPipeline,
    StableDiffusionInpaintPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer  # noqa: E402

torch.set_num_threads(2)
torch.use_deterministic_algorithms(True)

SIZE = 64  # test images: 64 x 64 pixels, 8 x 8 latents
MAX_LENGTH = 77

SD_SCHEDULER = {
    "_class_name": "PNDMScheduler",
    "_diffusers_version": diffusers.__version__,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
}

CORPUS = """a photo of a cat sitting on a wooden table in the sun
a painting of a red house by the sea with boats and a lighthouse
an old stone bridge over a river in the mountains at night
a portrait of a woman with green eyes, oil on canvas
the city skyline at dusk, neon lights and rain on the street
blurry, low quality, ugly, watermark, text, jpeg artifacts"""


def bytes_to_unicode():
    """GPT-2 / CLIP byte-to-symbol table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def make_tokenizer(out: Path, merges_wanted: int = 160):
    """A CLIP-layout BPE vocabulary learnt on CORPUS: byte symbols, the same with </w>, one entry per merge,
    then the two special tokens; merges.txt with CLIP's header."""
    table = bytes_to_unicode()
    symbols = list(table.values())
    import re

    words = Counter()
    for word in re.findall(r"[a-z]+|[0-9]|[^\sa-z0-9]+", CORPUS.lower()):
        chars = [table[b] for b in word.encode("utf-8")]
        chars[-1] += "</w>"
        words[tuple(chars)] += 1
    merges = []
    for _ in range(merges_wanted):
        pairs = Counter()
        for word, count in words.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += count
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        merged = Counter()
        for word, count in words.items():
            w = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    w.append(word[i] + word[i + 1])
                    i += 2
                else:
                    w.append(word[i])
                    i += 1
            merged[tuple(w)] += count
        words = merged
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    seen = {}
    for token in vocab:
        seen.setdefault(token, len(seen))
    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.json").write_text(json.dumps(seen, ensure_ascii=False))
    (out / "merges.txt").write_text("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    special = {
        "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
    }
    (out / "special_tokens_map.json").write_text(json.dumps(special, indent=2))
    config = dict(special, model_max_length=MAX_LENGTH, do_lower_case=True, tokenizer_class="CLIPTokenizer")
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2))
    return CLIPTokenizer(str(out / "vocab.json"), str(out / "merges.txt"), model_max_length=MAX_LENGTH)


def make_models(tokenizer, in_channels_unet):
    torch.manual_seed(0)
    text_config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        max_position_embeddings=MAX_LENGTH,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        projection_dim=32,
        hidden_act="quick_gelu",
    )
    text_encoder = CLIPTextModel(text_config).eval()
    torch.manual_seed(1)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        block_out_channels=[8, 8, 16, 16],
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=SIZE,
    ).eval()
    torch.manual_seed(2)
    unet = UNet2DConditionModel(
        sample_size=SIZE // 8,
        in_channels=in_channels_unet,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=32,
    ).eval()
    return text_encoder, vae, unet


class TextEncoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        out = self.model(input_ids=input_ids)
        return out.last_hidden_state, out.pooler_output


class Unet(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.model(sample, timestep, encoder_hidden_states, return_dict=False)[0]


class VaeEncoder(torch.nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, sample):
        h = self.vae.encoder(sample)
        return self.vae.quant_conv(h) if self.vae.quant_conv is not None else h


class VaeDecoder(torch.nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent_sample):
        return self.vae.decode(latent_sample, return_dict=False)[0]


def export(module, args, path: Path, inputs, outputs, axes):
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    # The export must compute what torch computes (a silently re-initialised module would not).
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = {name: a.numpy() for name, a in zip(inputs, args)}
    got = session.run(None, feed)
    with torch.no_grad():
        want = module(*args)
    want = want if isinstance(want, tuple) else (want,)
    for name, g, w in zip(outputs, got, want):
        err = float(np.max(np.abs(g - w.numpy())))
        if not err < 1e-4:
            sys.exit(f"{path}: output {name} differs from torch by {err}")


def write_pipeline(out: Path, tokenizer_dir: Path, text_encoder, vae, unet):
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copytree(tokenizer_dir, out / "tokenizer")
    (out / "scheduler").mkdir()
    (out / "scheduler" / "scheduler_config.json").write_text(json.dumps(SD_SCHEDULER, indent=2))
    index = {
        "_class_name": "StableDiffusionPipeline" if unet.config.in_channels == 4 else "StableDiffusionInpaintPipeline",
        "_diffusers_version": diffusers.__version__,
        "feature_extractor": [None, None],
        "requires_safety_checker": False,
        "safety_checker": [None, None],
        "scheduler": ["diffusers", "PNDMScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }
    (out / "model_index.json").write_text(json.dumps(index, indent=2))
    ids = torch.randint(0, text_encoder.config.vocab_size, (2, MAX_LENGTH), dtype=torch.int64)
    export(
        TextEncoder(text_encoder),
        (ids,),
        out / "text_encoder" / "model.onnx",
        ["input_ids"],
        ["last_hidden_state", "pooler_output"],
        {"input_ids": {0: "batch_size", 1: "sequence_length"}, "last_hidden_state": {0: "batch_size", 1: "sequence_length"}},
    )
    text_encoder.config.to_json_file(out / "text_encoder" / "config.json")
    c = unet.config.in_channels
    export(
        Unet(unet),
        (torch.randn(2, c, 8, 8), torch.tensor(500.0), torch.randn(2, MAX_LENGTH, 32)),
        out / "unet" / "model.onnx",
        ["sample", "timestep", "encoder_hidden_states"],
        ["out_sample"],
        {
            "sample": {0: "batch_size", 2: "height", 3: "width"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "out_sample": {0: "batch_size", 2: "height", 3: "width"},
        },
    )
    unet.save_config(out / "unet")
    export(
        VaeEncoder(vae),
        (torch.rand(1, 3, SIZE, SIZE) * 2 - 1,),
        out / "vae_encoder" / "model.onnx",
        ["sample"],
        ["latent_parameters"],
        {"sample": {0: "batch_size", 2: "height", 3: "width"}, "latent_parameters": {0: "batch_size", 2: "height_latent", 3: "width_latent"}},
    )
    vae.save_config(out / "vae_encoder")
    export(
        VaeDecoder(vae),
        (torch.randn(1, 4, 8, 8),),
        out / "vae_decoder" / "model.onnx",
        ["latent_sample"],
        ["sample"],
        {"latent_sample": {0: "batch_size", 2: "height_latent", 3: "width_latent"}, "sample": {0: "batch_size", 2: "height", 3: "width"}},
    )
    vae.save_config(out / "vae_decoder")


class NoiseRecorder:
    """Replaces diffusers' randn_tensor: draws from a seeded generator and keeps every draw with the name of
    the module that asked (vae: the encoder's sampling; a pipeline: the initial noise; a scheduler: a step)."""

    def __init__(self, seed):
        self.generator = torch.Generator().manual_seed(seed)
        self.draws = []

    def __call__(self, shape, generator=None, device=None, dtype=None, layout=None):
        caller = inspect.stack()[1].frame.f_globals.get("__name__", "?")
        if caller.endswith(".vae"):
            who = "vae"
        elif ".schedulers." in caller:
            who = "step"
        else:
            who = "latents"
        value = torch.randn(tuple(shape), generator=self.generator, dtype=torch.float32)
        self.draws.append((who, value.numpy().copy()))
        return value.to(dtype or torch.float32)


def patch_noise(recorder):
    for name, module in list(sys.modules.items()):
        if name.startswith("diffusers") and hasattr(module, "randn_tensor"):
            module.randn_tensor = recorder


def test_image(seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:SIZE, 0:SIZE] / (SIZE - 1)
    base = np.stack([x, y, 0.5 + 0.5 * np.sin(6 * x * y)], axis=-1)
    return np.clip(base + 0.05 * rng.standard_normal(base.shape), 0, 1).astype(np.float32)


def test_mask():
    mask = np.zeros((SIZE, SIZE), np.float32)
    mask[16:48, 20:52] = 1.0
    return mask


SCHEDULERS = {"euler": EulerDiscreteScheduler, "ddim": DDIMScheduler, "lcm": LCMScheduler}

CASES = [
    dict(name="img2img-euler", pipeline="tiny-sd", mode="img2img", scheduler="euler", steps=4, strength=0.75, guidance=7.5),
    dict(name="img2img-ddim", pipeline="tiny-sd", mode="img2img", scheduler="ddim", steps=5, strength=0.6, guidance=5.0),
    dict(name="img2img-lcm", pipeline="tiny-sd", mode="img2img", scheduler="lcm", steps=4, strength=0.8, guidance=1.0),
    dict(name="img2img-euler-trailing", pipeline="tiny-sd", mode="img2img", scheduler="euler", steps=2, strength=1.0, guidance=0.0,
         config={"timestep_spacing": "trailing"}),
    dict(name="inpaint-euler", pipeline="tiny-sd-inpaint", mode="inpaint", scheduler="euler", steps=4, strength=1.0, guidance=7.5),
    dict(name="inpaint-ddim", pipeline="tiny-sd-inpaint", mode="inpaint", scheduler="ddim", steps=4, strength=0.7, guidance=3.0),
    dict(name="inpaint-lcm", pipeline="tiny-sd-inpaint", mode="inpaint", scheduler="lcm", steps=3, strength=1.0, guidance=1.0),
]
PROMPT = "a photo of a red house by the sea"
NEGATIVE = "blurry, low quality"


def run_case(case, models, tokenizer, out: Path):
    text_encoder, vae, unet = models[case["pipeline"]]
    config = dict(SD_SCHEDULER, **case.get("config", {}))
    scheduler = SCHEDULERS[case["scheduler"]].from_config(config)
    recorder = NoiseRecorder(seed=1234)
    patch_noise(recorder)
    common = dict(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
                  safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    image = test_image(7)
    mask = test_mask()
    latents = []

    def on_step(pipe, i, t, kwargs):
        latents.append(kwargs["latents"].numpy().copy())
        return kwargs

    args = dict(prompt=PROMPT, negative_prompt=NEGATIVE, num_inference_steps=case["steps"], strength=case["strength"],
                guidance_scale=case["guidance"], output_type="np", callback_on_step_end=on_step)
    image_t = torch.from_numpy(image).permute(2, 0, 1)[None]
    with torch.no_grad():
        if case["mode"] == "img2img":
            pipe = StableDiffusionImg2ImgPipeline(**common)
            result = pipe(image=image_t, **args)
        else:
            pipe = StableDiffusionInpaintPipeline(**common)
            result = pipe(image=image_t, mask_image=torch.from_numpy(mask)[None, None], height=SIZE, width=SIZE, **args)
    d = out / case["name"]
    d.mkdir(parents=True, exist_ok=True)
    np.save(d / "image.npy", image)
    np.save(d / "mask.npy", mask)
    ids = [tokenizer(p, padding="max_length", max_length=MAX_LENGTH, truncation=True).input_ids for p in (PROMPT, NEGATIVE)]
    np.save(d / "ids.npy", np.array(ids, np.int64))
    for i, (who, value) in enumerate(recorder.draws):
        np.save(d / f"noise_{i:02d}_{who}.npy", value)
    for i, value in enumerate(latents):
        np.save(d / f"latents_{i:02d}.npy", value)
    np.save(d / "output.npy", result.images[0].astype(np.float32))
    meta = dict(case, prompt=PROMPT, negative_prompt=NEGATIVE, timesteps=[float(t) for t in scheduler.timesteps],
                draws=[who for who, _ in recorder.draws], steps_run=len(latents))
    (d / "case.json").write_text(json.dumps(meta, indent=2))


def scheduler_table(out: Path):
    """Timesteps, sigmas, the initial noise scale and one step on fixed inputs, for each scheduler over a grid of
    configs: what the Rust schedulers are checked against without running any model."""
    rng = np.random.default_rng(5)
    sample = rng.standard_normal((1, 4, 2, 3)).astype(np.float32)
    model_output = rng.standard_normal((1, 4, 2, 3)).astype(np.float32)
    noise = rng.standard_normal((1, 4, 2, 3)).astype(np.float32)
    rows = []
    for name, cls in SCHEDULERS.items():
        for spacing in ["leading", "linspace", "trailing", None]:
            for prediction in ["epsilon", "v_prediction", "sample"]:
                for steps in [1, 2, 4, 7, 25]:
                    for schedule in ["scaled_linear", "linear"]:
                        config = dict(SD_SCHEDULER, prediction_type=prediction, beta_schedule=schedule)
                        if spacing is not None:
                            config["timestep_spacing"] = spacing
                        if name == "ddim" and prediction == "sample":
                            config["clip_sample"] = True
                        s = cls.from_config(config)
                        s.set_timesteps(steps)
                        row = dict(scheduler=name, config=config, steps=steps,
                                   timesteps=[float(t) for t in s.timesteps],
                                   init_noise_sigma=float(s.init_noise_sigma))
                        if hasattr(s, "sigmas"):
                            row["sigmas"] = [float(x) for x in s.sigmas]
                        t = s.timesteps[0]
                        scaled = s.scale_model_input(torch.from_numpy(sample), t)
                        row["scaled"] = scaled.flatten().tolist()
                        noised = s.add_noise(torch.from_numpy(sample), torch.from_numpy(noise), s.timesteps[:1])
                        row["add_noise"] = noised.flatten().tolist()
                        gen = torch.Generator().manual_seed(0)
                        step_noise = NoiseRecorder(0)
                        patch_noise(step_noise)
                        prev = s.step(torch.from_numpy(model_output), t, torch.from_numpy(sample), generator=gen,
                                      return_dict=False)[0]
                        row["step"] = prev.flatten().tolist()
                        row["step_noise"] = [v.flatten().tolist() for _, v in step_noise.draws]
                        rows.append(row)
    shapes = dict(sample=sample.flatten().tolist(), model_output=model_output.flatten().tolist(),
                  noise=noise.flatten().tolist(), shape=list(sample.shape))
    (out / "schedulers.json").write_text(json.dumps(dict(inputs=shapes, rows=rows)))


def main():
    out = Path(sys.argv[1])
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    tokenizer = make_tokenizer(tmp / "tokenizer-src")
    models = {}
    for name, channels in [("tiny-sd", 4), ("tiny-sd-inpaint", 9)]:
        models[name] = make_models(tokenizer, channels)
        write_pipeline(tmp / name, tmp / "tokenizer-src", *models[name])
    reference = tmp / "reference"
    for case in CASES:
        run_case(case, models, tokenizer, reference)
    scheduler_table(reference)
    (tmp / "versions.json").write_text(json.dumps(dict(
        torch=torch.__version__, diffusers=diffusers.__version__, numpy=np.__version__, onnxruntime=ort.__version__,
        transformers=__import__("transformers").__version__)))
    shutil.rmtree(tmp / "tokenizer-src")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    print(f"tiny diffusion pipelines and reference in {out}")


if __name__ == "__main__":
    main()
