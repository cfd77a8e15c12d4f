#!/usr/bin/env bash
# Path integrity on the real lifelined in the lab (docs/integrity.md): an attacker on the 5G
# carrier feeds the gateway forged, replayed and unknown-key echo replies while the genuine
# path keeps working. 5G stays up (its genuine replies arrive), but the forgeries are an
# integrity violation: 5G is quarantined for classes that require integrity, so C2 moves to
# LEO at once while ISR (no such requirement) stays on 5G. lifelinectl shows the quarantine
# and why; the finding is journaled. When the attack ends, the quarantine runs out and C2
# returns. Then the carrier rewrites the TTL of the replies: a hop-limit suspicion.
source "$(dirname "$0")/lifelined_lib.sh"

lifelinectl=$build/cli/lifelinectl
ctl() { "$lifelinectl" --socket "$work/control.sock" "$@"; }
lab_up
{
  udp_echo_only_links
  cat <<'YAML'
classes:
  - name: c2
    precedence: flash
    match: { sources: [198.18.10.0/26] }
    links: [5g, leo]
    require: { integrity: true }
    when_none: blackhole
    failback: 1s
  - name: isr
    precedence: immediate
    match: { sources: [198.18.10.64/26] }
    links: [5g, leo]
    when_none: blackhole
integrity: { quarantine: 4s }
YAML
} >"$work/integrity.yaml"
start_lifelined "$work/integrity.yaml"
dev() { class_route "$1" | sed -nE 's/.* dev ([^ ]+).*/\1/p'; }
[[ $(dev 0) == wwan0 && $(dev 1) == wwan0 ]] && ok "c2 and isr start on 5G" || fail "start: c2 $(dev 0), isr $(dev 1)"

python=$(command -v python3)
in_ns c-5g "$python" "$src/tests/integration/spoof_attacker.py" record hq0 198.19.0.10 198.18.1.1 2 "$work/replies.bin" >"$work/record.out"
from=$(log_lines)
ip netns exec "$prefix-c-5g" "$python" "$src/tests/integration/spoof_attacker.py" replay "$work/replies.bin" 2 >"$work/replay.out" &
attacker=$!
bg_pids+=("$attacker")
wait_log "link 5g: quarantined until" 3 "$from" && ok "the forged replies quarantine 5G" || fail "no quarantine"
wait_log "class c2: 5g -> leo: 5g quarantined: path: bad MAC reply" 1 "$from" && ok "c2 (requires integrity) moved to LEO" ||
  fail "c2 did not move: $(dev 0)"
[[ $(dev 1) == wwan0 ]] && ok "isr stays on 5G" || fail "isr on $(dev 1)"
tail -n +"$from" "$work/lifelined.log" | grep -q "link 5g: up -> down" && fail "5G went down (it is healthy)" ||
  ok "5G stays up: its genuine replies still arrive"
ctl --json links | jq -e '.links[] | select(.name == "5g") | .quarantined.reason | test("path: bad MAC reply")' >/dev/null &&
  ok "lifelinectl links shows the quarantine and why" || fail "links: $(ctl --json links | jq -c '.links[0].quarantined')"
ctl --json links | jq -e '.links[] | select(.name == "5g") | .findings[] | select(.rule == "auth_failure" and .count > 10)' >/dev/null &&
  ok "the forged replies are counted as findings" || fail "findings: $(ctl --json links | jq -c '.links[0].findings')"
wait "$attacker" || fail "the attacker failed"
ctl --json history --kind finding | jq -e '.events[] | select(.link == "5g" and .verdict == "violation")' >/dev/null &&
  ok "the finding is journaled" || fail "no finding in the history"
for ((i = 0; i < 500; i++)); do [[ $(dev 0) == wwan0 ]] && break; sleep 0.02; done
[[ $(dev 0) == wwan0 ]] && ok "after the attack the quarantine runs out and c2 returns to 5G" || fail "c2 still on $(dev 0)"

# The path gets shorter: the carrier rewrites the TTL of what it forwards to the gateway (a box
# answering from elsewhere would look the same). A suspicion by default: reported, nothing moves.
from=$(log_lines)
in_ns c-5g nft -f - <<'NFT'
table ip lft_ttl {
  chain forward {
    type filter hook forward priority 0; policy accept;
    oifname "gw0" ip ttl set 40
  }
}
NFT
wait_log "link 5g: suspicion: path: hop_limit: hop limit [0-9]* -> 40 on replies from 198.19.0.10:7070" 3 "$from" &&
  ok "a changed hop count is reported: $(tail -n +"$from" "$work/lifelined.log" | grep -o 'hop limit [0-9]* -> 40' | head -1)" ||
  fail "no hop-limit finding"
ctl --json history --kind finding | jq -e '.events[] | select(.rule == "hop_limit" and .verdict == "suspicion")' >/dev/null &&
  ok "and journaled as a suspicion" || fail "no hop_limit finding in the history"
[[ $(dev 0) == wwan0 ]] && ok "a suspicion moves nothing: c2 stays on 5G" || fail "c2 moved to $(dev 0)"
finish
