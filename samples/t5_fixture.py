#!/usr/bin/env python3
"""Random-weight T5 checkpoints in the real Hugging Face layout, made without torch.

No T5 checkpoint is reachable from CI, so the T5 tests run on models with t5-small's
dimensions (d_model 512, d_kv 64, 8 heads, d_ff 2048, 6 + 6 layers, 32 buckets, max distance
128) and random weights from numpy's PCG64 with a fixed seed, in two variants:

  relu   original T5: feed_forward_proj "relu", lm_head tied to the shared embedding
  gated  T5 v1.1 / Flan-T5: feed_forward_proj "gated-gelu", a separate lm_head

The tokenizer is the committed T5-style fixture trained on Rotten Tomatoes
(Tests/Fixtures/tokenizers/t5/tokenizer.json: 8,000 pieces + 100 <extra_id_N>); vocab_size is
8128, padded past the tokenizer as the published T5 checkpoints pad 32,100 to 32,128.

Weights are drawn near T5's own initialisation, with two changes that make the tests sharper:
relative attention biases and layer-norm weights are far from their defaults (std 0.5 and
1 + N(0, 0.1)), so a wrong bucket or a missing norm shows, and the untied lm_head has std
d_model^-0.5 so logits stay O(1) like the tied head's.

samples/fetch_assets.py runs generate() for the `t5-fixture-relu` and `t5-fixture-gated`
assets and checks the sha256 of model.safetensors. Needs numpy and safetensors.
"""
import json
import os
import shutil

import numpy as np
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER = os.path.join(HERE, "..", "Tests", "Fixtures", "tokenizers", "t5", "tokenizer.json")

D_MODEL, D_KV, HEADS, D_FF, LAYERS, BUCKETS, MAX_DISTANCE, VOCAB = 512, 64, 8, 2048, 6, 32, 128, 8128
VARIANTS = {
    "relu": {"seed": 5, "feed_forward_proj": "relu", "tied": True},
    "gated": {"seed": 11, "feed_forward_proj": "gated-gelu", "tied": False},
}


def config(variant):
    spec = VARIANTS[variant]
    values = {
        "architectures": ["T5ForConditionalGeneration"],
        "model_type": "t5",
        "d_model": D_MODEL,
        "d_kv": D_KV,
        "d_ff": D_FF,
        "num_layers": LAYERS,
        "num_decoder_layers": LAYERS,
        "num_heads": HEADS,
        "relative_attention_num_buckets": BUCKETS,
        "relative_attention_max_distance": MAX_DISTANCE,
        "dropout_rate": 0.1,
        "layer_norm_epsilon": 1e-6,
        "initializer_factor": 1.0,
        "feed_forward_proj": spec["feed_forward_proj"],
        "is_encoder_decoder": True,
        "pad_token_id": 0,
        "eos_token_id": 1,
        "decoder_start_token_id": 0,
        "vocab_size": VOCAB,
    }
    # t5-small's config omits the key (tied); v1.1 and Flan-T5 say false.
    if not spec["tied"]:
        values["tie_word_embeddings"] = False
    return values


def weights(variant):
    spec = VARIANTS[variant]
    rng = np.random.Generator(np.random.PCG64(spec["seed"]))
    tensors = {}

    def normal(name, shape, std):
        tensors[name] = (rng.standard_normal(shape, dtype=np.float32) * np.float32(std)).astype(np.float32)

    def norm(name):
        tensors[name] = (1 + 0.1 * rng.standard_normal(D_MODEL, dtype=np.float32)).astype(np.float32)

    def attention(prefix, relative):
        inner = HEADS * D_KV
        normal(prefix + ".q.weight", (inner, D_MODEL), (D_MODEL * D_KV) ** -0.5)
        normal(prefix + ".k.weight", (inner, D_MODEL), D_MODEL ** -0.5)
        normal(prefix + ".v.weight", (inner, D_MODEL), D_MODEL ** -0.5)
        normal(prefix + ".o.weight", (D_MODEL, inner), inner ** -0.5)
        if relative:
            normal(prefix + ".relative_attention_bias.weight", (BUCKETS, HEADS), 0.5)

    def feed_forward(prefix):
        if spec["feed_forward_proj"] == "relu":
            normal(prefix + ".wi.weight", (D_FF, D_MODEL), D_MODEL ** -0.5)
        else:
            normal(prefix + ".wi_0.weight", (D_FF, D_MODEL), D_MODEL ** -0.5)
            normal(prefix + ".wi_1.weight", (D_FF, D_MODEL), D_MODEL ** -0.5)
        normal(prefix + ".wo.weight", (D_MODEL, D_FF), D_FF ** -0.5)

    normal("shared.weight", (VOCAB, D_MODEL), 1.0)
    for stack in ("encoder", "decoder"):
        for n in range(LAYERS):
            block = f"{stack}.block.{n}.layer."
            attention(block + "0.SelfAttention", relative=n == 0)
            norm(block + "0.layer_norm.weight")
            if stack == "decoder":
                attention(block + "1.EncDecAttention", relative=False)
                norm(block + "1.layer_norm.weight")
            ff = "2" if stack == "decoder" else "1"
            feed_forward(block + ff + ".DenseReluDense")
            norm(block + ff + ".layer_norm.weight")
        norm(f"{stack}.final_layer_norm.weight")
    if not spec["tied"]:
        normal("lm_head.weight", (VOCAB, D_MODEL), D_MODEL ** -0.5)
    return tensors


def generate(variant, folder):
    """Writes config.json, model.safetensors and tokenizer.json into `folder`."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config(variant), f, indent=2)
        f.write("\n")
    save_file(weights(variant), os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    shutil.copyfile(TOKENIZER, os.path.join(folder, "tokenizer.json"))


if __name__ == "__main__":
    import sys
    generate(sys.argv[1], sys.argv[2])
