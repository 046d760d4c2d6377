#!/bin/bash
# The zsh completion of subu: the file parses (zsh -n), compinit in a bare
# zsh (zsh -f) finds it for `subu`, and, with zsh's completion builtins
# replaced by stand-ins that print what they are offered, it offers verbs,
# sub-verbs, option values, and subus and tunnels as a stub `subu` lists them.
# Usage: completion-zsh.sh COMPLETION_FILE
set -uo pipefail
file=$(readlink -f "$1")
if ! command -v zsh >/dev/null; then
    echo "FAIL: zsh is not installed (apt-get install zsh)"
    echo "0 passed, 1 failed"
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/functions" "$tmp/bin"
cp "$file" "$tmp/functions/_subu"
cat >"$tmp/bin/subu" <<'STUB'
#!/bin/sh
case "$*" in
    list) printf 'ID      NAME       OWNER   UID     NETWORK\nsubu_1  Thomas_US  Thomas  2001    up\n\n1 subu.\n' ;;
    "WG list") printf 'ID    ENDPOINT               SUBU\nWG_1  vpn.example.net:51820  subu_1\n' ;;
    *) exit 2 ;;
esac
STUB
chmod +x "$tmp/bin/subu"

passed=0 failed=0
result() {
    if [[ $1 == 0 ]]; then echo "ok: $2"; passed=$((passed + 1)); else echo "FAIL: $2 ${3:-}"; failed=$((failed + 1)); fi
}

err=$(zsh -n "$file" 2>&1)
result $? "zsh -n parses the completion" "$err"

out=$(HOME=$tmp zsh -f -c "fpath=('$tmp/functions' \$fpath); autoload -Uz compinit && compinit -u -D && print -r -- \${_comps[subu]}" 2>&1)
[[ $out == _subu ]]
result $? "compinit in zsh -f loads it for subu" "(got: $out)"

# Stand-ins for the completion builtins: each prints the candidates it is given.
cat >"$tmp/standins.zsh" <<'ZSH'
compadd() {
  local a
  while (( $# )); do
    case $1 in
      -a) print -l -- ${(P)2}; shift 2 ;;
      --) shift; print -l -- "$@"; return ;;
      -*) shift ;;
      *) print -l -- "$@"; return ;;
    esac
  done
}
_wanted() { shift 3; "$@"; }
_describe() { local -a d; d=(${(P)4}); print -l -- ${d%%:*}; }
_values() { shift; print -l -- "$@"; }
_alternative() {
  local spec action
  for spec; do
    action=${spec#*:*:}
    if [[ $action == \(*\) ]]; then print -l -- ${=${action#\(}%\)}; else eval $action; fi
  done
}
_message() { :; }
_users() { print -- USERS; }
_files() { print -- FILES; }
_command_names() { print -- COMMANDS; }
complete_words() { words=(subu "$@"); CURRENT=$#words; _subu; }
ZSH

check() {
    local name=$1 expected=$2
    shift 2
    local out
    out=$(PATH="$tmp/bin:/usr/bin:/bin" HOME=$tmp zsh -f -c "
        fpath=('$tmp/functions' \$fpath); autoload -Uz _subu
        source '$tmp/standins.zsh'; complete_words $(printf '%q ' "$@")" 2>&1)
    local missing=
    for w in $expected; do grep -qxF -- "$w" <<<"$out" || missing+=" $w"; done
    [[ -z $missing ]]
    result $? "$name" "missing$missing; offered: $(echo $out)"
}
check "the verbs" "make remove list info network lo option exec service WG attach detach init help usage example version" ''
check "option sub-verbs" "set get list remove" option ''
check "WG sub-verbs" "global make import list info server_provided_public_key up down remove" WG ''
check "service sub-verbs" "attach detach list" service ''
check "subu names and ids from subu list" "subu_1 Thomas_US" info ''
check "isolation values" "none standard strict quantum" option set Thomas_US isolation ''
check "on/off values" "on off" option set subu_1 local_forwarding ''
check "tunnel ids from subu WG list" "WG_1" WG up ''
check "attach WG SUBU then a tunnel" "WG_1" attach WG subu_1 ''
check "make: the owner is a user" "USERS" make ''
check "exec: a command after --" "COMMANDS" exec Thomas_US -- ''
echo "$passed passed, $failed failed"
((failed == 0))
