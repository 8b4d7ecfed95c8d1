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

generate_gguf() writes the gated variant as llama.cpp's convert_hf_to_gguf.py (T5Model,
--outtype f32) writes it, from the same weights and the committed tokenizer, without torch or
sentencepiece: the same metadata in the same order, the same tensor names (enc.blk.N.attn_q,
dec.blk.N.cross_attn_k, token_embd, output, ...) in the same order. The file is byte-identical
to the converter's output on the `t5-fixture-gated` folder (checked by hand with llama.cpp as
vendored in llama-cpp-python 0.3.36, gguf 0.19.0), so the tests read a real T5 GGUF. Needs gguf.
"""
import base64
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


# Hugging Face names to llama.cpp's (gguf-py TensorNameMap for MODEL_ARCH.T5).
GGUF_NAMES = [
    ("shared.weight", "token_embd.weight"),
    ("lm_head.weight", "output.weight"),
    ("encoder.final_layer_norm.weight", "enc.output_norm.weight"),
    ("decoder.final_layer_norm.weight", "dec.output_norm.weight"),
    ("encoder.block.{n}.layer.0.SelfAttention.q.weight", "enc.blk.{n}.attn_q.weight"),
    ("encoder.block.{n}.layer.0.SelfAttention.k.weight", "enc.blk.{n}.attn_k.weight"),
    ("encoder.block.{n}.layer.0.SelfAttention.v.weight", "enc.blk.{n}.attn_v.weight"),
    ("encoder.block.{n}.layer.0.SelfAttention.o.weight", "enc.blk.{n}.attn_o.weight"),
    ("encoder.block.{n}.layer.0.SelfAttention.relative_attention_bias.weight", "enc.blk.{n}.attn_rel_b.weight"),
    ("encoder.block.{n}.layer.0.layer_norm.weight", "enc.blk.{n}.attn_norm.weight"),
    ("encoder.block.{n}.layer.1.DenseReluDense.wi.weight", "enc.blk.{n}.ffn_up.weight"),
    ("encoder.block.{n}.layer.1.DenseReluDense.wi_0.weight", "enc.blk.{n}.ffn_gate.weight"),
    ("encoder.block.{n}.layer.1.DenseReluDense.wi_1.weight", "enc.blk.{n}.ffn_up.weight"),
    ("encoder.block.{n}.layer.1.DenseReluDense.wo.weight", "enc.blk.{n}.ffn_down.weight"),
    ("encoder.block.{n}.layer.1.layer_norm.weight", "enc.blk.{n}.ffn_norm.weight"),
    ("decoder.block.{n}.layer.0.SelfAttention.q.weight", "dec.blk.{n}.attn_q.weight"),
    ("decoder.block.{n}.layer.0.SelfAttention.k.weight", "dec.blk.{n}.attn_k.weight"),
    ("decoder.block.{n}.layer.0.SelfAttention.v.weight", "dec.blk.{n}.attn_v.weight"),
    ("decoder.block.{n}.layer.0.SelfAttention.o.weight", "dec.blk.{n}.attn_o.weight"),
    ("decoder.block.{n}.layer.0.SelfAttention.relative_attention_bias.weight", "dec.blk.{n}.attn_rel_b.weight"),
    ("decoder.block.{n}.layer.0.layer_norm.weight", "dec.blk.{n}.attn_norm.weight"),
    ("decoder.block.{n}.layer.1.EncDecAttention.q.weight", "dec.blk.{n}.cross_attn_q.weight"),
    ("decoder.block.{n}.layer.1.EncDecAttention.k.weight", "dec.blk.{n}.cross_attn_k.weight"),
    ("decoder.block.{n}.layer.1.EncDecAttention.v.weight", "dec.blk.{n}.cross_attn_v.weight"),
    ("decoder.block.{n}.layer.1.EncDecAttention.o.weight", "dec.blk.{n}.cross_attn_o.weight"),
    ("decoder.block.{n}.layer.1.layer_norm.weight", "dec.blk.{n}.cross_attn_norm.weight"),
    ("decoder.block.{n}.layer.2.DenseReluDense.wi.weight", "dec.blk.{n}.ffn_up.weight"),
    ("decoder.block.{n}.layer.2.DenseReluDense.wi_0.weight", "dec.blk.{n}.ffn_gate.weight"),
    ("decoder.block.{n}.layer.2.DenseReluDense.wi_1.weight", "dec.blk.{n}.ffn_up.weight"),
    ("decoder.block.{n}.layer.2.DenseReluDense.wo.weight", "dec.blk.{n}.ffn_down.weight"),
    ("decoder.block.{n}.layer.2.layer_norm.weight", "dec.blk.{n}.ffn_norm.weight"),
]


def gguf_name(name):
    for source, target in GGUF_NAMES:
        prefix, _, suffix = source.partition("{n}")
        if not suffix and name == source:
            return target
        if suffix and name.startswith(prefix) and name.endswith(suffix) and name[len(prefix):-len(suffix)].isdigit():
            return target.replace("{n}", name[len(prefix):-len(suffix)])
    raise KeyError(name)


def gguf_vocabulary():
    """What llama.cpp's T5Model.set_vocab reads from spiece.model, from the tokenizer.json made
    from it: pieces and f32 scores, types (1 normal, 2 unknown, 3 control, 5 unused), and
    vocab_size - pieces padding entries "[PADi]" (unused, score -10000)."""
    with open(TOKENIZER, encoding="utf-8") as f:
        tokenizer = json.load(f)
    model = tokenizer["model"]
    special = {t["id"] for t in tokenizer["added_tokens"] if t["special"]}
    tokens = [f"[PAD{i}]".encode() for i in range(VOCAB)]
    scores = [-10000.0] * VOCAB
    types = [5] * VOCAB
    for i, (piece, score) in enumerate(model["vocab"]):
        if "<extra_id_" in piece:  # added on top of the SentencePiece model, not in it
            continue
        tokens[i] = piece.encode()
        scores[i] = float(np.float32(score))
        types[i] = 2 if i == model["unk_id"] else 3 if i in special else 1
    charsmap = base64.b64decode(tokenizer["normalizer"]["precompiled_charsmap"])
    return tokens, scores, types, charsmap


def generate_gguf(variant, path):
    """Writes `variant` as llama.cpp's converter does on a folder named t5-fixture-VARIANT-1
    (it takes general.name, version and basename from the folder's name)."""
    import gguf

    hparams = config(variant)
    tensors = weights(variant)
    writer = gguf.GGUFWriter(path, "t5")
    for hf_name in sorted(tensors):  # safetensors' key order, which the converter follows
        writer.add_tensor(gguf_name(hf_name), tensors[hf_name])
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(f"T5 Fixture {variant.title()} 1")
    writer.add_version("1")
    writer.add_basename(f"t5-fixture-{variant}")
    total, shared, expert, experts = writer.get_total_parameter_count()
    writer.add_size_label(gguf.size_label(total, shared, expert, experts))
    writer.add_context_length(512)  # no n_positions in config.json: the converter's default
    writer.add_embedding_length(hparams["d_model"])
    writer.add_feed_forward_length(hparams["d_ff"])
    writer.add_block_count(hparams["num_layers"])
    writer.add_decoder_block_count(hparams["num_decoder_layers"])
    writer.add_head_count(hparams["num_heads"])
    writer.add_key_length(hparams["d_kv"])
    writer.add_value_length(hparams["d_kv"])
    writer.add_layer_norm_eps(hparams["layer_norm_epsilon"])
    writer.add_relative_attn_buckets_count(hparams["relative_attention_num_buckets"])
    writer.add_layer_norm_rms_eps(hparams["layer_norm_epsilon"])
    writer.add_decoder_start_token_id(hparams["decoder_start_token_id"])
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    tokens, scores, types, charsmap = gguf_vocabulary()
    writer.add_tokenizer_model("t5")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_add_space_prefix(True)
    writer.add_remove_extra_whitespaces(True)
    writer.add_precompiled_charsmap(charsmap)
    writer.add_eos_token_id(hparams["eos_token_id"])
    writer.add_pad_token_id(hparams["pad_token_id"])
    writer.add_add_eos_token(True)
    writer.add_add_sep_token(False)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    import sys
    if sys.argv[1] == "gguf":
        generate_gguf(sys.argv[2], sys.argv[3])
    else:
        generate(sys.argv[1], sys.argv[2])
