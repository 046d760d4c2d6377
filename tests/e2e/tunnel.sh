#!/bin/bash
# The end-to-end suite of tunnels: the original example run through the CLI in
# a systemd container against a WireGuard server in a namespace the test makes.
set -uo pipefail
BUILD=$(readlink -f "${1:?usage: tunnel.sh BUILD_DIR}")
HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/e2e/server.sh
. "$HERE/server.sh"
e2e_setup e2e-tunnel.log tunnel

# Traffic of every kind from inside the subu's namespace, to the server's own
# addresses (outside the tunnel) and through the tunnel: TCP, UDP, ICMP, v4 and v6.
send_everything() {
    in_box ip netns exec ns-subu_1 sh -c "
        curl -s -m 2 http://$SRV_V4:$SRV_HTTP_PORT/ ; curl -s -m 2 -g http://[$SRV_V6]:$SRV_HTTP_PORT/
        curl -s -m 2 http://$SRV_TUN_V4:$SRV_HTTP_PORT/
        ping -c 1 -W 1 $SRV_V4; ping -6 -c 1 -W 1 $SRV_V6; ping -c 1 -W 1 $SRV_TUN_V4
        echo udp > /dev/udp/$SRV_V4/53; echo udp > /dev/udp/$SRV_V6/53; echo udp > /dev/udp/$SRV_TUN_V4/53
        true"
}

wg_prop() { in_box busctl get-property org.subu.Manager1 /org/subu/Manager1/wg/WG_1 org.subu.WireGuard1 "$1" | awk '{print $2}'; }

boot
install_build "$BUILD" "$HERE/steer_probe.py"
in_box useradd -m Thomas
in_box sh -c 'echo "10.99.0.2 vpn.example.net" >> /etc/hosts'
check_output "subu make Thomas US" '^subu_1  Thomas_US$' in_box subu make Thomas US

echo "# the original example"
check_output "subu WG global 192.168.112.0/24" '192\.168\.112\.0/24' in_box subu WG global 192.168.112.0/24
check_output "subu WG make vpn.example.net:51820 gives WG_1 with .2/32" '^WG_1  192\.168\.112\.2/32$' in_box subu WG make vpn.example.net:51820
info=$(in_box subu WG info WG_1)
check_output "WG info shows the endpoint" 'Endpoint: +vpn\.example\.net:51820' echo "$info"
check_output "WG info shows the backend" 'Backend: +wireguard-go' echo "$info"
our_key=$(sed -n 's/^Our public key: *\([^ ]*\).*/\1/p' <<<"$info")
server_key=$(server_up "$our_key" 192.168.112.2/32 | tail -1)
check_output "the test's server is up" '^[A-Za-z0-9+/]{43}=$' echo "$server_key"
check "subu WG server_provided_public_key WG_1 KEY" in_box subu WG server_provided_public_key WG_1 "$server_key"
check "subu attach WG subu_1 WG_1" in_box subu attach WG subu_1 WG_1
check_output "the tunnel waits while the network is down (subu-wg@ not started)" '^inactive$' in_box sh -c 'systemctl is-active subu-wg@Thomas_US || true'
check "subu network up subu_1" in_box subu network up subu_1
check_output "subu@Thomas_US started subu-wg@Thomas_US" '^active$' in_box systemctl is-active subu-wg@Thomas_US
check_output "wireguard-go is the unit's main process" 'wireguard-go -f subu_1' in_box sh -c 'ps -o args= -p $(systemctl show -P MainPID subu-wg@Thomas_US)'
check_output "the namespace holds lo and subu_1, nothing else" '^lo subu_1 $' in_box sh -c "ip -n ns-subu_1 -o link | awk -F': ' '{printf \"%s \", \$2}'"
check_output "subu_1 has the /32" 'inet 192\.168\.112\.2/32' in_box ip -n ns-subu_1 addr show subu_1
check_output "subu_1 has MTU 1420" 'mtu 1420' in_box ip -n ns-subu_1 link show subu_1
check_output "the default route goes through subu_1" '^default dev subu_1' in_box ip -n ns-subu_1 route
check_output "the IPv6 default route too" '^default dev subu_1' in_box ip -n ns-subu_1 -6 route
check_output "on the host only wireguard-go's placeholder subu_1: down, no address" '^subu_1 DOWN$' in_box sh -c 'ip -br link show subu_1 | awk "{print \$1, \$2}"; ip -o addr show dev subu_1'
check_output "the UDP socket is in the host's namespace" 'wireguard-go' in_box ss -uanp
check_output "ip netns exec ns-subu_1 curl reaches the server through the tunnel" 'hello from behind the tunnel' in_box ip netns exec ns-subu_1 curl -sS -m 5 http://$SRV_TUN_V4:$SRV_HTTP_PORT/
check_output "the server sees the subu's /32 as the source" '^192\.168\.112\.2 .*"GET / ' in_box cat /root/http.log
info=$(in_box subu WG info WG_1)
check_output "WG info shows a recent handshake" 'Latest handshake: +[0-9]+ s ago' echo "$info"
rx1=$(wg_prop RxBytes); tx1=$(wg_prop TxBytes)
in_box ip netns exec ns-subu_1 curl -s -m 5 http://$SRV_TUN_V4:$SRV_HTTP_PORT/ >/dev/null
rx2=$(wg_prop RxBytes); tx2=$(wg_prop TxBytes)
if ((rx1 > 0 && rx2 > rx1 && tx2 > tx1)); then ok "the byte counters grow ($rx1 -> $rx2 received, $tx1 -> $tx2 sent)"
else not_ok "the byte counters grow" "rx $rx1 -> $rx2, tx $tx1 -> $tx2"; fi
check_output "Running and Backend are properties" 'b true' in_box busctl get-property org.subu.Manager1 /org/subu/Manager1/wg/WG_1 org.subu.WireGuard1 Running

echo "# the second wall: sockets of the subu's processes pinned to its tunnel"
check_output "subu exec: every socket is bound to subu_1" '^tcp4=subu_1 udp4=subu_1 tcp6=subu_1 udp6=subu_1$' in_box subu exec Thomas_US -- python3 /usr/local/bin/steer_probe.py bound
check_output "subu info shows the steering" 'Steering: .*subu_1' in_box subu info Thomas_US
check_fails "a subu's program cannot make a network namespace of its own" '[1-9]*' 'unshare' in_box subu exec Thomas_US -- unshare -rn true
check_output "nor bind a socket to another device" 'refused EPERM' in_box subu exec Thomas_US -- python3 /usr/local/bin/steer_probe.py rebind lo
check_output "subu exec curl goes through the tunnel" 'hello from behind the tunnel' in_box subu exec Thomas_US -- curl -sS -m 5 http://$SRV_TUN_V4:$SRV_HTTP_PORT/

echo "# no leaks"
seen=$(capture 2 send_everything)
wg_only=$(grep -cE "IP $HOST_V4\.[0-9]+ > $SRV_V4\.51820: UDP" <<<"$seen")
other=$(grep -vE "IP $HOST_V4\.[0-9]+ > $SRV_V4\.51820: UDP" <<<"$seen" | grep -v '^$')
if ((wg_only > 0)) && [[ -z $other ]]; then ok "TCP, UDP and ICMP over v4 and v6 leave only as WireGuard UDP to the endpoint ($wg_only packets)"
else not_ok "only WireGuard UDP leaves" "$wg_only WireGuard packets; others: $other"; fi
check_fails "the server's own address is not reachable around the tunnel" '[1-9]*' '' in_box ip netns exec ns-subu_1 curl -sS -m 2 http://$SRV_V4:$SRV_HTTP_PORT/
server_peer_down
seen=$(capture 2 send_everything)
other=$(grep -vE "IP $HOST_V4\.[0-9]+ > $SRV_V4\.51820: UDP" <<<"$seen" | grep -v '^$')
if [[ -z $other ]]; then ok "with the server's peer down, nothing but WireGuard UDP to the endpoint leaves"
else not_ok "with the server's peer down, nothing but WireGuard UDP to the endpoint leaves" "$other"; fi
server_peer_up
check "subu WG down WG_1" in_box subu WG down WG_1
check_output "the tunnel's unit stops" '^inactive$' in_box sh -c 'systemctl is-active subu-wg@Thomas_US || true'
check_output "the subu stays up" '^active$' in_box systemctl is-active subu@Thomas_US
check_output "the namespace holds only lo" '^1$' in_box sh -c 'ip -n ns-subu_1 -o link | wc -l'
check_output "the subu's sockets fail closed (bound to lo)" '^tcp4=lo udp4=lo tcp6=lo udp6=lo$' in_box subu exec Thomas_US -- python3 /usr/local/bin/steer_probe.py bound
seen=$(capture 1 send_everything)
if [[ -z $(grep -v '^$' <<<"$seen") ]]; then ok "with the tunnel down, not one packet leaves (v4, v6, TCP, UDP, ICMP)"
else not_ok "with the tunnel down, not one packet leaves" "$seen"; fi
check "subu WG up WG_1" in_box subu WG up WG_1
check_output "and it works again" 'hello from behind' in_box ip netns exec ns-subu_1 curl -sS -m 5 http://$SRV_TUN_V4:$SRV_HTTP_PORT/
check_output "its sockets are bound to the tunnel again, with no other command" '^tcp4=subu_1 ' in_box subu exec Thomas_US -- python3 /usr/local/bin/steer_probe.py bound

echo "# supervision and crash safety"
pid=$(in_box systemctl show -P MainPID subu-wg@Thomas_US)
in_box kill -9 "$pid"
for _ in $(seq 50); do
    new=$(in_box systemctl show -P MainPID subu-wg@Thomas_US)
    [[ $new != 0 && $new != "$pid" ]] && in_box systemctl is-active -q subu-wg@Thomas_US && break
    sleep 0.2
done
check_output "systemd restarts a killed wireguard-go" '^active$' in_box systemctl is-active subu-wg@Thomas_US
check_output "and the tunnel carries traffic again" 'hello from behind' in_box ip netns exec ns-subu_1 curl -sS -m 5 http://$SRV_TUN_V4:$SRV_HTTP_PORT/
# An endpoint that stops resolving (a boot whose network comes late): the unit
# fails and systemd keeps starting it again until the name resolves.
in_box sed -i '/vpn\.example\.net/d' /etc/hosts
in_box systemctl restart --no-block subu-wg@Thomas_US
for _ in $(seq 40); do in_box systemctl is-failed -q subu-wg@Thomas_US && break
    [[ $(in_box systemctl show -P ActiveState subu-wg@Thomas_US) == activating ]] && in_box journalctl -u subu-wg@Thomas_US --no-pager | grep -q 'Could not resolve' && break; sleep 0.5; done
check_output "a tunnel whose endpoint does not resolve says so in the journal" 'Could not resolve the endpoint "vpn\.example\.net:51820"' in_box journalctl -u subu-wg@Thomas_US --no-pager
in_box sh -c 'echo "10.99.0.2 vpn.example.net" >> /etc/hosts'
for _ in $(seq 40); do in_box systemctl is-active -q subu-wg@Thomas_US && break; sleep 0.5; done
check_output "systemd starts it again until it resolves, with no command" '^active$' in_box systemctl is-active subu-wg@Thomas_US
check_output "and it carries traffic" 'hello from behind' in_box ip netns exec ns-subu_1 curl -sS -m 5 http://$SRV_TUN_V4:$SRV_HTTP_PORT/
check "re-applying the configuration changes nothing (systemctl reload)" in_box systemctl reload subu-wg@Thomas_US
check_output "the address is there once" '^1$' in_box sh -c 'ip -n ns-subu_1 -o addr show subu_1 | grep -c "inet "'

# The state a manager killed between committing an attach and starting its
# unit leaves: attached in the store, the unit not running.
in_box systemctl stop subu-manager
in_box systemctl stop subu-wg@Thomas_US
in_box subu list >/dev/null
check_output "a manager started after such a crash starts the tunnel the store wants" '^active$' in_box systemctl is-active subu-wg@Thomas_US
check_output "and says so in the journal" 'At start, the tunnel unit of Thomas_US was started' in_box journalctl -t subu-manager -b --no-pager

echo "# reboot"
bash "$BOX_SH" stop "$BOX" >/dev/null
boot
check_output "after a reboot the tunnel is up with no command" '^active$' in_box systemctl is-active subu-wg@Thomas_US
check_output "and the subu's sockets are pinned to it" '^tcp4=subu_1 udp4=subu_1 ' in_box subu exec Thomas_US -- python3 /usr/local/bin/steer_probe.py bound
check_output "configured inside the namespace" 'inet 192\.168\.112\.2/32' in_box ip -n ns-subu_1 addr show subu_1
# The server's namespace went with the old boot; it comes back with the same key.
server_key2=$(server_up "$our_key" 192.168.112.2/32 | tail -1)
check_output "the server kept its key" "^${server_key//+/\\+}\$" echo "$server_key2"
check_output "and carries traffic" 'hello from behind' in_box ip netns exec ns-subu_1 curl -sS -m 5 http://$SRV_TUN_V4:$SRV_HTTP_PORT/

echo "# DNS, and an imported tunnel"
check_output "subu make Thomas EU" '^subu_2  Thomas_EU$' in_box subu make Thomas EU
in_box sh -c 'umask 077; wg genkey > /root/eu.key'
eu_pub=$(in_box sh -c 'wg pubkey < /root/eu.key')
in_box ip netns exec $SRV_NS wg set srvwg peer "$eu_pub" allowed-ips 192.168.112.9/32
in_box sh -c "cat > /root/wg0.conf <<EOF
[Interface]
PrivateKey = \$(cat /root/eu.key)
Address = 192.168.112.9/32
DNS = $SRV_TUN_V4, example.internal
MTU = 1380
PostUp = echo hi

[Peer]
PublicKey = $server_key2
Endpoint = $SRV_V4:51820
AllowedIPs = 0.0.0.0/0, ::/0
PersistentKeepalive = 25
EOF"
check_output "subu WG import wg0.conf notes what it ignores" 'PostUp' in_box subu WG import /root/wg0.conf
check "attach WG Thomas_EU WG_2" in_box subu attach WG Thomas_EU WG_2
check "network up Thomas_EU" in_box subu network up Thomas_EU
check_output "the DNS server is in /etc/netns/ns-subu_2/resolv.conf" "^nameserver $SRV_TUN_V4\$" in_box cat /etc/netns/ns-subu_2/resolv.conf
check_output "with the search domain" '^search example\.internal$' in_box cat /etc/netns/ns-subu_2/resolv.conf
check_output "ip netns exec sees it as /etc/resolv.conf" "^nameserver $SRV_TUN_V4\$" in_box ip netns exec ns-subu_2 cat /etc/resolv.conf
check_output "a name resolves inside the subu through the tunnel's DNS" "^$SRV_TUN_V4 +web\.example\.internal" in_box ip netns exec ns-subu_2 getent hosts web.example.internal
seen=$(capture 1 in_box ip netns exec ns-subu_2 getent hosts web.example.internal)
other=$(grep -vE "IP $HOST_V4\.[0-9]+ > $SRV_V4\.51820: UDP" <<<"$seen" | grep -v '^$')
if [[ -z $other ]] && grep -q 51820 <<<"$seen"; then ok "the lookup leaves only inside WireGuard UDP"; else not_ok "the lookup leaves only inside WireGuard UDP" "$seen"; fi
check_output "and by name, through the tunnel" 'hello from behind' in_box ip netns exec ns-subu_2 curl -sS -m 5 http://web.example.internal:$SRV_HTTP_PORT/
check_output "subu exec resolves through the tunnel's DNS too" "^$SRV_TUN_V4 +web\.example\.internal" in_box subu exec Thomas_EU -- getent hosts web.example.internal
seen=$(capture 1 in_box subu exec Thomas_EU -- getent hosts web.example.internal)
other=$(grep -vE "IP $HOST_V4\.[0-9]+ > $SRV_V4\.51820: UDP" <<<"$seen" | grep -v '^$')
if [[ -z $other ]] && grep -q 51820 <<<"$seen"; then ok "subu exec's lookup leaves only inside WireGuard UDP"; else not_ok "subu exec's lookup leaves only inside WireGuard UDP" "$seen"; fi
check_output "subu exec fetches by name through the tunnel" 'hello from behind' in_box subu exec Thomas_EU -- curl -sS -m 5 http://web.example.internal:$SRV_HTTP_PORT/
check_output "the imported MTU is used" 'mtu 1380' in_box ip -n ns-subu_2 link show subu_2
check_output "the imported tunnel carries traffic" 'hello from behind' in_box ip netns exec ns-subu_2 curl -sS -m 5 http://$SRV_TUN_V4:$SRV_HTTP_PORT/
check_output "the server sees its address" '^192\.168\.112\.9 ' in_box tail -1 /root/http.log

echo "# secrets"
secrets=("$(in_box head -c 44 /var/lib/subu/keys/WG_1.key)" "$(in_box cat /root/eu.key)")
in_box rm /root/wg0.conf /root/eu.key
busctl_dump=$(in_box sh -c 'for o in WG_1 WG_2; do busctl introspect org.subu.Manager1 /org/subu/Manager1/wg/$o; done; busctl call org.subu.Manager1 /org/subu/Manager1 org.freedesktop.DBus.ObjectManager GetManagedObjects')
for s in "${secrets[@]}"; do
    # The secret goes in by stdin and a file under /root (not scanned), so the
    # scan's own command line does not hold it.
    printf '%s\n' "$s" | in_box sh -c 'cat > /root/.secret'
    where=$(in_box sh -c "grep -rlF -f /root/.secret /var/lib/subu /etc /run /tmp /home /usr/lib/systemd /lib/systemd 2>/dev/null | grep -v '^/var/lib/subu/keys/'
        grep -lF -f /root/.secret /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null
        journalctl -o export --no-pager | grep -caF -f /root/.secret | grep -v '^0\$'")
    in_box rm -f /root/.secret
    grep -qF -e "$s" <<<"$busctl_dump" && where+=" D-Bus"
    if [[ -z $where ]]; then ok "a private key appears nowhere but its key file (store, units, /etc, /run, /tmp, /home, environments, command lines, journal, D-Bus)"
    else not_ok "a private key appears nowhere but its key file" "$where"; fi
done

echo "# bad input"
check "subu make Thomas JP" in_box subu make Thomas JP
check "subu network up Thomas_JP" in_box subu network up Thomas_JP
check_output "WG make nowhere.invalid:51820" '^WG_3 ' in_box subu WG make nowhere.invalid:51820
in_box subu WG server_provided_public_key WG_3 "$server_key2" >/dev/null
check_fails "attaching a second tunnel to a subu is refused" 6 'already has the tunnel WG_1' in_box subu attach WG Thomas_US WG_3
before=$(in_box sh -c 'sqlite3 /var/lib/subu/subu.db "SELECT * FROM wg" ; ip -n ns-subu_3 -o link')
check_fails "a tunnel whose endpoint does not resolve is not attached, and says why" 1 'Could not start subu-wg@Thomas_JP\.service.*journalctl' in_box subu attach WG Thomas_JP WG_3
after=$(in_box sh -c 'sqlite3 /var/lib/subu/subu.db "SELECT * FROM wg" ; ip -n ns-subu_3 -o link')
if [[ $before == "$after" ]]; then ok "the failed attach changed nothing"; else not_ok "the failed attach changed nothing" "$(diff <(echo "$before") <(echo "$after"))"; fi
check_output "the journal says the name did not resolve" 'Could not resolve the endpoint "nowhere\.invalid:51820"' in_box journalctl -u subu-wg@Thomas_JP --no-pager

echo "# detach and remove leave nothing behind"
check "subu detach WG subu_1" in_box subu detach WG subu_1
check_output "no tunnel interface in ns-subu_1" '^1$' in_box sh -c 'ip -n ns-subu_1 -o link | wc -l'
check_output "its unit is stopped" '^inactive$' in_box sh -c 'systemctl is-active subu-wg@Thomas_US || true'
check "subu WG remove WG_1" in_box subu WG remove WG_1
check_output "its key file is gone" '^gone$' in_box sh -c 'test -e /var/lib/subu/keys/WG_1.key && echo there || echo gone'
check "subu remove --purge Thomas_EU (with its tunnel attached)" in_box subu remove --purge Thomas_EU
check_output "no wireguard-go of a subu is left" '^0$' in_box sh -c 'ps -eo args | grep -c "^/usr/bin/wireguard-go -f subu_" || true'
check_output "no subu_N interface, no resolv.conf, no socket left" '^$' in_box sh -c 'ip -o link | grep subu_; ls /etc/netns/ns-subu_2 /run/wireguard/subu_* 2>/dev/null; true'
server_down
check_output "the test's server is gone" '^$' in_box sh -c "ip netns list | grep $SRV_NS; ip -o link | grep srv-; true"

summary
