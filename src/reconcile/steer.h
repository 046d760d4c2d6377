// What the steering map should hold for a subu: its options and its tunnel (pure).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "bpf/steering.h"
#include "store/store.h"

namespace subu::reconcile {

// The tunnel interface of an attached WireGuard: "subu_<N>" for WG_N.
std::string tunnel_name(const store::WgRow& wg);

// The peer local_forwarding sends loopback to: the tunnel's first DNS address
// of each family (in a wg-quick setup the server's own address inside the
// tunnel). None when the tunnel names no DNS server.
bpf::Peer forwarding_peer(const store::WgRow& wg);

// The entry for a subu with `options` (as set; unset ones take their
// defaults) whose tunnel, if any, has index `ifindex` in its namespace (0:
// absent or down, so the subu fails closed).
bpf::Entry desired_steering(const std::map<std::string, std::string>& options, const std::optional<store::WgRow>& wg,
                            std::uint32_t ifindex);

}  // namespace subu::reconcile
