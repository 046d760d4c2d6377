// systemd's unit-name escaping, byte for byte as systemd-escape does it.
#include "units/escape.h"

namespace subu::units {
namespace {

bool kept(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '_' ||
           c == '.';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string escape(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '/') {
            out += '-';
        } else if (kept(c) && !(i == 0 && c == '.')) {
            // A leading '.' would make a hidden file of the unit.
            out += c;
        } else {
            const auto b = static_cast<unsigned char>(c);
            out += "\\x";
            out += hex[b >> 4];
            out += hex[b & 15];
        }
    }
    return out;
}

std::optional<std::string> unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '-') {
            out += '/';
        } else if (c == '\\') {
            if (s.size() - i < 4 || s[i + 1] != 'x') return std::nullopt;
            const int hi = hex_value(s[i + 2]), lo = hex_value(s[i + 3]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 3;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace subu::units
