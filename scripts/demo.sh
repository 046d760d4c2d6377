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
trap 'bash "$BOX_SH" destroy "$BOX" >/dev/null 2>&1' EXIT
echo "Booting systemd in a container ($BOX)..."
bash "$BOX_SH" boot "$BOX" >/dev/null
install_build "$PWD/build"
show() { printf '\n\033[1m# %s\033[0m\n' "$*"; in_box "$@" || echo "(exit status $?)"; }
show useradd -m Thomas
show subu init
show subu make Thomas US
show subu make Thomas US Rabbit
show busctl call org.subu.Manager1 /org/subu/Manager1 org.subu.Manager1 MakeSubu as 2 Thomas local
show subu list
show subu info Thomas_US
show id Thomas_US
show ip netns exec ns-subu_1 ip -br link
show subu network up Thomas_US
show systemctl status subu@Thomas_US --no-pager -n 3
show ip netns exec ns-subu_1 ip -br link
show systemd-cgls --all --no-pager /subu.slice
show subu option set Thomas_US isolation strict
show subu option list Thomas_US
show subu WG global 192.168.112.0/24
show subu WG make vpn.example.net:51820
show subu attach WG subu_1 WG_1
show subu WG info WG_1
show subu make Thomas U_S
show subu remove Thomas_US
show subu remove Thomas_US_Rabbit
show subu list
show busctl introspect org.subu.Manager1 /org/subu/Manager1 org.subu.Manager1
show systemctl status subu-manager --no-pager -n 5
echo; echo "Done; the container is removed on exit."
