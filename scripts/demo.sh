#!/usr/bin/env bash
# README quick-start command (1): the live demo. Builds lifeline, builds a base gateway in
# network namespaces (lab/lab.sh), runs the real lifelined in it, sends a 1 kHz stream per
# traffic class from the LAN to HQ, black-holes the 5G link, shows every class moving to the
# LEO satellite and the outage each one saw, restores 5G and shows the classes return after
# their hold-down; then a rogue base station pulls the 5G modem (the lab's fake modem) down to
# GSM on an unsurveyed cell: C2, which requires integrity, leaves 5G at once while the other
# classes stay. Tears everything down at the end. Needs root (network namespaces); never
# touches the host's own network namespace. About 1.5 minutes.
#   scripts/demo.sh            the live demo
#   scripts/demo.sh --sim [SCENARIO] [--json]
#                              replay a what-if scenario in lifeline-sim instead (no root)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [[ ${1:-} == --sim ]]; then
  shift
  scenario=${1:-lab/scenarios/5g-outage.yaml}
  [[ $# -gt 0 ]] && shift
  scripts/setup.sh build >&2
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j "$(nproc)" --target lifeline-sim >&2
  exec build/sim/lifeline-sim --config config/examples/base-gateway.yaml --scenario "$scenario" "$@"
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "demo: run as root (it builds network namespaces); 'scripts/demo.sh --sim' needs no root" >&2
  exit 1
fi

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
scripts/setup.sh all >&2
say "building lifeline"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target lifelined lifeline-reflector lifeline-lab-delay lifeline-lab-stream lifelinectl >&2

prefix=lfl-demo-$$
export LAB_PREFIX=$prefix
work=$(mktemp -d)
pids=()
started=$(date +%s.%N)
elapsed() { awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%7.3f", b - a }'; }
cleanup() {
  local rc=$? p
  set +e
  for p in "${pids[@]}" ${modem_pid:-}; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  lab/lab.sh down --prefix "$prefix" >/dev/null 2>&1
  rm -rf "$work"
  [[ $rc -eq 0 ]] && say "the lab is gone; nothing was left on this machine"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building the base: LAN client, gateway, 5G / LEO (40 ms) / GEO (600 ms) / cloud VPN, HQ"
lab/lab.sh up --prefix "$prefix" --tools build/lab/tools --reflector build/reflector/lifeline-reflector >/dev/null
# The demo shortens the hold-down before traffic returns to 5G from 30 s to 10 s.
sed -e 's/failback: 30s/failback: 10s/' -e 's/failback: 60s/failback: 10s/' \
  -e "s|ipc:///run/lifeline-lab/modem0.sock|ipc://$work/modem0.sock|" config/examples/lab.yaml >"$work/lifeline.yaml"
# The demo's control socket, event stream and journal live in its scratch directory (a
# packaged lifelined uses /run/lifeline and /var/lib/lifeline, made by systemd).
cat >>"$work/lifeline.yaml" <<YAML
integrity: { quarantine: 10s }
control: { socket: $work/control.sock, group: root }
events: { socket: $work/events.sock }
journal: { path: $work/journal.db }
metrics: { listen: 127.0.0.1:0 }
YAML
ctl() { build/cli/lifelinectl --socket "$work/control.sock" "$@"; }

# The 5G modem's telemetry: the lab's fake modem publishes what a genuine cell looks like
# until $work/modem.state says otherwise (lab/tools/fake-modem.py).
echo '{}' >"$work/modem.state"
/usr/bin/python3 lab/tools/fake-modem.py --feed "ipc://$work/modem0.sock" --state "$work/modem.state" 2>/dev/null &
modem_pid=$!

say "starting lifelined in the gateway (config/examples/lab.yaml, failback 10 s)"
ip netns exec "$prefix-gw" build/controller/lifelined --config "$work/lifeline.yaml" >"$work/lifelined.log" 2>&1 &
pids+=("$!")
# Show the daemon's log as it happens, with the demo's clock.
tail -n +1 -F "$work/lifelined.log" 2>/dev/null | while IFS= read -r line; do
  printf '  %s  lifelined: %s\n' "$(elapsed)" "${line#<[0-9]>}"
done &
pids+=("$!")
for _ in $(seq 100); do grep -q "links measured" "$work/lifelined.log" && break; sleep 0.1; done
sleep 0.5

show_routes() {
  local slot name
  for slot in 0 1 2 3; do
    name=$(sed -n "$((slot + 1))p" <<<$'c2\nisr\nvoice\nlogistics')
    printf '  %-10s table %d: %s\n' "$name" $((21000 + slot)) \
      "$(ip netns exec "$prefix-gw" ip route show table $((21000 + slot)) proto 76 default | head -1 | sed 's/ onlink//')"
  done
}

# Every outcome the demo states is read from the gateway: lifelinectl --json and the kernel's
# route tables. What differs from what the demo expects is printed as UNEXPECTED, and the demo
# then exits 1 at the end.
unexpected=0
expect_fail() { printf '  \033[1;31mUNEXPECTED: %s\033[0m\n' "$*"; unexpected=$((unexpected + 1)); }
classes_json() { ctl --json classes; }
target_of() { jq -r --arg c "$1" '.classes[] | select(.name == $c) | .target' <<<"$2"; }
# The interface a class's IPv4 route leaves by, from the kernel: what the packets really do.
route_dev() {
  ip netns exec "$prefix-gw" ip route show table $((21000 + $1)) proto 76 default |
    sed -nE 's/.* dev ([^ ]+).*/\1/p; s/^(blackhole|unreachable).*/\1/p' | head -1
}
declare -A SLOT=([c2]=0 [isr]=1 [voice]=2 [logistics]=3)
declare -A DEV=([5g]=wwan0 [leo]=sat0 [geo]=sat1 [cloud]=vpn0)
# wait_targets SECONDS CLASS=LINK...: polls until the daemon says each class is on its link
# and the kernel's route agrees; 1 if not within SECONDS.
wait_targets() {
  local budget=$1 i pair c l json all
  shift
  for ((i = 0; i < budget * 20; i++)); do
    json=$(classes_json) all=1
    for pair in "$@"; do
      c=${pair%%=*} l=${pair#*=}
      [[ $(target_of "$c" "$json") == "$l" && $(route_dev "${SLOT[$c]}") == "${DEV[$l]}" ]] || all=0
    done
    ((all)) && return 0
    sleep 0.05
  done
  return 1
}
# Where every class is now, in words: "c2 on leo, isr on leo, ..." (daemon and kernel).
where() {
  local json c out=
  json=$(classes_json)
  for c in c2 isr voice logistics; do
    out+="${out:+, }$c on $(target_of "$c" "$json") (dev $(route_dev "${SLOT[$c]}"))"
  done
  echo "$out"
}
# ms between T0 (epoch seconds) and the instant the daemon moved CLASS (its `since`).
moved_after_ms() {
  local since
  since=$(jq -r --arg c "$1" '.classes[] | select(.name == $c) | .since' <<<"$(classes_json)")
  awk -v a="$2" -v b="$(date -d "$since" +%s.%N)" 'BEGIN { printf "%.0f", (b - a) * 1000 }'
}

say "class routes in the gateway (ip route show table 2100N)"
show_routes
wait_targets 10 c2=5g isr=5g voice=5g logistics=cloud &&
  echo "  c2, isr and voice ride 5G, logistics the cloud VPN over it: $(where)" ||
  expect_fail "the classes did not start on their preferred links: $(where)"

say "sending a 1 kHz UDP stream per class from the LAN to HQ"
ip netns exec "$prefix-hq" build/lab/tools/lifeline-lab-stream sink --report "$work/sink.json" \
  --ready "$work/sink.ready" --listen 198.19.0.100:10001 --listen 198.19.0.100:9100 \
  --listen 198.19.0.100:16400 --listen 198.19.0.100:9200 2>/dev/null &
sink=$!
pids+=("$sink")
for _ in $(seq 100); do [[ -e $work/sink.ready ]] && break; sleep 0.05; done
send() {  # NAME SOURCE DSCP PORT
  ip netns exec "$prefix-client" build/lab/tools/lifeline-lab-stream send --to "198.19.0.100:$4" \
    --from "$2" --dscp "$3" --rate 1000 --duration 70s --class "$1" >/dev/null 2>&1 &
  pids+=("$!")
}
send c2 198.18.10.10 48 10001
send isr 198.18.10.74 34 9100
send voice 198.18.10.130 26 16400
send logistics 198.18.11.10 0 9200
sleep 3

say "black-holing the 5G link (nftables drop in the 5G carrier)"
impaired=$(lab/lab.sh impair 5g blackhole --prefix "$prefix")
sed 's/^/  /' <<<"$impaired"
t0=$(grep -o 't0=[0-9.]*' <<<"$impaired" | cut -d= -f2)
if wait_targets 2 c2=leo isr=leo voice=leo logistics=leo; then
  # When the daemon moved each class (its `since`), after the black hole's T0.
  declare -A after=()
  for c in c2 isr voice logistics; do after[$c]=$(moved_after_ms "$c" "$t0"); done
  if [[ $(printf '%s\n' "${after[@]}" | sort -u | wc -l) == 1 ]]; then
    echo "  every class left 5G for LEO, moved by one decision ${after[c2]} ms after the black hole" \
      "(logistics too: its VPN rides over 5G)"
  else
    echo "  every class left 5G for LEO: c2 ${after[c2]} ms after the black hole, isr ${after[isr]} ms," \
      "voice ${after[voice]} ms, logistics (its VPN rides over 5G) ${after[logistics]} ms"
  fi
else
  expect_fail "not every class left 5G within 2 s: $(where)"
fi
show_routes
sleep 3

say "what an operator sees meanwhile: lifelinectl explain c2"
ctl explain c2 | sed 's/^/  /'

say "restoring 5G: it must be stable for 5 s, then each class waits out its 10 s hold-down"
restored=$(lab/lab.sh impair 5g restore --prefix "$prefix")
sed 's/^/  /' <<<"$restored"
t1=$(grep -o 't0=[0-9.]*' <<<"$restored" | cut -d= -f2)
if wait_targets 30 c2=5g isr=5g voice=5g logistics=cloud; then
  echo "  the classes are home again: c2 back on 5G $(awk -v ms="$(moved_after_ms c2 "$t1")" 'BEGIN { printf "%.1f", ms / 1000 }') s after the restore, logistics on the cloud VPN"
else
  expect_fail "the classes did not come home within 30 s: $(where)"
fi
show_routes
# They stay there: a failback that flaps would show within a few detection times.
sleep 2
[[ $(where) == "c2 on 5g (dev wwan0), isr on 5g (dev wwan0), voice on 5g (dev wwan0), logistics on cloud (dev vpn0)" ]] &&
  echo "  and they stay there (2 s later: $(where))" || expect_fail "a class left again after its failback: $(where)"

say "a rogue base station: the 5G modem is pulled down to GSM on a cell nobody surveyed"
echo '{"rat": "gsm", "cell_id": 999, "rsrp": -60.0, "neighbours": 0}' >"$work/modem.state"
if wait_targets 3 c2=leo; then
  json=$(classes_json)
  echo "  c2 requires integrity: it left 5G for $(target_of c2 "$json"); isr is on $(target_of isr "$json")," \
    "voice on $(target_of voice "$json"), logistics on $(target_of logistics "$json")"
  [[ $(target_of isr "$json") == 5g && $(target_of voice "$json") == 5g && $(target_of logistics "$json") == cloud ]] ||
    expect_fail "classes without the integrity requirement moved too: $(where)"
else
  expect_fail "c2 did not leave 5G within 3 s of the rogue cell: $(where)"
fi
show_routes
say "lifelinectl explain c2"
ctl explain c2 | sed 's/^/  /'
say "the genuine cell is back: the quarantine (10 s here) runs out, then c2's 10 s hold-down"
echo '{}' >"$work/modem.state"
wait_targets 35 c2=5g isr=5g voice=5g logistics=cloud && echo "  c2 is back on 5G: $(where)" ||
  expect_fail "c2 did not return to 5G within 35 s: $(where)"
show_routes

say "stopping the streams"
for p in "${pids[@]:2}"; do [[ $p != "$sink" ]] && kill "$p" 2>/dev/null; done
sleep 0.3
kill -TERM "$sink"
wait "$sink" 2>/dev/null || true
say "what each class saw (the outage is the longest gap with loss in its stream)"
jq -r '.streams[] | "  \(.class | . + "          " | .[0:10]) received \(.received) of \(.expected), outage \(.outage_ms | . * 10 | round / 10) ms, paths: \([.sources[].from | sub(":[0-9]+$"; "")] | unique | join(", "))"' "$work/sink.json"
echo "  (198.18.1.1 = 5G, 198.18.2.1 = LEO, 198.18.4.1 = cloud VPN: the gateway's NAT address on each uplink)"
for c in c2 isr voice logistics; do
  jq -e --arg c "$c" '.streams[] | select(.class == $c) | (.sources | map(.from) | any(startswith("198.18.2.1:"))) and .outage_ms < 1000' \
    "$work/sink.json" >/dev/null || expect_fail "$c: its stream never crossed LEO, or lost more than 1 s"
done
# Only 5G (and the VPN over it) went down, once; LEO and GEO never did.
downs=$(ctl --json links | jq -r '[.links[] | "\(.name)=\(.downs)"] | join(" ")')
[[ $downs == "5g=1 leo=0 geo=0 cloud=1" ]] && echo "  link downs: $downs (5G's black hole took the VPN over it along; nothing else went down)" ||
  expect_fail "link downs: $downs (expected 5g=1 leo=0 geo=0 cloud=1)"
say "the journal: lifelinectl history --class c2"
ctl history --class c2 | sed 's/^/  /'
say "stopping lifelined (its routes stay: fail static)"
kill -TERM "${pids[0]}"
wait "${pids[0]}" || true
sleep 0.2
if ((unexpected > 0)); then
  printf '\n\033[1;31mdemo: %d outcome(s) differed from what was expected (above)\033[0m\n' "$unexpected" >&2
  exit 1
fi
say "every outcome above was read from the gateway and was as expected"
