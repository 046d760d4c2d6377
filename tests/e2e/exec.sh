#!/bin/bash
# End-to-end: `subu exec` and authorization in a systemd container with polkit: owners without sudo,
# stdio and terminals, exit statuses and signals, DNS through the subu, isolation levels, who is denied.
set -uo pipefail
BUILD=$(readlink -f "${1:?usage: exec.sh BUILD_DIR}")
HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/e2e/server.sh
. "$HERE/server.sh"
e2e_setup e2e-exec.log exec
boot
install_build "$BUILD" "$BUILD/tests/subu-test-exec-call"
M="org.subu.Manager1 /org/subu/Manager1 org.subu.Manager1"
in_box useradd -m -s /bin/bash Thomas
in_box useradd -m Mallory
in_box groupadd subu-admins
in_box useradd -m -G subu-admins Alice
in_box groupadd subu-runners
in_box useradd -m -G subu-runners Bob
as_thomas() { in_box runuser -u Thomas -- "$@"; }
as_mallory() { in_box runuser -u Mallory -- "$@"; }
as_alice() { in_box runuser -u Alice -- "$@"; }

echo "# setup"
check_output "polkit is there" 'org.subu.Manager1.exec-any' in_box pkaction --action-id org.subu.Manager1.exec-any
check_output "Thomas makes Thomas_US without sudo" '^subu_1  Thomas_US$' as_thomas subu make Thomas US

echo "# what Thomas can do, without sudo"
check_output "subu exec subu_1 -- id -un prints Thomas_US" '^Thomas_US$' as_thomas subu exec subu_1 -- id -un
check_output "it runs in the subu's namespace (only lo there)" '^1: lo:' as_thomas subu exec Thomas_US -- ip -o link
check_output "and in the subu's slice" 'subu.slice/subu-Thomas.slice/subu-Thomas-US.slice/subu-exec-subu_1-[0-9]+\.service' as_thomas subu exec Thomas_US -- cat /proc/self/cgroup
check_output "with the environment of a login" '^HOME=/home/Thomas_US LOGNAME=Thomas_US SHELL=/bin/bash USER=Thomas_US PATH=/usr/local/bin:/usr/bin:/bin' \
    as_thomas subu exec Thomas_US -- sh -c 'echo HOME=$HOME LOGNAME=$LOGNAME SHELL=$SHELL USER=$USER PATH=$PATH'
check_output "in its home" '^/home/Thomas_US$' as_thomas subu exec Thomas_US -- pwd
check_output "stdin passes through" '^hi$' in_box sh -c 'echo hi | runuser -u Thomas -- subu exec Thomas_US -- cat'
check_output "a pipe works both ways in a script" '^3$' in_box sh -c 'printf "a\nb\nc\n" | runuser -u Thomas -- subu exec Thomas_US -- cat | wc -l'
check_output "stderr stays stderr" '^err$' in_box sh -c 'runuser -u Thomas -- subu exec Thomas_US -- sh -c "echo out; echo err >&2" 2>&1 >/dev/null'
check_output "a closed stdin is /dev/null to the program" '^0$' in_box sh -c 'runuser -u Thomas -- subu exec Thomas_US -- wc -c <&-'
check_output "a file as stdout" '^Thomas_US$' in_box sh -c 'runuser -u Thomas -- subu exec Thomas_US -- id -un > /tmp/out.txt && cat /tmp/out.txt'
check_output "\$ and % reach the program as typed" '^\$HOME \$\$ %n$' as_thomas subu exec Thomas_US -- printf '%s\n' '$HOME $$ %n'
check_fails "sh -c 'exit 42' exits 42" 42 '' as_thomas subu exec Thomas_US -- sh -c 'exit 42'
check_fails "a program killed by SIGTERM exits 143" 143 '' as_thomas subu exec Thomas_US -- sh -c 'kill -TERM $$'
in_box sh -c 'runuser -u Thomas -- subu exec Thomas_US -- sleep 100 & sleep 1.5; pkill -TERM -x subu; wait $!; echo rc=$?' > /tmp/subu-e2e-sig.$$ 2>&1
check_output "SIGTERM to subu reaches the program (143)" '^rc=143$' cat /tmp/subu-e2e-sig.$$
rm -f /tmp/subu-e2e-sig.$$
check_output "no exec unit is left behind" '^0$' in_box sh -c 'systemctl list-units --all --no-legend "subu-exec-*" | wc -l'
check_output "the journal names the unit and the subu" 'SUBU_ISOLATION=standard' in_box journalctl -o verbose -t subu-manager --no-pager
check_output "subu exec --help is a manual" 'ISOLATION|isolation.*\n*' in_box subu exec --help
check_output "subu help lists exec" 'exec SUBU \[--\] PROGRAM' in_box subu help

echo "# options"
check_output "option set isolation strict" '^isolation of Thomas_US is strict$' as_thomas subu option set Thomas_US isolation strict
check_output "option get" '^strict$' as_thomas subu option get Thomas_US isolation
check_output "option list" '^isolation +strict$' as_thomas subu option list Thomas_US
check_fails "an unknown isolation level is refused" 2 'none, standard, strict, quantum' as_thomas subu option set Thomas_US isolation paranoid
check_fails "an unknown option is refused" 2 'no option "colour"; the options are' as_thomas subu option set Thomas_US colour blue
as_thomas subu option set Thomas_US isolation standard >/dev/null

echo "# interactive, through tmux"
in_box tmux new-session -d -s t -x 100 -y 30 "runuser -u Thomas -- subu exec Thomas_US -- bash; echo EXITED=\$?; sleep 600"
pane() { in_box tmux capture-pane -p -t t; }
wait_for() { local i; for i in $(seq 1 50); do pane | grep -Eq -- "$1" && return 0; sleep 0.2; done; return 1; }
check "a prompt appears" wait_for 'Thomas_US@[^ ]*:~\$'
in_box tmux send-keys -t t 'tty; echo TERM=$TERM; stty size' Enter
check "the program has a terminal of its own" wait_for '^/dev/pts/[0-9]+'
check "TERM is the caller's" wait_for '^TERM=tmux-256color|^TERM=screen'
check "the window size is the caller's" wait_for '^30 100$'
in_box tmux send-keys -t t 'sleep 100' Enter
sleep 1
in_box tmux send-keys -t t C-c
in_box tmux send-keys -t t 'echo SLEPT=$?' Enter
check "Ctrl-C interrupts sleep 100" wait_for '^SLEPT=130'
in_box tmux send-keys -t t 'sleep 50 &' Enter 'jobs' Enter
check "job control works" wait_for '^\[1\]\+ +Running +sleep 50 &'
in_box tmux resize-window -t t -x 90 -y 20 2>/dev/null || in_box tmux resize-pane -t t -x 90 -y 20
in_box tmux send-keys -t t 'stty size' Enter
check "a resized window is passed on" wait_for '^20 90$'
in_box tmux send-keys -t t 'exit 7' Enter
check "exit returns the status" wait_for '^EXITED=7$'
in_box tmux kill-server

echo "# bad input changes nothing"
before=$(snapshot)
check_fails "exec without a program" 2 'nothing to run' as_thomas subu exec Thomas_US --
check_fails "exec without anything" 2 'needs a subu' as_thomas subu exec
check_fails "exec into no subu" 3 'no subu' as_thomas subu exec Thomas_XX -- id
check_fails "exec of a bad reference" 2 'not a subu id' as_thomas subu exec 'a/b' -- id
check_fails "exec of a program that is not there" 3 'no program "nosuch"' as_thomas subu exec Thomas_US -- nosuch
check_fails "exec of a relative path" 2 'relative path' as_thomas subu exec Thomas_US -- bin/true
check_fails "exec with an unknown option" 2 'unknown option' as_thomas subu exec --frob Thomas_US -- id
check_fails "Exec with an unknown option" 1 'InvalidArgument: Unknown option "colour"' in_box subu-test-exec-call Thomas_US colour=blue -- id
check_fails "Exec with an empty argv" 1 'InvalidArgument: Nothing to run' in_box subu-test-exec-call Thomas_US --
check_fails "Exec with a bad TERM" 1 'InvalidArgument: TERM "x y"' in_box script -qec "subu-test-exec-call Thomas_US 'term=x y' -- id" /dev/null
check_fails "KillExec with no signal number" 1 'not 1 to 64' in_box busctl call $M KillExec i 0
check_output "Exec returns the unit, result, code and status" '^subu-exec-subu_1-[0-9]+\.service exit-code 1 3$' \
    in_box subu-test-exec-call Thomas_US -- sh -c 'exit 3'
after=$(snapshot)
if [[ $before == "$after" ]]; then ok "after all bad input the DB, passwd, group and /run/netns are unchanged"
else not_ok "after all bad input the DB, passwd, group and /run/netns are unchanged" "$(diff <(echo "$before") <(echo "$after"))"; fi

echo "# who is denied"
before=$(snapshot)
check_fails "Mallory cannot exec into Thomas_US" 5 'Only Thomas or root may run programs' as_mallory subu exec Thomas_US -- id
check_fails "Mallory cannot Exec over D-Bus" 1 'AccessDenied: Only Thomas or root' as_mallory subu-test-exec-call subu_1 -- id
check_fails "Mallory cannot make under Thomas" 5 'Only Thomas or root' as_mallory subu make Thomas evil
check_fails "Mallory cannot remove Thomas_US" 5 'Only Thomas or root' as_mallory subu remove Thomas_US
check_fails "Mallory cannot attach a tunnel to Thomas_US" 5 'Only root' as_mallory subu attach WG Thomas_US WG_1
check_fails "Mallory cannot set an option of Thomas_US" 5 'Only Thomas or root' as_mallory subu option set Thomas_US isolation none
check_fails "Mallory cannot see Thomas_US" 5 'Only Thomas or root' as_mallory subu info Thomas_US
check_output "Mallory lists none of Thomas's subus" 'No subus' as_mallory subu list
check_output "polkit was asked, with the caller's bus name" 'polkit denies org.subu.Manager1.exec-any to :1\.' in_box journalctl -t subu-manager --no-pager
after=$(snapshot)
if [[ $before == "$after" ]]; then ok "Mallory's attempts changed nothing"; else not_ok "Mallory's attempts changed nothing" "$(diff <(echo "$before") <(echo "$after"))"; fi

echo "# a polkit rule for the group subu-admins"
check_fails "without a rule Alice may not manage Thomas's subus" 5 'Only Thomas or root' as_alice subu option set Thomas_US steer_enabled off
in_box sh -c 'cat > /etc/polkit-1/rules.d/50-subu-admins.rules' <<'RULES'
polkit.addRule(function(action, subject) {
    if ((action.id == "org.subu.Manager1.manage-any" || action.id == "org.subu.Manager1.inspect") &&
        subject.isInGroup("subu-admins"))
        return polkit.Result.YES;
    if (action.id == "org.subu.Manager1.exec-any" && subject.isInGroup("subu-runners"))
        return polkit.Result.YES;
});
RULES
sleep 1   # polkitd picks up new rules by inotify
check_output "with it Alice, in subu-admins, may set an option" 'steer_enabled of Thomas_US is off' as_alice subu option set Thomas_US steer_enabled off
check_output "look at Thomas_US" 'Name: +Thomas_US' as_alice subu info Thomas_US
check_output "make a subu under Thomas" '^subu_2  Thomas_ops$' as_alice subu make Thomas ops
check "and remove it" as_alice subu remove --purge Thomas_ops
check_fails "but not exec, which the rule does not grant" 5 'Only Thomas or root may run' as_alice subu exec Thomas_US -- id
check_output "her list still shows only her own" 'No subus' as_alice subu list
check_output "Bob, in subu-runners, may exec into Thomas_US (asked without blocking the manager)" '^Thomas_US$' \
    in_box runuser -u Bob -- subu exec Thomas_US -- id -un
check_fails "but not change it" 5 'Only Thomas or root' in_box runuser -u Bob -- subu option set Thomas_US isolation none
check_fails "Mallory, not in the group, still may not" 5 'Only Thomas or root' as_mallory subu option set Thomas_US steer_enabled on
in_box systemctl mask --runtime --now polkit.service >/dev/null 2>&1
check_fails "with polkit gone Alice is denied" 5 'Only Thomas or root' as_alice subu option set Thomas_US steer_enabled on
check_output "and Thomas still may" 'steer_enabled of Thomas_US is on' as_thomas subu option set Thomas_US steer_enabled on
in_box systemctl unmask --runtime polkit.service >/dev/null 2>&1

echo "# DNS goes through the subu's tunnel"
# The far end: tests/e2e/server.sh's WireGuard server namespace, with dnsmasq
# answering web.example.internal behind the tunnel.
in_box sh -c 'umask 077; wg genkey > /root/exec.key'
server_key=$(server_up "$(in_box sh -c 'wg pubkey < /root/exec.key')" 192.168.112.2/32 | tail -1)
in_box sh -ec "subu WG global 192.168.112.0/24 >/dev/null
  printf '[Interface]\nPrivateKey = %s\nAddress = 192.168.112.2/32\nDNS = $SRV_TUN_V4\n\n[Peer]\nPublicKey = %s\nEndpoint = $SRV_V4:51820\nAllowedIPs = 0.0.0.0/0, ::/0\n' \
      \"\$(cat /root/exec.key)\" '$server_key' > /root/exec.conf
  subu WG import /root/exec.conf >/dev/null; rm /root/exec.conf /root/exec.key
  subu attach WG Thomas_US WG_1 >/dev/null; subu network up Thomas_US >/dev/null
  mkdir -p /run/nscd; touch /run/nscd/socket"
in_box sh -c 'timeout 8 tcpdump -l -n -i any udp port 53 > /run/outside.pcap.txt 2>/dev/null &
              ip netns exec ns-subu_1 timeout 8 tcpdump -l -n -i subu_1 udp port 53 > /run/inside.pcap.txt 2>/dev/null &'
sleep 1.5
check_output "the subu's resolv.conf is its /etc/resolv.conf" "^nameserver ${SRV_TUN_V4//./\\.}\$" as_thomas subu exec Thomas_US -- cat /etc/resolv.conf
check_output "a name served behind the tunnel resolves inside subu exec" "^${SRV_TUN_V4//./\\.} +web\.example\.internal" as_thomas subu exec Thomas_US -- getent hosts web.example.internal
check_fails "nscd's socket is out of reach" '[12]' 'Permission denied|No such file' as_thomas subu exec Thomas_US -- ls /run/nscd
check_fails "and systemd-resolved's" '[12]' 'Permission denied|No such file' as_thomas subu exec Thomas_US -- ls /run/systemd/resolve/io.systemd.Resolve
sleep 7
check_output "the capture on the tunnel inside the subu's namespace shows the lookup" 'web\.example\.internal' in_box cat /run/inside.pcap.txt
check_output "a capture outside shows no lookup" '^0$' in_box sh -c 'grep -c . /run/outside.pcap.txt || true'
in_box sh -c 'subu detach WG Thomas_US; subu WG remove WG_1; rm -rf /run/nscd' >/dev/null 2>&1
server_down

echo "# isolation levels"
in_box sh -c 'echo host > /tmp/host-marker; systemd-run -q --unit=subu-test-sleeper sleep 300'
level() { as_thomas subu option set Thomas_US isolation "$1" >/dev/null; }
level none
check_output "none: the host's /tmp is there" '^host$' as_thomas subu exec Thomas_US -- cat /tmp/host-marker
check_output "none: other users' processes are visible" 'sleep 300' as_thomas subu exec Thomas_US -- ps -eo args
level standard
check_fails "standard: /tmp is private" 1 'No such file' as_thomas subu exec Thomas_US -- cat /tmp/host-marker
check_fails "standard: /etc is read-only" 1 'Read-only file system|Permission denied' as_thomas subu exec Thomas_US -- touch /etc/x
check_output "standard: other users' processes are still visible" 'sleep 300' as_thomas subu exec Thomas_US -- ps -eo args
check_output "standard: home is writable" '^ok$' as_thomas subu exec Thomas_US -- sh -c 'touch ~/x && rm ~/x && echo ok'
level strict
check_fails "strict: other users' processes are invisible" 1 '' as_thomas subu exec Thomas_US -- pgrep -f 'sleep 300'
check_output "strict: its own are visible" 'ps -eo args' as_thomas subu exec Thomas_US -- ps -eo args
check_fails "strict: /var is read-only" 1 'Read-only file system' as_thomas subu exec Thomas_US -- touch /var/lib/x
check_output "strict: home is writable" '^ok$' as_thomas subu exec Thomas_US -- sh -c 'touch ~/x && rm ~/x && echo ok'
check_output "strict: the uid is the subu's" '^Thomas_US$' as_thomas subu exec Thomas_US -- id -un
level quantum
check_output "quantum: uid 0 inside" '^0$' as_thomas subu exec Thomas_US -- id -u
check_output "quantum: other users are nobody" 'nobody|65534' as_thomas subu exec Thomas_US -- stat -c %U /etc/shadow
check_fails "quantum: and root inside is no root outside" 1 'Permission denied' as_thomas subu exec Thomas_US -- cat /etc/shadow
check_fails "quantum: the hostname cannot be changed" '[14]' 'not permitted|Operation|denied|hostname' as_thomas subu exec Thomas_US -- hostname evil
check_output "quantum: still in the subu's namespace" '^1: lo:' as_thomas subu exec Thomas_US -- ip -o link
in_box sh -c 'systemctl stop subu-test-sleeper; rm -f /tmp/host-marker'

echo "# cleanup"
check "Thomas removes Thomas_US" as_thomas subu remove --purge Thomas_US
summary
