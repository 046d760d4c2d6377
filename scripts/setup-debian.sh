#!/bin/bash
# Installs what subu needs to build, test and run on Debian 12 (as root).
set -euo pipefail
packages=(
    # build
    cmake g++ pkg-config libsdbus-c++-dev libsdbus-c++-bin libsystemd-dev libsqlitecpp-dev libsqlite3-dev
    googletest libgtest-dev libgmock-dev
    libsodium-dev
    libnl-3-dev libnl-genl-3-dev libnl-route-3-dev
    # the steering program: clang for the BPF target, bpftool for vmlinux.h and the skeleton
    clang libbpf-dev bpftool
    # run, and the end-to-end container (systemd as PID 1 with its own system bus)
    systemd dbus passwd iproute2 util-linux bsdutils sqlite3 procps
    wireguard-go wireguard-tools
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "Installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
