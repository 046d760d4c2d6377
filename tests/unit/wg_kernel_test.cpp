// The kernel backend: its rtnetlink messages, and what it says on a kernel without WireGuard.
#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

#include "core/errors.h"
#include "wg/kernel.h"
#include "wg/system.h"
#include "wg/uapi.h"

using namespace subu::wg;

namespace {

struct Parsed {
    std::vector<std::uint8_t> bytes;
    nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(bytes.data()); }
    nlattr* find(int type) { return nlmsg_find_attr(hdr(), sizeof(ifinfomsg), type); }
};

// A network namespace of its own, held by an fd: gone when the fd closes,
// so nothing is left behind even if the test dies.
Fd anonymous_namespace() {
    Fd ns;
    int err = 0;
    std::thread maker([&] {
        if (unshare(CLONE_NEWNET) < 0) {
            err = errno;
            return;
        }
        ns = Fd(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
        if (!ns) err = errno;
    });
    maker.join();
    if (err) throw std::system_error(err, std::generic_category(), "make a network namespace");
    return ns;
}

bool root() { return geteuid() == 0; }

// The process's pid in a name that fits IFNAMSIZ.
std::string unique_ifname(const char* prefix) { return prefix + std::to_string(getpid() % 1000000); }

}  // namespace

TEST(AKernelNewLinkMessage, CreatesAWireguardLinkInsideTheGivenNamespaceWithItsMtu) {
    Parsed m{build_new_link("subu_WG_1", 42, 1420)};
    EXPECT_EQ(m.hdr()->nlmsg_len, m.bytes.size());
    EXPECT_EQ(m.hdr()->nlmsg_type, RTM_NEWLINK);
    EXPECT_EQ(m.hdr()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    const auto* ifi = static_cast<const ifinfomsg*>(nlmsg_data(m.hdr()));
    EXPECT_EQ(ifi->ifi_index, 0);

    ASSERT_NE(m.find(IFLA_IFNAME), nullptr);
    EXPECT_STREQ(static_cast<const char*>(nla_data(m.find(IFLA_IFNAME))), "subu_WG_1");
    ASSERT_NE(m.find(IFLA_MTU), nullptr);
    EXPECT_EQ(nla_get_u32(m.find(IFLA_MTU)), 1420u);
    ASSERT_NE(m.find(IFLA_NET_NS_FD), nullptr);
    EXPECT_EQ(nla_get_u32(m.find(IFLA_NET_NS_FD)), 42u);

    nlattr* linkinfo = m.find(IFLA_LINKINFO);
    ASSERT_NE(linkinfo, nullptr);
    EXPECT_TRUE(nla_is_nested(linkinfo));
    nlattr* info[IFLA_INFO_MAX + 1] = {};
    ASSERT_EQ(nla_parse_nested(info, IFLA_INFO_MAX, linkinfo, nullptr), 0);
    ASSERT_NE(info[IFLA_INFO_KIND], nullptr);
    EXPECT_STREQ(static_cast<const char*>(nla_data(info[IFLA_INFO_KIND])), "wireguard");
}

TEST(AKernelNewLinkMessage, LeavesTheMtuToTheKernelWhenGivenZero) {
    Parsed m{build_new_link("subu_WG_1", 42, 0)};
    EXPECT_EQ(m.find(IFLA_MTU), nullptr);
}

TEST(AKernelNewLinkMessage, RefusesABadNameOrNoNamespace) {
    EXPECT_THROW(build_new_link("", 42, 1420), subu::InvalidArgument);
    EXPECT_THROW(build_new_link("name_of_16_chars", 42, 1420), subu::InvalidArgument);
    EXPECT_THROW(build_new_link("subu_WG_1", -1, 1420), subu::InvalidArgument);
}

TEST(AKernelMoveLinkMessage, MovesTheNamedLinkWithoutCreatingAnything) {
    Parsed m{build_move_link("subu_WG_2", 9)};
    EXPECT_EQ(m.hdr()->nlmsg_type, RTM_SETLINK);
    EXPECT_EQ(m.hdr()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
    ASSERT_NE(m.find(IFLA_IFNAME), nullptr);
    EXPECT_STREQ(static_cast<const char*>(nla_data(m.find(IFLA_IFNAME))), "subu_WG_2");
    ASSERT_NE(m.find(IFLA_NET_NS_FD), nullptr);
    EXPECT_EQ(nla_get_u32(m.find(IFLA_NET_NS_FD)), 9u);
    EXPECT_EQ(m.find(IFLA_LINKINFO), nullptr);
}

TEST(KernelWireGuard, IsAvailableExactlyWhenTheKernelHasTheModule) {
    // Asking loads wireguard.ko where it exists, so afterwards the module
    // (or the built-in, which has a version) shows in /sys/module.
    const bool available = KernelWireGuard::available();
    struct stat st {};
    EXPECT_EQ(available, stat("/sys/module/wireguard", &st) == 0);
}

TEST(KernelWireGuard, RefusesToCreateALinkSayingTheKernelHasNoWireGuard) {
    if (!root()) GTEST_SKIP() << "needs CAP_NET_ADMIN";
    if (KernelWireGuard::available()) GTEST_SKIP() << "this kernel has WireGuard";
    Fd ns = anonymous_namespace();
    try {
        KernelWireGuard::create_link_in_namespace("subu_wgtest", ns.get(), 1420);
        FAIL() << "created a WireGuard link on a kernel without WireGuard";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), EOPNOTSUPP) << e.what();
        EXPECT_NE(std::string(e.what()).find("the kernel has no WireGuard"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("subu_wgtest"), std::string::npos) << e.what();
    }
}

TEST(KernelWireGuard, RefusesToConfigureOrReadSayingTheKernelHasNoWireGuard) {
    if (!root()) GTEST_SKIP() << "needs CAP_SYS_ADMIN to enter a namespace";
    if (KernelWireGuard::available()) GTEST_SKIP() << "this kernel has WireGuard";
    Fd ns = anonymous_namespace();
    KernelWireGuard backend("/proc/self/fd/" + std::to_string(ns.get()));
    DeviceConfig config;
    config.ifname = "subu_wgtest";
    for (auto call : {+[](KernelWireGuard&b, const DeviceConfig&c) { b.configure(c); },
                      +[](KernelWireGuard&b, const DeviceConfig&c) { b.status(c.ifname); }}) {
        try {
            call(backend, config);
            FAIL() << "reached WireGuard on a kernel without it";
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code().value(), EOPNOTSUPP) << e.what();
            EXPECT_NE(std::string(e.what()).find("the kernel has no WireGuard"), std::string::npos) << e.what();
        }
    }
}

TEST(KernelLinks, MoveATunIntoANamespaceUnderItsName) {
    if (!root()) GTEST_SKIP() << "needs CAP_NET_ADMIN";
    Fd ns = anonymous_namespace();
    const std::string name = unique_ifname("wgmv");
    Fd tun(open_tun(name, TunFrames::WithPacketInfo));
    ASSERT_NE(if_nametoindex(name.c_str()), 0u);

    move_link_to_namespace(name, ns.get());

    EXPECT_EQ(if_nametoindex(name.c_str()), 0u) << "still on the host";
    EXPECT_NE(in_network_namespace(ns.get(), "the test namespace", [&] { return if_nametoindex(name.c_str()); }), 0u)
        << "not inside";
}

TEST(KernelLinks, SayWhichLinkCouldNotBeMoved) {
    if (!root()) GTEST_SKIP() << "needs CAP_NET_ADMIN";
    Fd ns = anonymous_namespace();
    try {
        move_link_to_namespace("subu_nosuchlnk", ns.get());
        FAIL();
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENODEV);
        EXPECT_NE(std::string(e.what()).find("subu_nosuchlnk"), std::string::npos) << e.what();
    }
}
