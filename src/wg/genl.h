// The kernel backend's generic netlink messages (linux/wireguard.h), built and read with libnl-genl-3.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "wg/device.h"

struct nl_msg;

namespace subu::wg {

// An owned libnl message. The deleter overwrites the buffer before freeing
// it, because a SET_DEVICE message carries the private key.
struct NlMsgDeleter {
    void operator()(nl_msg* msg) const noexcept;
};
using NlMsg = std::unique_ptr<nl_msg, NlMsgDeleter>;

// The message's bytes (nlmsghdr through its last attribute).
std::vector<std::uint8_t> message_bytes(const NlMsg& msg);

// WG_CMD_SET_DEVICE for `config` (validated first), addressed to the
// generic netlink family `family_id`, with NLM_F_REQUEST | NLM_F_ACK.
// Every nest carries NLA_F_NESTED: the kernel parses peers and allowed IPs
// strictly and refuses nests without it. listen_port 0 is left out (the
// interface keeps its port); the private key and every peer's keepalive are
// always sent. Peers are sent with WGPEER_F_REPLACE_ALLOWEDIPS.
NlMsg make_set_device(const DeviceConfig& config, int family_id);
// The same, copied out. The bytes hold the private key: wipe() them after use.
std::vector<std::uint8_t> build_set_device(const DeviceConfig& config, int family_id);

// Reads a message built by build_set_device (or by anyone following
// linux/wireguard.h) back. Throws InvalidArgument on anything malformed:
// short or overlong buffer, wrong command or version, attributes that run
// past their parent, nests without NLA_F_NESTED, wrong lengths, families or
// prefixes, peer flags subu never sends (REMOVE_ME, UPDATE_ONLY).
DeviceConfig decode_set_device(std::span<const std::uint8_t> message);

// WG_CMD_GET_DEVICE for the interface `ifname`: NLM_F_REQUEST | NLM_F_DUMP,
// as the kernel insists.
NlMsg make_get_device(const std::string& ifname, int family_id);

// Adds one reply of a GET_DEVICE dump to `status`. The kernel splits a
// large device over several messages and repeats a peer's public key when
// its allowed IPs continue, so a peer equal to the last one is merged into
// it. Keys other than public ones are not kept. Throws InvalidArgument on a
// malformed message.
void merge_get_device_reply(std::span<const std::uint8_t> message, DeviceStatus& status);

}  // namespace subu::wg
