#!/bin/bash
# The bash completion of subu, loaded as bash-completion loads it (from
# bash-completion/completions under XDG_DATA_DIRS) and on its own: verbs,
# sub-verbs, option names and values, and subus and tunnels as a stub `subu`
# lists them; nothing printed and no long wait when the manager is away.
# Usage: completion-bash.sh COMPLETION_FILE
set -uo pipefail
file=$(readlink -f "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/share/bash-completion/completions" "$tmp/away" "$tmp/hung"
cp "$file" "$tmp/share/bash-completion/completions/subu"

# A manager that answers, as `subu` prints it.
cat >"$tmp/bin/subu" <<'STUB'
#!/bin/sh
case "$*" in
    list) printf 'ID      NAME              OWNER   UID     NETWORK\nsubu_1  Thomas_US         Thomas  2001    up\nsubu_2  Thomas_US_Rabbit  Thomas  2002    down\n\n2 subus.\n' ;;
    "WG list") printf 'ID    ENDPOINT               SUBU\nWG_1  vpn.example.net:51820  subu_1\nWG_2  [2001:db8::1]:51820    -\n' ;;
    "service list Thomas_US") printf 'transmission-daemon.service\n' ;;
    *) exit 2 ;;
esac
STUB
# One that cannot be reached, and one that never answers.
printf '#!/bin/sh\necho "subu: cannot reach subu-manager" >&2\nexit 7\n' >"$tmp/away/subu"
printf '#!/bin/sh\nexec sleep 30\n' >"$tmp/hung/subu"
chmod +x "$tmp/bin/subu" "$tmp/away/subu" "$tmp/hung/subu"

# The checks, run in one bash that has the completion loaded one way or the other.
cat >"$tmp/checks.sh" <<'CHECKS'
way=$1 tmp=$2 file=$3
if [[ $way == bash-completion ]]; then
    XDG_DATA_DIRS=$tmp/share
    source /usr/share/bash-completion/bash_completion && __load_completion subu
else
    source "$file"
fi
passed=0 failed=0
result() {
    if [[ $1 == 0 ]]; then echo "ok: $2 ($way)"; passed=$((passed + 1))
    else echo "FAIL: $2 ($way): $3"; failed=$((failed + 1)); fi
}
spec=$(complete -p subu 2>&1)
[[ $spec == "complete -F _subu subu" ]]
result $? "complete -p subu registers _subu" "it says: $spec"

# check NAME DIR EXPECTED WORDS...: completes the last of WORDS with the
# `subu` of DIR on PATH; EXPECTED are words that must all be offered, "-" for none.
check() {
    local name=$1 dir=$2 expected=$3
    shift 3
    local out err=$tmp/stderr missing=
    out=$(
        PATH=$dir:/usr/bin:/bin
        COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE} COMPREPLY=()
        _subu subu "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>"$err"
        printf '%s\n' "${COMPREPLY[@]}"
    )
    if [[ $expected == - ]]; then
        [[ -z $out ]] || missing=" (expected nothing)"
    else
        for w in $expected; do grep -qxF -- "$w" <<<"$out" || missing+=" $w"; done
    fi
    [[ -s $err ]] && missing+=" (stderr: $(cat "$err"))"
    [[ -z $missing ]]
    result $? "$name" "missing$missing; offered: $(echo $out)"
}
ok=$tmp/bin
check "the verbs" $ok "make remove list info network lo option exec service WG attach detach init help usage example version" subu ''
check "verbs by prefix" $ok "exec example" subu ex
check "option sub-verbs" $ok "set get list remove" subu option ''
check "WG sub-verbs" $ok "global make import list info server_provided_public_key up down remove" subu WG ''
check "service sub-verbs" $ok "attach detach list" subu service ''
check "subu names and ids from subu list" $ok "subu_1 subu_2 Thomas_US Thomas_US_Rabbit" subu info ''
check "a subu name by prefix" $ok "Thomas_US Thomas_US_Rabbit" subu network up Tho
check "network states" $ok "up down" subu network ''
check "option names" $ok "isolation local_forwarding steer_enabled" subu option set Thomas_US ''
check "isolation values" $ok "none standard strict quantum" subu option set Thomas_US isolation ''
check "an isolation value by prefix" $ok "strict standard" subu option set subu_1 isolation st
check "on/off of steer_enabled" $ok "on off" subu option set subu_1 steer_enabled ''
check "on/off of local_forwarding" $ok "on off" subu option set subu_1 local_forwarding ''
check "tunnel ids from subu WG list" $ok "WG_1 WG_2" subu WG info ''
check "attach WG then a subu" $ok "WG" subu attach ''
check "attach WG SUBU then a tunnel" $ok "WG_1 WG_2" subu attach WG subu_1 ''
check "remove offers --purge and subus" $ok "--purge subu_1 Thomas_US" subu remove ''
check "units attached to a subu" $ok "transmission-daemon.service" subu service detach Thomas_US ''
check "exec: -- after the subu" $ok "--" subu exec Thomas_US ''
check "exec: a command after --" $ok "bash" subu exec Thomas_US -- bas
check "a manager that cannot be reached: no names, no noise" $tmp/away - subu info ''
check "a manager that cannot be reached: verbs still complete" $tmp/away "network" subu netw
start=$(date +%s%N)
check "a manager that never answers: no names" $tmp/hung - subu info ''
ms=$((($(date +%s%N) - start) / 1000000))
((ms < 5000))
result $? "a manager that never answers costs ${ms} ms" "(5000 ms at most)"
echo "$passed $failed" >"$tmp/counts.$way"
CHECKS

ways=(plain)
if [[ -r /usr/share/bash-completion/bash_completion ]]; then
    ways+=(bash-completion)
else
    echo "note: bash-completion is not installed; its loader is not tested (apt-get install bash-completion)"
fi
passed=0 failed=0
for way in "${ways[@]}"; do
    bash --norc --noprofile "$tmp/checks.sh" "$way" "$tmp" "$file"
    if read -r p f <"$tmp/counts.$way"; then
        passed=$((passed + p)) failed=$((failed + f))
    else
        echo "FAIL: the checks did not finish ($way)"; failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
((failed == 0))
