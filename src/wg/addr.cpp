// Strict address, network and endpoint parsing: one spelling per value, so what is stored is what was meant.
#include "wg/addr.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>

#include "core/text.h"
#include "wg/decimal.h"

namespace subu::wg {
namespace {

using detail::is_digit;
using detail::parse_decimal;

constexpr std::string_view ipv4_expected = "four numbers 0-255 separated by dots, like 10.8.0.2";

// Empty when `text` is a dotted quad; otherwise why not. Hand-written rather
// than inet_pton so that a leading zero (octal to some tools) is refused.
std::string parse_ipv4(std::string_view text, std::array<std::uint8_t, 16>& out) {
    std::array<std::uint8_t, 16> addr{};
    std::size_t part = 0;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = text.find('.', start);
        const std::string_view num = text.substr(start, dot == std::string_view::npos ? text.npos : dot - start);
        if (num.empty()) return "a number is missing before or after a dot";
        if (part == 4) return "it has more than four numbers";
        if (!std::all_of(num.begin(), num.end(), is_digit)) return "it has a character that is not a digit or '.'";
        if (num.size() > 1 && num.front() == '0')
            return "the number " + shown(num) + " has a leading zero, which some tools read as octal";
        const auto v = parse_decimal(num, 255);
        if (!v) return "the number " + shown(num) + " is more than 255";
        addr[part++] = static_cast<std::uint8_t>(*v);
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (part != 4) return "it has " + std::to_string(part) + (part == 1 ? " number" : " numbers") + ", not four";
    out = addr;
    return {};
}

std::string parse_ipv6(std::string_view text, std::array<std::uint8_t, 16>& out) {
    if (text.find('%') != std::string_view::npos) return "zone ids (like %eth0) are not accepted";
    // inet_pton wants a C string; bounding the length and the characters first
    // keeps odd input (NUL bytes, huge strings) away from it.
    if (text.size() > 45) return "it is too long";
    for (char c : text)
        if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
            return "it has a character that is not a hex digit, ':' or '.'";
    const std::string s(text);
    std::array<std::uint8_t, 16> addr{};
    if (inet_pton(AF_INET6, s.c_str(), addr.data()) != 1) return "it is not in the form x:x:x:x:x:x:x:x or x::x";
    out = addr;
    return {};
}

// Parses a bare address of either family, naming `whole` (what the person typed) when it fails.
Cidr parse_ip(std::string_view text, std::string_view whole) {
    Cidr c;
    if (text.find(':') != std::string_view::npos) {
        const std::string why = parse_ipv6(text, c.addr);
        if (!why.empty())
            throw InvalidArgument("The address " + shown(whole) + " is not a valid IPv6 address: " + why + ".");
        c.family = AF_INET6;
        c.prefix = 128;
    } else {
        if (text.empty()) throw InvalidArgument("The address " + shown(whole) + " has no address before the '/'.");
        const std::string why = parse_ipv4(text, c.addr);
        if (!why.empty())
            throw InvalidArgument("The address " + shown(whole) + " is not a valid IPv4 address: " + why +
                                  " (expected " + std::string(ipv4_expected) + ").");
        c.family = AF_INET;
        c.prefix = 32;
    }
    return c;
}

std::uint32_t ipv4_value(const Cidr& c) {
    return std::uint32_t{c.addr[0]} << 24 | std::uint32_t{c.addr[1]} << 16 | std::uint32_t{c.addr[2]} << 8 |
           c.addr[3];
}

Cidr ipv4_cidr(std::uint32_t v, unsigned prefix) {
    Cidr c;
    c.family = AF_INET;
    c.addr[0] = static_cast<std::uint8_t>(v >> 24);
    c.addr[1] = static_cast<std::uint8_t>(v >> 16);
    c.addr[2] = static_cast<std::uint8_t>(v >> 8);
    c.addr[3] = static_cast<std::uint8_t>(v);
    c.prefix = prefix;
    return c;
}

std::string address_string(const Cidr& c) {
    if (c.family == AF_INET)
        return std::to_string(c.addr[0]) + "." + std::to_string(c.addr[1]) + "." + std::to_string(c.addr[2]) + "." +
               std::to_string(c.addr[3]);
    char buf[INET6_ADDRSTRLEN] = {};
    if (c.family != AF_INET6 || inet_ntop(AF_INET6, c.addr.data(), buf, sizeof buf) == nullptr)
        return "(not an address)";
    return buf;
}

bool is_name_char(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'; }

}  // namespace

Cidr parse_cidr(std::string_view text) {
    if (text.empty()) throw InvalidArgument("The network is empty; expected an address and a prefix, like 10.8.0.0/24.");
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos)
        throw InvalidArgument("The network " + shown(text) +
                              " has no prefix length; expected an address and a prefix, like 10.8.0.0/24.");
    Cidr c = parse_ip(text.substr(0, slash), text);
    const unsigned max = c.family == AF_INET ? 32 : 128;
    const auto prefix = parse_decimal(text.substr(slash + 1), max);
    if (!prefix)
        throw InvalidArgument("The network " + shown(text) + " has the prefix length " +
                              shown(text.substr(slash + 1)) + "; expected a number from 0 to " +
                              std::to_string(max) + " without sign or leading zeros.");
    c.prefix = *prefix;
    return c;
}

Cidr parse_address(std::string_view text) {
    if (text.find('/') != std::string_view::npos) return parse_cidr(text);
    if (text.empty()) throw InvalidArgument("The address is empty; expected an address like 10.8.0.2 or 10.8.0.2/24.");
    return parse_ip(text, text);
}

std::string to_string(const Cidr& cidr) { return address_string(cidr) + "/" + std::to_string(cidr.prefix); }

bool canonical(const Cidr& cidr) {
    const unsigned bits = cidr.family == AF_INET ? 32 : 128;
    for (unsigned i = cidr.prefix; i < bits; ++i)
        if (cidr.addr[i / 8] & (0x80 >> (i % 8))) return false;
    return true;
}

Cidr network_of(const Cidr& cidr) {
    Cidr net = cidr;
    const unsigned bits = cidr.family == AF_INET ? 32 : 128;
    for (unsigned i = cidr.prefix; i < bits; ++i) net.addr[i / 8] &= static_cast<std::uint8_t>(~(0x80u >> (i % 8)));
    return net;
}

bool valid_dns_name(std::string_view text) {
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);
    if (text.empty() || text.size() > 253) return false;
    std::string_view last;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = text.find('.', start);
        const std::string_view label = text.substr(start, dot == std::string_view::npos ? text.npos : dot - start);
        if (label.empty() || label.size() > 63) return false;
        if (!std::all_of(label.begin(), label.end(), is_name_char)) return false;
        if (label.front() == '-' || label.back() == '-') return false;
        last = label;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    // RFC 3696 section 2: a top-level label is never all digits, which keeps
    // a mistyped address ("10.8.0") from passing as a name.
    return !std::all_of(last.begin(), last.end(), is_digit);
}

Endpoint parse_endpoint(std::string_view text) {
    const std::string expected = "expected host:port, like 198.51.100.7:51820, [2001:db8::7]:51820 or vpn.example.com:51820";
    if (text.empty()) throw InvalidArgument("The endpoint is empty; " + expected + ".");
    Endpoint e;
    std::string_view host;
    std::string_view port;
    if (text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos)
            throw InvalidArgument("The endpoint " + shown(text) + " opens '[' without closing it; " + expected + ".");
        host = text.substr(1, close - 1);
        const std::string_view rest = text.substr(close + 1);
        if (rest.empty() || rest.front() != ':')
            throw InvalidArgument("The endpoint " + shown(text) + " has no port after ']'; " + expected + ".");
        port = rest.substr(1);
        std::array<std::uint8_t, 16> addr{};
        const std::string why = parse_ipv6(host, addr);
        if (!why.empty())
            throw InvalidArgument("The endpoint " + shown(text) + " has " + shown(host) +
                                  " in brackets, which is not an IPv6 address: " + why + ".");
        e.kind = Endpoint::Ipv6;
    } else {
        const std::size_t colon = text.find(':');
        if (colon == std::string_view::npos)
            throw InvalidArgument("The endpoint " + shown(text) + " has no port; " + expected + ".");
        if (text.find(':', colon + 1) != std::string_view::npos)
            throw InvalidArgument("The endpoint " + shown(text) +
                                  " has more than one ':'; an IPv6 address needs brackets, like [2001:db8::7]:51820, "
                                  "so the port cannot be mistaken for part of it.");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.empty()) throw InvalidArgument("The endpoint " + shown(text) + " has no host; " + expected + ".");
        if (std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; })) {
            std::array<std::uint8_t, 16> addr{};
            const std::string why = parse_ipv4(host, addr);
            if (!why.empty())
                throw InvalidArgument("The endpoint " + shown(text) + " has the host " + shown(host) +
                                      ", which is not a valid IPv4 address: " + why + " (expected " +
                                      std::string(ipv4_expected) + ").");
            e.kind = Endpoint::Ipv4;
        } else if (valid_dns_name(host)) {
            e.kind = Endpoint::Name;
        } else {
            throw InvalidArgument("The endpoint " + shown(text) + " has the host " + shown(host) +
                                  ", which is neither an IPv4 address nor a DNS name (labels of 1 to 63 ASCII "
                                  "letters, digits and '-', not starting or ending with '-', separated by dots).");
        }
    }
    const auto p = parse_decimal(port, 65535);
    if (!p || *p == 0)
        throw InvalidArgument("The endpoint " + shown(text) + " has the port " + shown(port) +
                              "; expected a number from 1 to 65535 without sign or leading zeros.");
    e.host = std::string(host);
    e.port = static_cast<std::uint16_t>(*p);
    return e;
}

std::string to_string(const Endpoint& endpoint) {
    const std::string port = std::to_string(endpoint.port);
    if (endpoint.kind == Endpoint::Ipv6) return "[" + endpoint.host + "]:" + port;
    return endpoint.host + ":" + port;
}

Cidr allocate_from_pool(const Cidr& pool, const std::vector<Cidr>& taken) {
    if (pool.family != AF_INET)
        throw InvalidArgument("The pool " + to_string(pool) +
                              " is not an IPv4 network; only IPv4 pools are supported for now.");
    if (pool.prefix < 8 || pool.prefix > 30)
        throw InvalidArgument("The pool " + to_string(pool) +
                              " has a prefix outside /8 to /30; a pool needs room for the network, the server "
                              "side, at least one tunnel and the broadcast address.");
    if (!canonical(pool))
        throw InvalidArgument("The pool " + to_string(pool) + " has host bits set; did you mean " +
                              to_string(network_of(pool)) + "?");
    const std::uint32_t network = ipv4_value(pool);
    const std::uint32_t size = 1u << (32 - pool.prefix);
    const std::uint32_t first = network + 2;
    const std::uint32_t last = network + size - 2;
    // Walking the sorted taken addresses finds the first gap without
    // scanning a /8 address by address.
    std::vector<std::uint32_t> used;
    for (const Cidr& t : taken) {
        if (t.family != AF_INET) continue;
        const std::uint32_t v = ipv4_value(t);
        if (v >= first && v <= last) used.push_back(v);
    }
    std::sort(used.begin(), used.end());
    std::uint32_t candidate = first;
    for (std::uint32_t v : used) {
        if (v == candidate) ++candidate;
        else if (v > candidate) break;
    }
    if (candidate > last) {
        const std::uint32_t count = last - first + 1;
        const std::string range = count == 1 ? address_string(ipv4_cidr(first, 32))
                                             : address_string(ipv4_cidr(first, 32)) + " to " +
                                                   address_string(ipv4_cidr(last, 32));
        throw PoolExhausted("The pool " + to_string(pool) + " is full: " +
                            (count == 1 ? "the 1 address it has for tunnels (" + range + ") is taken"
                                        : "all " + std::to_string(count) + " addresses it has for tunnels (" +
                                              range + ") are taken") +
                            "; remove a tunnel or set a larger pool.");
    }
    return ipv4_cidr(candidate, 32);
}

}  // namespace subu::wg
