#!/bin/bash
# End-to-end socket steering: the program on each subu slice, seen from processes in the subus, in a systemd container.
# A veth pair per subu stands in for its WireGuard tunnel (named subu_<WG number>, in the subu's namespace);
# its other end sits in a namespace the test makes, with the "peer" on it.
set -uo pipefail
BUILD=$(readlink -f "${1:?usage: steer.sh BUILD_DIR}")
HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"
e2e_setup e2e-steer.log steer

PROBE=/usr/local/bin/steer_probe.py
# in_subu SUBU NS CMD...: CMD as the subu's user, in its slice and namespace, as subu exec will run it.
in_subu() {
    local subu=$1 ns=$2; shift 2
    in_box systemd-run --quiet --wait --pipe --collect --slice="$(slice_of "$subu")" --uid="$subu" \
        -p NetworkNamespacePath="/run/netns/$ns" "$@"
}
slice_of() { local s="subu-${1//_/-}.slice"; echo "$s"; }
cgroup_of() {
    local name=$1 path=subu.slice part="" tok
    local IFS=_
    for tok in $name; do part=${part:+$part-}$tok; path="$path/subu-$part.slice"; done
    echo "/sys/fs/cgroup/$path"
}
# attachments SUBU: "TYPE COUNT" per attach type on the subu's slice itself, from bpftool cgroup tree.
attachments() {
    in_box bpftool -j cgroup tree /sys/fs/cgroup | python3 -c '
import json, sys, collections
want = sys.argv[1]
c = collections.Counter()
for cg in json.load(sys.stdin):
    if cg["cgroup"] == want:
        for p in cg["programs"]:
            c[p["attach_type"]] += 1
print(" ".join("%s=%d" % kv for kv in sorted(c.items())) or "none")' "$(cgroup_of "$1")"
}
ALL_HOOKS='cgroup_inet4_connect=1 cgroup_inet6_connect=1 cgroup_inet_sock_create=1 cgroup_setsockopt=1 cgroup_udp4_sendmsg=1 cgroup_udp6_sendmsg=1'

# stand_in N SUBU_NS V4NET: veth subu_N in SUBU_NS (V4NET.2/24, fd9N::2/64, default routes) <-> peerN in
# ns-steer-peer (V4NET.1/24, fd9N::1/64).
stand_in() {
    local n=$1 ns=$2 net=$3
    in_box sh -ec "
      ip netns list | grep -qw ns-steer-peer || ip netns add ns-steer-peer
      ip link add subu_$n type veth peer name peer$n
      ip link set subu_$n netns $ns
      ip link set peer$n netns ns-steer-peer
      ip -n $ns addr add $net.2/24 dev subu_$n
      ip -n $ns -6 addr add fd9$n::2/64 dev subu_$n nodad
      ip -n $ns link set subu_$n up
      ip -n $ns route add default dev subu_$n
      ip -n $ns -6 route add default dev subu_$n
      ip -n ns-steer-peer addr add $net.1/24 dev peer$n
      ip -n ns-steer-peer -6 addr add fd9$n::1/64 dev peer$n nodad
      ip -n ns-steer-peer link set peer$n up
      ip -n ns-steer-peer link set lo up"
}

boot
install_build "$BUILD" "$HERE/steer_probe.py"
in_box useradd -m Thomas

echo "# the program is loaded before any subu slice"
check_output "subu-bpf.service pins every hook and the map" '^connect4 connect6 sendmsg4 sendmsg6 setsockopt sock_create subu_steer $' in_box sh -c 'systemctl start subu-bpf && ls /sys/fs/bpf/subu | tr "\n" " "'
check_output "subu-apply bpf-load again keeps the pins (same code)" 'already pinned' in_box sh -c '/usr/libexec/subu/subu-apply bpf-load && journalctl -b -t subu-apply --no-pager | tail -1'
check_output "subu make Thomas US" '^subu_1  Thomas_US$' in_box subu make Thomas US
check_output "subu make Thomas US Rabbit" '^subu_2  Thomas_US_Rabbit$' in_box subu make Thomas US Rabbit
# make starts the slice at once; its generated unit, with the BPFProgram= lines,
# comes with the manager's reload once it has been idle for 300 ms.
check "the generated slices are loaded" in_box sh -c 'for i in $(seq 1 50); do systemctl show -p FragmentPath subu-Thomas-US-Rabbit.slice | grep -q /run/systemd/generator/ && exit 0; sleep 0.1; done; exit 1'
check_output "bpftool cgroup tree: one attachment per hook on Thomas_US's slice" "^$ALL_HOOKS\$" attachments Thomas_US
check_output "and on the nested Thomas_US_Rabbit's own slice" "^$ALL_HOOKS\$" attachments Thomas_US_Rabbit
check_output "none on the owner's slice, which is no subu" '^none$' attachments Thomas

echo "# tunnels (veth stand-ins) and steering"
key=$(in_box sh -c 'wg genkey | wg pubkey' 2>/dev/null || echo HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=)
for n in 1 2; do
    net=10.9$n.0
    in_box sh -c "printf '[Interface]\nPrivateKey = %s\nAddress = $net.2/32\nDNS = $net.1\n\n[Peer]\nPublicKey = $key\nEndpoint = 192.0.2.$n:51820\nAllowedIPs = 0.0.0.0/0\n' \"\$(wg genkey 2>/dev/null || echo $key)\" > /root/wg$n.conf"
    in_box subu WG import /root/wg$n.conf >/dev/null
done
check "attach WG_1 to Thomas_US and WG_2 to Thomas_US_Rabbit" in_box sh -c 'subu attach WG Thomas_US WG_1 && subu attach WG Thomas_US_Rabbit WG_2'
check "network up for both" in_box sh -c 'subu network up Thomas_US && subu network up Thomas_US_Rabbit'
check_output "before its tunnel a subu fails closed" 'Steering: +closed, attached to the slice' in_box subu info Thomas_US
check_output "a socket made then is bound to lo" '^tcp4=lo udp4=lo tcp6=lo udp6=lo$' in_subu Thomas_US ns-subu_1 $PROBE bound
stand_in 1 ns-subu_1 10.91.0
stand_in 2 ns-subu_2 10.92.0
up_start=$(date +%s%N)
check "the tunnel is up: subu-apply steer (what the tunnel unit runs)" in_box /usr/libexec/subu/subu-apply steer Thomas_US
steer_ms=$((($(date +%s%N) - up_start) / 1000000))
in_box /usr/libexec/subu/subu-apply steer Thomas_US_Rabbit
check_output "subu info shows steering on its tunnel" 'Steering: +on subu_1, attached to the slice' in_box subu info Thomas_US
check_output "the Subu1 properties too" 'SteeringInterface +property +s +"subu_1"' in_box busctl introspect org.subu.Manager1 /org/subu/Manager1/subu/subu_1
check_output "TCP, UDP, v4 and v6 sockets in Thomas_US are bound to subu_1" '^tcp4=subu_1 udp4=subu_1 tcp6=subu_1 udp6=subu_1$' in_subu Thomas_US ns-subu_1 $PROBE bound
check_output "the nested subu's to its own tunnel subu_2" '^tcp4=subu_2 udp4=subu_2 tcp6=subu_2 udp6=subu_2$' in_subu Thomas_US_Rabbit ns-subu_2 $PROBE bound
check_output "a process outside any subu slice is untouched" '^tcp4=- udp4=- tcp6=- udp6=-$' in_box systemd-run --quiet --wait --pipe --collect -p NetworkNamespacePath=/run/netns/ns-subu_1 $PROBE bound
check_output "the subu's user outside its slice too" '^tcp4=- udp4=- tcp6=- udp6=-$' in_box systemd-run --quiet --wait --pipe --collect --uid=Thomas_US -p NetworkNamespacePath=/run/netns/ns-subu_1 $PROBE bound
check_output "loopback works inside the subu (127.0.0.1 and ::1)" '^127\.0\.0\.1=ok ::1=ok$' in_subu Thomas_US ns-subu_1 $PROBE loopback
check_output "and in the nested one" '^127\.0\.0\.1=ok ::1=ok$' in_subu Thomas_US_Rabbit ns-subu_2 $PROBE loopback

echo "# network up: steering on with no further command"
check_output "subu make Thomas EU" '^subu_3  Thomas_EU$' in_box subu make Thomas EU
in_box sh -c "printf '[Interface]\nPrivateKey = %s\nAddress = 10.93.0.2/32\nDNS = 10.93.0.1\n\n[Peer]\nPublicKey = $key\nEndpoint = 192.0.2.3:51820\nAllowedIPs = 0.0.0.0/0\n' \"\$(wg genkey 2>/dev/null || echo $key)\" > /root/wg3.conf && subu WG import /root/wg3.conf >/dev/null && subu attach WG Thomas_EU WG_3"
stand_in 3 ns-subu_3 10.93.0
up_ms=$(in_box sh -c 's=$(date +%s%N); subu network up Thomas_EU >/dev/null && echo $((($(date +%s%N) - s) / 1000000))')
check_output "right after network up, Thomas_EU's sockets are bound to its tunnel subu_3" '^tcp4=subu_3 udp4=subu_3 tcp6=subu_3 udp6=subu_3$' in_subu Thomas_EU ns-subu_3 $PROBE bound
apply_us=$(in_box journalctl -b -o verbose -t subu-apply --no-pager SUBU_NAME=Thomas_EU SUBU_APPLY_VERB=up | sed -n 's/^ *SUBU_APPLY_USEC=//p' | tail -1)
echo "network up to steering on: subu network up took ${up_ms} ms; its subu-apply up (namespace, loopback, steering) ${apply_us} us"

echo "# the peer, and local forwarding"
in_box mkdir -p /srv/steer-peer
in_box sh -c 'echo hello > /srv/steer-peer/index.html'
in_box systemd-run --quiet --unit=steer-peer-http -p NetworkNamespacePath=/run/netns/ns-steer-peer \
    python3 -m http.server --directory /srv/steer-peer --bind 10.91.0.1 8080
check "the peer's HTTP server listens" in_box sh -c 'for i in $(seq 1 50); do ip netns exec ns-steer-peer python3 -c "import socket; socket.create_connection((\"10.91.0.1\", 8080), 1)" 2>/dev/null && exit 0; sleep 0.1; done; exit 1'
check_output "the subu reaches the peer through its tunnel" '^HTTP/1\.0 200' in_subu Thomas_US ns-subu_1 $PROBE get 10.91.0.1 8080
check_fails "without local forwarding 127.0.0.1:8080 is the subu's own (nothing listens: refused, or timed out as the reset comes over lo)" 1 'ECONNREFUSED|timed out' in_subu Thomas_US ns-subu_1 $PROBE get 127.0.0.1 8080
check "Thomas turns local forwarding on without sudo" in_box runuser -u Thomas -- subu option set Thomas_US local_forwarding on
check_output "127.0.0.1:8080 reaches the HTTP server on the peer's tunnel address" '^HTTP/1\.0 200' in_subu Thomas_US ns-subu_1 $PROBE get 127.0.0.1 8080
check_output "so does 127.1.2.3:8080 (all of 127/8)" '^HTTP/1\.0 200' in_subu Thomas_US ns-subu_1 $PROBE get 127.1.2.3 8080
check "local forwarding off again" in_box subu option set Thomas_US local_forwarding off
check_fails "and 127.0.0.1 is local again" 1 'ECONNREFUSED|timed out' in_subu Thomas_US ns-subu_1 $PROBE get 127.0.0.1 8080

echo "# steer_enabled, live"
check "steer_enabled off" in_box runuser -u Thomas -- subu option set Thomas_US steer_enabled off
check_output "sockets are not bound" '^tcp4=- udp4=- tcp6=- udp6=-$' in_subu Thomas_US ns-subu_1 $PROBE bound
check_output "subu info says off" 'Steering: +off, attached to the slice' in_box subu info Thomas_US
check_output "the nested subu keeps its own steering" '^tcp4=subu_2' in_subu Thomas_US_Rabbit ns-subu_2 $PROBE bound
check "steer_enabled on" in_box subu option set Thomas_US steer_enabled on
check_output "bound again, nothing restarted" '^tcp4=subu_1 udp4=subu_1 tcp6=subu_1 udp6=subu_1$' in_subu Thomas_US ns-subu_1 $PROBE bound
check_output "subu@Thomas_US ran all along" '^active$' in_box systemctl is-active subu@Thomas_US

echo "# a process in the subu cannot undo it"
check_output "SO_BINDTODEVICE to lo is refused" '^refused EPERM$' in_subu Thomas_US ns-subu_1 $PROBE rebind lo
check_output "even for root in the subu's slice" '^refused EPERM$' in_box systemd-run --quiet --wait --pipe --collect --slice=subu-Thomas-US.slice -p NetworkNamespacePath=/run/netns/ns-subu_1 $PROBE rebind subu_1
check_output "a network namespace of its own gets sockets bound to lo" '^tcp4=lo udp4=lo tcp6=lo udp6=lo$' in_subu Thomas_US ns-subu_1 unshare -Urn $PROBE bound
check_output "a root process in the slice but in the box's namespace gets sockets bound to lo" '^tcp4=lo' in_box systemd-run --quiet --wait --pipe --collect --slice=subu-Thomas-US.slice $PROBE bound
check_fails "and cannot connect out (EPERM)" 1 'error EPERM' in_box systemd-run --quiet --wait --pipe --collect --slice=subu-Thomas-US.slice $PROBE get 10.0.0.1 80

echo "# fail closed: the tunnel gone"
in_box sh -c 'ip netns exec ns-steer-peer timeout 6 tcpdump -n -i peer1 -c 5 not arp and not icmp6 > /tmp/capture.txt 2>/dev/null & echo $! > /tmp/capture.pid'
sleep 1
check "detach the tunnel (the veth stays up and addressed)" in_box sh -c 'subu detach WG Thomas_US && /usr/libexec/subu/subu-apply steer Thomas_US'
check_output "subu info says closed" 'Steering: +closed' in_box subu info Thomas_US
check_fails "TCP to the peer is refused" 1 'error EPERM' in_subu Thomas_US ns-subu_1 $PROBE get 10.91.0.1 8080
check_output "UDP to the peer is refused, sent and connected" '^sendto=EPERM connect=EPERM$' in_subu Thomas_US ns-subu_1 $PROBE send 10.91.0.1 9
in_box subu option set Thomas_US local_forwarding on >/dev/null
check_fails "local forwarding does not open a way out" 1 '^error (EPERM|ECONNREFUSED)$' in_subu Thomas_US ns-subu_1 $PROBE get 127.0.0.1 8080
in_box subu option set Thomas_US local_forwarding off >/dev/null
check_output "loopback still works" '^127\.0\.0\.1=ok ::1=ok$' in_subu Thomas_US ns-subu_1 $PROBE loopback
sleep 5
check_output "nothing was captured on the peer's end of the veth" '^0$' in_box sh -c 'grep -c "IP" /tmp/capture.txt || true'
check "the tunnel back" in_box sh -c 'subu attach WG Thomas_US WG_1 && /usr/libexec/subu/subu-apply steer Thomas_US'
check_output "and the peer is reached again" '^HTTP/1\.0 200' in_subu Thomas_US ns-subu_1 $PROBE get 10.91.0.1 8080
check_output "the map holds one entry per subu namespace" '^3$' in_box sh -c 'bpftool -j map dump pinned /sys/fs/bpf/subu/subu_steer | python3 -c "import json,sys; print(len(json.load(sys.stdin)))"'

echo "# reboot"
in_box systemctl stop steer-peer-http
bash "$BOX_SH" stop "$BOX" >/dev/null
boot
check_output "after a reboot subu-bpf.service has run" '^active$' in_box systemctl is-active subu-bpf.service
check_output "Thomas_US's slice has its hooks again, with no command" "^$ALL_HOOKS\$" attachments Thomas_US
check_output "so has the nested one" "^$ALL_HOOKS\$" attachments Thomas_US_Rabbit
check_output "no tunnel after boot: closed, attached" 'Steering: +closed, attached to the slice' in_box subu info Thomas_US
check_output "sockets made now are bound to lo" '^tcp4=lo udp4=lo tcp6=lo udp6=lo$' in_subu Thomas_US ns-subu_1 $PROBE bound
stand_in 1 ns-subu_1 10.91.0
in_box /usr/libexec/subu/subu-apply steer Thomas_US
check_output "its tunnel back: bound" '^tcp4=subu_1 udp4=subu_1 tcp6=subu_1 udp6=subu_1$' in_subu Thomas_US ns-subu_1 $PROBE bound

echo "# remove"
in_box subu detach WG Thomas_US_Rabbit >/dev/null
check "subu remove Thomas_US_Rabbit" in_box subu remove --purge Thomas_US_Rabbit
check "its slice is gone" in_box sh -c 'for i in $(seq 1 50); do systemctl is-active -q subu-Thomas-US-Rabbit.slice || exit 0; sleep 0.1; done; exit 1'
check_output "no attachment is left for it" '^none$' attachments Thomas_US_Rabbit
check_output "its entry is gone from the map" '^2$' in_box sh -c 'bpftool -j map dump pinned /sys/fs/bpf/subu/subu_steer | python3 -c "import json,sys; print(len(json.load(sys.stdin)))"'
check_output "Thomas_US keeps its own" "^$ALL_HOOKS\$" attachments Thomas_US

echo
echo "subu-apply steer after a tunnel came up: ${steer_ms} ms (with entering the box); network up to steering on: ${up_ms} ms"
in_box ip netns del ns-steer-peer 2>/dev/null
summary
