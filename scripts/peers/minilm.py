#!/usr/bin/env python3
"""Peer timings for `revmux-bench minilm`: all-MiniLM-L6-v2 sentence embeddings (forward pass,
mean pooling over real tokens, L2 normalisation) with ONNX Runtime and with torch.

Usage: minilm.py MODEL_DIR BATCHES_JSON REPEATS THREADS...
BATCHES_JSON holds {"workload name": [[ids of each sequence of a batch], ...], ...}: the same
token ids revmux runs. Each batch is right-padded to its longest sequence. The model is
exported once with torch.onnx.export (dynamic batch and sequence axes) and run by ONNX Runtime
on the CPU provider with every graph optimisation, intra-op threads as given. Prints
{"ort.WORKLOAD.THREADS": [seconds per repeat], "torch.WORKLOAD.THREADS": [...]}.
"""
import json
import os
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch
from transformers import AutoModel


def padded(batch):
    width = max(len(x) for x in batch)
    ids = np.array([x + [0] * (width - len(x)) for x in batch], dtype=np.int64)
    mask = np.array([[1] * len(x) + [0] * (width - len(x)) for x in batch], dtype=np.int64)
    return ids, mask, np.zeros_like(ids)


def pool(last, mask):
    m = mask[..., None].astype(last.dtype)
    pooled = (last * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


class Encoder(torch.nn.Module):
    """The model called by keyword, so the export does not depend on forward()'s argument order."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state


def timed(repeats, body):
    body()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return times


def main():
    model_dir, batches_path, repeats, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), [int(t) for t in sys.argv[4:]]
    with open(batches_path) as f:
        workloads = {name: [padded(b) for b in batches] for name, batches in json.load(f).items()}
    model = AutoModel.from_pretrained(model_dir, dtype=torch.float32).eval()
    onnx_path = os.path.join(tempfile.mkdtemp(prefix="revmux-minilm-"), "model.onnx")
    example = tuple(torch.from_numpy(a) for a in next(iter(workloads.values()))[0])
    axes = {0: "batch", 1: "sequence"}
    torch.onnx.export(Encoder(model), example, onnx_path, input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["last_hidden_state"], dynamic_axes={n: axes for n in ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
                      opset_version=17, dynamo=False)
    result = {}
    for t in threads:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = t
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        torch.set_num_threads(t)
        for name, batches in workloads.items():
            def run_ort():
                for ids, mask, types in batches:
                    last = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
                    pool(last, mask)

            def run_torch():
                with torch.inference_mode():
                    for ids, mask, types in batches:
                        out = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                                    token_type_ids=torch.from_numpy(types)).last_hidden_state
                        pool(out.numpy(), mask)

            result[f"ort.{name}.{t}"] = timed(repeats, run_ort)
            result[f"torch.{name}.{t}"] = timed(repeats, run_torch)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
