#!/bin/bash
# Runs the tunnel bring-up benchmark inside a throw-away systemd container (its own network namespace).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
bash scripts/setup-debian.sh >/dev/null
bash scripts/build.sh >/dev/null
BOX=/var/tmp/subu-e2e/bench-tunnel-$$
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
trap 'bash "$BOX_SH" destroy "$BOX" >/dev/null 2>&1' EXIT
bash "$BOX_SH" boot "$BOX" >/dev/null
install_build "$PWD/build" build/bench/subu-bench-tunnel
in_box subu-bench-tunnel "$@"
