# bash completion for subu(1): verbs, sub-verbs, option names and values, and
# the subus and tunnels the manager shows the user (through `subu list` and
# `subu WG list`, so only what the user may see). Needs nothing of
# bash-completion's helpers; quiet and quick when the manager cannot be reached.

# Rows of a `subu ... list` table: the given columns (1-based) of each line
# after the header "ID ...", up to the first empty line.
_subu_table() {
    local columns=$1
    shift
    timeout 2 subu "$@" 2>/dev/null </dev/null |
        awk -v columns="$columns" '
            NR == 1 { if ($1 != "ID") exit; next }
            NF == 0 { exit }
            { n = split(columns, c, ","); for (i = 1; i <= n; i++) if ($c[i] != "") print $c[i] }'
}

_subu_subus() { _subu_table 1,2 list; }
_subu_tunnels() { _subu_table 1 WG list; }

# The units attached to a subu: the first field of each line that is a unit name.
_subu_attached_units() {
    timeout 2 subu service list "$1" 2>/dev/null </dev/null |
        awk '$1 ~ /^[^ ]+\.(service|socket|timer|path|target|mount)$/ { print $1 }'
}

_subu_system_units() {
    timeout 2 systemctl list-unit-files --no-legend --no-pager --type=service 2>/dev/null </dev/null |
        awk '$1 !~ /@\.service$/ { print $1 }'
}

_subu_option_values() {
    case $1 in
        isolation) echo "none standard strict quantum" ;;
        local_forwarding | steer_enabled) echo "on off" ;;
    esac
}

_subu() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local -a w=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
    local n=${#w[@]} words=
    # `subu exec SUBU -- PROGRAM ARG...`: after the program, files; the program, a command.
    if [[ ${w[0]} == exec ]]; then
        local i
        for ((i = 1; i < n; i++)); do
            if [[ ${w[i]} == -- ]]; then
                if ((i == n - 1)); then
                    COMPREPLY=($(compgen -c -- "$cur"))
                else
                    compopt -o filenames 2>/dev/null
                    COMPREPLY=($(compgen -f -- "$cur"))
                fi
                return
            fi
        done
    fi
    case $n in
        0) words="make remove list info information network lo option exec service WG attach detach init
                  help usage example version --help --version" ;;
        *)
            case ${w[0]} in
                make) ((n == 1)) && COMPREPLY=($(compgen -u -- "$cur")) && return ;;
                remove)
                    if ((n == 1)); then words="--purge $(_subu_subus)"
                    elif ((n == 2)) && [[ ${w[1]} == --purge ]]; then words=$(_subu_subus); fi ;;
                info | information) ((n == 1)) && words=$(_subu_subus) ;;
                network | lo)
                    if ((n == 1)); then words="up down"
                    elif ((n == 2)); then words=$(_subu_subus); fi ;;
                option)
                    if ((n == 1)); then words="set get list remove"
                    elif ((n == 2)); then words=$(_subu_subus)
                    elif ((n == 3)) && [[ ${w[1]} == set || ${w[1]} == get || ${w[1]} == remove ]]; then
                        words="isolation local_forwarding steer_enabled"
                    elif ((n == 4)) && [[ ${w[1]} == set ]]; then words=$(_subu_option_values "${w[3]}"); fi ;;
                exec)
                    if ((n == 1)); then words="--help $(_subu_subus)"
                    elif ((n == 2)); then words="--"; fi ;;
                service)
                    if ((n == 1)); then words="attach detach list"
                    elif ((n == 2)); then words=$(_subu_subus)
                    elif ((n == 3)) && [[ ${w[1]} == attach ]]; then words=$(_subu_system_units)
                    elif ((n == 3)) && [[ ${w[1]} == detach ]]; then words=$(_subu_attached_units "${w[2]}"); fi ;;
                WG)
                    if ((n == 1)); then
                        words="global make import list info information server_provided_public_key up down remove"
                    elif ((n == 2)); then
                        case ${w[1]} in
                            import) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
                            info | information | server_provided_public_key | up | down | remove) words=$(_subu_tunnels) ;;
                        esac
                    fi ;;
                attach)
                    if ((n == 1)); then words="WG"
                    elif ((n == 2)); then words=$(_subu_subus)
                    elif ((n == 3)); then words=$(_subu_tunnels); fi ;;
                detach)
                    if ((n == 1)); then words="WG"
                    elif ((n == 2)); then words=$(_subu_subus); fi ;;
            esac ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}

complete -F _subu subu
