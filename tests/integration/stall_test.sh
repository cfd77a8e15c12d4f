#!/usr/bin/env bash
# A stalled lifelined is never a dead link (issue 10). With every link healthy and a 1 kHz
# stream per class running, lifelined is stopped with SIGSTOP for 200 ms and continued with
# SIGCONT, 20 times — five times 5G's 40 ms detection time, with replies piling up in its
# sockets and no probe leaving meanwhile. No link may go down and no class may move (the
# shared check in finish()), the stall shows in the loop-lag metric, and afterwards a real
# black hole is still detected. Nothing in lifelined knows about the test: it is stopped
# from outside, as a busy CPU or a swapped-out page would stop it.
source "$(dirname "$0")/lifelined_lib.sh"

lab_up
config=$(lab_config -e 's/failback: 30s/failback: 5s/' -e 's/failback: 60s/failback: 5s/')
start_lifelined "$config"
# The links were measured; wait until every one is up (cloud and GEO take longest).
for ((i = 0; i < 100; i++)); do
  [[ $("$build/cli/lifelinectl" --socket "$work/control.sock" --json links | jq '[.links[] | select(.health != "up")] | length') == 0 ]] && break
  sleep 0.1
done
ctl() { "$build/cli/lifelinectl" --socket "$work/control.sock" "$@"; }
before=$(ctl --json status)
[[ $(jq '[.links[] | select(.health == "up")] | length' <<<"$before") == 4 ]] && ok "all four links are up" ||
  fail "links: $(jq -c '[.links[] | {name, health}]' <<<"$before")"

# shellcheck disable=SC2046
start_sink "$work/sink.json" $(all_class_listens)
for c in c2 isr voice logistics; do start_stream "$c" v4 16s; done
sleep 1
for ((i = 1; i <= 20; i++)); do
  kill -STOP "$lifelined_pid"
  sleep 0.2
  kill -CONT "$lifelined_pid"
  sleep 0.$((300 + RANDOM % 400))  # 0.3-0.7 s apart, so the stalls fall at every phase
done
ok "20 stalls of 200 ms (SIGSTOP, SIGCONT)"
sleep 1
after=$(ctl --json status)
[[ $(jq '[.links[] | select(.health == "up")] | length' <<<"$after") == 4 ]] && ok "all four links are still up" ||
  fail "links after the stalls: $(jq -c '[.links[] | {name, health, reason}]' <<<"$after")"
downs_before=$(jq '[.links[].downs // 0] | add' <<<"$(ctl --json links)")
[[ $downs_before == 0 ]] && ok "no link went down (downs counters 0)" || fail "downs: $downs_before"
for slot in 0 1 2; do [[ $(route_dev $slot) == wwan0 ]] || fail "class slot $slot is on $(route_dev $slot)"; done
[[ $(route_dev 3) == vpn0 ]] && ok "every class is still where it was" || fail "logistics is on $(route_dev 3)"
lag=$(jq -r '.daemon.loop.timer_lag_max_since_start_seconds' <<<"$after")
awk -v l="$lag" 'BEGIN { exit !(l >= 0.18) }' && ok "the stall shows as loop lag: timers up to $(awk -v l="$lag" 'BEGIN { printf "%.0f", l * 1000 }') ms late" ||
  fail "loop lag after 200 ms stalls: $lag s"
wait_streams
stop_sink
for c in c2 isr voice logistics; do
  received=$(stream_field "$work/sink.json" "$c-v4" .received)
  [[ ${received:-0} -gt 15000 ]] || fail "$c-v4: only ${received:-0} of 16000 packets arrived"
done
ok "the streams flowed on through the stalls"

# Detection still works, and a black hole during a stall is found after it (late, not never).
from=$(log_lines)
impair 5g blackhole >/dev/null
kill -STOP "$lifelined_pid"
sleep 0.2
kill -CONT "$lifelined_pid"
wait_log "class c2: 5g -> leo" 3 "$from" && ok "a black hole during a stall: c2 moves to LEO after it" ||
  fail "c2 did not move after a black hole during a stall"
impair 5g restore >/dev/null
finish
