// The kernel WireGuard backend checked on a kernel that has WireGuard: this program is /init of
// a small initramfs booted under qemu (tests/kernel/run.sh). It loads wireguard.ko, brings up
// two tunnels the way subu-wg@ does with the kernel backend (links made in place inside two
// namespaces, sockets in the initial one), sends a datagram through them, checks what the
// kernel reports, loads the steering program (the verifier of this kernel), attaches the uid
// rule at the cgroup2 root and checks sockets under it, tears the tunnels down, prints one
// line a check and powers the machine off.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bpf/steering.h"
#include "support/child.h"
#include "system/netns.h"
#include "tunnel/tunnel.h"
#include "wg/iface.h"
#include "wg/kernel.h"
#include "wg/keys.h"
#include "wg/system.h"

namespace {

int failures = 0;

void check(bool ok, const std::string& what, const std::string& detail = "") {
    std::printf("subu-kernel-check: %s - %s%s%s\n", ok ? "ok" : "FAIL", what.c_str(), detail.empty() ? "" : ": ",
                detail.c_str());
    std::fflush(stdout);
    if (!ok) ++failures;
}

[[noreturn]] void power_off() {
    std::fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    _exit(failures ? 1 : 0);
}

void mount_basics() {
    for (const char* d : {"/proc", "/sys", "/dev", "/run", "/tmp"}) mkdir(d, 0755);
    mount("proc", "/proc", "proc", 0, nullptr);
    mount("sysfs", "/sys", "sysfs", 0, nullptr);
    mount("devtmpfs", "/dev", "devtmpfs", 0, nullptr);
    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755");
    mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777");
}

// Loads the modules listed, in order, in /modules/order (dependencies first).
void load_modules() {
    std::ifstream order("/modules/order");
    for (std::string name; std::getline(order, name);) {
        if (name.empty()) continue;
        const std::string path = "/modules/" + name;
        subu::wg::Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
        const bool ok = fd && syscall(SYS_finit_module, fd.get(), "", 0) == 0;
        check(ok || errno == EEXIST, "load " + name, ok ? "" : std::strerror(errno));
    }
}

void loopback_up() {
    subu::wg::Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    std::strcpy(ifr.ifr_name, "lo");
    ioctl(sock.get(), SIOCGIFFLAGS, &ifr);
    ifr.ifr_flags |= IFF_UP;
    ioctl(sock.get(), SIOCSIFFLAGS, &ifr);
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Whether a UDP socket on `port` is listed in the calling thread's namespace.
bool udp_port_here(unsigned port) {
    char hex[8];
    std::snprintf(hex, sizeof hex, ":%04X ", port);
    return slurp("/proc/thread-self/net/udp").find(hex) != std::string::npos ||
           slurp("/proc/thread-self/net/udp6").find(hex) != std::string::npos;
}

// 10.0.0.2:7777, where the datagram goes.
sockaddr_in subu_2_port() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(7777);
    inet_pton(AF_INET, "10.0.0.2", &addr.sin_addr);
    return addr;
}

subu::store::WgRow tunnel_row(std::uint32_t num, const std::string& address, const std::string& peer_address) {
    subu::store::WgRow row;
    row.num = num;
    row.address = address + "/32";
    row.allowed_ips = peer_address + "/32";
    row.mtu = 1420;
    return row;
}

// In a child as `uid` (in the namespace at `ns_path`, or this one): the device a
// fresh TCP socket is bound to ("-" for none), or "refused(<errno text>)".
std::string socket_as(std::uint32_t uid, const std::string& ns_path) {
    return subu::testing::in_forked_child([&]() -> std::string {
        subu::wg::Fd ns(ns_path.empty() ? -1 : open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!ns_path.empty() && setns(ns.get(), CLONE_NEWNET) < 0) return "setns";
        if (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0) return "setresuid";
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return std::string("refused(") + std::strerror(errno) + ")";
        char dev[IFNAMSIZ + 1] = {};
        socklen_t len = sizeof dev;
        getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, &len);
        close(fd);
        return dev[0] ? dev : "-";
    });
}

// The whole steering object through this kernel's verifier, and the uid rule at
// the root of a cgroup2 hierarchy: a subu's uid steered in its namespace
// (`ns_path`, with its tunnel `ifname`), refused outside; another uid untouched.
void check_uid_rule(const std::string& ns_path, const std::string& ifname) {
    mkdir("/sys/fs/cgroup", 0755);
    mkdir("/sys/fs/bpf", 0755);
    const bool cg = mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, nullptr) == 0 || errno == EBUSY;
    check(cg, "mount a cgroup2 hierarchy", cg ? "" : std::strerror(errno));
    const bool fs = mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr) == 0 || errno == EBUSY;
    check(fs, "mount bpffs", fs ? "" : std::strerror(errno));
    std::string loaded;
    for (const auto& h : subu::bpf::uid_hooks()) loaded += std::string(h.name) + " ";
    check(true, "uid programs this kernel takes", loaded);
    try {
        auto pinned = subu::bpf::load_and_pin("/sys/fs/bpf/subu", "/sys/fs/cgroup");
        std::string what;
        for (const auto& p : pinned) what += p + " ";
        check(true, "the verifier takes the whole steering object; pinned and linked at the root", what);
        check(subu::bpf::load_and_pin("/sys/fs/bpf/subu", "/sys/fs/cgroup").empty(),
              "a second load keeps every pin and link (same code)");
    } catch (const std::exception& e) {
        check(false, "load the steering object and link the uid rule", e.what());
        return;
    }
    constexpr std::uint32_t subu_uid = 64002, other_uid = 64001;
    const std::uint32_t tunnel = subu::bpf::ifindex_in(ns_path, ifname);
    subu::bpf::Steering steering("/sys/fs/bpf/subu");
    subu::bpf::Entry entry;
    entry.ifindex = tunnel;
    steering.put(ns_path, entry);
    subu::bpf::Uids uids("/sys/fs/bpf/subu");
    uids.put(subu_uid, ns_path);
    std::string got = socket_as(subu_uid, "");
    check(got == "refused(Operation not permitted)", "a subu's uid gets no socket in the initial namespace", got);
    got = socket_as(subu_uid, ns_path);
    check(got == ifname, "and one bound to its tunnel in its own namespace", got);
    got = socket_as(other_uid, "");
    check(got == "-", "another uid is untouched", got);
    uids.close(subu_uid);
    got = socket_as(subu_uid, ns_path);
    check(got == "refused(Operation not permitted)", "closed, the subu's uid gets none in its namespace either", got);
    uids.forget(subu_uid);
}

void run() {
    mount_basics();
    load_modules();
    loopback_up();
    check(subu::wg::KernelWireGuard::available(), "the kernel has the \"wireguard\" generic netlink family");
    check(subu::tunnel::choose_backend() == subu::tunnel::Backend::Kernel, "subu chooses the kernel backend");

    subu::system::NetnsDirectory netns("/run/netns");
    netns.ensure("ns-subu_1", true);
    netns.ensure("ns-subu_2", true);
    const std::string ns_a = "/run/netns/ns-subu_1", ns_b = "/run/netns/ns-subu_2";
    const std::string keys = "/tmp/keys";
    auto a = tunnel_row(1, "10.0.0.1", "10.0.0.2");
    auto b = tunnel_row(2, "10.0.0.2", "10.0.0.1");
    a.endpoint = b.endpoint = "127.0.0.1:1";  // replaced by the real ports below
    std::string pub_a, pub_b;
    {
        auto ka = subu::wg::generate_private_key();
        auto kb = subu::wg::generate_private_key();
        pub_a = subu::wg::to_base64(subu::wg::public_key_of(ka));
        pub_b = subu::wg::to_base64(subu::wg::public_key_of(kb));
        subu::wg::store_private_key(keys, a.id(), ka);
        subu::wg::store_private_key(keys, b.id(), kb);
    }

    // Step one, wg-configure with no server key yet: links made in place, no
    // peer, address and up (WireGuard opens its socket when the link goes up).
    subu::tunnel::configure_kernel(ns_a, "subu_1", subu::tunnel::device_config(a, keys, std::nullopt), a.mtu);
    subu::tunnel::configure_kernel(ns_b, "subu_2", subu::tunnel::device_config(b, keys, std::nullopt), b.mtu);
    subu::tunnel::configure_interface(ns_a, "subu_1", a);
    subu::tunnel::configure_interface(ns_b, "subu_2", b);
    check(subu::wg::link_index("subu_1") == 0 && subu::wg::link_index("subu_2") == 0,
          "the links are not in the initial namespace");
    const bool inside = subu::wg::in_network_namespace(ns_a, [] { return subu::wg::link_index("subu_1") != 0; });
    check(inside, "subu_1 was made inside ns-subu_1");
    auto status_a = subu::tunnel::status(ns_a, "subu_1");
    auto status_b = subu::tunnel::status(ns_b, "subu_2");
    check(status_a && status_b, "both report their status over generic netlink");
    if (!status_a || !status_b) return;
    check(status_a->public_key && subu::wg::to_base64(subu::wg::Key{*status_a->public_key}) == pub_a,
          "subu_1 has our key pair (public key " + pub_a + ")");
    const unsigned port_a = status_a->listen_port, port_b = status_b->listen_port;
    check(udp_port_here(port_a) && udp_port_here(port_b), "their UDP sockets are in the initial namespace",
          "ports " + std::to_string(port_a) + ", " + std::to_string(port_b));
    const bool socket_inside = subu::wg::in_network_namespace(ns_a, [&] { return udp_port_here(port_a); });
    check(!socket_inside, "and not inside the subu's namespace");
    // A second run of the same step changes nothing and fails nothing.
    subu::tunnel::configure_kernel(ns_a, "subu_1", subu::tunnel::device_config(a, keys, std::nullopt), a.mtu);
    check(true, "re-running the bring-up on an existing link succeeds");

    // Step two: the peers, endpoints on the initial namespace's loopback, addresses and routes.
    a.server_public_key = pub_b;
    b.server_public_key = pub_a;
    a.endpoint = "127.0.0.1:" + std::to_string(port_b);
    b.endpoint = "127.0.0.1:" + std::to_string(port_a);
    for (auto* row : {&a, &b}) {
        const std::string ns = row == &a ? ns_a : ns_b;
        const std::string ifname = subu::tunnel::interface_name(row->num);
        auto endpoint = subu::tunnel::resolve(subu::wg::parse_endpoint(row->endpoint), 1);
        subu::tunnel::configure_kernel(ns, ifname, subu::tunnel::device_config(*row, keys, endpoint), row->mtu);
        subu::tunnel::configure_interface(ns, ifname, *row);
    }

    // A datagram from inside ns-subu_1 to subu_2's address arrives inside ns-subu_2 from subu_1's.
    std::string got, from;
    std::thread receiver([&] {
        subu::wg::in_network_namespace(ns_b, [&] {
            subu::wg::Fd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            sockaddr_in addr = subu_2_port();
            timeval tv{20, 0};
            setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            if (bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) return;
            char buf[64];
            sockaddr_in peer{};
            socklen_t len = sizeof peer;
            const ssize_t n = recvfrom(s.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &len);
            if (n > 0) got.assign(buf, static_cast<std::size_t>(n));
            char text[INET_ADDRSTRLEN] = "";
            inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
            from = text;
        });
    });
    usleep(200000);
    subu::wg::in_network_namespace(ns_a, [&] {
        subu::wg::Fd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_in addr = subu_2_port();
        for (int i = 0; i < 20 && got.empty(); ++i) {
            sendto(s.get(), "through the tunnel", 18, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
            usleep(500000);
        }
    });
    receiver.join();
    check(got == "through the tunnel", "a datagram crosses the tunnel", "got \"" + got + "\"");
    check(from == "10.0.0.1", "its source is subu_1's /32", from);
    status_a = subu::tunnel::status(ns_a, "subu_1");
    const bool shook = status_a && !status_a->peers.empty() && status_a->peers[0].last_handshake_sec > 0;
    check(shook, "subu_1 reports a handshake");
    check(shook && status_a->peers[0].rx_bytes > 0 && status_a->peers[0].tx_bytes > 0, "and byte counters",
          shook ? std::to_string(status_a->peers[0].rx_bytes) + " received, " +
                      std::to_string(status_a->peers[0].tx_bytes) + " sent"
                : "");
    // (sysfs shows the namespace that mounted it, so ask the link itself.)
    const int mtu = subu::wg::in_network_namespace(ns_a, [] {
        subu::wg::Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        ifreq ifr{};
        std::strcpy(ifr.ifr_name, "subu_1");
        return ioctl(sock.get(), SIOCGIFMTU, &ifr) == 0 ? ifr.ifr_mtu : -1;
    });
    check(mtu == 1420, "subu_1 has MTU 1420", std::to_string(mtu));

    check_uid_rule(ns_a, "subu_1");

    // Tear-down leaves nothing.
    auto removed = subu::tunnel::tear_down(ns_a, "subu_1");
    check(removed.size() == 1, "tear-down removes subu_1");
    const bool gone = subu::wg::in_network_namespace(ns_a, [] { return subu::wg::link_index("subu_1") == 0; });
    check(gone && !udp_port_here(port_a), "no link and no socket of subu_1 are left");
    check(subu::tunnel::tear_down(ns_a, "subu_1").empty(), "a second tear-down finds nothing to do");
}

}  // namespace

int main() {
    try {
        run();
    } catch (const std::exception& e) {
        check(false, "the check ran through", e.what());
    }
    std::printf("subu-kernel-check: %s (%d failed)\n", failures ? "FAILED" : "PASSED", failures);
    if (getpid() == 1) power_off();
    return failures ? 1 : 0;
}
