#!/usr/bin/env bash
# Incident sharing between two bases through lifeline-channel (docs/incidents.md), all real:
# two lifelined gateways (alpha, bravo) and the channel, each in its own network namespace,
# CURVE between them and the channel, every report signed with its base's Ed25519 key.
#  - a report signed with a key bravo does not allow has no effect on bravo;
#  - a client whose CURVE key the channel does not know cannot get a report to anyone;
#  - alpha's modem meets a rogue base station: alpha quarantines 5G, publishes a signed report
#    naming the PLMN, and bravo — same network, no modem trouble of its own — quarantines its
#    5G too: its C2 fails closed.
source "$(dirname "$0")/lifelined_lib.sh"

channel=$build/channel/lifeline-channel
lifelinectl=$build/cli/lifelinectl
incident=$build/cli/lifeline-incident
python=/usr/bin/python3
for b in "$channel" "$lifelinectl" "$incident"; do [[ -x $b ]] || { fail "$b is not built"; exit 1; }; done
"$python" -c 'import zmq' 2>/dev/null || { fail "python3-zmq is missing (scripts/setup.sh installs it)"; exit 1; }

# ---- topology: alpha -- channel -- bravo (198.18.50.0/30 and 198.18.50.4/30) ----------------
for n in ch alpha bravo; do ip netns add "$prefix-$n"; ip -n "$prefix-$n" link set lo up; done
ip link add wwan0 netns "$prefix-alpha" type veth peer name to-alpha netns "$prefix-ch"
ip link add wwan0 netns "$prefix-bravo" type veth peer name to-bravo netns "$prefix-ch"
ip -n "$prefix-ch" addr add 198.18.50.1/30 dev to-alpha
ip -n "$prefix-ch" addr add 198.18.50.5/30 dev to-bravo
ip -n "$prefix-alpha" addr add 198.18.50.2/30 dev wwan0
ip -n "$prefix-bravo" addr add 198.18.50.6/30 dev wwan0
for l in "ch to-alpha" "ch to-bravo" "alpha wwan0" "bravo wwan0"; do
  set -- $l
  ip -n "$prefix-$1" link set "$2" up
done

# ---- keys -----------------------------------------------------------------------------------
umask 077
for who in channel alpha bravo stranger; do
  "$lifelinectl" keygen >"$work/$who.curve"
  "$incident" keygen "$work/$who.sign" >"$work/$who.sign.pub"
done
pub() { sed -n 's/^public-key *[:=]* *//p' "$work/$1.curve" | tr -d ' "'; }
[[ -n $(pub alpha) ]] || { fail "cannot read the public key of a lifelinectl keygen file: $(cat "$work/alpha.curve")"; exit 1; }

cat >"$work/channel.yaml" <<YAML
xsub: tcp://0.0.0.0:7444
xpub: tcp://0.0.0.0:7443
curve_key_file: $work/channel.curve
allowed_clients:
  - { name: base-alpha-gw1, public_key: "$(pub alpha)" }
  - { name: base-bravo-gw1, public_key: "$(pub bravo)" }
YAML
ip netns exec "$prefix-ch" "$channel" --config "$work/channel.yaml" >"$work/channel.log" 2>&1 &
bg_pids+=("$!")
for ((i = 0; i < 250; i++)); do ip -n "$prefix-ch" -j -4 addr >/dev/null; ip netns exec "$prefix-ch" ss -ltn | grep -q ':7443' && break; sleep 0.02; done
ip netns exec "$prefix-ch" ss -ltn | grep -q ':7444' && ok "lifeline-channel listens" || { fail "channel: $(cat "$work/channel.log")"; exit 1; }

# ---- the two gateways --------------------------------------------------------------------------
gateway() {  # gateway NAME GATEWAY_ADDR PEER_NAME
  local name=$1 gw=$2 peer=$3
  echo '{}' >"$work/$name.modem"
  "$python" "$src/lab/tools/fake-modem.py" --feed "ipc://$work/$name-modem0.sock" --state "$work/$name.modem" \
    --interval 0.2 --ready "$work/$name.modem.ready" 2>>"$work/$name.modem.err" &
  bg_pids+=("$!")
  cat >"$work/$name.yaml" <<YAML
node: base-$name-gw1
links:
  - name: 5g
    interface: wwan0
    gateway: $gw
    kind: cellular
    detect: { interval: 10ms, multiplier: 5, rise: 3, min_stable: 100ms }
    probes: [{ type: icmp, target: $gw }]
    radio:
      feed: ipc://$work/$name-modem0.sock
      modem: modem0
      min_rat: lte
      plmns: ["24001"]
      cells: [{ tac: 6699, cell_id: 19088743 }]
classes:
  - name: c2
    precedence: flash
    match: { dscp: [ef] }
    links: [5g]
    require: { integrity: true }
    when_none: blackhole
    failback: 1s
integrity: { quarantine: 30s }
incidents:
  subscribe: tcp://$gw:7443
  publish: tcp://$gw:7444
  server_key: "$(pub channel)"
  curve_key_file: $work/$name.curve
  signing_key_file: $work/$name.sign
  allowed_reporters:
    - { name: base-$peer-gw1, public_key: "$(cat "$work/$peer.sign.pub")" }
control: { socket: $work/$name.control.sock, group: root }
events: { socket: $work/$name.events.sock }
journal: { path: $work/$name.journal.db }
metrics: { listen: 127.0.0.1:0 }
YAML
  ip netns exec "$prefix-$name" "$lifelined" --config "$work/$name.yaml" >"$work/$name.log" 2>&1 &
  bg_pids+=("$!")
}
gateway alpha 198.18.50.1 bravo
gateway bravo 198.18.50.5 alpha
ctl() { local who=$1; shift; "$lifelinectl" --socket "$work/$who.control.sock" "$@"; }
c2_route() { ip -n "$prefix-$1" route show table 21000 proto 76 2>/dev/null | head -1; }
for ((i = 0; i < 500; i++)); do
  [[ $(c2_route alpha) == *wwan0* && $(c2_route bravo) == *wwan0* ]] && break
  sleep 0.02
done
[[ $(c2_route alpha) == *wwan0* && $(c2_route bravo) == *wwan0* ]] && ok "both bases carry C2 on 5G" ||
  { fail "start: alpha '$(c2_route alpha)', bravo '$(c2_route bravo)'"; tail -20 "$work"/{alpha,bravo}.log >&2; exit 1; }
# Both are connected to the channel once a published message gets through; give CURVE a moment.
sleep 1

report() {  # report ID: a report about PLMN 24001 (the tool fills in time and reporter)
  printf '{"id": "%s", "severity": "high", "category": "rogue-base-station", "affected": {"plmns": ["24001"]},
  "indicators": ["test"], "expires": "%s"}\n' "$1" "$(date -u -d '+10 min' +%Y-%m-%dT%H:%M:%SZ)" >"$work/$1.json"
}

# 1. Through the channel (alpha's CURVE key) but signed by a key bravo does not allow.
report forged-1
ip netns exec "$prefix-alpha" "$incident" publish "$work/forged-1.json" --channel tcp://198.18.50.1:7444 \
  --server-key "$(pub channel)" --curve-key-file "$work/alpha.curve" --signing-key-file "$work/stranger.sign" \
  --reporter base-alpha-gw1 >/dev/null || fail "lifeline-incident publish failed"
for ((i = 0; i < 250; i++)); do [[ $(ctl bravo --json status | jq '.daemon.incidents.bad_signature') -ge 1 ]] && break; sleep 0.02; done
[[ $(ctl bravo --json status | jq '.daemon.incidents.bad_signature') -ge 1 ]] &&
  ok "a report signed by a key bravo does not allow is dropped and counted" ||
  fail "bravo's incidents: $(ctl bravo --json status | jq -c '.daemon.incidents')"
[[ $(c2_route bravo) == *wwan0* ]] && ok "and has no effect: bravo's C2 stays on 5G" || fail "bravo c2: $(c2_route bravo)"

# 2. A client the channel does not know, with a report signed by alpha's (allowed) key.
report stranger-1
ip netns exec "$prefix-alpha" "$incident" publish "$work/stranger-1.json" --channel tcp://198.18.50.1:7444 \
  --server-key "$(pub channel)" --curve-key-file "$work/stranger.curve" --signing-key-file "$work/alpha.sign" \
  --reporter base-alpha-gw1 >/dev/null || fail "lifeline-incident publish failed"
for ((i = 0; i < 250; i++)); do grep -qF "$(pub stranger)" "$work/channel.log" && break; sleep 0.02; done
grep -qF "$(pub stranger)" "$work/channel.log" && ok "the channel refuses a CURVE client it does not know (and logs its key)" ||
  fail "channel log: $(tail -5 "$work/channel.log")"
sleep 0.5
[[ $(ctl bravo --json status | jq '.daemon.incidents.accepted') -eq 0 && $(c2_route bravo) == *wwan0* ]] &&
  ok "nothing it sent reached bravo" || fail "bravo accepted $(ctl bravo --json status | jq -c '.daemon.incidents')"

# 3. A rogue base station at alpha: alpha quarantines its 5G and tells the others.
echo '{"rat": "gsm", "cell_id": 999}' >"$work/alpha.modem"
for ((i = 0; i < 250; i++)); do [[ $(c2_route alpha) == *blackhole* ]] && break; sleep 0.02; done
[[ $(c2_route alpha) == *blackhole* ]] && ok "alpha: the downgrade quarantines 5G, C2 fails closed" ||
  fail "alpha c2: $(c2_route alpha)"
for ((i = 0; i < 300; i++)); do [[ $(c2_route bravo) == *blackhole* ]] && break; sleep 0.02; done
[[ $(c2_route bravo) == *blackhole* ]] && ok "bravo: alpha's signed report quarantines its 5G too, C2 fails closed" ||
  fail "bravo c2: $(c2_route bravo); alpha published $(ctl alpha --json status | jq -c '.daemon.incidents')"
grep -q "link 5g: incident report [0-9a-f]* from base-alpha-gw1: downgrade (high) names PLMN 24001" "$work/bravo.log" &&
  ok "bravo says why: $(grep -o 'incident report [0-9a-f]* from base-alpha-gw1: downgrade (high) names PLMN 24001' "$work/bravo.log" | head -1)" ||
  fail "bravo log: $(grep incident "$work/bravo.log" | tail -3)"
ctl bravo explain c2 | grep -q "quarantined until .*incident: report" && ok "lifelinectl explain c2 on bravo names the report" ||
  fail "explain: $(ctl bravo explain c2)"
[[ $(ctl alpha --json status | jq '.daemon.incidents.published') -eq 1 ]] && ok "alpha published exactly one report" ||
  fail "alpha: $(ctl alpha --json status | jq -c '.daemon.incidents')"
ctl bravo --json history --kind incident | jq -e '.events[] | select(.direction == "received" and .report.reporter == "base-alpha-gw1")' >/dev/null &&
  ok "bravo journaled the report" || fail "no incident in bravo's history"
finish
