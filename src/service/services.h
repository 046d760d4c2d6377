// System services attached to subus: each runs in its subu's namespace, as the subu's user, from boot on.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "auth/authz.h"
#include "service/subus.h"
#include "store/store.h"
#include "system/units.h"

namespace subu::service {

class Services {
public:
    // Attachments live in the store and the boot export; subu-generator
    // writes each one's drop-in, which `units` makes systemd read.
    Services(store::Store& store, Subus& subus, system::Units& units) : store_(store), subus_(subus), units_(units) {}

    // Attaches the system service `unit` to the subu `subu`: from now on (and
    // from boot) it runs in the subu's namespace, slice and DNS, as the user
    // its own User= names when that is the subu's or a subu's under it, else
    // as the subu's user; restarted at once if it is running. Root's, or
    // polkit's "manage-services". Refused, changing nothing: a name that is
    // no service or one subu or the system needs outside (InvalidArgument),
    // a unit systemd does not have (NotFound), one attached to another subu
    // (Busy). Attaching it again to the same subu changes nothing.
    store::ServiceRow attach(const auth::Caller& caller, std::string_view subu, std::string_view unit);

    // Detaches `unit` from `subu`: it runs outside again, as its own user,
    // restarted at once if it is running.
    store::ServiceRow detach(const auth::Caller& caller, std::string_view subu, std::string_view unit);

    // The units attached to `subu`, by name; for whoever may look at the subu.
    std::vector<std::string> list(const auth::Caller& caller, std::string_view subu);

private:
    store::SubuRow allowed_subu(const auth::Caller& caller, std::string_view ref, const std::string& verb);

    store::Store& store_;
    Subus& subus_;
    system::Units& units_;
};

}  // namespace subu::service
