#!/usr/bin/env python3
"""Writes the dequantisation fixtures for DequantizeTests.

For each type, quant/<TYPE>.blocks holds raw GGML blocks and quant/<TYPE>.f32 the
little-endian float32 output of gguf.quants.dequantize on them, the reference the
Swift kernels must match bit for bit. Deterministic: rerunning rewrites identical files.

Legacy types (Q4_0..Q8_0) are quantised from seeded floats by gguf.quants.quantize,
plus random blocks to reach bit patterns the quantiser never emits. gguf-py cannot
quantise K-quants, so those are seeded random bytes. Either way the f16 scale fields
are forced to finite values: NaN payloads and infinities are not what the test is about.

Usage: python3 Tests/Fixtures/make_quant_fixtures.py
"""

from pathlib import Path

import numpy as np
from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

OUT = Path(__file__).resolve().parent / "quant"

# Byte offsets of each type's f16 scale fields (d, dmin / m), from ggml-common.h.
SCALE_OFFSETS = {
    T.Q4_0: (0,),
    T.Q4_1: (0, 2),
    T.Q5_0: (0,),
    T.Q5_1: (0, 2),
    T.Q8_0: (0,),
    T.Q2_K: (80, 82),
    T.Q3_K: (108,),
    T.Q4_K: (0, 2),
    T.Q5_K: (0, 2),
    T.Q6_K: (208,),
}
LEGACY = (T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0)


def random_scales(rng: np.random.Generator, n: int) -> np.ndarray:
    """Finite f16 scales of either sign over several decades, with some exact zeros."""
    mag = 10.0 ** rng.uniform(-5, 1, n)
    sign = rng.choice([-1.0, 1.0], n)
    s = (sign * mag).astype(np.float16)
    s[rng.random(n) < 0.1] = 0
    return s


def random_blocks(rng: np.random.Generator, qtype: T, n: int) -> np.ndarray:
    _, type_size = GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(n, type_size), dtype=np.uint8)
    for off in SCALE_OFFSETS[qtype]:
        blocks[:, off:off + 2] = random_scales(rng, n).view(np.uint8).reshape(n, 2)
    return blocks


def legacy_blocks(rng: np.random.Generator, qtype: T) -> np.ndarray:
    block_size, _ = GGML_QUANT_SIZES[qtype]
    rows = [
        rng.standard_normal((8, block_size)),                        # ordinary weights
        np.zeros((1, block_size)),                                   # all-zero block
        rng.standard_normal((2, block_size)) * 5000.0,               # large magnitudes
        rng.standard_normal((2, block_size)) * 1e-4,                 # tiny (subnormal-ish f16 scales)
        rng.uniform(0.5, 3.0, (1, block_size)),                      # one-signed (min != 0 for Q4_1/Q5_1)
        -rng.uniform(0.5, 3.0, (1, block_size)),
    ]
    data = np.concatenate(rows).astype(np.float32)
    quantised = quantize(data, qtype)
    return np.concatenate([quantised, random_blocks(rng, qtype, 6)])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for index, qtype in enumerate(SCALE_OFFSETS):
        rng = np.random.default_rng(20240601 + index)
        blocks = legacy_blocks(rng, qtype) if qtype in LEGACY else random_blocks(rng, qtype, 8)
        blocks = np.ascontiguousarray(blocks, dtype=np.uint8)
        values = dequantize(blocks, qtype).astype("<f4", copy=False)
        (OUT / f"{qtype.name}.blocks").write_bytes(blocks.tobytes())
        (OUT / f"{qtype.name}.f32").write_bytes(values.tobytes())


if __name__ == "__main__":
    main()
