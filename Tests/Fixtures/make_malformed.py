#!/usr/bin/env python3
"""Generate revmux's corpus of small malformed (and a few valid edge-case) model files.

Writes, under Tests/Fixtures/malformed/:
  safetensors/<name>.safetensors
  gguf/<name>.gguf
  expected.json      {file name: expected problem case name, or "ok" for a file that must parse}

The case names are those of the Swift enums `SafetensorsProblem` and `GGUFProblem`
(e.g. "offsetsNotContiguous", "impossibleCount"). Every file is built byte by byte with
`struct`, so the corpus is deterministic and needs no model library (numpy only for the
odd float payload). Rerunning removes stale files and gives byte-identical output.

Usage: python3 Tests/Fixtures/make_malformed.py   (from anywhere)
"""
import json
import os
import shutil
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "malformed")

U64_MAX = (1 << 64) - 1

expected = {}
files = {}


def add(kind, name, data, outcome):
    filename = f"{name}.{kind}"
    assert filename not in expected, filename
    expected[filename] = outcome
    files[os.path.join(kind, filename)] = bytes(data)


# ----------------------------------------------------------------------------- safetensors


def st_raw(header: bytes, data: bytes = b"", length=None):
    """A safetensors file from raw header bytes (length prefix defaults to the header's length)."""
    if length is None:
        length = len(header)
    return struct.pack("<Q", length) + header + data


def st_json(obj, data: bytes = b"", pad_to=None):
    header = json.dumps(obj, separators=(",", ":")).encode()
    if pad_to is not None:
        header += b" " * (pad_to - len(header))
    return st_raw(header, data)


def tensor(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def st(name, data, outcome):
    add("safetensors", name, data, outcome)


def safetensors_corpus():
    f32x4 = np.arange(4, dtype=np.float32).tobytes()  # 16 bytes
    valid = {"a": tensor("F32", [2, 2], 0, 16), "b": tensor("I8", [4], 16, 20)}
    valid_data = f32x4 + bytes([1, 2, 3, 4])

    # Valid edge cases.
    st("valid_basic", st_json({"__metadata__": {"format": "pt"}, **valid}, valid_data), "ok")
    st("valid_empty_object", st_raw(b"{}"), "ok")
    st("valid_metadata_null", st_json({"__metadata__": None, **valid}, valid_data), "ok")
    body = json.dumps(valid, separators=(",", ":")).encode()
    st("valid_whitespace_header", st_raw(b" \n\t\r " + body + b" \r\n\t  ", valid_data), "ok")
    st("valid_space_padded", st_json(valid, valid_data, pad_to=128), "ok")
    st("valid_zero_element_and_scalar", st_json({
        "empty": tensor("F32", [0, 3], 0, 0),
        "scalar": tensor("F64", [], 0, 8),
        "after": tensor("U8", [2], 8, 10),
    }, struct.pack("<d", 1.5) + b"\x01\x02"), "ok")

    # Prefix and header length.
    st("empty_file", b"", "tooShort")
    st("shorter_than_8", b"\x02\x00\x00\x00\x00\x00\x00", "tooShort")
    st("header_too_large", st_raw(b"{}", length=100_000_001), "headerTooLarge")
    st("header_length_u64_max", st_raw(b"{}", length=U64_MAX), "headerTooLarge")
    st("header_length_i64_negative", st_raw(b"{}", length=1 << 63), "headerTooLarge")
    st("header_past_eof", st_raw(b"{}", length=1000), "headerPastEnd")
    st("header_past_eof_by_one", st_raw(b"{}", length=3), "headerPastEnd")

    # Header bytes that are not a JSON object.
    st("header_length_zero", st_raw(b"", b"{}"), "headerNotJSON")
    st("header_invalid_utf8", st_raw(b'{"a\xff":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'), "headerNotJSON")
    st("header_overlong_utf8", st_raw(b'{"__metadata__":{"k":"\xc0\xaf"}}'), "headerNotJSON")
    st("header_utf8_surrogate_bytes", st_raw(b'{"__metadata__":{"k":"\xed\xa0\x80"}}'), "headerNotJSON")
    st("header_lone_surrogate_escape", st_raw(b'{"__metadata__":{"k":"\\ud800"}}'), "headerNotJSON")
    st("header_lone_low_surrogate_escape", st_raw(b'{"__metadata__":{"k":"x\\udc00y"}}'), "headerNotJSON")
    st("header_not_json", st_raw(b"hello, world"), "headerNotJSON")
    st("header_truncated_json", st_raw(b'{"a":{"dtype":"F32"'), "headerNotJSON")
    st("header_trailing_garbage", st_raw(b"{} x"), "headerNotJSON")
    st("header_two_objects", st_raw(b"{}{}"), "headerNotJSON")
    st("header_single_quotes", st_raw(b"{'a':1}"), "headerNotJSON")
    st("header_trailing_comma", st_raw(b'{"__metadata__":{},}'), "headerNotJSON")
    st("header_nan_literal", st_raw(b'{"__metadata__":NaN}'), "headerNotJSON")
    st("header_infinity_literal", st_raw(b'{"__metadata__":{"k":-Infinity}}'), "headerNotJSON")
    # json-c's strict mode reads these as numbers; JSON's grammar (and serde_json) does not.
    st("number_leading_zeros", st_raw(b'{"a":{"dtype":"F32","shape":[4],"data_offsets":[00,16]}}', f32x4),
       "headerNotJSON")
    st("number_negative_leading_zero", st_raw(b'{"a":{"dtype":"F32","shape":[-01],"data_offsets":[0,16]}}', f32x4),
       "headerNotJSON")
    st("number_trailing_dot", st_raw(b'{"a":{"dtype":"F32","shape":[4.],"data_offsets":[0,16]}}', f32x4),
       "headerNotJSON")
    st("header_nul_byte", st_raw(b'{"__metadata__":{}}\x00'), "headerNotJSON")
    st("header_comment", st_raw(b'{/* c */}'), "headerNotJSON")
    st("header_deep_arrays", st_raw(b'{"__metadata__":' + b"[" * 10_000 + b"]" * 10_000 + b"}"), "headerNotJSON")
    st("header_deep_objects", st_raw(b'{"x":' * 2_000 + b"{}" + b"}" * 2_000), "headerNotJSON")
    st("header_deep_unclosed", st_raw(b'{"__metadata__":' + b"[" * 10_000), "headerNotJSON")
    st("header_json_array", st_raw(b"[]"), "headerNotObject")
    st("header_json_string", st_raw(b'"tensors"'), "headerNotObject")
    st("header_json_number", st_raw(b"42"), "headerNotObject")
    st("header_json_null", st_raw(b"null"), "headerNotObject")

    # Duplicates: a repeated top-level key is a repeated tensor; a repeated key deeper
    # down is a JSON error about that key, not a tensor.
    entry = b'{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}'
    st("duplicate_tensor", st_raw(b'{"a":' + entry + b',"a":' + entry + b"}", f32x4), "duplicateTensor")
    st("duplicate_tensor_escaped", st_raw(b'{"a":' + entry + b',"\\u0061":' + entry + b"}", f32x4), "duplicateTensor")
    st("duplicate_field", st_raw(
        b'{"a":{"dtype":"F32","dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}', f32x4), "headerNotJSON")
    st("duplicate_metadata_key", st_raw(b'{"__metadata__":{"k":"1","k":"2"}}'), "headerNotJSON")

    # __metadata__.
    st("metadata_int_value", st_json({"__metadata__": {"k": 1}}), "metadataNotStrings")
    st("metadata_null_value", st_json({"__metadata__": {"k": None}}), "metadataNotStrings")
    st("metadata_nested_object", st_json({"__metadata__": {"k": {"x": "y"}}}), "metadataNotStrings")
    st("metadata_array", st_json({"__metadata__": ["a", "b"]}), "metadataNotStrings")
    st("metadata_string", st_json({"__metadata__": "pt"}), "metadataNotStrings")

    # Tensor entries.
    st("tensor_is_array", st_json({"a": ["F32", [4], [0, 16]]}, f32x4), "tensorNotObject")
    st("tensor_is_string", st_json({"a": "F32"}), "tensorNotObject")
    st("tensor_is_null", st_json({"a": None}), "tensorNotObject")
    st("missing_dtype", st_json({"a": {"shape": [4], "data_offsets": [0, 16]}}, f32x4), "missingField")
    st("missing_shape", st_json({"a": {"dtype": "F32", "data_offsets": [0, 16]}}, f32x4), "missingField")
    st("missing_data_offsets", st_json({"a": {"dtype": "F32", "shape": [4]}}, f32x4), "missingField")
    st("dtype_not_string", st_json({"a": tensor(5, [4], 0, 16)}, f32x4), "badField")
    st("shape_not_array", st_json({"a": tensor("F32", "4", 0, 16)}, f32x4), "badField")
    st("shape_negative", st_json({"a": tensor("F32", [-1, 4], 0, 16)}, f32x4), "badField")
    st("shape_fractional", st_json({"a": tensor("F32", [1.5], 0, 16)}, f32x4), "badField")
    st("shape_float_integral", st_json({"a": tensor("F32", [4.0], 0, 16)}, f32x4), "badField")
    st("shape_exponent", st_raw(b'{"a":{"dtype":"F32","shape":[4e0],"data_offsets":[0,16]}}', f32x4), "badField")
    st("shape_string_entry", st_json({"a": tensor("F32", ["4"], 0, 16)}, f32x4), "badField")
    st("shape_above_i64", st_json({"a": tensor("F32", [U64_MAX], 0, 16)}, f32x4), "badField")
    st("offsets_one", st_json({"a": {"dtype": "F32", "shape": [4], "data_offsets": [16]}}, f32x4), "badField")
    st("offsets_three", st_json({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16, 16]}}, f32x4), "badField")
    st("offsets_empty", st_json({"a": {"dtype": "F32", "shape": [4], "data_offsets": []}}, f32x4), "badField")
    st("offsets_negative", st_json({"a": tensor("F32", [4], -16, 0)}, f32x4), "badField")
    st("offsets_fractional", st_json({"a": tensor("F32", [4], 0, 16.5)}, f32x4), "badField")
    st("offsets_not_array", st_json({"a": {"dtype": "F32", "shape": [4], "data_offsets": "0-16"}}, f32x4), "badField")
    st("offsets_above_i64", st_json({"a": tensor("U8", [0], U64_MAX, U64_MAX)}), "badField")
    st("unknown_dtype", st_json({"a": tensor("F128", [4], 0, 16)}, f32x4), "unknownDType")
    st("dtype_lowercase", st_json({"a": tensor("f32", [4], 0, 16)}, f32x4), "unknownDType")
    st("dtype_gguf_name", st_json({"a": tensor("Q4_0", [32], 0, 18)}, bytes(18)), "unknownDType")

    # Sizes and offsets.
    st("shape_product_overflow", st_json({"a": tensor("F32", [1 << 62, 1 << 62], 0, 0)}), "sizeOverflow")
    st("shape_product_overflow_i64", st_json({"a": tensor("U8", [1 << 32, 1 << 31], 0, 0)}), "sizeOverflow")
    st("byte_size_overflow", st_json({"a": tensor("F64", [1 << 62], 0, 0)}), "sizeOverflow")
    st("size_mismatch_short", st_json({"a": tensor("F32", [2, 2], 0, 12)}, f32x4[:12]), "sizeMismatch")
    st("size_mismatch_long", st_json({"a": tensor("F32", [2, 2], 0, 20)}, f32x4 + bytes(4)), "sizeMismatch")
    st("size_mismatch_zero_element", st_json({"a": tensor("F32", [0], 0, 4)}, bytes(4)), "sizeMismatch")
    st("gap_between_tensors", st_json({
        "a": tensor("F32", [4], 0, 16), "b": tensor("U8", [4], 20, 24)}, bytes(24)), "offsetsNotContiguous")
    st("overlapping_tensors", st_json({
        "a": tensor("F32", [4], 0, 16), "b": tensor("F32", [4], 12, 28)}, bytes(28)), "offsetsNotContiguous")
    st("same_range_twice", st_json({
        "a": tensor("F32", [4], 0, 16), "b": tensor("F32", [4], 0, 16)}, bytes(16)), "offsetsNotContiguous")
    st("offsets_not_from_zero", st_json({"a": tensor("F32", [4], 4, 20)}, bytes(20)), "offsetsNotContiguous")
    st("end_before_begin", st_json({
        "a": tensor("F32", [4], 0, 16), "b": tensor("U8", [0], 16, 8)}, bytes(16)), "offsetsNotContiguous")
    st("end_before_begin_single", st_json({"a": tensor("U8", [0], 8, 0)}, bytes(8)), "offsetsNotContiguous")
    st("trailing_bytes", st_json(valid, valid_data + b"\x00" * 8), "dataSizeMismatch")
    st("trailing_bytes_no_tensors", st_raw(b"{}", b"\x00"), "dataSizeMismatch")
    st("truncated_data", st_json(valid, valid_data[:-1]), "dataSizeMismatch")
    st("truncated_data_empty", st_json(valid), "dataSizeMismatch")
    # A single huge (but internally consistent) tensor: the end offset is near Int64.max, so
    # adding it to the data offset must not overflow before the data size is compared.
    huge = (1 << 63) - 1 - 100
    st("huge_tensor_no_data", st_json({"a": tensor("U8", [huge], 0, huge)}, pad_to=1000), "dataSizeMismatch")
    st("huge_tensor_after_small", st_json({
        "a": tensor("U8", [4], 0, 4), "b": tensor("U8", [huge - 4], 4, huge)}, bytes(4), pad_to=1000),
        "dataSizeMismatch")


# ----------------------------------------------------------------------------- GGUF

# Value type codes.
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
# GGML tensor type codes used here.
F32, F16, Q4_0, Q4_1, Q8_0, Q4_K, I8 = 0, 1, 2, 3, 8, 12, 24


def u8(v): return struct.pack("<B", v)
def u32(v): return struct.pack("<I", v)
def i32(v): return struct.pack("<i", v)
def u64(v): return struct.pack("<Q", v)
def i64(v): return struct.pack("<q", v)
def f32(v): return struct.pack("<f", v)
def f64(v): return struct.pack("<d", v)


def gstr(s):
    if isinstance(s, str):
        s = s.encode()
    return u64(len(s)) + s


def kv(key, vtype, payload):
    """One metadata pair: payload is the already-encoded value."""
    return gstr(key) + u32(vtype) + payload


def kv_string(key, value): return kv(key, STRING, gstr(value))
def kv_u32(key, value): return kv(key, UINT32, u32(value))
def arr(etype, count, body): return u32(etype) + u64(count) + body


def tinfo(name, ne, ttype, offset):
    """One tensor info: ne is GGUF order (ne[0] first)."""
    return gstr(name) + u32(len(ne)) + b"".join(u64(d & U64_MAX) for d in ne) + u32(ttype) + u64(offset)


def gguf(kvs=(), infos=(), data=b"", version=3, n_kv=None, n_tensors=None, alignment=32, magic=b"GGUF",
         pad=True):
    """Header, metadata, tensor infos, padding to `alignment`, then `data` (offsets relative to it)."""
    out = magic + u32(version)
    out += u64(len(infos) if n_tensors is None else n_tensors)
    out += u64(len(kvs) if n_kv is None else n_kv)
    out += b"".join(kvs) + b"".join(infos)
    if pad and data:
        out += b"\x00" * (-len(out) % alignment)
    return out + data


def gg(name, data, outcome):
    add("gguf", name, data, outcome)


def gguf_corpus():
    arch = kv_string("general.architecture", "test")
    t0 = np.arange(4, dtype=np.float32).tobytes()  # F32 [4]: 16 bytes
    q4 = bytes(range(18))  # one Q4_0 block: 32 elements
    # t0 at 0 (16 bytes), t1 at 32 (Q4_0 [32]: 18 bytes).
    base_infos = [tinfo("t0", [4], F32, 0), tinfo("t1", [32], Q4_0, 32)]
    base_data = t0 + bytes(16) + q4
    base = gguf([arch], base_infos, base_data)

    # Valid edge cases.
    gg("valid_basic", base, "ok")
    gg("valid_v2", gguf([arch], base_infos, base_data, version=2), "ok")
    gg("valid_zero_tensors", gguf([arch]), "ok")
    gg("valid_nothing", gguf(), "ok")
    gg("valid_empty_arrays", gguf([
        kv("empty.strings", ARRAY, arr(STRING, 0, b"")),
        kv("empty.u8", ARRAY, arr(UINT8, 0, b"")),
        kv("empty.arrays", ARRAY, arr(ARRAY, 0, b"")),
    ]), "ok")
    gg("valid_zero_element_tensor", gguf([arch], [
        tinfo("t0", [4], F32, 0), tinfo("empty", [0, 4], F32, 32), tinfo("t1", [32], Q4_0, 32)], base_data), "ok")
    # Found by fuzzing: an empty tensor whose other dimensions multiply past Int64 when the
    # zero comes last in row-major order (GGUF ne order puts it first).
    gg("valid_zero_dim_with_huge_dims", gguf([arch], [
        tinfo("t0", [4], F32, 0), tinfo("huge_empty", [0, 1 << 40, 1 << 40], F32, 32), tinfo("t1", [32], Q4_0, 32)],
        base_data), "ok")
    all_types = [
        kv("v.u8", UINT8, u8(255)), kv("v.i8", INT8, struct.pack("<b", -128)),
        kv("v.u16", UINT16, struct.pack("<H", 65535)), kv("v.i16", INT16, struct.pack("<h", -32768)),
        kv_u32("v.u32", 0xFFFFFFFF), kv("v.i32", INT32, i32(-1)), kv("v.f32", FLOAT32, f32(float("nan"))),
        kv("v.bool0", BOOL, u8(0)), kv("v.bool1", BOOL, u8(1)), kv_string("v.str", "h\u00e9llo \u2603"),
        kv_string("v.empty", ""), kv("v.u64", UINT64, u64(U64_MAX)), kv("v.i64", INT64, i64(-(1 << 63))),
        kv("v.f64", FLOAT64, f64(-0.0)), kv("v.bools", ARRAY, arr(BOOL, 3, b"\x00\x01\x00")),
        kv("v.f32s", ARRAY, arr(FLOAT32, 2, f32(1.0) + f32(float("inf")))),
        kv("v.strs", ARRAY, arr(STRING, 2, gstr("a") + gstr(""))),
    ]
    gg("valid_all_value_types", gguf(all_types, base_infos, base_data), "ok")
    gg("valid_alignment_64", gguf([kv_u32("general.alignment", 64)],
                                  [tinfo("t0", [4], F32, 0), tinfo("t1", [32], Q4_0, 64)],
                                  t0 + bytes(48) + q4, alignment=64), "ok")
    gg("valid_alignment_max_no_tensors", gguf([kv_u32("general.alignment", 1 << 20)]), "ok")

    def nested(depth, leaf=arr(UINT8, 1, b"\x07")):
        """depth arrays, each holding one array, the innermost holding one UINT8."""
        body = leaf
        for _ in range(depth - 1):
            body = arr(ARRAY, 1, body)
        return body
    gg("valid_nested_arrays_8", gguf([kv("deep", ARRAY, nested(8))]), "ok")

    # Magic and version.
    gg("empty_file", b"", "truncated")
    gg("truncated_magic", b"GGU", "truncated")
    gg("bad_magic", b"GGML" + base[4:], "badMagic")
    gg("bad_magic_lowercase", b"gguf" + base[4:], "badMagic")
    gg("safetensors_not_gguf", st_json({}), "badMagic")
    gg("version_1", gguf([arch], base_infos, base_data, version=1), "unsupportedVersion")
    gg("version_0", gguf([arch], base_infos, base_data, version=0), "unsupportedVersion")
    gg("version_4", gguf([arch], base_infos, base_data, version=4), "unsupportedVersion")
    gg("version_big_endian_3", gguf([arch], base_infos, base_data, version=0x03000000), "unsupportedVersion")
    gg("version_max", gguf([arch], base_infos, base_data, version=0xFFFFFFFF), "unsupportedVersion")

    # Truncated in each section of the header.
    gg("truncated_version", b"GGUF\x03\x00", "truncated")
    gg("truncated_tensor_count", b"GGUF" + u32(3) + b"\x00" * 4, "truncated")
    gg("truncated_kv_count", b"GGUF" + u32(3) + u64(0) + b"\x01\x00", "truncated")
    three = [arch, kv_u32("some.u32", 7), kv_string("some.string", "abcdefgh")]
    kv_file = gguf(three)
    kv2 = 24 + len(arch)  # where the second pair starts
    kv3 = kv2 + len(three[1])
    gg("truncated_kv_key_length", kv_file[:kv2 + 4], "truncated")
    gg("truncated_kv_key", kv_file[:kv2 + 8 + 3], "truncated")
    gg("truncated_kv_value_type", kv_file[:kv2 + 8 + 8 + 2], "truncated")
    gg("truncated_kv_u32_value", kv_file[:kv2 + 8 + 8 + 4 + 3], "truncated")
    gg("truncated_kv_string_length", kv_file[:kv3 + 8 + 11 + 4 + 5], "truncated")
    gg("truncated_kv_string_value", kv_file[:kv3 + 8 + 11 + 4 + 8 + 7], "truncated")
    arr_file = gguf([arch, kv("list", ARRAY, arr(UINT32, 4, u32(1) + u32(2) + u32(3) + u32(4))),
                     kv("strs", ARRAY, arr(STRING, 2, gstr("abc") + gstr("defg")))])
    list_value = kv2 + 8 + 4 + 4  # after key "list" and its value type
    gg("truncated_array_header", arr_file[:list_value + 6], "truncated")
    # A fixed-size array cut short can never be "truncated": its count is bounded by what remains first.
    gg("truncated_array_elements", arr_file[:list_value + 12 + 10], "impossibleCount")
    strs_value = list_value + 12 + 16 + 8 + 4 + 4
    gg("truncated_string_array_element", arr_file[:strs_value + 12 + 11 + 8 + 2], "truncated")
    info_file = gguf([arch], base_infos, base_data)
    info2 = 24 + len(arch) + len(base_infos[0])  # where the second tensor info starts
    gg("truncated_tensor_name_length", info_file[:info2 + 5], "truncated")
    gg("truncated_tensor_name", info_file[:info2 + 8 + 1], "truncated")
    gg("truncated_tensor_n_dims", info_file[:info2 + 10 + 2], "truncated")
    gg("truncated_tensor_dims", info_file[:info2 + 10 + 4 + 4], "truncated")
    gg("truncated_tensor_type", info_file[:info2 + 10 + 4 + 8 + 1], "truncated")
    gg("truncated_tensor_offset", info_file[:info2 + 10 + 4 + 8 + 4 + 7], "truncated")
    header_end = info2 + len(base_infos[1])
    gg("truncated_before_data", info_file[:header_end], "tensorPastEnd")
    gg("truncated_in_padding", info_file[:header_end + 3], "tensorPastEnd")
    gg("truncated_in_data", info_file[:-1], "tensorPastEnd")

    # Counts and lengths that cannot fit.
    gg("tensor_count_2_63", gguf([arch], base_infos, base_data, n_tensors=1 << 63), "impossibleCount")
    gg("tensor_count_u64_max", gguf([arch], base_infos, base_data, n_tensors=U64_MAX), "impossibleCount")
    gg("kv_count_2_63", gguf([arch], base_infos, base_data, n_kv=1 << 63), "impossibleCount")
    gg("kv_count_u64_max", gguf([arch], base_infos, base_data, n_kv=U64_MAX), "impossibleCount")
    gg("tensor_count_just_too_big", gguf([arch], n_tensors=2), "impossibleCount")
    gg("key_length_u64_max", gguf([u64(U64_MAX) + b"general.architecture" + u32(STRING) + gstr("test")]),
       "truncated")
    gg("string_value_length_u64_max", gguf([kv("general.name", STRING, u64(U64_MAX) + b"abc")]), "truncated")
    gg("string_value_length_2_63", gguf([kv("general.name", STRING, u64(1 << 63) + b"abc")]), "truncated")
    gg("tensor_name_length_u64_max", gguf([arch], [u64(U64_MAX) + b"t0" + u32(1) + u64(4) + u32(F32) + u64(0)],
                                          t0), "truncated")
    gg("array_count_absurd_u8", gguf([kv("list", ARRAY, arr(UINT8, 1 << 62, b"\x00" * 8))]), "impossibleCount")
    gg("array_count_absurd_string", gguf([kv("list", ARRAY, arr(STRING, U64_MAX, gstr("a")))]), "impossibleCount")
    gg("array_count_absurd_array", gguf([kv("list", ARRAY, arr(ARRAY, 1 << 60, arr(UINT8, 0, b"")))]),
       "impossibleCount")
    gg("array_count_one_too_many", gguf([kv("list", ARRAY, arr(UINT32, 3, u32(1) + u32(2)) + b"\x00")]),
       "impossibleCount")

    # Metadata values.
    gg("unknown_value_type", gguf([kv("k", 13, u32(0))]), "unknownValueType")
    gg("unknown_value_type_max", gguf([kv("k", 0xFFFFFFFF, u32(0))]), "unknownValueType")
    gg("unknown_array_element_type", gguf([kv("k", ARRAY, arr(99, 1, u32(0)))]), "unknownValueType")
    gg("bool_byte_7", gguf([kv("flag", BOOL, u8(7))]), "invalidBool")
    gg("bool_byte_255", gguf([kv("flag", BOOL, u8(255))]), "invalidBool")
    gg("bool_array_byte_2", gguf([kv("flags", ARRAY, arr(BOOL, 3, b"\x00\x01\x02"))]), "invalidBool")
    gg("invalid_utf8_key", gguf([kv(b"general.\xffname", STRING, gstr("x"))]), "invalidUTF8")
    gg("invalid_utf8_key_surrogate", gguf([kv(b"k\xed\xa0\x80", UINT8, u8(0))]), "invalidUTF8")
    gg("invalid_utf8_key_truncated_sequence", gguf([kv(b"k\xe2\x98", UINT8, u8(0))]), "invalidUTF8")
    gg("invalid_utf8_string_value", gguf([kv("general.name", STRING, gstr(b"\xc0\xaf"))]), "invalidUTF8")
    gg("invalid_utf8_string_array", gguf([kv("names", ARRAY, arr(STRING, 2, gstr("ok") + gstr(b"\x80")))]),
       "invalidUTF8")
    gg("invalid_utf8_tensor_name", gguf([arch], [tinfo(b"t\xfe0", [4], F32, 0)], t0), "invalidUTF8")
    gg("duplicate_key", gguf([arch, kv_u32("x", 1), kv_string("general.architecture", "other")]), "duplicateKey")
    gg("duplicate_key_different_type", gguf([kv_u32("x", 1), kv("x", UINT8, u8(1))]), "duplicateKey")
    gg("duplicate_tensor", gguf([arch], [tinfo("t0", [4], F32, 0), tinfo("t0", [4], F32, 32)],
                                t0 + bytes(16) + t0), "duplicateTensor")
    gg("nested_arrays_9", gguf([kv("deep", ARRAY, nested(9))]), "nestingTooDeep")
    gg("nested_arrays_100", gguf([kv("deep", ARRAY, nested(100))]), "nestingTooDeep")

    # general.alignment.
    gg("alignment_uint64", gguf([kv("general.alignment", UINT64, u64(32))], base_infos, base_data), "badAlignment")
    gg("alignment_int32", gguf([kv("general.alignment", INT32, i32(32))], base_infos, base_data), "badAlignment")
    gg("alignment_string", gguf([kv_string("general.alignment", "32")], base_infos, base_data), "badAlignment")
    gg("alignment_0", gguf([kv_u32("general.alignment", 0)], base_infos, base_data), "badAlignment")
    gg("alignment_48", gguf([kv_u32("general.alignment", 48)], base_infos, base_data), "badAlignment")
    gg("alignment_2_21", gguf([kv_u32("general.alignment", 1 << 21)]), "badAlignment")
    gg("alignment_2_31", gguf([kv_u32("general.alignment", 1 << 31)]), "badAlignment")

    # Tensor infos.
    def one(info, data=t0):
        return gguf([arch], [info], data)
    gg("n_dims_5", one(tinfo("t", [4, 1, 1, 1, 1], F32, 0)), "tooManyDimensions")
    gg("n_dims_u32_max", one(gstr("t") + u32(0xFFFFFFFF) + u64(4) + u32(F32) + u64(0)), "tooManyDimensions")
    gg("dimension_negative", one(gstr("t") + u32(2) + u64(4) + i64(-1) + u32(F32) + u64(0)), "badDimension")
    gg("dimension_i64_min", one(gstr("t") + u32(1) + i64(-(1 << 63)) + u32(F32) + u64(0)), "badDimension")
    gg("element_count_overflow", one(tinfo("t", [1 << 32, 1 << 32], F32, 0)), "sizeOverflow")
    gg("element_count_overflow_4d", one(tinfo("t", [1 << 16, 1 << 16, 1 << 16, 1 << 16], I8, 0)),
       "sizeOverflow")
    gg("byte_size_overflow", one(tinfo("t", [1 << 62], F32, 0)), "sizeOverflow")
    gg("byte_size_overflow_quantized", one(tinfo("t", [(1 << 63) - 32], Q8_0, 0)), "sizeOverflow")
    gg("unknown_tensor_type_4", one(tinfo("t", [32], 4, 0)), "unknownTensorType")
    gg("unknown_tensor_type_31", one(tinfo("t", [32], 31, 0)), "unknownTensorType")
    gg("unknown_tensor_type_1000", one(tinfo("t", [32], 1000, 0)), "unknownTensorType")
    gg("q4_0_partial_block", one(tinfo("t", [33], Q4_0, 0), bytes(36)), "notWholeBlocks")
    gg("q4_0_ne0_16_ne1_2", one(tinfo("t", [16, 2], Q4_0, 0), bytes(18)), "notWholeBlocks")
    gg("q4_k_ne0_32", one(tinfo("t", [32], Q4_K, 0), bytes(144)), "notWholeBlocks")
    gg("q4_0_scalar", one(tinfo("t", [], Q4_0, 0), bytes(18)), "notWholeBlocks")
    gg("misaligned_offset", one(tinfo("t", [4], F32, 4), bytes(64)), "misalignedTensor")
    gg("misaligned_offset_custom_alignment", gguf([kv_u32("general.alignment", 64)], [tinfo("t", [4], F32, 32)],
                                                  bytes(128), alignment=64), "misalignedTensor")
    gg("tensor_past_eof", one(tinfo("t", [8], F32, 0)), "tensorPastEnd")
    gg("tensor_offset_past_eof", one(tinfo("t", [4], F32, 1 << 20)), "tensorPastEnd")
    gg("tensor_offset_overflow", one(tinfo("t", [4], F32, U64_MAX - 31)), "tensorPastEnd")
    gg("tensor_end_overflow", one(tinfo("t", [(1 << 61) - 8], F32, 1 << 62)), "tensorPastEnd")
    gg("second_tensor_past_eof", gguf([arch], [tinfo("t0", [4], F32, 0), tinfo("t1", [32], Q4_0, 32)],
                                      base_data[:-1]), "tensorPastEnd")
    gg("overlapping_tensors", gguf([arch], [tinfo("a", [16], F32, 0), tinfo("b", [8], F32, 32)], bytes(64)),
       "overlappingTensors")
    gg("overlapping_same_offset", gguf([arch], [tinfo("a", [4], F32, 0), tinfo("b", [4], F32, 0)], t0),
       "overlappingTensors")
    gg("overlapping_listed_backwards", gguf([arch], [tinfo("b", [8], F32, 32), tinfo("a", [16], F32, 0)],
                                            bytes(64)), "overlappingTensors")


def main():
    safetensors_corpus()
    gguf_corpus()
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for relative, data in sorted(files.items()):
        path = os.path.join(OUT, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(dict(sorted(expected.items())), f, indent=1)
        f.write("\n")
    total = sum(len(d) for d in files.values())
    print(f"{len(files)} files, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
