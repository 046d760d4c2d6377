#!/bin/bash
# Runs the bus benchmark inside a throw-away systemd container: GetSubu and ListSubus with N subus vs Peer.Ping.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
N=${1:-1000}
bash scripts/setup-debian.sh >/dev/null
bash scripts/build.sh >/dev/null
BOX=/var/tmp/subu-e2e/bench-$$
trap 'bash tests/e2e/box.sh destroy "$BOX" >/dev/null 2>&1' EXIT
bash tests/e2e/box.sh boot "$BOX" >/dev/null
in_box() { bash tests/e2e/box.sh run "$BOX" -- "$@"; }
in_box cmake --install "$PWD/build" >/dev/null
in_box systemctl daemon-reload
in_box busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
in_box useradd -M benchowner
in_box "$PWD/build/bench/subu-bench-bus" --subus "$N" --owner benchowner
