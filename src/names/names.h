// Name rules of subu: tokens, full names, ids (subu_N, WG_N) and derived names.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace subu::names {

// Longest Unix user name systemd accepts for User= (and useradd on Debian).
inline constexpr std::size_t max_name_length = 31;

// Throws InvalidArgument saying what is wrong with the token at `position` (0 = masu).
void check_token(std::string_view token, std::size_t position);

// Checks a make path ([masu, token...]) and returns the full name, "Thomas_US".
std::string full_name(const std::vector<std::string>& path);

// "subu_12" -> 12; nullopt when `s` is not exactly an id of that form.
std::optional<std::uint32_t> parse_subu_id(std::string_view s);
std::string subu_id(std::uint32_t num);
// "WG_3" -> 3, likewise.
std::optional<std::uint32_t> parse_wg_id(std::string_view s);
std::string wg_id(std::uint32_t num);


// The network namespace of subu N: "ns-subu_N".
std::string netns_name(std::uint32_t num);
// Where it is bind-mounted: "/run/netns/ns-subu_N".
std::string netns_path(std::uint32_t num);
// The subu's DNS, when its tunnel has some, which every way into the subu
// binds over /etc/resolv.conf (where `ip netns exec` looks for it too):
// "/etc/netns/ns-subu_N/resolv.conf".
std::string resolv_conf_path(std::uint32_t num);

// The host resolvers' sockets, out of reach of everything that runs in a subu.
inline constexpr std::string_view host_resolver_dirs[] = {"/run/systemd/resolve", "/run/nscd"};

// The name a subu's parent has: "Thomas_US_Rabbit" -> "Thomas_US"; for a
// top-level subu the parent is the masu, returned as well.
std::string parent_name(std::string_view full_name);

// Where subus' home directories live, and a subu's own: "/home/Thomas_US".
inline constexpr const char* home_base = "/home";
std::string home(std::string_view full_name);

// The masu's shared group: "<masu>-incommon".
std::string incommon_group(std::string_view masu);

// True when `s` is a string a person could mean as a subu reference (id or
// name): never empty, printable ASCII, short. Used before any lookup.
bool plausible_reference(std::string_view s);

}  // namespace subu::names
