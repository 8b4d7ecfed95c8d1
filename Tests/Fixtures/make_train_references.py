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

from splitmix import SplitMix64

HERE = os.path.dirname(os.path.abspath(__file__))
D, HEADS, INTER, LAYERS, N, CLASSES = 16, 2, 32, 2, 2, 3
LENGTHS, LENGTH, LABELS = [6, 3, 5, 2, 4], 6, [0, 2, 1, 0, 1]
SEED_FROZEN, SEED_ADAPTERS, NCE_WEIGHT, COS_WEIGHT = 7, 11, 0.25, 1.0


def uniform(generator, shape, bound, offset=0.0):
    return torch.from_numpy(generator.uniform(shape, bound, offset)).double()


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


def adapter_tensors():
    """TrainableAdapters(hidden:width:seed:): torch's Linear bounds, weight then bias."""
    g, k, t = SplitMix64(SEED_ADAPTERS), D // N, {}
    shapes = [("revmux.down", k, D)]
    shapes += [(f"revmux.mux.{n}.{fc}", *((D, k) if fc == "fc1" else (k, D))) for n in range(N) for fc in ("fc1", "fc2")]
    shapes += [("revmux.up.fc1", 3 * D, k), ("revmux.up.fc2", 3 * D, 3 * D), ("revmux.up.fc3", D, 3 * D)]
    for name, out, inp in shapes:
        bound = 1 / np.sqrt(np.float32(inp))
        t[name + ".weight"] = uniform(g, [out, inp], bound).requires_grad_()
        t[name + ".bias"] = uniform(g, [out], bound).requires_grad_()
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


def linear(a, name, x):
    return x @ a[name + ".weight"].T + a[name + ".bias"]


def coupling(a, n, x):
    return linear(a, f"revmux.mux.{n}.fc2", torch.relu(linear(a, f"revmux.mux.{n}.fc1", x)))


def loss(t, a):
    count, k = len(LENGTHS), D // N
    mask = torch.tensor([[p < n for p in range(LENGTH)] for n in LENGTHS])
    x = linear(a, "revmux.down", t["states"]) * mask.unsqueeze(-1)
    groups = -(-count // N)
    pad = groups * N - count
    x = torch.cat([x, torch.zeros(pad, LENGTH, k, dtype=x.dtype)]).view(groups, N, LENGTH, k)
    group_mask = torch.cat([mask, torch.zeros(pad, LENGTH, dtype=torch.bool)]).view(groups, N, LENGTH)
    ys = [x[:, 0] + coupling(a, 0, x[:, N - 1])]
    for n in range(1, N):
        ys.append(x[:, n] + coupling(a, n, ys[-1]))
    o = torch.cat(ys, dim=-1)
    merged = group_mask.any(dim=1)
    for l in range(LAYERS):
        o = bert_layer(t, l, o, merged)
    blocks = list(o[:, 0].split(k, dim=-1))
    r = [None] * N
    for n in range(N - 1, 0, -1):
        r[n] = blocks[n] - coupling(a, n, blocks[n - 1])
    r[0] = blocks[0] - coupling(a, 0, r[N - 1])
    u = torch.stack(r, dim=1).reshape(groups * N, k)[:count]
    u = linear(a, "revmux.up.fc3", torch.relu(linear(a, "revmux.up.fc2", torch.relu(linear(a, "revmux.up.fc1", u)))))
    pooled = torch.tanh(u @ t["pooler.w"].T + t["pooler.b"])
    logits = pooled @ t["classifier.w"].T + t["classifier.b"]
    ce = torch.nn.functional.cross_entropy(logits, torch.tensor(LABELS))
    s = torch.nn.functional.normalize(u, dim=-1)
    te = torch.nn.functional.normalize(t["teacher"], dim=-1)
    nce = torch.nn.functional.cross_entropy(20 * s @ te.T, torch.arange(count))
    # |cos| per position real in both queries of a pair, averaged per pair, then over pairs.
    pairs = []
    for g in range(groups):
        for i in range(N):
            for j in range(i + 1, N):
                qi, qj = g * N + i, g * N + j
                if qj >= count:
                    continue
                common = min(LENGTHS[qi], LENGTHS[qj])
                cos = torch.nn.functional.cosine_similarity(x[g, i, :common], x[g, j, :common], dim=-1, eps=1e-8)
                pairs.append(cos.abs().mean())
    cos = torch.stack(pairs).mean()
    return ce, nce, cos, ce + NCE_WEIGHT * nce + COS_WEIGHT * cos


def main():
    t, a = frozen_tensors(), adapter_tensors()
    ce, nce, cos, total = loss(t, a)
    total.backward()
    grads = {}
    for name, p in a.items():
        flat = p.grad.flatten()
        index = [i * flat.numel() // 8 for i in range(8)]
        grads[name] = {"norm": flat.norm().item(), "index": index, "values": [flat[i].item() for i in index]}
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


def record(gradient):
    """A gradient's L2 norm and its entries at 8 evenly spaced flat indices."""
    flat = gradient.flatten()
    index = [i * flat.numel() // 8 for i in range(8)]
    return {"norm": flat.norm().item(), "index": index, "values": [flat[i].item() for i in index]}


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
    grads = {"head.classifier.weight": record(t["classifier.w"].grad), "head.classifier.bias": record(t["classifier.b"].grad),
             "pooler.weight": record(t["pooler.w"].grad), "pooler.bias": record(t["pooler.b"].grad)}
    for l in range(LAYERS):
        p = f"layers.{l}."
        grads[p + "attn.qkv.weight"] = record(torch.cat([t[f"{l}.{n}.w"].grad for n in "qkv"]))
        grads[p + "attn.qkv.bias"] = record(torch.cat([t[f"{l}.{n}.b"].grad for n in "qkv"]))
        for swift, name in [("attn.o", "o"), ("ffn.up", "up"), ("ffn.down", "down")]:
            grads[p + swift + ".weight"] = record(t[f"{l}.{name}.w"].grad)
            grads[p + swift + ".bias"] = record(t[f"{l}.{name}.b"].grad)
        for swift, name in [("attn.norm", "n1"), ("ffn.norm", "n2")]:
            grads[p + swift + ".weight"] = record(t[f"{l}.{name}.w"].grad)
            grads[p + swift + ".bias"] = record(t[f"{l}.{name}.b"].grad)
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
