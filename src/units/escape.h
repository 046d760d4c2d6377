// systemd's unit-name escaping (systemd-escape without --path), for instance and slice names.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace subu::units {

// As `systemd-escape STRING`: [A-Za-z0-9:_.] kept (but a leading '.'), '/'
// becomes '-', every other byte "\xNN" in lowercase hex.
std::string escape(std::string_view s);

// The inverse of escape(): '-' becomes '/', "\xNN" (either case) the byte.
// nullopt for a malformed escape or one that would yield a NUL byte.
std::optional<std::string> unescape(std::string_view s);

}  // namespace subu::units
