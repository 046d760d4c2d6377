// Benchmark: a subu's bring-up (namespace + loopback up) done in-process by the apply steps,
// beside the same done the shell way (`ip netns add`, `ip -n NS link set lo up`), in one run;
// and, when given a subu, the wall time of `systemctl start subu@NAME`.
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "reconcile/converge.h"
#include "system/netns.h"
#include "system/process.h"
#include "common.h"

namespace {

using subu::bench::Clock;
using subu::bench::ms_since;
using subu::bench::median;
using subu::bench::must;

}  // namespace

int main(int argc, char** argv) {
    std::string unit;
    std::vector<int> counts = {1, 10, 100, 1000};
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--unit" && i + 1 < argc) unit = argv[++i];
        else if (a == "--max" && i + 1 < argc) {
            subu::bench::cap_counts(counts, std::stoi(argv[++i]));
        } else {
            std::fprintf(stderr,
                         "Usage: subu-bench-apply [--max N] [--unit subu@NAME.service]\n"
                         "Makes and removes namespaces named bench-apply-* and bench-ip-* under /run/netns.\n"
                         "Run as root, inside a container (bench/run-apply.sh does that).\n");
            return 2;
        }
    }
    subu::system::NetnsDirectory netns("/run/netns");
    std::printf("%-8s %16s %16s %16s %8s\n", "subus", "apply ms total", "apply ms/subu", "ip ms/subu", "ratio");
    for (int n : counts) {
        auto t = Clock::now();
        for (int i = 0; i < n; ++i)
            subu::reconcile::converge(netns, "bench-apply-" + std::to_string(i), {true, true});
        const double apply_ms = ms_since(t);
        t = Clock::now();
        for (int i = 0; i < n; ++i) {
            const std::string ns = "bench-ip-" + std::to_string(i);
            must({"/usr/bin/ip", "netns", "add", ns});
            must({"/usr/bin/ip", "-n", ns, "link", "set", "lo", "up"});
        }
        const double ip_ms = ms_since(t);
        std::printf("%-8d %16.1f %16.3f %16.3f %7.1fx\n", n, apply_ms, apply_ms / n, ip_ms / n, ip_ms / apply_ms);
        // A second converge finds everything in place: the cost of a re-run.
        t = Clock::now();
        for (int i = 0; i < n; ++i)
            subu::reconcile::converge(netns, "bench-apply-" + std::to_string(i), {true, true});
        std::printf("%-8s %16.1f %16.3f   (re-run, nothing to do)\n", "", ms_since(t), ms_since(t) / n);
        for (int i = 0; i < n; ++i) {
            netns.remove("bench-apply-" + std::to_string(i));
            must({"/usr/bin/ip", "netns", "del", "bench-ip-" + std::to_string(i)});
        }
    }
    if (!unit.empty()) {
        std::vector<double> times;
        for (int i = 0; i < 15; ++i) {
            must({"/usr/bin/systemctl", "stop", unit});
            auto t = Clock::now();
            must({"/usr/bin/systemctl", "start", unit});
            times.push_back(ms_since(t));
        }
        std::printf("systemctl start %s: median %.1f ms over %zu runs (min %.1f, max %.1f)\n", unit.c_str(),
                    median(times), times.size(), *std::min_element(times.begin(), times.end()),
                    *std::max_element(times.begin(), times.end()));
    }
    return 0;
}
