#!/bin/bash
# The manual pages: each one rendered from doc/*.scd renders at 80 columns
# without a warning from man or groff, and subu(1) names every verb, sub-verb
# and option that `subu help` lists.
# Usage: man.sh SOURCE_DOC_DIR BUILD_DOC_DIR SUBU
set -uo pipefail
src=$1 built=$2 subu=$3
passed=0 failed=0
pass() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

for scd in "$src"/*.scd; do
    name=$(basename "$scd" .scd)
    page=$built/$name
    if [[ ! -s $page ]]; then
        fail "$name was not rendered into $built (build the target subu-man)"
        continue
    fi
    # --warnings is man-db's default set; w is every warning groff has.
    for warnings in --warnings --warnings=w; do
        out=$(MANWIDTH=80 man "$warnings" -l "$page" 2>&1 >/dev/null)
        status=$?
        if ((status != 0)) || [[ -n $out ]]; then
            fail "$name with $warnings (exit $status): $out"
        else
            pass "$name renders at 80 columns without a warning ($warnings)"
        fi
    done
done

# The words of `subu help`'s synopsis that are not placeholders: verbs,
# sub-verbs and options. Each must be set in bold somewhere in subu(1).
help=$("$subu" help) || { fail "subu help exited non-zero"; help=; }
synopsis=$(awk '/^SYNOPSIS/ { on = 1; next } /^[A-Z]/ { on = 0 } on' <<<"$help")
[[ -n $synopsis ]] || fail "subu help has no SYNOPSIS section"
words=$(sed -e 's/(also:\([^)]*\))/\1/g' -e 's/[][|]/ /g' <<<"$synopsis" | tr -s ' \t' '\n' |
    grep -E '^(--?[a-z][a-z-]*|[a-z][a-z_]*|WG)$' | grep -vx subu | sort -u)
roff=$built/subu.1
for word in $words; do
    if grep -qF "\\fB$word\\fR" "$roff"; then
        pass "subu(1) names '$word'"
    else
        fail "subu(1) does not name '$word', which subu help lists: add it to doc/subu.1.scd"
    fi
done
echo "$passed passed, $failed failed"
((failed == 0))
