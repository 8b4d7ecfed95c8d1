#!/usr/bin/env python3
"""Reference gradients of the T5 training path for RevmuxTrainTests/T5GradientTests.

transformers' own T5Block and T5LayerNorm (a tiny T5ForConditionalGeneration in float64,
eager attention: d 16, 3 heads of 6 so the attention's inner width 18 is not d, FFN 24,
relative position buckets 8 with max distance 8 so that logarithmic buckets occur), frozen,
under the torch RevMUX adapter loss of revmux_loss.py (../shared/revmux-method.md). Two
variants, one per FFN transformers' T5 allows:

  relu   original T5: DenseReluDense, decoder output scaled by d^-0.5 (tied head: label rows
         are the shared embedding's)
  gated  T5 v1.1 / Flan-T5: DenseGatedActDense with gelu_new, unscaled, a separate head

Each has two encoder blocks (the mixed pass's layers [cf, L)), the encoder's final norm and two
decoder blocks. The position bias of each stack is its block 0's relative_attention_bias,
computed once and passed to every block, as T5Stack does. The mixed pass is the encoder blocks
on the mixed sequences (padded keys masked) and the whole decoder, reading
decoder_start_token_id (0) alone, cross-attending to them; each query is separated at that
decoder position, and the head is the decoder's final norm (times d^-0.5 for relu), then the
label words' rows. N = 2 over 5 queries of different lengths (the last group has an absent
query), InfoNCE weight 0.5 against the teacher states, |cos| weight 1. Every value comes from
SplitMix64 in f32, in the order the Swift test draws them, so only outputs are stored:

reference/t5-train-gradients.json, per variant:
  loss: {ce, nce, cos, total} the batch-mean terms
  grads: {name: {norm, index, values}}  per adapter tensor: the gradient's L2 norm and its
                              entries at 8 evenly spaced flat indices
  stack: {norm, index, values} d(Σ r ⊙ decoder(encoder(x)))/dx, the stack alone on a padded
                              batch (lengths 5, 2, 4) with a 3-token decoder input (ids 0, 5,
                              9), so that the causal self-attention and its bias matter; 16 entries

Usage: make_t5_train_references.py   (needs torch, transformers, numpy)
"""
import json
import os

import numpy as np
import torch
from transformers import T5Config, T5ForConditionalGeneration

from revmux_loss import adapter_tensors, demultiplex, group_cosine, info_nce, multiplex, sampled, uniform, up
from splitmix import SplitMix64

HERE = os.path.dirname(os.path.abspath(__file__))
D, HEADS, HEAD_DIM, FF, LAYERS, VOCAB, BUCKETS, MAX_DISTANCE, N = 16, 3, 6, 24, 2, 12, 8, 8, 2
INNER = HEADS * HEAD_DIM
LABEL_IDS, EPS, START = [3, 7], 1e-6, 0
LENGTHS, LENGTH, LABELS = [6, 3, 5, 2, 4], 6, [0, 1, 1, 0, 1]
STACK_LENGTHS, STACK_LENGTH, STACK_DECODER = [5, 2, 4], 5, [0, 5, 9]
SEED_ADAPTERS, NCE_WEIGHT, COS_WEIGHT = 11, 0.5, 1.0
VARIANTS = {"relu": {"seed": 7, "proj": "relu", "tied": True}, "gated": {"seed": 8, "proj": "gated-gelu", "tied": False}}


def model_and_inputs(variant):
    """The stream order T5GradientTests follows; the weights go into a T5ForConditionalGeneration."""
    spec = VARIANTS[variant]
    config = T5Config(vocab_size=VOCAB, d_model=D, d_kv=HEAD_DIM, d_ff=FF, num_layers=LAYERS, num_decoder_layers=LAYERS,
                      num_heads=HEADS, relative_attention_num_buckets=BUCKETS, relative_attention_max_distance=MAX_DISTANCE,
                      dropout_rate=0.0, layer_norm_epsilon=EPS, feed_forward_proj=spec["proj"],
                      tie_word_embeddings=spec["tied"], decoder_start_token_id=START)
    config._attn_implementation = "eager"
    model = T5ForConditionalGeneration(config).double().eval()
    assert config.scale_decoder_outputs == spec["tied"]
    g, gated = SplitMix64(spec["seed"]), spec["proj"].startswith("gated")
    wd, wi, wf = 1 / np.sqrt(np.float32(D)), 1 / np.sqrt(np.float32(INNER)), 1 / np.sqrt(np.float32(FF))
    state = {}

    def attention(prefix):
        for name in ("q", "k", "v"):
            state[f"{prefix}.{name}.weight"] = uniform(g, [INNER, D], wd)
        state[f"{prefix}.o.weight"] = uniform(g, [D, INNER], wi)

    def feed_forward(prefix):
        if gated:
            state[prefix + "DenseReluDense.wi_0.weight"] = uniform(g, [FF, D], wd)
            state[prefix + "DenseReluDense.wi_1.weight"] = uniform(g, [FF, D], wd)
        else:
            state[prefix + "DenseReluDense.wi.weight"] = uniform(g, [FF, D], wd)
        state[prefix + "DenseReluDense.wo.weight"] = uniform(g, [D, FF], wf)
        state[prefix + "layer_norm.weight"] = uniform(g, [D], 0.2, 1.0)

    for l in range(LAYERS):
        p = f"encoder.block.{l}.layer."
        attention(p + "0.SelfAttention")
        state[p + "0.layer_norm.weight"] = uniform(g, [D], 0.2, 1.0)
        feed_forward(p + "1.")
    for l in range(LAYERS):
        p = f"decoder.block.{l}.layer."
        attention(p + "0.SelfAttention")
        state[p + "0.layer_norm.weight"] = uniform(g, [D], 0.2, 1.0)
        attention(p + "1.EncDecAttention")
        state[p + "1.layer_norm.weight"] = uniform(g, [D], 0.2, 1.0)
        feed_forward(p + "2.")
    state["encoder.final_layer_norm.weight"] = uniform(g, [D], 0.2, 1.0)
    state["decoder.final_layer_norm.weight"] = uniform(g, [D], 0.2, 1.0)
    state["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"] = uniform(g, [BUCKETS, HEADS], 1.0)
    state["decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"] = uniform(g, [BUCKETS, HEADS], 1.0)
    state["shared.weight"] = uniform(g, [VOCAB, D], 1.0)
    head = state["shared.weight"] if spec["tied"] else uniform(g, [VOCAB, D], wd)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k.endswith("embed_tokens.weight") or k == "lm_head.weight" for k in missing), (missing, unexpected)
    for p in model.parameters():
        p.requires_grad_(False)
    inputs = {
        "states": uniform(g, [len(LENGTHS), LENGTH, D], 2.0),
        "teacher": uniform(g, [len(LENGTHS), D], 1.0),
        "x": uniform(g, [len(STACK_LENGTHS), STACK_LENGTH, D], 1.5),
        "r": uniform(g, [len(STACK_LENGTHS), len(STACK_DECODER), D], 1.0),
    }
    return model, head, inputs


def stack(model, h, lengths, decoder_ids):
    """Encoder blocks on right-padded sequences (padded keys masked), the encoder's final
    norm, then the decoder blocks on `decoder_ids` (causal), cross-attending to the real
    encoder tokens: the decoder's last-layer states, before its final norm."""
    count, length, steps = h.shape[0], h.shape[1], len(decoder_ids)
    minimum = torch.finfo(h.dtype).min
    keys = torch.zeros(count, 1, 1, length, dtype=h.dtype).masked_fill(
        ~torch.tensor([[k < n for k in range(length)] for n in lengths])[:, None, None], minimum)
    encoder_bias = model.encoder.block[0].layer[0].SelfAttention.compute_bias(length, length) + keys
    for block in model.encoder.block:
        h = block(h, position_bias=encoder_bias)[0]
    encoded = model.encoder.final_layer_norm(h)
    causal = torch.zeros(1, 1, steps, steps, dtype=h.dtype).masked_fill(torch.ones(steps, steps).triu(1).bool(), minimum)
    decoder_bias = model.decoder.block[0].layer[0].SelfAttention.compute_bias(steps, steps) + causal
    s = model.shared.weight[decoder_ids].unsqueeze(0).expand(count, steps, D)
    for block in model.decoder.block:
        s = block(s, position_bias=decoder_bias, encoder_hidden_states=encoded, encoder_attention_mask=keys)[0]
    return s


def loss(model, head, inputs, a):
    count, groups = len(LENGTHS), -(-len(LENGTHS) // N)
    x, mixed = multiplex(a, inputs["states"], LENGTHS, N)
    merged = [max(LENGTHS[g * N:(g + 1) * N]) for g in range(groups)]
    o = stack(model, mixed, merged, [START])
    # Every query of a group is separated at the group's one decoder position; slot q mod N is its.
    u = up(a, torch.stack([demultiplex(a, o[q // N, 0], N)[q % N] for q in range(count)]))
    normed = model.decoder.final_layer_norm(u)
    if model.config.scale_decoder_outputs:
        normed = normed * D ** -0.5
    logits = normed @ head[LABEL_IDS].T
    ce = torch.nn.functional.cross_entropy(logits, torch.tensor(LABELS))
    nce = info_nce(normed, inputs["teacher"])
    cos = group_cosine(x, LENGTHS, N)
    return ce, nce, cos, ce + NCE_WEIGHT * nce + COS_WEIGHT * cos


def variant(name):
    model, head, inputs = model_and_inputs(name)
    a = adapter_tensors(SEED_ADAPTERS, D, N)
    ce, nce, cos, total = loss(model, head, inputs, a)
    total.backward()
    x = inputs["x"].clone().requires_grad_()
    (stack(model, x, STACK_LENGTHS, STACK_DECODER) * inputs["r"]).sum().backward()
    return {
        "loss": {"ce": ce.item(), "nce": nce.item(), "cos": cos.item(), "total": total.item()},
        "grads": {name: sampled(p.grad, 8) for name, p in a.items()},
        "stack": sampled(x.grad, 16),
    }


def main():
    result = {
        "config": {"hidden": D, "heads": HEADS, "head_size": HEAD_DIM, "intermediate": FF, "layers": LAYERS, "vocab": VOCAB,
                   "buckets": BUCKETS, "max_distance": MAX_DISTANCE, "label_ids": LABEL_IDS, "eps": EPS, "mux": N,
                   "lengths": LENGTHS, "length": LENGTH, "labels": LABELS, "stack_lengths": STACK_LENGTHS,
                   "stack_decoder": STACK_DECODER, "variants": VARIANTS, "adapter_seed": SEED_ADAPTERS},
    }
    result.update({name: variant(name) for name in VARIANTS})
    path = os.path.join(HERE, "reference", "t5-train-gradients.json")
    with open(path, "w") as handle:
        json.dump(result, handle, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
