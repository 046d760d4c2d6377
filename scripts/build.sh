#!/bin/bash
# Configures and builds subu into build/ (two jobs: the machines it is made on have two cores).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
