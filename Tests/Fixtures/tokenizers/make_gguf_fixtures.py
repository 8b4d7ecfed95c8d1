#!/usr/bin/env python3
"""llama.cpp's own ids for every GGUF vocabulary of the llama-cpp-python asset, on
adversarial text: Tests/Fixtures/tokenizers/gguf/llama_cpp.json. Needs the gguf package
(pip install gguf) to list the vocabularies' special tokens.

The reference is llama.cpp itself: the sources vendored in the llama-cpp-python 0.3.36
sdist (the one samples/fetch_assets.py takes the vocabularies from, checked against the
same sha256) are compiled with a small driver that loads a vocabulary as
`llama_model_load_from_file(vocab_only)` would (`llama_vocab::load`) and calls
`llama_vocab::tokenize` and `detokenize`. Needs g++ and gcc; takes a minute or two.

For each vocabulary the fixture holds the zlib CRC-32 of each input's ids (written as
decimal numbers separated by single spaces), in three modes:
  plain    add_special = false, parse_special = false (test-tokenizer-0's mode)
  special  add_special = true,  parse_special = true  (llama-cli's mode)
  decoded  detokenize(plain ids, special = false): the bytes of the text
and the full ids of the first few inputs, so that a mismatch names its input.

Usage: make_gguf_fixtures.py
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "samples"))
import fetch_assets  # noqa: E402

OUTPUT = os.path.join(HERE, "gguf", "llama_cpp.json")
SAMPLES = 3

DRIVER = r"""
#include "llama-vocab.h"
#include "llama-model-loader.h"
#include "llama-arch.h"
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

// argv: vocabulary, mode (plain | special | decode). Standard input: records, each a
// decimal byte count, a newline, and that many bytes. Output: one line per record.
int main(int argc, char ** argv) {
    std::vector<std::string> splits;
    llama_model_loader loader(nullptr, nullptr, nullptr, argv[1], splits, nullptr, LLAMA_LOAD_MODE_NONE,
                              false, true, false, nullptr, nullptr);
    llama_vocab vocab;
    vocab.load(loader, LLM_KV(loader.get_arch()));
    const std::string mode = argv[2];
    std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    size_t position = 0;
    while (position < input.size()) {
        size_t newline = input.find('\n', position);
        size_t length = std::stoul(input.substr(position, newline - position));
        std::string record = input.substr(newline + 1, length);
        position = newline + 1 + length;
        if (mode == "decode") {
            std::vector<llama_token> ids;
            size_t at = 0;
            while (at < record.size()) {
                size_t space = record.find(' ', at);
                if (space == std::string::npos) space = record.size();
                if (space > at) ids.push_back(std::stoi(record.substr(at, space - at)));
                at = space + 1;
            }
            std::string text = vocab.detokenize(ids, false);
            for (unsigned char byte : text) printf("%02x", byte);
        } else {
            const bool special = mode == "special";
            std::vector<llama_token> ids = vocab.tokenize(record, special, special);
            for (size_t i = 0; i < ids.size(); i++) printf(i ? " %d" : "%d", ids[i]);
        }
        printf("\n");
    }
    return 0;
}
"""

STUBS = r"""
#include <cstddef>
// Split-file naming, which a single-file vocabulary never asks for.
extern "C" int llama_split_path(char *, size_t, const char *, int, int) { return 0; }
extern "C" int llama_split_prefix(char *, size_t, const char *, int, int) { return 0; }
"""

LLAMA_SOURCES = ["llama-vocab.cpp", "unicode.cpp", "unicode-data.cpp", "llama-arch.cpp", "llama-model-loader.cpp",
                 "llama-mmap.cpp", "llama-impl.cpp", "llama-hparams.cpp"]
GGML_C_SOURCES = ["ggml.c", "ggml-alloc.c", "ggml-quants.c"]
GGML_CPP_SOURCES = ["ggml.cpp", "gguf.cpp", "ggml-backend.cpp", "ggml-threading.cpp", "ggml-backend-meta.cpp",
                    "ggml-backend-reg.cpp", "ggml-backend-dl.cpp"]


def build_driver(scratch):
    """Downloads the sdist, checks it, and compiles the driver against its llama.cpp."""
    version, expected, _, _ = fetch_assets.ASSETS["llama-cpp-python"]
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", "llama-cpp-python",
                    "--dest", scratch, f"llama-cpp-python=={version}"], check=True)
    (archive,) = [os.path.join(scratch, f) for f in os.listdir(scratch) if f.endswith(".tar.gz")]
    if fetch_assets.sha256(archive) != expected:
        raise SystemExit(f"{archive}: sha256 differs from samples/fetch_assets.py's; refusing to build")
    prefix = f"llama_cpp_python-{version}/vendor/llama.cpp/"
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(prefix) and
                   m.name[len(prefix):].split("/")[0] in ("src", "include", "ggml")]
        tar.extractall(scratch, members=members, filter="data")
    llama = os.path.join(scratch, prefix)
    build = os.path.join(scratch, "build")
    os.makedirs(build)
    with open(os.path.join(llama, "ggml/src/ggml-version.h.in")) as f:
        header = f.read().replace("@GGML_VERSION@", "0.0.0").replace("@GGML_BUILD_COMMIT@", "unknown")
    with open(os.path.join(build, "ggml-version.h"), "w") as f:
        f.write(header)
    with open(os.path.join(build, "driver.cpp"), "w") as f:
        f.write(DRIVER)
    with open(os.path.join(build, "stubs.cpp"), "w") as f:
        f.write(STUBS)
    include = ["-I" + build] + ["-I" + os.path.join(llama, p) for p in ("include", "src", "ggml/include", "ggml/src")]
    units = [(os.path.join(llama, "src", s), "c++") for s in LLAMA_SOURCES]
    units += [(os.path.join(llama, "ggml/src", s), "c") for s in GGML_C_SOURCES]
    units += [(os.path.join(llama, "ggml/src", s), "c++") for s in GGML_CPP_SOURCES]
    units += [(os.path.join(build, "driver.cpp"), "c++"), (os.path.join(build, "stubs.cpp"), "c++")]
    objects = []
    for source, language in units:
        obj = os.path.join(build, os.path.basename(source) + ".o")
        compiler = ["g++", "-std=c++17"] if language == "c++" else ["gcc", "-std=c11", "-D_GNU_SOURCE"]
        subprocess.run(compiler + ["-O1", "-w", *include, "-c", source, "-o", obj], check=True)
        objects.append(obj)
    driver = os.path.join(build, "driver")
    subprocess.run(["g++", "-o", driver, *objects, "-lpthread", "-ldl"], check=True)
    return driver


def run(driver, vocabulary, mode, records):
    payload = b"".join(str(len(r)).encode() + b"\n" + r for r in records)
    result = subprocess.run([driver, vocabulary, mode], input=payload, capture_output=True, check=True)
    lines = result.stdout.decode().split("\n")[:-1]
    assert len(lines) == len(records), (vocabulary, mode, len(lines), len(records))
    return lines


def adversarial_inputs(count, seed):
    """Short strings drawn from pools that stress the pre-tokenizers: every kind of
    whitespace, contractions, digits of many scripts, ASCII and wide punctuation, accents
    and combining marks, CJK, emoji sequences, controls and private use, and scalars newer
    than llama.cpp's Unicode 15.1 tables (U+0897 among CJK: inside DeepSeek's ranges)."""
    pools = [
        " \t\r\n\u00a0\u3000\u2009\u200b\u2028\u0085\x0b\x0c",
        "abcXYZ'sSTdmMrRvVeElL",
        "0123456789\u0663\u0664\u06f5\u0967\u0968\u0969\uff14\uff15",
        "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\u00a1\u00bf\u00ab\u00bb\u2013\u2014\u2026\u3002\uff0c\u3001\uff01\uff1f",
        "\u00e9\u00e8\u00f1\u00fc\u00df\u00f8\u00e5\u00e7\u00c9\u00d1\u00dc\u00c5\u0130\u0131",
        "\u0301\u0308\u0327\u0300",
        "\u03b1\u03b2\u03b3\u03a9\u03a3\u0430\u0431\u0432\u0433\u0434\u0416\u042f\u05d0\u05d1\u05d2\u0627\u0628\u062a",
        "\u4e2d\u6587\u5b57\u7b26\u65e5\u672c\u8a9e\u30ab\u30bf\u30ab\u30ca\u3072\u3089\u304c\u306a\ud55c\uad6d\uc5b4\u0897",
        "\U0001f999\U0001f680\U0001f600\U0001f44d\U0001f3fd\U0001f468\u200d\U0001f469\u200d\U0001f467\u2705\u2764\ufe0f",
        "\u2126\u2128\U0001d400\U0001d401\ufb01\ufb00\u2460\u2461\u216b\u212a",
        "\x00\x01\x1f\x7f\u00ad\ufeff\ue000\ufffd",
        "\U0001e030\U00010d40\u1c89\u0897",
    ]
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        lines.append("".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(1, 40))))
    return lines


def special_inputs(count, seed, vocabularies):
    """Text around the control, unknown and user-defined tokens of all the vocabularies."""
    import gguf

    specials = set()
    for path in vocabularies:
        reader = gguf.GGUFReader(path)
        tokens = reader.fields["tokenizer.ggml.tokens"]
        types = reader.fields["tokenizer.ggml.token_type"]
        for index, part in enumerate(tokens.data):
            if int(types.parts[types.data[index]][0]) in (2, 3, 4):
                specials.add(bytes(tokens.parts[part]).decode())
    specials = sorted(specials)
    glue = [" ", "  ", "\t", "\n", " x ", "a", "</s>", "<s>", "<unk>", "<mask>", "[MASK]", "<|endoftext|>",
            "<|im_start|>", "<|im_end|>", " </s> ", "\u2581", "Hello", " world"]
    rng = random.Random(seed)
    plain = adversarial_inputs(count, seed + 1)
    lines = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 6)):
            choice = rng.random()
            if choice < 0.4:
                parts.append(rng.choice(specials))
            elif choice < 0.7:
                parts.append(rng.choice(plain)[:rng.randint(0, 15)])
            else:
                parts.append(rng.choice(glue))
        lines.append("".join(parts))
    return lines


def crc(line):
    return "%08x" % zlib.crc32(line.encode())


def main():
    folder = fetch_assets.fetch("llama-cpp-python")
    vocabularies = sorted(f for f in os.listdir(folder) if f.startswith("ggml-vocab-") and f.endswith(".gguf"))
    paths = [os.path.join(folder, f) for f in vocabularies]
    plain_texts = adversarial_inputs(600, 7)
    special_texts = special_inputs(300, 3, paths)
    plain = [t.encode() for t in plain_texts]
    special = [t.encode() for t in special_texts]

    with tempfile.TemporaryDirectory() as scratch:
        driver = build_driver(scratch)
        results = {}
        for name, path in zip(vocabularies, paths):
            key = name[len("ggml-vocab-"):-len(".gguf")]
            plain_ids = run(driver, path, "plain", plain)
            special_ids = run(driver, path, "special", special)
            decoded = run(driver, path, "decode", [line.encode() for line in plain_ids])
            results[key] = {
                "plain_crc32": " ".join(crc(line) for line in plain_ids),
                "special_crc32": " ".join(crc(line) for line in special_ids),
                "decoded_crc32": " ".join("%08x" % zlib.crc32(bytes.fromhex(text)) for text in decoded),
                "plain_sample": plain_ids[:SAMPLES],
                "special_sample": special_ids[:SAMPLES],
            }
            print(f"{key}: done", file=sys.stderr)

    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w") as f:
        json.dump({
            "reference": "llama.cpp as vendored in llama-cpp-python 0.3.36: llama_vocab::tokenize / detokenize",
            "plain_inputs": plain_texts,
            "special_inputs": special_texts,
            "vocabularies": results,
        }, f, ensure_ascii=False, indent=0, sort_keys=True)
        f.write("\n")
    print(OUTPUT)


if __name__ == "__main__":
    main()
