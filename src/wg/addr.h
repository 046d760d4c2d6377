// Addresses, networks and endpoints of WireGuard tunnels, parsed strictly, and the tunnel address pool.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.h"

namespace subu::wg {

// An address with a prefix length: a network ("10.8.0.0/16") or an
// interface address ("10.8.0.2/24", host bits kept).
struct Cidr {
    int family = 0;                        // AF_INET or AF_INET6
    std::array<std::uint8_t, 16> addr{};   // network byte order; IPv4 uses the first 4 bytes, the rest zero
    unsigned prefix = 0;                   // 0..32 or 0..128
    friend bool operator==(const Cidr&, const Cidr&) = default;
};

// "a.b.c.d/n" (four decimal numbers 0..255 without leading zeros, n 0..32) or
// "x:y::z/n" (n 0..128); the prefix is required, and nothing else: no spaces,
// no zone ("%eth0"). Throws InvalidArgument.
Cidr parse_cidr(std::string_view text);
// A bare address (taken as /32 or /128) or a CIDR, as wg-quick's Address= and
// AllowedIPs= carry them. Throws InvalidArgument.
Cidr parse_address(std::string_view text);
// "10.8.0.2/32", "fd00::1/64" (IPv6 in the RFC 5952 form inet_ntop gives).
std::string to_string(const Cidr& cidr);
// True when the host bits are zero: a network, as a pool must be.
bool canonical(const Cidr& cidr);
// The network `cidr` lies in: its host bits cleared ("10.8.0.2/24" -> "10.8.0.0/24").
Cidr network_of(const Cidr& cidr);

// A name a resolver could look up: labels of 1..63 ASCII letters, digits and
// '-' (not first or last), at most 253 characters, one trailing dot allowed,
// and a last label that is not all digits (so "1.2.3" is not a name).
bool valid_dns_name(std::string_view text);

// Where a peer is reached: "198.51.100.7:51820", "[2001:db8::7]:51820" or
// "vpn.example.com:51820". `host` is the text without brackets.
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    enum Kind { Ipv4, Ipv6, Name } kind = Name;
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// host:port with port 1..65535 in decimal (no sign, no leading zeros); an
// IPv6 host needs brackets, since "::1:51820" reads two ways. Throws InvalidArgument.
Endpoint parse_endpoint(std::string_view text);
// The form parse_endpoint reads; IPv6 hosts in brackets.
std::string to_string(const Endpoint& endpoint);

// No address of a pool is free. Busy: it may succeed once a tunnel is removed.
struct PoolExhausted : Error {
    explicit PoolExhausted(const std::string& m) : Error(Kind::Busy, m) {}
};

// The first free /32 of an IPv4 pool, from network+2 on: the network address,
// network+1 (the server side, by convention) and the broadcast address are
// never handed out. `taken` lists addresses in use; only the address of each
// entry counts (its prefix is ignored, so "10.8.0.2/24" takes 10.8.0.2), and
// entries outside the pool or of IPv6 are ignored. The pool must be canonical
// with a prefix from /8 to /30, else InvalidArgument; PoolExhausted when full.
Cidr allocate_from_pool(const Cidr& pool, const std::vector<Cidr>& taken);

}  // namespace subu::wg
