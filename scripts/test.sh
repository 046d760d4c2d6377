#!/bin/bash
# The whole test suite on a fresh Debian 12 machine, as root: set up, build, unit and end-to-end tests.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
bash scripts/setup-debian.sh
bash scripts/build.sh
# One run: the unit tests, the end-to-end suites (each boots systemd in a
# container of its own and drives the installed build; transcripts in
# build/e2e*.log) and the kernel WireGuard check under qemu
# (build/kernel-check.log).
ctest --test-dir build --output-on-failure
