#!/usr/bin/env bash
# lifeline-sim as an operator runs it: exit codes, tables, JSON, errors with positions, and
# every shipped scenario against the shipped example config.
set -euo pipefail
sim=$1 root=$2
config=$root/config/examples/base-gateway.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A timeline for people.
"$sim" --config "$config" --scenario "$root/lab/scenarios/5g-outage.yaml" >"$work/out.txt" ||
  fail "5g-outage exited $?"
grep -q "class  c2          5g -> leo" "$work/out.txt" || fail "no c2 failover in: $(cat "$work/out.txt")"
grep -q "probes/s" "$work/out.txt" || fail "no throughput line"

# One JSON document for scripts.
"$sim" -c "$config" -s "$root/lab/scenarios/5g-outage.yaml" --json >"$work/out.json"
python3 - "$work/out.json" <<'PY' || fail "JSON shape"
import json, sys
doc = json.load(open(sys.argv[1]))
tl = doc["timeline"]
assert any(e["kind"] == "class" and e["class"] == "c2" and e["to"] == "leo" for e in tl), tl
assert all(isinstance(e["t"], (int, float)) for e in tl)
c2 = doc["summary"]["classes"]["c2"]
assert c2["switches"] == 2, c2
assert abs(sum(c2["time_on"].values()) - 300.0) < 1e-3, c2
PY

# Every shipped scenario runs (the 24 h one is the "a day in seconds" check: no failover).
for s in "$root"/lab/scenarios/*.yaml; do
  [ "$(basename "$s")" = 5g-noisy-healthy.yaml ] && continue  # below, once
  "$sim" -c "$config" -s "$s" --json >"$work/s.json" || fail "$(basename "$s") exited $?"
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/s.json" || fail "$(basename "$s"): bad JSON"
done
"$sim" -c "$config" -s "$root/lab/scenarios/5g-noisy-healthy.yaml" >"$work/day.txt"
grep -q "(no link or class changed state)" "$work/day.txt" || fail "the noisy day failed over: $(head -20 "$work/day.txt")"
echo "24 h noisy day: $(tail -1 "$work/day.txt")"

# Errors: exit 2, file:line:column.
cat >"$work/bad.yaml" <<'Y'
duration: 60s
links:
  5g: { rtt: 25ms }
  leo: { rtt: 45ms }
  geo: { rtt: 600ms }
  cloud: { rtt: 10ms }
events:
  - { at: 10s, link: 5h, set: { loss: 100% } }
Y
set +e
"$sim" -c "$config" -s "$work/bad.yaml" >/dev/null 2>"$work/err.txt"; code=$?
set -e
[ "$code" -eq 2 ] || fail "bad scenario exited $code, want 2"
grep -q "bad.yaml:8:.*did you mean '5g'" "$work/err.txt" || fail "error without position: $(cat "$work/err.txt")"

set +e
"$sim" -c "$config" >/dev/null 2>&1; code=$?
set -e
[ "$code" -eq 2 ] || fail "missing --scenario exited $code, want 2"
"$sim" --help | grep -q "Exit codes" || fail "--help does not document exit codes"
echo "lifeline-sim CLI: ok"
