"""The RevMUX adapter loss in torch (../shared/revmux-method.md), shared by the training
fixture scripts: the adapters as TrainableAdapters draws them, the coupling chain both ways,
the up-projection, InfoNCE against the teacher and the |cos| term. Backbones and heads stay
in each script."""
import numpy as np
import torch

from splitmix import SplitMix64


def uniform(generator, shape, bound, offset=0.0):
    return torch.from_numpy(generator.uniform(shape, bound, offset)).double()


def adapter_tensors(seed, d, n):
    """TrainableAdapters(hidden:width:seed:): torch's Linear bounds, weight then bias."""
    g, k, t = SplitMix64(seed), d // n, {}
    shapes = [("revmux.down", k, d)]
    shapes += [(f"revmux.mux.{i}.{fc}", *((d, k) if fc == "fc1" else (k, d))) for i in range(n) for fc in ("fc1", "fc2")]
    shapes += [("revmux.up.fc1", 3 * d, k), ("revmux.up.fc2", 3 * d, 3 * d), ("revmux.up.fc3", d, 3 * d)]
    for name, out, inp in shapes:
        bound = 1 / np.sqrt(np.float32(inp))
        t[name + ".weight"] = uniform(g, [out, inp], bound).requires_grad_()
        t[name + ".bias"] = uniform(g, [out], bound).requires_grad_()
    return t


def linear(a, name, x):
    return x @ a[name + ".weight"].T + a[name + ".bias"]


def coupling(a, n, x):
    return linear(a, f"revmux.mux.{n}.fc2", torch.relu(linear(a, f"revmux.mux.{n}.fc1", x)))


def multiplex(a, states, lengths, n):
    """Down-projected queries x [groups, N, length, k] (padded positions and absent queries
    zero) and the mixed sequences [groups, length, d]."""
    count, length, k = len(lengths), states.shape[1], a["revmux.down.weight"].shape[0]
    mask = torch.tensor([[p < real for p in range(length)] for real in lengths])
    x = linear(a, "revmux.down", states) * mask.unsqueeze(-1)
    groups = -(-count // n)
    x = torch.cat([x, torch.zeros(groups * n - count, length, k, dtype=x.dtype)]).view(groups, n, length, k)
    ys = [x[:, 0] + coupling(a, 0, x[:, n - 1])]
    for i in range(1, n):
        ys.append(x[:, i] + coupling(a, i, ys[-1]))
    return x, torch.cat(ys, dim=-1)


def demultiplex(a, state, n):
    """The inverse chain on mixed states [..., d]: the N recovered blocks."""
    blocks = list(state.split(state.shape[-1] // n, dim=-1))
    r = [None] * n
    for i in range(n - 1, 0, -1):
        r[i] = blocks[i] - coupling(a, i, blocks[i - 1])
    r[0] = blocks[0] - coupling(a, 0, r[n - 1])
    return r


def up(a, u):
    return linear(a, "revmux.up.fc3", torch.relu(linear(a, "revmux.up.fc2", torch.relu(linear(a, "revmux.up.fc1", u)))))


def info_nce(student, teacher):
    """Cross-entropy of 20·cos between each query's student state and every teacher state."""
    s = torch.nn.functional.normalize(student, dim=-1)
    te = torch.nn.functional.normalize(teacher, dim=-1)
    return torch.nn.functional.cross_entropy(20 * s @ te.T, torch.arange(student.shape[0]))


def group_cosine(x, lengths, n):
    """|cos| per position real in both queries of a pair, averaged per pair, then over pairs."""
    count, pairs = len(lengths), []
    for g in range(x.shape[0]):
        for i in range(n):
            for j in range(i + 1, n):
                qi, qj = g * n + i, g * n + j
                if qj >= count:
                    continue
                common = min(lengths[qi], lengths[qj])
                cos = torch.nn.functional.cosine_similarity(x[g, i, :common], x[g, j, :common], dim=-1, eps=1e-8)
                pairs.append(cos.abs().mean())
    return torch.stack(pairs).mean()


def sampled(grad, samples=8):
    """A gradient's L2 norm and its entries at `samples` evenly spaced flat indices."""
    flat = grad.flatten()
    index = [i * flat.numel() // samples for i in range(samples)]
    return {"norm": flat.norm().item(), "index": index, "values": [flat[i].item() for i in index]}
