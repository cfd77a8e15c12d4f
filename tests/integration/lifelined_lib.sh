# Shared by the lifelined integration tests (source it): a lab with a unique prefix, the
# real lifelined in the lab's gateway namespace, 1 kHz class streams from the LAN client to
# HQ, and cleanup of all of it in an EXIT trap, even when a test fails.
# The sourcing script is called as: SCRIPT BUILD_DIR SOURCE_DIR.
set -euo pipefail
export LC_ALL=C

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root (network namespaces)"
  exit 0
fi
lab=$src/lab/lab.sh
tools=$build/lab/tools
stream=$tools/lifeline-lab-stream
lifelined=$build/controller/lifelined
reflector=$build/reflector/lifeline-reflector
for b in "$lifelined" "$reflector" "$stream" "$tools/lifeline-lab-delay"; do
  [[ -x $b ]] || { echo "FAIL: $b is not built" >&2; exit 1; }
done
prefix=lft-$$-$(od -An -tx1 -N2 /dev/urandom | tr -d ' \n')
export LAB_PREFIX=$prefix
work=$(mktemp -d)
bg_pids=()
lifelined_pid=
failures=0

cleanup() {
  local rc=$? p
  set +e
  [[ -n $lifelined_pid ]] && kill -TERM "$lifelined_pid" 2>/dev/null && wait "$lifelined_pid" 2>/dev/null
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  if [[ $rc -ne 0 || $failures -ne 0 ]] && [[ -f $work/lifelined.log ]]; then
    echo "---- lifelined log (last 60 lines)" >&2
    tail -60 "$work/lifelined.log" >&2
  fi
  [[ -d /run/lifeline-lab/$prefix ]] && "$lab" down --prefix "$prefix" >/dev/null 2>&1
  for p in $(ip netns list | awk -v a="$prefix" 'index($1, a) == 1 {print $1}'); do ip netns del "$p"; done
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { echo "ok   - $*"; }
fail() { echo "FAIL - $*" >&2; failures=$((failures + 1)); }
finish() {
  check_undisturbed
  if [[ $failures -gt 0 ]]; then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}

# The traffic generators stand in for other machines, as the lab's network does (lab/lab.sh):
# they run at its real-time priority, so a busy CPU slows down nothing but itself.
traffic_prio=()
if chrt -f "${LAB_RT_PRIORITY:-60}" true 2>/dev/null && [[ ${LAB_RT_PRIORITY:-60} -gt 0 ]]; then
  traffic_prio=(chrt -f "${LAB_RT_PRIORITY:-60}")
fi

# Foreground only: in the background a shell function is a subshell, and its $! would not be
# the command's pid. Background commands use `ip netns exec` directly (it execs).
in_ns() { local node=$1; shift; ip netns exec "$prefix-$node" "$@"; }

# Class traffic of config/examples/lab.yaml: source address, DSCP, destination port.
declare -A SRC4=([c2]=198.18.10.10 [isr]=198.18.10.74 [voice]=198.18.10.130 [logistics]=198.18.11.10)
declare -A SRC6=([c2]=2001:db8:10:1::10 [isr]=2001:db8:10:2::10 [voice]=2001:db8:10::10 [logistics]=2001:db8:10:3::10)
declare -A DSCP=([c2]=48 [isr]=34 [voice]=26 [logistics]=0)
declare -A PORT=([c2]=10001 [isr]=9100 [voice]=16400 [logistics]=9200)
readonly SINK4=198.19.0.100 SINK6=2001:db8:ff::100
# The NAT address a flow leaves with tells which uplink it took.
declare -A NAT4=([5g]=198.18.1.1 [leo]=198.18.2.1 [geo]=198.18.3.1 [cloud]=198.18.4.1)
declare -A NAT6=([5g]=2001:db8:1::1 [leo]=2001:db8:2::1 [geo]=2001:db8:3::1 [cloud]=2001:db8:4::1)

lab_up() {
  if ! "$lab" up --prefix "$prefix" --tools "$tools" --reflector "$reflector" "$@" >"$work/up.out" 2>"$work/up.err"; then
    cat "$work/up.err" >&2
    fail "lab.sh up"
    exit 1
  fi
}

# A copy of the lab config with sed expressions applied (faster hold-downs for tests).
lab_config() {
  local out=$work/lifeline.yaml
  sed "$@" "$src/config/examples/lab.yaml" >"$out"
  echo "$out"
}

wait_log() {  # wait_log PATTERN SECONDS [FROM_LINE]: polls the daemon's log
  local pattern=$1 budget=$2 from=${3:-1} i
  for ((i = 0; i < budget * 50; i++)); do
    tail -n +"$from" "$work/lifelined.log" 2>/dev/null | grep -q -- "$pattern" && return 0
    sleep 0.02
  done
  return 1
}
log_lines() { if [[ -f $work/lifelined.log ]]; then wc -l <"$work/lifelined.log"; else echo 0; fi; }

# What the test does to the base, in log order: "LOGLINE WHAT on|off" (WHAT: a link, or
# class:NAME for a class it moves by hand). Anything else that happens is lifelined's own
# doing, and check_undisturbed (run by finish) fails the test for it:
#  - a link that goes down while the test did not disturb it (a stall, a false detection);
#  - a class that leaves the link it failed back to, other than by failing back further to a
#    link it prefers, while the test did not disturb that link or that class (failback
#    flapping).
disturb() {  # disturb WHAT on|off
  echo "$(log_lines) $1 $2" >>"$work/disturbances"
  # The cloud VPN rides over 5G (carried_over in config/examples/lab.yaml): 5G takes it along.
  [[ $1 == 5g ]] && echo "$(log_lines) cloud $2" >>"$work/disturbances"
  return 0
}
check_undisturbed() {
  [[ -f $work/lifelined.log ]] || return 0
  touch "$work/disturbances"
  local found
  found=$(awk -v disturbances="$work/disturbances" '
    BEGIN {
      while ((getline line < disturbances) > 0) {
        split(line, f, " "); n++; at[n] = f[1]; what[n] = f[2]; state[n] = f[3]
      }
    }
    # Was WHAT disturbed at any time in [from, to) (log lines)?
    function disturbed(w, from, to,   i, s) {
      s = "off"
      for (i = 1; i <= n; i++) {
        if (what[i] != w) continue
        if (at[i] < from) s = state[i]
        else if (at[i] < to && state[i] == "on") return 1
      }
      return s == "on"
    }
    match($0, /link [^ :]+: (up|degraded) -> down/) {
      l = substr($0, RSTART + 5); sub(/:.*/, "", l)
      if (!disturbed(l, NR, NR + 1)) print "link " l " went down undisturbed (log line " NR "): " $0
    }
    match($0, /class [^ :]+: [^ ]+ -> [^ :]+: /) {
      c = substr($0, RSTART + 6); sub(/:.*/, "", c)
      rest = substr($0, RSTART); sub(/^class [^ :]+: /, "", rest)
      from = rest; sub(/ .*/, "", from)
      to = rest; sub(/^[^ ]+ -> /, "", to); sub(/:.*/, "", to)
      # A second failback, on to a link it prefers even more, is no flap.
      if ((c in home) && from == home[c] && $0 !~ /\(failback\)/ &&
          !disturbed(home[c], since[c], NR) && !disturbed("class:" c, since[c], NR)) {
        print "class " c " left " from " after failing back to it (log lines " since[c] "-" NR "): " $0
      }
      delete home[c]
      if ($0 ~ /\(failback\)/) { home[c] = to; since[c] = NR }
    }
  ' "$work/lifelined.log")
  if [[ -n $found ]]; then
    while IFS= read -r line; do fail "$line"; done <<<"$found"
  else
    ok "no link went down and no class left its link but by the test's doing"
  fi
}


# The operations endpoints of a test daemon live in its work dir, not in /run/lifeline and
# /var/lib/lifeline (which systemd creates for the real service), and are owned by root (a
# test machine has no `lifeline` group). A config that sets them itself keeps its own.
with_test_operations() {  # with_test_operations CONFIG: appends what CONFIG lacks
  grep -q '^control:' "$1" || printf 'control:\n  socket: %s/control.sock\n  group: root\n' "$work" >>"$1"
  grep -q '^events:' "$1" || printf 'events:\n  socket: %s/events.sock\n' "$work" >>"$1"
  grep -q '^journal:' "$1" || printf 'journal:\n  path: %s/journal.db\n' "$work" >>"$1"
  grep -q '^metrics:' "$1" || printf 'metrics:\n  listen: 127.0.0.1:0\n' >>"$1"
}

start_lifelined() {  # start_lifelined CONFIG: returns once the links are measured
  with_test_operations "$1"
  ip netns exec "$prefix-gw" "$lifelined" --config "$1" >>"$work/lifelined.log" 2>&1 &
  lifelined_pid=$!
  if ! wait_log "links measured" 20 "${2:-1}"; then
    fail "lifelined did not settle within 20 s"
    exit 1
  fi
}

stop_lifelined() {  # SIGTERM; returns its exit code
  local rc=0
  kill -TERM "$lifelined_pid"
  wait "$lifelined_pid" || rc=$?
  lifelined_pid=
  return "$rc"
}

start_sink() {  # start_sink REPORT LISTEN...: returns once it is bound
  local report=$1 args=() l i
  shift
  for l in "$@"; do args+=(--listen "$l"); done
  rm -f "$work/sink.ready"
  ip netns exec "$prefix-hq" "${traffic_prio[@]}" "$stream" sink "${args[@]}" --report "$report" --ready "$work/sink.ready" 2>>"$work/sink.err" &
  sink_pid=$!
  bg_pids+=("$sink_pid")
  for ((i = 0; i < 250; i++)); do [[ -e $work/sink.ready ]] && return 0; sleep 0.02; done
  fail "the sink did not start"
  exit 1
}
stop_sink() { kill -TERM "$sink_pid"; wait "$sink_pid" || fail "the sink exited with an error: $(tail -3 "$work/sink.err")"; }

# The sink's listen addresses for every class in both families.
all_class_listens() {
  local c
  for c in c2 isr voice logistics; do echo "$SINK4:${PORT[$c]}" "[$SINK6]:$((PORT[$c] + 1))"; done
}

start_stream() {  # start_stream CLASS v4|v6 DURATION: a 1 kHz stream of that class
  local c=$1 family=$2 duration=$3
  if [[ $family == v4 ]]; then
    ip netns exec "$prefix-client" "${traffic_prio[@]}" "$stream" send --to "$SINK4:${PORT[$c]}" --from "${SRC4[$c]}" --dscp "${DSCP[$c]}" \
      --rate 1000 --duration "$duration" --class "$c-v4" >"$work/send-$c-v4.json" 2>/dev/null &
  else
    ip netns exec "$prefix-client" "${traffic_prio[@]}" "$stream" send --to "[$SINK6]:$((PORT[$c] + 1))" --from "${SRC6[$c]}" --dscp "${DSCP[$c]}" \
      --rate 1000 --duration "$duration" --class "$c-v6" >"$work/send-$c-v6.json" 2>/dev/null &
  fi
  bg_pids+=("$!")
  stream_pids+=("$!")
}
stream_pids=()
wait_streams() { local p; for p in "${stream_pids[@]}"; do wait "$p" || fail "a sender failed"; done; stream_pids=(); }

# stream_field REPORT NAME JQ: a field of one stream in a sink report
stream_field() { jq -r --arg n "$2" ".streams[] | select(.class == \$n) | $3" "$1"; }

impair() {  # impair LINK ACTION: prints T0 (epoch seconds)
  if [[ $2 == restore ]]; then disturb "$1" off; else disturb "$1" on; fi
  "$lab" impair "$1" "$2" --prefix "$prefix" | grep -o 't0=[0-9.]*' | cut -d= -f2
}

# The head of a config with 5G and LEO probed only by the authenticated UDP echo (no ICMP,
# which cannot be authenticated): for the tests of forged and replayed replies.
udp_echo_only_links() {
  cat <<'YAML'
node: lab-gw
links:
  - name: 5g
    interface: wwan0
    gateway: 198.18.1.2
    kind: cellular
    probes:
      - { type: udp-echo, target: 198.19.0.10:7070, key_file: /run/lifeline-lab/keys/5g.key }
  - name: leo
    interface: sat0
    gateway: 198.18.2.2
    kind: satellite
    probes:
      - { type: udp-echo, target: 198.19.0.11:7070, key_file: /run/lifeline-lab/keys/leo.key }
YAML
}

# class_route CLASS_SLOT [-6]: the default route in the class's table, as `ip route` prints it
class_route() { in_ns gw ip ${2:-} route show table $((21000 + $1)) proto 76 default; }

route_dev() {  # route_dev SLOT: the interface of class SLOT's IPv4 default route (or its type)
  local r
  r=$(class_route "$1")
  if [[ $r == *" dev "* ]]; then sed -E 's/.* dev ([^ ]+).*/\1/' <<<"$r"; else awk '{print $1}' <<<"$r"; fi
}
wait_dev() {  # wait_dev SLOT DEV SECONDS
  local i
  for ((i = 0; i < $3 * 50; i++)); do [[ $(route_dev "$1") == "$2" ]] && return 0; sleep 0.02; done
  return 1
}
# stays_on SLOT DEV SECONDS: the class's route does not leave DEV for that long (after a
# failback: fifty detection times of 5G, long enough for a flap to show).
stays_on() {
  local i dev
  for ((i = 0; i < $3 * 20; i++)); do
    dev=$(route_dev "$1")
    [[ $dev == "$2" ]] || { echo "class slot $1 left $2 for $dev after $((i * 50)) ms" >&2; return 1; }
    sleep 0.05
  done
}
