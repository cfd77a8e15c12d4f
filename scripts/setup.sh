#!/usr/bin/env bash
# Installs every Debian 12 package lifeline needs to build, test and run its lab.
# Idempotent: installs only what is missing, and runs apt-get update only then.
# Usage: scripts/setup.sh [build|all]   (default: all)
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config ccache
  libboost-dev libzmq3-dev cppzmq-dev libyaml-cpp-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libmnl-dev libnftables-dev libsodium-dev libsqlite3-dev libsystemd-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
)
test_packages=(
  clang-14 libclang-rt-14-dev
  iproute2 nftables iputils-ping jq python3 python3-zmq frr minisign prometheus
  # the package test (tests/package/): systemd-analyze, -sysusers and -tmpfiles come with
  # systemd (nothing is started: no systemd runs here); file lets cpack call dpkg-shlibdeps;
  # procps has /bin/kill, which the unit's ExecReload= names.
  systemd file procps
  # tests/integration/least_privilege_test.sh counts the daemon's system calls with strace.
  strace
  # tests/cli/mm_bridge_test.sh: a private bus and a stand-in ModemManager written in Python.
  dbus-daemon python3-dbus python3-gi
)

case "${1:-all}" in
  build) wanted=("${build_packages[@]}") ;;
  all) wanted=("${build_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 [build|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#wanted[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# frr and prometheus ship services; nothing here starts them (policy-rc.d would be overkill:
# in a container without systemd they do not start anyway).
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
