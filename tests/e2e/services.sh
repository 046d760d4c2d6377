#!/bin/bash
# End-to-end: system services attached to a subu, and the subu's user manager, in its namespace from boot on.
set -uo pipefail
BUILD=$(readlink -f "${1:?usage: services.sh BUILD_DIR}")
HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"
e2e_setup e2e-services.log services
boot
install_build "$BUILD"
in_box useradd -m Thomas
in_box useradd -m Mallory
as_thomas() { in_box runuser -u Thomas -- "$@"; }
as_mallory() { in_box runuser -u Mallory -- "$@"; }

# where PID: its network namespace's inode and its user, "INODE USER".
where() { in_box sh -c "echo \$(stat -L -c %i /proc/$1/ns/net) \$(stat -c %U /proc/$1)"; }
main_pid() { in_box systemctl show -p MainPID --value "$1"; }
# running UNIT: waits up to 10 s for UNIT to be active with a main process, and prints where it is.
running() {
    local i pid
    for i in $(seq 100); do
        pid=$(main_pid "$1")
        [[ $(in_box systemctl is-active "$1") == active && $pid != 0 ]] && { where "$pid"; return 0; }
        sleep 0.1
    done
    echo "$1 is not running"; return 1
}
host_ns() { in_box stat -L -c %i /proc/1/ns/net; }
subu_ns() { in_box stat -L -c %i /run/netns/ns-subu_1; }

echo "# setup"
check_output "Thomas makes Thomas_US" '^subu_1  Thomas_US$' as_thomas subu make Thomas US
check "Thomas brings its network up" as_thomas subu network up Thomas_US
SUBU_UID=$(in_box id -u Thomas_US)
# The subu's DNS, as a tunnel with DNS would write it.
in_box sh -c 'mkdir -p /etc/netns/ns-subu_1 && echo "nameserver 192.0.2.53" > /etc/netns/ns-subu_1/resolv.conf'
in_box sh -c 'cat > /etc/systemd/system/probe.service' <<'UNIT'
[Unit]
Description=A system service the services suite attaches to a subu

[Service]
ExecStart=/bin/sleep infinity

[Install]
WantedBy=multi-user.target
UNIT
in_box systemctl daemon-reload
in_box systemctl enable --now probe.service 2>/dev/null
HOST_NS=$(host_ns)
SUBU_NS=$(subu_ns)
check_output "probe.service runs outside, as root" "^$HOST_NS root\$" running probe.service

echo "# who may attach"
before=$(snapshot; in_box cat /etc/subu/subus)
check_fails "Mallory cannot attach a service to Thomas_US" 5 'Only root' as_mallory subu service attach Thomas_US probe.service
check_fails "nor can Thomas, its owner: the service is the system's" 5 'manage-services' as_thomas subu service attach Thomas_US probe.service
check_output "polkit was asked for manage-services" 'polkit denies org.subu.Manager1.manage-services' in_box journalctl -t subu-manager --no-pager
after=$(snapshot; in_box cat /etc/subu/subus)
if [[ $before == "$after" ]]; then ok "their attempts changed nothing"; else not_ok "their attempts changed nothing" "$(diff <(echo "$before") <(echo "$after"))"; fi

echo "# bad units are refused and change nothing"
before=$(snapshot; in_box cat /etc/subu/subus)
check_fails "foo (no .service)" 2 'not the name of a service' in_box subu service attach Thomas_US foo
check_fails "foo@.service (a template)" 2 'template' in_box subu service attach Thomas_US 'foo@.service'
check_fails "../x.service" 2 'which no unit name has' in_box subu service attach Thomas_US ../x.service
check_fails "nonexistent.service" 3 'no unit nonexistent.service' in_box subu service attach Thomas_US nonexistent.service
check_fails "the subu's own subu@Thomas_US.service" 2 "subu's own units" in_box subu service attach Thomas_US subu@Thomas_US.service
check_fails "its subu-netns@Thomas_US.service" 2 "subu's own units" in_box subu service attach Thomas_US subu-netns@Thomas_US.service
check_fails "a user manager" 2 'user' in_box subu service attach Thomas_US "user@$SUBU_UID.service"
check_fails "systemd's own" 2 'part of the system' in_box subu service attach Thomas_US systemd-journald.service
check_fails "a subu that is not there" 3 'no subu' in_box subu service attach Thomas_XX probe.service
check_fails "detaching what is not attached" 3 'not attached' in_box subu service detach Thomas_US probe.service
check_fails "service without a verb" 2 'needs attach SUBU UNIT' in_box subu service
after=$(snapshot; in_box cat /etc/subu/subus)
if [[ $before == "$after" ]]; then ok "after all of them the DB, passwd, namespaces and the export are unchanged"
else not_ok "after all of them the DB, passwd, namespaces and the export are unchanged" "$(diff <(echo "$before") <(echo "$after"))"; fi
check_output "probe.service still runs outside" "^$HOST_NS root\$" running probe.service

echo "# attach"
check_output "root attaches probe.service to Thomas_US" '^probe.service runs in Thomas_US$' in_box subu service attach Thomas_US probe.service
check_output "it was restarted inside the subu's namespace, as Thomas_US" "^$SUBU_NS Thomas_US\$" running probe.service
check_output "with the subu's resolv.conf" '^nameserver 192.0.2.53$' in_box sh -c "nsenter -t $(main_pid probe.service) -m cat /etc/resolv.conf"
check_output "in the subu's slice" '/subu.slice/subu-Thomas.slice/subu-Thomas-US.slice/probe.service$' in_box cat "/proc/$(main_pid probe.service)/cgroup"
check_output "subu service list shows it" '^probe.service$' in_box subu service list Thomas_US
check_output "so does ListServices, to its owner" '^as 1 "probe.service"$' as_thomas busctl call org.subu.Manager1 /org/subu/Manager1 org.subu.Manager1 ListServices s Thomas_US
check_fails "not to Mallory" 5 'Only Thomas or root' as_mallory subu service list Thomas_US
check_output "the export has it" '^service	subu_1	probe.service	Thomas_US$' in_box cat /etc/subu/subus
check_output "systemctl cat shows the drop-in" 'NetworkNamespacePath=/run/netns/ns-subu_1' in_box systemctl cat probe.service
check_output "attaching it again changes nothing" '^probe.service runs in Thomas_US$' in_box subu service attach Thomas_US probe.service
in_box systemctl restart probe.service
check_output "a restart keeps it inside" "^$SUBU_NS Thomas_US\$" running probe.service
check_fails "Thomas_US cannot be removed while it has a service" 6 'subu service detach Thomas_US' in_box subu remove Thomas_US

echo "# the user manager"
check "loginctl enable-linger Thomas_US" in_box loginctl enable-linger Thomas_US
check_output "user@$SUBU_UID.service runs in the subu's namespace" "^$SUBU_NS Thomas_US\$" running "user@$SUBU_UID.service"
check_output "its drop-in is bound to the namespace unit" 'BindsTo=subu-netns@Thomas_US.service' in_box systemctl cat "user@$SUBU_UID.service"
as_subu_user() {
    in_box runuser -u Thomas_US -- env XDG_RUNTIME_DIR=/run/user/$SUBU_UID \
        DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$SUBU_UID/bus "$@"
}
check_output "a user service (systemd-run --user) runs in the subu's namespace" "^$SUBU_NS\$" \
    as_subu_user systemd-run --user --quiet --wait --pipe stat -L -c %i /proc/self/ns/net
check_output "and sees the subu's resolv.conf" '^nameserver 192.0.2.53$' \
    as_subu_user systemd-run --user --quiet --wait --pipe cat /etc/resolv.conf

echo "# reboot"
bash "$BOX_SH" stop "$BOX" >/dev/null
boot
SUBU_NS=$(subu_ns)
HOST_NS=$(host_ns)
check_output "after a reboot probe.service starts inside, as Thomas_US" "^$SUBU_NS Thomas_US\$" running probe.service
check_output "the lingering user manager starts inside" "^$SUBU_NS Thomas_US\$" running "user@$SUBU_UID.service"
check_output "and so do its user services" "^$SUBU_NS\$" \
    as_subu_user systemd-run --user --quiet --wait --pipe stat -L -c %i /proc/self/ns/net

echo "# detach"
check_output "root detaches probe.service" '^probe.service runs outside Thomas_US again$' in_box subu service detach Thomas_US probe.service
check_output "it was restarted in the host's namespace, as root" "^$HOST_NS root\$" running probe.service
check_output "subu service list is empty" '^$' in_box subu service list Thomas_US
check_output "the export no longer has it" '^0$' in_box sh -c 'grep -c "^service" /etc/subu/subus || true'
check_output "its drop-in is gone" '^0$' in_box sh -c 'systemctl cat probe.service | grep -c NetworkNamespacePath || true'

echo "# an export from before the upgrade"
in_box loginctl disable-linger Thomas_US
in_box sh -c 'printf "# subu export 1: old\nsubu_1\tThomas_US\t-\tup\tdown\n" > /etc/subu/subus && systemctl daemon-reload'
check_output "format 1 still gives the subu its slice" '/run/systemd/generator/subu-Thomas-US.slice' in_box systemctl show -p FragmentPath subu-Thomas-US.slice
check_output "but no user manager drop-in (no uid)" '^0$' in_box sh -c "systemctl cat user@$SUBU_UID.service | grep -c NetworkNamespacePath || true"
in_box systemctl restart subu-manager
check_output "the manager rewrites it as format 2 at its start" '^# subu export 2:' in_box head -1 /etc/subu/subus
check_output "with the uid" "^subu_1	Thomas_US	-	up	up	$SUBU_UID\$" in_box grep '^subu_1' /etc/subu/subus
check_output "and systemd has the user manager's drop-in again" 'NetworkNamespacePath=/run/netns/ns-subu_1' in_box systemctl cat "user@$SUBU_UID.service"

summary
