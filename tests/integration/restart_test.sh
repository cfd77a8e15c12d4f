#!/usr/bin/env bash
# lifelined owns only what it created, and survives its own death:
#  - foreign routes, rules and nftables tables (some in lifelined's own tables and priority
#    range) are untouched after start, reloads and stop;
#  - kill -9: the routes stay (fail static) and traffic keeps flowing; the restart adopts
#    them: no duplicate rule, no gap in a 1 kHz stream;
#  - SIGHUP with a broken config: the old one keeps running, probes uninterrupted (no link
#    goes down, failover still works); SIGHUP with a valid one applies it;
#  - SIGTERM: exit 0, routes stay.
# IPv4 and IPv6 throughout.
source "$(dirname "$0")/lifelined_lib.sh"

lab_up
config=$(lab_config -e 's/failback: 30s/failback: 5s/' -e 's/failback: 60s/failback: 5s/')

# ---- foreign objects, placed before lifelined ever runs
in_ns gw ip rule add priority 20950 fwmark 0x99 lookup 300
in_ns gw ip -6 rule add priority 21001 fwmark 0x99 lookup 300
in_ns gw ip route add 198.18.99.0/24 via 198.18.2.2 dev sat0 table 21000 proto static
in_ns gw ip -6 route add 2001:db8:99::/64 via 2001:db8:2::2 dev sat0 table 21000 proto static
in_ns gw ip route add default via 198.18.3.2 dev sat1 table 300
in_ns gw nft -f - <<'NFT'
table inet foreign {
  chain input {
    type filter hook input priority 10; policy accept;
    udp dport 4444 counter
  }
}
NFT
snapshot_foreign() {
  {
    in_ns gw ip rule show | grep -v 'proto 76' || true
    in_ns gw ip -6 rule show | grep -v 'proto 76' || true
    in_ns gw ip route show table all | grep -v -e 'proto 76' -e 'table local' || true
    in_ns gw ip -6 route show table all | grep -v -e 'proto 76' -e 'table local' -e '^fe80' -e '^multicast' || true
    in_ns gw nft list table inet foreign
    in_ns gw nft list table inet lab_gw 2>/dev/null || true
  } | sort
}
snapshot_foreign >"$work/foreign.before"
own_rules() { { in_ns gw ip rule show; in_ns gw ip -6 rule show; } | grep -c 'proto 76'; }

start_lifelined "$config"
expected_rules=$(own_rules)
# 4 links + 4 classes, both families
[[ $expected_rules == 16 ]] && ok "16 rules of lifelined's own (8 per family)" || fail "$expected_rules own rules, want 16"
snapshot_foreign >"$work/foreign.started"
diff -u "$work/foreign.before" "$work/foreign.started" >/dev/null && ok "foreign objects untouched by start-up" ||
  fail "start-up changed foreign objects: $(diff "$work/foreign.before" "$work/foreign.started")"

# ---- kill -9 in the middle of a stream, restart
start_sink "$work/sink.json" "$SINK4:${PORT[c2]}" "[$SINK6]:$((PORT[c2] + 1))"
start_stream c2 v4 8s
start_stream c2 v6 8s
sleep 2
kill -KILL "$lifelined_pid"
wait "$lifelined_pid" 2>/dev/null || true
lifelined_pid=
[[ $(class_route 0) == *"dev wwan0"* && $(class_route 0 -6) == *"dev wwan0"* ]] &&
  ok "after kill -9 the class routes stay (fail static)" || fail "routes after kill -9: $(class_route 0) / $(class_route 0 -6)"
sleep 1
from=$(log_lines)
start_lifelined "$config" "$from"
wait_streams
stop_sink
[[ $(own_rules) == "$expected_rules" ]] && ok "after the restart: still $expected_rules own rules, no duplicate" ||
  fail "after the restart: $(own_rules) own rules, want $expected_rules"
tail -n +"$from" "$work/lifelined.log" | grep -q "class c2: .* -> 5g" && ! tail -n +"$from" "$work/lifelined.log" | grep -q "class c2: .* -> blackhole" &&
  ok "the restart left c2 on 5G (no detour through a blackhole)" || fail "c2 moved during the restart"
for n in c2-v4 c2-v6; do
  lost=$(stream_field "$work/sink.json" "$n" .lost)
  stall=$(stream_field "$work/sink.json" "$n" .longest_stall_ms)
  [[ $lost -le 2 ]] && ok "$n: $lost packets lost across kill -9 and restart (longest stall $(printf %.1f "$stall") ms)" ||
    fail "$n lost $lost packets across the restart (outage $(stream_field "$work/sink.json" "$n" .outage_ms) ms)"
done

# ---- SIGHUP with a broken config
cp "$config" "$work/good.yaml"
printf 'node: broken\nlinks: [\n' >"$config"
from=$(log_lines)
kill -HUP "$lifelined_pid"
wait_log "reload rejected" 5 "$from" && ok "a broken config is rejected on SIGHUP" || fail "no rejection logged"
grep -q "lifeline.yaml:3:1" "$work/lifelined.log" && ok "the rejection names file:line:column" || fail "no position in the log"
sleep 2
tail -n +"$from" "$work/lifelined.log" | grep -q "up -> down" && fail "a link went down after the rejected reload" ||
  ok "no link went down after the rejected reload (probes uninterrupted)"
kill -0 "$lifelined_pid" && ok "lifelined is still running" || fail "lifelined died"
from=$(log_lines)
impair 5g blackhole >/dev/null
wait_log "class c2: 5g -> leo" 5 "$from" && ok "failover still works with the old config" || fail "no failover after the rejected reload"
impair 5g restore >/dev/null

# ---- SIGHUP with a valid, changed config: c2 now prefers LEO
sed 's/links: \[5g, leo, geo\]/links: [leo, 5g, geo]/' "$work/good.yaml" >"$config"
from=$(log_lines)
kill -HUP "$lifelined_pid"
wait_log "reloaded:" 5 "$from" && ok "a valid config is applied on SIGHUP" || fail "the valid reload was not applied"
sleep 0.5
[[ $(class_route 0) == *"dev sat0"* ]] && ok "c2 follows its new preference (LEO)" || fail "c2 route after reload: $(class_route 0)"
snapshot_foreign >"$work/foreign.reloaded"
diff -u "$work/foreign.before" "$work/foreign.reloaded" >/dev/null && ok "foreign objects untouched by reloads" ||
  fail "reload changed foreign objects: $(diff "$work/foreign.before" "$work/foreign.reloaded")"

# ---- someone deletes the classification (a firewall reload with `flush ruleset` does)
from=$(log_lines)
in_ns gw nft delete table inet lifeline
wait_log "table inet lifeline was gone" 8 "$from" && ok "a deleted classification table is noticed" ||
  fail "the missing table was not noticed"
in_ns gw nft list table inet lifeline >/dev/null 2>&1 && ok "and installed again by the periodic reconcile" ||
  fail "table inet lifeline is still missing"

# ---- SIGTERM
route_before=$(class_route 0)
if stop_lifelined; then ok "SIGTERM: exit code 0"; else fail "SIGTERM: exit code $?"; fi
[[ $(class_route 0) == "$route_before" ]] && ok "after stop the routes stay" || fail "routes changed on stop"
in_ns gw nft list table inet lifeline >/dev/null && ok "after stop the classification stays" || fail "table inet lifeline gone"
snapshot_foreign >"$work/foreign.stopped"
diff -u "$work/foreign.before" "$work/foreign.stopped" >/dev/null && ok "foreign objects untouched by stop" ||
  fail "stop changed foreign objects: $(diff "$work/foreign.before" "$work/foreign.stopped")"
finish
