# The tunnel tests' far side, made inside the box: a "server" namespace joined
# to the box's host namespace by a veth, with its own WireGuard peer
# (wireguard-go, configured by wg) and an HTTP server on the tunnel address.
# Everything here is named subu-e2e-* / srv* and removed by server_down.
SRV_NS=subu-e2e-srv
SRV_V4=10.99.0.2 HOST_V4=10.99.0.1
SRV_V6=fd99::2 HOST_V6=fd99::1
SRV_TUN_V4=192.168.112.1
SRV_HTTP_PORT=8080

# server_up [SUBU_PUBLIC_KEY SUBU_TUNNEL_ADDRESS]: prints the server's public key.
server_up() {
    local subu_key=${1:-} subu_addr=${2:-}
    in_box sh -ec "
        ip netns add $SRV_NS
        ip link add srv-host type veth peer name srv-peer
        ip link set srv-peer netns $SRV_NS
        ip addr add $HOST_V4/24 dev srv-host
        ip addr add $HOST_V6/64 dev srv-host nodad
        ip link set srv-host up
        ip -n $SRV_NS link set lo up
        ip -n $SRV_NS addr add $SRV_V4/24 dev srv-peer
        ip -n $SRV_NS addr add $SRV_V6/64 dev srv-peer nodad
        ip -n $SRV_NS link set srv-peer up
        umask 077; [ -s /root/srv.key ] || wg genkey > /root/srv.key
        ip netns exec $SRV_NS wireguard-go srvwg >/dev/null 2>&1
        ip netns exec $SRV_NS wg set srvwg private-key /root/srv.key listen-port 51820 \
            ${subu_key:+peer $subu_key allowed-ips $subu_addr}
        ip -n $SRV_NS addr add $SRV_TUN_V4/24 dev srvwg
        ip -n $SRV_NS link set srvwg mtu 1420 up
        mkdir -p /root/www && echo 'hello from behind the tunnel' > /root/www/index.html
        cd /root/www && ip netns exec $SRV_NS setsid python3 -m http.server $SRV_HTTP_PORT --bind $SRV_TUN_V4 \
            > /root/http.log 2>&1 < /dev/null &
        echo \$! > /root/http.pid
        # A resolver behind the tunnel: web.example.internal is the server's tunnel address.
        ip netns exec $SRV_NS dnsmasq --listen-address=$SRV_TUN_V4 --bind-interfaces --no-resolv --no-hosts \
            --user=root --pid-file=/root/dnsmasq.pid --address=/web.example.internal/$SRV_TUN_V4
        for i in \$(seq 50); do ip netns exec $SRV_NS ss -ltn | grep -q ':$SRV_HTTP_PORT' && break; sleep 0.1; done
        wg pubkey < /root/srv.key
    "
}

# The server's WireGuard peer stops answering (the process stays, the link goes down).
server_peer_down() { in_box ip -n $SRV_NS link set srvwg down; }
server_peer_up() { in_box ip -n $SRV_NS link set srvwg up; in_box ip -n $SRV_NS addr replace $SRV_TUN_V4/24 dev srvwg; }

server_down() {
    in_box sh -c "kill \$(cat /root/http.pid) \$(cat /root/dnsmasq.pid) 2>/dev/null; rm -f /root/http.pid /root/dnsmasq.pid; ip netns pids $SRV_NS 2>/dev/null | xargs -r kill;
                  ip link del srv-host 2>/dev/null; ip netns del $SRV_NS 2>/dev/null; rm -f /root/srv.key" || true
}

# capture SECONDS CMD...: runs CMD while tcpdump listens on the host side of
# the server's veth for what the box sends out of it; prints a line a packet.
# Left out: the link's own housekeeping (ARP, IPv6 neighbour and router
# discovery, multicast listener reports) and the host kernel's ICMP errors
# answering the server, none of which a subu sends.
QUIET='not arp and not (ip6 and dst net ff02::/16) and not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137) and not (icmp and icmp[icmptype] == icmp-unreach)'
capture() {
    local seconds=$1; shift
    in_box sh -c "tcpdump -i srv-host -Q out -n -l -q -U -w /root/cap.pcap '$QUIET' >/dev/null 2>&1 & echo \$! > /root/cap.pid"
    sleep 1
    "$@" >/dev/null 2>&1
    sleep "$seconds"
    in_box sh -c 'kill $(cat /root/cap.pid); sleep 0.5; tcpdump -n -r /root/cap.pcap 2>/dev/null; rm -f /root/cap.pcap /root/cap.pid'
}

# server_add_peer PUBLIC_KEY TUNNEL_ADDRESS: one more subu the server talks to.
server_add_peer() { in_box ip netns exec $SRV_NS wg set srvwg peer "$1" allowed-ips "$2"; }

# client_conf NUM: makes a key pair in the box and prints a wg-quick file for
# the tunnel address 192.168.112.NUM/32 to the server (DNS: the server's
# tunnel address); the server learns the public key. Needs server_up first.
client_conf() {
    local num=$1 key
    key=$(in_box sh -c 'k=$(wg genkey); echo "$k"')
    server_add_peer "$(in_box sh -c "echo '$key' | wg pubkey")" 192.168.112.$num/32
    printf '[Interface]\nPrivateKey = %s\nAddress = 192.168.112.%s/32\nDNS = %s\n\n[Peer]\nPublicKey = %s\nEndpoint = %s:51820\nAllowedIPs = 0.0.0.0/0, ::/0\n' \
        "$key" "$num" "$SRV_TUN_V4" "$SERVER_KEY" "$SRV_V4"
}
