#!/bin/bash
# The main job in a safe sandbox: builds subu, boots systemd in a throw-away
# container, installs subu there and walks through what a user does.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
bash scripts/setup-debian.sh >/dev/null
bash scripts/build.sh >/dev/null
BOX=/var/tmp/subu-e2e/demo-$$
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
# shellcheck source=tests/e2e/server.sh
. tests/e2e/server.sh
trap 'bash "$BOX_SH" destroy "$BOX" >/dev/null 2>&1' EXIT
echo "Booting systemd in a container ($BOX)..."
bash "$BOX_SH" boot "$BOX" >/dev/null
install_build "$PWD/build"
show() { printf '\n\033[1m# %s\033[0m\n' "$*"; in_box "$@" || echo "(exit status $?)"; }
show useradd -m -s /bin/bash Thomas
show subu init
show subu make Thomas US
show subu make Thomas US Rabbit
show busctl call org.subu.Manager1 /org/subu/Manager1 org.subu.Manager1 MakeSubu as 2 Thomas local
show subu list
show subu info Thomas_US
show id Thomas_US
show ip netns exec ns-subu_1 ip -br link

printf '\n\033[1m# (a WireGuard server for the demo: a namespace inside the container, vpn.example.net)\033[0m\n'
in_box sh -c 'echo "10.99.0.2 vpn.example.net" >> /etc/hosts'
SERVER_KEY=$(server_up | tail -1)
show subu WG global 192.168.112.0/24
show subu WG make vpn.example.net:51820
server_add_peer "$(in_box subu WG info WG_1 | sed -n 's/^Our public key: *\([^ ]*\).*/\1/p')" 192.168.112.2/32
show subu WG server_provided_public_key WG_1 "$SERVER_KEY"
show subu attach WG subu_1 WG_1
show subu network up subu_1
show systemctl status subu@Thomas_US subu-wg@Thomas_US --no-pager -n 0
show ip netns exec ns-subu_1 ip -br addr
show ip netns exec ns-subu_1 ip route
show ip netns exec ns-subu_1 curl -sS -m 5 http://192.168.112.1:8080/
show runuser -u Thomas -- subu exec Thomas_US -- id -un
show runuser -u Thomas -- subu exec Thomas_US -- curl -sS -m 5 http://192.168.112.1:8080/
show runuser -u Thomas -- subu exec Thomas_US -- sh -c 'exit 42'
show subu info Thomas_US
show subu WG info WG_1
show systemd-cgls --all --no-pager /subu.slice
show subu WG down WG_1
show ip netns exec ns-subu_1 ip -br link
show runuser -u Thomas -- subu exec Thomas_US -- curl -sS -m 3 http://192.168.112.1:8080/
show subu WG up WG_1
show runuser -u Thomas -- subu option set Thomas_US isolation strict
show subu option list Thomas_US
show subu make Thomas U_S
show subu detach WG subu_1
show subu WG remove WG_1
show subu remove Thomas_US_Rabbit
show subu remove Thomas_US
show subu list
show busctl introspect org.subu.Manager1 /org/subu/Manager1 org.subu.Manager1
show systemctl status subu-manager --no-pager -n 5
server_down
echo; echo "Done; the container is removed on exit."
