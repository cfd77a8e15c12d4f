#!/usr/bin/env bash
# Radio integrity on the real lifelined in the lab (docs/integrity.md): the lab's fake modem
# (lab/tools/fake-modem.py, a real ZeroMQ publisher) plays 5G's modem. A rogue base station
# pulls it down to GSM on an unsurveyed cell: 5G is quarantined for classes that require
# integrity, so C2 leaves for LEO at once while ISR and logistics stay; lifelinectl explains
# why with the evidence, counts the readings and the findings, and the journal has them. The
# genuine cell comes back: the quarantine runs out and C2 returns. Garbage on the feed is
# dropped and counted; a silent feed is a suspicion.
source "$(dirname "$0")/lifelined_lib.sh"

lifelinectl=$build/cli/lifelinectl
ctl() { "$lifelinectl" --socket "$work/control.sock" "$@"; }
python=/usr/bin/python3
"$python" -c 'import zmq' 2>/dev/null || { fail "python3-zmq is missing (scripts/setup.sh installs it)"; exit 1; }
lab_up
config=$(lab_config -e 's/failback: [0-9]*s/failback: 1s/' -e "s|ipc:///run/lifeline-lab/modem0.sock|ipc://$work/modem0.sock|" \
  -e 's/stale_after: 10s/stale_after: 2s/')
printf 'integrity: { quarantine: 3s }\n' >>"$config"

echo '{}' >"$work/modem.state"
"$python" "$src/lab/tools/fake-modem.py" --feed "ipc://$work/modem0.sock" --state "$work/modem.state" \
  --interval 0.2 --ready "$work/modem.ready" 2>"$work/modem.err" &
modem=$!
bg_pids+=("$modem")
for ((i = 0; i < 250; i++)); do [[ -e $work/modem.ready ]] && break; sleep 0.02; done
[[ -e $work/modem.ready ]] || { fail "the fake modem did not start: $(cat "$work/modem.err")"; exit 1; }
start_lifelined "$config"
dev() { class_route "$1" | sed -nE 's/.* dev ([^ ]+).*/\1/p'; }
for ((i = 0; i < 250; i++)); do [[ $(dev 0) == wwan0 ]] && break; sleep 0.02; done
[[ $(dev 0) == wwan0 && $(dev 1) == wwan0 ]] && ok "c2 and isr start on 5G" || fail "start: c2 $(dev 0), isr $(dev 1)"
radio() { ctl --json links | jq -c ".links[] | select(.name == \"5g\") | .radio$1"; }
# The signal baseline is learnt over 10 readings (docs/integrity.md).
for ((i = 0; i < 500; i++)); do [[ $(radio .readings) -ge 12 ]] 2>/dev/null && break; sleep 0.02; done
[[ $(radio .readings) -ge 12 ]] && ok "lifelined reads the modem's feed ($(radio .readings) readings)" ||
  fail "no readings: $(radio '')"
logistics_before=$(dev 3)

from=$(log_lines)
echo '{"rat": "gsm", "cell_id": 999, "rsrp": -60.0, "neighbours": 0}' >"$work/modem.state"
wait_log "class c2: 5g -> leo: 5g quarantined: radio: RAT dropped nr -> gsm (below min_rat lte); cell 999 (TAC 6699) not surveyed" 3 "$from" &&
  ok "the rogue base station moves c2 to LEO, with the evidence" || fail "c2 did not move: $(dev 0)"
[[ $(dev 1) == wwan0 ]] && ok "isr (no integrity requirement) stays on 5G" || fail "isr on $(dev 1)"
[[ $(dev 3) == "$logistics_before" ]] && ok "logistics stays on $logistics_before" || fail "logistics moved to $(dev 3)"
tail -n +"$from" "$work/lifelined.log" | grep -q "link 5g: up -> down" && fail "5G went down (it carries packets)" ||
  ok "5G stays up: untrustworthy, not down"
ctl explain c2 | grep -q "5g: rejected, 5g quarantined until .*: radio: RAT dropped nr -> gsm" && ok "lifelinectl explain c2 says why" ||
  fail "explain: $(ctl explain c2)"
[[ $(radio .active) == '["cell_not_surveyed","neighbours_vanished","rat_below_min","rsrp_jump"]' ]] && ok "the active rules: $(radio .active)" ||
  fail "active: $(radio .active)"
ctl --json links | jq -e '.links[] | select(.name == "5g") | .findings[] | select(.rule == "rsrp_jump" and .verdict == "suspicion")' >/dev/null &&
  ok "the loud cell is a suspicion (rsrp_jump)" || fail "findings: $(ctl --json links | jq -c '.links[0].findings')"
ctl --json history --kind finding | jq -e '.events[] | select(.link == "5g" and .rule == "rat_below_min")' >/dev/null &&
  ok "the findings are journaled" || fail "no finding in the history"

echo '{}' >"$work/modem.state"
for ((i = 0; i < 400; i++)); do [[ $(dev 0) == wwan0 ]] && break; sleep 0.02; done
[[ $(dev 0) == wwan0 ]] && ok "the genuine cell is back: the quarantine runs out and c2 returns" || fail "c2 still on $(dev 0)"

# A reading that breaks the contract (an unknown RAT): dropped and counted, nothing moves.
malformed=$(radio .malformed)
echo '{"rat": "6g"}' >"$work/modem.state"
for ((i = 0; i < 250; i++)); do [[ $(radio .malformed) -gt $malformed ]] && break; sleep 0.02; done
[[ $(radio .malformed) -gt $malformed ]] && ok "a malformed reading is dropped and counted" || fail "malformed: $(radio .malformed)"
[[ $(dev 0) == wwan0 ]] && ok "and moves nothing" || fail "c2 moved to $(dev 0)"

from=$(log_lines)
echo '{"silent": true}' >"$work/modem.state"
wait_log "link 5g: suspicion: radio: feed_stale: no reading from modem modem0" 5 "$from" &&
  ok "a silent feed is a suspicion" || fail "no feed_stale finding"
[[ $(radio .stale) == true && $(dev 0) == wwan0 ]] && ok "shown as stale; c2 stays" || fail "stale $(radio .stale), c2 $(dev 0)"
stop_lifelined || fail "lifelined exited with an error"
finish
