#!/bin/bash
# End-to-end confinement by uid: every way of entering a subu's user lands inside its namespace, where the
# only way out is its tunnel, or has no network at all; decoys on the host side and a capture prove no leak.
set -uo pipefail
BUILD=$(readlink -f "${1:?usage: confine.sh BUILD_DIR}")
HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/e2e/server.sh
. "$HERE/server.sh"
e2e_setup e2e-confine.log confine

PROBE=/usr/local/bin/wayin_probe.py
STEER=/usr/local/bin/steer_probe.py
DECOY_PORT=8081

# The two answers a way in may give: inside the subu (the tunnel and its DNS
# work, no decoy is reached), or no network at all (no inet socket).
INSIDE='^where=inside inet=ok tunnel=ok dns=ok( decoy@[^ ]+=blocked)+$'
NONET='^where=[a-z]+ inet=EPERM tunnel=EPERM dns=[^ ]+( decoy@[^ ]+=blocked)+$'

# wait_for_file PATH SECONDS: until PATH exists in the box and is not empty.
wait_for_file() {
    in_box sh -c "for i in \$(seq $(($2 * 10))); do [ -s '$1' ] && exit 0; sleep 0.1; done; exit 1"
}

boot
install_build "$BUILD" "$HERE/wayin_probe.py" "$HERE/steer_probe.py"
check "pam-auth-update --enable subu puts pam_subu.so into the common session files" \
    in_box sh -c 'pam-auth-update --enable subu && grep -q pam_subu.so /etc/pam.d/common-session && grep -q pam_subu.so /etc/pam.d/common-session-noninteractive'
in_box useradd -m -s /bin/bash Thomas

echo "# a subu with a tunnel to the test's server, and decoys on the host side"
SERVER_KEY=$(server_up | tail -1)
in_box subu WG global 192.168.112.0/24 >/dev/null
client_conf 11 | in_box sh -c 'cat > /root/wg1.conf'
in_box subu WG import /root/wg1.conf >/dev/null
in_box rm -f /root/wg1.conf
check_output "subu make Thomas US" '^subu_1  Thomas_US$' in_box subu make Thomas US
check "attach WG_1 and bring the network up" in_box sh -c 'subu attach WG Thomas_US WG_1 && subu network up Thomas_US'
# One dual-stack HTTP server on the box's own namespace: it answers on host
# loopback (127.0.0.1, ::1) and on the host end of the server's veth (v4, v6).
in_box sh -c "cd /var/empty 2>/dev/null || cd /; setsid python3 -m http.server $DECOY_PORT --bind :: > /root/decoy.log 2>&1 < /dev/null & echo \$! > /root/decoy.pid"
check "the decoy listens" in_box sh -c "for i in \$(seq 50); do ss -ltn | grep -q ':$DECOY_PORT ' && exit 0; sleep 0.1; done; exit 1"
SUBU_INO=$(in_box stat -Lc %i /run/netns/ns-subu_1)
HOST_INO=$(in_box stat -Lc %i /proc/1/ns/net)
UID_US=$(in_box id -u Thomas_US)
DECOYS="127.0.0.1:$DECOY_PORT [::1]:$DECOY_PORT $HOST_V4:$DECOY_PORT [$HOST_V6]:$DECOY_PORT"
# The server's own veth addresses (outside the tunnel): nothing listens there,
# but a packet sent to them in the clear would show in the capture.
ARGS="$SUBU_INO $HOST_INO $SRV_TUN_V4:$SRV_HTTP_PORT web.example.internal $DECOYS $SRV_V4:$SRV_HTTP_PORT [$SRV_V6]:$SRV_HTTP_PORT"
# Unit files outlive a reboot, which makes the namespaces anew: theirs name them by path.
UNIT_ARGS="/run/netns/ns-subu_1 /proc/1/ns/net ${ARGS#* * }"
check_output "the subu's tunnel works (ip netns exec, as root)" 'hello from behind the tunnel' \
    in_box ip netns exec ns-subu_1 curl -sS -m 5 http://$SRV_TUN_V4:$SRV_HTTP_PORT/

# For the whole tour: what leaves the box towards the server that is not WireGuard.
in_box sh -c "tcpdump -i srv-host -Q out -n -l -q -U '$QUIET and not (udp and port 51820)' > /root/leaks.txt 2>/dev/null & echo \$! > /root/leaks.pid"
sleep 1

echo "# the ways in, as Thomas_US"
check_output "subu exec (Thomas, no sudo): inside" "$INSIDE" in_box runuser -u Thomas -- subu exec Thomas_US -- python3 $PROBE $ARGS
check_output "runuser -u (no PAM session): no network" "$NONET" in_box runuser -u Thomas_US -- python3 $PROBE $ARGS
check_output "runuser -l (runuser-l includes no common-session): no network" "$NONET" in_box runuser -l Thomas_US -c "python3 $PROBE $ARGS"
check_output "setpriv --reuid: no network" "$NONET" in_box setpriv --reuid=Thomas_US --regid=Thomas --init-groups python3 $PROBE $ARGS
check_output "systemd-run --uid with no namespace: no network" "$NONET" in_box systemd-run --quiet --wait --pipe --collect --uid=Thomas_US python3 $PROBE $ARGS
check_output "su -c: inside" "$INSIDE" in_box su Thomas_US -c "python3 $PROBE $ARGS"
check_output "su - (a login shell): inside" "$INSIDE" in_box su - Thomas_US -c "python3 $PROBE $ARGS"
check_output "sudo -u: inside" "$INSIDE" in_box sudo -u Thomas_US python3 $PROBE $ARGS

in_box sh -c "rm -f /root/wayin_key*; ssh-keygen -q -t ed25519 -N '' -f /root/wayin_key && install -d -m 700 -o Thomas_US -g Thomas /home/Thomas_US/.ssh &&
              install -m 600 -o Thomas_US -g Thomas /root/wayin_key.pub /home/Thomas_US/.ssh/authorized_keys && systemctl start ssh"
check_output "ssh with a key to the box's sshd: inside" "$INSIDE" in_box ssh -q -i /root/wayin_key -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null Thomas_US@127.0.0.1 "python3 $PROBE $ARGS"

in_box sh -c "systemctl start cron && echo '* * * * * Thomas_US python3 $PROBE $ARGS > /home/Thomas_US/cron.out 2>&1' > /etc/cron.d/subu-wayin"
check "a cron job of the subu ran (cron starts jobs on the minute)" wait_for_file /home/Thomas_US/cron.out 75
in_box rm -f /etc/cron.d/subu-wayin
check_output "cron: inside" "$INSIDE" in_box cat /home/Thomas_US/cron.out

# Lingering, asked for from inside the subu itself: its user manager, and so
# every user service, lives in the subu.
check "loginctl enable-linger from inside subu exec" in_box runuser -u Thomas -- subu exec Thomas_US -- loginctl enable-linger Thomas_US
check "the subu's user manager runs" in_box sh -c "for i in \$(seq 100); do systemctl is-active -q user@$UID_US.service && exit 0; sleep 0.1; done; exit 1"
check_output "user@UID.service is in the subu's namespace" "^$SUBU_INO\$" in_box sh -c "stat -Lc %i /proc/\$(systemctl show -P MainPID user@$UID_US.service)/ns/net"
user_run() { in_box runuser -u Thomas_US -- env XDG_RUNTIME_DIR=/run/user/$UID_US systemd-run --user --quiet --wait --pipe --collect "$@"; }
check_output "systemd-run --user: inside" "$INSIDE" user_run python3 $PROBE $ARGS
# A user service enabled to start with the user manager: at boot, with lingering.
in_box sh -c "install -d -o Thomas_US -g Thomas /home/Thomas_US/.config /home/Thomas_US/.config/systemd /home/Thomas_US/.config/systemd/user /home/Thomas_US/.config/systemd/user/default.target.wants
  printf '[Unit]\nDescription=probe\n[Service]\nType=oneshot\nExecStart=python3 $PROBE $UNIT_ARGS\nStandardOutput=truncate:%%h/boot.out\n[Install]\nWantedBy=default.target\n' > /home/Thomas_US/.config/systemd/user/wayin.service
  ln -sf ../wayin.service /home/Thomas_US/.config/systemd/user/default.target.wants/wayin.service
  chown -h Thomas_US:Thomas /home/Thomas_US/.config/systemd/user/wayin.service /home/Thomas_US/.config/systemd/user/default.target.wants/wayin.service"

# A system service attached to the subu.
in_box sh -c "printf '[Service]\nType=oneshot\nExecStart=python3 $PROBE $UNIT_ARGS\nStandardOutput=truncate:/run/wayin-service.out\n' > /etc/systemd/system/wayin.service && systemctl daemon-reload"
check "subu service attach Thomas_US wayin.service" in_box subu service attach Thomas_US wayin.service
check_output "subu service list shows it" '^wayin\.service$' in_box subu service list Thomas_US
check "the attached service runs" in_box sh -c 'for i in $(seq 50); do systemctl show -P FragmentPath wayin.service >/dev/null && [ -n "$(systemctl show -P DropInPaths wayin.service)" ] && break; sleep 0.1; done; systemctl start wayin.service'
check_output "an attached system service: inside, as the subu's user" "$INSIDE" in_box cat /run/wayin-service.out

echo "# escapes tried from inside"
check_output "unshare -rn, then a socket: no network" "$NONET" in_box su Thomas_US -c "unshare -rn python3 $PROBE $ARGS"
check_output "a raw socket in a namespace of its own: refused" 'PermissionError' in_box su Thomas_US -c \
    "unshare -rn python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)' 2>&1 || true"
check_output "SO_BINDTODEVICE away from the tunnel: refused" '^refused EPERM$' in_box su Thomas_US -c "python3 $STEER rebind lo"
# ICMP to the server's own addresses: through the tunnel, or nowhere (the capture below tells).
in_box su Thomas_US -c "ping -c 1 -W 1 $SRV_V4; ping -6 -c 1 -W 1 $SRV_V6" >/dev/null 2>&1
sleep 1
in_box sh -c 'kill $(cat /root/leaks.pid); sleep 0.5'
check_output "the decoys saw no request at all" '^0$' in_box sh -c 'grep -c "GET /probe" /root/decoy.log || true'
check_output "nothing but WireGuard left the box towards the server meanwhile" '^$' in_box sh -c 'grep IP /root/leaks.txt || true'

echo "# other users are untouched"
check_output "root reaches the decoy on host loopback" 'decoy@127\.0\.0\.1:[0-9]+=REACHED' in_box python3 $PROBE $ARGS
check_output "so does Thomas, through su with pam_subu enabled" '^where=host inet=ok .*decoy@127\.0\.0\.1:[0-9]+=REACHED' in_box su Thomas -c "python3 $PROBE $ARGS"
check_output "and the decoy counted them" '^[1-9]' in_box sh -c 'grep -c "GET /probe" /root/decoy.log || true'

echo "# reboot"
our_key=$(in_box subu WG info WG_1 | sed -n 's/^Our public key: *\([^ ]*\).*/\1/p')
in_box sh -c 'rm -f /home/Thomas_US/boot.out'
bash "$BOX_SH" stop "$BOX" >/dev/null
boot
# The lingering user manager starts at boot, before this test has its server
# back: what its service saw of the network is where it was, not the tunnel.
check "the lingering user service ran at boot" wait_for_file /home/Thomas_US/boot.out 60
SUBU_INO=$(in_box stat -Lc %i /run/netns/ns-subu_1)
HOST_INO=$(in_box stat -Lc %i /proc/1/ns/net)
ARGS="$SUBU_INO $HOST_INO $SRV_TUN_V4:$SRV_HTTP_PORT web.example.internal $DECOYS $SRV_V4:$SRV_HTTP_PORT [$SRV_V6]:$SRV_HTTP_PORT"
check_output "a lingering user service started at boot: inside" "^where=inside inet=ok .*decoy@[^ ]+=blocked$" in_box cat /home/Thomas_US/boot.out
server_up "$our_key" 192.168.112.11/32 >/dev/null
in_box sh -c "cd /var/empty 2>/dev/null || cd /; setsid python3 -m http.server $DECOY_PORT --bind :: > /root/decoy.log 2>&1 < /dev/null & echo \$! > /root/decoy.pid"
check "the decoy listens again" in_box sh -c "for i in \$(seq 50); do ss -ltn | grep -q ':$DECOY_PORT ' && exit 0; sleep 0.1; done; exit 1"
check_output "systemd-run --user after the reboot: inside" "$INSIDE" user_run python3 $PROBE $ARGS
check_output "runuser -u after the reboot: no network" "$NONET" in_box runuser -u Thomas_US -- python3 $PROBE $ARGS
check_output "su - after the reboot: inside" "$INSIDE" in_box su - Thomas_US -c "python3 $PROBE $ARGS"
check "the attached service after the reboot" in_box systemctl start wayin.service
check_output "it is inside" "$INSIDE" in_box cat /run/wayin-service.out
check_output "the decoys saw no request from the subu" '^0$' in_box sh -c 'grep -c "GET /probe" /root/decoy.log || true'
check "subu service detach Thomas_US wayin.service" in_box subu service detach Thomas_US wayin.service
check "the detached service runs again" in_box systemctl start wayin.service
check_output "back outside, as root" '^where=host inet=ok' in_box cat /run/wayin-service.out

in_box sh -c 'kill $(cat /root/decoy.pid) 2>/dev/null; loginctl disable-linger Thomas_US' || true
server_down
summary
