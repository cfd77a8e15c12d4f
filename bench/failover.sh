#!/usr/bin/env bash
# The failover benchmark: the real lifelined in the lab (lab/lab.sh), a 1 kHz UDP stream from
# the LAN through the gateway to HQ, and the 5G link black-holed REPEATS times at random
# phases. For each detection setting it reports the outage (the longest gap with loss in the
# received stream around each black hole: detection + policy + route switch + the first
# packet on the backup) as min / median / p95 / max; then lifelined's CPU and RSS in steady
# state with 1 and with 16 monitored links probed at 100 probes/s each.
#
# Method notes (the peers' scripts in ../shared/peers/ use the same ones, so the numbers sit
# side by side): T0 is taken just before the nftables drop rule is written to a long-lived
# `nft -i` (lab.sh impair); a random 1.5-2.5 s wait before each T0 spreads it over the probe
# schedule; the backup (LEO) gets no extra delay here, so the outage is not inflated by a
# longer path; CPU is /proc/PID/stat and schedstat over a window in steady state.
#
# Usage (root): bench/failover.sh [BUILD_DIR]
#   SETTINGS="10ms:3 5ms:6 50ms:3"  REPEATS=30  CPU_WINDOW=10  RESULTS_DIR=dir
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
src=$(pwd)
build=$(cd "${1:-build}" && pwd)
settings=${SETTINGS:-"10ms:3 5ms:6 50ms:3"}
repeats=${REPEATS:-30}
cpu_window=${CPU_WINDOW:-10}
results=${RESULTS_DIR:-$(mktemp -d)/failover-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$results"
[[ $(id -u) -eq 0 ]] || { echo "failover: run as root (network namespaces)" >&2; exit 1; }
lab=$src/lab/lab.sh
stream=$build/lab/tools/lifeline-lab-stream
lifelined=$build/controller/lifelined
prefix=lfb-$$
export LAB_PREFIX=$prefix
daemon=
sink=
sender=
cleanup() {
  set +e
  for p in $daemon $sink $sender; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  "$lab" down --prefix "$prefix" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
in_gw() { ip netns exec "$prefix-gw" "$@"; }

{
  echo "date_utc: $(date -u +%FT%TZ)"
  echo "kernel: $(uname -r)"
  echo "cpus: $(nproc)"
  echo "commit: $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$results/env.txt"

echo "failover: building the lab (LEO without delay: equal paths)" >&2
"$lab" up --prefix "$prefix" --tools "$build/lab/tools" --reflector "$build/reflector/lifeline-reflector" \
  --delay leo=0ms >/dev/null

config() {  # config INTERVAL MULTIPLIER EXTRA_LINKS
  local interval=$1 mult=$2 extra=$3 i
  cat <<YAML
node: bench-gw
links:
  - name: 5g
    interface: wwan0
    gateway: 198.18.1.2
    kind: cellular
    detect: { interval: $interval, multiplier: $mult, rise: 20, min_stable: 500ms }
    probes: [{ type: udp-echo, target: 198.19.0.10:7070, key_file: /run/lifeline-lab/keys/5g.key }]
  - name: leo
    interface: sat0
    gateway: 198.18.2.2
    kind: satellite
    detect: { interval: $interval, multiplier: $mult, rise: 20, min_stable: 500ms }
    probes: [{ type: udp-echo, target: 198.19.0.11:7070, key_file: /run/lifeline-lab/keys/leo.key }]
YAML
  for ((i = 1; i <= extra; i++)); do
    cat <<YAML
  - name: x$i
    interface: bx$i
    gateway: 198.18.$((100 + i)).2
    kind: wired
    detect: { interval: $interval, multiplier: $mult }
    probes: [{ type: udp-echo, target: 198.19.0.10:7070, key_file: /run/lifeline-lab/keys/5g.key }]
YAML
  done
  # Back to 5G as soon as it is fit again, and no flap dampening: the benchmark black-holes
  # 5G every few seconds on purpose. Operations endpoints in the results directory.
  cat <<YAML
control: { socket: $results/control.sock, group: root }
events: { socket: $results/events.sock }
journal: { path: $results/journal.db }
metrics: { listen: 127.0.0.1:0 }
classes:
  - { name: c2, precedence: flash, match: { sources: [198.18.10.0/26] }, links: [5g, leo],
      when_none: blackhole, failback: 0s }
dampening: { penalty: 1, suppress: 1000000, reuse: 500000 }
YAML
}

start_daemon() {  # start_daemon CONFIG LOG
  ip netns exec "$prefix-gw" "$lifelined" --config "$1" >"$2" 2>&1 &
  daemon=$!
  local i
  for ((i = 0; i < 200; i++)); do grep -q "links measured" "$2" && return 0; sleep 0.05; done
  echo "failover: lifelined did not settle" >&2
  tail "$2" >&2
  exit 1
}
stop_daemon() { kill -TERM "$daemon"; wait "$daemon" || true; daemon=; }
on_link() { in_gw ip route show table 21000 proto 76 default | grep -q "dev $1"; }
wait_on() {  # wait_on LINK SECONDS
  local i
  for ((i = 0; i < $2 * 100; i++)); do on_link "$1" && return 0; sleep 0.01; done
  return 1
}

# ---------------------------------------------------------------- outages per setting
printf '| detect | detection time | outage min | median | p95 | max | repeats |\n|---|---|---|---|---|---|---|\n' >"$results/outage.md"
for s in $settings; do
  interval=${s%:*} mult=${s#*:}
  tag=${interval}x$mult
  config "$interval" "$mult" 0 >"$results/config-$tag.yaml"
  start_daemon "$results/config-$tag.yaml" "$results/lifelined-$tag.log"
  ip netns exec "$prefix-hq" "$stream" sink --listen 198.19.0.100:10001 --report "$results/sink-$tag.json" \
    --max-gaps 1000 --ready "$results/sink-$tag.ready" 2>/dev/null &
  sink=$!
  for _ in $(seq 100); do [[ -e $results/sink-$tag.ready ]] && break; sleep 0.05; done
  ip netns exec "$prefix-client" "$stream" send --to 198.19.0.100:10001 --from 198.18.10.10 --rate 1000 \
    --duration 3600s --class c2 >/dev/null 2>&1 &
  sender=$!
  : >"$results/t0-$tag.txt"
  echo "failover: $tag: $repeats black holes" >&2
  for ((r = 1; r <= repeats; r++)); do
    sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", 1.5 + rand() }')"
    t0=$("$lab" impair 5g blackhole --prefix "$prefix" | grep -o 't0=[0-9.]*' | cut -d= -f2)
    echo "$t0" >>"$results/t0-$tag.txt"
    wait_on sat0 5 || echo "failover: $tag repeat $r: no failover within 5 s" >&2
    sleep 0.3
    "$lab" impair 5g restore --prefix "$prefix" >/dev/null
    wait_on wwan0 10 || echo "failover: $tag repeat $r: no failback within 10 s" >&2
  done
  kill "$sender"; wait "$sender" 2>/dev/null || true; sender=
  sleep 0.2
  kill -TERM "$sink"; wait "$sink" || true; sink=
  stop_daemon
  # Each black hole's outage: the gap with loss that starts closest after its T0.
  python3 - "$tag" "$interval" "$mult" "$results/t0-$tag.txt" "$results/sink-$tag.json" >>"$results/outage.md" <<'PY'
import json, statistics, sys
tag, interval, mult, t0s, sink = sys.argv[1:6]
t0s = [float(x) for x in open(t0s) if x.strip()]
stream = json.load(open(sink))["streams"][0]
gaps = [g for g in stream["gaps"] if g["cause"] == "loss"]
def start(g):  # the arrival of the last packet before the gap (epoch seconds)
    return float(g["last_before"]["arrived"])
outages = []
for t0 in t0s:
    near = [g for g in gaps if -0.05 <= start(g) - t0 <= 1.0]
    if near:
        outages.append(max(g["arrival_gap_ms"] for g in near))
outages.sort()
def pct(q):
    return outages[min(len(outages) - 1, int(q * len(outages)))]
ms = float(interval[:-2]) if interval.endswith("ms") else float(interval[:-1]) * 1000
with open(sink.replace("sink-", "outages-").replace(".json", ".txt"), "w") as f:
    f.write("\n".join(f"{o:.3f}" for o in outages) + "\n")
print(f"| {interval} x {mult} | {ms * int(mult):g} ms | {outages[0]:.1f} ms | {statistics.median(outages):.1f} ms "
      f"| {pct(0.95):.1f} ms | {outages[-1]:.1f} ms | {len(outages)}/{len(t0s)} |")
PY
done

# ---------------------------------------------------------------- CPU and RSS
# 14 extra point-to-point links from gw (veth to the 5G carrier), probed like the others.
for ((i = 1; i <= 14; i++)); do
  ip -n "$prefix-gw" link add "bx$i" type veth peer name "bx$i" netns "$prefix-c-5g"
  ip -n "$prefix-gw" addr add "198.18.$((100 + i)).1/24" dev "bx$i"
  ip -n "$prefix-gw" link set "bx$i" up
  ip -n "$prefix-c-5g" addr add "198.18.$((100 + i)).2/24" dev "bx$i"
  ip -n "$prefix-c-5g" link set "bx$i" up
  ip -n "$prefix-hq" route add "198.18.$((100 + i)).0/24" via 198.18.21.1 2>/dev/null || true
done
cpu_pct() {  # cpu_pct PID SECONDS -> "stat% schedstat% rss_kib"
  local pid=$1 secs=$2 t0 t1 a b na nb f n
  read_ns() { n=0; for f in /proc/"$1"/task/*/schedstat; do read -r a _ <"$f"; n=$((n + a)); done; echo "$n"; }
  ticks() { local st; st=$(</proc/"$1"/stat); st=${st##*) }; set -- $st; echo $((${12} + ${13})); }
  t0=$EPOCHREALTIME; a=$(ticks "$pid"); na=$(read_ns "$pid")
  sleep "$secs"
  t1=$EPOCHREALTIME; b=$(ticks "$pid"); nb=$(read_ns "$pid")
  awk -v d=$((b - a)) -v ns=$((nb - na)) -v hz="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$t1" \
    -v rss="$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status)" \
    'BEGIN { w = t1 - t0; printf "%.2f %.3f %d\n", 100 * d / hz / w, 100 * ns / 1e9 / w, rss }'
}
printf '| monitored links | probes/s in all | CPU (stat) | CPU (schedstat) | CPU per link | RSS |\n|---|---|---|---|---|---|\n' >"$results/cpu.md"
for links in 1 16; do
  extra=$((links > 2 ? links - 2 : 0))
  config 10ms 3 "$extra" >"$results/config-cpu-$links.yaml"
  if [[ $links == 1 ]]; then  # one link: drop LEO from the config
    python3 - "$results/config-cpu-$links.yaml" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
out, skip = [], False
for l in lines:
    if l.startswith("  - name: leo"):
        skip = True
        continue
    if skip and (l.startswith("  - name:") or (l and not l.startswith(" "))):
        skip = False
    if not skip:
        out.append(l)
open(p, "w").write("\n".join(out).replace("links: [5g, leo]", "links: [5g]"))
PY
  fi
  start_daemon "$results/config-cpu-$links.yaml" "$results/lifelined-cpu-$links.log"
  sleep 2
  read -r stat sched rss < <(cpu_pct "$daemon" "$cpu_window")
  stop_daemon
  awk -v l="$links" -v s="$stat" -v c="$sched" -v r="$rss" \
    'BEGIN { printf "| %d | %d | %.2f %% | %.3f %% | %.3f %% | %.1f MiB |\n", l, 100 * l, s, c, c / l, r / 1024 }' >>"$results/cpu.md"
done

{
  echo "# lifelined failover benchmark ($(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs)"
  echo
  echo "Outage = the longest gap with loss in a 1 kHz stream around each 5G black hole (T0 to the first packet over LEO, equal path delays)."
  echo
  cat "$results/outage.md"
  echo
  echo "Steady state, ${cpu_window} s window, 10 ms probe interval (100 probes/s per link, authenticated UDP echo):"
  echo
  cat "$results/cpu.md"
} >"$results/summary.md"
cat "$results/summary.md"
echo "failover: results in $results" >&2
