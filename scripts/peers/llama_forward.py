#!/usr/bin/env python3
"""Peer timings for `revmux-bench llama`: transformers LlamaForCausalLM prompt processing.

Usage: llama_forward.py HF_FOLDER IDS_JSON REPEATS THREADS...
IDS_JSON holds a list of equal-length id lists (one batch, no padding). For each thread
count, one untimed warm-up then REPEATS timed forward passes in float32 (eager attention,
no KV cache, logits of the last position only). Prints one JSON object: {"THREADS": [seconds...]}.
"""
import json
import os
import sys
import time

import torch
from transformers import LlamaForCausalLM


def main():
    folder, ids_path, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    threads = [int(t) for t in sys.argv[4:]]
    with open(ids_path) as f:
        ids = torch.tensor(json.load(f))
    model = LlamaForCausalLM.from_pretrained(folder, torch_dtype=torch.float32, attn_implementation="eager").eval()
    result = {}
    with torch.inference_mode():
        for count in threads:
            torch.set_num_threads(count)
            model(ids, use_cache=False, logits_to_keep=1)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                model(ids, use_cache=False, logits_to_keep=1)
                times.append(time.perf_counter() - start)
            result[str(count)] = times
    print(json.dumps(result))


if __name__ == "__main__":
    main()
