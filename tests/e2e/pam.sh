#!/bin/bash
# End-to-end: pam_subu.so puts every PAM session of a subu's user inside the subu (su, su -, sudo, ssh, cron,
# the user manager), leaves everyone else's sessions alone, and refuses a subu's session it cannot place.
set -uo pipefail
BUILD=$(readlink -f "${1:?usage: pam.sh BUILD_DIR}")
HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"
e2e_setup e2e-pam.log pam
boot
install_build "$BUILD" "$HERE/pam_probe.sh"
PROBE=/usr/local/bin/pam_probe.sh
CRON_OUT=/var/tmp/subu-pam-cron.out
KEY=/root/.ssh/subu_pam_test

# journal_says PATTERN: a line of this boot's journal matches PATTERN (syslog lines take a moment to arrive).
journal_says() {
    in_box sh -c 'for i in $(seq 25); do journalctl -b -q --no-pager | grep -Eq -- "$1" && exit 0; sleep 0.2; done
                  echo "no line matches; the last of pam_subu:"; journalctl -b -q --no-pager | grep pam_subu | tail -5; exit 1' \
        sh "$1"
}
# wait_file FILE SECONDS: FILE is there and not empty, within SECONDS.
wait_file() {
    in_box sh -c 'for i in $(seq $(($2 * 5))); do test -s "$1" && exit 0; sleep 0.2; done; echo "$1 did not appear"; exit 1' \
        sh "$1" "$2"
}
ssh_as() {
    local user=$1; shift
    in_box ssh -q -i "$KEY" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        "$user@127.0.0.1" "$@"
}

echo "# setup"
check_output "the module loads libpam (and what it needs) and libc only" '^ok$' in_box sh -c '
    m=$(ls /usr/lib/*/security/pam_subu.so) && ldd "$m" | grep -Ev "linux-vdso|ld-linux|lib(pam|c|audit|cap-ng)\.so" | grep . || echo ok'
check "pam-auth-update --enable subu" in_box pam-auth-update --enable subu
check_output "the module is in common-session" 'required[[:space:]]+pam_subu\.so' in_box cat /etc/pam.d/common-session
check_output "and in common-session-noninteractive" 'required[[:space:]]+pam_subu\.so' in_box cat /etc/pam.d/common-session-noninteractive
in_box useradd -m -s /bin/bash Thomas
check_output "subu make Thomas US" '^subu_1  Thomas_US$' in_box subu make Thomas US
# Named like a subu, made by hand: not one.
in_box useradd -m -s /bin/bash Thomas_DE
# The host's DNS and resolvers, and the subu's DNS, all made up: what a session sees tells where it is.
in_box sh -ec '
    rm -f /etc/resolv.conf; echo "nameserver 192.0.2.53" > /etc/resolv.conf
    mkdir -p /etc/netns/ns-subu_1; echo "nameserver 10.64.0.53" > /etc/netns/ns-subu_1/resolv.conf
    mkdir -p /run/systemd/resolve /run/nscd; touch /run/systemd/resolve/marker /run/nscd/marker'
# A cron job of the subu, every minute; checked further down, after its first run.
in_box sh -c "echo '* * * * * Thomas_US $PROBE > $CRON_OUT.tmp 2>&1 && mv $CRON_OUT.tmp $CRON_OUT' > /etc/cron.d/subu-pam-test"
# One key for root, Thomas and Thomas_US, for the box's own sshd.
in_box sh -ec "
    install -d -m 700 /root/.ssh; rm -f $KEY $KEY.pub; ssh-keygen -q -t ed25519 -N '' -f $KEY
    for u in root Thomas Thomas_US; do
        home=\$(getent passwd \$u | cut -d: -f6); g=\$(id -gn \$u)
        install -d -m 700 -o \$u -g \$g \$home/.ssh; install -m 600 -o \$u -g \$g $KEY.pub \$home/.ssh/authorized_keys
    done
    systemctl start ssh cron"
HOST_NS=$(in_box readlink /proc/1/ns/net)
SUBU_NS="net:[$(in_box stat -L -c %i /run/netns/ns-subu_1)]"
esc() { sed 's/[][\.*^$]/\\&/g' <<<"$1"; }
INSIDE="^user=Thomas_US net=$(esc "$SUBU_NS") dns=10\.64\.0\.53 resolvers=hidden hidden$"
outside() { echo "^user=$1 net=$(esc "$HOST_NS") dns=192\.0\.2\.53 resolvers=open open$"; }

echo "# a subu's sessions land inside: its namespace, its DNS, no host resolver"
check_output "su Thomas_US -c" "$INSIDE" in_box su Thomas_US -c $PROBE
check_output "su - Thomas_US -c" "$INSIDE" in_box su - Thomas_US -c $PROBE
check_output "sudo -u Thomas_US" "$INSIDE" in_box sudo -u Thomas_US $PROBE
check_output "ssh Thomas_US@127.0.0.1 with a key" "$INSIDE" ssh_as Thomas_US $PROBE
check "the cron job of Thomas_US ran" wait_file "$CRON_OUT" 90
check_output "a cron job of Thomas_US" "$INSIDE" in_box cat "$CRON_OUT"
in_box rm -f /etc/cron.d/subu-pam-test
uid=$(in_box id -u Thomas_US)
check "the user manager of Thomas_US starts" in_box systemctl start "user@$uid.service"
check_output "and runs inside (systemd-user's PAM stack has common-session-noninteractive)" "^$(esc "$SUBU_NS")$" \
    in_box sh -c "readlink /proc/\$(systemctl show -P MainPID user@$uid.service)/ns/net"
check_fails "a process of Thomas_US cannot open the host resolver's directories" 2 "cannot open directory '/run/nscd': Permission denied" \
    in_box su - Thomas_US -c 'ls /run/nscd'

echo "# everyone else's sessions stay where they were"
check_output "root's su -c" "$(outside root)" in_box su -c $PROBE
check_output "root's su - -c" "$(outside root)" in_box su - -c $PROBE
check_output "su - Thomas -c" "$(outside Thomas)" in_box su - Thomas -c $PROBE
check_output "sudo -u Thomas" "$(outside Thomas)" in_box sudo -u Thomas $PROBE
check_output "ssh root@127.0.0.1" "$(outside root)" ssh_as root $PROBE
check_output "ssh Thomas@127.0.0.1" "$(outside Thomas)" ssh_as Thomas $PROBE
check_output "su - Thomas_DE, named like a subu but not in the export" "$(outside Thomas_DE)" in_box su - Thomas_DE -c $PROBE

echo "# ways in that open no session with the module: not placed by PAM (the kernel rule leaves them no network)"
check_output "runuser -u Thomas_US (/etc/pam.d/runuser has no common-session): not placed by PAM" \
    "^user=Thomas_US net=$(esc "$HOST_NS") " in_box runuser -u Thomas_US -- $PROBE
check_output "runuser -l Thomas_US (runuser-l includes runuser only): not placed by PAM" \
    "^user=Thomas_US net=$(esc "$HOST_NS") " in_box runuser -l Thomas_US -c $PROBE
check_output "setpriv --reuid (no PAM at all): not placed by PAM" \
    "^user=Thomas_US net=$(esc "$HOST_NS") " in_box setpriv --reuid=Thomas_US --regid=Thomas --clear-groups $PROBE

echo "# an admin's line in /etc/pam.d/runuser, and the module's arguments"
in_box sh -c 'cp /etc/pam.d/runuser /var/tmp/runuser.saved && echo "session required pam_subu.so debug" >> /etc/pam.d/runuser'
check_output "with pam_subu in /etc/pam.d/runuser, runuser -u Thomas_US lands inside" "$INSIDE" in_box runuser -u Thomas_US -- $PROBE
check_output "and runuser -l Thomas_US too" "$INSIDE" in_box runuser -l Thomas_US -c $PROBE
check "debug says where the session went" \
    journal_says 'pam_subu\(runuser:session\): session of Thomas_US placed in /run/netns/ns-subu_1, DNS /etc/netns/ns-subu_1/resolv.conf, 2 host resolver directories hidden'
in_box sh -c 'printf "not an export\n" > /var/tmp/subus-damaged && sed -i "s|^session required pam_subu.so debug\$|session required pam_subu.so export=/var/tmp/subus-damaged|" /etc/pam.d/runuser'
check_fails "with a damaged export (export=PATH), runuser -u Thomas_US is refused" '[1-9]*' 'Refusing the session of "Thomas_US"' \
    in_box runuser -u Thomas_US -- true
check "the journal says the export is damaged, and what to do" \
    journal_says 'pam_subu\(runuser:session\): Refusing the session of "Thomas_US": the subu export /var/tmp/subus-damaged is damaged .*systemctl restart subu-manager'
check_fails "so is Thomas_DE, whose name could be a subu's" '[1-9]*' 'Refusing the session of "Thomas_DE"' in_box runuser -u Thomas_DE -- true
check_output "Thomas, whose name cannot be a subu's, is not" "$(outside Thomas)" in_box runuser -u Thomas -- $PROBE
in_box sed -i 's|export=/var/tmp/subus-damaged|export=/var/tmp/no-such-export|' /etc/pam.d/runuser
check_output "without any export (no subu ever made here), runuser -u Thomas_US is left alone" \
    "^user=Thomas_US net=$(esc "$HOST_NS") " in_box runuser -u Thomas_US -- $PROBE
in_box cp /var/tmp/runuser.saved /etc/pam.d/runuser

echo "# DNS, however the host's resolv.conf is made"
in_box sh -ec 'echo "nameserver 127.0.0.53" > /run/systemd/resolve/stub-resolv.conf
    mv /etc/resolv.conf /var/tmp/resolv.conf.saved; ln -s /run/systemd/resolve/stub-resolv.conf /etc/resolv.conf'
check_output "/etc/resolv.conf a symlink into the hidden resolver directory: su - Thomas_US gets the subu's DNS" \
    "$INSIDE" in_box su - Thomas_US -c $PROBE
check_output "and root the host's" 'dns=127\.0\.0\.53 resolvers=open open$' in_box su -c $PROBE
in_box sh -c 'rm /etc/resolv.conf && mv /var/tmp/resolv.conf.saved /etc/resolv.conf'
in_box mv /etc/netns/ns-subu_1/resolv.conf /var/tmp/subu-resolv.conf
check_output "a subu without DNS of its own keeps the host's file (its resolvers are out of reach inside)" \
    "^user=Thomas_US net=$(esc "$SUBU_NS") dns=192\.0\.2\.53 resolvers=hidden hidden$" in_box su - Thomas_US -c $PROBE
in_box mv /var/tmp/subu-resolv.conf /etc/netns/ns-subu_1/resolv.conf

echo "# fail closed: no namespace, no session"
# Held down as well as stopped: the subu's user manager is bound to its
# namespace unit, so whatever starts the user manager meanwhile (logind, for
# a session that gets as far as pam_systemd) would start the namespace again.
BLOCK=/run/systemd/system/subu-netns@Thomas_US.service.d
check "systemctl stop subu-netns@Thomas_US, held down" in_box sh -ec "mkdir -p $BLOCK
    printf '[Unit]\nConditionPathExists=/nonexistent/held-down-by-the-test\n' > $BLOCK/50-held-down.conf
    systemctl daemon-reload; systemctl stop subu-netns@Thomas_US"
check "the namespace is gone" in_box sh -c '! test -e /run/netns/ns-subu_1'
check_fails "su - Thomas_US is refused" '[1-9]*' 'Refusing the session of Thomas_US' in_box su - Thomas_US -c $PROBE
check "the journal names the subu and what to do" journal_says \
    'pam_subu\(su-l:session\): Refusing the session of Thomas_US: .*subu-netns@Thomas_US\.service is not running\. Start it \(`systemctl start subu-netns@Thomas_US\.service`\)'
# sudo asks for silence (no message on the terminal) and would take PAM_SESSION_ERR as "no session".
check_fails "so is sudo -u Thomas_US" '[1-9]*' 'pam_open_session' in_box sudo -u Thomas_US true
check "the journal says so for sudo too" journal_says 'pam_subu\(sudo:session\): Refusing the session of Thomas_US: '
check_fails "and ssh Thomas_US@127.0.0.1" '[1-9]*' '' ssh_as Thomas_US true
check_output "root's su is untouched meanwhile" "$(outside root)" in_box su -c $PROBE
check "systemctl start subu-netns@Thomas_US" in_box sh -c "rm -r $BLOCK && systemctl daemon-reload && systemctl start subu-netns@Thomas_US"
SUBU_NS="net:[$(in_box stat -L -c %i /run/netns/ns-subu_1)]"
INSIDE="^user=Thomas_US net=$(esc "$SUBU_NS") dns=10\.64\.0\.53 resolvers=hidden hidden$"
check_output "started again, su - Thomas_US lands inside" "$INSIDE" in_box su - Thomas_US -c $PROBE
check_output "and ssh Thomas_US@127.0.0.1" "$INSIDE" ssh_as Thomas_US $PROBE

echo "# pam-auth-update --disable subu"
check "pam-auth-update --disable subu" in_box pam-auth-update --disable subu
check_output "takes the module out of common-session" '^0$' in_box sh -c 'grep -c pam_subu /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive | cut -d: -f2 | sort -u'
check_output "after which su - Thomas_US is not placed by PAM" "^user=Thomas_US net=$(esc "$HOST_NS") " in_box su - Thomas_US -c $PROBE

summary
