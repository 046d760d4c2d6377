// One subu on the bus: /org/subu/Manager1/subu/<id>, interface org.subu.Subu1.
#pragma once
#include <sdbus-c++/sdbus-c++.h>

#include "bpf/steering.h"
#include "store/store.h"
#include "subu/dbus/Subu1_adaptor.h"

namespace subu::bus {

std::string subu_object_path(const store::SubuRow& row);

class SubuObject final
    : public sdbus::AdaptorInterfaces<org::subu::Subu1_adaptor, sdbus::ManagedObject_adaptor, sdbus::Properties_adaptor> {
public:
    // `owner_uid` is the masu's uid as it was when the object was made.
    SubuObject(sdbus::IConnection& connection, store::SubuRow row, std::uint32_t owner_uid);
    ~SubuObject();

    const store::SubuRow& row() const { return row_; }
    // Takes the new state and tells the bus which properties changed.
    void update(const store::SubuRow& row);

private:
    std::string Id() override;
    std::string Name() override;
    std::string Owner() override;
    uint32_t OwnerUid() override;
    std::string Parent() override;
    uint32_t Uid() override;
    std::string Home() override;
    std::string NetworkNamespace() override;
    std::string Unit() override;
    std::string Slice() override;
    std::string Network() override;
    std::string Loopback() override;
    uint64_t CreatedAt() override;
    std::string Steering() override;
    std::string SteeringInterface() override;
    bool SteeringAttached() override;
    bpf::Status steering() const;

    store::SubuRow row_;
    std::uint32_t owner_uid_;
};

}  // namespace subu::bus
