// The configuration and status of one WireGuard interface, in raw types shared by the kernel and wireguard-go backends.
#pragma once
#include <string.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace subu::wg {

// 32 raw bytes of a Curve25519 key (never base64 here; the codecs encode).
using KeyBytes = std::array<std::uint8_t, 32>;

// Overwrites key material in a way the compiler may not drop as a dead store.
inline void wipe(void* data, std::size_t size) noexcept { explicit_bzero(data, size); }

// A peer's UDP endpoint. `family` is AF_INET (first 4 bytes of `addr` used)
// or AF_INET6; `port` in host byte order. Named apart from the textual
// Endpoint of wg/addr.h so both headers can meet in one translation unit.
struct PeerEndpoint {
    int family = 0;
    std::array<std::uint8_t, 16> addr{};
    std::uint16_t port = 0;
    bool operator==(const PeerEndpoint&) const = default;
};

// One allowed-IPs entry: `prefix` bits of `addr` (4 or 16 bytes used by family).
struct AllowedIp {
    int family = 0;
    std::array<std::uint8_t, 16> addr{};
    std::uint8_t prefix = 0;
    bool operator==(const AllowedIp&) const = default;
};

struct PeerConfig {
    KeyBytes public_key{};
    std::optional<KeyBytes> preshared_key;
    std::optional<PeerEndpoint> endpoint;
    // Replaces the peer's whole list (WGPEER_F_REPLACE_ALLOWEDIPS / replace_allowed_ips=true).
    std::vector<AllowedIp> allowed_ips;
    std::uint16_t persistent_keepalive = 0;  // seconds, 0 = off

    // The preshared key is a secret; copies wipe their own bytes too.
    ~PeerConfig() {
        if (preshared_key) wipe(preshared_key->data(), preshared_key->size());
    }
    bool operator==(const PeerConfig&) const = default;
};

struct DeviceConfig {
    std::string ifname;
    KeyBytes private_key{};
    // 0 leaves the port alone: a fresh interface then picks one at random,
    // and a re-apply does not move a running interface to a new random port.
    std::uint16_t listen_port = 0;
    std::vector<PeerConfig> peers;
    // The peers above become the whole list (WGDEVICE_F_REPLACE_PEERS / replace_peers=true).
    bool replace_peers = true;

    ~DeviceConfig() { wipe(private_key.data(), private_key.size()); }
    bool operator==(const DeviceConfig&) const = default;
};

// Throws InvalidArgument unless `ifname` is a name the kernel accepts for a link.
void validate_ifname(const std::string& ifname);

// Throws InvalidArgument naming the first thing neither backend would accept
// (interface name, address families, prefix lengths, endpoint port).
void validate(const DeviceConfig& config);

// Bytes of an address by family: 4 for AF_INET, 16 for AF_INET6, 0 otherwise.
std::size_t address_size(int family) noexcept;

struct PeerStatus {
    KeyBytes public_key{};
    std::optional<PeerEndpoint> endpoint;
    // The last completed handshake; both 0 = never.
    std::int64_t last_handshake_sec = 0;
    std::int64_t last_handshake_nsec = 0;
    std::uint64_t rx_bytes = 0;
    std::uint64_t tx_bytes = 0;
    std::uint16_t persistent_keepalive = 0;
    std::vector<AllowedIp> allowed_ips;
    bool has_preshared_key = false;  // whether one is set; the key itself is never kept
    bool operator==(const PeerStatus&) const = default;
};

// What an interface reports. Private and preshared keys are dropped on the
// way in, so a status can be logged or sent over D-Bus.
struct DeviceStatus {
    std::string ifname;
    std::optional<KeyBytes> public_key;  // the kernel reports it; wireguard-go does not
    std::uint16_t listen_port = 0;
    std::uint32_t fwmark = 0;
    bool has_private_key = false;
    std::vector<PeerStatus> peers;
    bool operator==(const DeviceStatus&) const = default;
};

// GoogleTest prints the values of failed assertions through these; they show
// public keys and addresses and hide private and preshared keys.
void PrintTo(const PeerEndpoint& endpoint, std::ostream* os);
void PrintTo(const AllowedIp& ip, std::ostream* os);
void PrintTo(const PeerConfig& peer, std::ostream* os);
void PrintTo(const DeviceConfig& config, std::ostream* os);
void PrintTo(const PeerStatus& peer, std::ostream* os);
void PrintTo(const DeviceStatus& status, std::ostream* os);

}  // namespace subu::wg
