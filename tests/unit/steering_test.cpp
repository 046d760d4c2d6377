// Socket steering: the map's encoding, and the real program on a cgroup and namespace the test makes (root).
#include "bpf/steering.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/ipv6.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/errors.h"
#include "bpf/loopback.h"
#include "reconcile/steer.h"
#include "support/child.h"
#include "support/steer_sandbox.h"
#include "units/render.h"

using namespace subu::bpf;

namespace {

in_addr v4(const char* s) {
    in_addr a{};
    inet_pton(AF_INET, s, &a);
    return a;
}

}  // namespace

TEST(AnEntry, RoundTripsThroughTheMapValue) {
    Entry e;
    e.ifindex = 7;
    e.enabled = true;
    e.local_forwarding = true;
    e.peer = parse_peer("10.9.0.1", "fd00::1");
    const subu_steer v = encode(e);
    EXPECT_EQ(v.ifindex, 7u);
    EXPECT_EQ(v.flags, SUBU_STEER_ON | SUBU_STEER_LOCAL_FWD);
    EXPECT_EQ(v.peer4, v4("10.9.0.1").s_addr);
    EXPECT_EQ(reinterpret_cast<const unsigned char*>(v.peer6)[0], 0xfd);
    EXPECT_EQ(decode(v), e);
}

TEST(AnEntry, WithNoPeerAndSteeringOffEncodesAsZeros) {
    Entry e;
    e.enabled = false;
    const subu_steer v = encode(e);
    EXPECT_EQ(v.flags, 0u);
    EXPECT_EQ(v.peer4, 0u);
    EXPECT_EQ(v.peer6[0] | v.peer6[1] | v.peer6[2] | v.peer6[3], 0u);
    EXPECT_FALSE(decode(v).peer.v4);
    EXPECT_FALSE(decode(v).peer.v6);
}

TEST(APeerAddress, RefusesWhatCannotBeAPeer) {
    for (const char* bad : {"x", "127.0.0.1", "0.0.0.0", "10.0.0.256", "10.0.0.1/32"})
        EXPECT_THROW(parse_peer(bad, ""), subu::InvalidArgument) << bad;
    for (const char* bad : {"::", "::1", "::ffff:10.0.0.1", "fd00::/64", "10.0.0.1"})
        EXPECT_THROW(parse_peer("", bad), subu::InvalidArgument) << bad;
    EXPECT_FALSE(parse_peer("", "").v4);
}

TEST(TheHooks, AreNamedAsSystemdsBPFProgramTypes) {
    std::string all;
    for (const auto& h : hooks()) all += std::string(h.name) + " ";
    EXPECT_EQ(all, "sock_create connect4 connect6 sendmsg4 sendmsg6 setsockopt ");
}

// The real program, on a cgroup and in a namespace of the test's own, in a child process.
class TheSteeringProgram : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root (loads a BPF program, makes a cgroup and a namespace)";
        sandbox_.emplace("subu-steering-test");
    }

    // `body` in a child in its own namespace, inside the test cgroup when `in_cgroup`.
    std::string in_child(bool in_cgroup, const std::function<std::string(unsigned)>& body) {
        return sandbox_->in_child([&](unsigned index) {
            if (in_cgroup)
                if (auto e = subu::testing::SteerSandbox::join(sandbox_->cgroup()); !e.empty()) return e;
            std::string out = body(index);
            if (in_cgroup) subu::testing::SteerSandbox::join(sandbox_->root());
            return out;
        });
    }

    const Program& program() const { return sandbox_->program(); }
    std::optional<subu::testing::SteerSandbox> sandbox_;
};

namespace {

std::string bound_device(int fd) {
    char name[IFNAMSIZ + 1] = {};
    socklen_t len = sizeof name;
    if (getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len) < 0) return std::string("error ") + std::strerror(errno);
    return name;
}

// What a fresh socket of this family and type is bound to.
std::string fresh(int family, int type) {
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return "socket failed";
    std::string d = bound_device(fd);
    close(fd);
    return d;
}

// A TCP server on `addr` and a client that connects to it and sends a byte; "" when it arrives.
std::string loopback_talk(int family, const char* addr) {
    sockaddr_storage ss{};
    socklen_t len;
    if (family == AF_INET) {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        inet_pton(AF_INET, addr, &a->sin_addr);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        inet_pton(AF_INET6, addr, &a->sin6_addr);
        len = sizeof *a;
    }
    int server = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (bind(server, reinterpret_cast<sockaddr*>(&ss), len) < 0 || listen(server, 1) < 0)
        return std::string("server on ") + addr + ": " + std::strerror(errno);
    getsockname(server, reinterpret_cast<sockaddr*>(&ss), &len);
    int client = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    std::string out;
    if (connect(client, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
        out = std::string("connect to ") + addr + ": " + std::strerror(errno);
    } else {
        int conn = accept(server, nullptr, nullptr);
        char c = 'x';
        if (conn < 0 || write(client, &c, 1) != 1 || read(conn, &c, 1) != 1) out = std::string("talk over ") + addr;
        if (conn >= 0) close(conn);
    }
    close(client);
    close(server);
    return out;
}

// 0 when a socket of this family and type can be made, else the errno.
int socket_refusal(int family, int type) {
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    close(fd);
    return 0;
}

// What refuses inet sockets of every kind here: "" when all four are refused with EPERM.
std::string all_refused(const std::string& where) {
    std::string problems;
    for (int family : {AF_INET, AF_INET6})
        for (int type : {SOCK_STREAM, SOCK_DGRAM})
            if (int e = socket_refusal(family, type); e != EPERM)
                problems += where + ": a socket (family " + std::to_string(family) + ", type " + std::to_string(type) +
                            ") was " + (e ? std::string("refused with ") + std::strerror(e) : "made") + "; ";
    return problems;
}

// connect() of a TCP socket to a tunnel-side address: 0 or the errno.
int connect_out() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(80);
    a.sin_addr = v4("10.9.0.1");
    int rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 && errno != EINPROGRESS ? errno : 0;
    close(fd);
    return rc;
}

// What steering to the tunnel subu_9 means for the calling process: every
// socket on it, loopback working, the tunnel reached, and (`rebind`) no
// SO_BINDTODEVICE away from it. "" when all holds.
std::string steered_to_the_tunnel(bool rebind) {
    std::string problems;
    for (int family : {AF_INET, AF_INET6})
        for (int type : {SOCK_STREAM, SOCK_DGRAM})
            if (auto d = fresh(family, type); d != "subu_9") problems += "socket bound to '" + d + "'; ";
    if (auto r = loopback_talk(AF_INET, "127.0.0.1"); !r.empty()) problems += r + "; ";
    if (auto r = loopback_talk(AF_INET6, "::1"); !r.empty()) problems += r + "; ";
    if (int rc = connect_out()) problems += std::string("connect out: ") + std::strerror(rc) + "; ";
    if (rebind) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) == 0 || errno != EPERM)
            problems += "SO_BINDTODEVICE was not refused; ";
        close(fd);
    }
    return problems;
}

}  // namespace

TEST_F(TheSteeringProgram, PinsEverySocketToTheTunnelAndKeepsLoopbackWorking) {
    auto out = in_child(true, [&](unsigned index) -> std::string {
        Steering steering(program());
        Entry e;
        e.ifindex = index;
        steering.put("/proc/self/ns/net", e);
        route_loopback_over("/proc/self/ns/net", index);
        return steered_to_the_tunnel(true);
    });
    EXPECT_EQ(out, "");
}

// The cache in front of the map only ever answers for its own namespace: a
// slot holding another namespace's cookie sends the program to the map, and
// forgetting a namespace empties its slot.
TEST_F(TheSteeringProgram, TakesFromTheCacheOnlyWhatIsItsNamespaces) {
    auto out = in_child(true, [&](unsigned index) -> std::string {
        Steering steering(program());
        Entry e;
        e.ifindex = index;
        steering.put("/proc/self/ns/net", e);
        std::string problems;
        const std::uint64_t cookie = netns_cookie("/proc/self/ns/net");
        const std::uint32_t slot = static_cast<std::uint32_t>(cookie % SUBU_STEER_CACHE_SLOTS);
        subu_steer_slot cached{};
        if (bpf_map_lookup_elem(program().cache_fd(), &slot, &cached) < 0 || cached.cookie != cookie ||
            cached.steer.ifindex != index)
            problems += "put did not fill the namespace's cache slot; ";
        // Another namespace's entry in the slot (the same slot, another cookie).
        subu_steer_slot other{};
        other.steer.ifindex = SUBU_STEER_LOOPBACK;
        other.steer.flags = SUBU_STEER_ON;
        other.cookie = cookie + SUBU_STEER_CACHE_SLOTS;
        bpf_map_update_elem(program().cache_fd(), &slot, &other, BPF_ANY);
        if (auto d = fresh(AF_INET, SOCK_STREAM); d != "subu_9") problems += "another's slot was used: bound to '" + d + "'; ";
        steering.forget("/proc/self/ns/net");
        if (bpf_map_lookup_elem(program().cache_fd(), &slot, &cached) == 0 && cached.cookie != other.cookie)
            problems += "forget cleared another namespace's slot; ";
        steering.put("/proc/self/ns/net", e);
        steering.forget("/proc/self/ns/net");
        if (bpf_map_lookup_elem(program().cache_fd(), &slot, &cached) == 0 && cached.cookie == cookie)
            problems += "forget left the namespace's slot; ";
        if (int e = socket_refusal(AF_INET, SOCK_STREAM); e != EPERM) problems += "forgotten: a socket was not refused; ";
        return problems;
    });
    EXPECT_EQ(out, "");
}

// A slice process in a namespace that is no subu's (the host's, or one it made
// itself) has no network at all, loopback included.
TEST_F(TheSteeringProgram, FailsClosedWithTheTunnelDownOrTheNamespaceUnknown) {
    auto out = in_child(true, [&](unsigned) -> std::string {
        std::string problems = all_refused("unknown netns");
        Steering steering(program());
        steering.set_tunnel("/proc/self/ns/net", 0, {});
        if (connect_out() != EPERM) problems += "tunnel down: connect was not refused; ";
        if (auto d = fresh(AF_INET6, SOCK_DGRAM); d != "lo") problems += "tunnel down: bound to '" + d + "'; ";
        if (auto r = loopback_talk(AF_INET, "127.0.0.1"); !r.empty()) problems += "tunnel down: " + r + "; ";
        if (auto r = loopback_talk(AF_INET6, "::1"); !r.empty()) problems += "tunnel down: " + r + "; ";
        return problems;
    });
    EXPECT_EQ(out, "");
}

TEST_F(TheSteeringProgram, LetsSocketsAloneWhenSteeringIsOffAndOutsideTheCgroup) {
    auto out = in_child(true, [&](unsigned index) -> std::string {
        Steering steering(program());
        steering.set_tunnel("/proc/self/ns/net", index, {});
        steering.set_options("/proc/self/ns/net", false, false);
        std::string problems;
        if (auto d = fresh(AF_INET, SOCK_DGRAM); !d.empty()) problems += "off: bound to '" + d + "'; ";
        steering.set_options("/proc/self/ns/net", true, false);
        if (auto d = fresh(AF_INET, SOCK_DGRAM); d != "subu_9") problems += "on again: bound to '" + d + "'; ";
        steering.forget("/proc/self/ns/net");
        if (steering.get("/proc/self/ns/net")) problems += "forget left the entry; ";
        return problems;
    });
    EXPECT_EQ(out, "");
    EXPECT_EQ(in_child(false, [&](unsigned) { return fresh(AF_INET, SOCK_STREAM); }), "");
}

TEST(TheUidHooks, AreTheSlicesHooksWithSetsockoptWhereTheKernelAllowsIt) {
    std::string all;
    for (const auto& h : uid_hooks()) all += std::string(h.name) + " ";
    EXPECT_TRUE(all == "sock_create connect4 connect6 sendmsg4 sendmsg6 " ||
                all == "sock_create connect4 connect6 sendmsg4 sendmsg6 setsockopt ")
        << all;
}

// The uid rule on a cgroup standing in for the root of the hierarchy (and a
// slice below it), run by children that take a uid of their own.
class TheUidRule : public ::testing::Test {
protected:
    static constexpr std::uint32_t ordinary = 64001, subu = 64002;

    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root (loads a BPF program, makes cgroups and namespaces)";
        sandbox_.emplace("subu-uid-test", false, true);
        host_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        host_cookie_ = netns_cookie("/proc/self/ns/net");
    }
    void TearDown() override {
        if (host_ >= 0) close(host_);
    }

    // `body` in a child in a fresh namespace with a TUN (its index passed), in `cgroup`.
    std::string in_child(const std::string& cgroup, const std::function<std::string(unsigned)>& body) {
        return sandbox_->in_child([&](unsigned index) {
            if (auto e = subu::testing::SteerSandbox::join(cgroup); !e.empty()) return e;
            return body(index);
        });
    }

    // From here on the calling child is `uid` (it cannot come back).
    static std::string become(std::uint32_t uid) {
        if (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0) return std::string("setresuid: ") + std::strerror(errno);
        prctl(PR_SET_DUMPABLE, 1);  // its own /proc/self again (uid_map)
        return "";
    }

    std::string to_host() const { return setns(host_, CLONE_NEWNET) < 0 ? "setns to the host's namespace; " : ""; }

    // The child's namespace is a subu's: the tunnel subu_9, loopback routed over it.
    void subus_namespace(unsigned index) const {
        Steering steering(program());
        Entry e;
        e.ifindex = index;
        steering.put("/proc/self/ns/net", e);
        route_loopback_over("/proc/self/ns/net", index);
    }

    // The child's namespace is the subu's own, and the child the subu's uid from here on.
    std::string at_home_as_subu(unsigned index) const {
        subus_namespace(index);
        Uids(program()).put(subu, netns_cookie("/proc/self/ns/net"));
        return become(subu);
    }

    const Program& program() const { return sandbox_->program(); }
    std::optional<subu::testing::SteerSandbox> sandbox_;
    int host_ = -1;
    std::uint64_t host_cookie_ = 0;
};

namespace {

// A listener on 127.0.0.1 and a socket to it, both made now (by root).
struct LoopbackPair {
    int server = -1, client = -1;
    sockaddr_in at{};
    LoopbackPair() {
        at.sin_family = AF_INET;
        at.sin_addr = v4("127.0.0.1");
        socklen_t len = sizeof at;
        server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bind(server, reinterpret_cast<sockaddr*>(&at), len);
        listen(server, 1);
        getsockname(server, reinterpret_cast<sockaddr*>(&at), &len);
        client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }
    ~LoopbackPair() {
        close(client);
        close(server);
    }
    int connect_errno() const {
        return connect(client, reinterpret_cast<const sockaddr*>(&at), sizeof at) < 0 ? errno : 0;
    }
};

}  // namespace

TEST_F(TheUidRule, LeavesAnOrdinaryUidAlone) {
    auto out = in_child(sandbox_->uid_cgroup(), [&](unsigned) -> std::string {
        Uids(program()).put(subu, netns_cookie("/proc/self/ns/net"));
        subus_namespace(if_nametoindex("subu_9"));
        std::string problems = become(ordinary);
        if (auto d = fresh(AF_INET, SOCK_STREAM); !d.empty()) problems += "in a subu's namespace: bound to '" + d + "'; ";
        if (auto r = loopback_talk(AF_INET, "127.0.0.1"); !r.empty()) problems += "in a subu's namespace: " + r + "; ";
        return problems;
    });
    EXPECT_EQ(out, "");
    out = in_child(sandbox_->uid_cgroup(), [&](unsigned) -> std::string {
        std::string problems = to_host();
        problems += become(ordinary);
        for (int family : {AF_INET, AF_INET6})
            if (auto d = fresh(family, SOCK_DGRAM); !d.empty()) problems += "on the host: '" + d + "'; ";
        if (auto r = loopback_talk(AF_INET, "127.0.0.1"); !r.empty()) problems += "on the host: " + r + "; ";
        return problems;
    });
    EXPECT_EQ(out, "");
}

TEST_F(TheUidRule, RefusesASubuUidInTheHostsNamespaceLoopbackIncluded) {
    auto out = in_child(sandbox_->uid_cgroup(), [&](unsigned index) -> std::string {
        Uids(program()).put(subu, netns_cookie("/proc/self/ns/net"));
        subus_namespace(index);
        std::string problems = to_host();
        LoopbackPair given;  // made by root on the host, then used by the subu's uid
        problems += become(subu);
        problems += all_refused("host");
        if (given.connect_errno() != EPERM) problems += "a host socket it was given reached host loopback; ";
        return problems;
    });
    EXPECT_EQ(out, "");
}

TEST_F(TheUidRule, RefusesASubuUidInAnotherSubusNamespace) {
    auto out = in_child(sandbox_->uid_cgroup(), [&](unsigned index) -> std::string {
        subus_namespace(index);  // another subu's namespace, with its tunnel
        Uids(program()).put(subu, host_cookie_ + 100000);
        std::string problems = become(subu);
        return problems + all_refused("another subu's namespace");
    });
    EXPECT_EQ(out, "");
}

// As `unshare -rn`: a user namespace where it is "root", and a network namespace of its own.
TEST_F(TheUidRule, RefusesASubuUidInANamespaceItMadeItself) {
    auto out = in_child(sandbox_->uid_cgroup(), [&](unsigned index) -> std::string {
        std::string problems = at_home_as_subu(index);
        if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) return problems + "unshare: " + std::strerror(errno);
        int map = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
        const std::string line = "0 " + std::to_string(subu) + " 1\n";
        if (map < 0 || write(map, line.data(), line.size()) != static_cast<ssize_t>(line.size())) problems += "uid_map; ";
        if (map >= 0) close(map);
        if (getuid() != 0) problems += "not root in its user namespace; ";
        return problems + all_refused("its own namespace");
    });
    EXPECT_EQ(out, "");
}

TEST_F(TheUidRule, SteersASubuUidInItsOwnNamespaceAsTheSliceDoes) {
    auto out = in_child(sandbox_->uid_cgroup(), [&](unsigned index) -> std::string {
        std::string problems = at_home_as_subu(index);
        return problems + steered_to_the_tunnel(uid_hooks().size() == hooks().size());
    });
    EXPECT_EQ(out, "");
}

TEST_F(TheUidRule, FollowsTheNamespacesOptionsAndTunnel) {
    auto out = in_child(sandbox_->uid_cgroup(), [&](unsigned index) -> std::string {
        Steering steering(program());
        steering.set_tunnel("/proc/self/ns/net", 0, {});
        Uids(program()).put(subu, netns_cookie("/proc/self/ns/net"));
        // The tunnel down, seen by a child; this one stays root to change the entry.
        std::string problems = subu::testing::in_forked_child([&] {
            std::string p = become(subu);
            if (auto d = fresh(AF_INET, SOCK_STREAM); d != "lo") p += "tunnel down: bound to '" + d + "'; ";
            if (connect_out() != EPERM) p += "tunnel down: connect was not refused; ";
            return p;
        });
        steering.set_tunnel("/proc/self/ns/net", index, {});
        steering.set_options("/proc/self/ns/net", false, false);
        problems += become(subu);
        if (auto d = fresh(AF_INET, SOCK_DGRAM); !d.empty()) problems += "steering off: bound to '" + d + "'; ";
        return problems;
    });
    EXPECT_EQ(out, "");
}

TEST_F(TheUidRule, RefusesAClosedUidEverywhere) {
    auto out = in_child(sandbox_->uid_cgroup(), [&](unsigned index) -> std::string {
        subus_namespace(index);
        Uids(program()).close(subu);
        std::string problems = become(subu);
        return problems + all_refused("a subu's namespace");
    });
    EXPECT_EQ(out, "");
    out = in_child(sandbox_->uid_cgroup(), [&](unsigned) -> std::string {
        Uids(program()).close(subu);
        std::string problems = to_host();
        problems += become(subu);
        return problems + all_refused("host");
    });
    EXPECT_EQ(out, "");
}

// The root's program runs after the slice's: local_forwarding's rewrite to the
// peer stands, and the socket stays on the tunnel.
TEST_F(TheUidRule, LeavesWhatTheSliceMadeOfASocket) {
    auto out = in_child(sandbox_->uid_slice(), [&](unsigned index) -> std::string {
        Steering steering(program());
        Entry e;
        e.ifindex = index;
        e.local_forwarding = true;
        e.peer = parse_peer("10.9.0.1", "");
        steering.put("/proc/self/ns/net", e);
        Uids(program()).put(subu, netns_cookie("/proc/self/ns/net"));
        std::string problems = become(subu);
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (auto d = bound_device(fd); d != "subu_9") problems += "bound to '" + d + "'; ";
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(80);
        a.sin_addr = v4("127.0.0.1");
        if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
            problems += std::string("connect: ") + std::strerror(errno) + "; ";
        sockaddr_in peer{};
        socklen_t len = sizeof peer;
        getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len);
        if (peer.sin_addr.s_addr != v4("10.9.0.1").s_addr) problems += "127.0.0.1 was not forwarded to the peer; ";
        close(fd);
        return problems;
    });
    EXPECT_EQ(out, "");
}

TEST_F(TheUidRule, MapHoldsSubuUidsOnlyAndConverges) {
    Uids uids(program());
    EXPECT_FALSE(uids.get(subu));
    EXPECT_TRUE(uids.seed(subu));
    EXPECT_EQ(uids.get(subu), 0u);
    uids.put(subu, 42);
    EXPECT_FALSE(uids.seed(subu));  // present: kept
    EXPECT_EQ(uids.get(subu), 42u);
    EXPECT_THROW(uids.put(0, 42), subu::InvalidArgument);
    EXPECT_THROW(uids.put(SUBU_UID_SLOTS, 42), subu::InvalidArgument);
    uids.put(ordinary, 7);
    uids.put(64003, 7);
    const std::string here = "/proc/" + std::to_string(getpid()) + "/ns/net";
    auto did = converge_uids(uids, {{subu, here}, {64003, ""}, {64004, "/run/netns/no-such-namespace"}});
    EXPECT_EQ(uids.get(subu), host_cookie_);
    EXPECT_EQ(uids.get(64003), 0u);
    EXPECT_EQ(uids.get(64004), 0u);
    EXPECT_FALSE(uids.get(ordinary));
    EXPECT_EQ(uids.all(), (std::vector<std::uint32_t>{subu, 64003, 64004}));
    EXPECT_EQ(did.size(), 4u);
    EXPECT_TRUE(converge_uids(uids, {{subu, here}, {64003, ""}, {64004, ""}}).empty());
    uids.forget(subu);
    EXPECT_FALSE(uids.get(subu));
}

TEST(TheDesiredSteering, FollowsTheOptionsAndTheTunnel) {
    subu::store::WgRow wg;
    wg.num = 4;
    wg.dns = "10.64.0.1, fd00:64::1, 10.64.0.2";
    EXPECT_EQ(subu::reconcile::tunnel_name(wg), "subu_4");
    auto e = subu::reconcile::desired_steering({}, wg, 5);
    EXPECT_EQ(e.ifindex, 5u);
    EXPECT_TRUE(e.enabled);
    EXPECT_FALSE(e.local_forwarding);
    EXPECT_EQ(e.peer, parse_peer("10.64.0.1", "fd00:64::1"));
    e = subu::reconcile::desired_steering({{"steer_enabled", "off"}, {"local_forwarding", "on"}}, wg, 5);
    EXPECT_FALSE(e.enabled);
    EXPECT_TRUE(e.local_forwarding);
}

TEST(TheDesiredSteering, FailsClosedWithoutATunnel) {
    auto e = subu::reconcile::desired_steering({}, std::nullopt, 5);
    EXPECT_EQ(e.ifindex, 0u);
    EXPECT_TRUE(e.enabled);
    EXPECT_FALSE(e.peer.v4);
    subu::store::WgRow wg;
    EXPECT_EQ(subu::reconcile::forwarding_peer(wg), Peer{});
}

TEST(ASlicesCgroup, NestsAsTheSliceDoes) {
    EXPECT_EQ(subu::units::slice_cgroup("Thomas_US"), "subu.slice/subu-Thomas.slice/subu-Thomas-US.slice");
    EXPECT_EQ(subu::units::slice_cgroup("Thomas_new-subu_R"),
              "subu.slice/subu-Thomas.slice/subu-Thomas-new\\x2dsubu.slice/subu-Thomas-new\\x2dsubu-R.slice");
}
