// Runs an external program from an argument vector (never a shell) and reports how it ended.
#pragma once
#include <string>
#include <vector>

namespace subu::system {

struct ProcessResult {
    int exit_code = -1;        // -1 when killed by a signal
    int signal = 0;
    std::string stderr_text;   // what it said on stderr, trimmed
};

// Runs argv[0] (an absolute path) with a clean environment and stdin from /dev/null.
ProcessResult run(const std::vector<std::string>& argv);

// "useradd --gid 1000 ... Thomas_US" for messages.
std::string describe(const std::vector<std::string>& argv);

}  // namespace subu::system
