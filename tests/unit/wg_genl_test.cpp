// The kernel backend's generic netlink messages: SET_DEVICE round trips, raw facts, damaged input, GET_DEVICE replies.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "support/wg_fixtures.h"
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <cstring>
#include <functional>

#include "core/errors.h"
#include "wg/genl.h"

using namespace subu::wg;
using subu::InvalidArgument;

using subu::samples::addr;
using subu::samples::ip4;
using subu::samples::ip6;
using subu::samples::ep4;
using subu::samples::ep6;
using subu::samples::key;

namespace {

constexpr int kFamily = 0x1b;  // any id the controller could have handed out




// Three peers: v4 endpoint with a preshared key, v6 endpoint without,
// and one with neither endpoint nor allowed IPs.
DeviceConfig full_config() {
    DeviceConfig config;
    config.ifname = "subu_WG_1";
    config.private_key = key(1);
    config.listen_port = 51821;

    PeerConfig a;
    a.public_key = key(40);
    a.preshared_key = key(80);
    a.endpoint = ep4("192.0.2.7", 51820);
    a.allowed_ips = {ip4("0.0.0.0", 0), ip6("::", 0), ip4("10.0.0.0", 8), ip4("10.8.0.2", 32)};
    a.persistent_keepalive = 25;

    PeerConfig b;
    b.public_key = key(120);
    b.endpoint = ep6("2001:db8::1", 443);
    b.allowed_ips = {ip6("fd00:1::", 64), ip4("192.168.1.0", 24), ip6("2001:db8::5", 128)};

    PeerConfig c;
    c.public_key = key(200);

    config.peers = {a, b, c};
    return config;
}

// The top-level attributes of a message made by build_*.
struct Parsed {
    std::vector<std::uint8_t> bytes;
    nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(bytes.data()); }
    genlmsghdr* genl() { return static_cast<genlmsghdr*>(nlmsg_data(hdr())); }
    nlattr* find(int type) { return nla_find(genlmsg_attrdata(genl(), 0), genlmsg_attrlen(genl(), 0), type); }
};

// The n-th element of a nested list.
nlattr* item(nlattr* list, int n) {
    nlattr* pos = nullptr;
    int rem = 0;
    nla_for_each_nested(pos, list, rem) {
        if (n-- == 0) return pos;
    }
    return nullptr;
}

nlattr* child(nlattr* nest, int type) { return nla_find(static_cast<nlattr*>(nla_data(nest)), nla_len(nest), type); }

// A message for tests to assemble freely.
NlMsg message(std::uint8_t cmd, int flags = NLM_F_REQUEST) {
    NlMsg msg(nlmsg_alloc_size(8192));
    genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, kFamily, 0, flags, cmd, WG_GENL_VERSION);
    return msg;
}

// Decoding may refuse damaged input, but only with InvalidArgument.
void decode_or_refuse(const std::vector<std::uint8_t>& bytes, const std::string& what) {
    try {
        decode_set_device(bytes);
    } catch (const InvalidArgument&) {
    } catch (const std::exception& e) {
        ADD_FAILURE() << what << ": " << e.what();
    }
}

}  // namespace

TEST(AGenlSetDeviceMessage, DecodesBackToTheConfigItWasBuiltFrom) {
    const DeviceConfig config = full_config();
    const DeviceConfig back = decode_set_device(build_set_device(config, kFamily));
    EXPECT_EQ(back.ifname, "subu_WG_1");
    EXPECT_EQ(back.private_key, key(1));
    EXPECT_EQ(back.listen_port, 51821);
    EXPECT_TRUE(back.replace_peers);
    ASSERT_EQ(back.peers.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        SCOPED_TRACE("peer " + std::to_string(i));
        const PeerConfig& want = config.peers[i];
        const PeerConfig& got = back.peers[i];
        EXPECT_EQ(got.public_key, want.public_key);
        EXPECT_EQ(got.preshared_key, want.preshared_key);
        EXPECT_EQ(got.endpoint, want.endpoint);
        EXPECT_EQ(got.allowed_ips, want.allowed_ips);
        EXPECT_EQ(got.persistent_keepalive, want.persistent_keepalive);
    }
    EXPECT_EQ(back, config);
}

TEST(AGenlSetDeviceMessage, CarriesTheSetCommandAndVersionForTheGivenFamily) {
    Parsed m{build_set_device(full_config(), kFamily)};
    EXPECT_EQ(m.hdr()->nlmsg_len, m.bytes.size());
    EXPECT_EQ(m.hdr()->nlmsg_type, kFamily);
    EXPECT_EQ(m.hdr()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
    EXPECT_EQ(m.genl()->cmd, WG_CMD_SET_DEVICE);
    EXPECT_EQ(m.genl()->version, WG_GENL_VERSION);
}

TEST(AGenlSetDeviceMessage, HoldsThePrivateKeyInAThirtyTwoByteAttribute) {
    Parsed m{build_set_device(full_config(), kFamily)};
    nlattr* priv = m.find(WGDEVICE_A_PRIVATE_KEY);
    ASSERT_NE(priv, nullptr);
    ASSERT_EQ(nla_len(priv), 32);
    EXPECT_EQ(std::memcmp(nla_data(priv), key(1).data(), 32), 0);
    nlattr* name = m.find(WGDEVICE_A_IFNAME);
    ASSERT_NE(name, nullptr);
    EXPECT_STREQ(static_cast<const char*>(nla_data(name)), "subu_WG_1");
    EXPECT_EQ(m.find(WGDEVICE_A_IFINDEX), nullptr);
}

TEST(AGenlSetDeviceMessage, AsksToReplacePeersAndEachPeersAllowedIps) {
    Parsed m{build_set_device(full_config(), kFamily)};
    ASSERT_NE(m.find(WGDEVICE_A_FLAGS), nullptr);
    EXPECT_EQ(nla_get_u32(m.find(WGDEVICE_A_FLAGS)), WGDEVICE_F_REPLACE_PEERS);
    nlattr* peer = item(m.find(WGDEVICE_A_PEERS), 0);
    ASSERT_NE(peer, nullptr);
    ASSERT_NE(child(peer, WGPEER_A_FLAGS), nullptr);
    EXPECT_EQ(nla_get_u32(child(peer, WGPEER_A_FLAGS)), WGPEER_F_REPLACE_ALLOWEDIPS);
    EXPECT_EQ(nla_get_u16(child(peer, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL)), 25);
}

TEST(AGenlSetDeviceMessage, MarksEveryNestWithNlaFNestedAsTheKernelRequires) {
    Parsed m{build_set_device(full_config(), kFamily)};
    nlattr* peers = m.find(WGDEVICE_A_PEERS);
    ASSERT_NE(peers, nullptr);
    EXPECT_TRUE(nla_is_nested(peers));
    for (int p = 0; nlattr* peer = item(peers, p); ++p) {
        EXPECT_TRUE(nla_is_nested(peer)) << "peer " << p;
        // libnl drops an empty nest: a peer without allowed IPs has none.
        nlattr* ips = child(peer, WGPEER_A_ALLOWEDIPS);
        ASSERT_EQ(ips != nullptr, !full_config().peers[static_cast<std::size_t>(p)].allowed_ips.empty())
            << "peer " << p;
        if (!ips) continue;
        EXPECT_TRUE(nla_is_nested(ips));
        for (int i = 0; nlattr* ip = item(ips, i); ++i) EXPECT_TRUE(nla_is_nested(ip)) << "peer " << p << " ip " << i;
    }
}

TEST(AGenlSetDeviceMessage, SendsEndpointsAsSockaddrInAndSockaddrIn6) {
    Parsed m{build_set_device(full_config(), kFamily)};
    nlattr* v4 = child(item(m.find(WGDEVICE_A_PEERS), 0), WGPEER_A_ENDPOINT);
    ASSERT_NE(v4, nullptr);
    ASSERT_EQ(nla_len(v4), static_cast<int>(sizeof(sockaddr_in)));
    sockaddr_in sin{};
    std::memcpy(&sin, nla_data(v4), sizeof sin);
    EXPECT_EQ(sin.sin_family, AF_INET);
    EXPECT_EQ(sin.sin_port, htons(51820));
    EXPECT_EQ(sin.sin_addr.s_addr, inet_addr("192.0.2.7"));

    nlattr* v6 = child(item(m.find(WGDEVICE_A_PEERS), 1), WGPEER_A_ENDPOINT);
    ASSERT_NE(v6, nullptr);
    ASSERT_EQ(nla_len(v6), static_cast<int>(sizeof(sockaddr_in6)));
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, nla_data(v6), sizeof sin6);
    EXPECT_EQ(sin6.sin6_family, AF_INET6);
    EXPECT_EQ(sin6.sin6_port, htons(443));
    EXPECT_EQ(std::memcmp(&sin6.sin6_addr, addr(AF_INET6, "2001:db8::1").data(), 16), 0);

    EXPECT_EQ(child(item(m.find(WGDEVICE_A_PEERS), 2), WGPEER_A_ENDPOINT), nullptr);
}

TEST(AGenlSetDeviceMessage, SendsAllowedIpsAsFamilyAddressAndMask) {
    Parsed m{build_set_device(full_config(), kFamily)};
    nlattr* ips = child(item(m.find(WGDEVICE_A_PEERS), 1), WGPEER_A_ALLOWEDIPS);
    nlattr* first = item(ips, 0);
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(nla_get_u16(child(first, WGALLOWEDIP_A_FAMILY)), AF_INET6);
    EXPECT_EQ(nla_len(child(first, WGALLOWEDIP_A_IPADDR)), 16);
    EXPECT_EQ(nla_get_u8(child(first, WGALLOWEDIP_A_CIDR_MASK)), 64);
    nlattr* second = item(ips, 1);
    ASSERT_NE(second, nullptr);
    EXPECT_EQ(nla_get_u16(child(second, WGALLOWEDIP_A_FAMILY)), AF_INET);
    EXPECT_EQ(nla_len(child(second, WGALLOWEDIP_A_IPADDR)), 4);
    EXPECT_EQ(nla_get_u8(child(second, WGALLOWEDIP_A_CIDR_MASK)), 24);
}

TEST(AGenlSetDeviceMessage, SendsAPresharedKeyOnlyWhenThePeerHasOne) {
    Parsed m{build_set_device(full_config(), kFamily)};
    nlattr* with = child(item(m.find(WGDEVICE_A_PEERS), 0), WGPEER_A_PRESHARED_KEY);
    ASSERT_NE(with, nullptr);
    EXPECT_EQ(nla_len(with), 32);
    EXPECT_EQ(child(item(m.find(WGDEVICE_A_PEERS), 1), WGPEER_A_PRESHARED_KEY), nullptr);
}

TEST(AGenlSetDeviceMessage, LeavesOutAZeroListenPortSoTheInterfaceKeepsItsPort) {
    DeviceConfig config = full_config();
    config.listen_port = 0;
    Parsed m{build_set_device(config, kFamily)};
    EXPECT_EQ(m.find(WGDEVICE_A_LISTEN_PORT), nullptr);
    EXPECT_EQ(decode_set_device(m.bytes).listen_port, 0);
}

TEST(AGenlSetDeviceMessage, KeepsThePeersWhenNotAskedToReplaceThem) {
    DeviceConfig config = full_config();
    config.replace_peers = false;
    config.peers.clear();
    Parsed m{build_set_device(config, kFamily)};
    EXPECT_EQ(nla_get_u32(m.find(WGDEVICE_A_FLAGS)), 0u);
    EXPECT_EQ(m.find(WGDEVICE_A_PEERS), nullptr);
    EXPECT_EQ(decode_set_device(m.bytes), config);
}

TEST(AGenlSetDeviceMessage, RefusesAConfigNoBackendWouldAccept) {
    auto refused = [](const std::function<void(DeviceConfig&)>& spoil) {
        DeviceConfig config = full_config();
        spoil(config);
        EXPECT_THROW(build_set_device(config, kFamily), InvalidArgument);
    };
    refused([](DeviceConfig& c) { c.ifname = ""; });
    refused([](DeviceConfig& c) { c.ifname = "sixteen_chars_xx"; });
    refused([](DeviceConfig& c) { c.ifname = "a/b"; });
    refused([](DeviceConfig& c) { c.peers[0].allowed_ips[2].prefix = 33; });
    refused([](DeviceConfig& c) { c.peers[1].allowed_ips[0].prefix = 129; });
    refused([](DeviceConfig& c) { c.peers[0].allowed_ips[0].family = AF_UNIX; });
    refused([](DeviceConfig& c) { c.peers[0].endpoint->port = 0; });
    refused([](DeviceConfig& c) { c.peers[0].endpoint->family = 0; });
}

TEST(AGenlSetDeviceMessage, RefusesAConfigTooLargeForOneMessage) {
    DeviceConfig config = full_config();
    config.peers[0].allowed_ips.assign(2000, ip6("fd00::", 64));
    EXPECT_THROW(build_set_device(config, kFamily), InvalidArgument);
    config.peers[0].allowed_ips.resize(200);
    EXPECT_EQ(decode_set_device(build_set_device(config, kFamily)), config);
}

TEST(ADamagedGenlMessage, IsRefusedAtEveryTruncation) {
    const std::vector<std::uint8_t> whole = build_set_device(full_config(), kFamily);
    for (std::size_t size = 0; size < whole.size(); ++size) {
        std::vector<std::uint8_t> cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size));
        EXPECT_THROW(decode_set_device(cut), InvalidArgument) << "cut to " << size << " bytes";
    }
}

TEST(ADamagedGenlMessage, WhoseLengthFieldAgreesWithTheCutIsReadOrRefusedButNeverCrashes) {
    const std::vector<std::uint8_t> whole = build_set_device(full_config(), kFamily);
    for (std::size_t size = NLMSG_HDRLEN; size < whole.size(); ++size) {
        std::vector<std::uint8_t> cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size));
        reinterpret_cast<nlmsghdr*>(cut.data())->nlmsg_len = static_cast<std::uint32_t>(size);
        decode_or_refuse(cut, "cut to " + std::to_string(size));
    }
}

TEST(ADamagedGenlMessage, WithAnyByteSpoiledIsReadOrRefusedButNeverCrashes) {
    const std::vector<std::uint8_t> whole = build_set_device(full_config(), kFamily);
    for (std::size_t i = 0; i < whole.size(); ++i) {
        for (std::uint8_t value : {std::uint8_t{0x00}, std::uint8_t{0xff}, std::uint8_t{0x81}}) {
            std::vector<std::uint8_t> spoiled = whole;
            spoiled[i] = value;
            decode_or_refuse(spoiled, "byte " + std::to_string(i) + " = " + std::to_string(value));
        }
    }
}

TEST(ADamagedGenlMessage, IsRefusedWhenAPeerLacksNlaFNested) {
    std::vector<std::uint8_t> bytes = build_set_device(full_config(), kFamily);
    Parsed m{bytes};
    nlattr* peer = item(m.find(WGDEVICE_A_PEERS), 0);
    ASSERT_NE(peer, nullptr);
    peer->nla_type = static_cast<std::uint16_t>(peer->nla_type & ~NLA_F_NESTED);
    EXPECT_THROW(decode_set_device(m.bytes), InvalidArgument);
}

TEST(ADamagedGenlMessage, IsRefusedWhenPeerAttributesSitDirectlyInThePeerList) {
    NlMsg msg = message(WG_CMD_SET_DEVICE);
    nla_put_string(msg.get(), WGDEVICE_A_IFNAME, "wg0");
    nla_put(msg.get(), WGDEVICE_A_PRIVATE_KEY, 32, key(1).data());
    nlattr* peers = nla_nest_start(msg.get(), WGDEVICE_A_PEERS);
    nla_put(msg.get(), WGPEER_A_PUBLIC_KEY, 32, key(2).data());  // no per-peer nest around it
    nla_nest_end(msg.get(), peers);
    EXPECT_THROW(decode_set_device(message_bytes(msg)), InvalidArgument);
}

TEST(ADamagedGenlMessage, IsRefusedWhenANestRunsPastItsParent) {
    std::vector<std::uint8_t> bytes = build_set_device(full_config(), kFamily);
    Parsed m{bytes};
    nlattr* ips = child(item(m.find(WGDEVICE_A_PEERS), 0), WGPEER_A_ALLOWEDIPS);
    ASSERT_NE(ips, nullptr);
    nlattr* first = item(ips, 0);
    first->nla_len = static_cast<std::uint16_t>(first->nla_len + 1000);
    EXPECT_THROW(decode_set_device(m.bytes), InvalidArgument);
}

TEST(ADamagedGenlMessage, IsRefusedWithAKeyOfTheWrongLength) {
    NlMsg msg = message(WG_CMD_SET_DEVICE);
    nla_put_string(msg.get(), WGDEVICE_A_IFNAME, "wg0");
    nla_put(msg.get(), WGDEVICE_A_PRIVATE_KEY, 31, key(1).data());
    EXPECT_THROW(decode_set_device(message_bytes(msg)), InvalidArgument);
}

TEST(ADamagedGenlMessage, IsRefusedWithTheWrongCommandOrVersion) {
    EXPECT_THROW(decode_set_device(message_bytes(make_get_device("wg0", kFamily))), InvalidArgument);
    std::vector<std::uint8_t> bytes = build_set_device(full_config(), kFamily);
    Parsed m{bytes};
    m.genl()->version = 2;
    EXPECT_THROW(decode_set_device(m.bytes), InvalidArgument);
}

TEST(ADamagedGenlMessage, IsRefusedWithAnAllowedIpWhoseAddressDoesNotFitItsFamily) {
    NlMsg msg = message(WG_CMD_SET_DEVICE);
    nla_put_string(msg.get(), WGDEVICE_A_IFNAME, "wg0");
    nla_put(msg.get(), WGDEVICE_A_PRIVATE_KEY, 32, key(1).data());
    nlattr* peers = nla_nest_start(msg.get(), WGDEVICE_A_PEERS);
    nlattr* peer = nla_nest_start(msg.get(), 0);
    nla_put(msg.get(), WGPEER_A_PUBLIC_KEY, 32, key(2).data());
    nlattr* ips = nla_nest_start(msg.get(), WGPEER_A_ALLOWEDIPS);
    nlattr* ip = nla_nest_start(msg.get(), 0);
    nla_put_u16(msg.get(), WGALLOWEDIP_A_FAMILY, AF_INET6);
    nla_put(msg.get(), WGALLOWEDIP_A_IPADDR, 4, addr(AF_INET, "10.0.0.1").data());
    nla_put_u8(msg.get(), WGALLOWEDIP_A_CIDR_MASK, 32);
    nla_nest_end(msg.get(), ip);
    nla_nest_end(msg.get(), ips);
    nla_nest_end(msg.get(), peer);
    nla_nest_end(msg.get(), peers);
    EXPECT_THROW(decode_set_device(message_bytes(msg)), InvalidArgument);
}

TEST(AGenlGetDeviceRequest, IsADumpNamingTheInterface) {
    Parsed m{message_bytes(make_get_device("subu_WG_3", kFamily))};
    EXPECT_EQ(m.hdr()->nlmsg_type, kFamily);
    EXPECT_EQ(m.hdr()->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
    EXPECT_EQ(m.genl()->cmd, WG_CMD_GET_DEVICE);
    ASSERT_NE(m.find(WGDEVICE_A_IFNAME), nullptr);
    EXPECT_STREQ(static_cast<const char*>(nla_data(m.find(WGDEVICE_A_IFNAME))), "subu_WG_3");
    EXPECT_THROW(make_get_device("", kFamily), InvalidArgument);
}

namespace {

// One message of a GET_DEVICE dump as the kernel writes it.
struct FakePeer {
    KeyBytes public_key;
    bool full = true;  // false: a continuation (public key and allowed IPs only)
    std::vector<AllowedIp> ips;
};

std::vector<std::uint8_t> kernel_reply(const std::vector<FakePeer>& peers, bool device_attrs) {
    NlMsg msg = message(WG_CMD_GET_DEVICE, NLM_F_MULTI);
    nl_msg* m = msg.get();
    nla_put_u32(m, WGDEVICE_A_IFINDEX, 7);
    nla_put_string(m, WGDEVICE_A_IFNAME, "subu_WG_1");
    if (device_attrs) {
        nla_put(m, WGDEVICE_A_PRIVATE_KEY, 32, key(1).data());
        nla_put(m, WGDEVICE_A_PUBLIC_KEY, 32, key(2).data());
        nla_put_u16(m, WGDEVICE_A_LISTEN_PORT, 51821);
        nla_put_u32(m, WGDEVICE_A_FWMARK, 0x51);
    }
    nlattr* list = nla_nest_start(m, WGDEVICE_A_PEERS);
    for (const FakePeer& p : peers) {
        nlattr* peer = nla_nest_start(m, 0);
        nla_put(m, WGPEER_A_PUBLIC_KEY, 32, p.public_key.data());
        if (p.full) {
            nla_put(m, WGPEER_A_PRESHARED_KEY, 32, key(99).data());
            sockaddr_in sin{};
            sin.sin_family = AF_INET;
            sin.sin_port = htons(51820);
            sin.sin_addr.s_addr = inet_addr("127.0.0.1");
            nla_put(m, WGPEER_A_ENDPOINT, sizeof sin, &sin);
            nla_put_u16(m, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25);
            __kernel_timespec ts{1700000000, 123456789};
            nla_put(m, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof ts, &ts);
            nla_put_u64(m, WGPEER_A_RX_BYTES, 4096);
            nla_put_u64(m, WGPEER_A_TX_BYTES, 8192);
            nla_put_u32(m, WGPEER_A_PROTOCOL_VERSION, 1);
        }
        nlattr* ips = nla_nest_start(m, WGPEER_A_ALLOWEDIPS);
        for (const AllowedIp& ip : p.ips) {
            nlattr* e = nla_nest_start(m, 0);
            nla_put_u16(m, WGALLOWEDIP_A_FAMILY, static_cast<std::uint16_t>(ip.family));
            nla_put(m, WGALLOWEDIP_A_IPADDR, ip.family == AF_INET ? 4 : 16, ip.addr.data());
            nla_put_u8(m, WGALLOWEDIP_A_CIDR_MASK, ip.prefix);
            nla_nest_end(m, e);
        }
        nla_nest_end(m, ips);
        nla_nest_end(m, peer);
    }
    nla_nest_end(m, list);
    return message_bytes(msg);
}

}  // namespace

TEST(AGenlGetDeviceReply, GivesEveryPeerFieldAndKeepsNoSecret) {
    DeviceStatus status;
    merge_get_device_reply(kernel_reply({{key(40), true, {ip4("10.0.0.0", 8), ip6("fd00::", 8)}}}, true), status);
    EXPECT_EQ(status.ifname, "subu_WG_1");
    EXPECT_TRUE(status.has_private_key);
    EXPECT_EQ(status.public_key, key(2));
    EXPECT_EQ(status.listen_port, 51821);
    EXPECT_EQ(status.fwmark, 0x51u);
    ASSERT_EQ(status.peers.size(), 1u);
    const PeerStatus& peer = status.peers[0];
    EXPECT_EQ(peer.public_key, key(40));
    EXPECT_TRUE(peer.has_preshared_key);
    EXPECT_EQ(peer.endpoint, ep4("127.0.0.1", 51820));
    EXPECT_EQ(peer.persistent_keepalive, 25);
    EXPECT_EQ(peer.last_handshake_sec, 1700000000);
    EXPECT_EQ(peer.last_handshake_nsec, 123456789);
    EXPECT_EQ(peer.rx_bytes, 4096u);
    EXPECT_EQ(peer.tx_bytes, 8192u);
    EXPECT_EQ(peer.allowed_ips, (std::vector<AllowedIp>{ip4("10.0.0.0", 8), ip6("fd00::", 8)}));
}

TEST(AGenlGetDeviceReply, JoinsAPeerWhoseAllowedIpsContinueInTheNextMessage) {
    DeviceStatus status;
    merge_get_device_reply(kernel_reply({{key(40), true, {ip4("10.0.0.0", 8)}}}, true), status);
    merge_get_device_reply(
        kernel_reply({{key(40), false, {ip4("10.1.0.0", 16)}}, {key(50), true, {ip4("10.2.0.0", 16)}}}, false), status);
    ASSERT_EQ(status.peers.size(), 2u);
    EXPECT_EQ(status.peers[0].allowed_ips, (std::vector<AllowedIp>{ip4("10.0.0.0", 8), ip4("10.1.0.0", 16)}));
    EXPECT_EQ(status.peers[0].rx_bytes, 4096u);
    EXPECT_EQ(status.peers[1].public_key, key(50));
    EXPECT_EQ(status.listen_port, 51821) << "a continuation message must not reset the device fields";
}

TEST(AGenlGetDeviceReply, IsRefusedWhenDamaged) {
    const std::vector<std::uint8_t> whole = kernel_reply({{key(40), true, {ip4("10.0.0.0", 8)}}}, true);
    for (std::size_t size = 0; size < whole.size(); ++size) {
        std::vector<std::uint8_t> cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size));
        DeviceStatus status;
        EXPECT_THROW(merge_get_device_reply(cut, status), InvalidArgument) << "cut to " << size;
    }
}

TEST(AGenlGetDeviceReply, ReadsNestsAKernelLeftUnflagged) {
    Parsed m{kernel_reply({{key(40), true, {ip4("10.0.0.0", 8)}}}, true)};
    nlattr* peers = m.find(WGDEVICE_A_PEERS);
    nlattr* peer = item(peers, 0);
    nlattr* ips = child(peer, WGPEER_A_ALLOWEDIPS);
    nlattr* ip = item(ips, 0);
    for (nlattr* nest : {ip, ips, peer, peers})
        nest->nla_type = static_cast<std::uint16_t>(nest->nla_type & ~NLA_F_NESTED);
    DeviceStatus status;
    merge_get_device_reply(m.bytes, status);
    ASSERT_EQ(status.peers.size(), 1u);
    EXPECT_EQ(status.peers[0].allowed_ips, std::vector<AllowedIp>{ip4("10.0.0.0", 8)});
}
