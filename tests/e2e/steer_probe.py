#!/usr/bin/python3
"""What the socket steering does to a process, seen from inside it (run by tests/e2e/steer.sh)."""
import errno
import socket
import sys

SO_BINDTODEVICE = 25
SO_NETNS_COOKIE = 71


def code(e):
    return errno.errorcode.get(e.errno, str(e))


def bound(family, kind):
    try:
        s = socket.socket(family, kind)
    except OSError as e:
        return "refused(%s)" % code(e)
    try:
        name = s.getsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, 16).rstrip(b"\0").decode()
        return name or "-"
    except OSError as e:
        return "nowhere(%s)" % errno.errorcode.get(e.errno, e.errno)
    finally:
        s.close()


def cmd_bound():
    print(" ".join("%s=%s" % (n, bound(f, k)) for n, f, k in (
        ("tcp4", socket.AF_INET, socket.SOCK_STREAM), ("udp4", socket.AF_INET, socket.SOCK_DGRAM),
        ("tcp6", socket.AF_INET6, socket.SOCK_STREAM), ("udp6", socket.AF_INET6, socket.SOCK_DGRAM))))


def talk(family, addr):
    try:
        srv = socket.socket(family, socket.SOCK_STREAM)
    except OSError as e:
        return code(e)
    srv.bind((addr, 0))
    srv.listen(1)
    cli = socket.socket(family, socket.SOCK_STREAM)
    cli.settimeout(3)
    try:
        cli.connect(srv.getsockname()[:2])
        conn, _ = srv.accept()
        cli.sendall(b"x")
        return "ok" if conn.recv(1) == b"x" else "lost"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e))
    finally:
        cli.close()
        srv.close()


def cmd_loopback():
    print("127.0.0.1=%s ::1=%s" % (talk(socket.AF_INET, "127.0.0.1"), talk(socket.AF_INET6, "::1")))


def cmd_get(host, port):
    """An HTTP GET over TCP; prints the status line or the error."""
    try:
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    except OSError as e:
        print("error %s" % code(e))
        sys.exit(1)
    s.settimeout(3)
    try:
        s.connect((host, int(port)))
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        print(s.recv(200).split(b"\r\n")[0].decode())
    except OSError as e:
        print("error %s" % errno.errorcode.get(e.errno, str(e)))
        sys.exit(1)


def cmd_send(host, port):
    """UDP datagrams, unconnected and connected; prints what each did."""
    out = []
    for how in ("sendto", "connect"):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if how == "sendto":
                s.sendto(b"x", (host, int(port)))
            else:
                s.connect((host, int(port)))
                s.send(b"x")
            out.append("%s=sent" % how)
        except OSError as e:
            out.append("%s=%s" % (how, errno.errorcode.get(e.errno, str(e))))
        finally:
            s.close()
    print(" ".join(out))


def cmd_cookie():
    """The network namespace cookie of the namespace it runs in."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    print(int.from_bytes(s.getsockopt(socket.SOL_SOCKET, SO_NETNS_COOKIE, 8), "little"))


def cmd_rebind(dev):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, dev.encode())
        print("rebound to %s" % dev)
    except OSError as e:
        print("refused %s" % errno.errorcode.get(e.errno, str(e)))



COMMANDS = {"bound": cmd_bound, "loopback": cmd_loopback, "get": cmd_get, "send": cmd_send,
            "rebind": cmd_rebind, "cookie": cmd_cookie}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: steer_probe.py %s [ARGS]" % "|".join(COMMANDS))
    COMMANDS[sys.argv[1]](*sys.argv[2:])
