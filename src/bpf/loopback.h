// Loopback for sockets pinned to a tunnel: local routes for 127/8 and ::1 over the tunnel device.
#pragma once
#include <cstdint>
#include <string>

namespace subu::bpf {

// A socket bound to the tunnel only finds routes through the tunnel, and the
// kernel lets no unprivileged process rebind it to lo. So inside the subu's
// namespace, 127.0.0.0/8 and ::1 are also local over the tunnel device (table
// local, metric 10, beside lo's own routes), and IPv6 may bind ::1 on it
// (net.ipv6.ip_nonlocal_bind=1). Idempotent; the routes go with the device.
// IPv6 loopback then needs an IPv6 address on the tunnel (a source address
// for ::1); IPv4 needs nothing more.
void route_loopback_over(const std::string& netns_path, std::uint32_t ifindex);

}  // namespace subu::bpf
