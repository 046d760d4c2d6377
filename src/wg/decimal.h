// Decimal numbers as the WireGuard parsers read them: one spelling per value.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace subu::wg::detail {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Digits only, no sign, no leading zero (so "010" is never octal to one tool
// and decimal to another), at most `max`; nullopt otherwise.
inline std::optional<std::uint32_t> parse_decimal(std::string_view s, std::uint32_t max) {
    if (s.empty() || s.size() > 10) return std::nullopt;
    if (s.size() > 1 && s.front() == '0') return std::nullopt;
    std::uint64_t n = 0;
    for (char c : s) {
        if (!is_digit(c)) return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (n > max) return std::nullopt;
    return static_cast<std::uint32_t>(n);
}

}  // namespace subu::wg::detail
