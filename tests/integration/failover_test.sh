#!/usr/bin/env bash
# The real lifelined in the lab: a 1 kHz UDP stream per class (IPv4 and IPv6) runs while 5G
# is black-holed. Every class continues over its backup (its packets now leave with LEO's
# NAT address), the outage (the longest gap with loss in the received stream) stays under a
# generous bound (the exact figures belong to bench/failover.sh), and after 5G is restored
# the classes return once their failback hold-down (5 s here) has passed.
source "$(dirname "$0")/lifelined_lib.sh"

lab_up
config=$(lab_config -e 's/failback: 30s/failback: 5s/' -e 's/failback: 60s/failback: 5s/')
start_lifelined "$config"
[[ $(class_route 0) == *"dev wwan0"* ]] && ok "c2 starts on 5G" || fail "c2 route: $(class_route 0)"
[[ $(class_route 3) == *"dev vpn0"* ]] && ok "logistics starts on the cloud VPN" || fail "logistics route: $(class_route 3)"

# shellcheck disable=SC2046
start_sink "$work/sink.json" $(all_class_listens)
for c in c2 isr voice logistics; do
  start_stream "$c" v4 20s
  start_stream "$c" v6 20s
done
sleep 3
from=$(log_lines)
t0=$(impair 5g blackhole)
wait_log "class c2: 5g -> leo" 5 "$from" && ok "c2 moved to LEO" || fail "c2 did not move"
wait_log "class logistics: .* -> leo" 5 "$from" && ok "logistics moved to LEO" || fail "logistics did not move"
[[ $(class_route 0) == *"dev sat0"* ]] && ok "c2's IPv4 route is via LEO" || fail "c2 route: $(class_route 0)"
[[ $(class_route 0 -6) == *"dev sat0"* ]] && ok "c2's IPv6 route is via LEO" || fail "c2 route v6: $(class_route 0 -6)"
sleep 3
from=$(log_lines)
t1=$(impair 5g restore)
wait_log "class c2: leo -> 5g" 15 "$from" && ok "c2 failed back to 5G" || fail "c2 did not fail back"
back=$(date +%s.%N)
stays_on 0 wwan0 3 && ok "c2 stays on 5G after its failback (3 s)" || fail "c2 did not stay on 5G after its failback"
wait_streams
stop_sink

# The hold-down: 5G needs min_stable (5 s) and then failback (5 s) before c2 returns.
awk -v a="$t1" -v b="$back" 'BEGIN { exit !(b - a >= 9.5) }' &&
  ok "failback came $(awk -v a="$t1" -v b="$back" 'BEGIN { printf "%.1f", b - a }') s after the restore (>= 10 s)" ||
  fail "failback too early: $(awk -v a="$t1" -v b="$back" 'BEGIN { print b - a }') s after the restore"

for c in c2 isr voice logistics; do
  for f in v4 v6; do
    n=$c-$f
    received=$(stream_field "$work/sink.json" "$n" .received)
    outage=$(stream_field "$work/sink.json" "$n" .outage_ms)
    if [[ $f == v4 ]]; then backup=${NAT4[leo]}; else backup=${NAT6[leo]}; fi
    if [[ $c == logistics ]]; then
      if [[ $f == v4 ]]; then home=${NAT4[cloud]}; else home=${NAT6[cloud]}; fi
    else
      if [[ $f == v4 ]]; then home=${NAT4[5g]}; else home=${NAT6[5g]}; fi
    fi
    # Sources are "addr:port" or "[addr]:port": keep the address.
    froms=$(stream_field "$work/sink.json" "$n" '[.sources[].from | sub(":[0-9]+$"; "") | ltrimstr("[") | rtrimstr("]")] | unique | join(" ")')
    last=$(stream_field "$work/sink.json" "$n" '.sources[-1].from | sub(":[0-9]+$"; "") | ltrimstr("[") | rtrimstr("]")')
    [[ -n $received && $received -gt 15000 ]] && ok "$n: $received of 20000 packets arrived" ||
      fail "$n: only ${received:-0} packets arrived"
    [[ " $froms " == *" $backup "* ]] && ok "$n continued over LEO ($backup)" || fail "$n never used LEO: $froms"
    [[ $last == "$home" ]] && ok "$n is back home ($home)" || fail "$n ends on $last, want $home"
    awk -v o="$outage" 'BEGIN { exit !(o > 0 && o < 1000) }' && ok "$n: outage $(printf %.1f "$outage") ms (< 1 s)" ||
      fail "$n: outage ${outage:-none} ms"
    echo "$n $outage" >>"$work/outages"
  done
done
echo "     outages (ms): $(sort -k2 -g "$work/outages" | awk '{printf "%s=%.1f ", $1, $2}')"
finish
