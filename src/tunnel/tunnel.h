// A subu's tunnel brought to life: the steps the subu-wg@ unit runs, shared by subu-apply, the manager and the benchmarks.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "wg/addr.h"
#include "wg/device.h"

namespace subu::tunnel {

// The tunnel WG_N's interface: "subu_N" (DESIGN: subu_<wgN>), the same name
// on the host while wireguard-go starts and inside the subu's namespace after.
std::string interface_name(std::uint32_t wg_num);

// Where the key files of the store at `db_path` are: its directory + "/keys".
std::string key_dir_for(const std::string& db_path);
// The key file names of a tunnel (in key_dir): "WG_N" and "WG_N_psk".
std::string private_key_name(const store::WgRow& row);
std::string preshared_key_name(const store::WgRow& row);

enum class Backend { Kernel, WireGuardGo };
// The kernel's WireGuard when it has one (asking may load wireguard.ko), else wireguard-go.
Backend choose_backend();
const char* to_string(Backend backend);

// The endpoint's address: a literal as it is, a name looked up (getaddrinfo,
// the host's resolver) up to `attempts` times, `pause` apart. Kept short: the
// manager waits for a start job, and a unit that fails is started again by
// systemd (Restart=on-failure, every RestartSec=), which covers a boot whose
// network comes late. Throws Failed saying what was looked up and the
// resolver's last answer.
wg::PeerEndpoint resolve(const wg::Endpoint& endpoint, int attempts = 3,
                         std::chrono::milliseconds pause = std::chrono::seconds(1));

// The tunnel's device configuration: our private key (read from its file),
// the server as the one peer (when its key is known; without it the device
// has no peer and sends nothing), its preshared key, `endpoint`, the allowed
// IPs and keepalive. Wipes itself when destroyed.
wg::DeviceConfig device_config(const store::WgRow& row, const std::string& key_dir,
                               const std::optional<wg::PeerEndpoint>& endpoint);

// The allowed IPs of a row ("0.0.0.0/0,::/0"), parsed.
std::vector<wg::Cidr> allowed_ips(const store::WgRow& row);

// Inside the namespace at `netns_path`: MTU, up, the tunnel's address and a
// route through it to each allowed network (0.0.0.0/0 and ::/0: the default
// routes). Each step replaces what is there, so a re-run is harmless.
void configure_interface(const std::string& netns_path, const std::string& ifname, const store::WgRow& row);

// /etc/netns/<ns>/resolv.conf from the tunnel's DNS ("10.64.0.1,example.org":
// addresses become nameservers, names the search list), or removed (and its
// directory, when empty) if the tunnel has none. Returns whether one is there.
// Removing leaves a resolv.conf alone that subu did not write (an admin's).
bool write_resolv_conf(const std::string& etc_netns_dir, const std::string& ns, const store::WgRow& row);
void remove_resolv_conf(const std::string& etc_netns_dir, const std::string& ns);

// wireguard-go's part of bring-up, before it runs: the TUN `ifname` made
// inside the subu's namespace at `netns_path` (no move between namespaces),
// beside a placeholder of the same name on the host (down, no address,
// `mtu`), which Debian 12's wireguard-go needs to find the name (see
// wg/uapi.h); the TUN put at fd 3 and wireguard-go exec'd in the foreground
// with WG_TUN_FD=3 and no other environment. Its UDP socket is made in the
// host's namespace, where it runs. Returns only by throwing.
[[noreturn]] void exec_wireguard_go(const std::string& wireguard_go, const std::string& netns_path,
                                    const std::string& ifname, unsigned mtu);

// wireguard-go's part after it started: waits for its UAPI socket (its TUN is
// already inside, see exec_wireguard_go), configures it.
void configure_wireguard_go(const std::string& ifname, const wg::DeviceConfig& config,
                            std::chrono::milliseconds wait = std::chrono::seconds(10));

// The kernel's part: the link made inside the namespace with its socket
// outside (if missing), configured over generic netlink.
void configure_kernel(const std::string& netns_path, const std::string& ifname, const wg::DeviceConfig& config,
                      unsigned mtu);

// Removes what a tunnel leaves when its process is gone: the link inside the
// namespace and on the host (the placeholder), wireguard-go's socket file.
// Returns what it removed.
std::vector<std::string> tear_down(const std::string& netns_path, const std::string& ifname);

// What the running interface reports, from inside the subu's namespace or
// wireguard-go's socket; nothing when it is not running.
std::optional<wg::DeviceStatus> status(const std::string& netns_path, const std::string& ifname,
                                       std::chrono::milliseconds timeout = std::chrono::milliseconds(300));

}  // namespace subu::tunnel
