// Name rules of subu, from the original specification: '_' separates levels, '-' is allowed.
#include "names/names.h"

#include <algorithm>
#include <charconv>

#include "core/errors.h"
#include "core/text.h"
#include "subu/config.h"

namespace subu::names {
namespace {

// Tokens are at most a few dozen bytes; show them whole.
std::string quoted(std::string_view s) { return shown(s, 64); }

bool is_lower_or_upper(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

void check_token(std::string_view token, std::size_t position) {
    const std::string what = position == 0 ? "owner" : "token " + std::to_string(position + 1);
    if (token.empty()) throw InvalidArgument("The " + what + " is empty; give a name like \"US\".");
    if (token.size() > max_name_length)
        throw InvalidArgument("The " + what + " " + quoted(token) + " is longer than " +
                              std::to_string(max_name_length) + " characters.");
    for (char c : token) {
        if (c == '_')
            throw InvalidArgument("The " + what + " " + quoted(token) +
                                  " contains '_', which separates the levels of a subu name; "
                                  "give each level as its own token (\"Thomas US Rabbit\").");
        if (!is_lower_or_upper(c) && !is_digit(c) && c != '-')
            throw InvalidArgument("The " + what + " " + quoted(token) +
                                  " may only contain ASCII letters, digits and '-'.");
    }
    if (token.front() == '-')
        throw InvalidArgument("The " + what + " " + quoted(token) +
                              " must start with a letter or a digit.");
}

std::string full_name(const std::vector<std::string>& path) {
    if (path.empty())
        throw InvalidArgument("The subu path is empty; give the owner and a name, e.g. \"Thomas US\".");
    if (path.size() < 2)
        throw InvalidArgument("A subu path needs at least two tokens, the owner and a name, "
                              "e.g. \"Thomas US\"; got only " + quoted(path[0]) + ".");
    for (std::size_t i = 0; i < path.size(); ++i) check_token(path[i], i);
    std::string name = path[0];
    for (std::size_t i = 1; i < path.size(); ++i) name += "_" + path[i];
    if (name.size() > max_name_length)
        throw InvalidArgument("The subu name " + quoted(name) + " has " + std::to_string(name.size()) +
                              " characters; a Unix user name may have at most " +
                              std::to_string(max_name_length) + ".");
    // A full name always holds '_', so it is never all digits (which systemd refuses).
    return name;
}

namespace {
std::optional<std::uint32_t> parse_id(std::string_view s, std::string_view prefix) {
    if (s.size() <= prefix.size() || s.substr(0, prefix.size()) != prefix) return std::nullopt;
    auto digits = s.substr(prefix.size());
    if (digits.size() > 9 || digits.front() == '0') return std::nullopt;
    std::uint32_t n = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || p != digits.data() + digits.size() || n == 0) return std::nullopt;
    return n;
}
}  // namespace

std::optional<std::uint32_t> parse_subu_id(std::string_view s) { return parse_id(s, "subu_"); }
std::optional<std::uint32_t> parse_wg_id(std::string_view s) { return parse_id(s, "WG_"); }
std::string wg_id(std::uint32_t num) { return "WG_" + std::to_string(num); }


std::string subu_id(std::uint32_t num) { return "subu_" + std::to_string(num); }

std::string netns_name(std::uint32_t num) { return "ns-subu_" + std::to_string(num); }
std::string netns_path(std::uint32_t num) { return std::string(config::netns_dir) + "/" + netns_name(num); }
std::string resolv_conf_path(std::uint32_t num) {
    return std::string(config::etc_netns_dir) + "/" + netns_name(num) + "/resolv.conf";
}

std::string parent_name(std::string_view full) {
    auto cut = full.rfind('_');
    return std::string(cut == std::string_view::npos ? full : full.substr(0, cut));
}

std::string home(std::string_view full_name) { return std::string(home_base) + "/" + std::string(full_name); }

std::string incommon_group(std::string_view masu) { return std::string(masu) + "-incommon"; }

bool plausible_reference(std::string_view s) {
    if (s.empty() || s.size() > max_name_length) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return is_lower_or_upper(c) || is_digit(c) || c == '_' || c == '-';
    });
}

}  // namespace subu::names
