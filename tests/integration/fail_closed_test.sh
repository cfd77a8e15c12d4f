#!/usr/bin/env bash
# Fail closed: when no link fits a `when_none: blackhole` class, none of its packets leave
# through any uplink, while `when_none: main` classes keep flowing on the ordinary routes.
# 5G is made lossy (30 %: outside C2's 2 % and the SLA's 5 %), LEO and GEO are black-holed:
# C2 and ISR fit nowhere and are black-holed; logistics falls back to the main table (its
# default route is via the lossy 5G). Counters on every carrier count the C2 and ISR
# packets that cross it (DSCP cs6 and af41, IPv4 and IPv6): they must stay at zero.
source "$(dirname "$0")/lifelined_lib.sh"

lab_up
config=$(lab_config -e 's/failback: 30s/failback: 5s/' -e 's/failback: 60s/failback: 5s/')
start_lifelined "$config"

from=$(log_lines)
impair leo blackhole >/dev/null
impair geo blackhole >/dev/null
impair 5g loss=30% >/dev/null
wait_log "class c2: .* -> blackhole" 30 "$from" && ok "c2 is black-holed" || fail "c2 was never black-holed"
wait_log "class isr: .* -> blackhole" 10 "$from" && ok "isr is black-holed" || fail "isr was never black-holed"
wait_log "class logistics: .* -> main" 10 "$from" && ok "logistics uses the ordinary routes" ||
  fail "logistics did not fall back to main"
[[ $(class_route 0) == blackhole* ]] && ok "c2's IPv4 table holds a blackhole" || fail "c2 route: $(class_route 0)"
[[ $(class_route 0 -6) == blackhole* ]] && ok "c2's IPv6 table holds a blackhole" || fail "c2 route v6: $(class_route 0 -6)"
[[ -z $(class_route 3) ]] && ok "logistics' table is empty (falls through to main)" || fail "logistics route: $(class_route 3)"

# Count C2 (cs6 = 48) and ISR (af41 = 34) packets on every carrier, whatever their addresses
# after NAT.
for c in 5g leo geo cloud; do
  in_ns "c-$c" nft -f - <<'NFT'
table inet lft_count {
  counter c2_v4 {}
  counter c2_v6 {}
  counter isr_v4 {}
  counter isr_v6 {}
  counter other_v4 {}
  chain count {
    type filter hook forward priority -300; policy accept;
    ip dscp 48 counter name "c2_v4"
    ip6 dscp 48 counter name "c2_v6"
    ip dscp 34 counter name "isr_v4"
    ip6 dscp 34 counter name "isr_v6"
    ip dscp 0 counter name "other_v4"
  }
}
NFT
done
# shellcheck disable=SC2046
start_sink "$work/sink.json" $(all_class_listens)
for c in c2 isr logistics; do
  start_stream "$c" v4 3s
  start_stream "$c" v6 3s
done
wait_streams
sleep 0.5
stop_sink

for c in 5g leo geo cloud; do
  for n in c2_v4 c2_v6 isr_v4 isr_v6; do
    packets=$(in_ns "c-$c" nft -j list counter inet lft_count "$n" | jq '.nftables[] | select(.counter) | .counter.packets')
    [[ $packets == 0 ]] && ok "$c: 0 $n packets crossed" || fail "$c: $packets $n packets crossed"
  done
done
for n in c2-v4 c2-v6 isr-v4 isr-v6; do
  received=$(stream_field "$work/sink.json" "$n" .received)
  [[ -z $received || $received == 0 ]] && ok "HQ received nothing of $n" || fail "HQ received $received packets of $n"
done
for n in logistics-v4 logistics-v6; do
  received=$(stream_field "$work/sink.json" "$n" .received)
  [[ -n $received && $received -gt 1000 ]] && ok "logistics still flows ($n: $received of 3000 over lossy 5G)" ||
    fail "logistics did not flow: $n received ${received:-0}"
done
other=$(in_ns c-5g nft -j list counter inet lft_count other_v4 | jq '.nftables[] | select(.counter) | .counter.packets')
[[ $other -gt 1000 ]] && ok "the 5G carrier forwarded $other other packets meanwhile" || fail "5G carrier forwarded only $other"

# And the way back: once 5G is clean again, C2 returns to it.
from=$(log_lines)
impair 5g restore >/dev/null
wait_log "class c2: blackhole -> 5g" 30 "$from" && ok "c2 comes back to 5G when it fits again" || fail "c2 stayed black-holed"
finish
