#!/usr/bin/env bash
# Spoofed and replayed UDP echo replies do not keep a black-holed link alive. An attacker on
# the 5G carrier records genuine replies, then the real path is black-holed while the
# attacker keeps feeding the gateway replays, forgeries and unknown-key replies at 1 kHz
# (tests/integration/spoof_attacker.py). The 5G link (probed by the authenticated echo only)
# must still go down within its detection time, C2 must move, and the fakes must be
# reported as rejected.
source "$(dirname "$0")/lifelined_lib.sh"

lab_up
{
  udp_echo_only_links
  cat <<'YAML'
classes:
  - name: c2
    precedence: flash
    match: { sources: [198.18.10.0/26] }
    links: [5g, leo]
    when_none: blackhole
YAML
} >"$work/spoof.yaml"
start_lifelined "$work/spoof.yaml"
python=$(command -v python3)
in_ns c-5g "$python" "$src/tests/integration/spoof_attacker.py" record hq0 198.19.0.10 198.18.1.1 2 "$work/replies.bin" >"$work/record.out"
recorded=$(grep -o 'recorded [0-9]*' "$work/record.out" | cut -d' ' -f2)
[[ ${recorded:-0} -gt 100 ]] && ok "the attacker recorded $recorded genuine replies" || fail "recorded only ${recorded:-0} replies"

# The attack starts first, then the real path goes dark (forwarded traffic only: the
# attacker's own packets are sent by the carrier itself and still reach the gateway).
ip netns exec "$prefix-c-5g" "$python" "$src/tests/integration/spoof_attacker.py" replay "$work/replies.bin" 4 >"$work/replay.out" &
attacker=$!
bg_pids+=("$attacker")
sleep 0.5
from=$(log_lines)
disturb 5g on
in_ns c-5g nft -f - <<'NFT'
table inet lft_blackhole {
  chain forward {
    type filter hook forward priority -200; policy accept;
    iifname "gw0" drop
    oifname "gw0" drop
  }
}
NFT
t0=$(date +%s.%N)
wait_log "link 5g: up -> down" 3 "$from" && ok "5G goes down despite the fake replies" || fail "the fake replies kept 5G alive"
down_after=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
wait_log "class c2: 5g -> leo" 1 "$from" && ok "c2 moved to LEO" || fail "c2 did not move"
wait "$attacker" || fail "the attacker failed"
sent=$(grep -o 'sent [0-9]*' "$work/replay.out" | cut -d' ' -f2)
echo "     5G declared down about ${down_after} ms after the black hole (polling granularity 20 ms); the attacker sent ${sent:-0} fakes"
grep -q "rejected (bad MAC)" "$work/lifelined.log" && ok "forged replies are reported (bad MAC)" || fail "no bad-MAC report"
grep -q "rejected (unknown key id)" "$work/lifelined.log" && ok "unknown-key replies are reported" || fail "no unknown-key report"
tail -n +"$from" "$work/lifelined.log" | grep -q "link 5g: down -> up" && fail "5G came back up during the attack" ||
  ok "5G stayed down while the attack went on"
finish
