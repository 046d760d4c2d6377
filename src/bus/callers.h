// Who is calling: the Unix uid the bus daemon attests for a sender's unique name.
#pragma once
#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/IObject.h>
#include <sdbus-c++/IProxy.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "auth/authz.h"
#include "bus/polkit.h"

namespace subu::bus {

class Callers {
public:
    explicit Callers(sdbus::IConnection& connection);
    // The caller of the message `object` is handling now; anything beyond
    // root's and the owner's rights it asks polkit for, once per action.
    auth::Caller of(const sdbus::IObject& object);
    // Only who it is: an authority that is never asked.
    auth::Caller uid_of(const sdbus::IObject& object);
    Polkit& polkit() { return polkit_; }
    // Whether `object` is handling a Properties.Get/GetAll call right now.
    static bool in_properties_call(const sdbus::IObject& object);

private:
    std::unique_ptr<sdbus::IProxy> bus_;
    Polkit polkit_;
    // Unique names are never reused while the bus runs, so a uid learnt for
    // one stays true; the map is cleared when it grows large.
    std::unordered_map<std::string, std::uint32_t> uids_;
};

}  // namespace subu::bus
