// Authorization decisions of subu: root, the owner (masu) acting on their own tree, or the authority.
#include "auth/authz.h"

namespace subu::auth {

bool sees(const Caller& caller, std::optional<std::uint32_t> owner_uid) {
    return caller.uid == 0 || (owner_uid.has_value() && *owner_uid == caller.uid);
}

bool allowed(const Caller& caller, Action action, std::optional<std::uint32_t> owner_uid) {
    if (action == Action::List) return true;  // the list itself is filtered by sees()
    if (action == Action::ManageServices ? caller.uid == 0 : sees(caller, owner_uid)) return true;
    return caller.authority && caller.authority(action);
}

std::string_view polkit_action(Action action) {
    switch (action) {
        case Action::List:
        case Action::Inspect: return "org.subu.Manager1.inspect";
        case Action::Make:
        case Action::Remove:
        case Action::Configure: return "org.subu.Manager1.manage-any";
        case Action::Exec: return "org.subu.Manager1.exec-any";
        case Action::ManageServices: return "org.subu.Manager1.manage-services";
    }
    return "org.subu.Manager1.manage-any";
}

}  // namespace subu::auth
