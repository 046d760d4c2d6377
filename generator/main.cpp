// subu-generator (systemd.generator(7)): the boot export /etc/subu/subus made into slices, drop-ins and wants/ links.
#include <fcntl.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "export/export.h"
#include "export/parse.h"
#include "subu/config.h"
#include "units/render.h"

namespace {

constexpr const char* help_text = R"(Usage: subu-generator NORMAL_DIR [EARLY_DIR LATE_DIR]
       subu-generator --help | --version

A systemd generator (systemd.generator(7)). systemd runs it early at boot and
on every `systemctl daemon-reload`, before /var is mounted; it turns the boot
export into units, so each subu has its slice and namespace from boot on.

It reads one file, the boot export /etc/subu/subus, which subu-manager
rewrites atomically on every change. It opens no database, uses no D-Bus and
no network, and writes only into NORMAL_DIR (EARLY_DIR and LATE_DIR are
unused). For each subu NAME, with INST its name escaped as systemd-escape
does (Thomas_new-subu is Thomas_new\x2dsubu), it writes:

  subu-T1-T2[-T3...].slice                 the subu's slice, nested as its name
                                           is (subu-Thomas-US-Rabbit.slice is in
                                           subu-Thomas-US.slice)
  multi-user.target.wants/subu-T1-T2[-T3...].slice
                                           its slice, up from boot
  multi-user.target.wants/subu-netns@INST.service
                                           for every subu
  multi-user.target.wants/subu@INST.service
                                           for a subu whose network is up
  user@UID.service.d/50-subu.conf          for a subu whose uid is known: its
                                           user manager, and so every user
                                           service (lingering ones at boot
                                           too), runs in the subu's network
                                           namespace /run/netns/ns-subu_N, with
                                           /etc/netns/ns-subu_N/resolv.conf as
                                           /etc/resolv.conf, without the host's
                                           resolvers (/run/systemd/resolve,
                                           /run/nscd), bound to (BindsTo=,
                                           After=) subu-netns@INST.service
  UNIT.d/50-subu.conf                      for each service attached to a subu
                                           (`subu service attach`): the same
                                           namespace and DNS, User= as the
                                           export says, Slice= the subu's
                                           slice, bound to (BindsTo=, After=)
                                           subu@INST.service

A missing export means no subus: no units, and a notice. A line of the export
that breaks its format gives no units for that subu nor for the subus under
it or its services, and a warning; the other subus get their units. A service
line whose subu is not in the export gives nothing, and a warning. Messages go to the kernel
log (/dev/kmsg); where there is none (a container) to the journal if it is
listening (on daemon-reload), else to standard error.

The exit status is 0 whatever the export holds, as a generator must never fail
the boot; 2 for wrong usage.

To see what it makes of the export, give it an empty directory:
  mkdir /tmp/gen && subu-generator /tmp/gen && find /tmp/gen

Environment:
  SUBU_EXPORT          read this file instead of /etc/subu/subus
  SYSTEMD_LOG_TARGET   "console" sends the messages to standard error

Files:
  /etc/subu/subus      a header line "# subu export 2: ...", comment lines
                       starting with '#', then per subu one line of six
                       tab-separated fields: id (subu_N), name, parent id or
                       "-", network (up|down), loopback (up|down), uid (or
                       "-" when unknown); and per attached service one line
                       of four: "service", the subu's id, the unit
                       (NAME.service), the user it runs as (the subu's or a
                       subu's under it). An export of format 1 (subu lines of
                       five fields, no uid, no services), from before an
                       upgrade, is still read until subu-manager rewrites it
                       at its start; its subus get no user@ drop-in.

See also: systemd.generator(7), systemd.slice(5), systemd-escape(1), subu(1).
)";

// Enough to show what is wrong with a damaged export without flooding the log.
// The kernel drops what one opener writes to /dev/kmsg past 10 records in 5 s
// (printk.devkmsg=ratelimit, the default): there the budget is 9 and a count.
constexpr std::size_t max_problems_console = 20;
constexpr std::size_t max_problems_kmsg = 9;
// Far beyond any real export (10000 subus are about 500 kB); a bigger file is damage.
constexpr off_t max_export_size = 16 << 20;

class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.release()) {}
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) reset(o.release());
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_;
};

// Messages for the person reading the boot log: kmsg records "<P>subu-generator: ...".
class Log {
public:
    Log() {
        const char* target = std::getenv("SYSTEMD_LOG_TARGET");
        console_ = target && std::string_view(target) == "console";
        if (!console_) kmsg_.reset(::open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC));
        max_problems_ = kmsg_.get() >= 0 ? max_problems_kmsg : max_problems_console;
    }
    ~Log() {
        if (problems_ > max_problems_)
            emit(4, "... and " + std::to_string(problems_ - max_problems_) + " more problems");
    }
    void notice(const std::string& m) { emit(5, m); }
    void problem(const std::string& m) {
        if (++problems_ <= max_problems_) emit(4, m);
    }

private:
    void emit(int priority, const std::string& m) {
        // One write per record: kmsg takes each write as one message.
        std::string line = "<" + std::to_string(priority) + ">subu-generator: " + m.substr(0, 900) + "\n";
        if (kmsg_.get() >= 0 && ::write(kmsg_.get(), line.data(), line.size()) == static_cast<ssize_t>(line.size()))
            return;
        // A container has no /dev/kmsg of its own; on a daemon-reload there
        // journald is listening (a datagram to its socket, nothing more).
        if (!console_ && sd_journal_send("MESSAGE=subu-generator: %s", m.substr(0, 900).c_str(), "PRIORITY=%i", priority,
                                         "SYSLOG_IDENTIFIER=subu-generator", nullptr) >= 0)
            return;
        (void)!::write(STDERR_FILENO, line.data() + 3, line.size() - 3);
    }

    Fd kmsg_;
    bool console_ = false;
    std::size_t problems_ = 0, max_problems_ = 0;
};

std::string error_text(int err) { return std::strerror(err); }

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

enum class Input { Read, Missing, Failed };

// Reads the export whole; it is small, and a FIFO or device in its place must not hang the boot.
Input read_export(const std::string& path, std::string& text, Log& log) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        if (errno == ENOENT) return Input::Missing;
        log.problem("cannot open " + path + ": " + error_text(errno) + "; no subu units");
        return Input::Failed;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode)) {
        log.problem(path + " is not a regular file; no subu units");
        return Input::Failed;
    }
    if (st.st_size > max_export_size) {
        log.problem(path + " has " + std::to_string(st.st_size) + " bytes, far more than an export can; no subu units");
        return Input::Failed;
    }
    text.resize(static_cast<std::size_t>(st.st_size) + 1);
    std::size_t got = 0;
    for (;;) {
        if (got == text.size()) {
            if (text.size() > static_cast<std::size_t>(max_export_size)) {
                log.problem(path + " grows while it is read; no subu units");
                return Input::Failed;
            }
            text.resize(text.size() * 2);
        }
        const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            log.problem("cannot read " + path + ": " + error_text(errno) + "; no subu units");
            return Input::Failed;
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    text.resize(got);
    return Input::Read;
}

std::string_view parent_of(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

// Makes `dir` below `root` with each of its parents; existing ones are fine.
bool make_dirs(int root, std::string_view dir, const std::string& root_name, Log& log) {
    for (auto at = dir.find('/');; at = dir.find('/', at + 1)) {
        const std::string part(dir.substr(0, at));
        if (::mkdirat(root, part.c_str(), 0755) < 0 && errno != EEXIST) {
            log.problem("cannot make " + root_name + "/" + part + ": " + error_text(errno));
            return false;
        }
        if (at == std::string_view::npos) return true;
    }
}

// Returns 0, or the errno of the step that failed. O_EXCL: the output
// directory is fresh, so anything already there is not ours to overwrite.
int write_file(int at, const char* name, std::string_view data) {
    Fd f(::openat(at, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (f.get() < 0) return errno;
    if (!write_all(f.get(), data) || ::close(f.release()) < 0) {
        const int err = errno;
        ::unlinkat(at, name, 0);  // half a unit is worse than none
        return err;
    }
    return 0;
}

// Writes the tree below `root`, entry by entry, going on after a failure.
// Returns false when anything failed.
bool write_tree(int root, const subu::units::GeneratedTree& tree, const std::string& root_name, Log& log) {
    using subu::units::Entry;
    std::string_view current_dir;
    Fd dir_fd;
    bool all_files = true, dir_ok = true;
    for (std::size_t i = 0; i < tree.size(); ++i) {
        const auto& e = tree[i];
        // A subu enabled from a partial tree could run outside its slice.
        if (e.kind == Entry::Kind::Symlink && !all_files) continue;
        const auto dir = parent_of(e.path);
        if (i == 0 || dir != current_dir) {
            current_dir = dir;
            dir_fd.reset();
            dir_ok = dir.empty() || make_dirs(root, dir, root_name, log);
            // A directory fd pays for itself only when more entries follow in
            // it (the wants/ links); a lone file is reached by its path from root.
            if (dir_ok && !dir.empty() && i + 1 < tree.size() && parent_of(tree[i + 1].path) == dir)
                dir_fd.reset(::openat(root, std::string(dir).c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        }
        if (!dir_ok) {
            if (e.kind == Entry::Kind::File) all_files = false;
            continue;
        }
        const bool in_dir = dir_fd.get() >= 0;
        const int at = in_dir ? dir_fd.get() : root;
        const char* name = e.path.c_str() + (in_dir ? dir.size() + 1 : 0);
        if (e.kind == Entry::Kind::Symlink) {
            if (::symlinkat(e.data.c_str(), at, name) < 0)
                log.problem("cannot link " + root_name + "/" + e.path + ": " + error_text(errno));
        } else if (const int err = write_file(at, name, e.data)) {
            log.problem("cannot write " + root_name + "/" + e.path + ": " + error_text(err));
            all_files = false;
        }
    }
    if (!all_files) log.problem("no subu is enabled, since not every unit file could be written");
    return all_files;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
        std::fputs(help_text, stdout);
        return 0;
    }
    if (argc == 2 && std::string_view(argv[1]) == "--version") {
        std::printf("subu-generator %s\n", subu::config::version);
        return 0;
    }
    if ((argc != 2 && argc != 4) || argv[1][0] == '-' || argv[1][0] == '\0') {
        std::fputs("Usage: subu-generator NORMAL_DIR [EARLY_DIR LATE_DIR]  (see --help)\n", stderr);
        return 2;
    }
    ::umask(022);
    Log log;

    const std::string out_dir = argv[1];
    std::string source = subu::exporting::default_path;
    if (const char* env = std::getenv("SUBU_EXPORT"); env && *env) source = env;
    // The path goes into SourcePath=, which must be absolute and one line.
    if (source.front() != '/' ||
        std::any_of(source.begin(), source.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
        log.problem("SUBU_EXPORT must be an absolute path on one line; no subu units");
        return 0;
    }

    std::string text;
    switch (read_export(source, text, log)) {
        case Input::Missing:
            log.notice(source + " does not exist, so there are no subu units (subu-manager writes it when it starts)");
            return 0;
        case Input::Failed:
            return 0;
        case Input::Read:
            break;
    }
    auto parsed = subu::exporting::parse_export(text);
    for (const auto& p : parsed.problems) log.problem(source + ": " + p);
    if (parsed.rows.empty()) return 0;

    Fd root(::open(out_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (root.get() < 0) {
        log.problem("cannot open the output directory " + out_dir + ": " + error_text(errno) + "; no subu units");
        return 0;
    }
    write_tree(root.get(), subu::units::render_tree(parsed.rows, SUBU_UNIT_DIR, source, parsed.services), out_dir,
               log);
    return 0;
}
