#!/usr/bin/env python3
"""Peer timings for `revmux-bench open`: open and validate model files in Python.

Usage: open_models.py REPEATS SAFETENSORS_FILE GGUF_FILE
Prints one JSON object: {"safetensors": [seconds...], "gguf": [seconds...]}, one time per
repeat, measured in-process (interpreter start-up excluded).
"""
import json
import sys
import time

from gguf import GGUFReader
from safetensors import safe_open


def timed(repeats, action):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def open_safetensors(path):
    # safe_open parses and validates the header; keys() forces the tensor table.
    with safe_open(path, framework="numpy") as f:
        f.keys()


def main():
    repeats, safetensors_path, gguf_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    print(json.dumps({
        "safetensors": timed(repeats, lambda: open_safetensors(safetensors_path)),
        "gguf": timed(repeats, lambda: GGUFReader(gguf_path)),
    }))


if __name__ == "__main__":
    main()
