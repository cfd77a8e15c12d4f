#!/usr/bin/env bash
# The loop-lag benchmark (issue 10): how late lifelined's event loop runs during ONE decision
# that moves many classes, on a gateway whose conntrack table is full of other traffic. The
# real lifelined in the lab (lab/lab.sh, config/examples/lab.yaml's links), CLASSES classes
# that all prefer 5G then LEO, ENTRIES unrelated conntrack entries in the gateway's namespace
# plus ten of each class's own; then, REPEATS times: 6 s of quiet, `lifelinectl drain 5g`
# (one decision moves every class to LEO and flushes their flows), read the loop's lag of
# the last 5 s from `lifelinectl --json status`; the same for `undrain` (the failback moves
# them all back). Also the conntrack flush's own wall time (off the loop), from the log.
#
# Usage (root): bench/loop_lag.sh [BUILD_DIR]
#   CLASSES="4 16 256"  REPEATS=10  ENTRIES=100000  RESULTS_DIR=dir  LIFELINED=path
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
src=$(pwd)
build=$(cd "${1:-build}" && pwd)
classes_list=${CLASSES:-"4 16 256"}
repeats=${REPEATS:-10}
entries=${ENTRIES:-100000}
results=${RESULTS_DIR:-$(mktemp -d)/loop-lag-$(date -u +%Y%m%dT%H%M%SZ)}
lifelined=${LIFELINED:-$build/controller/lifelined}
ctl_bin=$build/cli/lifelinectl
filler=$build/bench/lifeline-bench-conntrack
noise=$build/bench/lifeline-bench-noise
mkdir -p "$results"
[[ $(id -u) -eq 0 ]] || { echo "loop_lag: run as root (network namespaces)" >&2; exit 1; }
for b in "$lifelined" "$ctl_bin" "$filler" "$noise"; do [[ -x $b ]] || { echo "loop_lag: $b is not built" >&2; exit 1; }; done
lab=$src/lab/lab.sh
prefix=lfl-$$
export LAB_PREFIX=$prefix
work=$(mktemp -d)
daemon=
cleanup() {
  set +e
  [[ -n $daemon ]] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  "$lab" down --prefix "$prefix" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
in_gw() { ip netns exec "$prefix-gw" "$@"; }
sock=
ctl() { "$ctl_bin" --socket "$sock" "$@"; }

echo "loop_lag: building the lab" >&2
"$lab" up --prefix "$prefix" --tools "$build/lab/tools" --reflector "$build/reflector/lifeline-reflector" >/dev/null
in_gw "$filler" "$entries" 0 >/dev/null
echo "loop_lag: the machine's own noise: a SCHED_FIFO 50 thread sleeping 1 ms, 30 s" >&2
machine_noise=$("$noise" 30 50)
buckets=$(in_gw cat /proc/sys/net/netfilter/nf_conntrack_buckets)
{
  echo "date_utc: $(date -u +%FT%TZ)"
  echo "kernel: $(uname -r)"
  echo "cpus: $(nproc)"
  echo "commit: $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "conntrack_buckets: $buckets"
  echo "unrelated_entries: $entries"
  echo "machine_noise: $machine_noise"
} >"$results/env.txt"

config() {  # config N: lab.yaml's links, N classes preferring 5G then LEO
  local n=$1 k
  sed -n '1,/^classes:/p' "$src/config/examples/lab.yaml" | sed '$d'
  echo "classes:"
  for ((k = 0; k < n; k++)); do
    echo "  - { name: k$k, precedence: routine, match: { protocols: [udp], ports: [$((30000 + k))] }, links: [5g, leo], when_none: main, failback: 1s }"
  done
  sed -n '/^scheduling:/,$p' "$src/config/examples/lab.yaml"
  cat <<YAML
control: { socket: $work/control-$n.sock, group: root }
events: { socket: $work/events-$n.sock }
journal: { path: $work/journal-$n.db }
metrics: { listen: "127.0.0.1:0" }
YAML
}
on_all() {  # on_all LINK N SECONDS: every class on LINK
  local i
  for ((i = 0; i < $3 * 20; i++)); do
    [[ $(ctl --json classes | jq --arg l "$1" '[.classes[] | select(.target == $l)] | length') == "$2" ]] && return 0
    sleep 0.05
  done
  return 1
}
lag_ms() {  # the largest loop lag of the last 5 s (timers and replies), in ms
  ctl --json status | jq -r '.daemon.loop | [.timer_lag_max_5s_seconds, .reply_lag_max_5s_seconds] | max * 1000'
}
fill_classes() {  # ten entries with each class's mark
  local n=$1 k
  for ((k = 0; k < n; k++)); do
    in_gw "$filler" 10 $((0x4c460000 + k + 1)) $((10000000 + k * 10)) >/dev/null
  done
}

echo "classes decision lag_ms flush_ms flows_deleted" >"$results/raw.txt"
for n in $classes_list; do
  config "$n" >"$work/lifeline-$n.yaml"
  sock=$work/control-$n.sock
  ip netns exec "$prefix-gw" "$lifelined" --config "$work/lifeline-$n.yaml" >"$work/lifelined-$n.log" 2>&1 &
  daemon=$!  # (not in_gw: a function in the background is a subshell, $! would not be the daemon)
  for ((i = 0; i < 200; i++)); do grep -q "links measured" "$work/lifelined-$n.log" && break; sleep 0.1; done
  on_all 5g "$n" 30 || { echo "loop_lag: $n classes did not settle on 5G" >&2; tail -5 "$work/lifelined-$n.log" >&2; exit 1; }
  echo "loop_lag: $n classes, $repeats drains and undrains" >&2
  for ((r = 1; r <= repeats; r++)); do
    for step in drain undrain; do
      fill_classes "$n"
      sleep 6  # a quiet 5 s window before the decision
      quiet=$(lag_ms)
      if [[ $step == drain ]]; then
        ctl drain 5g --for 1h --reason "loop lag bench" >/dev/null
        on_all leo "$n" 10 || { echo "loop_lag: the drain did not move all $n classes" >&2; exit 1; }
      else
        ctl undrain 5g >/dev/null
        on_all 5g "$n" 20 || { echo "loop_lag: the undrain did not bring all $n classes back" >&2; exit 1; }
      fi
      sleep 1
      lag=$(lag_ms)
      flush=$(grep -o 'conntrack: [0-9]* flows of .* deleted (1 walk of the table, [0-9.]* ms)' "$work/lifelined-$n.log" | tail -1)
      flush_ms=$(sed -E 's/.*, ([0-9.]+) ms\)$/\1/' <<<"$flush")
      flows=$(sed -E 's/^conntrack: ([0-9]+) flows.*/\1/' <<<"$flush")
      echo "$n $step $lag $flush_ms $flows $quiet" >>"$results/raw.txt"
    done
  done
  grep -c "link .* -> down" "$work/lifelined-$n.log" >"$results/downs-$n.txt" || true
  kill -TERM "$daemon"
  wait "$daemon" || true
  daemon=
  cp "$work/lifelined-$n.log" "$results/"
  in_gw "$filler" "$entries" 0 0 >/dev/null 2>&1 || true  # (already there: EEXIST, fine)
done

# median and max per class count
{
  echo "# lifelined loop lag during one decision ($(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs)"
  echo
  echo "Conntrack: $buckets buckets, $entries unrelated entries + 10 per class. Each row: $repeats drains and $repeats undrains of 5G (each one decision that moves every class and flushes its flows). Loop lag: the largest of the 5 s around the decision (timers and replies), and of the 5 s before it (quiet)."
  echo
  echo "The machine's own noise (lifeline-bench-noise: a SCHED_FIFO thread that only sleeps 1 ms, 30 s): $machine_noise"
  echo
  echo "| classes moved | loop lag median | loop lag max | quiet 5 s median | quiet max | flush wall time median | max | flows deleted by a drain's walk | links down |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for n in $classes_list; do
    awk -v n="$n" -v downs="$(cat "$results/downs-$n.txt")" '
      $1 == n { lag[++k] = $3; fl[k] = $4; q[k] = $6; if ($2 == "drain") flows = $5 }
      function median(a, c,   i, j, t) { for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2 }
      END { ml = median(lag, k); xl = lag[k]; mq = median(q, k); xq = q[k]; mf = median(fl, k); xf = fl[k]
            printf "| %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.1f ms | %.1f ms | %d | %d |\n", n, ml, xl, mq, xq, mf, xf, flows, downs }' "$results/raw.txt"
  done
} | tee "$results/summary.md"
echo "loop_lag: results in $results" >&2
