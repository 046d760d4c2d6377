#!/bin/bash
# The whole test suite on a fresh Debian 12 machine, as root: set up, build, unit and end-to-end tests.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
bash scripts/setup-debian.sh
bash scripts/build.sh
# One run: the unit tests (no root needed) and the end-to-end suite, which
# boots systemd in its own container and drives the installed build; its
# full transcripts are kept in build/e2e.log and build/e2e-steer.log.
ctest --test-dir build --output-on-failure
