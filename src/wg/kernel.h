// The kernel WireGuard backend: links made over rtnetlink, configured and read over generic netlink.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "wg/device.h"
#include "wg/genl.h"

namespace subu::wg {

// RTM_NEWLINK (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK) for a "wireguard" link
// named `ifname` with `mtu` (0: the kernel's default), created directly in
// the namespace `netns_fd` by IFLA_NET_NS_FD. The creating socket's namespace
// keeps the link's UDP socket. NLM_F_EXCL matters: without it an existing
// host link of that name would be modified instead.
NlMsg make_new_link(const std::string& ifname, int netns_fd, unsigned mtu);
std::vector<std::uint8_t> build_new_link(const std::string& ifname, int netns_fd, unsigned mtu);

// RTM_SETLINK moving the link `ifname` of the caller's namespace into
// `netns_fd`, under the same name.
NlMsg make_move_link(const std::string& ifname, int netns_fd);
std::vector<std::uint8_t> build_move_link(const std::string& ifname, int netns_fd);

// Moves a link of the caller's namespace into another. The wireguard-go
// backend needs it: wireguard-go looks its TUN up by name in its own
// namespace when it starts, so the TUN is made on the host and moved after.
void move_link_to_namespace(const std::string& ifname, int netns_fd);

class KernelWireGuard {
public:
    // Whether the running kernel has the "wireguard" generic netlink family
    // (asking may load wireguard.ko). False on a kernel without WireGuard.
    static bool available();

    // Makes the WireGuard link `ifname` inside the namespace `netns_fd` from
    // the caller's namespace, so the interface lives inside and its UDP
    // socket outside. Returns true if it made it, false if a WireGuard link of
    // that name is already there. Throws Exists if something else holds the
    // name, and a system_error with EOPNOTSUPP, saying the kernel has no
    // WireGuard, where it has none.
    static bool create_link_in_namespace(const std::string& ifname, int netns_fd, unsigned mtu);

    // A backend for links living in the namespace at `netns_path`
    // (/run/netns/ns-subu_N).
    explicit KernelWireGuard(std::string netns_path);

    // create_link_in_namespace into this backend's namespace.
    bool create_link(const std::string& ifname, unsigned mtu);
    // WG_CMD_SET_DEVICE sent from inside the namespace, where the link is
    // found by name.
    void configure(const DeviceConfig& config);
    // WG_CMD_GET_DEVICE, likewise from inside.
    DeviceStatus status(const std::string& ifname);

private:
    std::string netns_path_;
};

}  // namespace subu::wg
