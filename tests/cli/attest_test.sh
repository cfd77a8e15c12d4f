#!/usr/bin/env bash
# lifeline-attest as the security cell uses it: an attestation signed with the real minisign
# verifies (exit 0) against --pubkey and against a lifelined config; a changed byte, a
# stranger's key and an untrusted vendor do not (exit 1, with the reason); inspect shows the
# signature's key id and the fields; usage errors exit 2.
# Usage: attest_test.sh LIFELINE_ATTEST
set -euo pipefail
attest=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v minisign >/dev/null || fail "minisign is missing (Debian package minisign; scripts/setup.sh)"
cd "$work"
minisign -G -W -p nca.pub -s nca.key </dev/null >/dev/null 2>&1
minisign -G -W -p other.pub -s other.key </dev/null >/dev/null 2>&1
key=$(sed -n 2p nca.pub)
# minisign prints the key id without leading zeros (printf %X); lifeline-attest prints all 16
# digits: a key whose id starts with 0 (one in 16) must still match.
id="0*$(sed -n 1p nca.pub | awk '{print $NF}')"
write() {  # write VENDOR
  cat >5g.yaml <<YAML
operator: Example Mobile
link: 5g
serial: 7
issued: 2026-01-01T00:00:00Z
not_before: 2026-01-01T00:00:00Z
expires: 2099-01-01T00:00:00Z
equipment:
  - { role: ran, vendor: Ericsson, model: AIR 6449 }
  - { role: core, vendor: $1 }
YAML
  rm -f 5g.yaml.minisig
  minisign -S -s "${2:-nca}.key" -m 5g.yaml -t "nca attestation" </dev/null >/dev/null 2>&1
}
expect() {  # expect CODE PATTERN COMMAND...
  local want=$1 pattern=$2 rc=0
  shift 2
  "$@" >out 2>&1 || rc=$?
  [[ $rc == "$want" ]] || fail "$*: exit $rc, want $want: $(cat out)"
  grep -q -- "$pattern" out || fail "$*: no '$pattern' in: $(cat out)"
}

write Nokia
expect 0 "^attested: Example Mobile serial 7, signed by key $id" "$attest" verify 5g.yaml --pubkey "$key" --untrusted Huawei
echo "ok   - a signed attestation verifies against --pubkey"
cat >lifeline.yaml <<YAML
node: t
links:
  - { name: 5g, interface: wwan0, kind: cellular, probes: [{type: icmp, target: 198.19.0.1}], attestation: $work/5g.yaml }
classes:
  - { name: c2, precedence: flash, match: {dscp: [ef]}, links: [5g], when_none: blackhole, require: { trust: attested } }
trust:
  authorities: [{ name: nca, public_key: "$key" }]
  untrusted_vendors: [huawei]
YAML
expect 0 "^attested: .*signed by nca" "$attest" verify 5g.yaml --config lifeline.yaml
echo "ok   - and against the authorities of a lifelined config"
write Huawei
expect 1 "^violating: .*untrusted vendor Huawei (core)" "$attest" verify 5g.yaml --config lifeline.yaml
echo "ok   - an untrusted vendor: violating, exit 1"
write Nokia other
expect 1 "^unattested: signature: signed with key .* not a trusted authority" "$attest" verify 5g.yaml --config lifeline.yaml
echo "ok   - a stranger's signature: unattested, exit 1"
write Nokia
sed -i 's/serial: 7/serial: 9/' 5g.yaml
expect 1 "does not match the file" "$attest" verify 5g.yaml --pubkey "$key"
echo "ok   - a changed byte: unattested, exit 1"
expect 0 "key id $id" "$attest" inspect 5g.yaml
grep -q "core: Nokia" out || fail "inspect: $(cat out)"
echo "ok   - inspect shows the signature's key id and the equipment"
expect 2 "" "$attest" verify
expect 2 "not base64" "$attest" verify 5g.yaml --pubkey "RWQ!"
expect 2 "cannot open" "$attest" verify missing.yaml --pubkey "$key"
expect 0 "Usage" "$attest" --help
echo "ok   - usage errors exit 2; --help exits 0"
echo "all checks passed"
