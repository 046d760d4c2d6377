// The `subu` command: parses a command line into a verb and runs it against the manager over D-Bus.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace sdbus {
class IConnection;
}

namespace subu::cli {

// Exit codes, also listed in `subu help`.
enum Exit : int {
    ok = 0,
    failed = 1,
    usage = 2,
    not_found = 3,
    exists = 4,
    denied = 5,
    busy = 6,
    unreachable = 7,
};

// Runs `subu ARGS...` (args excludes argv[0]); prints results to stdout and errors to stderr.
int run(const std::vector<std::string>& args);

// A connection to the system bus, or nullptr after saying on stderr why there is none.
std::unique_ptr<sdbus::IConnection> system_bus();

// The exit code for a D-Bus error name.
int exit_code_for(const std::string& error_name);

}  // namespace subu::cli
