// Who may do what: pure decisions from bus-attested credentials, testable without a bus.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace subu::auth {

enum class Action {
    List,       // see the list of subus (filtered to one's own)
    Inspect,    // read one subu's record
    Make,       // make a subu in a masu's tree
    Remove,     // remove a subu
    Configure,  // network, loopback, options of a subu
    Exec,       // run a program as a subu, inside it
    // Attach or detach a system service: root's, or the authority's. Owning
    // the subu is not enough: the service is the system's, and its owner
    // would otherwise run any daemon of the host (its files, its ports) as
    // their subu.
    ManageServices,
};

struct Caller {
    std::uint32_t uid = 0;  // the EUID the bus attests for the sender
    // Asked when neither root nor the owner: whether the system's authority
    // (polkit) grants `action` on someone else's subu. Unset means no.
    std::function<bool(Action)> authority = {};
};

// root may do everything; the owner (the masu whose uid is `owner_uid`) may
// act on their own tree (but not attach services); anyone else only when the
// authority says yes.
bool allowed(const Caller& caller, Action action, std::optional<std::uint32_t> owner_uid);

// Whether `caller` sees a subu owned by `owner_uid` in a list: root and the
// owner only (never asks the authority, so a list costs no round trips).
bool sees(const Caller& caller, std::optional<std::uint32_t> owner_uid);

// The polkit action that grants `action` on a subu the caller does not own.
std::string_view polkit_action(Action action);

}  // namespace subu::auth
