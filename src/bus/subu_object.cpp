// Properties of one subu. They are the facts /etc/passwd already shows every
// local user (name, uid, owner, home) plus its network state, so reading them
// needs no authorization; acting on a subu does.
#include "bus/subu_object.h"

#include "names/names.h"
#include "units/render.h"

namespace subu::bus {

std::string subu_object_path(const store::SubuRow& row) {
    return std::string("/org/subu/Manager1/subu/") + row.id();
}

SubuObject::SubuObject(sdbus::IConnection& connection, store::SubuRow row, std::uint32_t owner_uid)
    : AdaptorInterfaces(connection, subu_object_path(row)), row_(std::move(row)), owner_uid_(owner_uid) {
    registerAdaptor();
}

SubuObject::~SubuObject() { unregisterAdaptor(); }

std::string SubuObject::Id() { return row_.id(); }
std::string SubuObject::Name() { return row_.name; }
std::string SubuObject::Owner() { return row_.masu; }
uint32_t SubuObject::OwnerUid() { return owner_uid_; }
std::string SubuObject::Parent() { return row_.parent ? names::subu_id(*row_.parent) : ""; }
uint32_t SubuObject::Uid() { return row_.uid.value_or(0); }
std::string SubuObject::Home() { return names::home(row_.name); }
std::string SubuObject::NetworkNamespace() { return names::netns_name(row_.num); }
void SubuObject::update(const store::SubuRow& row) {
    std::vector<std::string> changed;
    if (row.network != row_.network) changed.push_back("Network");
    if (row.loopback != row_.loopback) changed.push_back("Loopback");
    row_ = row;
    if (!changed.empty()) emitPropertiesChangedSignal("org.subu.Subu1", changed);
}

std::string SubuObject::Unit() { return units::service("subu", row_.name); }
std::string SubuObject::Slice() { return units::slice(row_.name); }
std::string SubuObject::Network() { return row_.network; }
std::string SubuObject::Loopback() { return row_.loopback; }
bpf::Status SubuObject::steering() const {
    return bpf::status(units::slice_cgroup(row_.name), names::netns_path(row_.num));
}
std::string SubuObject::Steering() { return steering().state; }
std::string SubuObject::SteeringInterface() { return steering().interface; }
bool SubuObject::SteeringAttached() { return steering().attached; }

uint64_t SubuObject::CreatedAt() { return static_cast<uint64_t>(row_.created_at); }

}  // namespace subu::bus
