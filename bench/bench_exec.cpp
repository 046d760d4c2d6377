// Benchmark: the round trip of `subu exec SUBU -- true` beside `systemd-run --wait --pipe -q true`,
// `ip netns exec NS true` and systemd-run of the very unit subu makes, interleaved in one run.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common.h"

using subu::bench::median;
using subu::bench::timed;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: subu-bench-exec SUBU NETNS [RUNS]   (as root, where subu-manager runs)\n");
        return 2;
    }
    const std::string subu = argv[1], netns = argv[2];
    const int runs = argc > 3 ? std::atoi(argv[3]) : 50;
    struct Way {
        const char* name;
        std::vector<std::string> argv;
        std::vector<double> ms;
    };
    std::vector<Way> ways = {
        {"subu exec SUBU -- true", {"/usr/bin/subu", "exec", subu, "--", "true"}, {}},
        {"systemd-run --wait --pipe -q true", {"/usr/bin/systemd-run", "--wait", "--pipe", "-q", "true"}, {}},
        {"ip netns exec NS true", {"/usr/bin/ip", "netns", "exec", netns, "true"}, {}},
        // The unit subu makes at isolation "standard" (here no resolv.conf or
        // host resolver to hide, so no DNS mounts), made by systemd-run: what
        // systemd's sandboxing costs.
        {"systemd-run, same unit as subu's at standard",
         {"/usr/bin/systemd-run", "--wait", "--pipe", "-q", "-p", "User=" + subu,
          "-p", "NetworkNamespacePath=/run/netns/" + netns, "-p", "PrivateTmp=yes", "-p", "ProtectSystem=full",
          "-p", "RestrictNamespaces=~net", "true"},
         {}},
    };
    for (auto& w : ways) timed(w.argv);  // warm caches
    for (int i = 0; i < runs; ++i)
        for (auto& w : ways) w.ms.push_back(timed(w.argv));
    const double base = median(ways[1].ms);
    std::printf("| way | median ms | min ms | ratio to systemd-run |\n|---|---:|---:|---:|\n");
    for (const auto& w : ways)
        std::printf("| `%s` | %.1f | %.1f | %.2f× |\n", w.name, median(w.ms), *std::min_element(w.ms.begin(), w.ms.end()),
                    median(w.ms) / base);
    return 0;
}
