#!/usr/bin/env bash
# deploy/ as a monitoring engineer installs it: the alert rules load and pass their unit tests
# (every alert firing and not firing), the example scrape config loads with them, and the
# Grafana dashboard is well formed with every query valid PromQL.
# Usage: prometheus_deploy_test.sh SOURCE_DIR
set -euo pipefail
root=$1
deploy=$root/deploy
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v promtool >/dev/null || fail "promtool is missing: install the Debian package prometheus (scripts/setup.sh)"

promtool check rules "$deploy/prometheus/lifeline.rules.yml" >"$work/out" 2>&1 ||
  fail "promtool check rules: $(cat "$work/out")"
echo "ok   - the alert rules load"

# promtool test rules resolves rule_files relative to the test file.
promtool test rules "$deploy/prometheus/lifeline.rules.test.yml" >"$work/out" 2>&1 ||
  fail "promtool test rules: $(cat "$work/out")"
echo "ok   - the alert rule unit tests pass"

# Every alert is tested, and every alert has a severity and a runbook into the operator guide.
python3 - "$deploy/prometheus/lifeline.rules.yml" "$deploy/prometheus/lifeline.rules.test.yml" <<'PY' ||
import re, sys
rules, tests = open(sys.argv[1]).read(), open(sys.argv[2]).read()
alerts = re.findall(r"^\s*- alert: (\w+)$", rules, re.M)
assert len(alerts) == len(set(alerts)) and alerts, alerts
for a in alerts:
    firing = re.search(r"alertname: %s\n\s*exp_alerts:\n\s*- exp_labels" % a, tests)
    quiet = re.search(r"alertname: %s\n\s*exp_alerts: \[\]" % a, tests)
    assert firing and quiet, "%s needs a firing and a not-firing test" % a
blocks = re.split(r"^\s*- alert: ", rules, flags=re.M)[1:]
for b in blocks:
    name = b.split()[0]
    assert re.search(r"severity: (critical|warning)\n", b), name + ": severity"
    assert re.search(r"runbook_url: docs/operator-guide\.md#[a-z0-9-]+\n", b), name + ": runbook_url"
PY
  fail "alert rules: a test, severity or runbook is missing (see above)"
echo "ok   - every alert has a firing and a not-firing test, a severity and a runbook"

# Every runbook_url lands on a section of the operator guide (GitHub's heading anchors).
python3 - "$deploy/prometheus/lifeline.rules.yml" "$root/docs/operator-guide.md" <<'PY' ||
import re, sys
rules, guide = open(sys.argv[1]).read(), open(sys.argv[2]).read()
def slug(h):
    return re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
anchors = {slug(h) for h in re.findall(r"^#+ (.*)$", guide, re.M)}
missing = sorted(set(re.findall(r"runbook_url: docs/operator-guide\.md#([a-z0-9-]+)", rules)) - anchors)
assert not missing, "no section in docs/operator-guide.md for: " + ", ".join(missing)
PY
  fail "runbooks: an alert points to a section the operator guide does not have"
echo "ok   - every alert's runbook is a section of the operator guide"

cp "$deploy/prometheus/prometheus.yml" "$deploy/prometheus/lifeline.rules.yml" "$work/"
promtool check config "$work/prometheus.yml" >"$work/out" 2>&1 ||
  fail "promtool check config: $(cat "$work/out")"
echo "ok   - the example scrape config loads with the rules"

# The dashboard: JSON, unique panel ids, and each query (Grafana variables replaced) parses.
python3 - "$deploy/grafana/lifeline.json" "$work/dashboard.rules.yml" <<'PY' || fail "dashboard"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["uid"] and d["title"], "uid and title"
names = [v["name"] for v in d["templating"]["list"]]
assert "datasource" in names and "instance" in names, names
ids, exprs = set(), []
for p in d["panels"]:
    assert p["id"] not in ids, "duplicate panel id %s" % p["id"]
    ids.add(p["id"])
    if p["type"] == "row":
        continue
    assert p["targets"], "panel %r has no query" % p["title"]
    exprs += [t["expr"] for t in p["targets"]]
exprs += [a["expr"] for a in d["annotations"]["list"]]
subst = {"$__rate_interval": "1m", "$__range": "1h", "$__interval": "1m", "$instance": ".*"}
with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        for k, v in subst.items():
            e = e.replace(k, v)
        assert "$" not in e, "unknown variable in " + e
        out.write("      - record: dashboard:query_%d\n        expr: %s\n" % (i, json.dumps(e)))
print("%d panels, %d queries" % (len(ids), len(exprs)))
PY
promtool check rules "$work/dashboard.rules.yml" >"$work/out" 2>&1 ||
  fail "a dashboard query is not valid PromQL: $(cat "$work/out")"
echo "ok   - the dashboard is well formed and every query is valid PromQL"

# The PromQL examples of docs/metrics.md parse too.
python3 - "$root/docs/metrics.md" "$work/docs.rules.yml" <<'PY' || fail "docs/metrics.md examples"
import json, re, sys
blocks = re.findall(r"```promql\n(.*?)```", open(sys.argv[1]).read(), re.S)
assert len(blocks) >= 5, "expected PromQL examples in docs/metrics.md"
with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: docs\n    rules:\n")
    for i, b in enumerate(blocks):
        out.write("      - record: docs:example_%d\n        expr: %s\n" % (i, json.dumps(b.strip())))
PY
promtool check rules "$work/docs.rules.yml" >"$work/out" 2>&1 ||
  fail "a PromQL example in docs/metrics.md does not parse: $(cat "$work/out")"
echo "ok   - the PromQL examples in docs/metrics.md parse"
echo "all checks passed"
