#!/bin/bash
# End-to-end: the Debian packages built from a fresh clone (scripts/build-deb.sh, lintian clean), installed
# into a container with apt (SUBU_DEBS=DIR: the packages in DIR instead); an upgrade leaves running subus
# alone, remove keeps every subu, purge removes subu's own state only once no subu is left.
set -uo pipefail
BUILD=$(readlink -f "${1:?usage: deb.sh BUILD_DIR}")
HERE=$(dirname "$(readlink -f "$0")")
SRC=$(readlink -f "$HERE/../..")
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"
e2e_setup e2e-deb.log deb
CLONE=/var/tmp/subu-e2e/deb-src-$$
trap 'bash "$BOX_SH" destroy "$BOX" >/dev/null 2>&1; rm -rf "$CLONE"' EXIT

if [[ -n ${SUBU_DEBS:-} ]]; then
    DEBS=$(readlink -f "$SUBU_DEBS")
    echo "# the packages in $DEBS (SUBU_DEBS)"
else
    echo "# build (a clone of $(git -C "$SRC" rev-parse --short HEAD): what is committed)"
    git clone -q --no-hardlinks "$SRC" "$CLONE/subu" || exit 1
    if ! bash "$CLONE/subu/scripts/build-deb.sh"; then
        not_ok "scripts/build-deb.sh builds the packages, lintian clean"; summary; exit
    fi
    ok "scripts/build-deb.sh builds the packages, lintian clean"
    DEBS=$CLONE/subu/build-deb
fi

boot
# Streamed in: the box's overlay need not see files made on the host after it was mounted.
install_debs() {
    (cd "$DEBS" && tar -cf - subu_*.deb libpam-subu_*.deb) | in_box sh -c 'mkdir -p /var/tmp/debs && tar -C /var/tmp/debs -xf -'
    in_box sh -c 'cd /var/tmp/debs && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./subu_*.deb ./libpam-subu_*.deb'
}

echo "# install"
check "apt-get install ./subu_*.deb ./libpam-subu_*.deb" install_debs
check_output "subu-bpf.service is active (the steering program loaded)" '^active$' in_box systemctl is-active subu-bpf.service
check_output "pam-auth-update put pam_subu into common-session" 'pam_subu\.so' in_box cat /etc/pam.d/common-session
check_output "man subu renders" 'subu make' in_box env MANWIDTH=80 man -P cat subu
in_box useradd -m -s /bin/bash Thomas
check_output "subu make Thomas US" '^subu_1  Thomas_US$' in_box subu make Thomas US

echo "# upgrade (the same packages again): the manager restarts, the running subus are left alone"
# invocations UNITS...: each unit's InvocationID, one a line (a restart changes it).
# shellcheck disable=SC2016 # expanded in the box
invocations() { in_box sh -c 'for u in $(systemctl list-units --plain --no-legend "$@" | cut -d" " -f1); do
                                  echo "$u $(systemctl show -P InvocationID "$u")"; done' sh "$@"; }
SUBUS_BEFORE=$(invocations 'subu@*' 'subu-netns@*' 'subu-wg@*')
MANAGER_BEFORE=$(invocations subu-manager.service)
check "dpkg -i of the same packages (an upgrade)" in_box sh -c 'cd /var/tmp/debs && dpkg -i ./subu_*.deb ./libpam-subu_*.deb'
check_output "the subu's units are running" '^subu-netns@Thomas_US\.service ' echo "$SUBUS_BEFORE"
check "and the upgrade did not restart them" test "$SUBUS_BEFORE" == "$(invocations 'subu@*' 'subu-netns@*' 'subu-wg@*')"
check "the manager was restarted" test "$MANAGER_BEFORE" != "$(invocations subu-manager.service)"

echo "# remove: nothing of a subu goes"
check "apt-get remove -y subu" in_box env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q subu
check "the subu's state stays (/var/lib/subu/subu.db)" in_box test -s /var/lib/subu/subu.db
check "its user stays (Thomas_US)" in_box getent passwd Thomas_US
check "its home stays (/home/Thomas_US)" in_box test -d /home/Thomas_US
check_output "dpkg: subu removed, its configuration left (rc)" '^rc' in_box dpkg -l subu

echo "# purge with a subu left: kept, and how to remove the subus first"
check_output "apt-get purge -y subu says how to remove the subus" 'subu remove' \
    in_box env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q subu
check "/var/lib/subu is kept" in_box test -s /var/lib/subu/subu.db
check "/etc/subu is kept" in_box test -s /etc/subu/subus
check "the user Thomas_US is kept" in_box getent passwd Thomas_US

echo "# reinstall, remove the subu, purge: subu's own state goes"
check "apt-get install again" install_debs
check_output "the subu is still there" 'Thomas_US' in_box subu list
check "subu remove Thomas_US" in_box subu remove Thomas_US
check "apt-get purge -y subu libpam-subu" in_box env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q subu libpam-subu
check "/var/lib/subu is gone" in_box test ! -e /var/lib/subu
check "/etc/subu is gone" in_box test ! -e /etc/subu
check "pam-auth-update took pam_subu out of common-session" in_box sh -c '! grep -q pam_subu /etc/pam.d/common-session'

summary
