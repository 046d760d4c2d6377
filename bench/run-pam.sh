#!/bin/bash
# Runs the PAM benchmark inside a throw-away systemd container: `su - SUBU -c true` with and without pam_subu.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
bench_box pam
install_build "$PWD/build" build/bench/subu-bench-pam
in_box useradd -m -s /bin/bash benchowner
in_box subu make benchowner one >/dev/null
in_box sh -ec 'mkdir -p /etc/netns/ns-subu_1; echo "nameserver 10.64.0.53" > /etc/netns/ns-subu_1/resolv.conf'
in_box subu-bench-pam benchowner_one "$@"
