// Authorization decisions of subu: root, or the owner (masu) acting on their own tree.
#include "auth/authz.h"

namespace subu::auth {

bool allowed(const Caller& caller, Action action, std::optional<std::uint32_t> owner_uid) {
    if (caller.uid == 0) return true;
    if (action == Action::List) return true;  // the list itself is filtered by sees()
    return owner_uid.has_value() && *owner_uid == caller.uid;
}

bool sees(const Caller& caller, std::optional<std::uint32_t> owner_uid) {
    return allowed(caller, Action::Inspect, owner_uid);
}

}  // namespace subu::auth
