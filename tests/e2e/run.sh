#!/bin/bash
# The end-to-end suite: boots systemd in its own container, installs subu into it, drives it as users do.
set -uo pipefail
BUILD=$(readlink -f "${1:?usage: run.sh BUILD_DIR}")
HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"
e2e_setup e2e.log run

boot
install_build "$BUILD"
in_box useradd -m Thomas
in_box useradd -m Mallory
M="org.subu.Manager1 /org/subu/Manager1 org.subu.Manager1"

echo "# activation and init"
check_fails "the manager is not running before the first call" 3 '^inactive$' in_box systemctl is-active subu-manager
check_output "subu init says where the state store is" '/var/lib/subu/subu\.db \(schema version [0-9]+\)' in_box subu init
check_output "bus activation started the manager" '^active$' in_box systemctl is-active subu-manager
check_output "the state store is root-only" '^700 root' in_box stat -c '%a %U' /var/lib/subu

echo "# what a user can do"
check_output "subu make Thomas US gives subu_1" '^subu_1  Thomas_US$' in_box subu make Thomas US
check_output "Thomas_US is in groups Thomas and Thomas-incommon" 'gid=[0-9]+\(Thomas\) groups=.*\(Thomas\).*\(Thomas-incommon\)' in_box id Thomas_US
check_output "ns-subu_1 exists with only lo, down" '^1: lo: <LOOPBACK> .* state DOWN' in_box ip -o netns exec ns-subu_1 ip -o link
check_output "ns-subu_1 holds nothing but lo" '^1$' in_box sh -c 'ip netns exec ns-subu_1 ip -o link | wc -l'
check_output "subu make Thomas US Rabbit gives subu_2" '^subu_2  Thomas_US_Rabbit$' in_box subu make Thomas US Rabbit
check_output "MakeSubu over busctl" '^sso "subu_3" "Thomas_local" "/org/subu/Manager1/subu/subu_3"$' in_box busctl call $M MakeSubu as 2 Thomas local
check_output "subu list shows a table of three" 'ID +NAME +OWNER +UID +NETWORK' in_box subu list
check_output "subu list counts three" '^3 subus\.$' in_box subu list
check_output "subu info by name" 'Parent: +\(none: top level\)' in_box subu info Thomas_US
check_output "subu information by id names the parent" 'Parent: +subu_1' in_box subu information subu_2
echo "# the CLI as scripts want it"
check_output "subu list --json is one JSON document of three subus" '^3 subu_1 Thomas_US Thomas down int$' in_box sh -c \
  'subu list --json | python3 -c "import json,sys; d=json.load(sys.stdin)[\"subus\"]; s=d[0]; print(len(d), s[\"id\"], s[\"name\"], s[\"owner\"], s[\"network\"], type(s[\"uid\"]).__name__)"'
check_output "subu info --json names the parent, with numbers and booleans" '^subu_1 Thomas_US_Rabbit int bool None$' in_box sh -c \
  'subu info Thomas_US_Rabbit --json | python3 -c "import json,sys; d=json.load(sys.stdin); print(d[\"parent\"], d[\"name\"], type(d[\"uid\"]).__name__, type(d[\"steering_attached\"]).__name__, json.loads(\"null\"))"'
check_output "subu option list --json" '^standard$' in_box sh -c \
  'subu option list Thomas_US --json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"options\"][\"isolation\"])"'
check_output "subu service list --json with nothing attached" '^\[\]$' in_box sh -c \
  'subu service list Thomas_US --json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"services\"])"'
check_output "subu make --help prints its usage, exit 0" '^Usage: subu make OWNER NAME' in_box subu make --help
check_output "subu alone prints the help, exit 0" 'SYNOPSIS' in_box subu
check_output "subu -V prints the version" '^subu [0-9]' in_box subu -V
check_fails "--json on a verb without a view is a usage error" 2 '--json is for list' in_box subu make Thomas x --json
check_output "GetSubu returns the object" '^o "/org/subu/Manager1/subu/subu_1"$' in_box busctl call $M GetSubu s Thomas_US
check_output "the subu object has its properties" 'Name +property +s +"Thomas_US_Rabbit"' in_box busctl introspect org.subu.Manager1 /org/subu/Manager1/subu/subu_2
check_output "ObjectManager lists the subu objects" 'subu_3' in_box busctl call org.subu.Manager1 /org/subu/Manager1 org.freedesktop.DBus.ObjectManager GetManagedObjects
check_output "the boot export lists Thomas_US_Rabbit under subu_1" '^subu_2[[:space:]]Thomas_US_Rabbit[[:space:]]subu_1[[:space:]]down[[:space:]]down[[:space:]][0-9]+$' in_box cat /etc/subu/subus
check_output "the boot export is world-readable and root's" '^644 root' in_box stat -c '%a %U' /etc/subu/subus
check_output "names with - work" '^subu_4  Thomas_new-subu$' in_box subu make Thomas new-subu

echo "# signals"
in_box sh -c 'timeout 5 busctl monitor --match "type=signal,sender=org.subu.Manager1" > /tmp/signals.txt 2>&1 &'
sleep 1
in_box subu make Thomas sig >/dev/null
in_box subu remove --purge Thomas_sig >/dev/null
sleep 1
check_output "SubuNew is sent" 'Member=SubuNew' in_box cat /tmp/signals.txt
check_output "SubuRemoved is sent" 'Member=SubuRemoved' in_box cat /tmp/signals.txt
check_output "InterfacesAdded is sent" 'Member=InterfacesAdded' in_box cat /tmp/signals.txt

echo "# bad input changes nothing"
before=$(snapshot)
check_fails "MakeSubu with an empty path" 1 'path is empty' in_box busctl call $M MakeSubu as 0
check_fails "MakeSubu with one token" 1 'at least two tokens' in_box busctl call $M MakeSubu as 1 Thomas
check_fails "subu make with one token" 2 'at least 2' in_box subu make Thomas
bad_tokens=("U_S" "a/b" ".." "a b" $'a\nb' "a%b" "été" "abcdefghijklmnopqrstuvwxy")
bad_what=("an underscore" "a slash" "dot-dot" "a space" "a newline" "a percent sign" "non-ASCII" "32 characters in all")
bad_says=("'_'" "may only contain" "may only contain" "may only contain" "may only contain" "may only contain" "may only contain" "at most 31")
for i in "${!bad_tokens[@]}"; do
    tok=${bad_tokens[$i]}
    check_fails "subu make rejects a token with ${bad_what[$i]}" 2 "${bad_says[$i]}" in_box subu make Thomas "$tok"
    check_fails "MakeSubu rejects a token with ${bad_what[$i]}" 1 "${bad_says[$i]}" in_box busctl call $M MakeSubu as 2 Thomas "$tok"
done
check_fails "an owner that is no Unix user" 3 'no Unix user "Nobody"' in_box subu make Nobody US
check_fails "a missing parent" 3 'parent subu Thomas_EU does not exist' in_box subu make Thomas EU Rabbit
check_fails "a duplicate" 4 'already exists' in_box subu make Thomas US
check_fails "a duplicate over busctl" 1 'already exists' in_box busctl call $M MakeSubu as 2 Thomas US
for ref in subu_99 Nobody_X "" "a/b" ".." $'a\nb'; do
    check_fails "subu info refuses '${ref//$'\n'/\\n}'" '[23]' 'no subu|not a subu id' in_box subu info "$ref"
    check_fails "subu remove refuses '${ref//$'\n'/\\n}'" '[23]' 'no subu|not a subu id' in_box subu remove "$ref"
    check_fails "RemoveSubu refuses '${ref//$'\n'/\\n}'" 1 'org.subu.Error|no subu|not a subu id' in_box busctl call $M RemoveSubu s "$ref"
done
check_fails "RemoveSubuWithOptions refuses unknown options" 1 'Unknown option' in_box busctl call $M RemoveSubuWithOptions 'sa{sv}' Thomas_US 1 force b true
check_fails "a subu with children is not removed" 6 'child subu' in_box subu remove Thomas_US
check_fails "an unknown verb" 2 'unknown verb' in_box subu frobnicate
after=$(snapshot)
if [[ $before == "$after" ]]; then ok "after all bad input the DB, passwd, group and /run/netns are unchanged"
else not_ok "after all bad input the DB, passwd, group and /run/netns are unchanged" "$(diff <(echo "$before") <(echo "$after"))"; fi
in_box useradd -M Thomas_taken
check_fails "a Unix user of that name that is not a subu" 4 'not a subu' in_box subu make Thomas taken
in_box userdel Thomas_taken

echo "# authorization"
before=$(snapshot)
as_mallory() { in_box runuser -u Mallory -- "$@"; }
check_fails "Mallory cannot make a subu for Thomas" 1 'Access denied|Only Thomas or root' as_mallory busctl call $M MakeSubu as 2 Thomas evil
check_fails "Mallory cannot make one under Thomas_US" 5 'Only Thomas or root' as_mallory subu make Thomas US evil
check_fails "Mallory cannot remove Thomas_US_Rabbit" 5 'Only Thomas or root' as_mallory subu remove Thomas_US_Rabbit
check_fails "Mallory cannot RemoveSubu" 1 'Access denied|Only Thomas or root' as_mallory busctl call $M RemoveSubu s subu_2
check_fails "Mallory cannot see Thomas_US" 5 'Only Thomas or root' as_mallory subu info Thomas_US
check_output "Mallory lists no subus" '^a\(ssssuo\) 0$' as_mallory busctl call $M ListSubus
check_output "subu list as Mallory says there are none" 'No subus' as_mallory subu list
after=$(snapshot)
if [[ $before == "$after" ]]; then ok "Mallory's attempts changed nothing"; else not_ok "Mallory's attempts changed nothing" "$(diff <(echo "$before") <(echo "$after"))"; fi
check_output "Mallory may make subus of her own" '^subu_5  Mallory_own$' as_mallory subu make Mallory own
check_output "Thomas lists his own subus only" '^4 subus\.$' in_box runuser -u Thomas -- subu list
check_output "Thomas makes his own subu without sudo" 'Thomas_mine' in_box runuser -u Thomas -- subu make Thomas mine
check "Thomas removes his own subu without sudo" in_box runuser -u Thomas -- subu remove --purge Thomas_mine
check "Mallory removes hers" as_mallory subu remove --purge Mallory_own

echo "# remove"
check_output "subu remove keeps the home" 'home directory is kept' in_box subu remove Thomas_US_Rabbit
check_fails "the user is gone" 1 'no such user' in_box id Thomas_US_Rabbit
check_fails "the namespace is gone" 1 '' in_box test -e /run/netns/ns-subu_2
check "the home is kept" in_box test -d /home/Thomas_US_Rabbit
check_fails "the boot export no longer lists it" 1 '' in_box grep -q Thomas_US_Rabbit /etc/subu/subus
check_output "the row is gone" '^3 subus\.$' in_box subu list
check_output "the freed id is reused" '^subu_2  Thomas_US_Rabbit$' in_box subu make Thomas US Rabbit
check_output "a re-made subu gets its kept home back" 'Thomas_US_Rabbit' in_box ls -d /home/Thomas_US_Rabbit
check "subu remove --purge deletes the home" in_box subu remove --purge Thomas_US_Rabbit
check_fails "the purged home is gone" 1 '' in_box test -e /home/Thomas_US_Rabbit
in_box sh -c 'runuser -u Thomas_local -- sleep 300 & sleep 1; subu remove Thomas_local; echo rc=$?; pkill -u Thomas_local; sleep 0.5' > /tmp/subu-e2e-busy.$$ 2>&1
check_output "removing a subu whose user runs a process says so" 'running processes' cat /tmp/subu-e2e-busy.$$
check_output "and exits 6 (busy)" '^rc=6$' cat /tmp/subu-e2e-busy.$$
check_output "and the subu stays" 'Thomas_local' in_box subu list
rm -f /tmp/subu-e2e-busy.$$
in_box pkill -u Thomas_US || true

echo "# a freed uid goes to no other owner"
as_thomas() { in_box runuser -u Thomas -- "$@"; }
check_output "Thomas makes Thomas_Sec" 'Thomas_Sec$' as_thomas subu make Thomas Sec
sec_uid=$(in_box id -u Thomas_Sec)
check "Thomas_Sec keeps a secret only it may read" as_thomas subu exec Thomas_Sec -- sh -c 'echo thomas-secret > ~/secret.txt && chmod 600 ~/secret.txt'
check_output "Thomas removes Thomas_Sec, its home kept" 'home directory is kept' as_thomas subu remove Thomas_Sec
check_output "the secret still belongs to the freed uid" "^$sec_uid 600\$" in_box stat -c '%u %a' /home/Thomas_Sec/secret.txt
# What useradd alone would do: one above the highest uid in use, the freed one.
check_output "useradd alone would hand the freed uid out again" "^$sec_uid\$" in_box sh -c '
  awk -F: '\''$3 >= 1000 && $3 <= 60000 && $3 > m { m = $3 } END { print m + 1 }'\'' /etc/passwd'
check_output "Mallory makes Mallory_Spy" 'Mallory_Spy$' as_mallory subu make Mallory Spy
spy_uid=$(in_box id -u Mallory_Spy)
if [[ -n $spy_uid && $spy_uid != "$sec_uid" ]]; then ok "Mallory_Spy gets another uid ($spy_uid, not $sec_uid)"
else not_ok "Mallory_Spy gets another uid" "Mallory_Spy has uid '$spy_uid', Thomas_Sec had $sec_uid"; fi
check_fails "subu exec Mallory_Spy cannot read Thomas's secret" 1 'Permission denied' as_mallory subu exec Mallory_Spy -- cat /home/Thomas_Sec/secret.txt
check_output "Thomas makes Thomas_Sec again" 'Thomas_Sec$' as_thomas subu make Thomas Sec
check_output "it has its old uid back" "^$sec_uid\$" in_box id -u Thomas_Sec
check_output "and Thomas reads his secret through subu exec" '^thomas-secret$' as_thomas subu exec Thomas_Sec -- cat /home/Thomas_Sec/secret.txt
check "a purge frees the uid for good" in_box sh -c 'subu remove --purge Thomas_Sec >/dev/null && subu remove --purge Mallory_Spy >/dev/null &&
  [ "$(sqlite3 /var/lib/subu/subu.db "SELECT count(*) FROM retired_uid WHERE name = '\''Thomas_Sec'\''")" = 1 ] &&
  subu make Mallory Spy >/dev/null && [ "$(id -u Mallory_Spy)" = '"$sec_uid"' ] &&
  [ "$(sqlite3 /var/lib/subu/subu.db "SELECT count(*) FROM retired_uid")" = 0 ] && subu remove --purge Mallory_Spy >/dev/null'

echo "# boot integration: slices, units, network up and down"
lo_state() { in_box ip netns exec "$1" ip -o link show lo; }
check_output "make started the namespace unit" '^active$' in_box systemctl is-active subu-netns@Thomas_US.service
check "systemd's generated units follow the store once the manager is idle" in_box sh -c '
  for i in $(seq 1 30); do
    test -e /run/systemd/generator/subu-Thomas-US.slice && test -L /run/systemd/generator/multi-user.target.wants/subu-netns@Thomas_US.service && exit 0
    sleep 0.1
  done; ls /run/systemd/generator; exit 1'
check_output "network up says so" '^Network of Thomas_US is up$' in_box subu network up Thomas_US
check_output "subu@Thomas_US is active" '^active$' in_box systemctl is-active subu@Thomas_US.service
check_output "systemctl status subu@Thomas_US works" 'Active: active' in_box systemctl status subu@Thomas_US --no-pager
check_output "its namespace has lo up" '<LOOPBACK,UP,LOWER_UP>' lo_state ns-subu_1
check_output "the store says network up" '^up\|up$' in_box sqlite3 /var/lib/subu/subu.db "SELECT network, loopback FROM subu WHERE num = 1"
check_output "the export says network up" '^subu_1[[:space:]]Thomas_US[[:space:]]-[[:space:]]up[[:space:]]up[[:space:]][0-9]+$' in_box cat /etc/subu/subus
check_output "subu info shows the unit and slice" 'Slice: +subu-Thomas-US\.slice' in_box subu info Thomas_US
check_output "each subu is its own slice" 'subu-Thomas-US\.slice' in_box systemd-cgls --all --no-pager /subu.slice
check_output "its slice is active from make on" '^active$' in_box systemctl is-active subu-Thomas-US.slice
in_box subu make Thomas US Deep >/dev/null
check_output "a nested subu's slice is inside its parent's" '^ControlGroup=/subu\.slice/subu-Thomas\.slice/subu-Thomas-US\.slice/subu-Thomas-US-Deep\.slice$' in_box systemctl show -p ControlGroup subu-Thomas-US-Deep.slice
check_output "systemctl status works for a slice of a name with -" 'Active: active' in_box systemctl status 'subu-Thomas-new\x2dsubu.slice' --no-pager
check_output "the unit of a name with - is escaped" '^active$' in_box systemctl is-active 'subu-netns@Thomas_new\x2dsubu.service'
check_fails "an unescaped instance for a name with - is refused by the helper" 2 'not the escaped name' in_box /usr/libexec/subu/subu-apply netns-up Thomas_new-subu
check "systemctl stop subu@Thomas_US" in_box systemctl stop subu@Thomas_US
check_fails "stop tore the namespace down" 1 '' in_box test -e /run/netns/ns-subu_1
check_output "and stopped its namespace unit" '^inactive$' in_box sh -c 'systemctl is-active subu-netns@Thomas_US.service || true'
check "systemctl start subu@Thomas_US" in_box systemctl start subu@Thomas_US
check_output "start brought it back with lo up" '<LOOPBACK,UP,LOWER_UP>' lo_state ns-subu_1
check_output "subu lo down" '^Loopback of Thomas_US is down$' in_box subu lo down Thomas_US
check_output "lo is down in the namespace" 'state DOWN' lo_state ns-subu_1
check "subu lo up" in_box subu lo up Thomas_US
check_output "lo is up again" '<LOOPBACK,UP,LOWER_UP>' lo_state ns-subu_1
check "a restart of subu@ keeps lo as set" in_box sh -c 'subu lo down Thomas_US && systemctl restart subu@Thomas_US && ip netns exec ns-subu_1 ip -o link show lo | grep -q "state DOWN" && subu lo up Thomas_US'
check "subu network up Thomas_local" in_box subu network up Thomas_local
check_output "subu network down Thomas_local stops its unit" '^inactive$' in_box sh -c 'subu network down Thomas_local >/dev/null; systemctl is-active subu@Thomas_local.service || true'
check "and keeps its namespace, as after make" in_box test -e /run/netns/ns-subu_3
before=$(snapshot)
check_fails "subu network with a bad state" 2 'takes up or down' in_box subu network sideways Thomas_US
check_fails "SetNetwork with a bad state" 1 'must be "up" or "down"' in_box busctl call $M SetNetwork ss Thomas_US sideways
check_fails "SetLoopback with a bad state" 1 'must be "up" or "down"' in_box busctl call $M SetLoopback ss Thomas_US ''
check_fails "SetNetwork on an unknown subu" 1 'no subu' in_box busctl call $M SetNetwork ss subu_99 up
check_fails "SetNetwork with a hostile name" 1 'not a subu id' in_box busctl call $M SetNetwork ss $'a\nb' up
check_fails "Mallory cannot bring Thomas_US down" 5 'Only Thomas or root' in_box runuser -u Mallory -- subu network down Thomas_US
check_fails "Mallory cannot change Thomas_US's loopback" 5 'Only Thomas or root' in_box runuser -u Mallory -- subu lo down Thomas_US
after=$(snapshot)
if [[ $before == "$after" ]]; then ok "refused network and loopback requests changed nothing"; else not_ok "refused network and loopback requests changed nothing" "$(diff <(echo "$before") <(echo "$after"))"; fi
check_output "Thomas brings his subu's network down and up without sudo" 'is up' in_box runuser -u Thomas -- sh -c 'subu network down Thomas_US_Deep && subu network up Thomas_US_Deep'
check "a subu@ whose helper fails is failed, with a readable status" in_box sh -c '
  mv /usr/libexec/subu/subu-apply /usr/libexec/subu/subu-apply.real
  printf "#!/bin/sh\necho \"cannot reach the namespace\" >&2\nexit 1\n" > /usr/libexec/subu/subu-apply; chmod +x /usr/libexec/subu/subu-apply
  subu network up Thomas_new-subu; rc=$?
  mv /usr/libexec/subu/subu-apply.real /usr/libexec/subu/subu-apply
  [ $rc = 1 ] || { echo "exit $rc"; exit 1; }
  systemctl is-failed "subu@Thomas_new\x2dsubu.service" || { echo "not failed"; exit 1; }
  # The status shows the journal, which may lag the failure by a moment.
  for i in 1 2 3 4 5 6 7 8 9 10; do
    systemctl status "subu@Thomas_new\x2dsubu.service" --no-pager | grep -q "cannot reach the namespace" && break
    sleep 0.3
  done
  systemctl status "subu@Thomas_new\x2dsubu.service" --no-pager | grep "cannot reach the namespace" || { systemctl status "subu@Thomas_new\x2dsubu.service" --no-pager; exit 1; }
  [ "$(sqlite3 /var/lib/subu/subu.db "SELECT network FROM subu WHERE name = '\''Thomas_new-subu'\''")" = down ] || { echo "store not down"; exit 1; }'
in_box systemctl reset-failed >/dev/null 2>&1 || true
# The helper killed at any point of a start: a second run converges.
check "subu-apply killed mid-way, then run again, converges" in_box sh -c '
  systemctl stop subu-netns@Thomas_local; test ! -e /run/netns/ns-subu_3 || { echo "namespace still there"; exit 1; }
  subu lo up Thomas_local >/dev/null
  for t in 0.001 0.002 0.003 0.005 0.008 0.01 0.02; do
    timeout -s KILL $t /usr/libexec/subu/subu-apply netns-up Thomas_local >/dev/null 2>&1
  done
  touch /run/netns/ns-subu_3 2>/dev/null
  systemctl start subu@Thomas_local && ip netns exec ns-subu_3 ip -o link show lo | grep LOWER_UP'
in_box subu network down Thomas_local >/dev/null

echo "# options"
check_output "option list shows every option with its default" 'steer_enabled +on' in_box subu option list Thomas_US
check_output "Thomas sets an option of his subu without sudo" '^isolation of Thomas_US is strict$' in_box runuser -u Thomas -- subu option set Thomas_US isolation strict
check_output "option get reads it back" '^strict$' in_box subu option get subu_1 isolation
check_output "GetOption over busctl" '^s "strict"$' in_box busctl call $M GetOption ss Thomas_US isolation
before=$(snapshot)
check_fails "an unknown option is refused" 2 'There is no option "colour"' in_box subu option set Thomas_US colour blue
check_fails "a bad value is refused" 2 'takes none, standard, strict, quantum' in_box subu option set Thomas_US isolation total
check_fails "SetOption with a hostile value" 1 'takes on, off' in_box busctl call $M SetOption sss Thomas_US steer_enabled $'on\n'
check_fails "Mallory cannot set Thomas's options" 5 'Only Thomas or root' in_box runuser -u Mallory -- subu option set Thomas_US isolation none
check_fails "Mallory cannot read them" 5 'Only Thomas or root' in_box runuser -u Mallory -- subu option list Thomas_US
after=$(snapshot)
if [[ $before == "$after" ]]; then ok "refused option requests changed nothing"; else not_ok "refused option requests changed nothing" "$(diff <(echo "$before") <(echo "$after"))"; fi
before=$(snapshot)
check_fails "option remove of an unknown name is refused" 2 'There is no option "colour"' in_box subu option remove Thomas_US colour
check_fails "Mallory cannot remove Thomas's options" 5 'Only Thomas or root' in_box runuser -u Mallory -- subu option remove Thomas_US isolation
after=$(snapshot)
if [[ $before == "$after" ]]; then ok "refused option removals changed nothing"; else not_ok "refused option removals changed nothing" "$(diff <(echo "$before") <(echo "$after"))"; fi
check_output "Thomas puts an option back to its default" '^isolation of Thomas_US is back to its default, standard$' in_box runuser -u Thomas -- subu option remove Thomas_US isolation
check_output "option remove forgets the value in the store" '^0$' in_box sqlite3 /var/lib/subu/subu.db "SELECT count(*) FROM options WHERE subu = 1 AND name = 'isolation'"
check_output "option remove again does nothing" 'back to its default, standard$' in_box subu option remove subu_1 isolation
check_output "RemoveOption over busctl" '^$' in_box busctl call $M RemoveOption ss Thomas_US isolation
in_box subu option set Thomas_US isolation strict >/dev/null

echo "# WireGuard tunnels: pool, keys, attach"
# The example endpoint resolves (to an address nothing answers at) for subus whose network is up.
in_box sh -c 'echo "10.99.0.2 vpn.example.net" >> /etc/hosts'
before=$(snapshot)
check_fails "WG make before a pool says how to set one" 2 'subu WG global' in_box subu WG make vpn.example.net:51820
for bad in 10.8.0.1/24 10.8.0.0/33 fd00::/64 10.8.0.0 'x y'; do
    check_fails "WG global refuses $bad" 2 'host bits|expected|prefix|network|IPv4|not' in_box subu WG global "$bad"
done
check_output "WG global sets the pool" 'from 192\.168\.112\.0/24' in_box subu WG global 192.168.112.0/24
check_output "WG make gives WG_1 with the pool's first address" '^WG_1  192\.168\.112\.2/32$' in_box subu WG make vpn.example.net:51820
check_output "WG info shows our public key" 'Our public key: +[A-Za-z0-9+/]{43}=' in_box subu WG info WG_1
our_key=$(in_box subu WG info WG_1 | sed -n 's/^Our public key: *\([^ ]*\).*/\1/p')
check_output "the key file is root's alone" '^600 root' in_box stat -c '%a %U' /var/lib/subu/keys/WG_1.key
check_output "the key directory too" '^700 root' in_box stat -c '%a %U' /var/lib/subu/keys
server_key=$(in_box sh -c 'wg genkey | wg pubkey' 2>/dev/null || echo HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=)
for bad in abc "${server_key%=}" "${server_key}x" "${server_key%?=}_="; do
    check_fails "a bad server key is refused: $bad" 2 'base64|44|key' in_box subu WG server_provided_public_key WG_1 "$bad"
done
check "WG server_provided_public_key" in_box subu WG server_provided_public_key WG_1 "$server_key"
check_output "WG info shows the server key" "Server public key: +${server_key//+/\\+}" in_box subu WG info WG_1
check_fails "a bad endpoint is refused" 2 'port|host|endpoint' in_box subu WG make ::1:51820
check_fails "Mallory cannot make a tunnel" 5 'Only root' in_box runuser -u Mallory -- subu WG make h.example:1
check_fails "Thomas cannot attach a tunnel he was not given" 5 'Only root' in_box runuser -u Thomas -- subu attach WG Thomas_US WG_1
check "attach WG subu_1 WG_1" in_box subu attach WG subu_1 WG_1
check_output "the tunnel is attached" 'Attached subu: +subu_1' in_box subu WG info WG_1
check_output "Thomas sees the tunnel of his subu" '^WG_1 ' in_box runuser -u Thomas -- subu WG list
check_output "Mallory sees none" 'No tunnels' in_box runuser -u Mallory -- subu WG list
check_fails "Mallory cannot look at it" 5 'Only root or the owner' in_box runuser -u Mallory -- subu WG info WG_1
check_fails "an attached tunnel is not removed" 6 'detach it first' in_box subu WG remove WG_1
check "Thomas detaches his subu's tunnel without sudo" in_box runuser -u Thomas -- subu detach WG Thomas_US
check_fails "detach of a subu without a tunnel" 3 'no tunnel' in_box subu detach WG Thomas_US
in_box sh -c "cat > /root/wg0.conf <<EOF2
[Interface]
PrivateKey = \$(wg genkey)
Address = 10.64.0.7/32
DNS = 10.64.0.1
MTU = 1380
PostUp = echo hi

[Peer]
PublicKey = $server_key
Endpoint = 203.0.113.5:51820
AllowedIPs = 0.0.0.0/0, ::/0
PersistentKeepalive = 25
EOF2"
check_output "WG import reads a wg-quick file and notes what it ignores" 'PostUp' in_box subu WG import /root/wg0.conf
check_output "the imported tunnel has its address and DNS" 'Address: +10\.64\.0\.7/32' in_box subu WG info WG_2
check_fails "importing a file the caller cannot read fails on the caller's side" 3 'cannot open' in_box runuser -u Mallory -- subu WG import /root/wg0.conf
imported_secret=$(in_box sed -n 's/^PrivateKey = //p' /root/wg0.conf)
made_secret=$(in_box head -c 44 /var/lib/subu/keys/WG_1.key)
in_box rm /root/wg0.conf
leaks=$(in_box sh -c "grep -rlF -e '$made_secret' -e '$imported_secret' /var/lib/subu/subu.db* /etc/subu /run /tmp /home 2>/dev/null; journalctl -o export --no-pager | grep -caF -e '$made_secret' -e '$imported_secret'")
if [[ $leaks == "0" ]]; then ok "the private keys appear nowhere but their key files (store, export, /run, /tmp, /home, journal)"
else not_ok "the private keys appear nowhere but their key files" "$leaks"; fi
check_output "busctl shows no private key either" '^0$' in_box sh -c "busctl introspect org.subu.Manager1 /org/subu/Manager1/wg/WG_1 | grep -cF '$made_secret' || true"
check "WG remove deletes the tunnel and its keys" in_box sh -c 'subu WG remove WG_2 && test ! -e /var/lib/subu/keys/WG_2.key'
check_output "ListWireGuards over busctl" '^a\(ssso\) 1 "WG_1" "vpn\.example\.net:51820" "" "/org/subu/Manager1/wg/WG_1"$' in_box busctl call $M ListWireGuards

echo "# crash safety"
# A make interrupted after useradd: the state a kill -9 leaves.
in_box systemctl stop subu-manager
in_box useradd -m -g Thomas Thomas_crash
in_box sqlite3 /var/lib/subu/subu.db "INSERT INTO subu (num, name, masu, state, created_at) VALUES (9, 'Thomas_crash', 'Thomas', 'creating', 0)"
in_box sqlite3 /var/lib/subu/subu.db "UPDATE subu SET state = 'removing' WHERE name = 'Thomas_new-subu'"
check_output "a restart is a normal start" '^3 subus\.$' in_box subu list
check_fails "the half-made subu's user is gone" 1 'no such user' in_box id Thomas_crash
check_fails "the half-removed subu's user is gone" 1 'no such user' in_box id Thomas_new-subu
check_output "their rows are gone" '^0$' in_box sqlite3 /var/lib/subu/subu.db "SELECT count(*) FROM subu WHERE state != 'ready'"
# kill -9 in the middle of real makes: whatever happened, a restart leaves only whole subus.
for i in 1 2 3 4 5; do
    in_box sh -c "subu make Thomas k$i >/dev/null 2>&1 & sleep 0.0$((i * 3)); systemctl kill -s KILL subu-manager; wait" >/dev/null 2>&1
done
in_box systemctl reset-failed subu-manager 2>/dev/null
in_box subu list >/dev/null
consistent=$(in_box sh -c '
  for n in k1 k2 k3 k4 k5; do
    row=$(sqlite3 /var/lib/subu/subu.db "SELECT num FROM subu WHERE name = '\''Thomas_$n'\'' AND state = '\''ready'\''")
    if id Thomas_$n >/dev/null 2>&1; then [ -n "$row" ] && [ -e /run/netns/ns-subu_$row ] || echo "Thomas_$n: user without a whole subu"
    else [ -z "$row" ] || echo "Thomas_$n: row without a user"; fi
  done')
if [[ -z $consistent ]]; then ok "makes killed half-way leave only whole subus after a restart"; else not_ok "makes killed half-way leave only whole subus after a restart" "$consistent"; fi

echo "# reboot"
count=$(in_box sqlite3 /var/lib/subu/subu.db "SELECT count(*) FROM subu")
bash "$BOX_SH" stop "$BOX" >/dev/null
boot
check_output "after a reboot the users are there" 'uid=' in_box id Thomas_US
check_output "after a reboot subu list shows every subu" "^$count subus?\.$" in_box subu list
check_output "after a reboot the namespaces are back" 'ns-subu_1' in_box ip netns list
check_output "a subu whose network is up is active after boot, with no command" '^active$' in_box systemctl is-active subu@Thomas_US.service
check_output "its loopback is up" '<LOOPBACK,UP,LOWER_UP>' lo_state ns-subu_1
check_output "a subu whose network is down is not" '^inactive$' in_box sh -c 'systemctl is-active subu@Thomas_local.service || true'
check_output "but has its namespace" '^active$' in_box systemctl is-active subu-netns@Thomas_local.service
in_box rm /etc/subu/subus
in_box systemctl restart subu-manager
check_output "a restart writes a missing boot export again" '^subu_1[[:space:]]Thomas_US' in_box cat /etc/subu/subus
check_output "the journal has structured fields" 'SUBU_NAME=Thomas_US' in_box journalctl -o verbose -t subu-manager -b -1 --no-pager

echo "# a missing or corrupt export still boots"
in_box rm /etc/subu/subus
bash "$BOX_SH" stop "$BOX" >/dev/null
boot
check_output "with no export the box boots" '^(running|degraded)$' in_box sh -c 'systemctl is-system-running || true'
check_output "and no subu is up" '^0$' in_box sh -c 'systemctl list-units --no-legend "subu@*" "subu-netns@*" | wc -l'
# A container has no /dev/kmsg: at boot the generator's words go nowhere, on a
# daemon-reload to the journal.
in_box systemctl daemon-reload
check_output "the generator says why" 'subu-generator: /etc/subu/subus does not exist, so there are no subu units' in_box journalctl -b -t subu-generator --no-pager
printf 'this is not an export\n\x00\x01garbage\n' | in_box tee /etc/subu/subus >/dev/null
bash "$BOX_SH" stop "$BOX" >/dev/null
boot
check_output "with a corrupt export the box boots" '^(running|degraded)$' in_box sh -c 'systemctl is-system-running || true'
in_box systemctl daemon-reload
check_output "the generator says the export is not one" 'is not the header of a subu export' in_box journalctl -b -t subu-generator --no-pager
check_output "and makes no unit" '^0$' in_box sh -c 'systemctl list-units --all --no-legend "subu@*" "subu-netns@*" "subu-*.slice" | wc -l'
in_box systemctl restart subu-manager
check_output "the manager writes the export again" '^subu_1[[:space:]]Thomas_US' in_box cat /etc/subu/subus

summary
