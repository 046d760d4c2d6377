// Showing untrusted text to a person: quoted, escaped, cut short.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace subu {

// `s` inside double quotes: printable ASCII as is, '"' and '\' escaped, a tab
// as \t, every other byte as \xNN (so a newline or an escape sequence can never
// break a message, a log line or a terminal); longer than `max`: cut, then "...".
std::string shown(std::string_view s, std::size_t max = 48);

}  // namespace subu
