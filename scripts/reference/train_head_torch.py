#!/usr/bin/env python3
"""Reference for `revmux train head`: the same teacher head trained with PyTorch on CPU.

The frozen encoder and pooler of a BERT model (transformers' BertModel) give tanh(pooler(CLS))
for every training and dev query once; a linear classifier is then fitted on those cached
states with torch.optim.AdamW (weight decay on the weight only), mini-batches of --batch, and
the best dev epoch kept -- the same procedure as revmux. The data set is read and split
80/10/10 exactly as revmux does (a SplitMix64 Fisher-Yates shuffle by --seed), the classifier
starts from the same SplitMix64 uniform weights, and every epoch uses revmux's shuffle, so the
two runs differ only in floating-point arithmetic. --check-test compares the test split with
the TSV that `revmux train head --write-test` wrote.

    python3 scripts/reference/train_head_torch.py MODEL_DIR --data rt.csv --label-column category \
        --labels negative,positive --label-map fresh=positive,rotten=negative \
        --epochs 30 --lr 0.01 --threads 2 --check-test test.tsv
"""
import argparse, csv, json, math, sys, time

import torch
from transformers import AutoModel, AutoTokenizer

MASK = (1 << 64) - 1


class SplitMix64:
    """revmux's SeededUniform (Sources/RevmuxTrain/TrainableAdapters.swift)."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self, bound):
        # Float(next() >> 40) / 2^24 * 2 * bound - bound, in float32 as Swift does
        u = torch.tensor(float(self.next() >> 40), dtype=torch.float32) / (1 << 24)
        return float(u * 2 * bound - bound)

    def shuffled(self, n):
        order = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.next() % (i + 1)
            order[i], order[j] = order[j], order[i]
        return order


def read_examples(args):
    labels = args.labels.split(",")
    index = {name: i for i, name in enumerate(labels)}
    mapping = dict(kv.split("=", 1) for kv in args.label_map.split(",")) if args.label_map else {}
    examples, dropped = [], 0

    def add(text, pair, raw):
        nonlocal dropped
        y = index.get(mapping.get(raw, raw))
        if y is None:
            dropped += 1
        else:
            examples.append((text, pair, y))

    if args.data.endswith((".jsonl", ".json")):
        for line in open(args.data, encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                add(row[args.text_column], row.get(args.pair_column) if args.pair_column else None,
                    str(row.get(args.label_column)))
    else:
        with open(args.data, encoding="utf-8", newline="") as f:
            rows = csv.reader(f, delimiter="\t" if args.data.endswith(".tsv") else ",")
            header = next(rows)
            t, l = header.index(args.text_column), header.index(args.label_column)
            p = header.index(args.pair_column) if args.pair_column else None
            for row in rows:
                if row == [] or row == [""]:
                    continue
                add(row[t], row[p] if p is not None else None, row[l])
    return labels, examples, dropped


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="a Hugging Face BERT directory (config.json, model.safetensors, tokenizer)")
    ap.add_argument("--data", required=True)
    ap.add_argument("--text-column", default="text")
    ap.add_argument("--pair-column")
    ap.add_argument("--label-column", default="label")
    ap.add_argument("--labels", required=True)
    ap.add_argument("--label-map", default="")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--epochs", type=int, required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--check-test", help="revmux's --write-test TSV: fail unless the test split matches it")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    log = lambda *a: print(*a, file=sys.stderr, flush=True)

    labels, examples, dropped = read_examples(args)
    order = SplitMix64(args.seed).shuffled(len(examples))
    n = len(examples)
    train_end, dev_end = n * 8 // 10, n * 9 // 10
    train = [examples[i] for i in order[:train_end]]
    dev = [examples[i] for i in order[train_end:dev_end]]
    test = [examples[i] for i in order[dev_end:]]
    log(f"torch: {n} examples ({dropped} dropped for other labels): train {len(train)}, dev {len(dev)}, test {len(test)}")
    if args.check_test:
        squash = lambda s: " ".join(s.split())  # revmux's TSV turns tabs and newlines into spaces
        with open(args.check_test, encoding="utf-8") as f:
            expected = [(squash(line.split("\t")[0]), line.rstrip("\n").split("\t")[-1]) for line in f if line.strip()]
        got = [(squash(t), labels[y]) for t, _, y in test]
        if got != expected:
            sys.exit(f"torch: the test split differs from {args.check_test}")
        log(f"torch: test split matches {args.check_test} ({len(got)} texts and labels in the same order)")

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModel.from_pretrained(args.model).eval()  # BertModel with its pooler; frozen
    for p in model.parameters():
        p.requires_grad_(False)

    def pooled(rows, what):
        out, start = [], time.perf_counter()
        with torch.inference_mode():
            for at in range(0, len(rows), args.batch):
                part = rows[at:at + args.batch]
                texts = [t for t, _, _ in part]
                pairs = [p for _, p, _ in part] if args.pair_column else None
                enc = tokenizer(texts, pairs, padding=True, truncation=True, max_length=args.max_length,
                                return_tensors="pt")
                out.append(model(**enc).pooler_output)  # tanh(pooler.dense([CLS]))
        seconds = time.perf_counter() - start
        log(f"torch: frozen encoder pass over {what}: {len(rows)} queries in {seconds:.1f} s, "
            f"{len(rows) / seconds:.1f} queries/s")
        return torch.cat(out), seconds

    cached, cache_seconds = pooled(train + dev, "train + dev")
    x_train, x_dev = cached[:len(train)], cached[len(train):]
    y_train = torch.tensor([y for _, _, y in train])
    y_dev = torch.tensor([y for _, _, y in dev])

    hidden, k = cached.shape[1], len(labels)
    init = SplitMix64(args.seed)
    bound = 1 / math.sqrt(hidden)
    classifier = torch.nn.Linear(hidden, k)
    with torch.no_grad():
        classifier.weight.copy_(torch.tensor([[init.uniform(bound) for _ in range(hidden)] for _ in range(k)]))
        classifier.bias.copy_(torch.tensor([init.uniform(bound) for _ in range(k)]))
    optimizer = torch.optim.AdamW([{"params": [classifier.weight], "weight_decay": 0.01},
                                   {"params": [classifier.bias], "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    shuffle = SplitMix64(args.seed)
    best, best_state, head_seconds = -1.0, None, 0.0
    for epoch in range(args.epochs):
        perm = shuffle.shuffled(len(train))
        start = time.perf_counter()
        loss_sum = 0.0
        for at in range(0, len(perm), args.batch):
            rows = torch.tensor(perm[at:at + args.batch])
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(classifier(x_train[rows]), y_train[rows])
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(rows)
        with torch.no_grad():
            dev_acc = (classifier(x_dev).argmax(1) == y_dev).float().mean().item()
        head_seconds += time.perf_counter() - start
        mark = ""
        if dev_acc > best:
            best, best_state, mark = dev_acc, {k_: v.clone() for k_, v in classifier.state_dict().items()}, " *"
        log(f"torch: epoch {epoch + 1}/{args.epochs}: loss {loss_sum / len(train):.4f}, dev {100 * dev_acc:.2f}%{mark}")
    classifier.load_state_dict(best_state)

    x_test, _ = pooled(test, "test")
    y_test = torch.tensor([y for _, _, y in test])
    with torch.no_grad():
        test_acc = (classifier(x_test).argmax(1) == y_test).float().mean().item()
    total = cache_seconds + head_seconds
    log(f"torch: best dev {100 * best:.2f}%, test {100 * test_acc:.2f}% ({len(test)} queries)")
    log(f"torch: training {total:.1f} s at {args.threads} threads: frozen pass {cache_seconds:.1f} s "
        f"({len(train) + len(dev)} queries, {(len(train) + len(dev)) / cache_seconds:.1f} queries/s), "
        f"{args.epochs} head epochs {head_seconds:.1f} s")


if __name__ == "__main__":
    main()
