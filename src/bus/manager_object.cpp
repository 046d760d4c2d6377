// Thin handlers: identify the caller, call the service, publish the result, map errors.
#include "bus/manager_object.h"

#include "bus/errors.h"
#include "core/errors.h"
#include "subu/config.h"

namespace subu::bus {

ManagerObject::ManagerObject(sdbus::IConnection& connection, store::Store& store, service::Subus& subus)
    : AdaptorInterfaces(connection, config::manager_path),
      connection_(connection),
      store_(store),
      subus_(subus),
      callers_(connection) {
    registerAdaptor();
}

ManagerObject::~ManagerObject() {
    objects_.clear();
    unregisterAdaptor();
}

void ManagerObject::publish(const store::SubuRow& row, bool announce) {
    auto obj = std::make_unique<SubuObject>(connection_, row, subus_.owner_uid(row).value_or(0));
    auto* raw = obj.get();
    objects_[row.num] = std::move(obj);
    if (announce) {
        raw->emitInterfacesAddedSignal({"org.subu.Subu1"});
        emitSubuNew(row.id(), raw->getObjectPath());
    }
}

void ManagerObject::publish_all() {
    for (const auto& row : subus_.list(auth::Caller{0})) publish(row, false);
}

std::tuple<std::string, std::string, sdbus::ObjectPath> ManagerObject::MakeSubu(const std::vector<std::string>& path) {
    return guarded("MakeSubu", [&] {
        auto row = subus_.make(callers_.of(getObject()), path);
        publish(row, true);
        return std::tuple<std::string, std::string, sdbus::ObjectPath>{row.id(), row.name, subu_object_path(row)};
    });
}

void ManagerObject::remove(const std::string& subu, bool purge) {
    auto row = subus_.remove(callers_.of(getObject()), subu, purge);
    if (auto it = objects_.find(row.num); it != objects_.end()) {
        const sdbus::ObjectPath path = it->second->getObjectPath();
        it->second->emitInterfacesRemovedSignal({"org.subu.Subu1"});
        objects_.erase(it);
        emitSubuRemoved(row.id(), path);
    }
}

void ManagerObject::RemoveSubu(const std::string& subu) {
    guarded("RemoveSubu", [&] { remove(subu, false); });
}

void ManagerObject::RemoveSubuWithOptions(const std::string& subu,
                                          const std::map<std::string, sdbus::Variant>& options) {
    guarded("RemoveSubuWithOptions", [&] {
        bool purge = false;
        for (const auto& [key, value] : options) {
            if (key != "purge")
                throw InvalidArgument("Unknown option \"" + key.substr(0, 40) + "\"; the known option is \"purge\" (b).");
            if (value.peekValueType() != "b") throw InvalidArgument("The option \"purge\" takes a boolean (b).");
            purge = value.get<bool>();
        }
        remove(subu, purge);
    });
}

std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t, sdbus::ObjectPath>>
ManagerObject::ListSubus() {
    return guarded("ListSubus", [&] {
        std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t, sdbus::ObjectPath>> out;
        for (const auto& r : subus_.list(callers_.of(getObject())))
            out.emplace_back(r.id(), r.name, r.masu, r.network, r.uid.value_or(0),
                             sdbus::ObjectPath(subu_object_path(r)));
        return out;
    });
}

sdbus::ObjectPath ManagerObject::GetSubu(const std::string& subu) {
    return guarded("GetSubu", [&] {
        return sdbus::ObjectPath(subu_object_path(subus_.get(callers_.of(getObject()), subu)));
    });
}

void ManagerObject::changed(const store::SubuRow& row) {
    if (auto it = objects_.find(row.num); it != objects_.end()) it->second->update(row);
}

void ManagerObject::SetNetwork(const std::string& subu, const std::string& state) {
    guarded("SetNetwork", [&] { changed(subus_.set_network(callers_.of(getObject()), subu, state)); });
}

void ManagerObject::SetLoopback(const std::string& subu, const std::string& state) {
    guarded("SetLoopback", [&] { changed(subus_.set_loopback(callers_.of(getObject()), subu, state)); });
}

std::string ManagerObject::Version() { return config::version; }
std::string ManagerObject::StateDatabase() { return store_.path(); }
uint32_t ManagerObject::SchemaVersion() { return static_cast<uint32_t>(store_.schema_version()); }

}  // namespace subu::bus
