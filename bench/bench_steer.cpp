// Benchmark: socket()+close() in a subu's cgroup with the steering program attached, against the
// same loop outside it, in one run (and in a nested subu, where the program runs twice); and what
// the uid rule's programs cost a process whose uid is no subu's. Root only.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bpf/loopback.h"
#include "bpf/steering.h"
#include "support/steer_sandbox.h"

namespace {

// The floor of the uid rule's cost: a sock_create program that only returns 1
// ("allow"), attached to `dir`; what the kernel charges for running any program there.
int attach_floor(const std::string& dir, int& prog_out) {
    const bpf_insn allow[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    const int prog = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK, "subu_floor", "GPL", allow, 2, nullptr);
    if (prog < 0) return -1;
    const int cg = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const int link = cg < 0 ? -1 : bpf_link_create(prog, cg, BPF_CGROUP_INET_SOCK_CREATE, nullptr);
    if (cg >= 0) close(cg);
    prog_out = prog;
    return link;
}

// Nanoseconds spent inside the program `prog` per run since `before` (the kernel's run-time stats).
struct RunStats {
    unsigned long long ns = 0, runs = 0;
};
RunStats run_stats(int prog) {
    bpf_prog_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(prog, &info, &len) < 0) return {};
    return {info.run_time_ns, info.run_cnt};
}

using Clock = std::chrono::steady_clock;

// Nanoseconds per socket()+close() over `n` UDP sockets.
double loop_ns(int n) {
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) close(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / n;
}

// The median of the per-round differences: rounds next to each other see the same machine.
double paired(const std::vector<double>& a, const std::vector<double>& base) {
    std::vector<double> d;
    for (std::size_t i = 0; i < a.size(); ++i) d.push_back(a[i] - base[i]);
    std::sort(d.begin(), d.end());
    return d[d.size() / 2];
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 301, per_round = 2000;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--rounds" && i + 1 < argc) rounds = std::stoi(argv[++i]);
        else if (a == "--sockets" && i + 1 < argc) per_round = std::stoi(argv[++i]);
        else {
            std::fprintf(stderr,
                         "Usage: subu-bench-steer [--rounds N] [--sockets N]\n"
                         "As root: loads the steering program (unpinned), makes the cgroups subu-bench-steer-PID\n"
                         "and .../nested with it attached and a network namespace with a TUN subu_9 in a child,\n"
                         "subu-bench-steer-PID-uid with the uid rule's programs attached as links (as at the\n"
                         "root), subu-bench-floor-PID with a program that only allows, and subu-bench-plain-PID\n"
                         "without any, and removes them after. Rounds alternate outside / plain / allow-only /\n"
                         "under the uid rule / in the subu / in the nested subu, on one CPU.\n");
            return 2;
        }
    }
    if (geteuid() != 0) {
        std::fprintf(stderr, "subu-bench-steer needs root.\n");
        return 1;
    }
    subu::testing::SteerSandbox sandbox("subu-bench-steer", true, true);
    // Subus' uids in the rule, none of them the benchmark's (root): it pays the lookup only.
    {
        subu::bpf::Uids uids(sandbox.program());
        for (std::uint32_t uid = 10000; uid < 11000; ++uid) uids.close(uid);
    }
    // A cgroup without the program beside it: what being in a cgroup of one's own costs.
    const std::string plain = sandbox.root() + "/subu-bench-plain-" + std::to_string(getpid());
    if (mkdir(plain.c_str(), 0755) < 0) {
        std::perror(plain.c_str());
        return 1;
    }
    const std::string floor = sandbox.root() + "/subu-bench-floor-" + std::to_string(getpid());
    int floor_prog = -1;
    const int floor_link = mkdir(floor.c_str(), 0755) == 0 ? attach_floor(floor, floor_prog) : -1;
    if (floor_link < 0) {
        std::perror(floor.c_str());
        rmdir(plain.c_str());
        rmdir(floor.c_str());
        return 1;
    }
    const std::string out = sandbox.in_child([&](unsigned index) -> std::string {
        subu::bpf::Steering steering(sandbox.program());
        subu::bpf::Entry e;
        e.ifindex = index;
        steering.put("/proc/self/ns/net", e);
        subu::bpf::route_loopback_over("/proc/self/ns/net", index);
        // The loop in the subu must really be steered.
        if (auto err = subu::testing::SteerSandbox::join(sandbox.cgroup()); !err.empty()) return err;
        int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        char dev[IFNAMSIZ] = {};
        socklen_t len = sizeof dev;
        getsockopt(probe, SOL_SOCKET, SO_BINDTODEVICE, dev, &len);
        close(probe);
        if (std::string(dev) != "subu_9") return "a socket in the subu's cgroup is bound to '" + std::string(dev) + "'";
        // One CPU: the rounds compare like with like.
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(sched_getcpu(), &one);
        sched_setaffinity(0, sizeof one, &one);
        std::vector<double> outside, bare, any, uid_rule, inside, nested;
        loop_ns(per_round);  // warm up
        for (int r = 0; r < rounds; ++r) {
            using S = subu::testing::SteerSandbox;
            if (auto err = S::join(sandbox.root()); !err.empty()) return err;
            outside.push_back(loop_ns(per_round));
            if (auto err = S::join(plain); !err.empty()) return err;
            bare.push_back(loop_ns(per_round));
            if (auto err = S::join(floor); !err.empty()) return err;
            any.push_back(loop_ns(per_round));
            if (auto err = S::join(sandbox.uid_cgroup()); !err.empty()) return err;
            uid_rule.push_back(loop_ns(per_round));
            if (auto err = S::join(sandbox.cgroup()); !err.empty()) return err;
            inside.push_back(loop_ns(per_round));
            if (auto err = S::join(sandbox.nested()); !err.empty()) return err;
            nested.push_back(loop_ns(per_round));
        }
        // Inside the programs: the kernel's run-time stats, on only while this
        // phase runs (they cost every program two clock reads).
        std::string inside_ns;
        if (int stats = bpf_enable_stats(BPF_STATS_RUN_TIME); stats >= 0) {
            const int per = 200000;
            auto ns_in = [&](const std::string& cgroup, int prog) {
                subu::testing::SteerSandbox::join(cgroup);
                const RunStats a = run_stats(prog);
                loop_ns(per);
                const RunStats b = run_stats(prog);
                return b.runs > a.runs ? double(b.ns - a.ns) / double(b.runs - a.runs) : -1.0;
            };
            const double f = ns_in(floor, floor_prog);
            const double u = ns_in(sandbox.uid_cgroup(), sandbox.program().uid_prog_fd("sock_create"));
            const double sl = ns_in(sandbox.cgroup(), sandbox.program().prog_fd("sock_create"));
            close(stats);
            char line[256];
            std::snprintf(line, sizeof line,
                          "inside the sock_create program, ns per socket (kernel run-time stats, %d sockets): "
                          "allow-only %.1f, uid rule for a uid no subu's %.1f, a subu slice's %.1f\n",
                          per, f, u, sl);
            inside_ns = line;
        }
        subu::testing::SteerSandbox::join(sandbox.root());
        const double o = median(outside), b = o + paired(bare, outside), i = o + paired(inside, outside),
                     n = o + paired(nested, outside), u = o + paired(uid_rule, outside), f = o + paired(any, outside);
        char buf[1280];
        std::snprintf(buf, sizeof buf,
                      "| where | ns per socket()+close() | sockets per second | vs outside |\n"
                      "|---|---|---|---|\n"
                      "| outside any subu slice | %.0f | %.0f | - |\n"
                      "| a cgroup without the program | %.0f | %.0f | %+.1f%% (%+.0f ns) |\n"
                      "| a cgroup with a program that only allows | %.0f | %.0f | %+.1f%% (%+.0f ns); vs the plain cgroup %+.0f ns |\n"
                      "| a cgroup with the uid rule, uid no subu's | %.0f | %.0f | %+.1f%% (%+.0f ns); vs the plain cgroup %+.0f ns, vs the allow-only program %+.0f ns |\n"
                      "| in a subu slice (program attached) | %.0f | %.0f | %+.1f%% (%+.0f ns) |\n"
                      "| in a nested subu (runs twice) | %.0f | %.0f | %+.1f%% (%+.0f ns) |\n"
                      "(%d rounds of %d UDP sockets each, alternating; outside: the median round; the others:\n"
                      "outside plus the median of their per-round differences to it)\n",
                      o, 1e9 / o, b, 1e9 / b, (b / o - 1) * 100, b - o, f, 1e9 / f, (f / o - 1) * 100, f - o,
                      paired(any, bare), u, 1e9 / u, (u / o - 1) * 100, u - o, paired(uid_rule, bare),
                      paired(uid_rule, any), i, 1e9 / i, (i / o - 1) * 100, i - o, n, 1e9 / n, (n / o - 1) * 100, n - o, rounds,
                      per_round);
        return buf + inside_ns;
    });
    rmdir(plain.c_str());
    close(floor_link);
    close(floor_prog);
    rmdir(floor.c_str());
    std::fputs(out.c_str(), stdout);
    return out.rfind("| where", 0) == 0 ? 0 : 1;
}
