# Shared helpers of the end-to-end suite: a box per run, checks that count, snapshots.
BOX_SH=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/box.sh
PASSED=0
FAILED=0
FAILURES=()

in_box() { bash "$BOX_SH" run "$BOX" -- "$@"; }

# e2e_setup TRANSCRIPT NAME: a suite's start: root, a transcript beside the build
# (for when ctest only shows the tail), and a box of its own, destroyed on exit.
e2e_setup() {
    [[ $(id -u) == 0 ]] || { echo "The end-to-end suite needs root (it boots a container)."; exit 1; }
    exec > >(tee "$BUILD/$1") 2>&1
    BOX=/var/tmp/subu-e2e/$2-$$
    trap 'bash "$BOX_SH" destroy "$BOX" >/dev/null 2>&1' EXIT
}

# Boots the box (again: a reboot keeps its upper layer), or ends the suite.
boot() {
    bash "$BOX_SH" boot "$BOX" >/dev/null || { echo "the container did not boot"; tail -50 "$BOX/console.log"; exit 1; }
}

ok() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
not_ok() {
    FAILED=$((FAILED + 1)); FAILURES+=("$1"); echo "FAIL - $1"
    [[ -n ${2:-} ]] && printf '       %s\n' "$2" | head -20
    return 0
}

# check NAME CMD...: CMD must succeed.
check() {
    local name=$1 out; shift
    if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}

# check_output NAME PATTERN CMD...: CMD succeeds and its output matches the ERE PATTERN.
check_output() {
    local name=$1 pattern=$2 out; shift 2
    if out=$("$@" 2>&1) && grep -Eq -- "$pattern" <<<"$out"; then ok "$name"
    else not_ok "$name" "expected /$pattern/, got: $out"; fi
}

# check_fails NAME STATUS PATTERN CMD...: CMD exits with STATUS and says PATTERN.
check_fails() {
    local name=$1 want=$2 pattern=$3 out rc=0; shift 3
    out=$("$@" 2>&1) || rc=$?
    # shellcheck disable=SC2053 # STATUS may be a glob such as [23]
    if [[ $rc == $want ]] && grep -Eq -- "$pattern" <<<"$out"; then ok "$name"
    else not_ok "$name" "expected exit $want and /$pattern/, got exit $rc: $out"; fi
}

# What a failed request must leave exactly as it was: the DB, users, groups, namespaces.
snapshot() {
    in_box sh -c 'sqlite3 /var/lib/subu/subu.db .dump 2>/dev/null | sha256sum;
                  sha256sum /etc/passwd /etc/group /etc/shadow /etc/gshadow; ls -la /run/netns 2>/dev/null | sed 1d;
                  ls /home'
}

summary() {
    echo
    if ((FAILED)); then printf 'failed: %s\n' "${FAILURES[@]}"; fi
    echo "$PASSED passed, $FAILED failed"
    ((FAILED == 0))
}

# install_build BUILD [EXECUTABLE...]: installs the build (and extra programs,
# into /usr/local/bin) into the box. Staged on the host beside the box, so it
# works wherever the checkout is (the box has its own /tmp), and streamed in
# from the host (the overlay need not see files made below it while mounted).
install_build() {
    local build=$1 stage="$BOX.stage"; shift
    rm -rf "$stage"
    DESTDIR="$stage" cmake --install "$build" >/dev/null
    local f
    for f in "$@"; do install -D -m 755 "$f" "$stage/usr/local/bin/$(basename "$f")"; done
    tar -C "$stage" -cf - . | in_box tar -C / -xf - --keep-directory-symlink --no-same-owner
    rm -rf "$stage"
    in_box systemctl daemon-reload
    in_box busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
}

# bench_box NAME: a benchmark's start (from the checkout's top): packages and a
# build, a box of its own, booted, destroyed on exit.
bench_box() {
    bash scripts/setup-debian.sh >/dev/null
    bash scripts/build.sh >/dev/null
    BOX=/var/tmp/subu-e2e/bench-$1-$$
    trap 'bash "$BOX_SH" destroy "$BOX" >/dev/null 2>&1' EXIT
    boot
}
