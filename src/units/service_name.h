// Which system service names a subu may take in: systemd's unit-name rules and the units subu or the system need outside.
#pragma once
#include <string>
#include <string_view>

namespace subu::units {

// systemd's longest unit name (UNIT_NAME_MAX less its NUL).
inline constexpr std::size_t max_unit_name_length = 255;

// Why `name` is not the name of one service unit by systemd's rules ("" when
// it is): NAME.service or NAME@INSTANCE.service, of ASCII letters, digits and
// ":-_.\" (and '@' in the instance), at most 255 bytes. A template without its
// instance ("foo@.service") names no unit and is refused.
std::string service_name_problem(std::string_view name);

// Why the service `name` cannot be attached to a subu ("" when it can): an
// invalid name, a unit of subu's own (subu@, subu-netns@, the manager, ...),
// the user manager (user@UID.service, which subu places itself), or a unit the
// system cannot run without outside every subu (systemd's own, the bus, polkit).
std::string attach_problem(std::string_view name);

}  // namespace subu::units
