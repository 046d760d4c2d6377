// Debian's wireguard-go for real (root only): the TUN it takes in WG_TUN_FD, its socket, traffic across namespaces.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <thread>
#include <tuple>

#include "system/netns.h"
#include "wg/kernel.h"
#include "wg/keys.h"
#include "wg/system.h"
#include "wg/uapi.h"

using namespace subu::wg;
using namespace std::chrono_literals;

namespace {

constexpr const char* kWireGuardGo = "/usr/bin/wireguard-go";

// Skips unless this can run: root, wireguard-go installed, TUN available.
#define SKIP_UNLESS_WIREGUARD_GO_CAN_RUN()                                                        \
    do {                                                                                          \
        if (geteuid() != 0) GTEST_SKIP() << "needs root (TUN, namespaces)";                       \
        if (access(kWireGuardGo, X_OK) != 0) GTEST_SKIP() << kWireGuardGo << " is not installed"; \
        if (access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/net/tun";          \
    } while (0)

// A named namespace under /run/netns, as subu-netns@ makes them; removed
// when the test ends, also when it fails.
class TestNamespace {
public:
    explicit TestNamespace(const std::string& tag) : name_("subu-wgtest-" + std::to_string(getpid()) + "-" + tag) {
        dir_.ensure(name_);
        fd_ = Fd(open(path().c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd_) throw std::system_error(errno, std::generic_category(), "open " + path());
    }
    ~TestNamespace() {
        fd_.reset();
        try {
            dir_.remove(name_);
        } catch (const std::exception& e) {
            ADD_FAILURE() << "could not remove " << name_ << ": " << e.what();
        }
    }
    std::string path() const { return dir_.path_of(name_); }
    int fd() const { return fd_.get(); }
    const std::string& name() const { return name_; }

    // Runs fn inside, on a short-lived thread.
    template <class Fn>
    auto inside(Fn&& fn) {
        return in_network_namespace(fd(), name_, std::forward<Fn>(fn));
    }

private:
    subu::system::NetnsDirectory dir_;
    std::string name_;
    Fd fd_;
};

// wireguard-go started the way a subu-wg@ unit would: foreground, the TUN as
// fd 3 named by WG_TUN_FD, output to a log file. Killed by pid at the end.
class WireGuardGo {
public:
    WireGuardGo(int tun_fd, const std::string& ifname) {
        char log[] = "/tmp/subu-wggo-test-XXXXXX";
        Fd log_fd(mkstemp(log));
        if (!log_fd) throw std::system_error(errno, std::generic_category(), "mkstemp");
        log_path_ = log;
        // Above 3, so the dup2 to 3 below really happens and clears O_CLOEXEC.
        Fd tun(fcntl(tun_fd, F_DUPFD_CLOEXEC, 10));
        if (!tun) throw std::system_error(errno, std::generic_category(), "dup the TUN fd");

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, log_fd.get(), 1);
        posix_spawn_file_actions_adddup2(&actions, log_fd.get(), 2);
        posix_spawn_file_actions_adddup2(&actions, tun.get(), 3);
        std::vector<std::string> argv = {kWireGuardGo, "-f", ifname};
        std::vector<std::string> env = {"WG_TUN_FD=3", "LOG_LEVEL=verbose", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        std::vector<char*> envp;
        for (auto& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);
        const int rc = posix_spawn(&pid_, kWireGuardGo, &actions, nullptr, args.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::system_error(rc, std::generic_category(), "spawn wireguard-go");
    }
    ~WireGuardGo() {
        stop();
        unlink(log_path_.c_str());
    }

    // Waits up to `limit` for it to exit on its own; its wait status, or -1.
    int wait_exit(std::chrono::milliseconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return status;
            }
            std::this_thread::sleep_for(20ms);
        }
        return -1;
    }

    // SIGTERM (it then removes its socket and closes the TUN), SIGKILL if it lingers.
    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        if (wait_exit(3s) == -1 && pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

    std::string log() const {
        std::ifstream in(log_path_);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    pid_t pid_ = -1;
    std::string log_path_;
};

std::string ifname_for(const char* tag) { return "wgt" + std::to_string(getpid() % 1000000) + tag; }

bool exists(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

// An ioctl on `ifname` from a socket of the calling thread's namespace.
ifreq interface_ioctl(const std::string& ifname, unsigned long request, ifreq ifr = {}) {
    Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size() + 1);
    if (ioctl(sock.get(), request, &ifr) < 0)
        throw std::system_error(errno, std::generic_category(), "ioctl " + std::to_string(request) + " on " + ifname);
    return ifr;
}

// Gives `ifname` the address `ip`/24 and sets it up (inside a namespace).
void address_and_up(const std::string& ifname, const char* ip) {
    ifreq ifr{};
    auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &sin->sin_addr);
    interface_ioctl(ifname, SIOCSIFADDR, ifr);
    inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
    interface_ioctl(ifname, SIOCSIFNETMASK, ifr);
    ifr = interface_ioctl(ifname, SIOCGIFFLAGS);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    interface_ioctl(ifname, SIOCSIFFLAGS, ifr);
}

std::array<std::uint8_t, 16> v4(const char* text) {
    std::array<std::uint8_t, 16> a{};
    inet_pton(AF_INET, text, a.data());
    return a;
}

// How a tunnel's TUN gets into the subu's namespace.
enum class Birth {
    MovedIn,             // made on the host, moved in once wireguard-go has it
    InsideBesidePlaceholder,  // made inside, a placeholder of its name on the host (what subu-wg@ does)
};

// A TUN handed to wireguard-go, ending up in `ns`. Returns once it is there.
struct Tunnel {
    Tunnel(TestNamespace& ns, const std::string& ifname, TunFrames frames, Birth birth = Birth::MovedIn)
        : ifname(ifname),
          placeholder(birth == Birth::MovedIn ? -1 : open_placeholder_tun(ifname, 1420)),
          tun(birth == Birth::MovedIn ? open_tun(ifname, frames) : open_tun_in_namespace(ns.path(), ifname, frames)),
          process(tun.get(), ifname),
          uapi(uapi_socket_path(ifname)) {
        tun.reset();  // wireguard-go holds the TUN now; it dies with it
        // The socket answering means wireguard-go has looked the TUN up by
        // name and set its MTU: only now may it leave the host namespace.
        uapi.get();
        if (birth == Birth::MovedIn) move_link_to_namespace(ifname, ns.fd());
    }
    std::string ifname;
    Fd placeholder;  // held here; subu-wg@ hands it to wireguard-go as fd 4
    Fd tun;
    WireGuardGo process;
    UapiClient uapi;
};

std::vector<AllowedIp> sorted(std::vector<AllowedIp> ips) {
    std::sort(ips.begin(), ips.end(), [](const AllowedIp& a, const AllowedIp& b) {
        return std::tie(a.family, a.addr, a.prefix) < std::tie(b.family, b.addr, b.prefix);
    });
    return ips;
}

// Sends UDP from inside `from` to 10.99.0.2:9999 inside `to`, through the
// tunnel, until one datagram arrives or `limit` passes.
bool datagram_gets_through(TestNamespace& from, TestNamespace& to, std::chrono::milliseconds limit) {
    Fd receiver = to.inside([] {
        Fd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_in any{};
        any.sin_family = AF_INET;
        any.sin_port = htons(9999);
        if (bind(s.get(), reinterpret_cast<sockaddr*>(&any), sizeof any) < 0)
            throw std::system_error(errno, std::generic_category(), "bind the receiver");
        return s;
    });
    Fd sender = from.inside([] { return Fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)); });
    sockaddr_in dest{};
    dest.sin_family = AF_INET;
    dest.sin_port = htons(9999);
    inet_pton(AF_INET, "10.99.0.2", &dest.sin_addr);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        sendto(sender.get(), "hello", 5, 0, reinterpret_cast<sockaddr*>(&dest), sizeof dest);
        pollfd p{receiver.get(), POLLIN, 0};
        if (poll(&p, 1, 200) > 0) {
            char buf[16] = {};
            return recv(receiver.get(), buf, sizeof buf, 0) == 5 && std::string(buf, 5) == "hello";
        }
    }
    return false;
}

// Two wireguard-go, each with its TUN in its own namespace, peers of each
// other over the host's loopback. Whether a datagram crosses.
bool two_tunnels_carry_traffic(TunFrames frames, std::chrono::milliseconds limit, std::string* logs,
                               Birth birth = Birth::MovedIn) {
    TestNamespace ns_a("a");
    TestNamespace ns_b("b");
    Tunnel a(ns_a, ifname_for("a"), frames, birth);
    Tunnel b(ns_b, ifname_for("b"), frames, birth);
    if (birth == Birth::InsideBesidePlaceholder) {
        EXPECT_NE(ns_a.inside([&] { return if_nametoindex(a.ifname.c_str()); }), 0u) << "born inside";
        EXPECT_NE(if_nametoindex(a.ifname.c_str()), 0u) << "its placeholder on the host";
    }

    const PrivateKey key_a = generate_private_key();
    const PrivateKey key_b = generate_private_key();
    DeviceConfig config_a;
    config_a.ifname = a.ifname;
    config_a.private_key = key_a.bytes();
    DeviceConfig config_b;
    config_b.ifname = b.ifname;
    config_b.private_key = key_b.bytes();
    a.uapi.set(config_a);  // no listen_port: each picks one
    b.uapi.set(config_b);
    const std::uint16_t port_a = a.uapi.get().listen_port;
    const std::uint16_t port_b = b.uapi.get().listen_port;

    PeerConfig peer_b;
    peer_b.public_key = public_key_of(key_b).bytes;
    peer_b.endpoint = PeerEndpoint{AF_INET, v4("127.0.0.1"), port_b};
    peer_b.allowed_ips = {AllowedIp{AF_INET, v4("10.99.0.2"), 32}};
    config_a.peers = {peer_b};
    PeerConfig peer_a;
    peer_a.public_key = public_key_of(key_a).bytes;
    peer_a.endpoint = PeerEndpoint{AF_INET, v4("127.0.0.1"), port_a};
    peer_a.allowed_ips = {AllowedIp{AF_INET, v4("10.99.0.1"), 32}};
    config_b.peers = {peer_a};
    a.uapi.set(config_a);
    b.uapi.set(config_b);

    ns_a.inside([&] { address_and_up(a.ifname, "10.99.0.1"); });
    ns_b.inside([&] { address_and_up(b.ifname, "10.99.0.2"); });

    const bool through = datagram_gets_through(ns_a, ns_b, limit);
    if (through) {
        const DeviceStatus status = a.uapi.get();
        EXPECT_EQ(status.peers.size(), 1u);
        if (!status.peers.empty()) {
            EXPECT_GT(status.peers[0].last_handshake_sec, 0) << "a handshake happened";
            EXPECT_GT(status.peers[0].tx_bytes, 0u);
        }
    }
    *logs = "--- " + a.ifname + " ---\n" + a.process.log() + "--- " + b.ifname + " ---\n" + b.process.log();
    return through;
}

}  // namespace

// Debian 12's wireguard-go (0.0.20220316) looks the TUN of WG_TUN_FD up by
// name, for its index and its MTU, in its own namespace: a TUN born inside a
// subu's namespace is not found there, unless a placeholder of its name is on
// the host (the next tests). Should a newer wireguard-go take it alone, this
// fails, and subu-wg@ can drop the placeholder.
TEST(WireGuardGo, RefusesATunOpenedInsideANamespace) {
    SKIP_UNLESS_WIREGUARD_GO_CAN_RUN();
    TestNamespace ns("inside");
    const std::string ifname = ifname_for("i");
    Fd tun(open_tun_in_namespace(ns.path(), ifname, TunFrames::WithPacketInfo));
    EXPECT_EQ(if_nametoindex(ifname.c_str()), 0u) << "the TUN is inside, not on the host";
    WireGuardGo process(tun.get(), ifname);
    tun.reset();

    const int status = process.wait_exit(5s);
    ASSERT_NE(status, -1) << "wireguard-go now runs with a TUN opened inside a namespace:\n" << process.log();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    EXPECT_NE(process.log().find("Failed to create TUN device: no such device"), std::string::npos) << process.log();
    EXPECT_FALSE(exists(uapi_socket_path(ifname)));
}

TEST(WireGuardGo, ServesATunOpenedOnTheHostAndMovedIntoANamespace) {
    SKIP_UNLESS_WIREGUARD_GO_CAN_RUN();
    TestNamespace ns("served");
    const std::string ifname = ifname_for("s");
    std::optional<Tunnel> tunnel(std::in_place, ns, ifname, TunFrames::WithPacketInfo);

    // The socket is named after the TUN, in the host's /var/run.
    EXPECT_TRUE(exists("/var/run/wireguard/" + ifname + ".sock"));
    EXPECT_EQ(if_nametoindex(ifname.c_str()), 0u) << "still on the host";

    DeviceConfig config;
    config.ifname = ifname;
    config.private_key = generate_private_key().bytes();
    PeerConfig peer;
    peer.public_key = public_key_of(generate_private_key()).bytes;
    peer.preshared_key = generate_private_key().bytes();
    peer.endpoint = PeerEndpoint{AF_INET, v4("127.0.0.1"), 51820};
    peer.allowed_ips = {AllowedIp{AF_INET, v4("10.99.0.2"), 32}, AllowedIp{AF_INET, v4("10.98.0.0"), 16}};
    config.peers = {peer};
    tunnel->uapi.set(config);
    tunnel->uapi.set(config);  // again: replace, not append

    const DeviceStatus status = tunnel->uapi.get();
    EXPECT_EQ(status.ifname, ifname);
    EXPECT_TRUE(status.has_private_key);
    EXPECT_NE(status.listen_port, 0) << "it picked a port";
    ASSERT_EQ(status.peers.size(), 1u);
    EXPECT_EQ(status.peers[0].public_key, peer.public_key);
    EXPECT_TRUE(status.peers[0].has_preshared_key);
    EXPECT_EQ(status.peers[0].endpoint, peer.endpoint);
    EXPECT_EQ(sorted(status.peers[0].allowed_ips), sorted(peer.allowed_ips));
    EXPECT_EQ(status.peers[0].persistent_keepalive, 0);

    // Inside: there, with wireguard-go's MTU, and it can be set up.
    const auto [index, mtu, up] = ns.inside([&] {
        const unsigned idx = if_nametoindex(ifname.c_str());
        const int m = interface_ioctl(ifname, SIOCGIFMTU).ifr_mtu;
        ifreq ifr = interface_ioctl(ifname, SIOCGIFFLAGS);
        ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
        interface_ioctl(ifname, SIOCSIFFLAGS, ifr);
        return std::tuple{idx, m, (interface_ioctl(ifname, SIOCGIFFLAGS).ifr_flags & IFF_UP) != 0};
    });
    EXPECT_NE(index, 0u);
    EXPECT_EQ(mtu, 1420);
    EXPECT_TRUE(up);

    // Stopped, it removes its socket and its TUN goes with it.
    tunnel.reset();
    EXPECT_FALSE(exists(uapi_socket_path(ifname)));
    EXPECT_EQ(ns.inside([&] { return if_nametoindex(ifname.c_str()); }), 0u);
}

TEST(WireGuardGo, CarriesTrafficBetweenTwoNamespacesOverLoopback) {
    SKIP_UNLESS_WIREGUARD_GO_CAN_RUN();
    std::string logs;
    EXPECT_TRUE(two_tunnels_carry_traffic(TunFrames::WithPacketInfo, 8s, &logs)) << logs;
}

// What subu-wg@ does: the TUN born inside the subu's namespace (no move, which
// costs the kernel 15-50 ms), a placeholder of its name on the host for
// wireguard-go's lookups by name.
TEST(WireGuardGo, CarriesTrafficForTunsBornInsideBesideHostPlaceholders) {
    SKIP_UNLESS_WIREGUARD_GO_CAN_RUN();
    std::string logs;
    EXPECT_TRUE(two_tunnels_carry_traffic(TunFrames::WithPacketInfo, 8s, &logs, Birth::InsideBesidePlaceholder))
        << logs;
}

TEST(WireGuardGo, PlaceholderRefusesANameALinkOfAnotherKindHas) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    EXPECT_THROW(open_placeholder_tun("lo", 1420), subu::Exists);
}

// With WG_TUN_FD it reads and writes the 4-byte packet-information header
// (the TUN it makes itself has none): a TUN opened with IFF_NO_PI garbles
// every packet ("Received packet with unknown IP version").
TEST(WireGuardGo, NeedsThePacketInfoHeaderOnTheTunItIsHanded) {
    SKIP_UNLESS_WIREGUARD_GO_CAN_RUN();
    std::string logs;
    EXPECT_FALSE(two_tunnels_carry_traffic(TunFrames::Raw, 2s, &logs)) << "wireguard-go now reads IFF_NO_PI TUNs";
    EXPECT_NE(logs.find("unknown IP version"), std::string::npos) << logs;
}
