// The userspace backend: wireguard-go's UAPI text protocol over its Unix socket, and the TUN it is handed.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

#include "wg/device.h"

namespace subu::wg {

// The "set=1" request for `config` (validated first), through its blank
// line: private_key, listen_port (left out when 0, so the port stays),
// replace_peers, then per peer public_key, preshared_key, endpoint
// (a.b.c.d:port or [v6]:port), persistent_keepalive_interval,
// replace_allowed_ips=true and its allowed_ip lines. The text holds the
// private key: wipe() it after use.
std::string uapi_set_text(const DeviceConfig& config);

// Reads a "set=1" request back (tests, and a stand-in wireguard-go).
// Throws InvalidArgument on anything it would not send itself.
DeviceConfig parse_uapi_set(std::string_view text);

// Reads the reply to "get=1": key=value lines, errno=N, a blank line.
// Unknown keys are ignored; private and preshared keys are not kept.
// Throws Failed naming the errno when it is not 0, and InvalidArgument on
// a malformed number, key or address, a peer key before any public_key, a
// missing errno line, or a reply that stops before its blank line.
DeviceStatus parse_uapi_get(std::string_view reply);

// Where wireguard-go listens for `ifname`: /var/run/wireguard/<ifname>.sock,
// in the mount namespace it runs in. The name is the TUN's real name, not
// wireguard-go's argument.
std::string uapi_socket_path(std::string_view ifname);

// A client of one wireguard-go UAPI socket. Each call is one connection:
// connect (waiting, within the timeout, for a wireguard-go that is still
// starting to create its socket), write the request, read the reply through
// its blank line, every read bounded by the same deadline.
class UapiClient {
public:
    explicit UapiClient(std::string socket_path, std::chrono::milliseconds timeout = std::chrono::seconds(5));

    // Applies `config`; throws Failed naming wireguard-go's errno if it refuses.
    void set(const DeviceConfig& config);
    // The interface's state. `ifname` comes from the socket's name.
    DeviceStatus get();

    const std::string& socket_path() const { return socket_path_; }

private:
    // Sends `request`, returns the whole reply (through its blank line).
    std::string exchange(std::string_view request);

    std::string socket_path_;
    std::chrono::milliseconds timeout_;
};

// How the TUN frames packets for whoever reads it.
enum class TunFrames {
    Raw,             // IFF_NO_PI: bare IP packets
    WithPacketInfo,  // a 4-byte packet-information header first: what
                     // Debian 12's wireguard-go (0.0.20220316) expects of a
                     // TUN handed over in WG_TUN_FD
};

// Opens /dev/net/tun and makes (or attaches to) the TUN `ifname` in the
// caller's namespace. Returns the fd, O_CLOEXEC: only the code that hands it
// to wireguard-go (as fd 3, WG_TUN_FD=3) clears that.
int open_tun(const std::string& ifname, TunFrames frames);

// The same from a short-lived thread inside the namespace at `netns_path`,
// so the TUN is born there. Debian 12's wireguard-go, handed such a TUN alone,
// refuses it ("Failed to create TUN device: no such device"): it looks the
// name up in its own namespace for the index and the MTU. Beside a
// placeholder of the same name on the host (open_placeholder_tun) it takes
// it: it learns the index and MTU from the placeholder and whether the real
// one is up from the descriptor. That saves moving a link between namespaces,
// which costs the kernel 15-50 ms.
int open_tun_in_namespace(const std::string& netns_path, const std::string& ifname, TunFrames frames = TunFrames::Raw);

// A TUN `ifname` in the caller's namespace with `mtu`, down and with no
// address, that carries nothing: the name wireguard-go looks up (see above).
// Returns its fd (O_CLOEXEC): handed to wireguard-go, the placeholder lives
// exactly as long as it does. Exists if a link that is no TUN has the name.
int open_placeholder_tun(const std::string& ifname, unsigned mtu);

// SIOCSIFMTU on `ifname` in the caller's namespace.
void set_link_mtu(const std::string& ifname, unsigned mtu);

}  // namespace subu::wg
