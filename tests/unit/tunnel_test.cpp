// The tunnel steps that need no running WireGuard: names, configuration from a row and its key
// files, resolv.conf, endpoint resolution of literals, and the interface setup on a real TUN.
#include "tunnel/tunnel.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/errors.h"
#include "wg/iface.h"
#include "wg/keys.h"
#include "wg/system.h"
#include "wg/uapi.h"

namespace subu {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class ATunnel : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("subu-tunnel-test-" + std::to_string(getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
        keys = (dir / "keys").string();
        row.num = 3;
        row.endpoint = "192.0.2.7:51820";
        row.address = "192.168.112.4/32";
        row.server_public_key = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";
        row.allowed_ips = "0.0.0.0/0,::/0";
        row.keepalive = 25;
        wg::store_private_key(keys, row.id(), wg::generate_private_key());
    }
    void TearDown() override { fs::remove_all(dir); }

    fs::path dir;
    std::string keys;
    store::WgRow row;
};

TEST(TunnelNames, FollowTheWireGuardId) {
    EXPECT_EQ(tunnel::interface_name(1), "subu_1");
    EXPECT_EQ(tunnel::interface_name(4294967295u), "subu_4294967295");  // 15 characters: the kernel's limit
    EXPECT_EQ(tunnel::key_dir_for("/var/lib/subu/subu.db"), "/var/lib/subu/keys");
    EXPECT_EQ(tunnel::key_dir_for("subu.db"), "./keys");
}

TEST_F(ATunnel, ConfigurationHasOurKeyAndTheServerAsItsOnePeer) {
    wg::PeerEndpoint endpoint = tunnel::resolve(wg::parse_endpoint(row.endpoint), 1);
    auto config = tunnel::device_config(row, keys, endpoint);
    EXPECT_EQ(config.ifname, "subu_3");
    EXPECT_EQ(config.private_key, wg::load_private_key(keys, row.id()).bytes());
    ASSERT_EQ(config.peers.size(), 1u);
    const auto& peer = config.peers.front();
    EXPECT_EQ(peer.public_key, wg::key_from_base64(row.server_public_key).bytes);
    ASSERT_TRUE(peer.endpoint.has_value());
    EXPECT_EQ(peer.endpoint->family, AF_INET);
    EXPECT_EQ(peer.endpoint->port, 51820);
    EXPECT_EQ(peer.persistent_keepalive, 25);
    ASSERT_EQ(peer.allowed_ips.size(), 2u);
    EXPECT_EQ(peer.allowed_ips[0].prefix, 0);
    EXPECT_EQ(peer.allowed_ips[1].family, AF_INET6);
    EXPECT_FALSE(peer.preshared_key.has_value());
    EXPECT_TRUE(config.replace_peers);
}

TEST_F(ATunnel, WithoutTheServersKeyHasNoPeer) {
    row.server_public_key.clear();
    EXPECT_TRUE(tunnel::device_config(row, keys, std::nullopt).peers.empty());
}

TEST_F(ATunnel, WithAPresharedKeyLoadsItFromItsFile) {
    row.has_preshared_key = true;
    EXPECT_THROW(tunnel::device_config(row, keys, std::nullopt), NotFound) << "no file yet";
    wg::store_private_key(keys, tunnel::preshared_key_name(row), wg::generate_private_key());
    auto config = tunnel::device_config(row, keys, std::nullopt);
    EXPECT_EQ(config.peers.front().preshared_key,
              std::optional(wg::load_private_key(keys, tunnel::preshared_key_name(row)).bytes()));
}

TEST_F(ATunnel, WithoutItsKeyFileFails) {
    wg::remove_private_key(keys, row.id());
    EXPECT_THROW(tunnel::device_config(row, keys, std::nullopt), NotFound);
}

TEST(TunnelEndpoints, LiteralsResolveToThemselves) {
    auto v4 = tunnel::resolve(wg::parse_endpoint("198.51.100.9:1"), 1);
    EXPECT_EQ(v4.family, AF_INET);
    EXPECT_EQ(v4.addr[0], 198);
    EXPECT_EQ(v4.port, 1);
    auto v6 = tunnel::resolve(wg::parse_endpoint("[2001:db8::7]:51820"), 1);
    EXPECT_EQ(v6.family, AF_INET6);
    EXPECT_EQ(v6.addr[0], 0x20);
    EXPECT_EQ(v6.addr[15], 7);
}

TEST(TunnelEndpoints, ANameThatDoesNotResolveSaysSoAfterItsTries) {
    const auto start = std::chrono::steady_clock::now();
    try {
        tunnel::resolve(wg::parse_endpoint("nothing.invalid:51820"), 2, std::chrono::milliseconds(10));
        FAIL() << "resolved nothing.invalid";
    } catch (const Failed& e) {
        EXPECT_NE(std::string(e.what()).find("Could not resolve the endpoint \"nothing.invalid:51820\""),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("(2 tries)"), std::string::npos) << e.what();
    }
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(10));
}

TEST_F(ATunnel, ResolvConfHasTheServersAndTheSearchList) {
    const std::string etc = (dir / "etc-netns").string();
    row.dns = "10.64.0.1, fd00::53,example.internal";
    EXPECT_TRUE(tunnel::write_resolv_conf(etc, "ns-subu_2", row));
    const std::string text = slurp(fs::path(etc) / "ns-subu_2" / "resolv.conf");
    EXPECT_NE(text.find("\nnameserver 10.64.0.1\nnameserver fd00::53\nsearch example.internal\n"), std::string::npos)
        << text;
    EXPECT_EQ(fs::status(fs::path(etc) / "ns-subu_2" / "resolv.conf").permissions() & fs::perms::all,
              fs::perms(0644));
    row.dns.clear();
    EXPECT_FALSE(tunnel::write_resolv_conf(etc, "ns-subu_2", row));
    EXPECT_FALSE(fs::exists(fs::path(etc) / "ns-subu_2")) << "the directory goes with its last file";
}

TEST_F(ATunnel, ResolvConfLeavesAnAdminsOtherFilesAlone) {
    const std::string etc = (dir / "etc-netns").string();
    row.dns = "10.64.0.1";
    tunnel::write_resolv_conf(etc, "ns-subu_2", row);
    std::ofstream(fs::path(etc) / "ns-subu_2" / "hosts") << "127.0.0.1 x\n";
    tunnel::remove_resolv_conf(etc, "ns-subu_2");
    EXPECT_FALSE(fs::exists(fs::path(etc) / "ns-subu_2" / "resolv.conf"));
    EXPECT_TRUE(fs::exists(fs::path(etc) / "ns-subu_2" / "hosts"));
}

TEST_F(ATunnel, ResolvConfOfAnAdminsMakingIsNotRemoved) {
    const std::string etc = (dir / "etc-netns").string();
    fs::create_directories(fs::path(etc) / "ns-subu_2");
    std::ofstream(fs::path(etc) / "ns-subu_2" / "resolv.conf") << "nameserver 192.0.2.53\n";
    tunnel::remove_resolv_conf(etc, "ns-subu_2");
    EXPECT_EQ(slurp(fs::path(etc) / "ns-subu_2" / "resolv.conf"), "nameserver 192.0.2.53\n");
}

TEST_F(ATunnel, WithABadDnsEntryWritesNothing) {
    const std::string etc = (dir / "etc-netns").string();
    row.dns = "10.64.0.1,not an address";
    EXPECT_THROW(tunnel::write_resolv_conf(etc, "ns-subu_2", row), InvalidArgument);
    EXPECT_FALSE(fs::exists(fs::path(etc) / "ns-subu_2"));
}

// The interface steps on a real TUN in a namespace of the test's own (a thread
// that unshared its network namespace), read back through ioctls and /proc.
TEST(TunnelInterface, GetsItsMtuAddressAndRoutesAndARerunChangesNothing) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (a network namespace and a TUN)";
    if (access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/net/tun";
    std::string routes, routes6, error;
    int mtu = 0, flags = 0;
    std::thread worker([&] {
        try {
            if (unshare(CLONE_NEWNET) < 0) throw_errno("unshare the network namespace");
            wg::Fd tun(wg::open_tun("subu_7", wg::TunFrames::Raw));
            for (int pass = 0; pass < 2; ++pass) {
                wg::set_mtu_and_up("subu_7", 1420);
                const unsigned index = wg::link_index("subu_7");
                wg::add_address(index, wg::parse_address("192.168.112.9/32"));
                wg::add_route(index, wg::parse_cidr("0.0.0.0/0"));
                wg::add_route(index, wg::parse_cidr("10.8.0.0/16"));
                wg::add_route(index, wg::parse_cidr("::/0"));
            }
            wg::Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            ifreq ifr{};
            std::strcpy(ifr.ifr_name, "subu_7");
            if (ioctl(sock.get(), SIOCGIFMTU, &ifr) == 0) mtu = ifr.ifr_mtu;
            if (ioctl(sock.get(), SIOCGIFFLAGS, &ifr) == 0) flags = ifr.ifr_flags;
            routes = slurp("/proc/thread-self/net/route");
            routes6 = slurp("/proc/thread-self/net/ipv6_route");
            EXPECT_FALSE(wg::delete_link("nothing_here"));
            EXPECT_TRUE(wg::delete_link("subu_7"));
            EXPECT_EQ(wg::link_index("subu_7"), 0u);
        } catch (const std::exception& e) {
            error = e.what();
        }
    });
    worker.join();
    ASSERT_EQ(error, "");
    EXPECT_EQ(mtu, 1420);
    EXPECT_TRUE(flags & IFF_UP);
    // /proc/net/route: Iface Destination(hex, host order of the bytes) ... Mask
    auto count = [](const std::string& text, const std::string& needle) {
        std::size_t n = 0;
        for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
        return n;
    };
    EXPECT_EQ(count(routes, "subu_7\t00000000\t"), 1u) << routes;  // the default route, once
    EXPECT_EQ(count(routes, "subu_7\t0000080A\t"), 1u) << routes;  // 10.8.0.0/16
    // /proc/net/ipv6_route: the default route through subu_7, once (lo has unreachable ones of its own).
    std::size_t defaults6 = 0;
    std::istringstream lines(routes6);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("00000000000000000000000000000000 00 ", 0) == 0 && line.find("subu_7") != std::string::npos)
            ++defaults6;
    EXPECT_EQ(defaults6, 1u) << routes6;
}

TEST(TunnelInterface, StepsOnAMissingLinkSayWhich) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (a network namespace)";
    std::string error;
    std::thread worker([&] {
        if (unshare(CLONE_NEWNET) < 0) return;
        try {
            wg::set_mtu_and_up("subu_8", 1420);
        } catch (const std::exception& e) {
            error = e.what();
        }
    });
    worker.join();
    EXPECT_NE(error.find("subu_8"), std::string::npos) << error;
}

}  // namespace
}  // namespace subu
