// One tunnel on the bus: /org/subu/Manager1/wg/<id>, interface org.subu.WireGuard1.
#pragma once
#include <sdbus-c++/sdbus-c++.h>

#include "store/store.h"
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

    store::WgRow row_;
};

}  // namespace subu::bus
