#!/bin/bash
# Runs the bring-up benchmark inside a throw-away systemd container: in-process apply vs ip, and systemctl start subu@X.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
bench_box apply
install_build "$PWD/build" build/bench/subu-bench-apply
in_box useradd -M benchowner
in_box subu make benchowner one >/dev/null
in_box subu network up benchowner_one >/dev/null
in_box subu-bench-apply --unit subu@benchowner_one.service "$@"
