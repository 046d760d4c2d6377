# The tunnel tests' far side, made inside the box: a "server" namespace joined
# to the box's host namespace by a veth, with its own WireGuard peer
# (wireguard-go, configured by wg) and an HTTP server on the tunnel address.
# Everything here is named subu-e2e-* / srv* and removed by server_down.
SRV_NS=subu-e2e-srv
SRV_V4=10.99.0.2 HOST_V4=10.99.0.1
SRV_V6=fd99::2 HOST_V6=fd99::1
SRV_TUN_V4=192.168.112.1
SRV_HTTP_PORT=8080

# server_up SUBU_PUBLIC_KEY SUBU_TUNNEL_ADDRESS: prints the server's public key.
server_up() {
    local subu_key=$1 subu_addr=$2
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
            peer $subu_key allowed-ips $subu_addr
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
