#!/usr/bin/env bash
# Fuzz one parser with libFuzzer + AddressSanitizer.
#   scripts/fuzz.sh safetensors|gguf|json [SECONDS=60] [extra libFuzzer flags...]
# Seeds come from the committed fixtures (valid and malformed files); the growing corpus
# and any crash artifacts go to .fuzz/TARGET (git-ignored). Reproduce a finding with a
# normal build: swift run revmux-fuzz TARGET .fuzz/TARGET/artifacts/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh safetensors|gguf|json [seconds] [libFuzzer flags]}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))

case "$target" in
    safetensors) seeds=(Tests/Fixtures/formats/safetensors Tests/Fixtures/malformed/safetensors) ;;
    gguf) seeds=(Tests/Fixtures/formats/gguf Tests/Fixtures/malformed/gguf) ;;
    json) seeds=(Tests/Fixtures/formats/safetensors/sharded) ;;
    *) echo "unknown target $target" >&2; exit 64 ;;
esac

# A separate scratch path: sanitizer builds must not clobber the normal .build.
swift build -c release --scratch-path .build-fuzz --product revmux-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
binary="$(swift build -c release --scratch-path .build-fuzz --show-bin-path)/revmux-fuzz"

work=.fuzz/$target
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"
for dir in "${seeds[@]}"; do
    [ -d "$dir" ] && find "$dir" -maxdepth 1 -type f ! -name '*.json' -exec cp {} "$work/seeds/" \; || true
    [ "$target" = json ] && find "$dir" -maxdepth 1 -name '*.json' -exec cp {} "$work/seeds/" \; || true
done

# SWIFT_BACKTRACE off: Swift's crash handler trips ASan and then hangs.
# A small quarantine keeps ASan's memory flat over millions of runs.
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=quarantine_size_mb=16:detect_leaks=0 \
    "$binary" "$target" "$work/corpus" "$work/seeds" \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$@"
