#!/bin/bash
# Boots a Debian kernel that has WireGuard under qemu (software emulation) with
# subu-kernel-check as /init of a throw-away initramfs, and reports its checks.
# The host's own kernel may have no WireGuard; the kernel backend is checked here.
set -uo pipefail
BUILD=$(readlink -f "${1:?usage: run.sh BUILD_DIR}")
CHECK=$BUILD/tests/subu-kernel-check
exec > >(tee "$BUILD/kernel-check.log") 2>&1

# A kernel image beside a module tree holding wireguard.ko.
kernel= kver=
for k in /boot/vmlinuz-*; do
    v=${k#/boot/vmlinuz-}
    if [[ -r $k ]] && ls /lib/modules/"$v"/kernel/drivers/net/wireguard/wireguard.ko* >/dev/null 2>&1; then kernel=$k kver=$v; fi
done
if [[ -z $kernel ]]; then
    echo "No kernel with wireguard.ko under /boot and /lib/modules; install one (apt-get install linux-image-amd64)."
    exit 1
fi
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)."; exit 1; }
echo "kernel: $kernel"

STAGE=$(mktemp -d /var/tmp/subu-kernel-check.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE"/{modules,proc,sys,dev,run,tmp,etc}
install -m 755 "$CHECK" "$STAGE/init"
# The program's shared libraries, at the paths the loader looks for them.
ldd "$CHECK" | grep -oE '/[^ ]+' | while read -r lib; do
    install -D -m 755 "$(readlink -f "$lib")" "$STAGE$lib"
done
# getaddrinfo of a literal needs no files; the resolver finds none and is not asked.
# wireguard.ko and what it needs, decompressed, in load order.
modprobe --show-depends -S "$kver" wireguard | awk '$1 == "insmod" {print $2}' | while read -r ko; do
    name=$(basename "${ko%.xz}")
    case $ko in *.xz) xz -dc "$ko" > "$STAGE/modules/$name" ;; *.zst) zstd -dqc "$ko" > "$STAGE/modules/$name" ;; *) cp "$ko" "$STAGE/modules/$name" ;; esac
    echo "$name" >> "$STAGE/modules/order"
done
(cd "$STAGE" && find . -path ./initrd.gz -prune -o -print | cpio -o -H newc --quiet | gzip -1 > "$STAGE/initrd.gz")

out=$(timeout 600 qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 1 -nographic -no-reboot -nodefaults \
    -serial stdio -kernel "$kernel" -initrd "$STAGE/initrd.gz" \
    -append "console=ttyS0 panic=-1 quiet loglevel=3" 2>&1)
grep -a 'subu-kernel-check' <<<"$out"
if grep -aq 'subu-kernel-check: PASSED' <<<"$out"; then exit 0; fi
echo "--- the machine's console, last lines ---"
tail -40 <<<"$out"
exit 1
