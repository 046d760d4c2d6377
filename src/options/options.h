// Per-subu options: the known names, their values and defaults (pure).
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace subu::options {

struct Known {
    std::string_view name;
    std::vector<std::string_view> values;  // the canonical spellings
    std::string_view fallback;             // the value while none is set
    std::string_view meaning;
};

const std::vector<Known>& known();

// The canonical value of `name` = `value` ("true", "yes", "1" read as "on" for
// on/off options), or InvalidArgument naming the known options or values.
std::string normalized(std::string_view name, std::string_view value);

// Whether the socket steering reads this option (steer_enabled, local_forwarding).
bool read_by_steering(std::string_view name);
// The value of a known option while none is set.
std::string_view fallback(std::string_view name);

// Every known option with its value: the set ones from `set`, else the fallback.
std::map<std::string, std::string> effective(const std::map<std::string, std::string>& set);

}  // namespace subu::options
