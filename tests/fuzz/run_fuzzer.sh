#!/usr/bin/env bash
# Runs a libFuzzer binary for a bounded time, starting from its seed corpora. New inputs go
# to a scratch corpus, not into the repository.
#   run_fuzzer.sh FUZZER SECONDS MAX_LEN DICT|- SEED_DIR...
set -euo pipefail
fuzzer=$1 seconds=$2 max_len=$3 dict=$4
shift 4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for seeds in "$@"; do cp -r "$seeds"/. "$work"/; done
args=()
if [ "$dict" != - ]; then args+=(-dict="$dict"); fi
"$fuzzer" "$work" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "${args[@]}"
