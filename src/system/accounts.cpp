// The shadow tools, run with argument vectors; their exit codes mapped to subu's errors.
#include "system/accounts.h"

#include <grp.h>
#include <pwd.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "core/errors.h"
#include "core/log.h"
#include "system/process.h"

namespace subu::system {
namespace {

// Exit codes shared by useradd(8), userdel(8), groupadd(8), groupdel(8).
constexpr int exit_uid_in_use = 4;    // useradd: the uid given is taken
constexpr int exit_name_in_use = 9;   // useradd/groupadd: the name is taken
constexpr int exit_no_such = 6;       // userdel/groupdel: it does not exist
constexpr int exit_user_busy = 8;     // userdel: the user has running processes

UnixUser from_passwd(const passwd& pw) {
    return UnixUser{pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir ? pw.pw_dir : "",
                    pw.pw_shell ? pw.pw_shell : ""};
}

std::string tool_said(const ProcessResult& r) {
    if (r.signal) return "it was killed by signal " + std::to_string(r.signal);
    std::string s = "it exited with status " + std::to_string(r.exit_code);
    if (!r.stderr_text.empty()) s += ": " + r.stderr_text;
    return s;
}

ProcessResult run_logged(const std::vector<std::string>& argv) {
    auto r = run(argv);
    log::debug("Ran " + describe(argv),
               {{"SUBU_TOOL", argv[0]}, {"SUBU_TOOL_STATUS", std::to_string(r.exit_code)}});
    return r;
}

}  // namespace

UidRange uid_range_from_login_defs(std::string_view text) {
    UidRange r;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string key, value;
        if (!(words >> key >> value) || key.front() == '#') continue;
        std::uint32_t n = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc() || end != value.data() + value.size()) continue;
        if (key == "UID_MIN") r.min = n;
        if (key == "UID_MAX") r.max = n;
    }
    return r;
}

std::optional<UnixUser> ShadowAccounts::user(std::string_view name) {
    std::string n(name);
    passwd pw{}, *out = nullptr;
    std::vector<char> buf(16384);
    int rc = getpwnam_r(n.c_str(), &pw, buf.data(), buf.size(), &out);
    if (rc != 0) throw_errno(rc, "look up the user " + n);
    if (!out) return std::nullopt;
    return from_passwd(pw);
}

std::optional<UnixUser> ShadowAccounts::user_by_uid(std::uint32_t uid) {
    passwd pw{}, *out = nullptr;
    std::vector<char> buf(16384);
    int rc = getpwuid_r(uid, &pw, buf.data(), buf.size(), &out);
    if (rc != 0) throw_errno(rc, "look up uid " + std::to_string(uid));
    if (!out) return std::nullopt;
    return from_passwd(pw);
}

bool ShadowAccounts::group_exists(std::string_view name) {
    std::string n(name);
    group gr{}, *out = nullptr;
    std::vector<char> buf(65536);
    int rc = getgrnam_r(n.c_str(), &gr, buf.data(), buf.size(), &out);
    if (rc != 0) throw_errno(rc, "look up the group " + n);
    return out != nullptr;
}

bool ShadowAccounts::path_exists(const std::string& path) {
    struct stat st{};
    return lstat(path.c_str(), &st) == 0;
}

std::optional<std::uint32_t> ShadowAccounts::path_owner(const std::string& path) {
    struct stat st{};
    if (lstat(path.c_str(), &st) < 0) return std::nullopt;
    return st.st_uid;
}

namespace {
std::uint32_t adopt_uid, adopt_gid;
int adopt_one(const char* p, const struct stat*, int, FTW*) {
    return lchown(p, adopt_uid, adopt_gid) < 0 ? errno : 0;
}
}  // namespace

void ShadowAccounts::adopt_tree(const std::string& path, std::uint32_t uid, std::uint32_t gid) {
    adopt_uid = uid;
    adopt_gid = gid;
    int rc = nftw(path.c_str(), adopt_one, 32, FTW_PHYS | FTW_MOUNT);
    if (rc != 0) throw_errno(rc > 0 ? rc : errno, "give " + path + " to uid " + std::to_string(uid));
}

bool ShadowAccounts::has_processes(std::uint32_t uid) {
    DIR* d = opendir("/proc");
    if (!d) throw_errno("list /proc");
    bool found = false;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        std::ifstream status(std::string("/proc/") + e->d_name + "/status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.rfind("Uid:", 0) != 0) continue;
            unsigned real = 0, effective = 0;
            if (std::sscanf(line.c_str(), "Uid: %u %u", &real, &effective) == 2 && (real == uid || effective == uid))
                found = true;
            break;
        }
        if (found) break;
    }
    closedir(d);
    return found;
}

UidRange ShadowAccounts::uid_range() {
    std::ifstream in("/etc/login.defs");
    std::ostringstream text;
    text << in.rdbuf();
    return uid_range_from_login_defs(text.str());
}

std::set<std::uint32_t> ShadowAccounts::uids_in_use() {
    std::set<std::uint32_t> out;
    passwd pw{}, *got = nullptr;
    std::vector<char> buf(16384);
    setpwent();
    int rc = 0;
    while ((rc = getpwent_r(&pw, buf.data(), buf.size(), &got)) == 0 && got) out.insert(pw.pw_uid);
    endpwent();
    if (rc != 0 && rc != ENOENT) throw_errno(rc, "list the users");
    return out;
}

std::set<std::uint32_t> ShadowAccounts::entry_owners(const std::string& dir) {
    std::set<std::uint32_t> out;
    struct Closer {
        void operator()(DIR* d) const { closedir(d); }
    };
    std::unique_ptr<DIR, Closer> d(opendir(dir.c_str()));
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR) return out;
        throw_errno("list " + dir);
    }
    while (dirent* e = readdir(d.get())) {
        if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
        struct stat st{};
        if (fstatat(dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) out.insert(st.st_uid);
    }
    return out;
}

void ShadowAccounts::add_group(std::string_view name) {
    auto r = run_logged({"/usr/sbin/groupadd", "--", std::string(name)});
    if (r.exit_code == exit_name_in_use)
        throw Exists("A group named \"" + std::string(name) + "\" already exists.");
    if (r.exit_code != 0)
        throw Failed("Could not add the group " + std::string(name) + ": groupadd failed, " + tool_said(r));
}

void ShadowAccounts::remove_group(std::string_view name) {
    auto r = run_logged({"/usr/sbin/groupdel", "--", std::string(name)});
    if (r.exit_code == 0 || r.exit_code == exit_no_such) return;
    throw Failed("Could not remove the group " + std::string(name) + ": groupdel failed, " + tool_said(r));
}

UnixUser ShadowAccounts::add_user(const NewUser& u) {
    std::vector<std::string> argv = {"/usr/sbin/useradd",   "--create-home",
                                     "--no-user-group",     "--gid",
                                     std::to_string(u.primary_gid)};
    if (!u.home.empty()) argv.insert(argv.end(), {"--home-dir", u.home});
    if (!u.supplementary_group.empty()) argv.insert(argv.end(), {"--groups", u.supplementary_group});
    if (!u.shell.empty()) argv.insert(argv.end(), {"--shell", u.shell});
    if (!u.comment.empty()) argv.insert(argv.end(), {"--comment", u.comment});
    if (u.uid) argv.insert(argv.end(), {"--uid", std::to_string(*u.uid)});
    argv.insert(argv.end(), {"--", u.name});
    auto r = run_logged(argv);
    if (r.exit_code == exit_name_in_use)
        throw Exists("A Unix user named \"" + u.name + "\" already exists.");
    if (r.exit_code == exit_uid_in_use && u.uid)
        throw Busy("The uid " + std::to_string(*u.uid) + " chosen for " + u.name +
                   " was taken by another user meanwhile; make the subu again.");
    if (r.exit_code != 0)
        throw Failed("Could not add the Unix user " + u.name + ": useradd failed, " + tool_said(r));
    auto made = user(u.name);
    if (!made) throw Failed("useradd reported success but the user " + u.name + " cannot be looked up.");
    if (u.uid && made->uid != *u.uid)
        throw Failed("useradd made " + u.name + " with uid " + std::to_string(made->uid) + " instead of " +
                     std::to_string(*u.uid) + ".");
    return *made;
}

void ShadowAccounts::remove_user(std::string_view name, bool purge_home) {
    std::vector<std::string> argv = {"/usr/sbin/userdel"};
    if (purge_home) argv.push_back("--remove");
    argv.insert(argv.end(), {"--", std::string(name)});
    auto r = run_logged(argv);
    if (r.exit_code == 0 || r.exit_code == exit_no_such) return;
    if (r.exit_code == exit_user_busy)
        throw Busy("The Unix user " + std::string(name) +
                   " still has running processes; stop them (e.g. `pkill -u " + std::string(name) +
                   "`) and remove it again.");
    // userdel --remove exits 12 when the home could not be removed; the user itself is gone.
    if (purge_home && r.exit_code == 12 && !user(name)) {
        log::warning("Removed the user " + std::string(name) + " but not all of its home: " + r.stderr_text,
                     {{"SUBU_NAME", std::string(name)}});
        return;
    }
    throw Failed("Could not remove the Unix user " + std::string(name) + ": userdel failed, " + tool_said(r));
}

}  // namespace subu::system
