#!/usr/bin/env bash
# Runs a libFuzzer binary for a bounded time, starting from the seed corpus plus the
# shipped example configs. New inputs go to a scratch corpus, not into the repository.
set -euo pipefail
fuzzer=$1 corpus=$2 source=$3 seconds=${4:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work"/
cp "$source"/config/examples/*.yaml "$work"/
exec "$fuzzer" "$work" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -dict="$source/tests/fuzz/yaml.dict"
