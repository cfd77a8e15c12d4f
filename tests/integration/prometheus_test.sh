#!/usr/bin/env bash
# Monitoring the real lifelined in the lab as a signal corps NOC would: lifelined serves
# /metrics on metrics.listen (127.0.0.1 of the gateway namespace), the scrape passes
# `promtool check metrics`, a real Prometheus server in the same namespace scrapes it every
# second and its HTTP API shows the link states and class targets; 5G is black-holed and
# Prometheus sees C2 move to LEO, 5G down and the switch counted; 5G comes back and
# Prometheus sees C2 return.
source "$(dirname "$0")/lifelined_lib.sh"

for tool in prometheus promtool python3 jq; do
  command -v "$tool" >/dev/null || { fail "$tool is missing (scripts/setup.sh installs it)"; exit 1; }
done
lab_up
free_port() {  # a free TCP port on the gateway namespace's loopback
  in_ns gw python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
http_get() {  # http_get URL: the body, from inside the gateway namespace
  in_ns gw python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"
}
metrics_port=$(free_port)
config=$(lab_config -e 's/failback: 30s/failback: 5s/' -e 's/failback: 60s/failback: 5s/')
printf '\nmetrics:\n  listen: 127.0.0.1:%s\n' "$metrics_port" >>"$config"
# The operations side keeps its files under $work (unless the shared lab config does already).
grep -q '^journal:' "$config" || printf 'journal:\n  path: %s/journal.db\n' "$work" >>"$config"
grep -q '^control:' "$config" || printf 'control:\n  socket: %s/control.sock\n  group: root\n' "$work" >>"$config"
grep -q '^events:' "$config" || printf 'events:\n  socket: %s/events.sock\n' "$work" >>"$config"
start_lifelined "$config"

# lifelined's own endpoint.
if http_get "http://127.0.0.1:$metrics_port/metrics" >"$work/scrape.txt" 2>"$work/scrape.err"; then
  ok "lifelined serves /metrics on 127.0.0.1:$metrics_port in the gateway namespace"
else
  fail "no /metrics on 127.0.0.1:$metrics_port: $(cat "$work/scrape.err")"
  exit 1
fi
grep -qx 'lifeline_snapshot_ok 1' "$work/scrape.txt" && ok "the scrape carries the daemon's state" ||
  fail "lifeline_snapshot_ok is not 1: $(grep lifeline_snapshot_ok "$work/scrape.txt")"
if promtool check metrics <"$work/scrape.txt" >"$work/promtool.out" 2>&1 && [[ ! -s $work/promtool.out ]]; then
  ok "promtool check metrics: no findings"
else
  fail "promtool check metrics: $(cat "$work/promtool.out")"
fi

# A real Prometheus server next to it, scraping every second.
prom_port=$(free_port)
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: lifeline
    static_configs:
      - targets: ['127.0.0.1:$metrics_port']
EOF
ip netns exec "$prefix-gw" prometheus --config.file="$work/prometheus.yml" \
  --storage.tsdb.path="$work/tsdb" --web.listen-address="127.0.0.1:$prom_port" \
  --log.level=warn >"$work/prometheus.log" 2>&1 &
bg_pids+=("$!")

# wait_query PROMQL JQ SECONDS: polls Prometheus' HTTP API until JQ holds for the result
# vector of the instant query PROMQL.
wait_query() {
  local promql=$1 test=$2 budget=$3 url i
  url="http://127.0.0.1:$prom_port/api/v1/query?query=$(jq -rn --arg q "$promql" '$q | @uri')"
  for ((i = 0; i < budget * 5; i++)); do
    if http_get "$url" >"$work/query.json" 2>/dev/null &&
      jq -e ".status == \"success\" and (.data.result | $test)" "$work/query.json" >/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "     last answer to $promql: $(cat "$work/query.json" 2>/dev/null)" >&2
  return 1
}

wait_query 'lifeline_link_state' 'length == 12' 60 &&
  ok "Prometheus has lifeline_link_state for 4 links x 3 states" ||
  { fail "no lifeline_link_state in Prometheus"; tail -20 "$work/prometheus.log" >&2; exit 1; }
wait_query 'lifeline_class_target_info' 'length == 4' 10 &&
  ok "Prometheus has lifeline_class_target_info for the 4 classes" || fail "no lifeline_class_target_info"
wait_query 'lifeline_class_target_info{class="c2"}' '.[0].metric.target == "5g"' 10 &&
  ok "Prometheus sees c2 on 5g" || fail "c2 is not on 5g in Prometheus"
wait_query 'lifeline_link_state{link="5g",state="up"} == 1' 'length == 1' 10 &&
  ok "Prometheus sees 5g up" || fail "5g is not up in Prometheus"

from=$(log_lines)
impair 5g blackhole >/dev/null
wait_log "class c2: 5g -> leo" 5 "$from" && ok "c2 moved to LEO (log)" || fail "c2 did not move"
wait_query 'lifeline_class_target_info{class="c2"}' 'length == 1 and .[0].metric.target == "leo"' 15 &&
  ok "Prometheus sees c2 on leo (and the 5g series gone stale)" || fail "Prometheus does not see c2 on leo"
wait_query 'lifeline_link_state{link="5g",state="down"} == 1' 'length == 1' 10 &&
  ok "Prometheus sees 5g down" || fail "Prometheus does not see 5g down"
wait_query 'lifeline_class_switches_total{class="c2",from="5g",to="leo"}' \
  'length >= 1 and ([.[].value[1] | tonumber] | add) >= 1' 10 &&
  ok "the switch is counted in lifeline_class_switches_total" || fail "no c2 5g -> leo switch counted"
wait_query 'lifeline_class_on_preferred_link{class="c2"} == 0' 'length == 1' 10 &&
  ok "c2 is off its preferred link" || fail "lifeline_class_on_preferred_link{class=\"c2\"} is not 0"

impair 5g restore >/dev/null
wait_query 'lifeline_class_target_info{class="c2"}' 'length == 1 and .[0].metric.target == "5g"' 30 &&
  ok "Prometheus sees c2 back on 5g after the failback" || fail "Prometheus does not see c2 back on 5g"
stays_on 0 wwan0 2 && ok "c2 stays on 5G after its failback (2 s)" || fail "c2 did not stay on 5G after its failback"
# The loop's lag is exported for both sources and Prometheus has it, with timers observed.
# (How small it is depends on the machine as much as on lifelined: bench/loop_lag.sh and
# bench/cycles.sh measure it beside the machine's own noise, docs/performance.md. A CI run
# here once saw a 28 ms stall right after a failover, on a kernel without full preemption.)
wait_query 'lifeline_loop_lag_max_seconds >= 0' 'length == 2' 10 &&
  wait_query 'lifeline_loop_lag_seconds_count{source="timer"} > 0' 'length == 1' 10 &&
  ok "Prometheus has the loop's lag (timers and replies)" ||
  fail "lifeline_loop_lag_max_seconds: $(grep lifeline_loop_lag "$work/scrape.txt" | head -5)"
finish
