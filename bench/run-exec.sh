#!/bin/bash
# Runs the exec benchmark inside a throw-away systemd container, at isolation "none" and "standard" (the default).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
BUILD=${1:-build}
RUNS=${2:-50}
bash scripts/setup-debian.sh >/dev/null
[[ $BUILD != build ]] || bash scripts/build.sh >/dev/null
BOX=/var/tmp/subu-e2e/bench-exec-$$
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
trap 'bash "$BOX_SH" destroy "$BOX" >/dev/null 2>&1' EXIT
bash "$BOX_SH" boot "$BOX" >/dev/null
install_build "$PWD/$BUILD" "$BUILD/bench/subu-bench-exec"
in_box useradd -M benchowner
in_box subu make benchowner one >/dev/null
for level in none standard; do
    in_box subu option set benchowner_one isolation "$level" >/dev/null
    echo "isolation $level, $RUNS runs each:"
    in_box subu-bench-exec benchowner_one ns-subu_1 "$RUNS"
done
