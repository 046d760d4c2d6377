#!/bin/bash
# Installs what subu needs to build, test and run on Debian 12 (as root).
set -euo pipefail
packages=(
    # build
    cmake g++ pkg-config libsdbus-c++-dev libsdbus-c++-bin libsystemd-dev libsqlitecpp-dev libsqlite3-dev
    googletest libgtest-dev libgmock-dev
    libsodium-dev
    libnl-3-dev libnl-genl-3-dev libnl-route-3-dev
    # the manual pages (scdoc sources, rendered at build time)
    scdoc
    # pam_subu.so
    libpam0g-dev
    # the steering program: clang for the BPF target, bpftool for vmlinux.h and the skeleton
    clang libbpf-dev bpftool
    # run, and the end-to-end container (systemd as PID 1 with its own system bus)
    systemd dbus passwd iproute2 util-linux bsdutils sqlite3 procps
    wireguard-go wireguard-tools
    # the tunnel tests: a server peer, a web server, a resolver behind it and a capture
    tcpdump curl python3 dnsmasq-base
    # the kernel WireGuard check: a kernel that has it, booted under qemu
    qemu-system-x86 cpio xz-utils kmod
    # subu exec and authorization: polkit; the end-to-end suite drives a terminal with tmux
    polkitd tmux
    # the manual pages rendered and checked (man, groff), the shell completion tested
    man-db groff-base bash-completion zsh
    # the ways into a subu that the PAM suite takes (their services run only in the test container)
    sudo openssh-server openssh-client cron
)
# That check boots an installed Debian kernel with wireguard.ko; add one if none is there.
have_wg_kernel=
for k in /boot/vmlinuz-*; do
    [[ -e $k ]] && ls /lib/modules/"${k#/boot/vmlinuz-}"/kernel/drivers/net/wireguard/wireguard.ko* >/dev/null 2>&1 && have_wg_kernel=1
done
[[ -n $have_wg_kernel ]] || packages+=(linux-image-amd64)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "Installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Nothing installed here starts here (sshd, cron): invoke-rc.d and
    # deb-systemd-invoke ask policy-rc.d, and 101 means "not allowed".
    policy=/usr/sbin/policy-rc.d
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
