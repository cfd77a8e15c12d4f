#!/usr/bin/env bash
# Vendor screening on the real lifelined in the lab (docs/trust.md), with attestations signed
# by the real minisign: C2 requires attested links. 5G's attestation names an untrusted
# vendor, so C2 runs on LEO while ISR (no requirement) stays on 5G; lifelinectl shows why and
# the trust event is in the history. The operator's new attestation (a higher serial, a
# trusted core) and a SIGHUP bring C2 back to 5G; the old attestation put back (a rollback)
# sends it away again, immediately.
source "$(dirname "$0")/lifelined_lib.sh"

command -v minisign >/dev/null || { fail "minisign is missing (scripts/setup.sh)"; exit 1; }
lifelinectl=$build/cli/lifelinectl
ctl() { "$lifelinectl" --socket "$work/control.sock" "$@"; }
minisign -G -W -p "$work/nca.pub" -s "$work/nca.key" </dev/null >/dev/null 2>&1
attest() {  # attest LINK SERIAL CORE_VENDOR
  cat >"$work/$1.yaml" <<YAML
operator: Example Mobile
link: $1
serial: $2
issued: 2026-01-01T00:00:00Z
not_before: 2026-01-01T00:00:00Z
expires: 2099-01-01T00:00:00Z
equipment:
  - { role: ran, vendor: Ericsson, model: AIR 6449 }
  - { role: core, vendor: $3 }
YAML
  rm -f "$work/$1.yaml.minisig"
  minisign -S -s "$work/nca.key" -m "$work/$1.yaml" -t "nca attestation of $1" </dev/null >/dev/null 2>&1
}
attest 5g 7 Huawei
attest leo 3 Nokia

lab_up
config=$(lab_config -e 's/failback: 30s/failback: 2s/' -e 's/failback: 60s/failback: 2s/' \
  -e "s|^    interface: wwan0 .*|&\n    attestation: $work/5g.yaml|" \
  -e "s|^    interface: sat0 .*|&\n    attestation: $work/leo.yaml|" \
  -e '0,/      loss: 2%/s//      loss: 2%\n      trust: attested/')
cat >>"$config" <<YAML
trust:
  authorities: [{ name: nca, public_key: "$(sed -n 2p "$work/nca.pub")" }]
  untrusted_vendors: [Huawei, ZTE]
  state: $work/serials
YAML
grep -q "trust: attested" "$config" && grep -q "attestation: $work/5g.yaml" "$config" || { fail "config edit"; exit 1; }
start_lifelined "$config"

wait_dev 0 sat0 5 && [[ $(route_dev 1) == wwan0 ]] &&
  ok "5G names an untrusted vendor: C2 (requires attested) on LEO, ISR on 5G" ||
  fail "c2 on $(route_dev 0), isr on $(route_dev 1)"
ctl --json links >"$work/links.json"
[[ $(jq -r '.links[] | select(.name == "5g") | .trust' "$work/links.json") == violating &&
  $(jq -r '.links[] | select(.name == "leo") | .trust' "$work/links.json") == attested ]] &&
  ok "lifelinectl: 5g violating, leo attested" || fail "trust: $(jq -c '[.links[] | {name, trust, trust_reason}]' "$work/links.json")"
ctl links | grep -q "5g .*VIOLATING.*untrusted vendor Huawei (core)" && ok "lifelinectl links says why" ||
  fail "links table: $(ctl links)"
ctl --json history --kind trust | jq -e '.events[] | select(.link == "5g" and .to == "violating")' >/dev/null &&
  ok "the trust change is journaled" || fail "no trust event in the history"

attest 5g 8 Nokia
from=$(log_lines)
kill -HUP "$lifelined_pid"
wait_log "link 5g: trust violating -> attested" 5 "$from" && ok "a new attestation (serial 8) is accepted on reload" ||
  fail "no trust change after the reload"
wait_dev 0 wwan0 10 && ok "C2 returns to 5G after its hold-down" || fail "c2 on $(route_dev 0)"
grep -q "^5g 8$" "$work/serials" && ok "the accepted serial is kept ($work/serials)" || fail "serials: $(cat "$work/serials")"

attest 5g 7 Nokia
from=$(log_lines)
disturb 5g on  # a rollback: 5G is not to be trusted any more
kill -HUP "$lifelined_pid"
wait_dev 0 sat0 5 && ok "an older attestation (serial 7) is a rollback: C2 leaves 5G at once" ||
  fail "c2 on $(route_dev 0) after the rollback"
grep -q "rollback (serial 8 was accepted before)" "$work/lifelined.log" && ok "the log says rollback" || fail "no rollback in the log"
finish
