#!/bin/bash
# Runs the bus benchmark inside a throw-away systemd container: GetSubu and ListSubus with N subus vs Peer.Ping.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
N=${1:-1000}
bash scripts/setup-debian.sh >/dev/null
bash scripts/build.sh >/dev/null
BOX=/var/tmp/subu-e2e/bench-$$
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
trap 'bash "$BOX_SH" destroy "$BOX" >/dev/null 2>&1' EXIT
bash "$BOX_SH" boot "$BOX" >/dev/null
install_build "$PWD/build" build/bench/subu-bench-bus
in_box useradd -M benchowner
in_box subu-bench-bus --subus "$N" --owner benchowner
