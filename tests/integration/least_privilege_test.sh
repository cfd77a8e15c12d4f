#!/usr/bin/env bash
# lifelined with exactly the privileges systemd/lifelined.service gives it, in the lab:
#  - a non-root uid and gid, no supplementary groups, no_new_privs, and only CAP_NET_ADMIN and
#    CAP_NET_RAW (ambient, and the whole bounding set): it settles, fails a class over (routes,
#    nftables, conntrack flush), reloads and stops with exit 0, logging no error;
#  - every system call it made is allowed by the unit's SystemCallFilter= lines (expanded by
#    `systemd-analyze syscall-filter`): a call outside them would fail with EPERM under systemd;
#  - with `scheduling:` in its config but without the drop-in that allows it (the shipped
#    unit's limits: RLIMIT_RTPRIO 0, a finite RLIMIT_MEMLOCK), it says why in two warnings
#    and runs at normal priority: never a reason not to start. (The allowed path needs
#    CAP_SYS_RESOURCE to raise those limits, which this machine's root lacks; it is tested
#    with the capabilities in tests/integration/realtime_test.cpp.)
# No systemd runs here, so the seccomp filter itself cannot be applied: strace counts the calls.
source "$(dirname "$0")/lifelined_lib.sh"

for tool in setpriv strace systemd-analyze; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing: run scripts/setup.sh" >&2; exit 1; }
done
unit=$src/systemd/lifelined.service

# An unused uid, and nogroup (the control socket is handed to the daemon's own group).
uid=
for candidate in $(seq 64990 64999); do
  getent passwd "$candidate" >/dev/null || { uid=$candidate; break; }
done
[[ -n $uid ]] || { echo "FAIL: no free uid in 64990-64999" >&2; exit 1; }
gid=$(getent group nogroup | cut -d: -f3)

lab_up

# What the package and systemd would provide: keys the daemon's user owns (0400), its own
# runtime and state directories, a config it can read.
chmod 0711 "$work"
mkdir -p "$work/keys" "$work/run" "$work/state" "$work/trace"
cp /run/lifeline-lab/keys/*.key "$work/keys/"
chown -R "$uid:$gid" "$work/keys" "$work/run" "$work/state" "$work/trace"
chmod 0400 "$work/keys"/*.key
chmod 0750 "$work/keys" "$work/run" "$work/state"
config=$(lab_config -e "s#/run/lifeline-lab/keys/#$work/keys/#")
# Our own control, events, metrics and journal settings in place of any the lab config has.
awk '/^(control|events|metrics|journal|scheduling):/ { skip = 1; next } /^[^ #]/ { skip = 0 } !skip' \
  "$config" >"$config.new"
cat >>"$config.new" <<EOF
control: { socket: $work/run/control.sock, group: nogroup }
events: { socket: $work/run/events.sock }
metrics: { listen: "127.0.0.1:0" }
journal: { path: $work/state/journal.db }
scheduling: { policy: fifo, priority: 10, lock_memory: true }
EOF
mv "$config.new" "$config"
chmod 0644 "$config"

# The daemon's user must reach the binary: a copy in $work (0711), as the package puts it in
# /usr/sbin, since the build tree may sit under a directory only root may enter (a checkout in
# a mktemp -d, say).
install -m 0755 "$lifelined" "$work/lifelined"
lifelined=$work/lifelined

# ip netns exec -> setpriv (drops to the unit's privileges) -> strace -> lifelined. $lifelined_pid
# is strace's pid; signals go to lifelined itself (strace would only detach).
cat >"$work/run-unprivileged" <<EOF
#!/bin/sh
exec setpriv --reuid=$uid --regid=$gid --clear-groups --no-new-privs \\
  --inh-caps=-all,+net_admin,+net_raw --ambient-caps=-all,+net_admin,+net_raw \\
  --bounding-set=-all,+net_admin,+net_raw \\
  strace -f -qq -c -o "$work/trace/syscalls" "$lifelined" "\$@"
EOF
chmod 0755 "$work/run-unprivileged"
lifelined=$work/run-unprivileged
daemon_pid=
stop_daemon() { [[ -z $daemon_pid ]] || kill -TERM "$daemon_pid" 2>/dev/null || true; }
trap 'rc=$?; set +e; stop_daemon; (exit $rc); cleanup' EXIT

start_lifelined "$config"
daemon_pid=$(pgrep -P "$lifelined_pid" | head -1)
[[ -n $daemon_pid ]] || { fail "no lifelined under strace"; exit 1; }
status=$(cat "/proc/$daemon_pid/status")
[[ $(awk '/^Uid:/ {print $2}' <<<"$status") == "$uid" ]] && ok "lifelined runs as uid $uid" ||
  fail "lifelined uid: $(grep '^Uid:' <<<"$status")"
# CAP_NET_ADMIN (12) and CAP_NET_RAW (13), nothing else.
[[ $(awk '/^CapEff:/ {print $2}' <<<"$status") == 0000000000003000 ]] &&
  ok "effective capabilities: CAP_NET_ADMIN, CAP_NET_RAW" ||
  fail "effective capabilities: $(grep '^Cap' <<<"$status")"

grep -q '^<4>cannot run the event loop at real-time priority fifo 10: Operation not permitted' "$work/lifelined.log" &&
  grep -q '^<4>memory not locked: RLIMIT_MEMLOCK is' "$work/lifelined.log" &&
  grep -q 'event loop scheduling: other$' "$work/lifelined.log" &&
  ok "scheduling: not allowed by the unit, so two warnings and normal priority" ||
  fail "scheduling: $(grep -i 'scheduling\|real-time\|memory' "$work/lifelined.log")"
fifo_threads=$(for task in /proc/"$daemon_pid"/task/*; do chrt -p "${task##*/}" 2>/dev/null; done | grep -c SCHED_FIFO || true)
[[ $fifo_threads -eq 0 ]] && ok "no thread runs SCHED_FIFO" || fail "$fifo_threads SCHED_FIFO threads"

from=$(log_lines)
impair 5g blackhole >/dev/null
wait_log "class c2: 5g -> leo" 5 "$from" && ok "c2 moved to LEO" || fail "c2 did not move"
[[ $(class_route 0) == *"dev sat0"* ]] && ok "c2's IPv4 route is via LEO" || fail "c2 route: $(class_route 0)"
[[ $(class_route 0 -6) == *"dev sat0"* ]] && ok "c2's IPv6 route is via LEO" || fail "c2 route v6: $(class_route 0 -6)"
impair 5g restore >/dev/null

from=$(log_lines)
kill -HUP "$daemon_pid"
wait_log "reloaded" 5 "$from" && ok "reloaded on SIGHUP" || fail "no reload: $(tail -n +"$from" "$work/lifelined.log")"

kill -TERM "$daemon_pid"
rc=0
wait "$lifelined_pid" || rc=$?
lifelined_pid= daemon_pid=
[[ $rc -eq 0 ]] && ok "stopped with exit 0" || fail "exit status $rc"
# Priority 3 or lower (<0>..<3>): errors, e.g. an EPERM from a missing capability.
errors=$(grep -E '^<[0-3]>' "$work/lifelined.log" || true)
[[ -z $errors ]] && ok "no error in the log" || fail "errors in the log: $errors"

# ---- system calls against the unit's filter ---------------------------------------------
expand() {  # a syscall group or name -> names, one a line
  case $1 in
    @*) systemd-analyze syscall-filter "$1" | awk 'NR > 1 && $1 !~ /^#/ { print $1 }' |
          while read -r x; do expand "$x"; done ;;
    *) echo "$1" ;;
  esac
}
: >"$work/allowed"
while read -r value; do  # SystemCallFilter= lines in order: an allow list, ~ removes, then adds
  if [[ $value == "~"* ]]; then
    for g in ${value#\~}; do expand "$g"; done | sort -u >"$work/remove"
    sort -u "$work/allowed" | comm -23 - "$work/remove" >"$work/allowed.new"
  else
    { cat "$work/allowed"; for g in $value; do expand "$g"; done; } | sort -u >"$work/allowed.new"
  fi
  mv "$work/allowed.new" "$work/allowed"
done < <(sed -n 's/^SystemCallFilter=//p' "$unit")
[[ -s $work/allowed ]] || fail "no SystemCallFilter= in $unit"
awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF }' "$work/trace/syscalls" | sort -u >"$work/used"
[[ $(wc -l <"$work/used") -gt 20 ]] || fail "strace counted too few calls: $(cat "$work/trace/syscalls")"
denied=$(comm -23 "$work/used" "$work/allowed" | tr '\n' ' ')
[[ -z $denied ]] && ok "all $(wc -l <"$work/used") system calls pass the unit's SystemCallFilter" ||
  fail "calls the unit's SystemCallFilter denies (EPERM under systemd): $denied"

finish
