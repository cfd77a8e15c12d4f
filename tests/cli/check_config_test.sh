#!/usr/bin/env bash
# `lifelined --check-config` as an operator runs it: exit 0 and "ok" for a valid file, exit 2
# with "FILE:LINE:COLUMN: message" on stderr for a bad one, exit codes in --help.
# Usage: check_config_test.sh PATH/TO/lifelined REPO_ROOT
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 PATH/TO/lifelined REPO_ROOT" >&2
  exit 1
fi
# Absolute, since every run happens from the repository root.
lifelined=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$2
if [[ ! -x $lifelined ]]; then
  echo "FAIL: $1 is not an executable" >&2
  exit 1
fi
example=config/examples/base-gateway.yaml
bad=tests/fixtures/bad-configs

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  echo "  stdout: $(cat "$work/out")" >&2
  echo "  stderr: $(cat "$work/err")" >&2
  failures=$((failures + 1))
}

# Runs lifelined with the given arguments from the repository root; sets $status.
run() {
  status=0
  (cd "$root" && "$lifelined" "$@") >"$work/out" 2>"$work/err" || status=$?
}

# Returns 1 on a mismatch so that checks which depend on the status can be skipped; call it
# in a condition (set -e).
expect_status() {  # expected, description
  if [[ $status -ne $1 ]]; then
    fail "$2: exit status $status, expected $1"
    return 1
  fi
}

expect_in() {  # out|err, text, description
  if ! grep -qF -- "$2" "$work/$1"; then
    fail "$3: std$1 does not contain '$2'"
  fi
}

# A valid file, given as FILE and as --config FILE.
run --check-config "$example"
if expect_status 0 "--check-config $example"; then
  expect_in out "$example: ok" "--check-config $example"
fi
run --config "$example" --check-config
if expect_status 0 "--config $example --check-config"; then
  expect_in out "$example: ok" "--config $example --check-config"
fi
run -c "$example" --check-config
expect_status 0 "-c $example --check-config" || true

# Bad files: exit 2, and the error names file, line and column.
#   fixture                                   line:column  part of the message
cases=(
  "04-unknown-top-level-key.yaml|21:1|did you mean 'classes'?"
  "26-bad-kind.yaml|15:11|'satelite' is not allowed"
  "57-carried-over-2-cycle.yaml|9:19|carried_over forms a cycle"
  "68-prefix-host-bits.yaml|26:17|did you mean 198.18.10.0/26?"
)
for entry in "${cases[@]}"; do
  IFS='|' read -r file position message <<<"$entry"
  run --check-config "$bad/$file"
  if expect_status 2 "--check-config $file"; then
    expect_in err "$bad/$file:$position: " "--check-config $file"
    expect_in err "$message" "--check-config $file"
    if [[ -s "$work/out" ]]; then fail "--check-config $file: printed to stdout on failure"; fi
  fi
done

# A file that is not there.
run --check-config "$work/missing.yaml"
if expect_status 2 "missing file"; then
  expect_in err "$work/missing.yaml: cannot read the file" "missing file"
fi

# --help exits 0 and documents the exit codes.
run --help
if expect_status 0 "--help"; then
  expect_in out "Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error" "--help"
  expect_in out "--check-config" "--help"
fi

# A usage error is exit 2, like a config error.
run --no-such-option
expect_status 2 "unknown option" || true

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "check_config_test: all checks passed"
