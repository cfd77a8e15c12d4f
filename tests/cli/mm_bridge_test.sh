#!/usr/bin/env bash
# lifeline-mm-bridge as it runs on a gateway, against a stand-in ModemManager
# (fake_modemmanager.py) on a private D-Bus this test starts: the fields of a reading; a change
# of RAT, cell and registration, published when ModemManager signals it (not only every
# interval); the 3GPP location when a modem has no cell info; the modem unplugged (nothing
# published, the bridge keeps running) and re-plugged under a new index; a clean stop on
# SIGTERM; the exit codes. Only a unix-socket bus and ipc:// feeds, no network.
# Args: the lifeline-mm-bridge binary, the source tree.
set -euo pipefail
bridge=$1 root=$2
python=/usr/bin/python3
imei=490154203237518  # the fake's modem
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do
    [ -s "$f" ] && { echo "--- $(basename "$f")"; cat "$f"; } >&2
  done
  exit 1
}
# wait_for_line FILE PATTERN SECONDS: until FILE has a line matching PATTERN.
wait_for_line() {
  local deadline=$((SECONDS + $3))
  until grep -q -- "$2" "$1" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
# wait_exit PID SECONDS: the process's exit status, or 124 if it is still running.
wait_exit() {
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || return 124
    sleep 0.1
  done
  local code=0
  wait "$1" || code=$?
  return "$code"
}

command -v dbus-daemon >/dev/null || fail "dbus-daemon missing (scripts/setup.sh installs it)"
"$python" -c 'import dbus, gi, zmq' 2>/dev/null ||
  fail "python3-dbus, python3-gi or python3-zmq missing (scripts/setup.sh installs them)"

# ---- exit codes and --help (no bus needed) ----------------------------------------------
"$bridge" --help >"$work/help.txt" || fail "--help exited $?"
grep -q "Exit codes: 0 ok" "$work/help.txt" || fail "--help does not document the exit codes"
expect_exit() {
  local want=$1
  shift
  local code=0
  "$bridge" "$@" >"$work/out.txt" 2>&1 || code=$?
  [ "$code" -eq "$want" ] || fail "lifeline-mm-bridge $* exited $code, want $want: $(cat "$work/out.txt")"
}
feed="ipc://$work/x.sock"
expect_exit 2 --feed "$feed" --name m0 --no-such-flag
expect_exit 2 --name m0                              # --feed missing
expect_exit 2 --feed "$feed"                         # --name missing
expect_exit 2 --feed "$feed" --name m0 --interval 100ms
expect_exit 2 --feed "$feed" --name m0 --interval 5
expect_exit 2 --feed "$feed" --name "two words"
expect_exit 2 --feed "not-an-endpoint" --name m0
expect_exit 1 --feed "$feed" --name m0 --bus "unix:path=$work/no-bus-here"
[ ! -e "$work/x.sock" ] || fail "the feed's socket file was left behind after exit 1"

# ---- a private bus and the stand-in ModemManager ----------------------------------------
cat >"$work/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$work/bus</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$work/bus.conf" --nofork --print-address >"$work/bus-address.log" \
  2>"$work/dbus-daemon.log" &
pids+=($!)
wait_for_line "$work/bus-address.log" "unix:path=" 10 || fail "dbus-daemon did not start"
address="unix:path=$work/bus"

"$python" "$root/tests/cli/fake_modemmanager.py" "$address" >"$work/fake.out.log" \
  2>"$work/fake.log" &
pids+=($!)
wait_for_line "$work/fake.out.log" "^ready" 10 || fail "the fake ModemManager did not start"

# The bridge under test, by IMEI; and one with an hour between readings, which can only
# publish a change when ModemManager signals it.
"$bridge" --bus "$address" --feed "ipc://$work/feed" --name modem0 --interval 1s \
  --modem "$imei" 2>"$work/bridge.log" &
bridge_pid=$!
pids+=("$bridge_pid")
"$bridge" --bus "$address" --feed "ipc://$work/feed-slow" --name modem0 --interval 1h \
  2>"$work/bridge-slow.log" &
slow_pid=$!
pids+=("$slow_pid")

"$python" - "$work" "$bridge_pid" <<'PY' || fail "readings (above)"
import json, os, re, sys, time

import dbus
import zmq

work, bridge_pid = sys.argv[1], int(sys.argv[2])
bus = dbus.bus.BusConnection("unix:path=%s/bus" % work)
test = dbus.Interface(bus.get_object("org.freedesktop.ModemManager1", "/org/freedesktop/ModemManager1"),
                      "org.lifeline.Test")
ctx = zmq.Context()


def subscribe(name):
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.SUBSCRIBE, b"")
    s.connect("ipc://%s/%s" % (work, name))
    return s


fast, slow = subscribe("feed"), subscribe("feed-slow")


def next_reading(sock, until):
    left = until - time.monotonic()
    if left <= 0 or not sock.poll(int(left * 1000) + 1):
        return None
    return json.loads(sock.recv())


def wait_for(sock, what, pred, seconds=10):
    until, last = time.monotonic() + seconds, None
    while True:
        r = next_reading(sock, until)
        if r is None:
            sys.exit("no reading with %s within %d s; last one: %s" % (what, seconds, last))
        last = r
        if pred(r):
            return r


def check(r, expected, absent=()):
    for key, value in expected.items():
        assert r.get(key) == value, "%s: want %r in %s" % (key, value, r)
    for key in absent:
        assert key not in r, "%s should be absent from %s" % (key, r)
    # Unreadable fields are left out, never null; ModemManager has no cipher nor reject cause.
    assert None not in r.values(), r
    assert "cipher" not in r and "reject_cause" not in r, r
    assert r["modem"] == "modem0", r
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["time"]), r


# 1. NR on EN-DC, home network: the contract's example.
nr = {"rat": "nr", "plmn": "24001", "tac": 6699, "cell_id": 19088743, "pci": 123,
      "arfcn": 632628, "rsrp": -95.0, "rsrq": -10.0, "snr": 12.0, "neighbours": 5,
      "registration": "home"}
check(wait_for(fast, "rat nr", lambda r: r.get("rat") == "nr"), nr)
rates = list(test.Calls()["signal_rates"])
assert 1 in rates and 3600 in rates, "Signal.Setup rates %s, want 1 and 3600" % rates

# 2. GSM, another cell, roaming: the LAC as tac, no LTE/NR measurements. (The slow bridge's
# first reading went out before anyone subscribed; it has been connected since.)
test.SetScenario("gsm_roaming")
gsm = {"rat": "gsm", "plmn": "26201", "tac": 1250, "cell_id": 2001, "arfcn": 62,
       "neighbours": 2, "registration": "roaming"}
check(wait_for(fast, "rat gsm", lambda r: r.get("rat") == "gsm"), gsm, ["pci", "rsrp", "rsrq", "snr"])
check(wait_for(slow, "rat gsm (signalled by PropertiesChanged)", lambda r: r.get("rat") == "gsm",
               seconds=5), gsm)
r = next_reading(fast, time.monotonic() + 3)
assert r is not None, "no reading after the change"
check(r, gsm)

# 3. A modem without cell info: the cell from the 3GPP location source, which the bridge
# enables.
test.SetScenario("lte_no_cells")
r = wait_for(fast, "the location's cell", lambda r: r.get("rat") == "lte" and "cell_id" in r)
check(r, {"plmn": "24001", "tac": 12345, "cell_id": 180150001, "rsrp": -88.5, "rsrq": -9.0,
          "snr": 20.0, "registration": "home"}, ["pci", "arfcn", "neighbours"])
setups = list(test.Calls()["location_setups"])
assert any(s & 1 for s in setups), "Location.Setup %s never enabled 3GPP_LAC_CI" % setups

# 4. Unplugged: nothing is published (what was in flight may still arrive), the bridge runs on.
test.SetScenario("nr_home")
test.RemoveModem()
removed = time.monotonic()
while True:
    r = next_reading(fast, removed + 4)
    if r is None:
        break
    assert time.monotonic() - removed < 1.5, "a reading while the modem is gone: %s" % r
os.kill(bridge_pid, 0)  # still running

# 5. Re-plugged: ModemManager gives it the next index; found again by its IMEI.
path = str(test.AddModem())
assert path.endswith("/Modem/1"), path
check(wait_for(fast, "readings again after the re-plug", lambda r: r.get("rat") == "nr"), nr)
rates = list(test.Calls()["signal_rates"])
assert rates.count(1) >= 2, "Signal.Setup not called again after the re-plug: %s" % rates
print("readings: ok")
PY

# ---- a clean stop -------------------------------------------------------------------------
kill -TERM "$bridge_pid"
code=0
wait_exit "$bridge_pid" 10 || code=$?
[ "$code" -eq 0 ] || fail "SIGTERM: exit $code, want 0"
grep -q "lost modem /org/freedesktop/ModemManager1/Modem/0" "$work/bridge.log" ||
  fail "no log line for the lost modem"
grep -q "reading modem /org/freedesktop/ModemManager1/Modem/1 (equipment identifier $imei)" \
  "$work/bridge.log" || fail "no log line for the re-plugged modem"
grep -q "stopping (SIGTERM): .* readings published" "$work/bridge.log" ||
  fail "no counters on the way out"
[ ! -e "$work/feed" ] || fail "the feed's socket file was left behind"
kill -INT "$slow_pid"
code=0
wait_exit "$slow_pid" 10 || code=$?
[ "$code" -eq 0 ] || fail "SIGINT: exit $code, want 0"
echo "mm_bridge: ok"
