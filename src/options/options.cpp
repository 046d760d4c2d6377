// The options a subu has, from the original specification and the features that read them.
#include "options/options.h"

#include <algorithm>

#include "core/errors.h"
#include "core/text.h"

namespace subu::options {

const std::vector<Known>& known() {
    static const std::vector<Known> all = {
        {"isolation", {"none", "standard", "strict", "quantum"}, "standard",
         "how `subu exec` sandboxes a program: none (own mount view only), standard (+ private /tmp, IPC, "
         "protected system), strict (+ other processes hidden), quantum (+ own user and host name)"},
        {"local_forwarding", {"on", "off"}, "off", "connections to 127/8 from the subu go to the tunnel's peer"},
        {"steer_enabled", {"on", "off"}, "on", "every socket of the subu is pinned to its tunnel"},
    };
    return all;
}

std::string normalized(std::string_view name, std::string_view value) {
    const auto& all = known();
    auto it = std::find_if(all.begin(), all.end(), [&](const Known& k) { return k.name == name; });
    if (it == all.end()) {
        std::string names;
        for (const auto& k : all) names += (names.empty() ? "" : ", ") + std::string(k.name);
        throw InvalidArgument("There is no option " + shown(name, 40) + "; the options are " + names + ".");
    }
    std::string v(value);
    const bool on_off = it->values.size() == 2 && it->values[0] == "on";
    if (on_off && (v == "true" || v == "yes" || v == "1")) v = "on";
    if (on_off && (v == "false" || v == "no" || v == "0")) v = "off";
    if (std::find(it->values.begin(), it->values.end(), v) == it->values.end()) {
        std::string values;
        for (const auto& k : it->values) values += (values.empty() ? "" : ", ") + std::string(k);
        throw InvalidArgument("The option " + std::string(name) + " takes " + values + ", not " + shown(value, 40) + ".");
    }
    return v;
}

std::map<std::string, std::string> effective(const std::map<std::string, std::string>& set) {
    std::map<std::string, std::string> out;
    for (const auto& k : known()) {
        auto it = set.find(std::string(k.name));
        out[std::string(k.name)] = it != set.end() ? it->second : std::string(k.fallback);
    }
    return out;
}

bool read_by_steering(std::string_view name) { return name == "steer_enabled" || name == "local_forwarding"; }

std::string_view fallback(std::string_view name) {
    for (const auto& k : known())
        if (k.name == name) return k.fallback;
    return {};
}

}  // namespace subu::options
