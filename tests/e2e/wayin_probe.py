#!/usr/bin/python3
"""Where a process entered as a subu's user landed, and what it can reach (run by tests/e2e/confine.sh).

Usage: wayin_probe.py SUBU_NETNS HOST_NETNS TUNNEL_HOST:PORT NAME [DECOY_HOST:PORT ...]

Prints one line:
  where=inside|host|other inet=ok|EPERM tunnel=ok|ERR dns=ok|ERR NAME=... decoy@HOST=blocked|REACHED ...
"where" compares this process's network namespace with the subu's and the
host's, each given as its inode (`stat -Lc %i`: an unprivileged process may
not look at another's namespace) or as a path read when the probe runs (for
a unit file that outlives a reboot); "inet" is whether an AF_INET
socket can be made at all; "tunnel" is an HTTP GET to TUNNEL_HOST:PORT (the
server behind the subu's tunnel); "dns" resolves NAME through whatever
resolver this process has; each decoy is an HTTP GET that must never reach.
"""
import errno
import os
import socket
import sys


def netns_ino(path):
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def err(e):
    return errno.errorcode.get(e.errno, "ERR") if isinstance(e, OSError) and e.errno else type(e).__name__


def get(hostport):
    host, port = hostport.rsplit(":", 1)
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
    except OSError as e:
        return err(e)
    s.settimeout(3)
    try:
        s.connect((host, int(port)))
        s.sendall(b"GET /probe HTTP/1.0\r\nHost: x\r\n\r\n")
        line = s.recv(200).split(b"\r\n")[0]
        return "ok" if line.startswith(b"HTTP/") else "garbled"
    except (OSError, socket.timeout) as e:
        return err(e)
    finally:
        s.close()


def resolve(name):
    try:
        socket.getaddrinfo(name, 80, socket.AF_INET, socket.SOCK_STREAM)
        return "ok"
    except (OSError, socket.gaierror) as e:
        return "ERR" if not getattr(e, "errno", None) else "ERR%d" % e.errno


def main(argv):
    if len(argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    subu_ns, host_ns = (int(a) if a.isdigit() else netns_ino(a) for a in argv[1:3])
    tunnel, name, decoys = argv[3], argv[4], argv[5:]
    mine = netns_ino("/proc/self/ns/net")
    if mine is not None and mine == subu_ns:
        where = "inside"
    elif mine is not None and mine == host_ns:
        where = "host"
    else:
        where = "other"
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
        inet = "ok"
    except OSError as e:
        inet = err(e)
    out = ["where=" + where, "inet=" + inet, "tunnel=" + get(tunnel), "dns=" + resolve(name)]
    for d in decoys:
        r = get(d)
        out.append("decoy@%s=%s" % (d, "REACHED" if r == "ok" else "blocked"))
    print(" ".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
