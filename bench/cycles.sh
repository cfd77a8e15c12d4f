#!/usr/bin/env bash
# The failover/failback cycle benchmark (issue 10): the real lifelined in the lab with the
# lab's four classes, eight 1 kHz streams from the LAN to HQ (each class over IPv4 and IPv6),
# ENTRIES unrelated conntrack entries in the gateway, and CYCLES cycles of: a random wait,
# 5G black-holed until every class is on LEO, 5G restored until every class is home (5G, the
# cloud VPN for logistics). Counted from the daemon and the streams, never assumed:
#  - spurious link-downs: any link down beyond one 5G (and one cloud VPN, which rides over 5G)
#    per cycle, or any LEO/GEO down (lifelinectl --json links);
#  - a class that leaves home after its failback before the next black hole (the streams'
#    source addresses: the NAT address of the uplink each packet used);
#  - the outage of each black hole (the stream gap around T0), and the packets lost after each
#    restore (a move back onto a healthy link, which should lose none).
# LOAD=1 runs the same with both cores kept busy by two CPU hogs at normal priority (the lab's
# network and lifelined run at real-time priority: lab/lab.sh, config/examples/lab.yaml).
#
# Usage (root): bench/cycles.sh [BUILD_DIR]
#   CYCLES=100  ENTRIES=100000  LOAD=0|1  RESULTS_DIR=dir
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
src=$(pwd)
build=$(cd "${1:-build}" && pwd)
cycles=${CYCLES:-100}
entries=${ENTRIES:-100000}
load=${LOAD:-0}
results=${RESULTS_DIR:-$(mktemp -d)/cycles-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$results"
[[ $(id -u) -eq 0 ]] || { echo "cycles: run as root (network namespaces)" >&2; exit 1; }
lab=$src/lab/lab.sh
stream=$build/lab/tools/lifeline-lab-stream
lifelined=$build/controller/lifelined
ctl_bin=$build/cli/lifelinectl
filler=$build/bench/lifeline-bench-conntrack
noise=$build/bench/lifeline-bench-noise
for b in "$stream" "$lifelined" "$ctl_bin" "$filler" "$noise"; do [[ -x $b ]] || { echo "cycles: $b is not built" >&2; exit 1; }; done
prefix=lfc-$$
export LAB_PREFIX=$prefix
work=$(mktemp -d)
pids=()
daemon=
sink=
cleanup() {
  set +e
  [[ -f $work/lifelined.log ]] && cp "$work/lifelined.log" "$results/" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [[ -n $sink ]] && kill "$sink" 2>/dev/null && wait "$sink" 2>/dev/null
  [[ -n $daemon ]] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  "$lab" down --prefix "$prefix" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
in_ns() { local n=$1; shift; ip netns exec "$prefix-$n" "$@"; }
ctl() { "$ctl_bin" --socket "$work/control.sock" "$@"; }
rt=(chrt -f "${LAB_RT_PRIORITY:-60}")

echo "cycles: building the lab" >&2
"$lab" up --prefix "$prefix" --tools "$build/lab/tools" --reflector "$build/reflector/lifeline-reflector" >/dev/null
in_ns gw "$filler" "$entries" 0 >/dev/null
{
  echo "date_utc: $(date -u +%FT%TZ)"
  echo "kernel: $(uname -r)"
  echo "cpus: $(nproc)"
  echo "commit: $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "conntrack_buckets: $(in_ns gw cat /proc/sys/net/netfilter/nf_conntrack_buckets)"
  echo "unrelated_entries: $entries"
  echo "load: $load"
} >"$results/env.txt"

# The lab's config: 5G and the cloud VPN stable after 2 s (not 5 s), classes back after 1 s.
sed -e 's/failback: 30s/failback: 1s/' -e 's/failback: 60s/failback: 1s/' \
  -e 's/^    kind: cellular .*/&\n    detect: { min_stable: 2s }/' -e 's/^    kind: cloud$/&\n    detect: { min_stable: 2s }/' \
  "$src/config/examples/lab.yaml" >"$work/lifeline.yaml"
cat >>"$work/lifeline.yaml" <<YAML
# The benchmark flaps 5G on purpose every few seconds; RFC 2439 dampening would rightly keep
# such a link suppressed after a few cycles, so it is made too lax to interfere.
dampening: { penalty: 1, suppress: 1000 }
control: { socket: $work/control.sock, group: root }
events: { socket: $work/events.sock }
journal: { path: $work/journal.db }
metrics: { listen: "127.0.0.1:0" }
YAML
# (ip netns exec directly: a shell function in the background would be a subshell, and $!
# not the daemon's pid)
ip netns exec "$prefix-gw" "$lifelined" --config "$work/lifeline.yaml" >"$work/lifelined.log" 2>&1 &
daemon=$!
for ((i = 0; i < 200; i++)); do grep -q "links measured" "$work/lifelined.log" && break; sleep 0.1; done

declare -A SLOT=([c2]=0 [isr]=1 [voice]=2 [logistics]=3)
declare -A HOME_LINK=([c2]=5g [isr]=5g [voice]=5g [logistics]=cloud)
targets() { ctl --json classes | jq -r '[.classes[] | "\(.name)=\(.target)"] | join(" ")'; }
wait_targets() {  # wait_targets SECONDS WANT
  local i
  for ((i = 0; i < $1 * 20; i++)); do [[ $(targets) == "$2" ]] && return 0; sleep 0.05; done
  return 1
}
home="c2=5g isr=5g voice=5g logistics=cloud"
away="c2=leo isr=leo voice=leo logistics=leo"
wait_targets 30 "$home" || { echo "cycles: the classes did not settle at home: $(targets)" >&2; exit 1; }

# Eight streams for the whole run, at the lab network's priority.
duration=$((cycles * 8 + 30))
ip netns exec "$prefix-hq" "${rt[@]}" "$stream" sink --report "$work/sink.json" --ready "$work/sink.ready" --max-gaps 5000 \
  --listen 198.19.0.100:10001 --listen "[2001:db8:ff::100]:10002" --listen 198.19.0.100:9100 \
  --listen "[2001:db8:ff::100]:9101" --listen 198.19.0.100:16400 --listen "[2001:db8:ff::100]:16401" \
  --listen 198.19.0.100:9200 --listen "[2001:db8:ff::100]:9201" 2>"$work/sink.err" &
sink=$!
for ((i = 0; i < 200; i++)); do [[ -e $work/sink.ready ]] && break; sleep 0.05; done
send() {  # CLASS FAMILY SOURCE DSCP PORT
  local to
  if [[ $2 == v4 ]]; then to=198.19.0.100:$5; else to="[2001:db8:ff::100]:$5"; fi
  ip netns exec "$prefix-client" "${rt[@]}" "$stream" send --to "$to" --from "$3" --dscp "$4" --rate 1000 \
    --duration "${duration}s" --class "$1-$2" >/dev/null 2>&1 &
  pids+=("$!")
}
send c2 v4 198.18.10.10 48 10001;       send c2 v6 2001:db8:10:1::10 48 10002
send isr v4 198.18.10.74 34 9100;       send isr v6 2001:db8:10:2::10 34 9101
send voice v4 198.18.10.130 26 16400;   send voice v6 2001:db8:10::10 26 16401
send logistics v4 198.18.11.10 0 9200;  send logistics v6 2001:db8:10:3::10 0 9201
sleep 2

# The machine's own noise over the same run, on the loop's CPU and at its priority: how late an
# idle real-time thread that only sleeps 1 ms is woken (the floor under lifelined's lag).
loop_cpu=$(ctl --json status | jq -r '.daemon.loop.scheduling' | sed -nE 's/.* on cpu ([0-9]+) .*/\1/p')
noise_pin=()
[[ -n $loop_cpu ]] && noise_pin=(taskset -c "$loop_cpu")
"${noise_pin[@]}" "$noise" $((cycles * 6 + 10)) 50 >"$work/noise.txt" 2>&1 &
noise_pid=$!
pids+=("$noise_pid")

hogs=()
if [[ $load == 1 ]]; then
  for _ in 1 2; do sh -c 'while :; do :; done' & hogs+=("$!"); pids+=("$!"); done
  echo "cycles: two CPU hogs running (pids ${hogs[*]})" >&2
fi

: >"$work/cycles.txt"
failed_cycles=0
for ((c = 1; c <= cycles; c++)); do
  sleep "1.$((RANDOM % 10))"
  t0=$("$lab" impair 5g blackhole --prefix "$prefix" | grep -o 't0=[0-9.]*' | cut -d= -f2)
  wait_targets 3 "$away" || { echo "cycles: cycle $c: not every class left 5G: $(targets)" >&2; failed_cycles=$((failed_cycles + 1)); }
  # When the daemon declared 5G down and moved c2 (their `since`), after T0.
  down_at=$(ctl --json links | jq -r '.links[] | select(.name == "5g") | .since')
  moved_at=$(ctl --json classes | jq -r '.classes[] | select(.name == "c2") | .since')
  echo "$(awk -v a="$t0" -v b="$(date -d "$down_at" +%s.%N)" -v m="$(date -d "$moved_at" +%s.%N)" \
    'BEGIN { printf "%.1f %.1f", (b - a) * 1000, (m - a) * 1000 }')" >>"$work/detection.txt"
  t1=$("$lab" impair 5g restore --prefix "$prefix" | grep -o 't0=[0-9.]*' | cut -d= -f2)
  wait_targets 15 "$home" || { echo "cycles: cycle $c: the classes did not come home: $(targets)" >&2; failed_cycles=$((failed_cycles + 1)); }
  echo "$c $t0 $t1" >>"$work/cycles.txt"
  ((c % 10 == 0)) && echo "cycles: $c of $cycles" >&2
done
sleep 2  # the last failback must hold too
end=$(date +%s.%N)
for h in "${hogs[@]}"; do kill "$h"; done
ctl --json links >"$work/links.json"
ctl --json status >"$work/status.json"
kill -INT "$noise_pid" 2>/dev/null || true
wait "$noise_pid" 2>/dev/null || true
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
sleep 0.5
kill -TERM "$sink"; wait "$sink" || true; sink=
cp "$work/sink.json" "$work/cycles.txt" "$work/links.json" "$work/status.json" "$results/"
cp "$work/lifelined.log" "$results/"

# ---- what happened, read from the daemon and the streams ------------------------------
downs=$(jq -r '[.links[] | "\(.name)=\(.downs)"] | join(" ")' "$work/links.json")
spurious=$(jq --argjson n "$cycles" '[.links[] | if .name == "5g" or .name == "cloud" then ([.downs - $n, 0] | max) else .downs end] | add' "$work/links.json")
lag=$(jq -r '.daemon.loop | "\(.timer_lag_max_since_start_seconds * 1000 | . * 100 | round / 100) ms (timers), \(.reply_lag_max_since_start_seconds * 1000 | . * 100 | round / 100) ms (replies)"' "$work/status.json")
# Per stream and cycle: the outage (the gap with loss around T0) and the packets lost after T1
# (until the next T0); and whether it stayed home from its failback to the next black hole.
python3 - "$work/sink.json" "$work/cycles.txt" "$end" >"$work/analysis.txt" <<'PY'
import json, sys, statistics
report = json.load(open(sys.argv[1]))
cyc = [tuple(map(float, l.split()[1:])) for l in open(sys.argv[2])]
end = float(sys.argv[3])
home = {"c2": "198.18.1.1", "isr": "198.18.1.1", "voice": "198.18.1.1", "logistics": "198.18.4.1"}
home6 = {"c2": "2001:db8:1::1", "isr": "2001:db8:1::1", "voice": "2001:db8:1::1", "logistics": "2001:db8:4::1"}
outages, failback_lost, left_home = [], 0, 0
failback_lossy = 0
for s in report["streams"]:
    cls, fam = s["class"].rsplit("-", 1)
    want = home[cls] if fam == "v4" else home6[cls]
    gaps = [g for g in s["gaps"] if g["cause"] == "loss"]
    for i, (t0, t1) in enumerate(cyc):
        nxt = cyc[i + 1][0] if i + 1 < len(cyc) else end
        around = [g for g in gaps if g["last_before"]["arrived"] <= t0 + 1.0 and g["first_after"]["arrived"] >= t0]
        if around:
            outages.append(max(g["arrival_gap_ms"] for g in around))
        # (the next black hole's own gap starts just before its T0: not the failback's)
        after = [g for g in gaps if t1 <= g["last_before"]["arrived"] < nxt - 0.05]
        lost = sum(g["lost"] for g in after)
        failback_lost += lost
        failback_lossy += 1 if lost else 0
    # Segments by source: once home after a restore, no packet may come from elsewhere
    # before the next black hole.
    for i, (t0, t1) in enumerate(cyc):
        nxt = cyc[i + 1][0] if i + 1 < len(cyc) else end
        segs = [g for g in s["sources"] if g["first_arrival"] < nxt and g["last_arrival"] > t1]
        came_home = [g for g in segs if g["from"].rsplit(":", 1)[0].strip("[]") == want]
        if not came_home:
            continue
        first_home = min(g["first_arrival"] for g in came_home)
        # Packets still in flight on the backup when the class came home arrive a little
        # later (LEO is 20 ms further away): only a return to another source later counts.
        strays = [g for g in segs if g["from"].rsplit(":", 1)[0].strip("[]") != want
                  and first_home + 0.5 < g["first_arrival"] < nxt - 0.05]
        left_home += 1 if strays else 0
q = sorted(outages)
p95 = q[int(0.95 * (len(q) - 1))] if q else 0
print(f"outages {len(q)} median {statistics.median(q) if q else 0:.1f} p95 {p95:.1f} max {q[-1] if q else 0:.1f}")
print(f"failback_lost {failback_lost} lossy_failbacks {failback_lossy} streams_x_cycles {len(report['streams']) * len(cyc)}")
print(f"left_home {left_home}")
PY
cat "$work/analysis.txt" >&2
cp "$work/analysis.txt" "$results/"
read -r _ n_out _ med _ p95 _ max < <(grep '^outages' "$work/analysis.txt")
cp "$work/detection.txt" "$results/"
detection=$(sort -g "$work/detection.txt" | awk '{ d[NR] = $1; m[NR] = $2 } END { printf "%.1f ms (max %.1f), decision %.1f ms", d[int((NR + 1) / 2)], d[NR], m[int((NR + 1) / 2)] }')
read -r _ fb_lost _ fb_lossy _ sxc < <(grep '^failback_lost' "$work/analysis.txt")
left=$(awk '/^left_home/ {print $2}' "$work/analysis.txt")
{
  echo "# lifelined: $cycles failover + failback cycles ($(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs, load: $([[ $load == 1 ]] && echo 'two CPU hogs' || echo none))"
  echo
  echo "Eight 1 kHz streams (4 classes x IPv4/IPv6), $(cat /dev/null; grep conntrack_buckets "$results/env.txt" | cut -d' ' -f2) conntrack buckets, $entries unrelated entries; lifelined: $(jq -r .daemon.loop.scheduling "$work/status.json")."
  echo
  echo "| cycles | cycles that failed | spurious link-downs | link downs | classes that left home after a failback | 5G declared down after T0 (median) | outage median | p95 | max | packets lost after a restore (streams x cycles with loss) | loop lag max |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  echo "| $cycles | $failed_cycles | $spurious | $downs | $left | $detection | $med ms | $p95 ms | $max ms | $fb_lost ($fb_lossy of $sxc) | $lag |"
  echo
  echo "The machine's own noise meanwhile (lifeline-bench-noise on the loop's CPU, SCHED_FIFO 50): $(cat "$work/noise.txt" 2>/dev/null)"
} | tee "$results/summary.md"
echo "cycles: results in $results" >&2
[[ $failed_cycles -eq 0 && $spurious -eq 0 && $left -eq 0 ]]
