// Showing untrusted text to a person: quoted, escaped, cut short.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace subu {

// `s` inside double quotes: printable ASCII as is, '"' and '\' escaped, a tab
// as \t, every other byte as \xNN (so a newline or an escape sequence can never
// break a message, a log line or a terminal); longer than `max`: cut, then "...".
std::string shown(std::string_view s, std::size_t max = 48);

// `s` without the spaces and tabs around it.
std::string_view trim(std::string_view s);

// The items of a comma-separated list ("a, b,c"), each trimmed; empty items
// are kept (as ""), so a caller can refuse them or skip them.
std::vector<std::string_view> split_list(std::string_view list);

}  // namespace subu
