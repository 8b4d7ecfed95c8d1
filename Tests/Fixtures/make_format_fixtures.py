#!/usr/bin/env python3
"""Generate revmux's small format fixtures and the values the reference libraries read back.

Writes, under Tests/Fixtures/formats/:
  safetensors/dtypes.safetensors        one tensor per safetensors dtype (+ a 0-d and a zero-element one)
  safetensors/dtypes.expected.json      what the `safetensors` package reads back
  safetensors/sharded/...               a two-shard checkpoint with a Hugging Face index
  safetensors/sharded/sharded.expected.json
  gguf/kitchen-sink.gguf                every GGUF metadata value type and 18 tensor types (GGUFWriter)
  gguf/kitchen-sink-v2.gguf             the same bytes with the version field patched to 2
  gguf/kitchen-sink.expected.json       what gguf.GGUFReader / gguf.quants.dequantize read back

Needs numpy, safetensors, gguf and torch (torch only for BF16 / F8_E4M3 / F8_E5M2 safetensors,
which the numpy backend cannot express). Deterministic: rerunning gives byte-identical files.

Usage: python3 Tests/Fixtures/make_format_fixtures.py   (from anywhere)

JSON conventions: FLOAT32 / FLOAT64 scalars are {"bits": N} (uint32 / uint64 bit pattern) so NaN,
inf and -0.0 survive; `f32_bits` lists are plain uint32 bit patterns.
"""
import hashlib
import json
import os
import struct
import sys
import zlib

import numpy as np
import safetensors
import safetensors.torch
import torch
from safetensors import safe_open

import gguf
from gguf import GGMLQuantizationType as QT
from gguf import GGUFValueType as VT

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "formats")


# ----------------------------------------------------------------------------- helpers

def f32_bits(values):
    """uint32 bit patterns of a float32 array, flattened."""
    a = np.ascontiguousarray(np.asarray(values, dtype=np.float32))
    return [int(x) for x in a.reshape(-1).view(np.uint32)]


def dumps(obj, indent=0):
    """Indented JSON, but any container that fits in 120 characters, and every list of scalars,
    on one line (keeps the long f32_bits lists compact)."""
    compact = json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))
    if (not isinstance(obj, (dict, list)) or len(compact) <= 120
            or (isinstance(obj, list) and not any(isinstance(x, (dict, list)) for x in obj))):
        return compact
    pad = " " * (indent + 1)
    if isinstance(obj, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {dumps(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + dumps(v, indent + 1) for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps(obj) + "\n")


def f32_from_bits(bits):
    return np.array(bits, dtype=np.uint32).view(np.float32)


def f16_from_bits(bits):
    return np.array(bits, dtype=np.uint16).view(np.float16)


# ----------------------------------------------------------------------------- safetensors

SAFETENSORS_METADATA = {
    "format": "pt",
    "revmux.note": "kitchen sink \u2713 \u00fcn\u00efc\u00f8d\u00e9 \u65e5\u672c",
    "revmux.empty": "",
}

# numpy-native dtypes; BF16 and F8_* only exist in torch.
NP_DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16,
    "F16": np.float16, "I32": np.int32, "U32": np.uint32, "F32": np.float32, "F64": np.float64,
    "I64": np.int64, "U64": np.uint64,
}
TORCH_DTYPES = {"BF16": torch.bfloat16, "F8_E4M3": torch.float8_e4m3fn, "F8_E5M2": torch.float8_e5m2}
TORCH_BITS_CARRIER = {torch.bfloat16: torch.int16, torch.float8_e4m3fn: torch.uint8, torch.float8_e5m2: torch.uint8}


def torch_from_bits(bits, dtype, shape):
    carrier = TORCH_BITS_CARRIER[dtype]
    if carrier == torch.int16:
        bits = [b - 0x10000 if b >= 0x8000 else b for b in bits]
    return torch.tensor(bits, dtype=carrier).view(dtype).reshape(shape)


def dtype_tensors():
    """name -> torch tensor. Names are the safetensors dtype strings (plus two shape oddities)."""
    t = {}
    t["BOOL"] = torch.from_numpy(np.array([[True, False, True], [False, False, True]]))
    t["U8"] = torch.from_numpy(np.array([0, 1, 127, 128, 254, 255], dtype=np.uint8))
    t["I8"] = torch.from_numpy(np.array([[-128, -127, -1, 0], [1, 2, 126, 127]], dtype=np.int8))
    t["I16"] = torch.from_numpy(np.array([-32768, -1, 0, 1, 32767], dtype=np.int16))
    t["U16"] = torch.from_numpy(np.array([0, 1, 32768, 65535], dtype=np.uint16))
    # 3-d F16: zeros, subnormals (min 0x0001, max 0x03ff), min normal, max, inf, NaN, ordinary values.
    t["F16"] = torch.from_numpy(f16_from_bits([
        0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x7BFF, 0xFBFF,
        0x7C00, 0xFC00, 0x7E00, 0xFE00, 0x3C00, 0x3555, 0xC100, 0x5640,
        0x0200, 0x83FF, 0x3BFF, 0x3C01, 0x1400, 0x9400, 0x7800, 0x0010,
    ]).reshape(2, 3, 4).copy())
    t["BF16"] = torch_from_bits([
        0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x7F7F, 0xFF7F, 0x7F80, 0xFF80,
        0x7FC0, 0x3F80, 0x4049, 0xBEAB, 0x3DCD, 0x4780, 0xC2F7, 0x3F81, 0x0100,
    ], torch.bfloat16, (3, 6))
    t["I32"] = torch.from_numpy(np.array([[-2147483648, -1, 0], [1, 16777217, 2147483647]], dtype=np.int32))
    t["U32"] = torch.from_numpy(np.array([0, 1, 16777217, 2147483648, 4294967295], dtype=np.uint32))
    t["F32"] = torch.from_numpy(f32_from_bits([
        0x00000000, 0x80000000, 0x00000001, 0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF,
        0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x3F800000, 0xBFC00000, 0x3DCCCCCD,
        0x40490FDB, 0x4B800001,
    ]).reshape(4, 4).copy())
    t["F64"] = torch.from_numpy(np.array([
        0.0, -0.0, 5e-324, 1e-40, 1.7976931348623157e308, -3.5e38, float("inf"), float("-inf"),
        float("nan"), 1.0 / 3.0, 16777217.0, 0.1,
    ], dtype=np.float64).reshape(2, 6).copy())
    t["I64"] = torch.from_numpy(np.array([
        -9223372036854775808, -1, 0, 1, 9007199254740993, 9223372036854775807,
    ], dtype=np.int64))
    t["U64"] = torch.from_numpy(np.array([
        0, 1, 9007199254740993, 9223372036854775808 + 2**39, 18446744073709551615,
    ], dtype=np.uint64))
    # F8_E4M3 (E4M3FN: no inf, 0x7f / 0xff are NaN, max 448).
    t["F8_E4M3"] = torch_from_bits([
        0x00, 0x80, 0x01, 0x07, 0x08, 0x7E, 0xFE, 0x7F, 0xFF, 0x38,
    ], torch.float8_e4m3fn, (2, 5))
    # F8_E5M2: IEEE-like, has inf and NaN, max 57344.
    t["F8_E5M2"] = torch_from_bits([
        0x00, 0x80, 0x01, 0x03, 0x04, 0x7B, 0xFB, 0x7C, 0xFC, 0x7E, 0x3C, 0xC2,
    ], torch.float8_e5m2, (12,))
    t["scalar_F32"] = torch.tensor(-1.5, dtype=torch.float32)          # 0-d
    t["empty_I32"] = torch.zeros((0, 3), dtype=torch.int32)            # zero elements
    return t


def to_f32(tensor):
    """float32 values as numpy's astype(float32) gives them (torch's .float() for BF16 / F8)."""
    if tensor.dtype in TORCH_BITS_CARRIER:
        return tensor.float().numpy()
    np_val = tensor.numpy()
    with np.errstate(over="ignore", invalid="ignore"):
        a = np_val.astype(np.float32)
    # Cross-check against torch .float(): they must agree except for NaN payloads.
    b = tensor.float().numpy()
    same = (a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))
    assert same.all(), (tensor.dtype, a, b)
    return a


def header_of(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return n, json.loads(f.read(n))


def save_safetensors_canonical(tensors, path, metadata):
    """safetensors serialises __metadata__ from a Rust HashMap, so its key order changes from run to
    run. Save again until the order is the sorted one, which makes the file reproducible."""
    want = sorted(metadata)
    for _ in range(5000):
        safetensors.torch.save_file(tensors, path, metadata=metadata)
        n, header = header_of(path)
        if list(header["__metadata__"]) == want:
            return
    raise SystemExit("could not get a sorted __metadata__ order from safetensors")


def safetensors_expected(path, tensors_written):
    n, header = header_of(path)
    with open(path, "rb") as f:
        blob = f.read()
    data = blob[8 + n:]
    entries = [(k, v) for k, v in header.items() if k != "__metadata__"]
    header_order = [k for k, _ in entries]
    # File order: by data offset; ties (zero-element tensors) keep header order.
    entries.sort(key=lambda kv: (kv[1]["data_offsets"][0], kv[1]["data_offsets"][1]))
    out = {
        "file_size": len(blob),
        "header_length": n,
        "metadata": None,
        "header_key_order": header_order,
        "tensors": [],
    }
    with safe_open(path, framework="pt") as f:
        meta = f.metadata()   # a dict whose order varies from run to run (Rust HashMap): sort it
        out["metadata"] = {k: meta[k] for k in sorted(meta)}
        assert sorted(f.keys()) == sorted(header_order)
        for name, info in entries:
            t = f.get_tensor(name)
            assert list(t.shape) == info["shape"], name
            assert safetensors.torch._TYPES[info["dtype"]] == t.dtype, name
            assert torch.equal(t.reshape(-1).view(torch.uint8),
                               tensors_written[name].reshape(-1).view(torch.uint8)), name
            s, e = info["data_offsets"]
            raw = data[s:e]
            out["tensors"].append({
                "name": name,
                "dtype": info["dtype"],
                "shape": info["shape"],
                "data_offsets": [s, e],
                "raw_hex": raw.hex(),
                "f32_bits": f32_bits(to_f32(t)),
            })
    return out


def make_safetensors():
    d = os.path.join(OUT, "safetensors")
    os.makedirs(d, exist_ok=True)
    tensors = dtype_tensors()
    path = os.path.join(d, "dtypes.safetensors")
    save_safetensors_canonical(tensors, path, SAFETENSORS_METADATA)
    write_json(os.path.join(d, "dtypes.expected.json"), safetensors_expected(path, tensors))


def make_sharded():
    d = os.path.join(OUT, "safetensors", "sharded")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(20240611)
    shards = {
        "model-00001-of-00002.safetensors": {
            "model.embed_tokens.weight": rng.standard_normal((8, 4)).astype(np.float32),
            "model.layers.0.attn.q_proj.weight": rng.standard_normal((4, 4)).astype(np.float16),
            "model.layers.0.attn.q_proj.bias": rng.standard_normal((4,)).astype(np.float32),
        },
        "model-00002-of-00002.safetensors": {
            "model.layers.1.mlp.up_proj.weight": rng.standard_normal((6, 4)).astype(np.float16),
            "model.norm.weight": np.ones((4,), dtype=np.float32),
            "model.position_ids": np.arange(8, dtype=np.int64).reshape(1, 8),
        },
    }
    weight_map = {}
    total = 0
    tensors_out = []
    for shard, tensors in shards.items():
        path = os.path.join(d, shard)
        safetensors.torch.save_file({k: torch.from_numpy(v) for k, v in tensors.items()}, path,
                                    metadata={"format": "pt"})
        n, header = header_of(path)
        blob = open(path, "rb").read()
        for k, v in tensors.items():
            weight_map[k] = shard
            total += v.nbytes
        for k, info in header.items():
            if k == "__metadata__":
                continue
            s, e = info["data_offsets"]
            tensors_out.append({
                "name": k, "shard": shard, "dtype": info["dtype"], "shape": info["shape"],
                "data_offsets": [s, e], "crc32": zlib.crc32(blob[8 + n + s:8 + n + e]),
            })
    # Hugging Face's index: total_size is the sum of tensor byte sizes (not file sizes);
    # weight_map keys sorted, as transformers writes them.
    index = {"metadata": {"total_size": total},
             "weight_map": {k: weight_map[k] for k in sorted(weight_map)}}
    write_json(os.path.join(d, "model.safetensors.index.json"), index)
    tensors_out.sort(key=lambda t: t["name"])
    write_json(os.path.join(d, "sharded.expected.json"), {
        "index": "model.safetensors.index.json",
        "total_size": total,
        "shards": list(shards),
        "tensors": tensors_out,
    })


# ----------------------------------------------------------------------------- GGUF

class KitchenSinkWriter(gguf.GGUFWriter):
    """GGUFWriter refuses empty arrays (add_array drops them, _pack_val raises). This subclass
    only adds that case: ARRAY with explicit element type and length 0, per the GGUF spec."""

    def _pack_val(self, val, vtype, add_vtype, sub_type=None):
        if vtype == VT.ARRAY and len(val) == 0:
            assert sub_type is not None
            out = bytearray()
            if add_vtype:
                out += self._pack("I", vtype)
            out += self._pack("I", sub_type)
            out += self._pack("Q", 0)
            return bytes(out)
        return super()._pack_val(val, vtype, add_vtype, sub_type)


F16 = np.float16


def kq_blocks(rng, qtype, n_blocks):
    """Seeded random K-quant blocks with every f16 scale field forced to a moderate finite value."""
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    # byte offsets of the f16 fields in each block (ggml-common.h block_qN_K layouts, QK_K = 256)
    f16_fields = {
        QT.Q2_K: [80, 82],    # scales[16] qs[64] d dmin
        QT.Q3_K: [108],       # hmask[32] qs[64] scales[12] d
        QT.Q4_K: [0, 2],      # d dmin scales[12] qs[128]
        QT.Q5_K: [0, 2],      # d dmin scales[12] qh[32] qs[128]
        QT.Q6_K: [208],       # ql[128] qh[64] scales[16] d
    }[qtype]
    for off in f16_fields:
        mag = rng.uniform(2.0 ** -10, 2.0 ** -4, size=n_blocks)
        sign = np.where(rng.integers(0, 2, size=n_blocks) == 1, -1.0, 1.0) if qtype in (QT.Q3_K, QT.Q6_K) else 1.0
        vals = (mag * sign).astype(F16)
        blocks[:, off:off + 2] = vals.view(np.uint8).reshape(n_blocks, 2)
    return blocks


def gguf_tensors():
    """(name, row-major shape, qtype, bytes-or-array) in file order."""
    rng = np.random.default_rng(1234)
    out = []
    f32_special = f32_from_bits([
        0x00000000, 0x80000000, 0x00000001, 0x007FFFFF, 0x7F7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000,
    ])
    out.append(("f32", (2, 8), QT.F32,
                np.concatenate([f32_special, rng.standard_normal(8).astype(np.float32)]).reshape(2, 8)))
    out.append(("f32_1d", (7,), QT.F32, rng.standard_normal(7).astype(np.float32)))
    f16_vals = np.concatenate([
        f16_from_bits([0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0x7C00, 0xFC00, 0x7E00]),
        rng.standard_normal(15).astype(np.float16),
    ])
    out.append(("f16_3d", (2, 3, 4), QT.F16, f16_vals.reshape(2, 3, 4)))
    bf16_src = np.concatenate([
        f32_from_bits([0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x3F808000, 0x3F818000, 0x00010000]),
        rng.standard_normal(24).astype(np.float32),
    ]).reshape(2, 16)
    out.append(("bf16", (2, 16), QT.BF16, gguf.quants.quantize(bf16_src, QT.BF16)))
    out.append(("i8", (2, 4), QT.I8, np.array([[-128, -1, 0, 1], [2, 3, 126, 127]], dtype=np.int8)))
    out.append(("i16", (8,), QT.I16, np.array([-32768, -1, 0, 1, 2, 1000, -1000, 32767], dtype=np.int16)))
    out.append(("i32", (2, 3), QT.I32, np.array([[-2147483648, -1, 0], [1, 16777217, 2147483647]], dtype=np.int32)))
    out.append(("i64", (4,), QT.I64, np.array([-9223372036854775808, 0, 9007199254740993, 9223372036854775807], dtype=np.int64)))
    out.append(("f64", (2, 3), QT.F64, np.array([[0.0, -0.0, 1e-40], [1e300, float("-inf"), 1.0 / 3.0]], dtype=np.float64)))
    for name, qt in [("q4_0", QT.Q4_0), ("q4_1", QT.Q4_1), ("q5_0", QT.Q5_0), ("q5_1", QT.Q5_1), ("q8_0", QT.Q8_0)]:
        src = rng.standard_normal((4, 256)).astype(np.float32)
        out.append((name, (4, 256), qt, gguf.quants.quantize(src, qt)))
    src = rng.standard_normal((2, 2, 64)).astype(np.float32)
    out.append(("q8_0_3d", (2, 2, 64), QT.Q8_0, gguf.quants.quantize(src, QT.Q8_0)))
    for name, qt, shape in [("q2_k", QT.Q2_K, (4, 256)), ("q3_k", QT.Q3_K, (4, 256)), ("q4_k", QT.Q4_K, (2, 512)),
                            ("q5_k", QT.Q5_K, (4, 256)), ("q6_k", QT.Q6_K, (4, 256))]:
        n_blocks = int(np.prod(shape)) // 256
        rows = shape[0]
        data = kq_blocks(rng, qt, n_blocks).reshape(rows, -1)
        out.append((name, shape, qt, data))
    return out


def write_kitchen_sink(path):
    w = KitchenSinkWriter(path, arch="llama")
    w.add_custom_alignment(32)
    w.add_name("revmux kitchen sink")
    # scalars of every type
    w.add_uint8("kitchen.uint8", 255)
    w.add_int8("kitchen.int8", -128)
    w.add_uint16("kitchen.uint16", 65535)
    w.add_int16("kitchen.int16", -32768)
    w.add_uint32("kitchen.uint32", 4294967295)
    w.add_int32("kitchen.int32", -2147483648)
    w.add_float32("kitchen.float32", 3.14159265)
    w.add_float32("kitchen.float32.neg_zero", -0.0)
    w.add_float32("kitchen.float32.nan", float("nan"))
    w.add_float32("kitchen.float32.neg_inf", float("-inf"))
    w.add_bool("kitchen.bool.true", True)
    w.add_bool("kitchen.bool.false", False)
    w.add_string("kitchen.string", "h\u00e9llo w\u00f6rld \u2603 \u65e5\u672c\u8a9e \U0001F999")
    w.add_key_value("kitchen.string.empty", "", VT.STRING)   # add_string("") would silently drop it
    w.add_uint64("kitchen.uint64", 18446744073709551615)
    w.add_int64("kitchen.int64", -9223372036854775808)
    w.add_float64("kitchen.float64", 2.718281828459045)
    w.add_float64("kitchen.float64.nan", float("nan"))
    # arrays of each scalar type
    arrays = [
        ("uint8", VT.UINT8, [0, 1, 128, 255]),
        ("int8", VT.INT8, [-128, -1, 0, 127]),
        ("uint16", VT.UINT16, [0, 1, 65535]),
        ("int16", VT.INT16, [-32768, 0, 32767]),
        ("uint32", VT.UINT32, [0, 1, 4294967295]),
        ("int32", VT.INT32, [-2147483648, -1, 0, 2147483647]),
        ("float32", VT.FLOAT32, [1.5, -0.0, float("inf"), float("nan"), 1e-45, 3.4028234663852886e38]),
        ("bool", VT.BOOL, [True, False, True]),
        ("uint64", VT.UINT64, [0, 18446744073709551615]),
        ("int64", VT.INT64, [-9223372036854775808, -1, 9223372036854775807]),
        ("float64", VT.FLOAT64, [0.1, -0.0, float("-inf"), 5e-324]),
        ("string", VT.STRING, ["hello", "h\u00e9llo", "\u65e5\u672c\u8a9e", "\U0001F999", "", "tab\there"]),
    ]
    for name, vt, vals in arrays:
        w.add_key_value(f"kitchen.array.{name}", vals, VT.ARRAY, sub_type=vt)
    w.add_key_value("kitchen.array.empty", [], VT.ARRAY, sub_type=VT.UINT32)
    # nested arrays: GGUFWriter infers the inner element type (python int -> INT32, str -> STRING)
    w.add_key_value("kitchen.array.nested", [[1, 2, 3], [4], [5, 6]], VT.ARRAY, sub_type=VT.ARRAY)
    w.add_key_value("kitchen.array.nested_string", [["a", "b\u00e7"], ["\U0001F999"]], VT.ARRAY, sub_type=VT.ARRAY)
    w.add_uint32("kitchen.after_arrays", 7)

    for name, shape, qt, data in gguf_tensors():
        if qt in (QT.F32, QT.F16, QT.F64, QT.I8, QT.I16, QT.I32, QT.I64):
            assert data.shape == tuple(shape)
            w.add_tensor(name, np.ascontiguousarray(data))
        else:
            assert data.dtype == np.uint8
            w.add_tensor(name, np.ascontiguousarray(data), raw_dtype=qt)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def encode_scalar(vtype, v):
    if vtype == VT.FLOAT32:
        return {"bits": int(np.array(v, dtype=np.float32).view(np.uint32))}
    if vtype == VT.FLOAT64:
        return {"bits": int(np.array(v, dtype=np.float64).view(np.uint64))}
    if vtype == VT.BOOL:
        return bool(v)
    return int(v)


def walk_parts(parts, i, vtype):
    """Decode one value from a ReaderField's parts list starting at parts[i].
    Returns (json value, array element type name or None, next index). Walking the parts keeps
    nested arrays nested (ReaderField.contents() flattens them)."""
    if vtype == VT.STRING:
        return bytes(parts[i + 1]).decode("utf-8"), None, i + 2
    if vtype == VT.ARRAY:
        itype = VT(int(parts[i][0]))
        n = int(parts[i + 1][0])
        i += 2
        vals = []
        for _ in range(n):
            v, sub, i = walk_parts(parts, i, itype)
            vals.append({"array_type": sub, "value": v} if itype == VT.ARRAY else v)
        return vals, itype.name, i
    return encode_scalar(vtype, parts[i][0]), None, i + 1


def gguf_metadata(reader):
    out = []
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue   # reader's pseudo-fields for the header (version, tensor_count, kv_count)
        vtype = VT(int(field.parts[2][0]))
        value, array_type, end = walk_parts(field.parts, 3, vtype)
        assert end == len(field.parts), key
        entry = {"key": key, "type": vtype.name}
        if array_type is not None:
            entry["array_type"] = array_type
        entry["value"] = value
        out.append(entry)
    return out


def gguf_expected(path):
    r = gguf.GGUFReader(path)
    blob = open(path, "rb").read()
    tensors = []
    for t in r.tensors:
        ne = [int(x) for x in t.shape]
        raw = blob[t.data_offset:t.data_offset + t.n_bytes]
        assert raw == t.data.tobytes(), t.name
        if t.tensor_type in (QT.F32, QT.F16, QT.F64, QT.I8, QT.I16, QT.I32, QT.I64):
            with np.errstate(over="ignore"):
                vals = t.data.astype(np.float32)
        else:
            vals = gguf.quants.dequantize(t.data, t.tensor_type)
        assert np.isfinite(vals).all() or t.tensor_type in (QT.F32, QT.F16, QT.F64, QT.BF16), t.name
        tensors.append({
            "name": t.name,
            "type": t.tensor_type.name,
            "shape": ne[::-1],
            "ne": ne,
            "n_elements": int(t.n_elements),
            "offset": int(t.data_offset),
            "n_bytes": int(t.n_bytes),
            "crc32": zlib.crc32(raw),
            "f32_bits": f32_bits(vals),
        })
    return {
        "version": int(r.fields["GGUF.version"].parts[0][0]),
        "tensor_count": int(r.fields["GGUF.tensor_count"].parts[0][0]),
        "kv_count": int(r.fields["GGUF.kv_count"].parts[0][0]),
        "alignment": int(r.alignment),
        "data_offset": int(r.data_offset),
        "file_size": len(blob),
        "metadata": gguf_metadata(r),
        "tensors": tensors,
    }


def make_gguf():
    d = os.path.join(OUT, "gguf")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "kitchen-sink.gguf")
    write_kitchen_sink(path)
    blob = bytearray(open(path, "rb").read())
    assert blob[:4] == b"GGUF" and struct.unpack_from("<I", blob, 4)[0] == 3
    struct.pack_into("<I", blob, 4, 2)
    with open(os.path.join(d, "kitchen-sink-v2.gguf"), "wb") as f:
        f.write(blob)
    expected = gguf_expected(path)
    v2 = gguf_expected(os.path.join(d, "kitchen-sink-v2.gguf"))
    assert v2["version"] == 2 and {**v2, "version": 3} == expected
    write_json(os.path.join(d, "kitchen-sink.expected.json"), expected)


def main():
    import logging
    logging.getLogger("gguf").setLevel(logging.WARNING)
    make_safetensors()
    make_sharded()
    make_gguf()
    for root, _, files in sorted(os.walk(OUT)):
        for name in sorted(files):
            p = os.path.join(root, name)
            print(f"{os.path.getsize(p):8d}  {hashlib.sha256(open(p, 'rb').read()).hexdigest()[:16]}  "
                  f"{os.path.relpath(p, HERE)}")


if __name__ == "__main__":
    main()
