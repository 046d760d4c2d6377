// What the benchmarks share: a clock in milliseconds, medians and running a command that must succeed.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "system/process.h"

namespace subu::bench {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Runs argv; on failure says what failed and exits.
inline void must(const std::vector<std::string>& argv) {
    auto r = subu::system::run(argv);
    if (r.exit_code != 0) {
        std::fprintf(stderr, "%s failed: %s\n", subu::system::describe(argv).c_str(), r.stderr_text.c_str());
        std::exit(1);
    }
}

// Runs argv, which must succeed, and returns how long it took.
inline double timed(const std::vector<std::string>& argv) {
    const auto t = Clock::now();
    must(argv);
    return ms_since(t);
}

// The middle value (the upper one of an even count); `v` must not be empty.
inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Leaves out of `counts` what is above `max` (a benchmark's --max N).
inline void cap_counts(std::vector<int>& counts, int max) {
    std::erase_if(counts, [&](int c) { return c > max; });
}

}  // namespace subu::bench
