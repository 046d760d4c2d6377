// The steering entry a subu should have, from its options and tunnel.
#include "reconcile/steer.h"

#include <arpa/inet.h>

#include "core/text.h"
#include "options/options.h"
#include "tunnel/tunnel.h"

namespace subu::reconcile {

std::string tunnel_name(const store::WgRow& wg) { return tunnel::interface_name(wg.num); }

bpf::Peer forwarding_peer(const store::WgRow& wg) {
    bpf::Peer peer;
    for (auto view : split_list(wg.dns)) {
        const std::string item(view);
        in_addr a{};
        in6_addr a6{};
        if (!peer.v4 && inet_pton(AF_INET, item.c_str(), &a) == 1) peer.v4 = a;
        else if (!peer.v6 && inet_pton(AF_INET6, item.c_str(), &a6) == 1) peer.v6 = a6;
    }
    return peer;
}

bpf::Entry desired_steering(const std::map<std::string, std::string>& options, const std::optional<store::WgRow>& wg,
                            std::uint32_t ifindex) {
    const auto all = options::effective(options);
    bpf::Entry e;
    e.enabled = all.at("steer_enabled") == "on";
    e.local_forwarding = all.at("local_forwarding") == "on";
    e.ifindex = wg ? ifindex : 0;
    if (wg) e.peer = forwarding_peer(*wg);
    return e;
}

}  // namespace subu::reconcile
