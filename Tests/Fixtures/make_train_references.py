#!/usr/bin/env python3
"""Reference gradients of the RevMUX adapter loss for RevmuxTrainTests/AdapterGradientTests.

An independent torch implementation (autograd, float64) of the training loss of
../shared/revmux-method.md on a tiny BERT-like configuration: two frozen post-norm layers
as the mixed pass [cf, L), the frozen pooler and classifier, N = 2 over 5 queries (the last
group is padded with an absent query) of different lengths. Every value comes from
SplitMix64 in f32, exactly as the Swift test regenerates it, so only the outputs are stored:

reference/train-gradients.json:
  config                      the sizes, seeds and stream order used
  loss: {ce, nce, cos, total} the batch-mean terms (lambda 0.25, cos weight 1)
  grads: {name: {norm, index, values}}  per adapter tensor: the gradient's L2 norm and its
                              entries at 8 evenly spaced flat indices

reference/train-adamw.json: torch.optim.AdamW's steps for AdamWTests (see adamw()).

reference/train-tuning.json: `train head --tune-layers`'s objective (see tuning()): the same
two layers, pooler and classifier all trained, each query alone; loss and every gradient.

Usage: make_train_references.py   (needs torch, numpy)
"""
import json
import os

import numpy as np
import torch

from revmux_loss import adapter_tensors, demultiplex, group_cosine, info_nce, multiplex, sampled, uniform, up
from splitmix import SplitMix64

HERE = os.path.dirname(os.path.abspath(__file__))
D, HEADS, INTER, LAYERS, N, CLASSES = 16, 2, 32, 2, 2, 3
LENGTHS, LENGTH, LABELS = [6, 3, 5, 2, 4], 6, [0, 2, 1, 0, 1]
SEED_FROZEN, SEED_ADAPTERS, NCE_WEIGHT, COS_WEIGHT = 7, 11, 0.25, 1.0


def frozen_tensors():
    """The stream order AdapterGradientTests.frozen() follows."""
    g, t = SplitMix64(SEED_FROZEN), {}
    wd, wi = 1 / np.sqrt(np.float32(D)), 1 / np.sqrt(np.float32(INTER))
    for l in range(LAYERS):
        for name in "qkvo":
            t[f"{l}.{name}.w"] = uniform(g, [D, D], wd)
            t[f"{l}.{name}.b"] = uniform(g, [D], wd)
        t[f"{l}.n1.w"] = uniform(g, [D], 0.2, 1.0)
        t[f"{l}.n1.b"] = uniform(g, [D], 0.2)
        t[f"{l}.up.w"] = uniform(g, [INTER, D], wd)
        t[f"{l}.up.b"] = uniform(g, [INTER], wd)
        t[f"{l}.down.w"] = uniform(g, [D, INTER], wi)
        t[f"{l}.down.b"] = uniform(g, [D], wi)
        t[f"{l}.n2.w"] = uniform(g, [D], 0.2, 1.0)
        t[f"{l}.n2.b"] = uniform(g, [D], 0.2)
    t["pooler.w"] = uniform(g, [D, D], wd)
    t["pooler.b"] = uniform(g, [D], wd)
    t["classifier.w"] = uniform(g, [CLASSES, D], 1.0)
    t["classifier.b"] = uniform(g, [CLASSES], wd)
    t["states"] = uniform(g, [len(LENGTHS), LENGTH, D], 2.0)
    t["teacher"] = uniform(g, [len(LENGTHS), D], 1.0)
    return t


def layer_norm(x, w, b):
    return torch.nn.functional.layer_norm(x, (D,), w, b, eps=1e-12)


def bert_layer(t, l, x, mask):
    """Post-norm BERT layer; padded keys masked out (padded query rows do not matter)."""
    groups, length, dh = x.shape[0], x.shape[1], D // HEADS
    qkv = [(x @ t[f"{l}.{n}.w"].T + t[f"{l}.{n}.b"]).view(groups, length, HEADS, dh).transpose(1, 2) for n in "qkv"]
    scores = qkv[0] @ qkv[1].transpose(-1, -2) / np.sqrt(dh)
    scores = scores.masked_fill(~mask[:, None, None, :], float("-inf"))
    context = (scores.softmax(-1) @ qkv[2]).transpose(1, 2).reshape(groups, length, D)
    h = layer_norm(x + context @ t[f"{l}.o.w"].T + t[f"{l}.o.b"], t[f"{l}.n1.w"], t[f"{l}.n1.b"])
    ffn = torch.nn.functional.gelu(h @ t[f"{l}.up.w"].T + t[f"{l}.up.b"]) @ t[f"{l}.down.w"].T + t[f"{l}.down.b"]
    return layer_norm(h + ffn, t[f"{l}.n2.w"], t[f"{l}.n2.b"])


def loss(t, a):
    count = len(LENGTHS)
    x, mixed = multiplex(a, t["states"], LENGTHS, N)
    groups = x.shape[0]
    merged = torch.tensor([[p < max(LENGTHS[g * N:(g + 1) * N]) for p in range(LENGTH)] for g in range(groups)])
    o = mixed
    for l in range(LAYERS):
        o = bert_layer(t, l, o, merged)
    u = torch.stack(demultiplex(a, o[:, 0], N), dim=1).reshape(groups * N, D // N)[:count]
    u = up(a, u)
    pooled = torch.tanh(u @ t["pooler.w"].T + t["pooler.b"])
    logits = pooled @ t["classifier.w"].T + t["classifier.b"]
    ce = torch.nn.functional.cross_entropy(logits, torch.tensor(LABELS))
    nce = info_nce(u, t["teacher"])
    cos = group_cosine(x, LENGTHS, N)
    return ce, nce, cos, ce + NCE_WEIGHT * nce + COS_WEIGHT * cos


def main():
    t, a = frozen_tensors(), adapter_tensors(SEED_ADAPTERS, D, N)
    ce, nce, cos, total = loss(t, a)
    total.backward()
    grads = {name: sampled(p.grad) for name, p in a.items()}
    result = {
        "config": {"hidden": D, "heads": HEADS, "intermediate": INTER, "layers": LAYERS, "mux": N, "classes": CLASSES,
                   "lengths": LENGTHS, "length": LENGTH, "labels": LABELS,
                   "seeds": {"frozen": SEED_FROZEN, "adapters": SEED_ADAPTERS}},
        "loss": {"ce": ce.item(), "nce": nce.item(), "cos": cos.item(), "total": total.item()},
        "grads": grads,
    }
    path = os.path.join(HERE, "reference", "train-gradients.json")
    with open(path, "w") as handle:
        json.dump(result, handle, indent=1)
    print(f"wrote {path}")
    adamw()
    tuning()


def tuning():
    """TuningObjective: the queries' states (after the frozen layers) through both layers,
    each query alone with its padded keys masked, then tanh(pooler) and the classifier on
    [CLS]; mean cross-entropy. Gradients under the Swift parameters' names (Q, K and V
    stacked as TunedBertLayer trains them)."""
    t = frozen_tensors()
    for value in t.values():
        value.requires_grad_()
    mask = torch.tensor([[p < n for p in range(LENGTH)] for n in LENGTHS])
    x = t["states"]
    for l in range(LAYERS):
        x = bert_layer(t, l, x, mask)
    pooled = torch.tanh(x[:, 0] @ t["pooler.w"].T + t["pooler.b"])
    logits = pooled @ t["classifier.w"].T + t["classifier.b"]
    ce = torch.nn.functional.cross_entropy(logits, torch.tensor(LABELS))
    ce.backward()
    grads = {"head.classifier.weight": sampled(t["classifier.w"].grad), "head.classifier.bias": sampled(t["classifier.b"].grad),
             "pooler.weight": sampled(t["pooler.w"].grad), "pooler.bias": sampled(t["pooler.b"].grad)}
    for l in range(LAYERS):
        p = f"layers.{l}."
        grads[p + "attn.qkv.weight"] = sampled(torch.cat([t[f"{l}.{n}.w"].grad for n in "qkv"]))
        grads[p + "attn.qkv.bias"] = sampled(torch.cat([t[f"{l}.{n}.b"].grad for n in "qkv"]))
        for swift, name in [("attn.o", "o"), ("ffn.up", "up"), ("ffn.down", "down")]:
            grads[p + swift + ".weight"] = sampled(t[f"{l}.{name}.w"].grad)
            grads[p + swift + ".bias"] = sampled(t[f"{l}.{name}.b"].grad)
        for swift, name in [("attn.norm", "n1"), ("ffn.norm", "n2")]:
            grads[p + swift + ".weight"] = sampled(t[f"{l}.{name}.w"].grad)
            grads[p + swift + ".bias"] = sampled(t[f"{l}.{name}.b"].grad)
    path = os.path.join(HERE, "reference", "train-tuning.json")
    with open(path, "w") as handle:
        json.dump({"loss": ce.item(), "grads": grads}, handle, indent=1)
    print(f"wrote {path}")


def adamw():
    """torch.optim.AdamW (lr 0.01, weight decay 0.01 on the weight only) for 5 steps of
    SplitMix64 gradients; writes reference/train-adamw.json: the values after steps 1 and 5."""
    g = SplitMix64(3)
    weight = uniform(g, [3, 4], 1.0).float().requires_grad_()
    bias = uniform(g, [3], 1.0).float().requires_grad_()
    optimizer = torch.optim.AdamW([{"params": [weight], "weight_decay": 0.01}, {"params": [bias], "weight_decay": 0.0}],
                                  lr=0.01)
    snapshots = {}
    for step in range(1, 6):
        weight.grad = uniform(g, [3, 4], 1.0).float()
        bias.grad = uniform(g, [3], 1.0).float()
        optimizer.step()
        if step in (1, 5):
            snapshots[str(step)] = {"weight": weight.detach().flatten().tolist(), "bias": bias.detach().tolist()}
    path = os.path.join(HERE, "reference", "train-adamw.json")
    with open(path, "w") as handle:
        json.dump({"seed": 3, "lr": 0.01, "weight_decay": 0.01, "steps": snapshots}, handle)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
