// `subu exec`: what the transient unit that runs a program as a subu, inside it, looks like (pure).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "names/names.h"

namespace subu::service {

// A read-only bind mount (BindReadOnlyPaths=); a missing source is skipped if `optional`.
struct BindMount {
    std::string source;
    std::string destination;
    bool optional = false;
    bool operator==(const BindMount&) const = default;
};

// One property of a transient unit, in the types systemd's D-Bus API takes.
struct UnitProperty {
    std::string name;
    std::variant<bool, std::string, std::vector<std::string>, std::vector<BindMount>, std::uint64_t> value;
    bool operator==(const UnitProperty&) const = default;
};

// Who runs, where: a ready subu and its Unix user.
struct ExecSubject {
    std::uint32_t num = 0;   // N of subu_N
    std::string name;        // Thomas_US
    std::uint32_t uid = 0;
    std::string home;
    std::string shell;
    std::string isolation;   // the subu's "isolation" option
};

struct ExecRequest {
    std::vector<std::string> argv;
    bool tty = false;        // stdin is a terminal (the caller's pseudo-terminal)
    std::string term;        // the caller's TERM, for a terminal
};

struct ExecPlan {
    std::string unit;        // subu-exec-subu_N-K.service
    std::string path;        // what ExecStart runs (absolute)
    std::vector<std::string> argv;
    std::vector<UnitProperty> properties;  // everything but ExecStart and the descriptors
};

// What the plan needs to know of the host: where a program is, whether a path exists.
struct ExecHost {
    // An absolute path for a program name, or nothing.
    std::function<std::optional<std::string>(std::string_view name)> find_program;
    std::function<bool(const std::string& path)> exists;
};

// The PATH a login gives, where programs named without a '/' are looked for.
inline constexpr std::string_view login_path = "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games";

// The unit for running `request` as `subject`, the `serial`-th exec of this
// manager; InvalidArgument for a bad argv, TERM or isolation level, NotFound
// for a program that is not there.
ExecPlan plan_exec(const ExecSubject& subject, const ExecRequest& request, const ExecHost& host, std::uint64_t serial);


// systemd's sandboxing for an isolation level (none, standard, strict, quantum).
std::vector<UnitProperty> isolation_properties(std::string_view level);

// The first regular, executable file named `name` in the directories of `path_list`.
std::optional<std::string> find_in_path(std::string_view name, std::string_view path_list);

}  // namespace subu::service
