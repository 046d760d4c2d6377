// pam_subu.so: a session of a subu's user opens inside the subu (its network namespace, its DNS, no host resolver).
// Everything is checked before the first change; a change that fails is undone and the session refused.
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#define PAM_SM_SESSION
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "pam/placement.h"
#include "names/names.h"
#include "system/inside.h"

namespace {

using subu::system::Fd;
using namespace subu::pam;

// Far more than an export of every uid a host can have.
constexpr std::size_t max_export_bytes = 1 << 20;
constexpr const char* etc_resolv_conf = "/etc/resolv.conf";
// What a refused session returns. Not PAM_SESSION_ERR, the obvious code:
// sudo takes that one as "no session" and runs the command anyway, outside
// the subu. Every caller (su, sudo, sshd, cron, login, systemd) stops at this.
constexpr int refused = PAM_SYSTEM_ERR;

std::string error_text(int err) { return std::strerror(err); }
std::string fd_path(const Fd& fd) { return "/proc/self/fd/" + std::to_string(fd.get()); }

ExportFile read_export(const std::string& path) {
    ExportFile f;
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) {
        f.state = errno == ENOENT ? ExportFile::State::Missing : ExportFile::State::Unreadable;
        f.error = error_text(errno);
        return f;
    }
    f.state = ExportFile::State::Unreadable;
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0) {
        f.error = error_text(errno);
        return f;
    }
    if (!S_ISREG(st.st_mode)) {
        f.error = "not a regular file";
        return f;
    }
    std::string text;
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            f.error = error_text(errno);
            return f;
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > max_export_bytes) {
            f.error = "larger than " + std::to_string(max_export_bytes) + " bytes";
            return f;
        }
    }
    f.state = ExportFile::State::Read;
    f.text = std::move(text);
    return f;
}

// What the checks found; the namespace is held open, so the one checked is the one entered.
struct Prepared {
    Fd netns;
    bool inside = false;           // already in the subu's namespace (user@UID.service, subu exec)
    bool dns = false;              // the subu has a resolv.conf, and /etc/resolv.conf is there to go over
    std::vector<std::string> hide;  // host resolver directories present here
    // To go back where the process was if a change fails.
    Fd own_net, own_mnt, own_root, own_cwd;
};

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// The checks: returns the refusal's reason, or "" with `p` filled in. Changes nothing.
std::string prepare(const Placement& where, Prepared& p) {
    p.netns.reset(::open(where.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!p.netns) {
        if (errno == ENOENT)
            return "its network namespace " + where.netns_path + " is not there: " + where.netns_unit +
                   " is not running. Start it (`systemctl start " + where.netns_unit + "`) and log in again.";
        return "its network namespace " + where.netns_path + " cannot be opened (" + error_text(errno) + ").";
    }
    // A file left where a namespace was bound is not a namespace.
    if (::ioctl(p.netns.get(), NS_GET_NSTYPE) != CLONE_NEWNET)
        return where.netns_path + " is not a network namespace: " + where.netns_unit +
               " is not running. Start it (`systemctl start " + where.netns_unit + "`) and log in again.";
    struct stat ns {}, own {};
    if (::fstat(p.netns.get(), &ns) < 0 || ::stat("/proc/self/ns/net", &own) < 0)
        return "its network namespace cannot be compared with this process's (" + error_text(errno) + ").";
    p.inside = same_file(ns, own);

    struct stat conf {};
    if (::stat(where.resolv_conf.c_str(), &conf) == 0)
        p.dns = true;
    else if (errno != ENOENT)
        return "its DNS settings " + where.resolv_conf + " cannot be examined (" + error_text(errno) + ").";
    if (p.dns && ::lstat(etc_resolv_conf, &conf) < 0)
        return "its DNS settings " + where.resolv_conf + " have nothing to go over: " + etc_resolv_conf +
               " cannot be examined (" + error_text(errno) + "). Create it (it may be empty).";

    for (const auto dir : subu::names::host_resolver_dirs) {
        const std::string d(dir);
        struct stat st {};
        if (::lstat(d.c_str(), &st) < 0) {
            if (errno == ENOENT) continue;
            return "the host resolver's " + d + " cannot be examined (" + error_text(errno) + ").";
        }
        if (!S_ISDIR(st.st_mode)) return "the host resolver's " + d + " is not a directory, so it cannot be hidden.";
        p.hide.push_back(d);
    }

    p.own_net.reset(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    p.own_mnt.reset(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
    p.own_root.reset(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    p.own_cwd.reset(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!p.own_net || !p.own_mnt || !p.own_root || !p.own_cwd)
        return "this process's own namespaces cannot be opened (" + error_text(errno) + ").";
    return {};
}

// Back to the namespaces, root and working directory the process had; "" or why not.
std::string undo(Prepared& p, bool left_mounts) {
    std::string failed;
    if (left_mounts) {
        if (::setns(p.own_mnt.get(), CLONE_NEWNS) < 0)
            failed = "leaving its mount namespace: " + error_text(errno);
        else if (::fchdir(p.own_root.get()) < 0 || ::chroot(".") < 0 || ::fchdir(p.own_cwd.get()) < 0)
            failed = "restoring the root and working directory: " + error_text(errno);
    }
    if (!p.inside && ::setns(p.own_net.get(), CLONE_NEWNET) < 0 && failed.empty())
        failed = "leaving its network namespace: " + error_text(errno);
    return failed;
}

// The changes, in the order `ip netns exec` makes them; returns "" or why they failed (after undoing them).
std::string place(const Placement& where, Prepared& p) {
    if (!p.inside && ::setns(p.netns.get(), CLONE_NEWNET) < 0)
        return "entering its network namespace " + where.netns_path + " failed (" + error_text(errno) +
               "); pam_subu needs a service that opens sessions as root.";
    std::string failed;
    bool unshared = false;
    auto step = [&](bool ok, const std::string& what) {
        if (!ok && failed.empty()) failed = what + " failed (" + error_text(errno) + ")";
        return ok;
    };
    // A mount namespace of its own, which sees the host's later mounts but shows the host none of its own.
    if (step(::unshare(CLONE_NEWNS) == 0, "making a mount namespace")) {
        unshared = true;
        step(::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) == 0, "making / a slave mount");
    }
    for (const auto& d : p.hide) {
        if (!failed.empty()) break;
        // An empty, read-only directory nobody may enter, as systemd's InaccessiblePaths= leaves.
        step(::mount("tmpfs", d.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=000,size=4k") == 0,
             "hiding " + d);
    }
    if (failed.empty() && p.dns) {
        // Opened in the new mount namespace: the kernel binds only between mounts of the caller's own.
        // Over /etc/resolv.conf itself: were it a symlink into a hidden directory, following it would fail.
        Fd source(::open(where.resolv_conf.c_str(), O_PATH | O_CLOEXEC));
        Fd target(::open(etc_resolv_conf, O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (step(source && target, "opening " + where.resolv_conf + " and " + etc_resolv_conf) &&
            step(::mount(fd_path(source).c_str(), fd_path(target).c_str(), nullptr, MS_BIND, nullptr) == 0,
                 "binding " + where.resolv_conf + " over " + etc_resolv_conf))
            step(::mount(nullptr, etc_resolv_conf, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
                         nullptr) == 0,
                 "making " + std::string(etc_resolv_conf) + " read-only");
    }
    if (failed.empty()) return {};
    const auto undo_failed = undo(p, unshared);
    return failed + (undo_failed.empty() ? "; the process was taken back out of the subu."
                                         : "; undoing it failed too (" + undo_failed +
                                               "): the process must end with its session refused.");
}

void say(pam_handle_t* pamh, int flags, int priority, const std::string& message) {
    pam_syslog(pamh, priority, "%s", message.c_str());
    if (priority <= LOG_ERR && !(flags & PAM_SILENT)) pam_error(pamh, "pam_subu: %s", message.c_str());
}

int open_session(pam_handle_t* pamh, int flags, int argc, const char** argv) {
    std::vector<std::string_view> args(argv, argv + argc);
    const auto parsed = parse_options(args);
    for (const auto& problem : parsed.problems) pam_syslog(pamh, LOG_ERR, "%s", problem.c_str());
    const auto& options = parsed.options;

    const void* item = nullptr;
    if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS || !item) {
        say(pamh, flags, LOG_ERR, "Refusing a session without a user name: whether it is a subu's cannot be told.");
        return refused;
    }
    const std::string user = static_cast<const char*>(item);
    // Most sessions end here, having read nothing.
    if (!could_be_subu(user)) {
        if (options.debug) pam_syslog(pamh, LOG_DEBUG, "%s cannot be a subu's name: left alone", user.c_str());
        return PAM_IGNORE;
    }

    std::optional<Account> account;
    if (const auto* pw = pam_modutil_getpwnam(pamh, user.c_str())) account = Account{pw->pw_name, pw->pw_uid};
    const auto decision = decide(user, account, read_export(options.export_path), options.export_path);
    switch (decision.kind) {
        case Decision::Kind::Ignore:
            if (options.debug) pam_syslog(pamh, LOG_DEBUG, "%s: left alone", decision.message.c_str());
            return PAM_IGNORE;
        case Decision::Kind::Refuse:
            say(pamh, flags, LOG_ERR, decision.message);
            return refused;
        case Decision::Kind::Place:
            break;
    }

    const auto& where = decision.placement;
    const std::string refusing = "Refusing the session of " + where.subu + ": ";
    Prepared p;
    if (auto why = prepare(where, p); !why.empty()) {
        say(pamh, flags, LOG_ERR, refusing + why);
        return refused;
    }
    if (auto why = place(where, p); !why.empty()) {
        say(pamh, flags, LOG_ERR, refusing + why);
        return refused;
    }
    if (options.debug)
        pam_syslog(pamh, LOG_DEBUG, "session of %s placed in %s%s, DNS %s, %zu host resolver director%s hidden",
                   where.subu.c_str(), where.netns_path.c_str(), p.inside ? " (already there)" : "",
                   p.dns ? where.resolv_conf.c_str() : "left as it is", p.hide.size(),
                   p.hide.size() == 1 ? "y" : "ies");
    return PAM_SUCCESS;
}

}  // namespace

// Built with hidden visibility: these two, and only these, are what libpam looks up.
#define SUBU_PAM_ENTRY extern "C" __attribute__((visibility("default"))) int

SUBU_PAM_ENTRY pam_sm_open_session(pam_handle_t* pamh, int flags, int argc, const char** argv) {
    // No exception may cross into the C caller; what cannot be decided is refused.
    try {
        return open_session(pamh, flags, argc, argv);
    } catch (const std::exception& e) {
        pam_syslog(pamh, LOG_ERR, "Refusing the session: %s", e.what());
    } catch (...) {
        pam_syslog(pamh, LOG_ERR, "Refusing the session: an unexpected error");
    }
    return refused;
}

SUBU_PAM_ENTRY pam_sm_close_session(pam_handle_t*, int, int, const char**) { return PAM_SUCCESS; }
