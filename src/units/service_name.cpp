// Service names a subu may take in. The same rules guard the manager's
// AttachService and the generator's reading of the export.
#include "units/service_name.h"

#include <algorithm>

#include "core/text.h"

namespace subu::units {
namespace {

constexpr std::string_view suffix = ".service";

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '-' ||
           c == '_' || c == '.' || c == '\\';
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// What runs subu or logs people in: attaching one would break a subu or give its uid a second way in.
constexpr std::string_view own_prefixes[] = {"subu@", "subu-netns@", "subu-wg@", "subu-exec-"};
constexpr std::string_view own_units[] = {"subu-manager.service", "subu-bpf.service",
                                          "dbus-org.subu.Manager1.service"};
constexpr std::string_view user_manager_prefixes[] = {"user@", "user-runtime-dir@"};
constexpr std::string_view system_units[] = {"dbus.service", "dbus-broker.service", "polkit.service"};

}  // namespace

std::string service_name_problem(std::string_view name) {
    if (name.empty()) return "an empty unit name";
    if (name.size() > max_unit_name_length)
        return shown(name, 40) + " is longer than systemd's " + std::to_string(max_unit_name_length) + " bytes";
    if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix)
        return shown(name) + " is not the name of a service (NAME.service)";
    const auto stem = name.substr(0, name.size() - suffix.size());
    const auto at = stem.find('@');
    const auto prefix = stem.substr(0, at);
    if (prefix.empty()) return shown(name) + " has no name before its " + (at == 0 ? "'@'" : "\".service\"");
    if (auto bad = std::find_if_not(prefix.begin(), prefix.end(), name_char); bad != prefix.end())
        return shown(name) + " has " + shown(std::string_view(&*bad, 1)) +
               ", which no unit name has (letters, digits and \":-_.\\\" only)";
    if (at == std::string_view::npos) return {};
    const auto instance = stem.substr(at + 1);
    if (instance.empty())
        return shown(name) + " is a template, which is no unit; name an instance (" + std::string(prefix) +
               "@INSTANCE.service)";
    if (auto bad = std::find_if_not(instance.begin(), instance.end(), [](char c) { return name_char(c) || c == '@'; });
        bad != instance.end())
        return shown(name) + " has " + shown(std::string_view(&*bad, 1)) +
               ", which no unit name has (letters, digits and \":-_.\\@\" only)";
    return {};
}

std::string attach_problem(std::string_view name) {
    if (auto why = service_name_problem(name); !why.empty()) return why;
    const std::string n(name);
    for (auto p : own_prefixes)
        if (starts_with(name, p)) return n + " is one of subu's own units, which no subu can take in";
    for (auto u : own_units)
        if (name == u) return n + " is one of subu's own units, which no subu can take in";
    for (auto p : user_manager_prefixes)
        if (starts_with(name, p))
            return n + " belongs to a user's manager, which subu places itself: the manager of a subu's user "
                       "runs in the subu";
    if (starts_with(name, "systemd-") || std::find(std::begin(system_units), std::end(system_units), name) !=
                                             std::end(system_units))
        return n + " is part of the system itself and must stay outside every subu";
    return {};
}

}  // namespace subu::units
