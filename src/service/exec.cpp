// The transient unit of `subu exec`: the subu's user, slice, namespace, DNS and sandbox.
#include "service/exec.h"

#include <sched.h>
#include <sys/stat.h>

#include <cctype>

#include "core/errors.h"
#include "core/text.h"
#include "names/names.h"
#include "units/render.h"

namespace subu::service {
namespace {

constexpr std::size_t max_args = 4096;
constexpr std::size_t max_argv_bytes = 128 * 1024;
// quantum: a user namespace of its own in which the program is uid 0.
constexpr const char* unshare_path = "/usr/bin/unshare";
// The namespace types systemd 252 knows, less the network's.
constexpr std::uint64_t namespaces_but_network =
    CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWUTS;

bool valid_term(std::string_view t) {
    if (t.empty() || t.size() > 64) return false;
    for (char c : t)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '+')) return false;
    return true;
}

// systemd expands $VAR and ${VAR} in ExecStart=; "$$" is a literal '$'.
std::string literal_for_systemd(const std::string& arg) {
    std::string out;
    out.reserve(arg.size());
    for (char c : arg) {
        out += c;
        if (c == '$') out += '$';
    }
    return out;
}

}  // namespace

std::vector<UnitProperty> isolation_properties(std::string_view level) {
    // none < standard < strict < quantum, each adding to the one before.
    std::vector<UnitProperty> p;
    if (level == "none") return p;
    const bool strict = level == "strict" || level == "quantum";
    if (level != "standard" && !strict)
        throw InvalidArgument("Unknown isolation level " + shown(level, 40) +
                              "; the levels are none, standard, strict and quantum.");
    // standard: a mount namespace of its own: a private /tmp, the system
    // read-only. (The kernel's tunables, modules and cgroups are out of an
    // unprivileged user's reach anyway; hiding them costs systemd some 50 ms
    // of mounts a start, so that is strict's.)
    p.push_back({"PrivateTmp", true});
    p.push_back({"ProtectSystem", std::string(strict ? "strict" : "full")});
    if (!strict) return p;
    // strict: + IPC, other users' processes hidden, nothing writable but
    // home, the kernel's knobs hidden too.
    p.push_back({"ProtectKernelTunables", true});
    p.push_back({"ProtectKernelModules", true});
    p.push_back({"ProtectControlGroups", true});
    p.push_back({"PrivateIPC", true});
    p.push_back({"ProtectProc", std::string("invisible")});
    p.push_back({"NoNewPrivileges", true});
    p.push_back({"ProtectKernelLogs", true});
    p.push_back({"ProtectClock", true});
    if (level == "strict") return p;
    // quantum: + a user namespace and a hostname of its own.
    p.push_back({"PrivateUsers", true});
    p.push_back({"ProtectHostname", true});
    return p;
}

std::optional<std::string> find_in_path(std::string_view name, std::string_view path_list) {
    std::size_t start = 0;
    while (start <= path_list.size()) {
        std::size_t end = path_list.find(':', start);
        if (end == std::string_view::npos) end = path_list.size();
        std::string dir(path_list.substr(start, end - start));
        if (!dir.empty()) {
            std::string candidate = dir + "/" + std::string(name);
            struct stat st{};
            if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) return candidate;
        }
        start = end + 1;
    }
    return std::nullopt;
}

ExecPlan plan_exec(const ExecSubject& subject, const ExecRequest& request, const ExecHost& host, std::uint64_t serial) {
    if (request.argv.empty() || request.argv[0].empty())
        throw InvalidArgument("Nothing to run: give a program and its arguments (subu exec SUBU -- PROGRAM [ARG...]).");
    if (request.argv.size() > max_args) throw InvalidArgument("More than 4096 arguments.");
    std::size_t bytes = 0;
    for (const auto& a : request.argv) bytes += a.size() + 1;
    if (bytes > max_argv_bytes) throw InvalidArgument("The arguments are longer than 128 KiB in all.");
    if (request.tty && !valid_term(request.term))
        throw InvalidArgument("TERM " + shown(request.term, 40) + " is not a terminal type.");

    const std::string& program = request.argv[0];
    std::string path;
    if (program.find('/') != std::string::npos) {
        if (program[0] != '/')
            throw InvalidArgument("The program " + shown(program, 80) +
                                  " is a relative path; give an absolute path or a name found on the PATH.");
        path = program;
    } else {
        auto found = host.find_program(program);
        if (!found)
            throw NotFound("There is no program " + shown(program, 80) + " in " + std::string(login_path) + ".");
        path = *found;
    }

    auto sandbox = isolation_properties(subject.isolation);
    const std::string netns_path = names::netns_path(subject.num);
    // systemd would refuse to start it anyway (status 226); say why instead.
    if (!host.exists(netns_path))
        throw Failed("The network namespace of " + subject.name + " is missing; see `systemctl status subu-netns@" +
                     subject.name + "`.");
    ExecPlan plan;
    plan.unit = "subu-exec-" + names::subu_id(subject.num) + "-" + std::to_string(serial) + ".service";
    plan.path = path;
    plan.argv = request.argv;
    if (subject.isolation == "quantum") {
        // systemd's PrivateUsers= maps the user to itself; quantum promises
        // uid 0 inside, which a nested user namespace gives (unprivileged).
        plan.path = unshare_path;
        plan.argv = {"unshare", "--user", "--map-root-user", "--", path};
        plan.argv.insert(plan.argv.end(), request.argv.begin() + 1, request.argv.end());
    }

    for (auto& a : plan.argv) a = literal_for_systemd(a);

    auto& p = plan.properties;
    p.push_back({"Description", "subu exec " + shown(program, 60) + " as " + subject.name});
    p.push_back({"Slice", units::slice(subject.name)});
    p.push_back({"User", subject.name});
    p.push_back({"NetworkNamespacePath", netns_path});
    p.push_back({"WorkingDirectory", "-" + subject.home});
    std::vector<std::string> env = {"HOME=" + subject.home, "USER=" + subject.name, "LOGNAME=" + subject.name,
                                    "SHELL=" + (subject.shell.empty() ? std::string("/bin/sh") : subject.shell),
                                    "PATH=" + std::string(login_path)};
    if (request.tty) env.push_back("TERM=" + request.term);
    p.push_back({"Environment", env});
    // DNS follows the tunnel: the subu's resolv.conf, and no way to the
    // host's resolvers. Only what exists is mounted: at isolation "none" a
    // host without them costs no mount namespace (a third of an exec).
    if (const auto conf = names::resolv_conf_path(subject.num); host.exists(conf))
        p.push_back({"BindReadOnlyPaths", std::vector<BindMount>{{conf, "/etc/resolv.conf", true}}});
    std::vector<std::string> hidden;
    for (auto dir : names::host_resolver_dirs)
        if (host.exists(std::string(dir))) hidden.push_back("-" + std::string(dir));
    if (!hidden.empty()) p.push_back({"InaccessiblePaths", hidden});
    // As a shell would run it: pipes close with SIGPIPE, a terminal hangs up.
    p.push_back({"IgnoreSIGPIPE", false});
    p.push_back({"SendSIGHUP", true});
    // The manager holds the unit until it has read the exit status, then it goes.
    p.push_back({"AddRef", true});
    p.push_back({"CollectMode", std::string("inactive-or-failed")});
    // At every level: no new network namespace, so nothing the subu runs can
    // step out from under its tunnel and steering (a user namespace, which
    // quantum uses, stays allowed). systemd takes the set that is allowed.
    p.push_back({"RestrictNamespaces", namespaces_but_network});
    p.insert(p.end(), sandbox.begin(), sandbox.end());
    return plan;
}

}  // namespace subu::service
