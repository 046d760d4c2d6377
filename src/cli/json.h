// JSON text for the `--json` views: strings escaped, numbers and booleans as themselves.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace subu::cli::json {

// `s` as a JSON string: quotes, backslashes and control characters escaped;
// valid UTF-8 passes through as it is, a byte that is not becomes U+FFFD.
std::string string(std::string_view s);
// `s` as a JSON string, or null when it is empty.
std::string string_or_null(std::string_view s);
std::string number(std::uint64_t n);
std::string boolean(bool b);

// An object of fields whose values are JSON text already, in the order given.
std::string object(const std::vector<std::pair<std::string, std::string>>& fields);
// An array of items that are JSON text already.
std::string array(const std::vector<std::string>& items);

}  // namespace subu::cli::json
