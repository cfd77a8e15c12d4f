#!/usr/bin/env bash
# What the operations side costs an operator and a scraper, on the real lifelined in the lab:
# the round trip of `lifelinectl status` / `lifelinectl --json classes` (process start, the
# ZeroMQ request, the daemon's answer from its loop, the output) and of a Prometheus scrape
# of /metrics, each N times in a row; prints min / median / p95 / max.
# Usage (root): bench/operations.sh [BUILD_DIR]     N=200
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-200}
source tests/integration/lifelined_lib.sh "${1:-build}" .
lifelinectl=$build/cli/lifelinectl
lab_up
config=$(lab_config -e '')  # the lab config as it is
port=$(in_ns gw python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'metrics:\n  listen: 127.0.0.1:%s\n' "$port" >>"$config"
start_lifelined "$config"
sleep 1

stats() {  # stats NAME < milliseconds, one per line
  sort -n | awk -v name="$1" '{ v[NR] = $1 } END {
    printf "| %s | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %d |\n", name, v[1], v[int((NR + 1) / 2)],
      v[int(NR * 0.95 + 0.5)], v[NR], NR }'
}
time_ms() {  # time_ms COMMAND...: runs it, prints its wall time in ms
  local t0=$EPOCHREALTIME
  "$@" >/dev/null
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}
echo "| what | min | median | p95 | max | n |"
echo "|---|---|---|---|---|---|"
for ((i = 0; i < n; i++)); do time_ms "$lifelinectl" --socket "$work/control.sock" status; done | stats "lifelinectl status (tables)"
for ((i = 0; i < n; i++)); do time_ms "$lifelinectl" --socket "$work/control.sock" --json classes; done | stats "lifelinectl --json classes"
in_ns gw python3 - "$port" "$n" <<'PY' | stats "GET /metrics (python client in the gateway)"
import sys, time, urllib.request
url = "http://127.0.0.1:%s/metrics" % sys.argv[1]
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    body = urllib.request.urlopen(url, timeout=5).read()
    print("%.3f" % ((time.perf_counter() - t) * 1000))
PY
bytes=$(in_ns gw python3 -c 'import sys, urllib.request; print(len(urllib.request.urlopen(sys.argv[1]).read()))' "http://127.0.0.1:$port/metrics")
echo
echo "a scrape is $bytes bytes ($(in_ns gw python3 -c 'import sys, urllib.request; print(sum(1 for l in urllib.request.urlopen(sys.argv[1]).read().decode().splitlines() if l and not l.startswith("#")))' "http://127.0.0.1:$port/metrics") samples) for 4 links and 4 classes"
finish
