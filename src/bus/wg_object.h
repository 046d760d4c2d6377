// One tunnel on the bus: /org/subu/Manager1/wg/<id>, interface org.subu.WireGuard1.
#pragma once
#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <optional>

#include "store/store.h"
#include "wg/device.h"
#include "subu/dbus/WireGuard1_adaptor.h"

namespace subu::bus {

std::string wg_object_path(const store::WgRow& row);

class WgObject final
    : public sdbus::AdaptorInterfaces<org::subu::WireGuard1_adaptor, sdbus::ManagedObject_adaptor,
                                      sdbus::Properties_adaptor> {
public:
    WgObject(sdbus::IConnection& connection, store::WgRow row);
    ~WgObject();
    // Takes the new state and tells the bus which properties changed.
    void update(const store::WgRow& row);

private:
    std::string Id() override;
    std::string Endpoint() override;
    std::string Address() override;
    std::string PublicKey() override;
    std::string ServerPublicKey() override;
    std::string AttachedSubu() override;
    std::string State() override;
    std::string Dns() override;
    uint32_t Mtu() override;
    std::string AllowedIPs() override;
    uint32_t PersistentKeepalive() override;
    bool HasPresharedKey() override;
    std::string Backend() override;
    std::string Interface() override;
    bool Running() override;
    uint64_t LatestHandshake() override;
    uint64_t RxBytes() override;
    uint64_t TxBytes() override;

    // The running interface's report, asked at most every 100 ms (a GetAll
    // reads four live properties).
    const std::optional<wg::DeviceStatus>& live();

    store::WgRow row_;
    std::optional<wg::DeviceStatus> live_;
    std::chrono::steady_clock::time_point live_at_{};
};

}  // namespace subu::bus
