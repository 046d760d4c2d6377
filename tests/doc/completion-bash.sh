#!/bin/bash
# The bash completion of subu, loaded as bash-completion loads it (from
# bash-completion/completions under XDG_DATA_DIRS) and on its own:
# verbs, sub-verbs, option names and values, and subus and tunnels as a stub
# `subu` lists them; nothing printed and no wait when the manager is away.
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

# Prints the completions of the words given (the last one is being completed).
cat >"$tmp/complete.sh" <<'HELPER'
complete_words() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    local spec
    spec=$(complete -p subu 2>/dev/null) || { echo "NO-COMPLETION"; return; }
    local fn=${spec#*-F }
    fn=${fn%% *}
    "$fn" subu "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf '%s\n' "${COMPREPLY[@]}" | sort
}
HELPER

passed=0 failed=0
# check NAME WAY PATH_DIR EXPECTED WORDS... ; EXPECTED: words that must all be offered, "-" for none at all.
check() {
    local name=$1 way=$2 dir=$3 expected=$4
    shift 4
    local load
    if [[ $way == bash-completion ]]; then
        load="XDG_DATA_DIRS='$tmp/share'; source /usr/share/bash-completion/bash_completion && __load_completion subu"
    else
        load="source '$file'"
    fi
    local out err
    err=$(mktemp)
    out=$(PATH="$dir:/usr/bin:/bin" bash --norc --noprofile -c \
        "$load; source '$tmp/complete.sh'; complete_words $(printf '%q ' "$@")" 2>"$err")
    local missing=
    if [[ $expected == - ]]; then
        [[ -z $out ]] || missing="(expected nothing, got: $(echo $out))"
    else
        for w in $expected; do grep -qxF -- "$w" <<<"$out" || missing+=" $w"; done
    fi
    if [[ -s $err ]]; then missing+=" (stderr: $(cat "$err"))"; fi
    rm -f "$err"
    if [[ -z $missing ]]; then
        echo "ok: $name ($way)"
        passed=$((passed + 1))
    else
        echo "FAIL: $name ($way): missing$missing; offered: $(echo $out)"
        failed=$((failed + 1))
    fi
}

ways=(plain)
if [[ -r /usr/share/bash-completion/bash_completion ]]; then
    ways+=(bash-completion)
else
    echo "note: bash-completion is not installed; its loader is not tested (apt-get install bash-completion)"
fi
for way in "${ways[@]}"; do
    out=$(PATH="$tmp/bin:/usr/bin:/bin" bash --norc --noprofile -c \
        "$( [[ $way == plain ]] && echo "source '$file'" || echo "XDG_DATA_DIRS='$tmp/share'; source /usr/share/bash-completion/bash_completion && __load_completion subu")"'; complete -p subu')
    if [[ $out == "complete -F _subu subu" ]]; then
        echo "ok: complete -p subu registers _subu ($way)"; passed=$((passed + 1))
    else
        echo "FAIL: complete -p subu says '$out' ($way)"; failed=$((failed + 1))
    fi
    check "the verbs" $way "$tmp/bin" "make remove list info network lo option exec service WG attach detach init help usage example version" subu ''
    check "verbs by prefix" $way "$tmp/bin" "exec example" subu ex
    check "option sub-verbs" $way "$tmp/bin" "set get list" subu option ''
    check "WG sub-verbs" $way "$tmp/bin" "global make import list info server_provided_public_key up down remove" subu WG ''
    check "service sub-verbs" $way "$tmp/bin" "attach detach list" subu service ''
    check "subu names and ids from subu list" $way "$tmp/bin" "subu_1 subu_2 Thomas_US Thomas_US_Rabbit" subu info ''
    check "a subu name by prefix" $way "$tmp/bin" "Thomas_US Thomas_US_Rabbit" subu network up Tho
    check "network states" $way "$tmp/bin" "up down" subu network ''
    check "option names" $way "$tmp/bin" "isolation local_forwarding steer_enabled" subu option set Thomas_US ''
    check "isolation values" $way "$tmp/bin" "none standard strict quantum" subu option set Thomas_US isolation ''
    check "an isolation value by prefix" $way "$tmp/bin" "strict standard" subu option set subu_1 isolation st
    check "on/off values" $way "$tmp/bin" "on off" subu option set subu_1 steer_enabled ''
    check "on/off of local_forwarding" $way "$tmp/bin" "on off" subu option set subu_1 local_forwarding ''
    check "tunnel ids from subu WG list" $way "$tmp/bin" "WG_1 WG_2" subu WG info ''
    check "attach WG then a subu" $way "$tmp/bin" "WG" subu attach ''
    check "attach WG SUBU then a tunnel" $way "$tmp/bin" "WG_1 WG_2" subu attach WG subu_1 ''
    check "remove offers --purge and subus" $way "$tmp/bin" "--purge subu_1 Thomas_US" subu remove ''
    check "units attached to a subu" $way "$tmp/bin" "transmission-daemon.service" subu service detach Thomas_US ''
    check "exec: -- after the subu" $way "$tmp/bin" "--" subu exec Thomas_US ''
    check "exec: a command after --" $way "$tmp/bin" "bash" subu exec Thomas_US -- bas
    check "a manager that cannot be reached: no names, no noise" $way "$tmp/away" - subu info ''
    check "a manager that cannot be reached: verbs still complete" $way "$tmp/away" "network" subu netw
    start=$(date +%s%N)
    check "a manager that never answers: no names" $way "$tmp/hung" - subu info ''
    ms=$((($(date +%s%N) - start) / 1000000))
    if ((ms < 5000)); then
        echo "ok: a manager that never answers costs ${ms} ms ($way)"; passed=$((passed + 1))
    else
        echo "FAIL: a manager that never answers costs ${ms} ms ($way)"; failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
((failed == 0))
