// Who may do what: pure decisions from bus-attested credentials, testable without a bus.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace subu::auth {

struct Caller {
    std::uint32_t uid = 0;  // the EUID the bus attests for the sender
};

enum class Action {
    List,     // see the list of subus (filtered to one's own)
    Inspect,  // read one subu's record
    Make,     // make a subu in a masu's tree
    Remove,   // remove a subu
    Configure,  // network, loopback (and later options) of a subu
};

// root may do everything; anyone else only acts on the tree of the masu whose
// uid is `owner_uid`, and only when that is their own uid.
bool allowed(const Caller& caller, Action action, std::optional<std::uint32_t> owner_uid);

// Whether `caller` sees a subu owned by `owner_uid` in a list.
bool sees(const Caller& caller, std::optional<std::uint32_t> owner_uid);

}  // namespace subu::auth
