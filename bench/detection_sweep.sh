#!/usr/bin/env bash
# Measures detection settings in lifeline-sim (docs/detection.md): for each interval x
# multiplier, how long a black hole on 5G takes to detect (over SEEDS random phases), and
# how many false failovers 24 h of a healthy but noisy 5G causes (2 % random loss, 5 ms
# jitter, one probe target: the worst case). Usage: bench/detection_sweep.sh [lifeline-sim]
set -euo pipefail
cd "$(dirname "$0")/.."
sim=${1:-build/sim/lifeline-sim}
settings=${SETTINGS:-"10ms:3 5ms:6 5ms:8 10ms:5 20ms:8"}
seeds=${SEEDS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

config() {  # interval multiplier
  cat <<Y
node: sweep
links:
  - name: 5g
    interface: wwan0
    kind: cellular
    detect: { interval: $1, multiplier: $2 }
    sla: { rtt: 150ms, jitter: 30ms, loss: 5% }
    probes: [{ type: icmp, target: 198.19.0.10 }]
  - name: leo
    interface: sat0
    kind: satellite
    probes: [{ type: icmp, target: 198.19.0.11 }]
classes:
  - { name: c2, precedence: flash, match: { dscp: [ef] }, links: [5g, leo], when_none: blackhole }
Y
}

printf '| detect | detection time | black hole: median / max detected after (%s seeds) | noisy 24 h: false failovers | probes/s of one link |\n' "$seeds"
printf '|---|---|---|---|---|\n'
for s in $settings; do
  interval=${s%:*} mult=${s#*:}
  config "$interval" "$mult" >"$work/c.yaml"
  detections=()
  for seed in $(seq 1 "$seeds"); do
    cat >"$work/bh.yaml" <<Y
duration: 40s
seed: $seed
links: { 5g: { rtt: 25ms, jitter: 3ms, loss: 0% }, leo: { rtt: 45ms, jitter: 5ms, loss: 0% } }
events: [{ at: 20s, link: 5g, set: { loss: 100% } }]
Y
    "$sim" -c "$work/c.yaml" -s "$work/bh.yaml" --json >"$work/bh.json"
    detections+=("$(python3 -c '
import json, sys
tl = json.load(open(sys.argv[1]))["timeline"]
print(next(e["t"] for e in tl if e["kind"] == "class") - 20.0)' "$work/bh.json")")
  done
  cat >"$work/day.yaml" <<Y
duration: 24h
seed: 2024
links: { 5g: { rtt: 25ms, jitter: 5ms, loss: 2% }, leo: { rtt: 45ms, jitter: 5ms, loss: 0% } }
Y
  "$sim" -c "$work/c.yaml" -s "$work/day.yaml" --json >"$work/day.json"
  python3 - "$interval" "$mult" "$work/day.json" "${detections[@]}" <<'PY'
import json, statistics, sys
interval, mult, day = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3]))
det = sorted(float(x) * 1000 for x in sys.argv[4:])
ms = float(interval[:-2]) if interval.endswith("ms") else float(interval[:-1]) * 1000
false = day["summary"]["classes"]["c2"]["switches"] // 2
print(f"| {interval} x {mult} | {ms * mult:g} ms | {statistics.median(det):.1f} / {max(det):.1f} ms "
      f"| {false} | {1000 / ms:g} |")
PY
done
