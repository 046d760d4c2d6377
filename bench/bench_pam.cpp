// Benchmark: `su - SUBU -c true` with pam_subu in the PAM stack beside the same without it, alternating in one run.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common.h"

using subu::bench::median;
using subu::bench::must;
using subu::bench::timed;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: subu-bench-pam SUBU [RUNS]   (as root, where pam_subu.so and its profile are installed)\n");
        return 2;
    }
    const std::string subu = argv[1];
    const int runs = argc > 2 ? std::atoi(argv[2]) : 50;
    struct Way {
        const char* name;
        std::vector<std::string> setup;  // untimed, before each timed run
        std::vector<double> ms;
    };
    // pam-auth-update rewrites common-session(-noninteractive), as an admin would.
    std::vector<Way> ways = {
        {"without pam_subu", {"/usr/sbin/pam-auth-update", "--disable", "subu"}, {}},
        {"with pam_subu", {"/usr/sbin/pam-auth-update", "--enable", "subu"}, {}},
    };
    const std::vector<std::string> su = {"/bin/su", "-", subu, "-c", "true"};
    for (auto& w : ways) {  // warm caches, and the subu's user manager
        must(w.setup);
        timed(su);
    }
    for (int i = 0; i < runs; ++i)
        for (auto& w : ways) {
            must(w.setup);
            w.ms.push_back(timed(su));
        }
    // Each run with the module next to the run without it just before: a
    // busy machine's drift cancels out of the pair.
    std::vector<double> paired;
    for (int i = 0; i < runs; ++i) paired.push_back(ways[1].ms[i] - ways[0].ms[i]);
    std::printf("`su - %s -c true`, %d runs each, alternating:\n\n", subu.c_str(), runs);
    std::printf("| PAM stack | median ms | min ms |\n|---|---:|---:|\n");
    for (const auto& w : ways)
        std::printf("| %s | %.2f | %.2f |\n", w.name, median(w.ms), *std::min_element(w.ms.begin(), w.ms.end()));
    std::printf("\nthe module's cost: %+.2f ms (median of the paired differences), %+.2f ms (difference of the medians)\n",
                median(paired), median(ways[1].ms) - median(ways[0].ms));
    return 0;
}
