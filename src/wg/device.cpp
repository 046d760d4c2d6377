// Checks on a WireGuard device configuration that both backends share.
#include "wg/device.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <ostream>

#include "core/errors.h"

namespace subu::wg {

std::size_t address_size(int family) noexcept {
    if (family == AF_INET) return 4;
    if (family == AF_INET6) return 16;
    return 0;
}

void validate_ifname(const std::string& name) {
    // The kernel's own rule (dev_valid_name), so a bad name fails here with
    // a message rather than deep in a netlink reply.
    if (name == "." || name == "..") throw InvalidArgument("\"" + name + "\" cannot name an interface");
    if (name.empty() || name.size() >= IFNAMSIZ)
        throw InvalidArgument("The interface name \"" + name + "\" must have 1 to " + std::to_string(IFNAMSIZ - 1) +
                              " characters");
    for (char c : name) {
        if (c == '/' || c == ':' || c == '\0' || c == ' ' || (c >= '\t' && c <= '\r'))
            throw InvalidArgument("The interface name \"" + name + "\" contains a '/', ':', NUL or blank");
    }
}

void validate(const DeviceConfig& config) {
    const std::string& name = config.ifname;
    validate_ifname(name);
    for (const PeerConfig& peer : config.peers) {
        if (peer.endpoint) {
            if (!address_size(peer.endpoint->family))
                throw InvalidArgument("A peer endpoint of " + name + " has an address family that is not IPv4 or IPv6");
            if (peer.endpoint->port == 0) throw InvalidArgument("A peer endpoint of " + name + " has port 0");
        }
        for (const AllowedIp& ip : peer.allowed_ips) {
            std::size_t size = address_size(ip.family);
            if (!size) throw InvalidArgument("An allowed IP of " + name + " is neither IPv4 nor IPv6");
            if (ip.prefix > size * 8)
                throw InvalidArgument("An allowed IP of " + name + " has prefix /" + std::to_string(ip.prefix) +
                                      ", longer than its address");
        }
    }
}

namespace {

void print_key(const KeyBytes& key, std::ostream* os) {
    static const char digits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < 4; ++i) *os << digits[key[i] >> 4] << digits[key[i] & 15];
    *os << "…";
}

void print_address(int family, const std::array<std::uint8_t, 16>& addr, std::ostream* os) {
    char text[INET6_ADDRSTRLEN] = {};
    if (inet_ntop(family, addr.data(), text, sizeof text))
        *os << text;
    else
        *os << "(family " << family << ")";
}

}  // namespace

void PrintTo(const PeerEndpoint& endpoint, std::ostream* os) {
    if (endpoint.family == AF_INET6) *os << '[';
    print_address(endpoint.family, endpoint.addr, os);
    if (endpoint.family == AF_INET6) *os << ']';
    *os << ':' << endpoint.port;
}

void PrintTo(const AllowedIp& ip, std::ostream* os) {
    print_address(ip.family, ip.addr, os);
    *os << '/' << static_cast<unsigned>(ip.prefix);
}

namespace {

template <class Peer>
void print_peer_common(const Peer& peer, std::ostream* os) {
    *os << "public_key=";
    print_key(peer.public_key, os);
    if (peer.endpoint) {
        *os << " endpoint=";
        PrintTo(*peer.endpoint, os);
    }
    *os << " keepalive=" << peer.persistent_keepalive << " allowed_ips=[";
    for (std::size_t i = 0; i < peer.allowed_ips.size(); ++i) {
        if (i) *os << ' ';
        PrintTo(peer.allowed_ips[i], os);
    }
    *os << ']';
}

}  // namespace

void PrintTo(const PeerConfig& peer, std::ostream* os) {
    *os << "{";
    print_peer_common(peer, os);
    *os << (peer.preshared_key ? " preshared_key=(hidden)" : "") << "}";
}

void PrintTo(const DeviceConfig& config, std::ostream* os) {
    *os << "{ifname=" << config.ifname << " private_key=(hidden) listen_port=" << config.listen_port
        << " replace_peers=" << config.replace_peers << " peers=[";
    for (const PeerConfig& peer : config.peers) PrintTo(peer, os);
    *os << "]}";
}

void PrintTo(const PeerStatus& peer, std::ostream* os) {
    *os << "{";
    print_peer_common(peer, os);
    *os << " handshake=" << peer.last_handshake_sec << "." << peer.last_handshake_nsec << " rx=" << peer.rx_bytes
        << " tx=" << peer.tx_bytes << (peer.has_preshared_key ? " preshared_key=(set)" : "") << "}";
}

void PrintTo(const DeviceStatus& status, std::ostream* os) {
    *os << "{ifname=" << status.ifname << " listen_port=" << status.listen_port << " fwmark=" << status.fwmark
        << " private_key=" << (status.has_private_key ? "(set)" : "(none)");
    if (status.public_key) {
        *os << " public_key=";
        print_key(*status.public_key, os);
    }
    *os << " peers=[";
    for (const PeerStatus& peer : status.peers) PrintTo(peer, os);
    *os << "]}";
}

}  // namespace subu::wg
