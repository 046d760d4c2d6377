// Tunnel bring-up and tear-down for both backends, built on the wg/ codecs and transports.
#include "tunnel/tunnel.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <thread>

#include "core/errors.h"
#include "core/files.h"
#include "core/text.h"
#include "names/names.h"
#include "wg/iface.h"
#include "wg/kernel.h"
#include "wg/keys.h"
#include "wg/system.h"
#include "wg/uapi.h"

namespace subu::tunnel {
namespace {

// The non-empty items of a comma-separated field of a row.
std::vector<std::string> items_of(std::string_view list) {
    std::vector<std::string> out;
    for (auto item : split_list(list))
        if (!item.empty()) out.emplace_back(item);
    return out;
}

std::string resolv_conf_dir(const std::string& etc_netns_dir, const std::string& ns) { return etc_netns_dir + "/" + ns; }

// How a resolv.conf of subu's making begins; one that does not is an admin's and stays.
constexpr std::string_view resolv_conf_mark = "# The DNS of tunnel ";

}  // namespace

std::string interface_name(std::uint32_t wg_num) { return "subu_" + std::to_string(wg_num); }

std::string key_dir_for(const std::string& db_path) {
    const auto slash = db_path.rfind('/');
    return (slash == std::string::npos ? std::string(".") : db_path.substr(0, slash)) + "/keys";
}

std::string private_key_name(const store::WgRow& row) { return row.id(); }
std::string preshared_key_name(const store::WgRow& row) { return row.id() + "_psk"; }

Backend choose_backend() { return wg::KernelWireGuard::available() ? Backend::Kernel : Backend::WireGuardGo; }

const char* to_string(Backend backend) { return backend == Backend::Kernel ? "kernel" : "wireguard-go"; }

wg::PeerEndpoint resolve(const wg::Endpoint& endpoint, int attempts, std::chrono::milliseconds pause) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
    hints.ai_family = endpoint.kind == wg::Endpoint::Ipv4   ? AF_INET
                      : endpoint.kind == wg::Endpoint::Ipv6 ? AF_INET6
                                                            : AF_UNSPEC;
    if (endpoint.kind != wg::Endpoint::Name) hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
    const std::string port = std::to_string(endpoint.port);
    int rc = 0;
    for (int attempt = 1; attempt <= std::max(attempts, 1); ++attempt) {
        addrinfo* found = nullptr;
        rc = getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found);
        if (rc == 0) {
            wg::PeerEndpoint out;
            // The first answer of the family the resolver ranks best (RFC 6724, gai.conf).
            for (addrinfo* a = found; a; a = a->ai_next) {
                if (a->ai_family == AF_INET) {
                    const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
                    out.family = AF_INET;
                    std::memcpy(out.addr.data(), &sin->sin_addr, 4);
                    break;
                }
                if (a->ai_family == AF_INET6) {
                    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
                    out.family = AF_INET6;
                    std::memcpy(out.addr.data(), &sin6->sin6_addr, 16);
                    break;
                }
            }
            freeaddrinfo(found);
            if (out.family) {
                out.port = endpoint.port;
                return out;
            }
            rc = EAI_NONAME;
        }
        if (endpoint.kind != wg::Endpoint::Name) break;
        if (attempt < attempts) std::this_thread::sleep_for(pause);
    }
    throw Failed("Could not resolve the endpoint " + shown(wg::to_string(endpoint)) + ": " + gai_strerror(rc) + " (" +
                 std::to_string(std::max(attempts, 1)) + " tries). Check the name, or give the server's address: " +
                 "`subu WG make ADDRESS:PORT`.");
}

std::vector<wg::Cidr> allowed_ips(const store::WgRow& row) {
    std::vector<wg::Cidr> out;
    for (const auto& part : items_of(row.allowed_ips)) out.push_back(wg::parse_address(part));
    return out;
}

wg::DeviceConfig device_config(const store::WgRow& row, const std::string& key_dir,
                               const std::optional<wg::PeerEndpoint>& endpoint) {
    wg::DeviceConfig config;
    config.ifname = interface_name(row.num);
    {
        wg::PrivateKey key = wg::load_private_key(key_dir, private_key_name(row));
        config.private_key = key.bytes();
    }
    config.replace_peers = true;
    if (!row.server_public_key.empty()) {
        wg::PeerConfig peer;
        peer.public_key = wg::key_from_base64(row.server_public_key).bytes;
        if (row.has_preshared_key) {
            wg::PrivateKey psk = wg::load_private_key(key_dir, preshared_key_name(row));
            peer.preshared_key = psk.bytes();
        }
        peer.endpoint = endpoint;
        peer.persistent_keepalive = static_cast<std::uint16_t>(row.keepalive);
        for (const auto& cidr : allowed_ips(row)) {
            wg::AllowedIp ip;
            ip.family = cidr.family;
            ip.addr = wg::network_of(cidr).addr;
            ip.prefix = static_cast<std::uint8_t>(cidr.prefix);
            peer.allowed_ips.push_back(ip);
        }
        config.peers.push_back(std::move(peer));
    }
    wg::validate(config);
    return config;
}

void configure_interface(const std::string& netns_path, const std::string& ifname, const store::WgRow& row) {
    const wg::Cidr address = wg::parse_address(row.address);
    const auto routes = allowed_ips(row);
    wg::in_network_namespace(netns_path, [&] {
        wg::set_mtu_and_up(ifname, row.mtu);
        const unsigned index = wg::link_index(ifname);
        if (!index) throw Failed("The interface " + ifname + " vanished while it was being set up");
        wg::add_address(index, address);
        for (const auto& route : routes) wg::add_route(index, route);
    });
}

bool write_resolv_conf(const std::string& etc_netns_dir, const std::string& ns, const store::WgRow& row) {
    const auto servers = items_of(row.dns);
    if (servers.empty()) {
        remove_resolv_conf(etc_netns_dir, ns);
        return false;
    }
    std::string text = std::string(resolv_conf_mark) + row.id() + ", written by subu-apply; `ip netns exec " + ns +
                       "` and `subu exec` see it as /etc/resolv.conf.\n";
    std::string search;
    for (const auto& s : servers) {
        if (wg::valid_dns_name(s)) {
            search += " " + s;
            continue;
        }
        // parse_address gives "a.b.c.d/32"; a nameserver line wants the bare address.
        const std::string address = wg::to_string(wg::parse_address(s));
        text += "nameserver " + address.substr(0, address.find('/')) + "\n";
    }
    if (!search.empty()) text += "search" + search + "\n";
    for (const std::string& dir : {etc_netns_dir, resolv_conf_dir(etc_netns_dir, ns)})
        if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("create " + dir);
    files::write_atomically(resolv_conf_dir(etc_netns_dir, ns) + "/resolv.conf", text, 0644);
    return true;
}

void remove_resolv_conf(const std::string& etc_netns_dir, const std::string& ns) {
    const std::string dir = resolv_conf_dir(etc_netns_dir, ns);
    const std::string path = dir + "/resolv.conf";
    char head[64] = {};
    if (FILE* f = std::fopen(path.c_str(), "re")) {
        const std::size_t n = std::fread(head, 1, resolv_conf_mark.size(), f);
        std::fclose(f);
        if (std::string_view(head, n) != resolv_conf_mark) return;
    }
    if (unlink(path.c_str()) < 0 && errno != ENOENT) throw_errno("remove " + path);
    rmdir(dir.c_str());  // only when empty: an admin's own files there stay
}

void exec_wireguard_go(const std::string& wireguard_go, const std::string& netns_path, const std::string& ifname,
                       unsigned mtu) {
    // Both at fds of 10 and up first, so placing them at 3 and 4 clobbers
    // neither, and dup2 (which clears O_CLOEXEC) really happens.
    wg::Fd made(wg::open_placeholder_tun(ifname, mtu));
    wg::Fd placeholder(::fcntl(made.get(), F_DUPFD_CLOEXEC, 10));
    made.reset();
    wg::Fd born(wg::open_tun_in_namespace(netns_path, ifname, wg::TunFrames::WithPacketInfo));
    wg::Fd tun(::fcntl(born.get(), F_DUPFD_CLOEXEC, 10));
    born.reset();
    if (!placeholder || !tun) throw_errno("keep the TUNs of " + ifname);
    // fd 3: the TUN inside the subu's namespace, what wireguard-go serves;
    // fd 4: the placeholder, held open by wireguard-go so it goes with it.
    if (::dup2(tun.get(), 3) < 0 || ::dup2(placeholder.get(), 4) < 0) throw_errno("hand the TUNs of " + ifname + " on");
    const char* argv[] = {wireguard_go.c_str(), "-f", ifname.c_str(), nullptr};
    // No other environment: nothing of the caller's reaches the daemon; errors
    // only in the journal. (Debian 12's wireguard-go still prints a banner
    // about kernel WireGuard, judged by the kernel's version alone.)
    const char* envp[] = {"WG_TUN_FD=3", "LOG_LEVEL=error", nullptr};
    ::execve(wireguard_go.c_str(), const_cast<char* const*>(argv), const_cast<char* const*>(envp));
    throw_errno("run " + wireguard_go + " (install the wireguard-go package)");
}

void configure_wireguard_go(const std::string& ifname, const wg::DeviceConfig& config, std::chrono::milliseconds wait) {
    wg::UapiClient uapi(wg::uapi_socket_path(ifname), wait);
    // Answering a get means wireguard-go has taken the TUN and set itself up.
    (void)uapi.get();
    uapi.set(config);
}

void configure_kernel(const std::string& netns_path, const std::string& ifname, const wg::DeviceConfig& config,
                      unsigned mtu) {
    wg::KernelWireGuard kernel(netns_path);
    kernel.create_link(ifname, mtu);
    kernel.configure(config);
}

std::vector<std::string> tear_down(const std::string& netns_path, const std::string& ifname) {
    std::vector<std::string> removed;
    if (access(netns_path.c_str(), F_OK) == 0 &&
        wg::in_network_namespace(netns_path, [&] { return wg::delete_link(ifname); }))
        removed.push_back(ifname + " in the namespace");
    // On the host: wireguard-go's placeholder (or a TUN that never got moved).
    if (wg::link_index(ifname) && wg::delete_link(ifname)) removed.push_back(ifname + " on the host");
    const std::string socket = wg::uapi_socket_path(ifname);
    if (unlink(socket.c_str()) == 0) removed.push_back(socket);
    return removed;
}

std::optional<wg::DeviceStatus> status(const std::string& netns_path, const std::string& ifname,
                                       std::chrono::milliseconds timeout) {
    const std::string socket = wg::uapi_socket_path(ifname);
    if (access(socket.c_str(), F_OK) == 0) {
        try {
            return wg::UapiClient(socket, timeout).get();
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    if (access(netns_path.c_str(), F_OK) != 0) return std::nullopt;
    try {
        if (!wg::KernelWireGuard::available()) return std::nullopt;
        return wg::KernelWireGuard(netns_path).status(ifname);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace subu::tunnel
