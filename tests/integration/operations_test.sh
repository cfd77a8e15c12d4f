#!/usr/bin/env bash
# The operator's side of the real lifelined in the lab, driven with the real lifelinectl over
# the real control socket, as a signal corps operator would:
#  - status and explain answer; a pin moves c2's routes in the kernel; a drain empties 5G and
#    an undrain brings its classes back;
#  - a pin acknowledged to the operator survives kill -9 in the journal (history after the
#    restart shows it, with who asked), and the restarted daemon restores it;
#  - a blackhole drill installs a real nftables drop on 5G's interface, the classes fail
#    over, the fault is removed after --for, they fail back, and the report (lifelinectl
#    drill report) has the measured figures and passes; the event stream carried its steps,
#    and Prometheus sees it;
#  - a loss drill installs `numgen` loss; abort removes it at once;
#  - kill -9 during a drill leaves the fault behind, and the restart removes it.
source "$(dirname "$0")/lifelined_lib.sh"

lifelinectl=$build/cli/lifelinectl
[[ -x $lifelinectl ]] || { fail "$lifelinectl is not built"; exit 1; }
for tool in jq python3; do command -v "$tool" >/dev/null || { fail "$tool is missing"; exit 1; }; done
ctl() { "$lifelinectl" --socket "$work/control.sock" --timeout 10s "$@"; }

lab_up
config=$(lab_config -e 's/failback: 30s/failback: 3s/' -e 's/failback: 60s/failback: 3s/')
metrics_port=$(in_ns gw python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >>"$config" <<EOF
metrics:
  listen: 127.0.0.1:$metrics_port
drills:
  targets: { detection: 500ms, switchover: 50ms, outage: 1s, failback: 30s }
EOF
start_lifelined "$config"

drill_table() { in_ns gw nft list table inet lifeline_drill 2>/dev/null; }

# ---- status, explain
if ctl --json status >"$work/status.json" && [[ $(jq -r .daemon.settled "$work/status.json") == true ]]; then
  ok "lifelinectl status: settled, $(jq '.links | length' "$work/status.json") links, $(jq '.classes | length' "$work/status.json") classes"
else
  fail "lifelinectl status: $(cat "$work/status.json")"
fi
[[ $(jq -r '.classes[] | select(.name == "c2") | .target' "$work/status.json") == 5g ]] && ok "c2 is on 5g" ||
  fail "c2 is on $(jq -r '.classes[] | select(.name == "c2") | .target' "$work/status.json")"
ctl explain c2 >"$work/explain.txt" && grep -q "5g" "$work/explain.txt" && ok "lifelinectl explain c2 answers" ||
  fail "explain: $(cat "$work/explain.txt")"
rc=0
ctl explain nosuch >/dev/null 2>"$work/err.txt" || rc=$?
[[ $rc == 1 ]] && grep -q "unknown_class" "$work/err.txt" && ok "an unknown class: exit 1 and unknown_class" ||
  fail "explain nosuch: exit $rc, $(cat "$work/err.txt")"

# ---- pin: the kernel follows, and the journal keeps it across kill -9
disturb class:c2 on
ctl pin c2 leo --for 10m --reason "ops test pin" >"$work/pin.txt" || fail "pin: $(cat "$work/pin.txt")"
wait_dev 0 sat0 5 && ok "pin c2 leo: c2's route is via sat0 (LEO)" || fail "after the pin c2 is on $(route_dev 0)"
kill -KILL "$lifelined_pid"
wait "$lifelined_pid" 2>/dev/null || true
lifelined_pid=
from=$(log_lines)
start_lifelined "$config" "$from"
ctl --json history --kind operator >"$work/history.json"
if jq -e '.events[] | select(.action == "pin" and .class == "c2" and .link == "leo" and .reason == "ops test pin")' \
  "$work/history.json" >"$work/pin-event.json"; then
  ok "the pin is in the journal after kill -9 (asked by $(jq -r '.by.user' "$work/pin-event.json"))"
else
  fail "no pin in the history after kill -9: $(head -c 600 "$work/history.json")"
fi
grep -q "restored from the journal: class c2 pinned to leo" "$work/lifelined.log" && wait_dev 0 sat0 5 &&
  [[ $(ctl --json explain c2 | jq -r .pin.reason) == "ops test pin" ]] &&
  ok "the restarted daemon restored the pin: c2 stays on LEO" || fail "the pin was not restored: c2 on $(route_dev 0)"
ctl unpin c2 --reason "ops test done" >/dev/null || fail "unpin failed"
wait_dev 0 wwan0 15 && ok "unpin c2: back to 5G after its hold-down" || fail "after the unpin c2 is on $(route_dev 0)"
disturb class:c2 off

# ---- drain and undrain
disturb 5g on
ctl drain 5g --for 10m --reason "ops test drain" >/dev/null || fail "drain failed"
wait_dev 0 sat0 5 && wait_dev 1 sat0 5 && ok "drain 5g: c2 and isr leave 5G" ||
  fail "after the drain: c2 on $(route_dev 0), isr on $(route_dev 1)"
[[ $(ctl --json links | jq -r '.links[] | select(.name == "5g") | .drained.reason') == "ops test drain" ]] &&
  ok "lifelinectl links shows the drain and its reason" || fail "the drain is not shown"
ctl undrain 5g >/dev/null || fail "undrain failed"
wait_dev 0 wwan0 15 && ok "undrain 5g: c2 returns to 5G after its hold-down" || fail "after the undrain c2 is on $(route_dev 0)"
stays_on 0 wwan0 2 && ok "c2 stays on 5G after the undrain (2 s)" || fail "c2 did not stay on 5G after the undrain"
disturb 5g off
ctl --json history --link 5g --kind class >"$work/class-history.json"
[[ $(jq '[.events[] | select(.class == "c2" and .from == "5g")] | length' "$work/class-history.json") -ge 1 &&
  $(jq '[.events[] | select(.class == "c2" and .to == "5g")] | length' "$work/class-history.json") -ge 1 ]] &&
  ok "history --link 5g lists c2's switches away from 5G and back" ||
  fail "history --link 5g: $(head -c 600 "$work/class-history.json")"

# ---- a blackhole drill, followed on the event stream
"$lifelinectl" --socket "$work/events.sock" --json events --kind drill --count 2 >"$work/drill-events.json" 2>"$work/events.err" &
events_pid=$!
bg_pids+=("$events_pid")
sleep 0.5  # the subscription travels to the publisher
wait_dev 1 wwan0 10 || fail "isr is not back on 5G before the drill"
disturb 5g on
ctl drill start --link 5g --fault blackhole --for 3s >"$work/drill-start.txt" || fail "drill start: $(cat "$work/drill-start.txt")"
drill_table | grep -q "drop" && drill_table | grep -q '"wwan0"' &&
  ok "the drill installed a drop on wwan0 (table inet lifeline_drill)" || fail "no drill table: $(drill_table)"
rc=0
ctl drill start --link leo --fault blackhole --for 3s >/dev/null 2>"$work/err.txt" || rc=$?
[[ $rc == 1 ]] && grep -q conflict "$work/err.txt" && ok "a second drill is refused (conflict)" || fail "second drill: $(cat "$work/err.txt")"
wait_dev 0 sat0 3 && ok "during the drill c2 fails over to LEO" || fail "during the drill c2 is on $(route_dev 0)"
for ((i = 0; i < 100; i++)); do drill_table >/dev/null || break; sleep 0.1; done
drill_table >/dev/null && fail "the drill's fault is still there after --for" || ok "the fault is removed when the drill's time is up"
disturb 5g off
for ((i = 0; i < 300; i++)); do
  [[ $(ctl --json drill status | jq -r .drill.state) != running ]] && break
  sleep 0.1
done
ctl --json drill report >"$work/report.json"
state=$(jq -r .state "$work/report.json")
c2=$(jq -c '.classes[] | select(.class == "c2")' "$work/report.json")
if [[ $state == completed && $(jq -r .passed "$work/report.json") == true ]]; then
  ok "the drill completed and passed: c2 detection $(jq -r .detection_seconds <<<"$c2") s, switch $(jq -r .switch_seconds <<<"$c2") s, failback $(jq -r .failback_seconds <<<"$c2") s"
else
  fail "drill report: $(cat "$work/report.json")"
fi
[[ $(jq -r .to <<<"$c2") == leo ]] && awk -v d="$(jq -r .detection_seconds <<<"$c2")" 'BEGIN { exit !(d > 0 && d < 0.5) }' &&
  ok "the report's figures are measured: c2 went to leo, detected in under 500 ms" || fail "c2 in the report: $c2"
ctl drill report >"$work/report.txt" && grep -q "c2" "$work/report.txt" && ok "lifelinectl drill report prints a table" ||
  fail "drill report text: $(cat "$work/report.txt")"
wait "$events_pid" 2>/dev/null
steps=$(jq -r .step "$work/drill-events.json" 2>/dev/null | tr '\n' ' ')
[[ $steps == *started* ]] && ok "the event stream carried the drill's steps: $steps" ||
  fail "drill events: $(cat "$work/drill-events.json") $(cat "$work/events.err")"
scrape=$(in_ns gw python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
  "http://127.0.0.1:$metrics_port/metrics")
grep -q '^lifeline_drills_total{result="passed"} 1' <<<"$scrape" &&
  grep -q '^lifeline_drill_class_outage_seconds{class="c2",link="5g"}' <<<"$scrape" &&
  ok "Prometheus metrics export the drill report" || fail "drill metrics: $(grep drill <<<"$scrape")"

# ---- a loss drill, aborted
disturb 5g on
ctl drill start --link 5g --fault loss=40% --for 60s >/dev/null || fail "loss drill start"
drill_table | grep -q "numgen random mod 100 < 40" && ok "a loss drill drops 40 % with numgen" || fail "loss drill table: $(drill_table)"
ctl drill abort --reason "ops test abort" >/dev/null || fail "drill abort"
drill_table >/dev/null && fail "abort left the fault in place" || ok "abort removes the fault at once"
[[ $(ctl --json drill report | jq -r .state) == aborted ]] && ok "the report says aborted" || fail "report after abort"
disturb 5g off

# ---- kill -9 during a drill: the restart removes the leftover
disturb 5g on
ctl drill start --link 5g --fault blackhole --for 60s >/dev/null || fail "drill start before kill -9"
kill -KILL "$lifelined_pid"
wait "$lifelined_pid" 2>/dev/null || true
lifelined_pid=
drill_table >/dev/null && ok "kill -9 during a drill leaves its fault behind" || fail "the fault vanished without the daemon"
from=$(log_lines)
start_lifelined "$config" "$from"
drill_table >/dev/null && fail "the restart left the drill's fault in place" || ok "the restart removes the leftover fault"
disturb 5g off
wait_dev 0 wwan0 15 && ok "and 5G carries c2 again" || fail "after the restart c2 is on $(route_dev 0)"
finish
