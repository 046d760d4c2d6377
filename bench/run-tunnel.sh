#!/bin/bash
# Runs the tunnel bring-up benchmark inside a throw-away systemd container (its own network namespace).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
bench_box tunnel
install_build "$PWD/build" build/bench/subu-bench-tunnel
in_box subu-bench-tunnel "$@"
