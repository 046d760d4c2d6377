#!/bin/sh
# What a session sees, on one line: its user, network namespace, DNS, and whether the host resolver's directories show.
resolvers=
for d in /run/systemd/resolve /run/nscd; do
    if [ -e "$d/marker" ]; then resolvers="$resolvers open"; else resolvers="$resolvers hidden"; fi
done
echo "user=$(id -un) net=$(readlink /proc/self/ns/net) dns=$(sed -n 's/^nameserver[[:space:]]*//p' /etc/resolv.conf 2>/dev/null | head -1) resolvers=${resolvers# }"
