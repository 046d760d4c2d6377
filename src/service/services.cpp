// Attaching system services to subus. The store is written first; the export,
// systemd's reload and the restart follow, and a failure among them puts the
// store back, so a refusal or a failure leaves the service where it was.
#include "service/services.h"

#include "core/errors.h"
#include "core/log.h"
#include "core/text.h"
#include "names/names.h"
#include "units/service_name.h"

namespace subu::service {
namespace {

log::Fields fields(const store::SubuRow& subu, const std::string& unit, const auth::Caller& caller) {
    return {{"SUBU_ID", subu.id()},
            {"SUBU_NAME", subu.name},
            {"UNIT", unit},
            {"SUBU_CALLER_UID", std::to_string(caller.uid)}};
}

}  // namespace

store::SubuRow Services::allowed_subu(const auth::Caller& caller, std::string_view ref, const std::string& verb) {
    auto subu = subus_.find_or_throw(ref);
    if (!auth::allowed(caller, auth::Action::ManageServices, subus_.owner_uid(subu)))
        throw AccessDenied("Only root (or whom polkit grants org.subu.Manager1.manage-services) may " + verb +
                           " services of " + subu.name + ".");
    return subu;
}

store::ServiceRow Services::attach(const auth::Caller& caller, std::string_view subu_ref, std::string_view unit) {
    if (auto why = units::attach_problem(unit); !why.empty())
        throw InvalidArgument("Cannot attach " + shown(unit) + ": " + why + ".");
    const auto subu = allowed_subu(caller, subu_ref, "attach");

    const auto facts = units_.describe(std::string(unit));
    if (facts.load_state == "not-found")
        throw NotFound("There is no unit " + std::string(unit) +
                       "; `systemctl list-unit-files --type=service` shows the services there are.");
    if (facts.load_state == "masked")
        throw InvalidArgument("The unit " + std::string(unit) + " is masked; unmask it first.");
    if (facts.load_state != "loaded")
        throw InvalidArgument("The unit " + std::string(unit) + " does not load (" + shown(facts.load_state) +
                              "); `systemctl status " + std::string(unit) + "` says why.");
    // An alias attaches the unit it names, under the unit's own name.
    const std::string id = facts.id.empty() ? std::string(unit) : facts.id;
    if (auto why = units::attach_problem(id); !why.empty())
        throw InvalidArgument("Cannot attach " + std::string(unit) + ": " + why + ".");

    // Its own User= stays when it is one of this subu's users (the subu's
    // or one under it); any other user (root, a daemon's) becomes the subu's.
    std::string user = subu.name;
    if (facts.user == subu.name) {
        user = facts.user;
    } else if (facts.user.size() > subu.name.size() + 1 && facts.user.compare(0, subu.name.size(), subu.name) == 0 &&
               facts.user[subu.name.size()] == '_') {
        if (auto below = store_.subu_by_name(facts.user); below && below->state == store::RowState::Ready)
            user = facts.user;
    }

    store::ServiceRow row{id, subu.num, user};
    bool fresh = false;
    store_.write([&] {
        const auto now = store_.subu_by_num(subu.num);
        if (!now || now->name != subu.name || now->state != store::RowState::Ready)
            throw NotFound("The subu " + subu.name + " is being removed.");
        if (const auto existing = store_.service(id)) {
            if (existing->subu == subu.num) {
                row = *existing;
                return;
            }
            const auto other = store_.subu_by_num(existing->subu);
            const std::string other_name = other ? other->name : names::subu_id(existing->subu);
            throw Busy("The service " + id + " is attached to " + other_name + "; detach it there first (`subu service detach " +
                       other_name + " " + id + "`).");
        }
        store_.insert_service(row);
        fresh = true;
    });
    if (!fresh) return row;

    try {
        subus_.reload_units();
        // systemd must have read the drop-in before the restart that applies it.
        subus_.flush_reload(true);
        units_.try_restart(id);
    } catch (const std::exception& e) {
        log::warning("Attaching " + id + " to " + subu.name + " failed, so it is undone: " + e.what(),
                     fields(subu, id, caller));
        store_.write([&] { store_.delete_service(id); });
        subus_.reload_units();
        try {
            subus_.flush_reload(true);
            units_.try_restart(id);
        } catch (const std::exception& again) {
            log::error("Putting " + id + " back outside " + subu.name + " failed too: " + again.what(),
                       fields(subu, id, caller));
        }
        throw;
    }
    log::info("Attached " + id + " to " + subu.name + ", running as " + user, fields(subu, id, caller));
    return row;
}

store::ServiceRow Services::detach(const auth::Caller& caller, std::string_view subu_ref, std::string_view unit) {
    if (auto why = units::service_name_problem(unit); !why.empty())
        throw InvalidArgument("Cannot detach " + shown(unit) + ": " + why + ".");
    const auto subu = allowed_subu(caller, subu_ref, "detach");
    auto row = store_.service(unit);
    // Attached under its own name, given now by an alias.
    if (!row) {
        const auto facts = units_.describe(std::string(unit));
        if (!facts.id.empty() && facts.id != unit) row = store_.service(facts.id);
    }
    if (!row || row->subu != subu.num)
        throw NotFound("The service " + std::string(unit) + " is not attached to " + subu.name +
                       "; `subu service list " + subu.name + "` shows what is.");

    store_.write([&] { store_.delete_service(row->unit); });
    try {
        subus_.reload_units();
        subus_.flush_reload(true);
    } catch (const std::exception&) {
        // While systemd still has the drop-in, the service is attached: so says the store again.
        store_.write([&] { store_.insert_service(*row); });
        subus_.reload_units();
        throw;
    }
    try {
        units_.try_restart(row->unit);
    } catch (const std::exception& e) {
        throw Failed("Detached " + row->unit + " from " + subu.name + ", but restarting it outside failed: " +
                     e.what());
    }
    log::info("Detached " + row->unit + " from " + subu.name, fields(subu, row->unit, caller));
    return *row;
}

std::vector<std::string> Services::list(const auth::Caller& caller, std::string_view subu_ref) {
    const auto subu = subus_.get(caller, subu_ref);
    std::vector<std::string> out;
    for (auto& s : store_.services_of(subu.num)) out.push_back(std::move(s.unit));
    return out;
}

}  // namespace subu::service
