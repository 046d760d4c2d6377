// wireguard-go's UAPI (wireguard.com/xplatform): the set/get text codec, a bounded Unix-socket client, TUN opening.
#include "wg/uapi.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <system_error>
#include <thread>

#include "core/errors.h"
#include "wg/system.h"

namespace subu::wg {
namespace {

// ---- text pieces ----------------------------------------------------------

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string& out, const KeyBytes& key) {
    for (std::uint8_t b : key) {
        out += kHex[b >> 4];
        out += kHex[b & 0xf];
    }
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Never quotes the value: it may be a secret.
KeyBytes parse_key(std::string_view value, std::string_view key) {
    KeyBytes out{};
    if (value.size() != 2 * out.size())
        throw InvalidArgument("The UAPI " + std::string(key) + " is not 64 hexadecimal digits");
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = hex_digit(value[2 * i]);
        int lo = hex_digit(value[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            wipe(out.data(), out.size());
            throw InvalidArgument("The UAPI " + std::string(key) + " is not 64 hexadecimal digits");
        }
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

bool all_zero(const KeyBytes& key) {
    std::uint8_t any = 0;
    for (std::uint8_t b : key) any |= b;
    return any == 0;
}

// The first 32 characters, for a message about a bad value.
std::string shown(std::string_view value) {
    return "\"" + std::string(value.substr(0, 32)) + (value.size() > 32 ? "…" : "") + "\"";
}

template <class T>
T parse_number(std::string_view value, std::string_view key) {
    T out{};
    const char* end = value.data() + value.size();
    auto [ptr, ec] = std::from_chars(value.data(), end, out);
    if (value.empty() || ec != std::errc() || ptr != end)
        throw InvalidArgument("The UAPI " + std::string(key) + " " + shown(value) + " is not a number in range");
    return out;
}

std::string address_text(int family, const std::array<std::uint8_t, 16>& addr) {
    char text[INET6_ADDRSTRLEN] = {};
    if (!inet_ntop(family, addr.data(), text, sizeof text)) throw InvalidArgument("An address of an unknown family");
    return text;
}

std::array<std::uint8_t, 16> parse_uapi_address(std::string_view text, int family, std::string_view key) {
    std::array<std::uint8_t, 16> addr{};
    const std::string copy(text);  // inet_pton wants a terminated string
    if (copy.size() >= INET6_ADDRSTRLEN || inet_pton(family, copy.c_str(), addr.data()) != 1)
        throw InvalidArgument("The UAPI " + std::string(key) + " " + shown(text) + " has no valid address");
    return addr;
}

std::string endpoint_text(const PeerEndpoint& endpoint) {
    std::string host = address_text(endpoint.family, endpoint.addr);
    if (endpoint.family == AF_INET6) host = "[" + host + "]";
    return host + ":" + std::to_string(endpoint.port);
}

// a.b.c.d:port or [v6]:port, as wireguard-go writes and reads them.
PeerEndpoint parse_uapi_endpoint(std::string_view text) {
    PeerEndpoint endpoint;
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find("]:");
        if (close == std::string_view::npos)
            throw InvalidArgument("The UAPI endpoint " + shown(text) + " lacks \"]:port\"");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        endpoint.family = AF_INET6;
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos)
            throw InvalidArgument("The UAPI endpoint " + shown(text) + " lacks \":port\"");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        endpoint.family = AF_INET;
    }
    endpoint.addr = parse_uapi_address(host, endpoint.family, "endpoint");
    endpoint.port = parse_number<std::uint16_t>(port, "endpoint port");
    return endpoint;
}

std::string allowed_ip_text(const AllowedIp& ip) {
    return address_text(ip.family, ip.addr) + "/" + std::to_string(ip.prefix);
}

AllowedIp parse_uapi_allowed_ip(std::string_view text) {
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos)
        throw InvalidArgument("The UAPI allowed_ip " + shown(text) + " lacks \"/prefix\"");
    AllowedIp ip;
    const std::string_view host = text.substr(0, slash);
    ip.family = host.find(':') == std::string_view::npos ? AF_INET : AF_INET6;
    ip.addr = parse_uapi_address(host, ip.family, "allowed_ip");
    const unsigned prefix = parse_number<unsigned>(text.substr(slash + 1), "allowed_ip prefix");
    if (prefix > address_size(ip.family) * 8)
        throw InvalidArgument("The UAPI allowed_ip " + shown(text) + " has a prefix longer than its address");
    ip.prefix = static_cast<std::uint8_t>(prefix);
    return ip;
}

// The lines of a request or reply up to its blank line; throws if the text
// stops before it. `fn(key, value, line_number)` sees each line.
template <class Fn>
void for_each_line(std::string_view text, const char* what, Fn&& fn) {
    std::size_t pos = 0;
    for (int number = 1;; ++number) {
        const std::size_t newline = text.find('\n', pos);
        if (newline == std::string_view::npos)
            throw InvalidArgument(std::string("The ") + what + " stops before its blank line (cut short?)");
        const std::string_view line = text.substr(pos, newline - pos);
        pos = newline + 1;
        if (line.empty()) return;
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos)
            throw InvalidArgument(std::string("Line ") + std::to_string(number) + " of the " + what + " has no '='");
        fn(line.substr(0, eq), line.substr(eq + 1), number);
    }
}

[[noreturn]] void refused(long long err, const std::string& context) {
    const int code = static_cast<int>(err < 0 ? -err : err);
    throw Failed(context + ": errno=" + std::to_string(err) + " (" + std::strerror(code) + ")");
}

// Appends without leaving a copy of what was there in freed memory: the
// reply to get=1 holds the private key.
void append_wiping(std::string& out, const char* data, std::size_t size) {
    if (out.size() + size > out.capacity()) {
        std::string bigger;
        bigger.reserve(2 * (out.size() + size));
        bigger.append(out);
        wipe(out.data(), out.size());
        out.swap(bigger);
    }
    out.append(data, size);
}

// ---- the socket -----------------------------------------------------------

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on `fd` until the deadline; false when it passed.
bool wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, remaining_ms(deadline));
        if (n > 0) return true;
        if (n == 0) return false;
        if (errno != EINTR) throw_errno("wait on a wireguard-go socket");
    }
}

}  // namespace

std::string uapi_set_text(const DeviceConfig& config) {
    validate(config);
    std::size_t size = 256;
    for (const PeerConfig& peer : config.peers) size += 384 + 64 * peer.allowed_ips.size();
    std::string text;
    // Room for all of it up front: a reallocation would leave a copy of the
    // private key in freed memory.
    text.reserve(size);
    text += "set=1\nprivate_key=";
    append_hex(text, config.private_key);
    text += '\n';
    if (config.listen_port) text += "listen_port=" + std::to_string(config.listen_port) + "\n";
    if (config.replace_peers) text += "replace_peers=true\n";
    for (const PeerConfig& peer : config.peers) {
        text += "public_key=";
        append_hex(text, peer.public_key);
        text += '\n';
        if (peer.preshared_key) {
            text += "preshared_key=";
            append_hex(text, *peer.preshared_key);
            text += '\n';
        }
        if (peer.endpoint) text += "endpoint=" + endpoint_text(*peer.endpoint) + "\n";
        text += "persistent_keepalive_interval=" + std::to_string(peer.persistent_keepalive) + "\n";
        text += "replace_allowed_ips=true\n";
        for (const AllowedIp& ip : peer.allowed_ips) text += "allowed_ip=" + allowed_ip_text(ip) + "\n";
    }
    text += '\n';
    return text;
}

DeviceConfig parse_uapi_set(std::string_view text) {
    constexpr std::string_view kOp = "set=1\n";
    if (text.substr(0, kOp.size()) != kOp) throw InvalidArgument("A UAPI set request starts with \"set=1\"");
    DeviceConfig config;
    config.replace_peers = false;
    bool has_private_key = false;
    PeerConfig* peer = nullptr;
    for_each_line(text.substr(kOp.size()), "UAPI set request", [&](std::string_view key, std::string_view value, int) {
        if (key == "public_key") {
            config.peers.emplace_back();
            peer = &config.peers.back();
            peer->public_key = parse_key(value, key);
        } else if (!peer) {
            if (key == "private_key") {
                config.private_key = parse_key(value, key);
                has_private_key = true;
            } else if (key == "listen_port") {
                config.listen_port = parse_number<std::uint16_t>(value, key);
            } else if (key == "replace_peers") {
                if (value != "true") throw InvalidArgument("The UAPI replace_peers is not \"true\"");
                config.replace_peers = true;
            } else {
                throw InvalidArgument("The UAPI set request has the device key \"" + std::string(key) +
                                      "\", which subu never sends");
            }
        } else if (key == "preshared_key") {
            peer->preshared_key = parse_key(value, key);
        } else if (key == "endpoint") {
            peer->endpoint = parse_uapi_endpoint(value);
        } else if (key == "persistent_keepalive_interval") {
            peer->persistent_keepalive = parse_number<std::uint16_t>(value, key);
        } else if (key == "replace_allowed_ips") {
            if (value != "true") throw InvalidArgument("The UAPI replace_allowed_ips is not \"true\"");
        } else if (key == "allowed_ip") {
            peer->allowed_ips.push_back(parse_uapi_allowed_ip(value));
        } else {
            throw InvalidArgument("The UAPI set request has the peer key \"" + std::string(key) +
                                  "\", which subu never sends");
        }
    });
    if (!has_private_key) throw InvalidArgument("The UAPI set request has no private_key");
    return config;
}

namespace {

// parse_uapi_get without the verdict on errno, which it returns in `err`.
DeviceStatus parse_get(std::string_view reply, long long& err_out) {
    DeviceStatus status;
    PeerStatus* peer = nullptr;
    std::optional<long long> err;
    for_each_line(reply, "wireguard-go reply", [&](std::string_view key, std::string_view value, int number) {
        if (key == "errno") {
            err = parse_number<long long>(value, key);
            return;
        }
        if (key == "public_key") {
            status.peers.emplace_back();
            peer = &status.peers.back();
            peer->public_key = parse_key(value, key);
            return;
        }
        if (!peer) {
            if (key == "private_key") {
                KeyBytes secret = parse_key(value, key);
                status.has_private_key = !all_zero(secret);
                wipe(secret.data(), secret.size());
            } else if (key == "listen_port") {
                status.listen_port = parse_number<std::uint16_t>(value, key);
            } else if (key == "fwmark") {
                status.fwmark = parse_number<std::uint32_t>(value, key);
            } else if (key == "preshared_key" || key == "endpoint" || key == "allowed_ip" ||
                       key.starts_with("last_handshake") || key == "rx_bytes" || key == "tx_bytes" ||
                       key == "persistent_keepalive_interval" || key == "protocol_version") {
                throw InvalidArgument("Line " + std::to_string(number) +
                                      " of the wireguard-go reply has the peer key \"" + std::string(key) +
                                      "\" before any public_key");
            }
            return;  // a device key this code does not know: ignored
        }
        if (key == "preshared_key") {
            KeyBytes secret = parse_key(value, key);
            peer->has_preshared_key = !all_zero(secret);
            wipe(secret.data(), secret.size());
        } else if (key == "endpoint") {
            peer->endpoint = parse_uapi_endpoint(value);
        } else if (key == "last_handshake_time_sec") {
            peer->last_handshake_sec = parse_number<std::int64_t>(value, key);
        } else if (key == "last_handshake_time_nsec") {
            peer->last_handshake_nsec = parse_number<std::int64_t>(value, key);
        } else if (key == "rx_bytes") {
            peer->rx_bytes = parse_number<std::uint64_t>(value, key);
        } else if (key == "tx_bytes") {
            peer->tx_bytes = parse_number<std::uint64_t>(value, key);
        } else if (key == "persistent_keepalive_interval") {
            peer->persistent_keepalive = parse_number<std::uint16_t>(value, key);
        } else if (key == "allowed_ip") {
            peer->allowed_ips.push_back(parse_uapi_allowed_ip(value));
        } else if (key == "protocol_version") {
            parse_number<unsigned>(value, key);
        }
        // Anything else is a key of a newer wireguard-go: ignored.
    });
    if (!err) throw InvalidArgument("The wireguard-go reply has no errno line");
    err_out = *err;
    return status;
}

}  // namespace

DeviceStatus parse_uapi_get(std::string_view reply) {
    long long err = 0;
    DeviceStatus status = parse_get(reply, err);
    if (err != 0) refused(err, "wireguard-go refused the request");
    return status;
}

std::string uapi_socket_path(std::string_view ifname) { return "/var/run/wireguard/" + std::string(ifname) + ".sock"; }

UapiClient::UapiClient(std::string socket_path, std::chrono::milliseconds timeout)
    : socket_path_(std::move(socket_path)), timeout_(timeout) {
    if (socket_path_.empty() || socket_path_.size() >= sizeof(sockaddr_un::sun_path))
        throw InvalidArgument("The wireguard-go socket path \"" + socket_path_ +
                              "\" does not fit a Unix socket address");
}

std::string UapiClient::exchange(std::string_view request) {
    const auto deadline = Clock::now() + timeout_;
    const std::string at = "wireguard-go at " + socket_path_;

    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, socket_path_.data(), socket_path_.size());
    Fd sock;
    for (;;) {
        sock = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        if (!sock) throw_errno("open a socket for " + at);
        if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
        const int err = errno;
        if (err == EINTR) continue;
        // A wireguard-go still starting has no socket yet (ENOENT) or has not
        // begun to listen on it (ECONNREFUSED): wait for it, within the deadline.
        if ((err == ENOENT || err == ECONNREFUSED) && Clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(std::min(20, remaining_ms(deadline) + 1)));
            continue;
        }
        if (err == EAGAIN) {  // its backlog is full: wait for room
            if (wait_for(sock.get(), POLLOUT, deadline)) continue;
            throw std::system_error(ETIMEDOUT, std::generic_category(), "Failed to connect to " + at);
        }
        throw std::system_error(err, std::generic_category(),
                                "Failed to connect to " + at + " within " + std::to_string(timeout_.count()) + " ms");
    }

    std::size_t sent = 0;
    while (sent < request.size()) {
        if (!wait_for(sock.get(), POLLOUT, deadline))
            throw std::system_error(ETIMEDOUT, std::generic_category(), "Failed to send a request to " + at);
        const ssize_t n = ::send(sock.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            throw_errno("send a request to " + at);
        }
        sent += static_cast<std::size_t>(n);
    }

    std::string reply;
    reply.reserve(4096);
    char buf[4096];
    for (;;) {
        if (!wait_for(sock.get(), POLLIN, deadline)) {
            wipe(reply.data(), reply.size());
            throw std::system_error(ETIMEDOUT, std::generic_category(),
                                    "Failed to read the reply of " + at + " (none complete within " +
                                        std::to_string(timeout_.count()) + " ms)");
        }
        const ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            const int err = errno;
            wipe(reply.data(), reply.size());
            throw_errno(err, "read the reply of " + at);
        }
        if (n == 0) {
            wipe(reply.data(), reply.size());
            throw Failed(at + " closed the connection before the end of its reply");
        }
        append_wiping(reply, buf, static_cast<std::size_t>(n));
        wipe(buf, static_cast<std::size_t>(n));
        // The reply ends at its first blank line (a line is never empty before it).
        if (reply.front() == '\n' || reply.find("\n\n") != std::string::npos) return reply;
        if (reply.size() > (1u << 20)) {
            wipe(reply.data(), reply.size());
            throw Failed(at + " sent more than 1 MiB without ending its reply");
        }
    }
}

void UapiClient::set(const DeviceConfig& config) {
    std::string request = uapi_set_text(config);
    std::string reply;
    try {
        reply = exchange(request);
    } catch (...) {
        wipe(request.data(), request.size());
        throw;
    }
    wipe(request.data(), request.size());
    long long err = 0;
    parse_get(reply, err);  // a set reply is only its errno line
    if (err != 0) refused(err, "wireguard-go at " + socket_path_ + " refused the configuration of " + config.ifname);
}

DeviceStatus UapiClient::get() {
    std::string reply = exchange("get=1\n\n");
    struct Wiper {
        std::string& s;
        ~Wiper() { wipe(s.data(), s.size()); }
    } wiper{reply};
    long long err = 0;
    DeviceStatus status = parse_get(reply, err);
    if (err != 0) refused(err, "wireguard-go at " + socket_path_ + " refused to report its state");
    std::string_view name = socket_path_;
    name = name.substr(name.rfind('/') + 1);
    if (name.ends_with(".sock")) status.ifname = std::string(name.substr(0, name.size() - 5));
    return status;
}

int open_tun(const std::string& ifname, TunFrames frames) {
    validate_ifname(ifname);
    Fd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (!fd) throw_errno("open /dev/net/tun for " + ifname);
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
    ifr.ifr_flags = static_cast<short>(IFF_TUN | (frames == TunFrames::Raw ? IFF_NO_PI : 0));
    if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0) throw_errno("create the TUN interface " + ifname);
    return fd.release();
}

int open_tun_in_namespace(const std::string& netns_path, const std::string& ifname, TunFrames frames) {
    // /dev/net/tun binds the TUN to the namespace of whoever opens it.
    return in_network_namespace(netns_path, [&] { return open_tun(ifname, frames); });
}

int open_placeholder_tun(const std::string& ifname, unsigned mtu) {
    validate_ifname(ifname);
    const std::string dir = "/sys/class/net/" + ifname;
    if (::access(dir.c_str(), F_OK) == 0 && ::access((dir + "/tun_flags").c_str(), F_OK) != 0)
        throw Exists("The host already has a link named " + ifname + " that is not a TUN; subu needs that name for "
                     "its tunnel's placeholder. Rename or remove that link.");
    Fd fd(open_tun(ifname, TunFrames::WithPacketInfo));
    set_link_mtu(ifname, mtu);
    return fd.release();
}

void set_link_mtu(const std::string& ifname, unsigned mtu) {
    validate_ifname(ifname);
    Fd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno("open a socket to set the MTU of " + ifname);
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
    ifr.ifr_mtu = static_cast<int>(mtu);
    if (::ioctl(sock.get(), SIOCSIFMTU, &ifr) < 0) throw_errno("set the MTU of " + ifname);
}

}  // namespace subu::wg
