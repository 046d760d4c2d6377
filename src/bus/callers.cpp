// Asks the bus daemon (GetConnectionUnixUser) for the sender's uid: bus-attested, never read from /proc.
#include "bus/callers.h"

#include <sdbus-c++/Message.h>

#include <map>
#include <memory>

#include "bus/errors.h"

namespace subu::bus {

Callers::Callers(sdbus::IConnection& connection)
    : bus_(sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus")), polkit_(connection) {
    bus_->finishRegistration();
}

auth::Caller Callers::uid_of(const sdbus::IObject& object) {
    const sdbus::Message* msg = object.getCurrentlyProcessedMessage();
    if (!msg) throw sdbus::Error(error_access_denied, "The caller cannot be identified.");
    const std::string sender = msg->getSender();
    if (auto it = uids_.find(sender); it != uids_.end()) return {it->second};
    std::uint32_t uid = 0;
    bus_->callMethod("GetConnectionUnixUser").onInterface("org.freedesktop.DBus").withArguments(sender).storeResultsTo(uid);
    if (uids_.size() > 4096) uids_.clear();
    uids_.emplace(sender, uid);
    return {uid};
}

auth::Caller Callers::of(const sdbus::IObject& object) {
    const std::uint32_t uid = uid_of(object).uid;
    const std::string sender = object.getCurrentlyProcessedMessage()->getSender();
    // One answer per action for this call: the re-check inside a write
    // transaction must not ask again.
    auto answers = std::make_shared<std::map<auth::Action, bool>>();
    return {uid, [this, sender, answers](auth::Action action) {
                auto [it, fresh] = answers->try_emplace(action, false);
                if (fresh) it->second = polkit_.check(sender, std::string(auth::polkit_action(action)), false);
                return it->second;
            }};
}

bool Callers::in_properties_call(const sdbus::IObject& object) {
    const sdbus::Message* msg = object.getCurrentlyProcessedMessage();
    return msg && msg->getInterfaceName() == "org.freedesktop.DBus.Properties";
}

}  // namespace subu::bus
