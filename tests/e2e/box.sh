#!/bin/bash
# box.sh - boot systemd as PID 1 in a throw-away container over an overlay of / for subu's end-to-end tests.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: box.sh COMMAND DIR [ARGS...]        (as root)

Boots the host's own systemd as PID 1 in a container whose root is an overlay
of the host's / (lower) and DIR/upper (writes).  The container has its own
pid, mount, uts, ipc, net (only lo) and cgroup namespaces, fresh /proc, /sys
(read-only), cgroup2, bpf, /run, /tmp and a private /dev.  Host paths such as
/work are visible inside, so `box.sh run DIR -- cmake --install /work/main/build`
installs into the container only.  DIR must not be under /tmp (e.g. use
/var/tmp/subu-e2e/box1).

Commands:
  boot DIR            create DIR's layers if missing (an existing DIR/upper is
                      kept: that is a reboot), start the container in the
                      background and wait (90 s) until it is up; prints
                      `running` or `degraded` (failed units go to stderr).
                      On failure it exits 1 and leaves the box running for
                      inspection (`run`, DIR/console.log); `stop` it after.
  run DIR [--] CMD..  run CMD as root inside (all namespaces and the root of
                      the container, env reset to PATH/LANG/TERM/HOME),
                      stdio passed through, exit with CMD's status.
  stop DIR            clean poweroff (30 s, then SIGKILL); keeps DIR/upper.
  destroy DIR         stop if running, then remove DIR entirely.
  status DIR          print `running` or `stopped`.

DIR holds: upper/ work/ (overlay), root/ (mount point, only mounted inside the
container's mount namespace), pid (host PID of the container's PID 1),
console.log (the container's /dev/console), cgroup (its host cgroup path).
EOF
}

die() { echo "box.sh: $*" >&2; exit 1; }

SELF=$(readlink -f "$0")
# The host runs hybrid cgroups here (v2 at /sys/fs/cgroup/unified); pure-v2 hosts have it at /sys/fs/cgroup.
cg_root() { [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]] && echo /sys/fs/cgroup || echo /sys/fs/cgroup/unified; }

# Host PID of the container's PID 1 if it is up and has become systemd, else fails.
box_pid() {
    local pid
    pid=$(cat "$1/pid" 2>/dev/null) || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == systemd ]] || return 1
    # Guard against PID reuse: the process must live in this box's cgroup.
    local rel=${CG#"$(cg_root)"} cg
    cg=$(grep '^0::' "/proc/$pid/cgroup" 2>/dev/null) || return 1
    [[ $cg == "0::$rel" || $cg == "0::$rel/"* ]] || return 1
    echo "$pid"
}

box_run() {
    local dir=$1 pid; shift
    pid=$(box_pid "$dir") || die "$dir is not running"
    # Join the box's cgroup so `stop` can kill whatever is left over, and so the
    # command sees itself at "/" inside the container's cgroup namespace.
    echo "$BASHPID" > "$CG/cgroup.procs" 2>/dev/null || true
    exec nsenter --target "$pid" --mount --uts --ipc --net --pid --cgroup --root --wd \
        -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 TERM="${TERM:-dumb}" HOME=/root "$@"
}

# Runs as PID 1 of the new namespaces (called by `boot` through unshare):
# builds the root file system, pivots into it and execs systemd.
pid1() {
    local dir=$1 r=$1/root
    # /proc is still the host's here, so /proc/self/stat reads our host PID.
    local hostpid _; read -r hostpid _ </proc/self/stat
    echo "$hostpid" > "$dir/pid"
    # lowerdir=/ only takes the root fs (not /proc etc. mounted on it). Overlayfs
    # refuses (ELOOP) a lowerdir below upper/work, not the reverse, so an upperdir
    # below lowerdir=/ on the same fs is fine (checked on 6.18).
    mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$r"
    mount -t tmpfs -o ro,size=4k,mode=000 hide "$r$dir"   # the box's own state is no business of the box
    mount -t proc proc "$r/proc"
    # /proc/sys read-only except the per-netns /proc/sys/net: systemd-sysctl
    # must not retune the host kernel. sysrq-trigger likewise.
    mount --bind "$r/proc/sys" "$r/proc/sys"
    mount -o remount,bind,ro "$r/proc/sys"
    mount --bind "$r/proc/sys/net" "$r/proc/sys/net"
    mount -o remount,bind,rw "$r/proc/sys/net"
    [[ ! -e $r/proc/sysrq-trigger ]] || mount --bind -o ro "$r/proc/sysrq-trigger" "$r/proc/sysrq-trigger"
    # Read-only /sys makes systemd-udevd and udev-trigger skip (they would send
    # real uevents to the host), as under systemd-nspawn.
    mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys"
    mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$r/sys/fs/cgroup"   # root = box cgroup (cgroupns)
    mount -t bpf -o nosuid,nodev,noexec,mode=700 bpf "$r/sys/fs/bpf"     # a private instance for pins
    # A private /dev with bound host nodes rather than the host's devtmpfs:
    # systemd would otherwise write to the host console, /dev/kmsg and devtmpfs.
    mount -t tmpfs -o nosuid,mode=755,size=4m dev "$r/dev"
    local n
    for n in null zero full random urandom tty fuse; do
        [[ -e /dev/$n ]] || continue
        touch "$r/dev/$n"; mount --bind "/dev/$n" "$r/dev/$n"
    done
    mkdir -p "$r/dev/net" "$r/dev/pts" "$r/dev/shm"
    mknod -m 666 "$r/dev/net/tun" c 10 200       # this host has no /dev/net/tun node; wireguard-go needs it
    mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$r/dev/pts"
    ln -s pts/ptmx "$r/dev/ptmx"
    mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$r/dev/shm"
    ln -s /proc/self/fd "$r/dev/fd"
    for n in stdin:0 stdout:1 stderr:2; do ln -s "/proc/self/fd/${n#*:}" "$r/dev/${n%:*}"; done
    # Our stdin is the pty that `script` logs to console.log: it becomes /dev/console.
    touch "$r/dev/console"; mount --bind "$(readlink /proc/self/fd/0)" "$r/dev/console"
    mount -t tmpfs -o nosuid,nodev,mode=755 run "$r/run"
    # A boot ID of its own (the kernel's is the host's), so `journalctl -b` means this boot.
    cat /proc/sys/kernel/random/uuid > "$r/run/boot_id"
    mount --bind -o ro "$r/run/boot_id" "$r/proc/sys/kernel/random/boot_id"; rm "$r/run/boot_id"
    mount -t tmpfs -o nosuid,nodev,mode=1777 tmp "$r/tmp"   # never let systemd-tmpfiles near the host's /tmp
    cd "$r"
    pivot_root . .          # old root ends up stacked on /, detach it
    umount -l .
    exec env -i container=subu-e2e TERM=vt220 PATH=/usr/sbin:/usr/bin:/sbin:/bin /lib/systemd/systemd
}

# First boot: fresh layers, plus settings written straight into the upper layer.
create_layers() {
    local dir=$1 u=$1/upper/etc
    mkdir -p "$dir/work" "$dir/root" "$u/systemd/system"
    systemd-id128 new > "$u/machine-id"      # own identity (journal, D-Bus), stable across reboots
    echo subu-e2e > "$u/hostname"
    # Masked: gettys (would sit on the console pty), wait-online (no network
    # here, would stall 2 min), units that would touch the host kernel or clock
    # (apparmor, modprobe@, modules-load, timesyncd, pstore, the global debugfs,
    # tracefs, configfs and fusectl mounts), and host services/timers that would
    # only slow the boot or run apt/man-db during tests.
    local m
    for m in console-getty.service getty@.service container-getty@.service serial-getty@.service \
        systemd-networkd-wait-online.service apparmor.service modprobe@.service systemd-modules-load.service \
        kmod-static-nodes.service systemd-timesyncd.service systemd-pstore.service \
        sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount sys-fs-fuse-connections.mount \
        postgresql.service postgresql@.service e2scrub_reap.service apt-daily.timer \
        apt-daily-upgrade.timer man-db.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer; do
        ln -sfn /dev/null "$u/systemd/system/$m"
    done
    mkdir -p "$dir/upper"      # last: its existence means the layers are complete
}

boot() {
    local dir=$1 state
    box_pid "$dir" >/dev/null && die "$dir is already running"
    # A half-dead earlier boot would otherwise share the upper layer with this one.
    [[ ! -e $CG/cgroup.events || $(cat "$CG/cgroup.events") == *"populated 0"* ]] ||
        die "$CG still has processes: run 'box.sh stop $dir' first"
    [[ -d $dir/upper ]] || create_layers "$dir"
    mkdir -p "$dir/work" "$dir/root" "$CG"
    echo "$CG" > "$dir/cgroup"
    rm -f "$dir/pid"
    # The box cgroup becomes the container's cgroup-namespace root. `script`
    # gives the container a pty as console and copies it to console.log.
    (
        echo "$BASHPID" > "$CG/cgroup.procs"
        exec setsid script -qfec "$(printf '%q ' unshare --pid --fork --mount --uts --ipc --net --cgroup \
            "$SELF" _pid1 "$dir")" "$dir/console.log"
    ) </dev/null >/dev/null 2>&1 &
    local start=$SECONDS
    while :; do
        if box_pid "$dir" >/dev/null; then
            state=$( (box_run "$dir" systemctl is-system-running) 2>/dev/null) || true
            case $state in running|degraded)
                echo "$state"
                [[ $state == running ]] || (box_run "$dir" systemctl --failed --no-legend) >&2
                return 0 ;;
            esac
        elif [[ -s $dir/pid ]] && ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
            tail -n 30 "$dir/console.log" | tr -d '\r' >&2; die "container died during boot"
        fi
        if (( SECONDS - start > 90 )); then
            tail -n 30 "$dir/console.log" | tr -d '\r' >&2
            { (box_run "$dir" systemctl list-units --failed --no-legend); (box_run "$dir" systemctl list-jobs); } >&2 || true
            die "not up after 90 s (state: ${state:-none})"
        fi
        sleep 0.3
    done
}

stop() {
    local dir=$1 pid i
    if pid=$(box_pid "$dir"); then
        kill -s SIGRTMIN+4 "$pid"                 # = systemctl poweroff, needs no bus
        for ((i = 0; i < 300; i++)); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
    fi
    if [[ -d $CG ]]; then
        # Whatever is left (PID 1 after 30 s, stray `run` commands, script and
        # unshare): SIGKILL the whole box cgroup, then remove the cgroup tree.
        [[ $(cat "$CG/cgroup.events") == *"populated 0"* ]] || echo 1 > "$CG/cgroup.kill"
        for ((i = 0; i < 100; i++)); do
            [[ $(cat "$CG/cgroup.events") == *"populated 0"* ]] && break; sleep 0.1
        done
        find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null || true
        [[ -d $CG ]] && die "cannot remove cgroup $CG"
        rmdir "${CG%/*}" 2>/dev/null || true      # the shared subu-e2e parent, once no box uses it
    fi
    # All container mounts lived in its mount namespace, which died with its
    # last process; nothing was mounted on the host side.
    rm -f "$dir/pid"
}

cmd=${1:-}
case $cmd in -h|--help|help|"") usage; exit 0 ;; esac
[[ $# -ge 2 ]] || die "missing DIR (see --help)"
[[ $(id -u) == 0 ]] || die "must run as root"
dir=$(realpath -m "$2"); shift 2
[[ $dir == /tmp || $dir == /tmp/* || $dir == / ]] && die "DIR must not be / or under /tmp"
CG="$(cg_root)/subu-e2e/$(basename "$dir")-$(echo "$dir" | md5sum | cut -c1-8)"

case $cmd in
    boot) mkdir -p "$dir"; boot "$dir" ;;
    run) [[ ${1:-} == -- ]] && shift; [[ $# -gt 0 ]] || die "run: missing CMD"; box_run "$dir" "$@" ;;
    stop) stop "$dir" ;;
    destroy)
        [[ -d $dir ]] || exit 0
        [[ -d $dir/upper || -f $dir/cgroup ]] || die "$dir does not look like a box, not removing it"
        stop "$dir"; rm -rf "$dir" ;;
    status) box_pid "$dir" >/dev/null && echo running || echo stopped ;;
    _pid1) pid1 "$dir" ;;
    *) die "unknown command $cmd (see --help)" ;;
esac
