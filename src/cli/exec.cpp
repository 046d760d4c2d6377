// `subu exec`: hands the caller's stdio (or a pseudo-terminal it made) to the manager's Exec,
// relays the terminal, forwards signals, and exits with the program's status.
#include "cli/exec.h"

#include <sdbus-c++/sdbus-c++.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "cli/cli.h"
#include "core/errors.h"
#include "core/text.h"
#include "subu/config.h"

namespace subu::cli {

const char* const exec_help_text = R"(NAME
    subu exec - run a program as a subu, inside its network namespace, with its DNS

SYNOPSIS
    subu exec SUBU [--] PROGRAM [ARGUMENT...]

DESCRIPTION
    Runs PROGRAM as the Unix user of SUBU (an id such as subu_1 or a name such
    as Thomas_US) inside the subu's network namespace ns-subu_N, so that its
    traffic leaves through the subu's tunnel, and with the subu's resolv.conf
    (/etc/netns/ns-subu_N/resolv.conf, when there is one) as /etc/resolv.conf;
    the host's resolver sockets (systemd-resolved's, nscd's) are out of reach,
    so every name lookup goes through the tunnel too.

    The owner of a subu needs no sudo: subu asks subu-manager over the system
    bus, and systemd starts the program as a transient unit
    subu-exec-subu_N-K.service in the subu's slice. `systemctl status` and
    `journalctl -u` show it while it runs.

    PROGRAM is looked for in /usr/local/bin:/usr/bin:/bin:/usr/local/games:
    /usr/games unless it is an absolute path. The program starts in the subu's
    home directory with the environment a login gives: HOME, USER, LOGNAME,
    SHELL, PATH, and TERM when it has a terminal. Nothing else of the caller's
    environment is passed on.

    Standard input, output and error are the caller's own: pipes and
    redirections work as with any command. When standard input and output
    are both a terminal, subu makes a pseudo-terminal for the program (its
    controlling terminal: job control works, Ctrl-C interrupts the program,
    Ctrl-Z stops it), puts the caller's terminal in raw mode meanwhile and
    passes window size changes on.

    SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to subu are sent on to the
    program (to every process of its unit).

    How isolated the program is follows the subu's option "isolation"
    (`subu option set SUBU isolation LEVEL`):
      none      nothing beyond the namespace and the DNS above
      standard  a mount namespace of its own: private /tmp, /usr /boot /etc
                read-only (the default)
      strict    standard, and the whole file system read-only except the
                home directory, kernel tunables, modules and cgroups
                protected, private IPC, other users' processes invisible in
                /proc, no new privileges, kernel logs and clock protected
      quantum   strict, and a user namespace and hostname of its own: the
                program runs as uid 0 inside (the subu's uid outside)

NOTES
    The program gets no login session (no PAM, no logind session). A
    closed descriptor 0, 1 or 2 becomes /dev/null for the program. If subu
    itself is killed with SIGKILL, a program without a terminal runs on
    until it ends (one with a terminal gets SIGHUP): `systemctl stop` its unit.

EXIT STATUS
    The program's exit status; 128+N when signal N ended it (as shells do).
    When subu itself fails: 1 failure (the program could not start), 2 bad
    usage or argument, 3 no such subu or program, 5 access denied, 7 the
    manager cannot be reached.

EXAMPLES
    subu exec Thomas_US -- curl https://example.org/
    subu exec subu_1 -- id -un                 # prints Thomas_US
    echo hi | subu exec Thomas_US -- cat
    subu exec Thomas_US -- bash                # an interactive shell
    subu exec Thomas_US -- sh -c 'exit 42'; echo $?     # 42

AUTHORIZATION
    Root and the subu's owner may; anyone else only if polkit grants
    org.subu.Manager1.exec-any.
)";

int shell_status(int code, int status) {
    switch (code) {
        case 1: return status;        // CLD_EXITED
        case 2:                       // CLD_KILLED
        case 3: return 128 + status;  // CLD_DUMPED
        default: return -1;
    }
}

namespace {

// The caller's terminal in raw mode for as long as this lives.
class RawTerminal {
public:
    explicit RawTerminal(int fd) : fd_(fd) {
        if (tcgetattr(fd_, &saved_) < 0) return;
        termios raw = saved_;
        cfmakeraw(&raw);
        active_ = tcsetattr(fd_, TCSANOW, &raw) == 0;
    }
    ~RawTerminal() {
        if (active_) tcsetattr(fd_, TCSADRAIN, &saved_);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

struct Fd {
    int fd = -1;
    explicit Fd(int f = -1) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

// A pseudo-terminal like the caller's: same modes and window size.
struct Pty {
    Fd master, slave;
};

Pty open_pty_like(int tty) {
    Pty p;
    p.master.fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p.master.fd < 0) throw_errno("open a pseudo-terminal");
    char name[128];
    if (grantpt(p.master.fd) < 0 || unlockpt(p.master.fd) < 0 || ptsname_r(p.master.fd, name, sizeof name) != 0)
        throw_errno("set up a pseudo-terminal");
    p.slave.fd = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p.slave.fd < 0) throw_errno(std::string("open ") + name);
    termios t{};
    if (tcgetattr(tty, &t) == 0) tcsetattr(p.slave.fd, TCSANOW, &t);
    winsize ws{};
    if (ioctl(tty, TIOCGWINSZ, &ws) == 0) ioctl(p.master.fd, TIOCSWINSZ, &ws);
    int flags = fcntl(p.master.fd, F_GETFL);
    fcntl(p.master.fd, F_SETFL, flags | O_NONBLOCK);
    return p;
}

bool write_all(int fd, const char* data, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, data, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            pollfd p{fd, POLLOUT, 0};
            poll(&p, 1, -1);
            continue;
        }
        if (w <= 0) return false;
        data += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// Copies what `from` has now to `to`; false at its end (EOF, or EIO once the terminal is gone).
bool relay(int from, int to) {
    char buf[16384];
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) return false;
    write_all(to, buf, static_cast<std::size_t>(n));
    return true;
}

int exec_usage(const std::string& what) {
    std::fprintf(stderr, "subu: %s\nUsage: subu exec SUBU [--] PROGRAM [ARGUMENT...]   (subu exec --help)\n",
                 what.c_str());
    return Exit::usage;
}

}  // namespace

int exec_verb(const std::vector<std::string>& args) {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
        std::fputs(exec_help_text, stdout);
        return Exit::ok;
    }
    if (args.empty()) return exec_usage("'exec' needs a subu and a program");
    const std::string& subu = args[0];
    if (subu.size() > 1 && subu[0] == '-') return exec_usage("unknown option " + shown(subu));
    std::size_t first = 1;
    if (first < args.size() && args[first] == "--") ++first;
    if (first >= args.size()) return exec_usage("nothing to run: give a program after the subu");
    const std::vector<std::string> argv(args.begin() + static_cast<std::ptrdiff_t>(first), args.end());

    // A closed 0, 1 or 2 cannot be passed on: the program gets /dev/null there.
    // First of all, before the bus connection could take one of these numbers.
    for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
        if (fcntl(fd, F_GETFD) >= 0) continue;
        Fd null(::open("/dev/null", O_RDWR | O_NOCTTY));
        if (null.fd < 0 || (null.fd != fd && dup2(null.fd, fd) < 0)) throw_errno("open /dev/null");
        if (null.fd == fd) null.fd = -1;  // it is the descriptor now: keep it open
    }
    auto connection = system_bus();
    if (!connection) return Exit::unreachable;
    auto manager = sdbus::createProxy(*connection, config::bus_name, config::manager_path);

    // Signals arrive as data in the loop below, to be forwarded.
    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH}) sigaddset(&mask, s);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    signal(SIGPIPE, SIG_IGN);
    Fd signals(signalfd(-1, &mask, SFD_CLOEXEC));

    const bool terminal = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    std::optional<Pty> pty;
    std::map<std::string, sdbus::Variant> options;
    if (terminal) {
        pty.emplace(open_pty_like(STDIN_FILENO));
        const char* term = std::getenv("TERM");
        if (term && *term) options["term"] = sdbus::Variant(std::string(term));
    }
    const int in = pty ? pty->slave.fd : STDIN_FILENO;
    const int out = pty ? pty->slave.fd : STDOUT_FILENO;
    const int err = pty ? pty->slave.fd : STDERR_FILENO;

    bool done = false;
    std::optional<sdbus::Error> failure;
    int code = 0, status = 0;
    std::string unit, result;
    manager->callMethodAsync("Exec")
        .onInterface(config::bus_name)
        .withTimeout(std::chrono::hours(24 * 365 * 10))  // as long as the program runs
        .withArguments(subu, argv, sdbus::UnixFd(in), sdbus::UnixFd(out), sdbus::UnixFd(err), options)
        .uponReplyInvoke([&](const sdbus::Error* e, std::string u, std::string r, int32_t c, int32_t s) {
            done = true;
            if (e) failure = *e;
            unit = std::move(u);
            result = std::move(r);
            code = c;
            status = s;
        });
    if (pty) {
        // The program's end must not wait for this copy of the terminal.
        ::close(pty->slave.fd);
        pty->slave.fd = -1;
    }
    std::optional<RawTerminal> raw;
    if (pty) raw.emplace(STDIN_FILENO);

    bool stdin_open = pty.has_value(), master_open = pty.has_value();
    while (!done) {
        while (!done && connection->processPendingRequest()) {
        }
        if (done) break;
        auto pd = connection->getEventLoopPollData();
        pollfd fds[4] = {{pd.fd, pd.events, 0}, {signals.fd, POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}};
        if (stdin_open) fds[2].fd = STDIN_FILENO;
        if (master_open) fds[3].fd = pty->master.fd;
        if (poll(fds, 4, -1) < 0 && errno != EINTR) throw_errno("wait for the program");
        if (fds[1].revents & POLLIN) {
            signalfd_siginfo si{};
            if (::read(signals.fd, &si, sizeof si) == sizeof si) {
                const int sig = static_cast<int>(si.ssi_signo);
                if (sig == SIGWINCH && pty) {
                    winsize ws{};
                    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ioctl(pty->master.fd, TIOCSWINSZ, &ws);
                } else if (sig != SIGWINCH) {
                    uint32_t n = 0;
                    manager->callMethod("KillExec").onInterface(config::bus_name).withArguments(int32_t{sig}).storeResultsTo(n);
                }
            }
        }
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) stdin_open = relay(STDIN_FILENO, pty->master.fd);
        if (fds[3].revents & (POLLIN | POLLHUP | POLLERR)) master_open = relay(pty->master.fd, STDOUT_FILENO);
    }
    if (master_open)
        while (relay(pty->master.fd, STDOUT_FILENO)) {
            pollfd p{pty->master.fd, POLLIN, 0};
            if (poll(&p, 1, 0) <= 0) break;
        }
    raw.reset();
    if (failure) throw *failure;
    const int exit_status = shell_status(code, status);
    if (exit_status < 0) {
        std::fprintf(stderr, "subu: the program did not run (%s); see `journalctl -u %s`.\n", result.c_str(),
                     unit.c_str());
        return Exit::failed;
    }
    return exit_status;
}

}  // namespace subu::cli
