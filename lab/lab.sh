#!/usr/bin/env bash
# lifeline lab: a military base in network namespaces, for lifelined's integration tests, the
# failover benchmark and the README demo (docs/lab.md has the topology and address plan).
#
#   client --- gw ===wwan0=== c-5g ---+--- hq   (reflectors, ICMP target, traffic sinks)
#   (LAN)        ===sat0==== c-leo ---+
#                ===sat1==== c-geo ---+
#                ===vpn0 (VXLAN over wwan0 -> c-5g -> c-cloud) ---+
#
# Everything lives in namespaces named <prefix>-<node>; the host's own namespace is never
# changed. Addresses: 198.18.0.0/15 and 2001:db8::/32 only. Run as root.
set -euo pipefail
export LC_ALL=C

LAB_ROOT=/run/lifeline-lab
KEY_DIR=$LAB_ROOT/keys
SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
readonly SCRIPT
REPO=$(cd "$(dirname "$SCRIPT")/.." && pwd)
readonly REPO

readonly NODES=(client gw c-5g c-leo c-geo c-cloud hq)
readonly LINKS=(5g leo geo cloud)

# ---------------------------------------------------------------- address plan
# Per link: gw's uplink interface and addresses, the carrier's gw-facing side (the link's
# gateway in config/examples/lab.yaml), the carrier<->hq transit.
declare -A UPLINK=([5g]=wwan0 [leo]=sat0 [geo]=sat1 [cloud]=vpn0)
declare -A GW4=([5g]=198.18.1.1 [leo]=198.18.2.1 [geo]=198.18.3.1 [cloud]=198.18.4.1)
declare -A NH4=([5g]=198.18.1.2 [leo]=198.18.2.2 [geo]=198.18.3.2 [cloud]=198.18.4.2)
declare -A NET4=([5g]=198.18.1.0/24 [leo]=198.18.2.0/24 [geo]=198.18.3.0/24 [cloud]=198.18.4.0/24)
declare -A GW6=([5g]=2001:db8:1::1 [leo]=2001:db8:2::1 [geo]=2001:db8:3::1 [cloud]=2001:db8:4::1)
declare -A NH6=([5g]=2001:db8:1::2 [leo]=2001:db8:2::2 [geo]=2001:db8:3::2 [cloud]=2001:db8:4::2)
declare -A NET6=([5g]=2001:db8:1::/64 [leo]=2001:db8:2::/64 [geo]=2001:db8:3::/64 [cloud]=2001:db8:4::/64)
declare -A TRC4=([5g]=198.18.21.1 [leo]=198.18.22.1 [geo]=198.18.23.1 [cloud]=198.18.24.1)
declare -A TRH4=([5g]=198.18.21.2 [leo]=198.18.22.2 [geo]=198.18.23.2 [cloud]=198.18.24.2)
declare -A TRC6=([5g]=2001:db8:21::1 [leo]=2001:db8:22::1 [geo]=2001:db8:23::1 [cloud]=2001:db8:24::1)
declare -A TRH6=([5g]=2001:db8:21::2 [leo]=2001:db8:22::2 [geo]=2001:db8:23::2 [cloud]=2001:db8:24::2)
declare -A SRC_TABLE=([5g]=1001 [leo]=1002 [geo]=1003 [cloud]=1004)  # gw: source routing
# The cloud VPN: VXLAN from gw (198.18.1.1, over wwan0) to the concentrator in c-cloud,
# whose underlay hangs off the 5G carrier's core (198.18.5.0/24).
readonly CORE_5G=198.18.5.1 CONCENTRATOR=198.18.5.2 VXLAN_ID=4242 VXLAN_PORT=4789
# The carrier-side interface that carries everything of the link (impairments go there).
declare -A IMPAIR_DEV=([5g]=gw0 [leo]=gw0 [geo]=gw0 [cloud]=u5g0)
# ... and the interface that faces the base (delay line and anti-spoofing key on it).
declare -A BASE_DEV=([5g]=gw0 [leo]=gw0 [geo]=gw0 [cloud]=vpn0)

readonly LAN_GW4=198.18.10.254 LAN_GW6=2001:db8:10::1
declare -A CLIENT4=([plain]=198.18.10.130 [c2]=198.18.10.10 [isr]=198.18.10.74 [logistics]=198.18.11.10)
declare -A CLIENT6=([plain]=2001:db8:10::10 [c2]=2001:db8:10:1::10 [isr]=2001:db8:10:2::10 [logistics]=2001:db8:10:3::10)
readonly CLIENT_ROLES=(plain c2 isr logistics)

HQ_ICMP4=198.19.0.1 HQ_ICMP6=2001:db8:ff::1 HQ_SINK4=198.19.0.100 HQ_SINK6=2001:db8:ff::100
declare -A REFL4=([5g]=198.19.0.10 [leo]=198.19.0.11 [geo]=198.19.0.12 [cloud]=198.19.0.13)
declare -A REFL6=([5g]=2001:db8:ff::10 [leo]=2001:db8:ff::11 [geo]=2001:db8:ff::12 [cloud]=2001:db8:ff::13)
readonly REFL_PORT=7070
declare -A KEY_ID=([5g]=1 [leo]=2 [geo]=3 [cloud]=4)

# The lab's network (each carrier's `nft -i` and delay line, the HQ reflectors) stands in
# for other machines, so it must not wait for this one's CPU: it runs SCHED_FIFO at
# LAB_RT_PRIORITY (above a lifelined configured for real-time priority, 50 in lab.yaml), so
# that two CPU hogs or a parallel build slow down nothing but themselves. They use almost no
# CPU. LAB_RT_PRIORITY=0 runs them at nice LAB_NICE instead (as does a lack of CAP_SYS_NICE).
LAB_RT_PRIORITY=${LAB_RT_PRIORITY:-60}
LAB_NICE=${LAB_NICE:--10}
[[ $LAB_NICE =~ ^-?[0-9]+$ ]] || { echo "lab: LAB_NICE must be a number" >&2; exit 2; }
[[ $LAB_RT_PRIORITY =~ ^[0-9]+$ && $LAB_RT_PRIORITY -le 99 ]] ||
  { echo "lab: LAB_RT_PRIORITY must be 0 to 99" >&2; exit 2; }
# The command prefix that runs a program at the lab network's priority (chrt and nice exec
# the program: its pid stays the one recorded).
lab_prio() {
  if ((LAB_RT_PRIORITY > 0)) && chrt -f "$LAB_RT_PRIORITY" true 2>/dev/null; then
    PRIO=(chrt -f "$LAB_RT_PRIORITY")
  else
    PRIO=(nice -n "$LAB_NICE")
  fi
}

# One-way delays of the carriers (the delay line in each carrier namespace).
declare -A DEFAULT_DELAY=([5g]=0ms [leo]=20ms [geo]=300ms [cloud]=0ms)

# ---------------------------------------------------------------- helpers
log() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }
usage_die() { printf 'lab: %s\n(see lab.sh --help)\n' "$*" >&2; exit 2; }

need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root (it creates network namespaces)"; }

# Every address the script configures passes through here: 198.18.0.0/15, 2001:db8::/32.
addr_ok() {
  local a=${1%/*}
  if [[ $a == *:* ]]; then
    [[ ${a,,} =~ ^2001:0?db8: ]]
  else
    local o1 o2 rest
    IFS=. read -r o1 o2 rest <<<"$a"
    [[ $o1 == 198 && ($o2 == 18 || $o2 == 19) ]]
  fi
}
need_addr() { local x; for x in "$@"; do addr_ok "$x" || die "refusing address $x (198.18.0.0/15 or 2001:db8::/32 only)"; done; }

# "pid starttime": the start time (clock ticks since boot) tells a reused pid apart.
proc_start() {
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }
  # shellcheck disable=SC2086
  set -- $st
  echo "${20}"
}
pid_alive() {   # pid_alive PID [STARTTIME]: running (not a zombie) and, if given, the same process
  local st
  [[ -n ${1:-} && -r /proc/$1/stat ]] || return 1
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }
  [[ ${st%% *} != Z ]] || return 1
  [[ -z ${2:-} || $(proc_start "$1") == "$2" ]]
}
stop_pid() {    # stop_pid PID [STARTTIME]: TERM, up to 2 s, then KILL
  local pid=$1 start=${2:-} i
  pid_alive "$pid" "$start" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do pid_alive "$pid" "$start" || return 0; sleep 0.02; done
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do pid_alive "$pid" "$start" || return 0; sleep 0.02; done
}

nsname() { printf '%s-%s' "$PREFIX" "$1"; }
ns_exists() { [[ -e /run/netns/$1 ]]; }
in_ns() { local n; n=$(nsname "$1"); shift; ip netns exec "$n" "$@"; }
ipn() { local n; n=$(nsname "$1"); shift; ip -n "$n" "$@"; }

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

valid_prefix() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$ && $1 != keys ]]; }

node_ok() { local n; for n in "${NODES[@]}"; do [[ $n == "$1" ]] && return 0; done; return 1; }
link_ok() { [[ -n ${UPLINK[$1]:-} ]]; }
carrier_of() { echo "c-$1"; }

# ---------------------------------------------------------------- lab selection
# Commands other than `up` find their lab by --prefix, then $LAB_PREFIX, then "the only lab".
list_labs() {
  local d
  [[ -d $LAB_ROOT ]] || return 0
  for d in "$LAB_ROOT"/*/; do
    d=${d%/}
    [[ -e $d/lab.env ]] && basename "$d"
  done
  return 0
}
select_lab() {
  PREFIX=${OPT_PREFIX:-${LAB_PREFIX:-}}
  if [[ -z $PREFIX ]]; then
    local labs
    mapfile -t labs < <(list_labs)
    [[ ${#labs[@]} -eq 1 ]] || die "$(if ((${#labs[@]})); then echo "several labs (${labs[*]}): say which with --prefix"; else echo "no lab is up (lab.sh up)"; fi)"
    PREFIX=${labs[0]}
  fi
  valid_prefix "$PREFIX" || usage_die "bad prefix '$PREFIX'"
  STATE_DIR=$LAB_ROOT/$PREFIX
  [[ -e $STATE_DIR/lab.env ]] || die "no lab '$PREFIX' ($STATE_DIR/lab.env is missing)"
  # shellcheck disable=SC1091
  source "$STATE_DIR/lab.env"
}

# ---------------------------------------------------------------- teardown
# Stops what the lab started (by pid), then anything else still running inside its
# namespaces (a lifelined a test started with `lab.sh exec`), then deletes the namespaces.
teardown() {
  local prefix=$1 dir=$LAB_ROOT/$1 name pid start node ns p
  if [[ -r $dir/owner ]]; then
    read -r pid start <"$dir/owner" || true
    [[ ${pid:-} != "$$" ]] && stop_pid "${pid:-}" "${start:-}"
  fi
  if [[ -r $dir/pids ]]; then
    while read -r name pid start; do stop_pid "$pid" "$start"; done <"$dir/pids"
  fi
  for node in "${NODES[@]}"; do
    ns=$prefix-$node
    ns_exists "$ns" || continue
    for p in $(ip netns pids "$ns" 2>/dev/null); do
      [[ $p == "$$" ]] || stop_pid "$p" "$(proc_start "$p" || true)"
    done
    ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"
  done
  rm -rf "$dir"
  # The keys are shared by all labs: they go with the last one.
  if [[ -d $LAB_ROOT && -z $(list_labs) ]]; then
    rm -rf "$KEY_DIR"
    rmdir "$LAB_ROOT" 2>/dev/null || true
  fi
}

# ---------------------------------------------------------------- up: building blocks
write_env() {   # the lab's facts, for this script's other commands and for tests (source it)
  local l r r2
  {
    printf '# lifeline lab %s: source this file (written by lab.sh up)\n' "$PREFIX"
    printf 'PREFIX=%q\nSTATE_DIR=%q\nKEY_DIR=%q\n' "$PREFIX" "$STATE_DIR" "$KEY_DIR"
    printf 'DELAY_BIN=%q\nSTREAM_BIN=%q\nREFLECTOR_BIN=%q\n' "$DELAY_BIN" "$STREAM_BIN" "${REFLECTOR_BIN:-}"
    printf 'ANTISPOOF=%q\nLAB_NICE=%q\n' "$ANTISPOOF" "$LAB_NICE"
    for r in "${NODES[@]}"; do r2=${r//-/_}; printf 'NS_%s=%q\n' "${r2^^}" "$(nsname "$r")"; done
    for l in "${LINKS[@]}"; do
      printf 'IF_%s=%q\n' "${l^^}" "${UPLINK[$l]}"
      printf 'BASE_DELAY_%s=%q\nBASE_JITTER_%s=%q\nBASE_RATE_%s=%q\n' \
        "${l^^}" "${DELAY[$l]}" "${l^^}" "${JITTER[$l]}" "${l^^}" "${RATE[$l]}"
      printf 'IMPAIR_FIFO_%s=%q\nDELAY_CTL_%s=%q\n' \
        "${l^^}" "$STATE_DIR/impair-$l.fifo" "${l^^}" "$STATE_DIR/delay-$l.ctl"
    done
    printf 'HQ_ICMP4=%s\nHQ_ICMP6=%s\nHQ_SINK4=%s\nHQ_SINK6=%s\n' "$HQ_ICMP4" "$HQ_ICMP6" "$HQ_SINK4" "$HQ_SINK6"
  } >"$STATE_DIR/lab.env"
}

make_keys() {
  local l f
  mkdir -p "$KEY_DIR"
  chmod 0700 "$KEY_DIR"
  for l in "${LINKS[@]}"; do
    f=$KEY_DIR/$l.key
    [[ -s $f ]] && continue
    # noclobber: two labs coming up at once keep whichever key was written first
    (set -C; umask 077; printf '%s %s\n' "${KEY_ID[$l]}" "$(random_hex 32)" >"$f") 2>/dev/null || true
    chmod 0600 "$f"
  done
}

mk_ns() {
  local node=$1 router=$2 ns
  ns=$(nsname "$node")
  ip netns add "$ns"
  # Before any interface exists, so the defaults reach every one: no DAD, no RA/RS, no SLAAC
  # (nothing but what we configure), no reverse-path filter (policy routing and the delay
  # line's TUN devices would trip it; carriers filter spoofed sources explicitly instead).
  local -a s=(
    net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
    net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    net.ipv6.conf.all.dad_transmits=0 net.ipv6.conf.default.dad_transmits=0
    net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
    net.ipv6.conf.all.autoconf=0 net.ipv6.conf.default.autoconf=0
    net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  )
  if [[ $router == router ]]; then
    s+=(net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.forwarding=1)
  fi
  ip netns exec "$ns" sysctl -qw "${s[@]}" >/dev/null
  ip -n "$ns" link set lo up
}

veth() {        # veth NODE_A IF_A NODE_B IF_B: created inside the namespaces, never on the host
  ip -n "$(nsname "$1")" link add "$2" type veth peer name "$4" netns "$(nsname "$3")"
  ipn "$1" link set "$2" up
  ipn "$3" link set "$4" up
}

addr() {        # addr NODE IF ADDR/LEN [extra]
  need_addr "$3"
  if [[ $3 == *:* ]]; then ipn "$1" addr add "$3" dev "$2" nodad "${@:4}"
  else ipn "$1" addr add "$3" dev "$2" "${@:4}"; fi
}

build_topology() {
  local l c
  mk_ns client host
  mk_ns gw router
  for l in "${LINKS[@]}"; do mk_ns "$(carrier_of "$l")" router; done
  mk_ns hq host

  veth client eth0 gw lan0
  for l in 5g leo geo; do
    c=$(carrier_of "$l")
    veth gw "${UPLINK[$l]}" "$c" gw0
    veth "$c" hq0 hq "$c"
  done
  veth c-5g cloud0 c-cloud u5g0
  veth c-cloud hq0 hq c-cloud

  # -- client: one address per class source range, as in the example config
  local r first=1
  for r in "${CLIENT_ROLES[@]}"; do
    addr client eth0 "${CLIENT4[$r]}/23"
    if ((first)); then addr client eth0 "${CLIENT6[$r]}/56"; first=0
    else addr client eth0 "${CLIENT6[$r]}/56" noprefixroute; fi
  done
  ipn client route add default via "$LAN_GW4"
  ipn client -6 route add default via "$LAN_GW6"

  # -- gw
  addr gw lan0 "$LAN_GW4/23"
  addr gw lan0 "$LAN_GW6/56"
  for l in 5g leo geo; do
    addr gw "${UPLINK[$l]}" "${GW4[$l]}/24"
    addr gw "${UPLINK[$l]}" "${GW6[$l]}/64"
  done
  need_addr "$CONCENTRATOR" "$CORE_5G"
  ipn gw link add vpn0 type vxlan id "$VXLAN_ID" local "${GW4[5g]}" remote "$CONCENTRATOR" \
    dev wwan0 dstport "$VXLAN_PORT" nolearning
  addr gw vpn0 "${GW4[cloud]}/24"
  addr gw vpn0 "${GW6[cloud]}/64"
  ipn gw link set vpn0 up
  # The VPN's underlay always leaves through 5G, whatever lifelined does with the classes.
  ipn gw route add "$CONCENTRATOR/32" via "${NH4[5g]}" dev wwan0
  # The base's ordinary default route: 5G, as a real base has it. lifelined's class tables
  # override it; `when_none: main` classes use it.
  ipn gw route add default via "${NH4[5g]}" dev wwan0
  ipn gw -6 route add default via "${NH6[5g]}" dev wwan0
  # Source routing for the uplinks' own addresses (as any multihomed router has), so that
  # `ping -I <uplink address>` tests one carrier. LAN traffic never matches these rules.
  for l in "${LINKS[@]}"; do
    ipn gw route add default via "${NH4[$l]}" dev "${UPLINK[$l]}" table "${SRC_TABLE[$l]}"
    ipn gw -6 route add default via "${NH6[$l]}" dev "${UPLINK[$l]}" table "${SRC_TABLE[$l]}"
    ipn gw rule add pref "${SRC_TABLE[$l]}" from "${GW4[$l]}" lookup "${SRC_TABLE[$l]}"
    ipn gw -6 rule add pref "${SRC_TABLE[$l]}" from "${GW6[$l]}" lookup "${SRC_TABLE[$l]}"
  done

  # -- carriers 5G, LEO, GEO
  for l in 5g leo geo; do
    c=$(carrier_of "$l")
    addr "$c" gw0 "${NH4[$l]}/24"
    addr "$c" gw0 "${NH6[$l]}/64"
    addr "$c" hq0 "${TRC4[$l]}/24"
    addr "$c" hq0 "${TRC6[$l]}/64"
    ipn "$c" route add default via "${TRH4[$l]}"
    ipn "$c" -6 route add default via "${TRH6[$l]}"
  done
  addr c-5g cloud0 "$CORE_5G/24"

  # -- c-cloud: the VPN concentrator
  addr c-cloud u5g0 "$CONCENTRATOR/24"
  ipn c-cloud route add "${GW4[5g]}/32" via "$CORE_5G" dev u5g0
  ipn c-cloud link add vpn0 type vxlan id "$VXLAN_ID" local "$CONCENTRATOR" remote "${GW4[5g]}" \
    dev u5g0 dstport "$VXLAN_PORT" nolearning
  addr c-cloud vpn0 "${NH4[cloud]}/24"
  addr c-cloud vpn0 "${NH6[cloud]}/64"
  ipn c-cloud link set vpn0 up
  addr c-cloud hq0 "${TRC4[cloud]}/24"
  addr c-cloud hq0 "${TRC6[cloud]}/64"
  ipn c-cloud route add default via "${TRH4[cloud]}"
  ipn c-cloud -6 route add default via "${TRH6[cloud]}"

  # -- hq: services on lo, a route back to each carrier's base-side prefix (gw masquerades)
  local a
  for a in "$HQ_ICMP4" "${REFL4[@]}" "$HQ_SINK4"; do addr hq lo "$a/32"; done
  for a in "$HQ_ICMP6" "${REFL6[@]}" "$HQ_SINK6"; do addr hq lo "$a/128"; done
  for l in "${LINKS[@]}"; do
    c=$(carrier_of "$l")
    addr hq "$c" "${TRH4[$l]}/24"
    addr hq "$c" "${TRH6[$l]}/64"
    ipn hq route add "${NET4[$l]}" via "${TRC4[$l]}"
    ipn hq -6 route add "${NET6[$l]}" via "${TRC6[$l]}"
  done
}

setup_nftables() {
  local l c dev
  # gw: masquerade on every uplink, like a real base (the carriers only route their own
  # customer prefix back).
  in_ns gw nft -f - <<EOF
table inet lab_gw {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname { "wwan0", "sat0", "sat1", "vpn0" } masquerade
  }
}
EOF
  for l in "${LINKS[@]}"; do
    c=$(carrier_of "$l")
    dev=${IMPAIR_DEV[$l]}
    # Impairments: netdev hooks on the carrier's side of the link. Both chains start empty;
    # `impair` fills them in one transaction through the carrier's `nft -i`.
    in_ns "$c" nft -f - <<EOF
table netdev lab_impair {
  chain from_gw { type filter hook ingress device "$dev" priority -500; policy accept; }
  chain to_gw { type filter hook egress device "$dev" priority -500; policy accept; }
}
EOF
    if [[ $ANTISPOOF == 1 ]]; then
      # A carrier only accepts its own customer's source addresses (BCP 38), as a real one
      # does. The gateway masquerades everything, so this only catches traffic that escapes
      # its NAT (untracked, or someone else's NAT rule); a masqueraded flow that moves to
      # another uplink is re-NATed by the kernel (its conntrack entry is dropped when the
      # output interface changes).
      in_ns "$c" nft -f - <<EOF
table inet lab_carrier {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "${BASE_DEV[$l]}" ip saddr != ${NET4[$l]} counter drop comment "antispoof"
    iifname "${BASE_DEV[$l]}" ip6 saddr != ${NET6[$l]} counter drop comment "antispoof"
  }
}
EOF
    fi
  done
}

# Routes the traffic crossing each carrier into its delay line: what arrives from the base
# goes into dlA (the tool releases it on dlB after the delay), what arrives from the network
# goes into dlB. A blackhole behind each keeps a dead delay line from silently turning into a
# zero-delay carrier. The rules are only in place while the line has something to do (a
# delay, jitter or rate): a carrier with nothing to add (5G and cloud by default) forwards in
# the kernel, so a busy machine's scheduling stalls of a user-space process never show up as
# loss on the primary path.
setup_delay_routing() {
  local l c t dev
  for l in "${LINKS[@]}"; do
    c=$(carrier_of "$l")
    for t in 100 101; do
      dev=dlA
      [[ $t == 101 ]] && dev=dlB
      ipn "$c" route add default dev "$dev" table "$t"
      ipn "$c" route add blackhole default metric 4294967295 table "$t"
      ipn "$c" -6 route add default dev "$dev" table "$t"
      ipn "$c" -6 route add blackhole default metric 4294967295 table "$t"
    done
    # the settings the delay line started with, from its "ready" line
    delay_rules "$l" "$(delay_needed "$(grep -m1 '"event":"ready"' "$STATE_DIR/delay-$l.log")")"
  done
}

delay_rules() {   # delay_rules LINK on|off: route the carrier's traffic through its delay line
  local l=$1 c want=$2 iface fam pref
  c=$(carrier_of "$l")
  local -a rules=("100 ${BASE_DEV[$l]}" "101 hq0")
  [[ $l == 5g ]] && rules+=("101 cloud0")
  for fam in -4 -6; do
    for r in "${rules[@]}"; do
      read -r pref iface <<<"$r"
      local present=0
      [[ -n $(ipn "$c" "$fam" rule show pref "$pref" iif "$iface" 2>/dev/null) ]] && present=1
      if [[ $want == on && $present == 0 ]]; then
        ipn "$c" "$fam" rule add pref "$pref" iif "$iface" lookup "$pref"
      elif [[ $want == off && $present == 1 ]]; then
        ipn "$c" "$fam" rule del pref "$pref" iif "$iface" lookup "$pref"
      fi
    done
  done
}

delay_active() {  # delay_active LINK: is the carrier's traffic routed through its delay line?
  [[ -n $(ipn "$(carrier_of "$1")" -4 rule show pref 100 2>/dev/null) ]]
}

# ---------------------------------------------------------------- keeper
# The lab's long-lived processes (per carrier an `nft -i` and a delay line; optionally the
# reflectors) are children of one keeper process, so they are reaped when they exit and
# stopped together. Its pid is the lab's owner: `clean-stale` removes labs whose keeper died.
keeper_main() {
  STATE_DIR=$1
  # shellcheck disable=SC1091
  source "$STATE_DIR/lab.env"
  local -a fds=() pids=() names=()
  local stopping=0 l c fd pid i
  local -a PRIO
  lab_prio
  record() {
    names+=("$1")
    pids+=("$2")
    echo "$1 $2 $(proc_start "$2" || echo 0)" >>"$STATE_DIR/pids"
  }
  # shellcheck disable=SC2317
  keeper_stop() {
    stopping=1
    for fd in "${fds[@]}"; do eval "exec ${fd}>&-"; done    # nft -i sees EOF
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
      local n
      for ((n = 0; n < 100; n++)); do pid_alive "${pids[i]}" || break; sleep 0.02; done
      kill -KILL "${pids[i]}" 2>/dev/null || true
      wait "${pids[i]}" 2>/dev/null || true
    done
    echo "keeper: stopped $(date -u +%FT%T.%NZ)"
    exit 0
  }
  trap keeper_stop TERM INT HUP
  local me=$BASHPID    # not inside $(...), where BASHPID is the subshell's
  echo "$me $(proc_start "$me")" >"$STATE_DIR/owner"
  echo "keeper: pid $me"
  for l in 5g leo geo cloud; do
    c=$PREFIX-c-$l
    local u=${l^^} delay_var jitter_var rate_var
    delay_var=BASE_DELAY_$u jitter_var=BASE_JITTER_$u rate_var=BASE_RATE_$u
    mkfifo "$STATE_DIR/impair-$l.fifo"
    exec {fd}<>"$STATE_DIR/impair-$l.fifo"
    fds+=("$fd")
    ip netns exec "$c" "${PRIO[@]}" nft -i <"$STATE_DIR/impair-$l.fifo" >"$STATE_DIR/nft-$l.log" 2>&1 &
    record "nft-$l" $!
    local -a opts=(--dev-a dlA --dev-b dlB --delay "${!delay_var}"
      --control "$STATE_DIR/delay-$l.ctl" --ready "$STATE_DIR/delay-$l.ready")
    [[ -n ${!jitter_var} ]] && opts+=(--jitter "${!jitter_var}")
    [[ -n ${!rate_var} ]] && opts+=(--rate "${!rate_var}")
    ip netns exec "$c" "${PRIO[@]}" "$DELAY_BIN" "${opts[@]}" >"$STATE_DIR/delay-$l.log" 2>&1 &
    record "delay-$l" $!
  done
  if [[ -n ${REFLECTOR_BIN:-} ]]; then
    for l in 5g leo geo cloud; do
      local v4 v6
      read -r _ v4 v6 < <(grep "^$l " "$STATE_DIR/reflectors")
      ip netns exec "$PREFIX-hq" "${PRIO[@]}" "$REFLECTOR_BIN" --listen "$v4" --listen "$v6" \
        --key-file "$KEY_DIR/$l.key" >"$STATE_DIR/reflector-$l.log" 2>&1 &
      record "reflector-$l" $!
    done
  fi
  touch "$STATE_DIR/keeper.started"
  while ((!stopping)); do
    wait -n 2>/dev/null || true
    local alive=0
    for i in "${!pids[@]}"; do
      if pid_alive "${pids[i]}"; then alive=1
      elif [[ -n ${names[i]} ]]; then
        echo "keeper: ${names[i]} (pid ${pids[i]}) exited $(date -u +%FT%T.%NZ)"
        echo "${names[i]}" >>"$STATE_DIR/exited"
        names[i]=""
      fi
    done
    ((alive)) || { echo "keeper: nothing left to keep"; exit 1; }
  done
}

# ---------------------------------------------------------------- commands
find_tool() {   # find_tool NAME [SUBDIR]: --tools DIR, then build*/SUBDIR of this repo, then PATH
  local name=$1 sub=${2:-lab/tools} d
  if [[ -n ${OPT_TOOLS:-} && $sub == lab/tools ]]; then
    [[ -x $OPT_TOOLS/$name ]] && { readlink -f "$OPT_TOOLS/$name"; return; }
    die "$name not found in $OPT_TOOLS"
  fi
  for d in "$REPO"/build/"$sub" "$REPO"/build*/"$sub"; do
    [[ -x $d/$name ]] && { readlink -f "$d/$name"; return; }
  done
  command -v "$name" 2>/dev/null && return
  die "$name not found: build it (cmake --build build --target $name) or pass --tools DIR"
}

parse_link_map() {  # parse_link_map OPTION SPEC ARRAY_NAME VALIDATOR: "leo=30ms,geo=280ms"
  local opt=$1 spec=$2 item k v
  # shellcheck disable=SC2034  # a nameref: the caller's array
  local -n map=$3
  IFS=, read -ra items <<<"$spec"
  for item in "${items[@]}"; do
    k=${item%%=*} v=${item#*=}
    [[ $item == *=* ]] && link_ok "$k" || usage_die "$opt: expected LINK=VALUE[,...] with LINK in ${LINKS[*]}: '$item'"
    [[ $v =~ $4 ]] || usage_die "$opt: bad value '$v' for $k"
    # shellcheck disable=SC2034  # map is a nameref to the caller's array
    map[$k]=$v
  done
}

wait_for() {    # wait_for SECONDS CMD...: poll until CMD succeeds
  local deadline=$((SECONDS + $1)) ; shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.02
  done
}

all_exist() { local f; for f in "$@"; do [[ -e $f ]] || return 1; done; }

UP_DONE=0
up_cleanup() {
  local rc=$?
  ((UP_DONE)) && return
  log "up failed (exit $rc): removing the half-built lab $PREFIX"
  [[ -n ${STATE_DIR:-} && -d $STATE_DIR ]] && for f in "$STATE_DIR"/*.log; do
    [[ -s $f ]] && { log "--- $(basename "$f")"; tail -5 "$f" >&2; }
  done
  teardown "$PREFIX"
}

cmd_up() {
  local check=1
  declare -gA DELAY JITTER RATE
  for l in "${LINKS[@]}"; do DELAY[$l]=${DEFAULT_DELAY[$l]}; JITTER[$l]=""; RATE[$l]=""; done
  ANTISPOOF=1 REFLECTOR_BIN=""
  local dur='^[0-9]+(\.[0-9]+)?(us|ms|s)$'
  while (($#)); do
    case $1 in
      --prefix) OPT_PREFIX=${2:?}; shift 2 ;;
      --tools) OPT_TOOLS=${2:?}; shift 2 ;;
      --delay) parse_link_map --delay "${2:?}" DELAY "$dur"; shift 2 ;;
      --jitter) parse_link_map --jitter "${2:?}" JITTER "$dur"; shift 2 ;;
      --rate) parse_link_map --rate "${2:?}" RATE '^([0-9]+(\.[0-9]+)?(bit|kbit|Mbit|Gbit)|none)$'; shift 2 ;;
      --no-antispoof) ANTISPOOF=0; shift ;;
      --reflector) REFLECTOR_BIN=${2:?}; shift 2 ;;
      --no-check) check=0; shift ;;
      *) usage_die "up: unknown option '$1'" ;;
    esac
  done
  need_root
  command -v nft >/dev/null || die "nft not found (apt-get install nftables)"
  DELAY_BIN=$(find_tool lifeline-lab-delay)
  STREAM_BIN=$(find_tool lifeline-lab-stream)
  if [[ -n $REFLECTOR_BIN ]]; then
    [[ $REFLECTOR_BIN == auto ]] && REFLECTOR_BIN=$(find_tool lifeline-reflector reflector)
    [[ -x $REFLECTOR_BIN ]] || die "--reflector: $REFLECTOR_BIN is not executable"
    REFLECTOR_BIN=$(readlink -f "$REFLECTOR_BIN")
  fi
  PREFIX=${OPT_PREFIX:-lfl-$(random_hex 3)}
  valid_prefix "$PREFIX" || usage_die "bad --prefix '$PREFIX' (letters, digits, . _ -; at most 40)"
  local node
  for node in "${NODES[@]}"; do
    ns_exists "$(nsname "$node")" && die "namespace $(nsname "$node") already exists: pick another --prefix, or lab.sh down --prefix $PREFIX"
  done
  mkdir -p "$LAB_ROOT"
  STATE_DIR=$LAB_ROOT/$PREFIX
  mkdir "$STATE_DIR" 2>/dev/null || die "lab $PREFIX exists already ($STATE_DIR)"
  echo "$$ $(proc_start $$)" >"$STATE_DIR/owner"
  trap up_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  write_env
  for l in "${LINKS[@]}"; do
    printf '%s %s:%s [%s]:%s\n' "$l" "${REFL4[$l]}" "$REFL_PORT" "${REFL6[$l]}" "$REFL_PORT"
  done >"$STATE_DIR/reflectors"

  log "building lab $PREFIX"
  make_keys
  build_topology
  setup_nftables

  # The keeper runs in its own session: a Ctrl-C in the shell that ran `up` must not take
  # the lab's processes down with it.
  setsid "$SCRIPT" __keeper "$STATE_DIR" </dev/null >"$STATE_DIR/keeper.log" 2>&1 &
  KEEPER_PID=$!
  local files=("$STATE_DIR/keeper.started")
  for l in "${LINKS[@]}"; do files+=("$STATE_DIR/delay-$l.ready"); done
  # shellcheck disable=SC2317
  keeper_ready() { all_exist "${files[@]}" || { pid_alive "$KEEPER_PID" || die "the keeper exited (see $STATE_DIR/keeper.log)"; return 1; }; }
  wait_for 10 keeper_ready || die "the keeper did not start its processes in 10 s (see $STATE_DIR/keeper.log)"
  setup_delay_routing
  if [[ -n $REFLECTOR_BIN ]]; then
    sleep 0.3
    [[ ! -s $STATE_DIR/exited ]] || die "a process exited right after it started: $(tr '\n' ' ' <"$STATE_DIR/exited")"
  fi
  ((check)) && self_check
  touch "$STATE_DIR/ready"
  UP_DONE=1
  trap - EXIT INT TERM
  log "lab $PREFIX is up (state: $STATE_DIR; lab.sh status --prefix $PREFIX)"
  echo "$PREFIX"
}

# Each path once, in parallel (GEO alone takes 0.6 s): the client to HQ over the default
# route, v4 and v6, and each uplink from the gateway's own address.
self_check() {
  local -a pids=() what=()
  local l
  in_ns client ping -n -q -c 1 -W 3 "$HQ_ICMP4" >/dev/null 2>&1 & pids+=($!) what+=("client->hq v4")
  in_ns client ping -n -q -c 1 -W 3 "$HQ_ICMP6" >/dev/null 2>&1 & pids+=($!) what+=("client->hq v6")
  for l in "${LINKS[@]}"; do
    in_ns gw ping -n -q -c 1 -W 3 -I "${GW4[$l]}" "$HQ_ICMP4" >/dev/null 2>&1 & pids+=($!) what+=("gw->hq via $l v4")
    in_ns gw ping -n -q -c 1 -W 3 -I "${GW6[$l]}" "$HQ_ICMP6" >/dev/null 2>&1 & pids+=($!) what+=("gw->hq via $l v6")
  done
  local i bad=()
  for i in "${!pids[@]}"; do wait "${pids[i]}" || bad+=("${what[i]}"); done
  ((${#bad[@]} == 0)) || die "self-check failed: ${bad[*]}"
  log "self-check ok: client->hq (v4, v6) and every uplink (v4, v6)"
}

cmd_down() {
  while (($#)); do
    case $1 in
      --prefix) OPT_PREFIX=${2:?}; shift 2 ;;
      *) usage_die "down: unknown option '$1'" ;;
    esac
  done
  need_root
  select_lab
  teardown "$PREFIX"
  log "lab $PREFIX removed"
}

cmd_clean_stale() {
  need_root
  local p pid start ns
  local -A seen=()
  for p in $(list_labs); do
    seen[$p]=1
    pid="" start=""
    [[ -r $LAB_ROOT/$p/owner ]] && read -r pid start <"$LAB_ROOT/$p/owner"
    if pid_alive "$pid" "$start"; then continue; fi
    log "removing stale lab $p (owner ${pid:-unknown} is gone)"
    teardown "$p"
  done
  # Namespaces of a lab whose state directory is gone too (only the default lfl- prefix can
  # be recognised without it).
  while read -r ns _; do
    if [[ $ns =~ ^(lfl-[A-Za-z0-9_.-]+)-(client|gw|c-5g|c-leo|c-geo|c-cloud|hq)$ ]]; then
      p=${BASH_REMATCH[1]}
      [[ -n ${seen[$p]:-} ]] && continue
      seen[$p]=1
      log "removing orphaned namespaces of lab $p"
      teardown "$p"
    fi
  done < <(ip netns list 2>/dev/null)
  return 0
}

cmd_exec() {
  [[ ${1:-} == --prefix ]] && { OPT_PREFIX=${2:?}; shift 2; }
  local node=${1:-}
  [[ -n $node ]] && shift || usage_die "exec: NODE CMD..."
  [[ $node == 5g || $node == leo || $node == geo || $node == cloud ]] && node=c-$node
  node_ok "$node" || usage_die "exec: unknown node '$node' (${NODES[*]})"
  (($#)) || usage_die "exec: no command"
  select_lab
  exec ip netns exec "$(nsname "$node")" "$@"
}

# Named addresses of a node: `lab.sh addr hq sink` prints 198.19.0.100.
addr_table() {
  local node=$1 l r
  case $node in
    client)
      for r in "${CLIENT_ROLES[@]}"; do echo "$r ${CLIENT4[$r]}"; echo "$r-6 ${CLIENT6[$r]}"; done
      echo "gateway $LAN_GW4"; echo "gateway-6 $LAN_GW6" ;;
    gw)
      echo "lan $LAN_GW4"; echo "lan-6 $LAN_GW6"
      for l in "${LINKS[@]}"; do
        echo "$l ${GW4[$l]}"; echo "$l-6 ${GW6[$l]}"; echo "$l-if ${UPLINK[$l]}"
        echo "$l-gateway ${NH4[$l]}"; echo "$l-gateway-6 ${NH6[$l]}"
      done ;;
    c-5g|c-leo|c-geo|c-cloud)
      l=${node#c-}
      echo "base ${NH4[$l]}"; echo "base-6 ${NH6[$l]}"
      echo "hq-side ${TRC4[$l]}"; echo "hq-side-6 ${TRC6[$l]}"
      [[ $l == 5g ]] && echo "core $CORE_5G"
      [[ $l == cloud ]] && echo "underlay $CONCENTRATOR"
      echo "impair-dev ${IMPAIR_DEV[$l]}" ;;
    hq)
      echo "icmp $HQ_ICMP4"; echo "icmp-6 $HQ_ICMP6"; echo "sink $HQ_SINK4"; echo "sink-6 $HQ_SINK6"
      for l in "${LINKS[@]}"; do
        echo "reflector-$l ${REFL4[$l]}:$REFL_PORT"; echo "reflector-$l-6 [${REFL6[$l]}]:$REFL_PORT"
        echo "key-$l $KEY_DIR/$l.key"
      done ;;
  esac
}

cmd_addr() {
  local node=${1:-} name=${2:-}
  [[ $node == 5g || $node == leo || $node == geo || $node == cloud ]] && node=c-$node
  node_ok "$node" || usage_die "addr: NODE [NAME] with NODE in ${NODES[*]}"
  if [[ -z $name ]]; then addr_table "$node"; return; fi
  local v
  v=$(addr_table "$node" | awk -v n="$name" '$1 == n {print $2}')
  [[ -n $v ]] || usage_die "addr: $node has no address named '$name' ($(addr_table "$node" | awk '{printf "%s ", $1}'))"
  echo "$v"
}

# ping LINK [-6] [ping options]: from gw's address on that uplink to HQ's ICMP target.
cmd_ping() {
  local l=${1:-} fam=4
  link_ok "$l" || usage_die "ping: LINK [-6] [ping options] with LINK in ${LINKS[*]}"
  shift
  [[ ${1:-} == -6 ]] && { fam=6; shift; }
  select_lab
  if [[ $fam == 6 ]]; then in_ns gw ping -n -I "${GW6[$l]}" "$@" "$HQ_ICMP6"
  else in_ns gw ping -n -I "${GW4[$l]}" "$@" "$HQ_ICMP4"; fi
}

impair_rules() {  # impair_rules LINK ACTION DIR -> one line: the whole nft transaction
  local action=$1 dir=$2 match="" chains=()
  case $dir in
    both) chains=(from_gw to_gw) ;;
    up) chains=(from_gw) ;;
    down) chains=(to_gw) ;;
  esac
  case $action in
    blackhole) match="" ;;
    loss=*)
      local p=${action#loss=}
      p=${p%\%}
      [[ $p =~ ^[0-9]+(\.[0-9]{1,2})?$ ]] && awk -v p="$p" 'BEGIN {exit !(p >= 0 && p <= 100)}' ||
        usage_die "impair: loss=N% with N from 0 to 100 (two decimals at most)"
      match="numgen random mod 10000 < $(awk -v p="$p" 'BEGIN {printf "%d", p * 100 + 0.5}') "
      ;;
  esac
  local out="flush chain netdev lab_impair from_gw; flush chain netdev lab_impair to_gw" c
  if [[ $action != restore ]]; then
    for c in "${chains[@]}"; do
      out+="; add rule netdev lab_impair $c ${match}counter drop comment \"$action\""
    done
  fi
  printf '%s' "$out"
}

# The number of rules `impair` expects to see once its transaction is in.
impair_rule_count() {
  in_ns "$(carrier_of "$1")" nft list table netdev lab_impair 2>/dev/null | grep -c ' drop' || true
}

delay_control() {   # delay_control LINK LINE: send to the delay line, wait for its answer
  local l=$1 line=$2 log=$STATE_DIR/delay-$1.log before pidline pid start fd
  pidline=$(grep "^delay-$l " "$STATE_DIR/pids" || true)
  read -r _ pid start <<<"$pidline"
  pid_alive "${pid:-}" "${start:-}" || die "the delay line of $l is not running"
  before=$(wc -l <"$log")
  exec {fd}<>"$STATE_DIR/delay-$l.ctl"
  printf '%s\n' "$line" >&"$fd"
  exec {fd}>&-
  # shellcheck disable=SC2317
  answered() { (($(wc -l <"$log") > before)); }
  wait_for 2 answered || die "the delay line of $l did not answer"
  local reply
  reply=$(tail -n +"$((before + 1))" "$log" | grep -m1 -E '"event":"(applied|error)"')
  [[ $reply == *'"applied"'* ]] || die "delay line of $l: $reply"
  echo "$reply"
}

# delay_needed REPLY: "on" if the settings in the delay line's answer add anything.
delay_needed() {
  grep -oE '"(delay_ms|jitter_ms|rate_bps)":[0-9.e+-]+' <<<"$1" |
    awk -F: '$2 + 0 != 0 {on = 1} END {print on ? "on" : "off"}'
}

cmd_impair() {
  local l=${1:-} action=${2:-} dir=both
  link_ok "$l" && [[ -n $action ]] || usage_die "impair: LINK blackhole|loss=N%|delay=D|jitter=D|rate=R|restore [--dir both|up|down]"
  shift 2
  while (($#)); do
    case $1 in
      --dir) dir=${2:?}; shift 2 ;;
      --prefix) OPT_PREFIX=${2:?}; shift 2 ;;
      *) usage_die "impair: unknown option '$1'" ;;
    esac
  done
  [[ $dir == both || $dir == up || $dir == down ]] || usage_die "impair: --dir both, up or down"
  need_root
  select_lab
  local c
  c=$(carrier_of "$l")
  case $action in
    delay=* | jitter=* | rate=*)
      local key=${action%%=*} suffix=""
      [[ $dir == up ]] && suffix=-ab
      [[ $dir == down ]] && suffix=-ba
      local reply t0
      reply=$(delay_control "$l" "$key$suffix=${action#*=}")
      t0=$EPOCHREALTIME
      delay_rules "$l" "$(delay_needed "$reply")"
      printf 'link=%s action=%s dir=%s t0=%s via=delay-line\n' "$l" "$action" "$dir" "$t0"
      return ;;
    blackhole | loss=* | restore) ;;
    *) usage_die "impair: unknown action '$action'" ;;
  esac
  local rules want=0
  rules=$(impair_rules "$action" "$dir")
  if [[ $action != restore ]]; then want=$([[ $dir == both ]] && echo 2 || echo 1); fi
  local pidline pid start fd t0 via=fifo
  pidline=$(grep "^nft-$l " "$STATE_DIR/pids" || true)
  read -r _ pid start <<<"$pidline"
  if pid_alive "${pid:-}" "${start:-}"; then
    # T0 is taken just before the write: nothing forks between it and nft's commit (the
    # long-lived `nft -i` only parses the line and sends one netlink batch).
    exec {fd}<>"$STATE_DIR/impair-$l.fifo"
    t0=$EPOCHREALTIME
    printf '%s\n' "$rules" >&"$fd"
    exec {fd}>&-
  else
    via="exec"   # the carrier's nft -i is gone: slower (fork + exec after T0), still correct
    t0=$EPOCHREALTIME
    printf '%s\n' "$rules" | in_ns "$c" nft -f -
  fi
  # shellcheck disable=SC2317
  in_place() { [[ $(impair_rule_count "$l") == "$want" ]]; }
  wait_for 2 in_place || die "impair $l $action: the rules did not appear (see $STATE_DIR/nft-$l.log)"
  local verified=$EPOCHREALTIME
  if [[ $action == restore ]]; then
    local reply
    reply=$(delay_control "$l" reset)
    delay_rules "$l" "$(delay_needed "$reply")"
  fi
  printf 'link=%s action=%s dir=%s t0=%s verified=%s via=%s\n' "$l" "$action" "$dir" "$t0" "$verified" "$via"
}

cmd_status() {
  local -a labs
  if [[ -n ${OPT_PREFIX:-${LAB_PREFIX:-}} ]]; then labs=("${OPT_PREFIX:-$LAB_PREFIX}")
  else mapfile -t labs < <(list_labs); fi
  ((${#labs[@]})) || { echo "no lab is up"; return 0; }
  local p
  for p in "${labs[@]}"; do
    OPT_PREFIX=$p
    select_lab
    local pid start state=up
    read -r pid start <"$STATE_DIR/owner" || true
    pid_alive "$pid" "$start" || state="STALE (owner $pid is gone: lab.sh clean-stale)"
    [[ -e $STATE_DIR/ready ]] || state="$state, not ready"
    echo "lab $PREFIX: $state"
    echo "  state: $STATE_DIR"
    local node ns
    printf '  namespaces:'
    for node in "${NODES[@]}"; do
      ns=$(nsname "$node")
      if ns_exists "$ns"; then printf ' %s' "$ns"; else printf ' %s(MISSING)' "$ns"; fi
    done
    echo
    printf '  processes:'
    local name
    [[ -r $STATE_DIR/pids ]] && while read -r name pid start; do
      if pid_alive "$pid" "$start"; then printf ' %s=%s' "$name" "$pid"; else printf ' %s=DEAD' "$name"; fi
    done <"$STATE_DIR/pids"
    echo
    local l c rules delay drops
    for l in "${LINKS[@]}"; do
      c=$(carrier_of "$l")
      ns_exists "$(nsname "$c")" || continue
      rules=$(in_ns "$c" nft list table netdev lab_impair 2>/dev/null |
        awk '/chain/ {ch = $2} / drop/ {sub(/^[ \t]+/, ""); printf "%s[%s] ", ch, $0}')
      delay=$(grep -E '"event":"(ready|applied)"' "$STATE_DIR/delay-$l.log" 2>/dev/null | tail -1 |
        sed -E 's/.*"ab":\{"delay_ms":([0-9.e+-]+),"jitter_ms":([0-9.e+-]+).*"ba":\{"delay_ms":([0-9.e+-]+).*/up \1 ms (jitter \2), down \3 ms/')
      drops=$(in_ns "$c" nft list table inet lab_carrier 2>/dev/null |
        awk '/antispoof/ {for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1)} END {print s + 0}')
      local rate
      rate=$(grep -E '"event":"(ready|applied)"' "$STATE_DIR/delay-$l.log" 2>/dev/null | tail -1 |
        grep -oE '"rate_bps":[0-9.e+]+' | head -1 | cut -d: -f2)
      [[ -n $rate && $rate != 0 ]] && delay+=", rate $rate bit/s"
      delay_active "$l" || delay="none (kernel forwarding)"
      printf '  %-5s %-6s delay: %s; impairment: %s; antispoof drops: %s\n' "$l" "${UPLINK[$l]}" \
        "${delay:-?}" "${rules:-none}" "$([[ $ANTISPOOF == 1 ]] && echo "$drops" || echo off)"
    done
  done
}

usage() {
  cat <<EOF
lab.sh: a base gateway in network namespaces for lifelined (docs/lab.md)

usage:
  lab.sh up [--prefix NAME] [--delay LINK=D,...] [--jitter LINK=D,...] [--rate LINK=R,...]
            [--no-antispoof] [--reflector BIN|auto] [--tools DIR] [--no-check]
        builds the lab; prints its prefix (default lfl-<random>) on stdout.
        Default one-way delays: 5g=0ms leo=20ms geo=300ms cloud=0ms (RTT 0/40/600/0 ms).
  lab.sh down [--prefix NAME]           stops the lab's processes, deletes its namespaces
  lab.sh clean-stale                    removes labs whose owner process is gone
  lab.sh status [--prefix NAME]         what exists, delays, impairments
  lab.sh impair LINK ACTION [--dir both|up|down] [--prefix NAME]
        ACTION: blackhole | loss=N% | restore      (nftables in the carrier; prints t0=)
                delay=D | jitter=D | rate=R|none   (the carrier's delay line)
        LINK: 5g leo geo cloud. "up" is base -> network. restore also resets the delay line.
  lab.sh exec [--prefix NAME] NODE CMD...     NODE: ${NODES[*]}
  lab.sh addr NODE [NAME]                      named addresses (e.g. lab.sh addr hq sink)
  lab.sh ping LINK [-6] [ping options]         gw -> hq over that uplink

The lab is found by --prefix, \$LAB_PREFIX, or as the only one. Its facts are in
$LAB_ROOT/<prefix>/lab.env (source it). Exit codes: 0 ok, 1 failure, 2 usage error.
EOF
}

main() {
  OPT_PREFIX="" OPT_TOOLS=""
  local cmd=${1:-}
  (($#)) && shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    clean-stale) cmd_clean_stale "$@" ;;
    status)
      [[ ${1:-} == --prefix ]] && OPT_PREFIX=${2:?}
      cmd_status ;;
    impair) cmd_impair "$@" ;;
    exec) cmd_exec "$@" ;;
    addr) cmd_addr "$@" ;;
    ping)
      if [[ ${1:-} == --prefix ]]; then OPT_PREFIX=${2:?}; shift 2; fi
      cmd_ping "$@" ;;
    __keeper) keeper_main "$@" ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) usage_die "unknown command '$cmd'" ;;
  esac
}

main "$@"
