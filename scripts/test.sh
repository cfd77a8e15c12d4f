#!/usr/bin/env bash
# Builds lifeline and runs every test: README quick-start command (2), and what CI runs.
#   1. release build (g++, warnings as errors): unit, cli and fuzz-corpus tests, then the
#      integration tests (root: real kernel objects and the real daemon, only inside
#      network namespaces the tests create)
#   2. sanitizer build (clang-14, ASan + UBSan + libFuzzer): unit tests again, then a
#      short coverage-guided fuzzing run of the config loader and the probe decoder
# Environment: JOBS (default: number of cores), FUZZ_SECONDS (default 60), SKIP_ASAN=1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-60}

scripts/setup.sh all

# ccache (if installed) shares object files between checkouts in different directories: CI
# builds a fresh clone each time, and absolute paths would otherwise defeat the cache.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1

step() { printf '\n==== %s\n' "$*"; }

step "release build (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIFELINE_WERROR=ON >/dev/null
cmake --build build -j "$jobs"

step "tests: unit, cli, fuzz corpus"
(cd build && ctest --output-on-failure -j "$jobs" -L 'unit|cli|fuzz')

if [ "$(id -u)" -eq 0 ]; then
  step "tests: integration (network namespaces, the real daemon in the lab)"
  lab/lab.sh clean-stale >/dev/null 2>&1 || true
  (cd build && ctest --output-on-failure -L integration)
else
  step "tests: integration SKIPPED (not root: they create network namespaces)"
fi

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  step "sanitizer build (build-asan/: clang-14, ASan + UBSan + libFuzzer)"
  # Debug keeps asserts on; -O1 keeps the day-long scenario tests within their timeout.
  CXX=clang++-14 cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
    -DLIFELINE_SANITIZE=ON \
    -DLIFELINE_FUZZ=ON -DLIFELINE_BENCH=OFF -DFUZZ_SECONDS="$fuzz_seconds" >/dev/null
  cmake --build build-asan -j "$jobs"
  step "tests under ASan + UBSan: unit"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$jobs" -L unit)
  step "fuzzing the config loader, the probe decoder, the attestation parsers and the feed messages for ${fuzz_seconds}s in all"
  (cd build-asan && ctest --output-on-failure -L fuzz)
fi

step "all tests passed"
