// WireGuard generic netlink messages: SET_DEVICE built and decoded, GET_DEVICE requested and its dump merged.
#include "wg/genl.h"

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include <array>
#include <cstring>
#include <new>

#include "core/errors.h"

namespace subu::wg {

void NlMsgDeleter::operator()(nl_msg* msg) const noexcept {
    if (!msg) return;
    wipe(nlmsg_hdr(msg), nlmsg_get_max_size(msg));
    nlmsg_free(msg);
}

std::vector<std::uint8_t> message_bytes(const NlMsg& msg) {
    const nlmsghdr* hdr = nlmsg_hdr(msg.get());
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(hdr);
    return {bytes, bytes + hdr->nlmsg_len};
}

namespace {

// ---- building -------------------------------------------------------------

// The buffer is sized from the configuration up front, so running out of
// room means this file has a bug, not that the input was too big.
[[noreturn]] void message_too_small() {
    throw Failed("The WireGuard netlink message outgrew its buffer (a bug in subu)");
}

void put(nl_msg* msg, int type, const void* data, std::size_t size) {
    if (nla_put(msg, type, static_cast<int>(size), data) < 0) message_too_small();
}
template <class T>
void put_value(nl_msg* msg, int type, T value) {
    put(msg, type, &value, sizeof value);
}
nlattr* nest(nl_msg* msg, int type) {
    // libnl 3.7 sets NLA_F_NESTED itself; older ones did not, and the kernel
    // refuses a nest without it.
    nlattr* start = nla_nest_start(msg, type | NLA_F_NESTED);
    if (!start) message_too_small();
    return start;
}
void end(nl_msg* msg, nlattr* start) {
    if (nla_nest_end(msg, start) < 0) message_too_small();
}

NlMsg alloc(std::size_t payload) {
    NlMsg msg(nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN + payload + 64));
    if (!msg) throw std::bad_alloc();
    return msg;
}

std::size_t set_device_payload(const DeviceConfig& config) {
    auto attr = [](std::size_t payload) { return static_cast<std::size_t>(nla_total_size(static_cast<int>(payload))); };
    std::size_t size = attr(IFNAMSIZ) + attr(WG_KEY_LEN) + attr(2) + attr(4) + attr(0);
    for (const PeerConfig& peer : config.peers) {
        size += attr(0) + 2 * attr(WG_KEY_LEN) + attr(4) + attr(sizeof(sockaddr_in6)) + attr(2) + attr(0);
        size += peer.allowed_ips.size() * (attr(0) + attr(2) + attr(16) + attr(1));
    }
    return size;
}

void put_endpoint(nl_msg* msg, const PeerEndpoint& endpoint) {
    if (endpoint.family == AF_INET) {
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_port = htons(endpoint.port);
        std::memcpy(&sin.sin_addr, endpoint.addr.data(), 4);
        put(msg, WGPEER_A_ENDPOINT, &sin, sizeof sin);
    } else {
        sockaddr_in6 sin6{};
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(endpoint.port);
        std::memcpy(&sin6.sin6_addr, endpoint.addr.data(), 16);
        put(msg, WGPEER_A_ENDPOINT, &sin6, sizeof sin6);
    }
}

void put_peer(nl_msg* msg, const PeerConfig& peer) {
    nlattr* item = nest(msg, 0);
    put(msg, WGPEER_A_PUBLIC_KEY, peer.public_key.data(), WG_KEY_LEN);
    if (peer.preshared_key) put(msg, WGPEER_A_PRESHARED_KEY, peer.preshared_key->data(), WG_KEY_LEN);
    put_value<std::uint32_t>(msg, WGPEER_A_FLAGS, WGPEER_F_REPLACE_ALLOWEDIPS);
    if (peer.endpoint) put_endpoint(msg, *peer.endpoint);
    put_value<std::uint16_t>(msg, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, peer.persistent_keepalive);
    nlattr* ips = nest(msg, WGPEER_A_ALLOWEDIPS);
    for (const AllowedIp& ip : peer.allowed_ips) {
        nlattr* entry = nest(msg, 0);
        put_value<std::uint16_t>(msg, WGALLOWEDIP_A_FAMILY, static_cast<std::uint16_t>(ip.family));
        put(msg, WGALLOWEDIP_A_IPADDR, ip.addr.data(), address_size(ip.family));
        put_value<std::uint8_t>(msg, WGALLOWEDIP_A_CIDR_MASK, ip.prefix);
        end(msg, entry);
    }
    end(msg, ips);
    end(msg, item);
}

// ---- reading --------------------------------------------------------------

// The bytes copied where nlmsghdr and nlattr may be read without misaligned
// access, and wiped afterwards: a SET_DEVICE or GET_DEVICE reply holds keys.
class AlignedCopy {
public:
    explicit AlignedCopy(std::span<const std::uint8_t> bytes)
        : words_((bytes.size() + sizeof(std::uint64_t) - 1) / sizeof(std::uint64_t)), size_(bytes.size()) {
        if (!bytes.empty()) std::memcpy(words_.data(), bytes.data(), bytes.size());
    }
    ~AlignedCopy() { wipe(words_.data(), words_.size() * sizeof(std::uint64_t)); }
    AlignedCopy(const AlignedCopy&) = delete;
    AlignedCopy& operator=(const AlignedCopy&) = delete;
    nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(words_.data()); }
    std::size_t size() const { return size_; }

private:
    std::vector<std::uint64_t> words_;
    std::size_t size_;
};

[[noreturn]] void malformed(const std::string& what) {
    throw InvalidArgument("Malformed WireGuard netlink message: " + what);
}

// Checks the header and generic netlink header of one message and returns it.
nlmsghdr* checked_message(AlignedCopy& copy, std::uint8_t expected_cmd) {
    if (copy.size() < NLMSG_HDRLEN + GENL_HDRLEN) malformed("shorter than its headers");
    nlmsghdr* hdr = copy.header();
    if (hdr->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) malformed("its length field is shorter than its headers");
    if (hdr->nlmsg_len > copy.size()) malformed("cut short (it says it has more bytes than it has)");
    if (copy.size() - hdr->nlmsg_len >= NLMSG_ALIGNTO) malformed("trailing bytes after the message");
    const auto* genl = static_cast<const genlmsghdr*>(nlmsg_data(hdr));
    if (genl->cmd != expected_cmd)
        malformed("command " + std::to_string(genl->cmd) + " where " + std::to_string(expected_cmd) + " was expected");
    if (genl->version != WG_GENL_VERSION) malformed("version " + std::to_string(genl->version));
    return hdr;
}

// nla_parse with the policy, after walking the stream ourselves: libnl
// quietly stops at an attribute that runs past its parent, the kernel
// refuses the message, and so do we.
template <std::size_t N>
void parse(std::array<nlattr*, N>& tb, nlattr* head, int len, const std::array<nla_policy, N>& policy,
           const char* where) {
    if (len < 0) malformed(std::string("negative length in ") + where);
    nlattr* pos = nullptr;
    int rem = 0;
    nla_for_each_attr(pos, head, len, rem) {}
    if (rem > 0) malformed(std::string("an attribute in ") + where + " is cut short or runs past its parent");
    int err = nla_parse(tb.data(), static_cast<int>(N - 1), head, len, policy.data());
    if (err < 0) malformed(std::string("an attribute in ") + where + " has the wrong size (" + nl_geterror(err) + ")");
}

// What the kernel demands of what it is sent (NLA_F_NESTED on every nest),
// or, for what a kernel sends, trust in the layout whatever the flag says.
enum class Nesting { Strict, Lenient };

template <std::size_t N>
void parse_nested(std::array<nlattr*, N>& tb, nlattr* nest, const std::array<nla_policy, N>& policy, const char* where,
                  Nesting nesting) {
    if (nesting == Nesting::Strict && !nla_is_nested(nest)) malformed(std::string(where) + " lacks NLA_F_NESTED");
    parse(tb, static_cast<nlattr*>(nla_data(nest)), nla_len(nest), policy, where);
}

// Every element of a nested list (peers, allowed IPs), checked as a list.
template <class Fn>
void for_each_item(nlattr* list, const char* where, Nesting nesting, Fn&& fn) {
    if (nesting == Nesting::Strict && !nla_is_nested(list)) malformed(std::string(where) + " lacks NLA_F_NESTED");
    nlattr* pos = nullptr;
    int rem = 0;
    nla_for_each_nested(pos, list, rem) { fn(pos); }
    if (rem > 0) malformed(std::string("an element of ") + where + " is cut short");
}

constexpr nla_policy exact(std::uint16_t type, std::uint16_t size) { return {type, size, size}; }

const std::array<nla_policy, WGDEVICE_A_MAX + 1>& device_policy() {
    static const auto policy = [] {
        std::array<nla_policy, WGDEVICE_A_MAX + 1> p{};
        p[WGDEVICE_A_IFINDEX] = exact(NLA_U32, 4);
        p[WGDEVICE_A_IFNAME] = {NLA_STRING, 1, IFNAMSIZ};
        p[WGDEVICE_A_PRIVATE_KEY] = exact(NLA_UNSPEC, WG_KEY_LEN);
        p[WGDEVICE_A_PUBLIC_KEY] = exact(NLA_UNSPEC, WG_KEY_LEN);
        p[WGDEVICE_A_FLAGS] = exact(NLA_U32, 4);
        p[WGDEVICE_A_LISTEN_PORT] = exact(NLA_U16, 2);
        p[WGDEVICE_A_FWMARK] = exact(NLA_U32, 4);
        p[WGDEVICE_A_PEERS] = {NLA_NESTED, 0, 0};
        return p;
    }();
    return policy;
}

const std::array<nla_policy, WGPEER_A_MAX + 1>& peer_policy() {
    static const auto policy = [] {
        std::array<nla_policy, WGPEER_A_MAX + 1> p{};
        p[WGPEER_A_PUBLIC_KEY] = exact(NLA_UNSPEC, WG_KEY_LEN);
        p[WGPEER_A_PRESHARED_KEY] = exact(NLA_UNSPEC, WG_KEY_LEN);
        p[WGPEER_A_FLAGS] = exact(NLA_U32, 4);
        p[WGPEER_A_ENDPOINT] = {NLA_UNSPEC, sizeof(sockaddr_in), sizeof(sockaddr_in6)};
        p[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL] = exact(NLA_U16, 2);
        p[WGPEER_A_LAST_HANDSHAKE_TIME] = exact(NLA_UNSPEC, sizeof(__kernel_timespec));
        p[WGPEER_A_RX_BYTES] = exact(NLA_U64, 8);
        p[WGPEER_A_TX_BYTES] = exact(NLA_U64, 8);
        p[WGPEER_A_ALLOWEDIPS] = {NLA_NESTED, 0, 0};
        p[WGPEER_A_PROTOCOL_VERSION] = exact(NLA_U32, 4);
        return p;
    }();
    return policy;
}

const std::array<nla_policy, WGALLOWEDIP_A_MAX + 1>& allowedip_policy() {
    static const auto policy = [] {
        std::array<nla_policy, WGALLOWEDIP_A_MAX + 1> p{};
        p[WGALLOWEDIP_A_FAMILY] = exact(NLA_U16, 2);
        p[WGALLOWEDIP_A_IPADDR] = {NLA_UNSPEC, 4, 16};
        p[WGALLOWEDIP_A_CIDR_MASK] = exact(NLA_U8, 1);
        return p;
    }();
    return policy;
}

KeyBytes key_of(const nlattr* attr) {
    KeyBytes key{};
    std::memcpy(key.data(), nla_data(attr), key.size());
    return key;
}

bool all_zero(const KeyBytes& key) {
    std::uint8_t any = 0;
    for (std::uint8_t b : key) any |= b;
    return any == 0;
}

PeerEndpoint endpoint_of(const nlattr* attr) {
    PeerEndpoint endpoint;
    const int len = nla_len(attr);
    sa_family_t family = 0;
    std::memcpy(&family, nla_data(attr), sizeof family);
    if (family == AF_INET && len == sizeof(sockaddr_in)) {
        sockaddr_in sin{};
        std::memcpy(&sin, nla_data(attr), sizeof sin);
        endpoint.family = AF_INET;
        std::memcpy(endpoint.addr.data(), &sin.sin_addr, 4);
        endpoint.port = ntohs(sin.sin_port);
    } else if (family == AF_INET6 && len == sizeof(sockaddr_in6)) {
        sockaddr_in6 sin6{};
        std::memcpy(&sin6, nla_data(attr), sizeof sin6);
        endpoint.family = AF_INET6;
        std::memcpy(endpoint.addr.data(), &sin6.sin6_addr, 16);
        endpoint.port = ntohs(sin6.sin6_port);
    } else {
        malformed("a peer endpoint is neither a sockaddr_in nor a sockaddr_in6");
    }
    return endpoint;
}

std::vector<AllowedIp> allowed_ips_of(nlattr* list, Nesting nesting) {
    std::vector<AllowedIp> ips;
    for_each_item(list, "the allowed IPs", nesting, [&](nlattr* item) {
        std::array<nlattr*, WGALLOWEDIP_A_MAX + 1> tb{};
        parse_nested(tb, item, allowedip_policy(), "an allowed IP", nesting);
        if (!tb[WGALLOWEDIP_A_FAMILY] || !tb[WGALLOWEDIP_A_IPADDR] || !tb[WGALLOWEDIP_A_CIDR_MASK])
            malformed("an allowed IP lacks its family, address or mask");
        AllowedIp ip;
        ip.family = nla_get_u16(tb[WGALLOWEDIP_A_FAMILY]);
        const std::size_t size = address_size(ip.family);
        if (!size) malformed("an allowed IP of family " + std::to_string(ip.family));
        if (static_cast<std::size_t>(nla_len(tb[WGALLOWEDIP_A_IPADDR])) != size)
            malformed("an allowed IP whose address does not fit its family");
        std::memcpy(ip.addr.data(), nla_data(tb[WGALLOWEDIP_A_IPADDR]), size);
        ip.prefix = nla_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK]);
        if (ip.prefix > size * 8) malformed("an allowed IP with mask /" + std::to_string(ip.prefix));
        ips.push_back(ip);
    });
    return ips;
}

std::string ifname_of(const nlattr* attr) {
    // The policy made sure the string ends in NUL within its attribute.
    std::string name(static_cast<const char*>(nla_data(attr)));
    if (name.empty()) malformed("an empty interface name");
    return name;
}

}  // namespace

NlMsg make_set_device(const DeviceConfig& config, int family_id) {
    validate(config);
    const std::size_t payload = set_device_payload(config);
    // One attribute holds at most 64 KiB, and WGDEVICE_A_PEERS holds them all.
    // linux/wireguard.h allows splitting a configuration over several
    // messages; a subu's (a peer or two) never comes near needing it.
    if (payload > 60000)
        throw InvalidArgument("The configuration of " + config.ifname +
                              " has too many peers or allowed IPs for one netlink message");
    NlMsg msg = alloc(payload);
    nl_msg* m = msg.get();
    if (!genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family_id, 0, NLM_F_REQUEST | NLM_F_ACK, WG_CMD_SET_DEVICE,
                     WG_GENL_VERSION))
        message_too_small();
    put(m, WGDEVICE_A_IFNAME, config.ifname.c_str(), config.ifname.size() + 1);
    put(m, WGDEVICE_A_PRIVATE_KEY, config.private_key.data(), WG_KEY_LEN);
    if (config.listen_port) put_value<std::uint16_t>(m, WGDEVICE_A_LISTEN_PORT, config.listen_port);
    put_value<std::uint32_t>(m, WGDEVICE_A_FLAGS, config.replace_peers ? std::uint32_t{WGDEVICE_F_REPLACE_PEERS} : 0u);
    if (!config.peers.empty()) {
        nlattr* peers = nest(m, WGDEVICE_A_PEERS);
        for (const PeerConfig& peer : config.peers) put_peer(m, peer);
        end(m, peers);
    }
    return msg;
}

std::vector<std::uint8_t> build_set_device(const DeviceConfig& config, int family_id) {
    return message_bytes(make_set_device(config, family_id));
}

DeviceConfig decode_set_device(std::span<const std::uint8_t> message) {
    AlignedCopy copy(message);
    nlmsghdr* hdr = checked_message(copy, WG_CMD_SET_DEVICE);
    std::array<nlattr*, WGDEVICE_A_MAX + 1> tb{};
    const auto* genl = static_cast<const genlmsghdr*>(nlmsg_data(hdr));
    parse(tb, genlmsg_attrdata(genl, 0), genlmsg_attrlen(genl, 0), device_policy(), "the device");

    DeviceConfig config;
    if (!tb[WGDEVICE_A_IFNAME]) malformed("no interface name (subu never addresses interfaces by index)");
    config.ifname = ifname_of(tb[WGDEVICE_A_IFNAME]);
    if (!tb[WGDEVICE_A_PRIVATE_KEY]) malformed("no private key");
    config.private_key = key_of(tb[WGDEVICE_A_PRIVATE_KEY]);
    if (tb[WGDEVICE_A_LISTEN_PORT]) config.listen_port = nla_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
    std::uint32_t flags = tb[WGDEVICE_A_FLAGS] ? nla_get_u32(tb[WGDEVICE_A_FLAGS]) : 0;
    if (flags & ~static_cast<std::uint32_t>(__WGDEVICE_F_ALL)) malformed("unknown device flags");
    config.replace_peers = (flags & WGDEVICE_F_REPLACE_PEERS) != 0;

    if (tb[WGDEVICE_A_PEERS]) {
        for_each_item(tb[WGDEVICE_A_PEERS], "the peers", Nesting::Strict, [&](nlattr* item) {
            std::array<nlattr*, WGPEER_A_MAX + 1> pt{};
            parse_nested(pt, item, peer_policy(), "a peer", Nesting::Strict);
            if (!pt[WGPEER_A_PUBLIC_KEY]) malformed("a peer without a public key");
            std::uint32_t peer_flags = pt[WGPEER_A_FLAGS] ? nla_get_u32(pt[WGPEER_A_FLAGS]) : 0;
            if (peer_flags & ~static_cast<std::uint32_t>(__WGPEER_F_ALL)) malformed("unknown peer flags");
            if (peer_flags & (WGPEER_F_REMOVE_ME | WGPEER_F_UPDATE_ONLY))
                malformed("peer flags REMOVE_ME or UPDATE_ONLY, which a configuration cannot express");
            PeerConfig peer;
            peer.public_key = key_of(pt[WGPEER_A_PUBLIC_KEY]);
            if (pt[WGPEER_A_PRESHARED_KEY]) peer.preshared_key = key_of(pt[WGPEER_A_PRESHARED_KEY]);
            if (pt[WGPEER_A_ENDPOINT]) peer.endpoint = endpoint_of(pt[WGPEER_A_ENDPOINT]);
            if (pt[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL])
                peer.persistent_keepalive = nla_get_u16(pt[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
            if (pt[WGPEER_A_ALLOWEDIPS]) peer.allowed_ips = allowed_ips_of(pt[WGPEER_A_ALLOWEDIPS], Nesting::Strict);
            config.peers.push_back(std::move(peer));
        });
    }
    return config;
}

NlMsg make_get_device(const std::string& ifname, int family_id) {
    validate_ifname(ifname);
    NlMsg msg = alloc(static_cast<std::size_t>(nla_total_size(IFNAMSIZ)));
    if (!genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_id, 0, NLM_F_REQUEST | NLM_F_DUMP, WG_CMD_GET_DEVICE,
                     WG_GENL_VERSION))
        message_too_small();
    put(msg.get(), WGDEVICE_A_IFNAME, ifname.c_str(), ifname.size() + 1);
    return msg;
}

void merge_get_device_reply(std::span<const std::uint8_t> message, DeviceStatus& status) {
    AlignedCopy copy(message);
    nlmsghdr* hdr = checked_message(copy, WG_CMD_GET_DEVICE);
    const auto* genl = static_cast<const genlmsghdr*>(nlmsg_data(hdr));
    std::array<nlattr*, WGDEVICE_A_MAX + 1> tb{};
    parse(tb, genlmsg_attrdata(genl, 0), genlmsg_attrlen(genl, 0), device_policy(), "the device");

    if (tb[WGDEVICE_A_IFNAME]) status.ifname = ifname_of(tb[WGDEVICE_A_IFNAME]);
    if (tb[WGDEVICE_A_PRIVATE_KEY]) status.has_private_key = true;
    if (tb[WGDEVICE_A_PUBLIC_KEY]) status.public_key = key_of(tb[WGDEVICE_A_PUBLIC_KEY]);
    if (tb[WGDEVICE_A_LISTEN_PORT]) status.listen_port = nla_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
    if (tb[WGDEVICE_A_FWMARK]) status.fwmark = nla_get_u32(tb[WGDEVICE_A_FWMARK]);
    if (!tb[WGDEVICE_A_PEERS]) return;

    for_each_item(tb[WGDEVICE_A_PEERS], "the peers", Nesting::Lenient, [&](nlattr* item) {
        std::array<nlattr*, WGPEER_A_MAX + 1> pt{};
        parse_nested(pt, item, peer_policy(), "a peer", Nesting::Lenient);
        if (!pt[WGPEER_A_PUBLIC_KEY]) malformed("a peer without a public key");
        const KeyBytes key = key_of(pt[WGPEER_A_PUBLIC_KEY]);
        if (status.peers.empty() || status.peers.back().public_key != key) {
            status.peers.emplace_back();
            status.peers.back().public_key = key;
        }
        PeerStatus& peer = status.peers.back();
        if (pt[WGPEER_A_PRESHARED_KEY]) {
            // The kernel always sends one; all zeros means none is set.
            KeyBytes psk = key_of(pt[WGPEER_A_PRESHARED_KEY]);
            peer.has_preshared_key = !all_zero(psk);
            wipe(psk.data(), psk.size());
        }
        if (pt[WGPEER_A_ENDPOINT]) peer.endpoint = endpoint_of(pt[WGPEER_A_ENDPOINT]);
        if (pt[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL])
            peer.persistent_keepalive = nla_get_u16(pt[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
        if (pt[WGPEER_A_LAST_HANDSHAKE_TIME]) {
            __kernel_timespec ts{};
            std::memcpy(&ts, nla_data(pt[WGPEER_A_LAST_HANDSHAKE_TIME]), sizeof ts);
            peer.last_handshake_sec = ts.tv_sec;
            peer.last_handshake_nsec = ts.tv_nsec;
        }
        if (pt[WGPEER_A_RX_BYTES]) peer.rx_bytes = nla_get_u64(pt[WGPEER_A_RX_BYTES]);
        if (pt[WGPEER_A_TX_BYTES]) peer.tx_bytes = nla_get_u64(pt[WGPEER_A_TX_BYTES]);
        if (pt[WGPEER_A_ALLOWEDIPS]) {
            std::vector<AllowedIp> more = allowed_ips_of(pt[WGPEER_A_ALLOWEDIPS], Nesting::Lenient);
            peer.allowed_ips.insert(peer.allowed_ips.end(), more.begin(), more.end());
        }
    });
}

}  // namespace subu::wg
