// Properties of one tunnel: what the store holds, never a private key.
#include "bus/wg_object.h"

#include "names/names.h"
#include "tunnel/tunnel.h"

namespace subu::bus {

std::string wg_object_path(const store::WgRow& row) { return "/org/subu/Manager1/wg/" + row.id(); }

WgObject::WgObject(sdbus::IConnection& connection, store::WgRow row)
    : AdaptorInterfaces(connection, wg_object_path(row)), row_(std::move(row)) {
    registerAdaptor();
}

WgObject::~WgObject() { unregisterAdaptor(); }

void WgObject::update(const store::WgRow& row) {
    std::vector<std::string> changed;
    if (row.server_public_key != row_.server_public_key) changed.push_back("ServerPublicKey");
    if (row.subu != row_.subu) changed.push_back("AttachedSubu");
    if (row.state != row_.state) changed.push_back("State");
    row_ = row;
    if (!changed.empty()) emitPropertiesChangedSignal("org.subu.WireGuard1", changed);
}

std::string WgObject::Id() { return row_.id(); }
std::string WgObject::Endpoint() { return row_.endpoint; }
std::string WgObject::Address() { return row_.address; }
std::string WgObject::PublicKey() { return row_.public_key; }
std::string WgObject::ServerPublicKey() { return row_.server_public_key; }
std::string WgObject::AttachedSubu() { return row_.subu ? names::subu_id(*row_.subu) : ""; }
std::string WgObject::State() { return row_.state; }
std::string WgObject::Dns() { return row_.dns; }
uint32_t WgObject::Mtu() { return row_.mtu; }
std::string WgObject::AllowedIPs() { return row_.allowed_ips; }
uint32_t WgObject::PersistentKeepalive() { return row_.keepalive; }
bool WgObject::HasPresharedKey() { return row_.has_preshared_key; }

std::string WgObject::Backend() {
    static const std::string backend = tunnel::to_string(tunnel::choose_backend());
    return backend;
}
std::string WgObject::Interface() { return tunnel::interface_name(row_.num); }

const std::optional<wg::DeviceStatus>& WgObject::live() {
    const auto now = std::chrono::steady_clock::now();
    if (now - live_at_ > std::chrono::milliseconds(100)) {
        live_.reset();
        if (row_.subu)
            live_ = tunnel::status(names::netns_path(*row_.subu), tunnel::interface_name(row_.num));
        live_at_ = now;
    }
    return live_;
}

bool WgObject::Running() { return live().has_value(); }

uint64_t WgObject::LatestHandshake() {
    const auto& s = live();
    if (!s || s->peers.empty()) return 0;
    const auto& p = s->peers.front();
    return static_cast<uint64_t>(p.last_handshake_sec) * 1000000u + static_cast<uint64_t>(p.last_handshake_nsec / 1000);
}
uint64_t WgObject::RxBytes() {
    const auto& s = live();
    return s && !s->peers.empty() ? s->peers.front().rx_bytes : 0;
}
uint64_t WgObject::TxBytes() {
    const auto& s = live();
    return s && !s->peers.empty() ? s->peers.front().tx_bytes : 0;
}

}  // namespace subu::bus
