#!/usr/bin/env bash
# README quick-start command (1): builds lifeline-sim and replays a 5G outage on the example
# base gateway, printing the timeline of link and class changes.
# Usage: scripts/demo.sh [scenario.yaml] [extra lifeline-sim options, e.g. --json]
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-lab/scenarios/5g-outage.yaml}
shift || true

scripts/setup.sh build >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target lifeline-sim >&2
echo >&2
exec build/sim/lifeline-sim --config config/examples/base-gateway.yaml --scenario "$scenario" "$@"
