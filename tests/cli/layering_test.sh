#!/usr/bin/env bash
# The folders' rules (docs/architecture.md), checked on the sources and on the built binary:
#  - common/ includes only common/; zmq/ only common/ and zmq/;
#  - nothing in channel/ or bridge/ includes controller/;
#  - nothing outside controller/ (and the tests and benchmarks) includes controller/, except
#    lifelinectl's and lifeline-incident's use of the control client and the trust files;
#  - links/ and policies/ include nothing from controller/, channel/, bridge/, zmq/ or sim/;
#  - lifelinectl's sources, and the control client, include no Asio; no library lifelinectl
#    links is compiled with Asio's settings (lifeline_asio); the binary holds no Asio code.
# Usage: layering_test.sh SOURCE_DIR BUILD_DIR LIFELINECTL
set -euo pipefail
src=$1
build=$2
ctl=$3
cd "$src"
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }

includes() {  # includes FOLDER... : every "project" include of the folders, as file:line:include
  grep -rnE --include='*.cpp' --include='*.hpp' '^#include "' "$@" | sed -E 's/#include "([^"]*)".*/\1/'
}
only_from() {  # only_from FOLDER ALLOWED_REGEX
  local bad
  bad=$(includes "$1" | awk -F: -v ok="$2" '$3 !~ ok' || true)
  [[ -z $bad ]] || fail "$1 includes what it may not:"$'\n'"$bad"
}
only_from common '^common/'
only_from zmq '^(common|zmq)/'  # (socket_watch: Asio, a target of its own)
for folder in channel bridge; do
  bad=$(includes "$folder" | awk -F: '$3 ~ /^controller\//' || true)
  [[ -z $bad ]] || fail "$folder includes controller/:"$'\n'"$bad"
done
for folder in links policies; do
  bad=$(includes "$folder" | awk -F: '$3 ~ /^(controller|channel|bridge|zmq|sim)\//' || true)
  [[ -z $bad ]] || fail "$folder includes a layer above it:"$'\n'"$bad"
done
bad=$(grep -rnE --include='*.cpp' --include='*.hpp' '#include <boost/asio' cli controller/control/client.* \
        controller/control/protocol.* zmq/curve_keys.* zmq/zap.* common || true)
[[ -z $bad ]] || fail "lifelinectl's sources include Asio:"$'\n'"$bad"
for dir in cli/CMakeFiles/lifelinectl.dir cli/CMakeFiles/lifeline_cli.dir \
           controller/control/CMakeFiles/lifeline_control_client.dir \
           controller/control/CMakeFiles/lifeline_control_protocol.dir zmq/CMakeFiles/lifeline_zmq.dir \
           common/CMakeFiles/lifeline_common.dir; do
  flags=$build/$dir/flags.make
  [[ -f $flags ]] || { fail "$flags is missing (a library renamed? update this test)"; continue; }
  ! grep -q 'BOOST_ASIO' "$flags" || fail "$dir is compiled with Asio's settings (it links lifeline_asio)"
done
asio=$(nm -C "$ctl" | grep -c 'boost::asio' || true)
[[ $asio -eq 0 ]] || fail "lifelinectl holds $asio Asio symbols"

[[ $failed -eq 0 ]] || exit 1
echo "layering: ok (common, zmq, channel, bridge, links, policies; lifelinectl without Asio)"
