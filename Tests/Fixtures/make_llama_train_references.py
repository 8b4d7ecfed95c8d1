#!/usr/bin/env python3
"""Reference gradients of the LLaMA training path for RevmuxTrainTests/LlamaGradientTests.

transformers' own LlamaDecoderLayer, LlamaRotaryEmbedding and LlamaRMSNorm (a tiny
LlamaForCausalLM in float64, eager attention: d 16, 4 query heads sharing 2 K/V heads, rotary
embeddings in Hugging Face's half-rotation layout), frozen, under an independent torch
implementation of the RevMUX adapter loss (../shared/revmux-method.md): its two layers are the
mixed pass [cf, L), each query is separated at its own last real token of its group's
sequence, and the head is the final norm then the tied embedding rows of two label tokens.
N = 2 over 5 queries of different lengths (the last group has an absent query); InfoNCE
weight 0.5 against the final-normed teacher states, |cos| weight 1. Every value comes from
SplitMix64 in f32, in the order the Swift test draws them, so only outputs are stored:

reference/llama-train-gradients.json:
  config                      sizes, seeds, label token ids
  loss: {ce, nce, cos, total} the batch-mean terms
  grads: {name: {norm, index, values}}  per adapter tensor: the gradient's L2 norm and its
                              entries at 8 evenly spaced flat indices
  stack: {norm, index, values} d(Σ r ⊙ layers(x))/dx for the two layers alone on a padded
                              batch (lengths 5, 2, 4; r zero on padded rows), 16 entries

Usage: make_llama_train_references.py   (needs torch, transformers, numpy)
"""
import json
import os

import numpy as np
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from revmux_loss import adapter_tensors, demultiplex, group_cosine, info_nce, multiplex, sampled, uniform, up
from splitmix import SplitMix64

HERE = os.path.dirname(os.path.abspath(__file__))
D, HEADS, KV_HEADS, INTER, LAYERS, VOCAB, N = 16, 4, 2, 24, 2, 12, 2
HEAD_DIM = D // HEADS
LABEL_IDS, EPS, THETA = [3, 7], 1e-5, 10000.0
LENGTHS, LENGTH, LABELS = [6, 3, 5, 2, 4], 6, [0, 1, 1, 0, 1]
STACK_LENGTHS, STACK_LENGTH = [5, 2, 4], 5
SEED_FROZEN, SEED_ADAPTERS, NCE_WEIGHT, COS_WEIGHT = 7, 11, 0.5, 1.0


def model_and_inputs():
    """The stream order LlamaGradientTests follows; the weights go into a LlamaForCausalLM."""
    config = LlamaConfig(vocab_size=VOCAB, hidden_size=D, intermediate_size=INTER, num_hidden_layers=LAYERS,
                         num_attention_heads=HEADS, num_key_value_heads=KV_HEADS, rms_norm_eps=EPS, rope_theta=THETA,
                         max_position_embeddings=64, tie_word_embeddings=True, attention_bias=False, mlp_bias=False)
    config._attn_implementation = "eager"
    model = LlamaForCausalLM(config).double().eval()
    g, kv = SplitMix64(SEED_FROZEN), KV_HEADS * HEAD_DIM
    wd, wi = 1 / np.sqrt(np.float32(D)), 1 / np.sqrt(np.float32(INTER))
    state = {}
    for l in range(LAYERS):
        p = f"model.layers.{l}."
        state[p + "self_attn.q_proj.weight"] = uniform(g, [D, D], wd)
        state[p + "self_attn.k_proj.weight"] = uniform(g, [kv, D], wd)
        state[p + "self_attn.v_proj.weight"] = uniform(g, [kv, D], wd)
        state[p + "self_attn.o_proj.weight"] = uniform(g, [D, D], wd)
        state[p + "input_layernorm.weight"] = uniform(g, [D], 0.2, 1.0)
        state[p + "mlp.gate_proj.weight"] = uniform(g, [INTER, D], wd)
        state[p + "mlp.up_proj.weight"] = uniform(g, [INTER, D], wd)
        state[p + "mlp.down_proj.weight"] = uniform(g, [D, INTER], wi)
        state[p + "post_attention_layernorm.weight"] = uniform(g, [D], 0.2, 1.0)
    state["model.norm.weight"] = uniform(g, [D], 0.2, 1.0)
    state["model.embed_tokens.weight"] = uniform(g, [VOCAB, D], 1.0)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k == "lm_head.weight" for k in missing), (missing, unexpected)
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    for p in model.parameters():
        p.requires_grad_(False)
    inputs = {
        "states": uniform(g, [len(LENGTHS), LENGTH, D], 2.0),
        "teacher": uniform(g, [len(LENGTHS), D], 1.0),
        "x": uniform(g, [len(STACK_LENGTHS), STACK_LENGTH, D], 1.5),
        "r": uniform(g, [len(STACK_LENGTHS), STACK_LENGTH, D], 1.0),
    }
    return model, inputs


def layers(model, h, lengths):
    """transformers' decoder layers on right-padded sequences: causal, padded keys masked."""
    count, length = h.shape[0], h.shape[1]
    positions = torch.arange(length).unsqueeze(0).expand(count, length)
    embeddings = model.model.rotary_emb(h, positions)
    allowed = torch.tensor([[[k <= q and k < n for k in range(length)] for q in range(length)] for n in lengths])
    mask = torch.zeros(count, 1, length, length, dtype=h.dtype).masked_fill(~allowed[:, None], torch.finfo(h.dtype).min)
    for layer in model.model.layers:
        out = layer(h, attention_mask=mask, position_ids=positions, position_embeddings=embeddings)
        h = out[0] if isinstance(out, tuple) else out
    return h


def loss(model, inputs, a):
    count, groups = len(LENGTHS), -(-len(LENGTHS) // N)
    x, mixed = multiplex(a, inputs["states"], LENGTHS, N)
    merged = [max(LENGTHS[g * N:(g + 1) * N]) for g in range(groups)]
    o = layers(model, mixed, merged)
    # Query q is separated at its own last real token of its group's sequence; slot q mod N is its.
    u = up(a, torch.stack([demultiplex(a, o[q // N, LENGTHS[q] - 1], N)[q % N] for q in range(count)]))
    normed = model.model.norm(u)
    logits = normed @ model.lm_head.weight[LABEL_IDS].T
    ce = torch.nn.functional.cross_entropy(logits, torch.tensor(LABELS))
    nce = info_nce(normed, inputs["teacher"])
    cos = group_cosine(x, LENGTHS, N)
    return ce, nce, cos, ce + NCE_WEIGHT * nce + COS_WEIGHT * cos


def main():
    model, inputs = model_and_inputs()
    a = adapter_tensors(SEED_ADAPTERS, D, N)
    ce, nce, cos, total = loss(model, inputs, a)
    total.backward()
    x = inputs["x"].clone().requires_grad_()
    r = inputs["r"] * torch.tensor([[p < n for p in range(STACK_LENGTH)] for n in STACK_LENGTHS]).unsqueeze(-1)
    (layers(model, x, STACK_LENGTHS) * r).sum().backward()
    result = {
        "config": {"hidden": D, "heads": HEADS, "kv_heads": KV_HEADS, "intermediate": INTER, "layers": LAYERS,
                   "vocab": VOCAB, "label_ids": LABEL_IDS, "rms_norm_eps": EPS, "rope_theta": THETA, "mux": N,
                   "lengths": LENGTHS, "length": LENGTH, "labels": LABELS, "stack_lengths": STACK_LENGTHS,
                   "seeds": {"frozen": SEED_FROZEN, "adapters": SEED_ADAPTERS}},
        "loss": {"ce": ce.item(), "nce": nce.item(), "cos": cos.item(), "total": total.item()},
        "grads": {name: sampled(p.grad, 8) for name, p in a.items()},
        "stack": sampled(x.grad, 16),
    }
    path = os.path.join(HERE, "reference", "llama-train-gradients.json")
    with open(path, "w") as handle:
        json.dump(result, handle, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
