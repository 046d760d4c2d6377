// The subu lifecycle. Each make and remove is recorded in the store before the
// system is touched, so a crash at any point is undone or finished by recover().
#include "service/subus.h"

#include <ctime>
#include <set>

#include "core/errors.h"
#include "core/log.h"
#include "core/text.h"
#include "names/names.h"
#include "options/options.h"
#include "service/uids.h"
#include "units/render.h"

namespace subu::service {
namespace {

std::string incommon_key(const std::string& masu) { return "incommon_made:" + masu; }

std::string netns_unit(const store::SubuRow& r) { return units::service("subu-netns", r.name); }
std::string subu_unit(const store::SubuRow& r) { return units::service("subu", r.name); }

std::string_view checked_state(std::string_view state, const char* what) {
    if (state == "up" || state == "down") return state;
    throw InvalidArgument(std::string("The ") + what + " state must be \"up\" or \"down\".");
}


}  // namespace

bool Subus::on_uid_rule(const std::string& what, const std::function<void(system::UidRule&)>& step) {
    if (!uid_rule_) return false;
    try {
        step(*uid_rule_);
        return true;
    } catch (const NotFound& e) {
        // Nothing to keep: the rule comes with subu-bpf.service, which seeds
        // it from the boot export and is followed by every namespace's step.
        log::warning("The uid rule is not loaded, so " + what + " waits for it: " + e.what());
        return false;
    }
}

void Subus::converge_uid_rule() {
    std::map<std::uint32_t, std::string> want;
    for (const auto& r : store_.subus()) {
        if (!r.uid) continue;
        // Only a ready subu's uid goes into its namespace (when it is there);
        // one half made or half removed is closed.
        want[*r.uid] = r.state == store::RowState::Ready ? names::netns_name(r.num) : "";
    }
    try {
        on_uid_rule("the uids of the subus", [&](system::UidRule& rule) {
            for (const auto& d : rule.converge(want)) log::info("Uid rule: " + d, {{"SUBU_UID_RULE", d}});
        });
    } catch (const std::exception& e) {
        log::error(std::string("Could not converge the uid rule; subu uids may be refused or placed as before: ") +
                   e.what());
    }
}

void Subus::forget_uid(const store::SubuRow& row) {
    if (!row.uid) return;
    try {
        on_uid_rule("forgetting uid " + std::to_string(*row.uid), [&](system::UidRule& r) { r.forget(*row.uid); });
    } catch (const std::exception& e) {
        log::error("Could not take uid " + std::to_string(*row.uid) + " of " + row.name +
                       " out of the uid rule (the manager's next start does): " + e.what(),
                   {{"SUBU_NAME", row.name}});
    }
}

std::optional<std::uint32_t> Subus::owner_uid(const store::SubuRow& row) {
    auto u = accounts_.user(row.masu);
    if (!u) return std::nullopt;
    return u->uid;
}

void Subus::notify() {
    if (!changed_) return;
    try {
        changed_();
    } catch (const std::exception& e) {
        // The store is the truth and the change stands; what lags is the boot view.
        log::error(std::string("Could not update the boot export; subus may not come up as the store says "
                               "until the next change: ") + e.what());
    }
}

void Subus::require_still_allowed(const auth::Caller& caller, const store::SubuRow& row, auth::Action action) {
    // Checked again under the write lock: the subu may be going away
    // meanwhile, and its owner's account may have changed.
    auto now = store_.subu_by_num(row.num);
    if (!now || now->name != row.name || now->state != store::RowState::Ready)
        throw NotFound("The subu " + row.name + " is being removed.");
    if (!auth::allowed(caller, action, owner_uid(*now)))
        throw AccessDenied("Only " + now->masu + " or root may change " + now->name + ".");
}

store::SubuRow Subus::find_or_throw(std::string_view ref) {
    if (!names::plausible_reference(ref))
        throw InvalidArgument(shown(ref, 40) + " is not a subu id (subu_N) or name (Owner_Name).");
    auto row = store_.find_subu(ref);
    if (!row || row->state == store::RowState::Creating)
        throw NotFound("There is no subu " + shown(ref) + "; `subu list` shows the subus you may see.");
    return *row;
}

store::SubuRow Subus::make(const auth::Caller& caller, const std::vector<std::string>& path) {
    const std::string name = names::full_name(path);
    const std::string& masu = path[0];

    auto masu_user = accounts_.user(masu);
    if (!masu_user)
        throw NotFound("There is no Unix user " + shown(masu) +
                       " to own the subu; the first token must be an existing user (useradd -m " + masu + ").");
    if (!auth::allowed(caller, auth::Action::Make, masu_user->uid))
        throw AccessDenied("Only " + masu + " or root may make subus under " + masu + ".");

    const bool nested = path.size() > 2;
    const std::string parent = names::parent_name(name);
    if (auto existing = store_.subu_by_name(name))
        throw Exists("The subu " + name + " already exists (" + existing->id() + ").");
    if (accounts_.user(name))
        throw Exists("A Unix user named " + name + " already exists and is not a subu; pick another name.");

    store::SubuRow row;
    row.name = name;
    row.masu = masu;
    row.state = store::RowState::Creating;
    const std::string home = names::home(name);
    row.home_kept = accounts_.path_exists(home);
    if (row.home_kept) {
        // A home kept by an earlier remove belongs to a uid nobody has any
        // more; anyone else's directory is not ours to hand over.
        auto holder = accounts_.path_owner(home);
        if (auto someone = holder ? accounts_.user_by_uid(*holder) : std::nullopt)
            throw Exists("The home directory " + home + " already exists and belongs to " + someone->name +
                         "; move it away first.");
    }
    row.created_at = static_cast<std::int64_t>(::time(nullptr));
    std::optional<store::RetiredUid> own_retirement;
    store_.write([&] {
        // Checked again under the write lock: another writer may have raced us.
        if (store_.subu_by_name(name)) throw Exists("The subu " + name + " already exists.");
        auto owner_now = accounts_.user(masu);
        if (!owner_now || !auth::allowed(caller, auth::Action::Make, owner_now->uid))
            throw AccessDenied("Only " + masu + " or root may make subus under " + masu + ".");
        if (nested) {
            auto p = store_.subu_by_name(parent);
            if (!p || p->state != store::RowState::Ready)
                throw NotFound("The parent subu " + parent + " does not exist; make it first.");
            if (p->masu != masu) throw Failed("The parent subu " + parent + " has another owner.");
            row.parent = p->num;
        }
        row.num = store_.first_free_subu_num();
        row.uid = choose_uid(name, *owner_now, own_retirement);
        store_.insert_subu(row);
    });

    bool user_made = false;
    try {
        const std::string incommon = names::incommon_group(masu);
        if (!accounts_.group_exists(incommon)) {
            accounts_.add_group(incommon);
            store_.write([&] { store_.set_meta(incommon_key(masu), "1"); });
        }
        system::NewUser nu;
        nu.name = name;
        nu.primary_gid = masu_user->gid;
        nu.home = home;
        nu.supplementary_group = incommon;
        nu.shell = masu_user->shell.empty() ? "/bin/sh" : masu_user->shell;
        nu.comment = "subu " + row.id() + " of " + masu;
        nu.uid = row.uid;
        auto made = accounts_.add_user(nu);
        user_made = true;
        if (made.uid != *row.uid)
            throw Failed("The user " + name + " was made with uid " + std::to_string(made.uid) + ", not the uid " +
                         std::to_string(*row.uid) + " chosen for it.");
        // Before anything of the subu runs: its uid has no network until its
        // namespace is up (subu-apply puts it there).
        on_uid_rule("closing uid " + std::to_string(made.uid), [&](system::UidRule& r) { r.close(made.uid); });
        if (row.home_kept) accounts_.adopt_tree(home, made.uid, made.gid);
        store_.write([&] {
            store_.set_state(row.num, store::RowState::Ready);
            // Its files are its own again: nobody else is kept from the uid for them.
            if (own_retirement) store_.drop_retired_uid(own_retirement->uid);
        });
        row.uid = made.uid;
        row.state = store::RowState::Ready;
        // The export tells the generator (at the next reload, see
        // reload_units()); the units need nothing generated to run: the
        // slice is implicit until then, the namespace unit a template
        // instance that makes the namespace (lo down, as the row says).
        reload_units();
        units_.start(units::slice(row.name));
        units_.start(netns_unit(row));
    } catch (const std::exception& e) {
        log::warning("Making subu " + name + " failed, undoing: " + e.what(),
                     {{"SUBU_ID", row.id()}, {"SUBU_NAME", name}});
        undo_make(row, user_made);
        throw;
    }
    if (row.home_kept)
        log::info("Subu " + name + " reuses the home directory " + home + " that an earlier subu of that name kept",
                  {{"SUBU_ID", row.id()}, {"SUBU_NAME", name}});
    if (own_retirement && own_retirement->uid == *row.uid)
        log::info("Subu " + name + " gets its earlier uid " + std::to_string(*row.uid) + " back",
                  {{"SUBU_ID", row.id()}, {"SUBU_NAME", name}});
    log::info("Made subu " + row.id() + " " + name + " (uid " + std::to_string(*row.uid) + ")",
              {{"SUBU_ID", row.id()}, {"SUBU_NAME", name}, {"SUBU_MASU", masu},
               {"SUBU_CALLER_UID", std::to_string(caller.uid)}});
    return row;
}

std::uint32_t Subus::choose_uid(const std::string& name, const system::UnixUser& owner,
                                std::optional<store::RetiredUid>& own) {
    // Every uid that owns something at the top of a place files outlive a
    // user in: a kept home, a file in /tmp, a mail spool, a crontab.
    std::set<std::uint32_t> leftovers = accounts_.entry_owners(names::home_base);
    for (const char* place : leftover_places) leftovers.merge(accounts_.entry_owners(place));
    std::set<std::uint32_t> taken = accounts_.uids_in_use();
    const std::set<std::uint32_t> in_use = taken;
    taken.insert(leftovers.begin(), leftovers.end());
    for (auto& r : store_.retired_uids()) {
        if (accounts_.path_owner(r.home) != r.uid && !leftovers.count(r.uid)) {
            store_.drop_retired_uid(r.uid);
            log::info("The uid " + std::to_string(r.uid) + " of the removed subu " + r.name +
                          " is free again: nothing of it is left",
                      {{"SUBU_NAME", r.name}});
            continue;
        }
        taken.insert(r.uid);
        if (r.name == name) own = r;
    }
    if (own) {
        // Same name means same owner name (a name starts with its owner), but
        // an account of that name made since may be another person.
        if (own->masu != owner.name || own->masu_uid != owner.uid)
            throw Exists("The home directory " + own->home + " was kept from a subu " + name + " of an earlier user " +
                         own->masu +
                         (own->masu_uid ? " (uid " + std::to_string(*own->masu_uid) + ")" : std::string()) +
                         ", not of this one; root must move it away (and its files owned by uid " +
                         std::to_string(own->uid) + ") first.");
        if (!in_use.count(own->uid)) return own->uid;
    }
    const auto range = accounts_.uid_range();
    while (auto uid = pick_uid(range, taken)) {
        // A process left over by a user removed outside subu would be the new subu's.
        if (!accounts_.has_processes(*uid)) return *uid;
        taken.insert(*uid);
    }
    throw Failed("No uid in UID_MIN..UID_MAX (" + std::to_string(range.min) + ".." + std::to_string(range.max) +
                 ", /etc/login.defs) is free for " + name +
                 ": each is in use or kept for the files of a removed subu; remove kept homes "
                 "(subu remove --purge, or rm -r /home/NAME) or widen the range.");
}

std::optional<std::uint32_t> Subus::retire_uid(const store::SubuRow& row) {
    auto user = accounts_.user(row.name);
    auto uid = user ? std::optional(user->uid) : row.uid;
    if (!uid) return std::nullopt;
    store_.retire_uid({*uid, row.name, row.masu, owner_uid(row), names::home(row.name),
                       static_cast<std::int64_t>(::time(nullptr))});
    return uid;
}

void Subus::forget_made(const store::SubuRow& row) {
    // A kept home may have been given to the uid already: it stays that
    // subu's, as after a remove (and keeps the owner's shared group).
    if (row.home_kept) store_.write([&] { retire_uid(row); });
    drop_incommon_if_last(row.masu);
    store_.write([&] { store_.delete_subu(row.num); });
}

void Subus::stop_units(const store::SubuRow& row) {
    units_.stop(subu_unit(row));
    units_.stop(netns_unit(row));
    // What else runs in the subu's slice (later: its tunnel, exec'd programs) goes with it.
    units_.stop(units::slice(row.name));
}

void Subus::reload_units() {
    notify();
    // A reload costs systemd time that grows with every unit it has (about
    // 3 ms a subu), and only boot needs the generated units: so one reload
    // follows a burst of changes (flush_reload()), not each change.
    reload_pending_ = true;
}

bool Subus::flush_reload(bool must) {
    if (!reload_pending_) return false;
    reload_pending_ = false;
    try {
        units_.daemon_reload();
    } catch (const std::exception& e) {
        log::error(std::string("Could not reload systemd after a change of subus: ") + e.what());
        if (must) {
            reload_pending_ = true;
            throw;
        }
    }
    return true;
}

void Subus::undo_make(const store::SubuRow& row, bool user_made) {
    // Best effort: what cannot be undone now stays recorded as "creating",
    // and recover() tries again at the next start.
    try {
        const bool was_ready = row.state == store::RowState::Ready;
        if (was_ready) {
            store_.write([&] { store_.set_state(row.num, store::RowState::Creating); });
            stop_units(row);
        }
        if (user_made || accounts_.user(row.name)) accounts_.remove_user(row.name, !row.home_kept);
        forget_uid(row);
        forget_made(row);
        if (was_ready) reload_units();
    } catch (const std::exception& e) {
        log::error("Could not undo the half-made subu " + row.name + "; the manager retries at its next start: " +
                       e.what(),
                   {{"SUBU_ID", row.id()}, {"SUBU_NAME", row.name}});
    }
}

void Subus::drop_incommon_if_last(const std::string& masu) {
    // Called while the leaving subu's row is still in the store: last means only.
    if (store_.count_subus_of_masu(masu) > 1 || !store_.meta(incommon_key(masu))) return;
    // A kept home may hold files of the group: its gid must not go to a
    // group of another person while the home is there.
    for (const auto& r : store_.retired_uids())
        if (r.masu == masu && accounts_.path_exists(r.home)) return;
    accounts_.remove_group(names::incommon_group(masu));
    store_.write([&] { store_.delete_meta(incommon_key(masu)); });
}

store::SubuRow Subus::remove(const auth::Caller& caller, std::string_view ref, bool purge_home) {
    auto row = find_or_throw(ref);
    if (!auth::allowed(caller, auth::Action::Remove, owner_uid(row)))
        throw AccessDenied("Only " + row.masu + " or root may remove " + row.name + ".");
    std::optional<std::uint32_t> retired;
    store_.write([&] {
        require_still_allowed(caller, row, auth::Action::Remove);
        if (auto n = store_.count_children(row.num))
            throw Busy("The subu " + row.name + " has " + std::to_string(n) +
                       " child subu(s); remove them first (`subu list` shows them).");
        // Detaching them here would move system services back to the host's
        // network, as their own users again: that is for a person to decide.
        if (const auto attached = store_.services_of(row.num); !attached.empty())
            throw Busy("The subu " + row.name + " has " + std::to_string(attached.size()) +
                       " attached service(s), " + attached.front().unit + (attached.size() > 1 ? " and more" : "") +
                       "; detach them first (`subu service list " + row.name + "` shows them, `subu service detach " +
                       row.name + " UNIT` detaches one).");
        if (const auto run_by = store_.services_run_by(row.name); !run_by.empty()) {
            const auto of = store_.subu_by_num(run_by.front().subu);
            const std::string owner = of ? of->name : names::subu_id(run_by.front().subu);
            throw Busy("The service " + run_by.front().unit + ", attached to " + owner + ", runs as " + row.name +
                       "; detach it first (`subu service detach " + owner + " " + run_by.front().unit + "`).");
        }
        store_.set_state(row.num, store::RowState::Removing);
        // In the same commit as the state: from here on, whatever a crash
        // leaves, the uid goes to nobody else while the subu's files remain.
        retired = retire_uid(row);
    });
    try {
        finish_remove(row, purge_home);
    } catch (const std::exception&) {
        // Until the user is gone the subu is whole again: put it back, and
        // its namespace with it.
        if (accounts_.user(row.name)) {
            store_.write([&] {
                store_.set_state(row.num, store::RowState::Ready);
                if (retired) store_.drop_retired_uid(*retired);
            });
            try {
                units_.start(netns_unit(row));
                if (row.network == "up") units_.start(subu_unit(row));
            } catch (const std::exception& e) {
                log::error("Could not restart the units of " + row.name + ": " + e.what(), {{"SUBU_NAME", row.name}});
            }
        }
        throw;
    }
    reload_units();
    log::info("Removed subu " + row.id() + " " + row.name + (purge_home ? " and its home" : ""),
              {{"SUBU_ID", row.id()}, {"SUBU_NAME", row.name}, {"SUBU_CALLER_UID", std::to_string(caller.uid)}});
    return row;
}

void Subus::finish_remove(const store::SubuRow& row, bool purge_home) {
    // The user goes first: it is the one step that can refuse (running processes).
    if (auto u = accounts_.user(row.name); u && accounts_.has_processes(u->uid))
        throw Busy("The subu " + row.name + " still has running processes; stop them (e.g. `pkill -u " + row.name +
                   "`) and remove it again.");
    stop_units(row);
    accounts_.remove_user(row.name, purge_home);
    forget_uid(row);
    drop_incommon_if_last(row.masu);
    store_.write([&] { store_.delete_subu(row.num); });
}

std::vector<store::SubuRow> Subus::list(const auth::Caller& caller) {
    std::vector<store::SubuRow> out;
    // One user lookup per owner, not per subu: a person has many subus.
    std::map<std::string, bool> seen_owner;
    for (auto& r : store_.subus()) {
        if (r.state != store::RowState::Ready) continue;
        if (caller.uid != 0) {
            auto [it, fresh] = seen_owner.try_emplace(r.masu, false);
            if (fresh) it->second = auth::sees(caller, owner_uid(r));
            if (!it->second) continue;
        }
        out.push_back(std::move(r));
    }
    return out;
}

store::SubuRow Subus::get(const auth::Caller& caller, std::string_view ref) {
    auto row = find_or_throw(ref);
    if (!auth::allowed(caller, auth::Action::Inspect, owner_uid(row)))
        throw AccessDenied("Only " + row.masu + " or root may look at " + row.name + ".");
    return row;
}

ExecSubject Subus::exec_subject(const auth::Caller& caller, std::string_view ref) {
    auto row = find_or_throw(ref);
    if (row.state != store::RowState::Ready) throw NotFound("The subu " + row.name + " is being removed.");
    if (!auth::allowed(caller, auth::Action::Exec, owner_uid(row)))
        throw AccessDenied("Only " + row.masu + " or root may run programs as " + row.name + ".");
    auto user = accounts_.user(row.name);
    if (!user) throw Failed("The Unix user " + row.name + " of the subu is missing; remove and make the subu again.");
    ExecSubject s;
    s.num = row.num;
    s.name = row.name;
    s.uid = user->uid;
    s.home = user->home;
    s.shell = user->shell;
    s.isolation = options::effective(store_.options_of(row.num)).at("isolation");
    return s;
}

std::vector<std::string> Subus::recover() {
    std::vector<std::string> done;
    bool reload = false;
    for (const auto& r : store_.subus()) {
        try {
            switch (r.state) {
                case store::RowState::Creating:
                    stop_units(r);
                    accounts_.remove_user(r.name, !r.home_kept);
                    forget_uid(r);
                    forget_made(r);
                    done.push_back("undid the interrupted make of " + r.name);
                    reload = true;
                    break;
                case store::RowState::Removing:
                    finish_remove(r, false);
                    done.push_back("finished the interrupted removal of " + r.name);
                    reload = true;
                    break;
                case store::RowState::Ready:
                    // systemd brings subus up at boot; this closes the gap a
                    // crash between commit and unit start leaves.
                    if (!netns_.exists(names::netns_name(r.num))) {
                        reload = true;
                        done.push_back("started the namespace of " + r.name);
                    }
                    break;
            }
        } catch (const std::exception& e) {
            log::error("Could not recover subu " + r.name + ": " + e.what(),
                       {{"SUBU_ID", r.id()}, {"SUBU_NAME", r.name}});
        }
    }
    // Always: the export may be missing or stale (a crash, an edit, a restore).
    notify();
    if (reload) {
        try {
            reload_pending_ = false;
            units_.daemon_reload();
            for (const auto& r : store_.subus()) {
                if (r.state != store::RowState::Ready || netns_.exists(names::netns_name(r.num))) continue;
                units_.start(r.network == "up" ? subu_unit(r) : netns_unit(r));
            }
        } catch (const std::exception& e) {
            log::error(std::string("Could not bring subus back during recovery: ") + e.what());
        }
    }
    for (const auto& d : done) log::info("Recovery " + d);
    converge_uid_rule();
    return done;
}

store::SubuRow Subus::configurable(const auth::Caller& caller, std::string_view ref, std::string_view state,
                                   const char* what) {
    checked_state(state, what);
    auto row = find_or_throw(ref);
    if (!auth::allowed(caller, auth::Action::Configure, owner_uid(row)))
        throw AccessDenied("Only " + row.masu + " or root may change the " + what + " of " + row.name + ".");
    return row;
}

store::SubuRow Subus::set_network(const auth::Caller& caller, std::string_view ref, std::string_view state) {
    auto row = configurable(caller, ref, state, "network");
    const bool up = state == "up";
    const auto before = row;
    store_.write([&] {
        require_still_allowed(caller, row, auth::Action::Configure);
        store_.set_network(row.num, std::string(state));
        if (up) store_.set_loopback(row.num, "up");
    });
    row.network = std::string(state);
    if (up) row.loopback = "up";
    try {
        reload_units();
        if (up) {
            // The subu's slice gets its steering (BPFProgram=) from the
            // generated unit: the pending reload (with this change, and a
            // subu made a moment ago) comes before anything runs in it.
            flush_reload();
            units_.start(subu_unit(row));
        } else {
            // Down is the state right after make: the namespace stays, with
            // its loopback as set, and nothing more.
            units_.stop(subu_unit(row));
            units_.start(netns_unit(row));
        }
    } catch (const std::exception& e) {
        log::warning("Network " + std::string(state) + " for " + row.name + " failed, back to " + before.network +
                         ": " + e.what(),
                     {{"SUBU_ID", row.id()}, {"SUBU_NAME", row.name}});
        store_.write([&] {
            store_.set_network(row.num, before.network);
            store_.set_loopback(row.num, before.loopback);
        });
        reload_units();
        try {
            if (up) units_.stop(subu_unit(before));
            units_.start(netns_unit(before));
        } catch (const std::exception&) {
        }
        throw;
    }
    log::info("Network of " + row.name + " is " + std::string(state),
              {{"SUBU_ID", row.id()}, {"SUBU_NAME", row.name}, {"SUBU_CALLER_UID", std::to_string(caller.uid)}});
    return row;
}

std::string Subus::set_option(const auth::Caller& caller, std::string_view ref, std::string_view name,
                              std::string_view value) {
    const std::string canonical = options::normalized(name, value);
    auto row = find_or_throw(ref);
    if (!auth::allowed(caller, auth::Action::Configure, owner_uid(row)))
        throw AccessDenied("Only " + row.masu + " or root may change the options of " + row.name + ".");
    const auto before = store_.options_of(row.num);
    store_.write([&] {
        require_still_allowed(caller, row, auth::Action::Configure);
        store_.set_option(row.num, std::string(name), canonical);
    });
    apply_option(row, name, before);
    log::info("Option " + std::string(name) + " of " + row.name + " is " + canonical,
              {{"SUBU_ID", row.id()}, {"SUBU_NAME", row.name}, {"SUBU_OPTION", std::string(name)},
               {"SUBU_CALLER_UID", std::to_string(caller.uid)}});
    return canonical;
}

std::string Subus::remove_option(const auth::Caller& caller, std::string_view ref, std::string_view name) {
    if (options::fallback(name).empty()) options::normalized(name, "");  // throws, naming the known options
    const std::string fallback(options::fallback(name));
    auto row = find_or_throw(ref);
    if (!auth::allowed(caller, auth::Action::Configure, owner_uid(row)))
        throw AccessDenied("Only " + row.masu + " or root may change the options of " + row.name + ".");
    const auto before = store_.options_of(row.num);
    if (!before.count(std::string(name))) return fallback;
    store_.write([&] {
        require_still_allowed(caller, row, auth::Action::Configure);
        store_.remove_option(row.num, std::string(name));
    });
    apply_option(row, name, before);
    log::info("Option " + std::string(name) + " of " + row.name + " is back to its default " + fallback,
              {{"SUBU_ID", row.id()}, {"SUBU_NAME", row.name}, {"SUBU_OPTION", std::string(name)},
               {"SUBU_CALLER_UID", std::to_string(caller.uid)}});
    return fallback;
}

void Subus::apply_option(const store::SubuRow& row, std::string_view name,
                         const std::map<std::string, std::string>& before) {
    // The steering options take effect live: subu-netns@'s reload writes the
    // subu's steering entry (subu-apply netns-up), for sockets made from then on.
    if (!options::read_by_steering(name)) return;
    try {
        if (units_.active_state(netns_unit(row)) == "active") units_.reload(netns_unit(row));
    } catch (const std::exception&) {
        store_.write([&] {
            if (auto it = before.find(std::string(name)); it != before.end())
                store_.set_option(row.num, std::string(name), it->second);
            else
                store_.remove_option(row.num, std::string(name));
        });
        throw;
    }
}

std::string Subus::get_option(const auth::Caller& caller, std::string_view ref, std::string_view name) {
    auto all = list_options(caller, ref);
    auto it = all.find(std::string(name));
    if (it == all.end()) options::normalized(name, "");  // throws, naming the known options
    return it->second;
}

std::map<std::string, std::string> Subus::list_options(const auth::Caller& caller, std::string_view ref) {
    auto row = get(caller, ref);
    return options::effective(store_.options_of(row.num));
}

store::SubuRow Subus::set_loopback(const auth::Caller& caller, std::string_view ref, std::string_view state) {
    auto row = configurable(caller, ref, state, "loopback");
    const std::string before = row.loopback;
    store_.write([&] {
        require_still_allowed(caller, row, auth::Action::Configure);
        store_.set_loopback(row.num, std::string(state));
    });
    row.loopback = std::string(state);
    try {
        notify();
        if (units_.active_state(netns_unit(row)) == "active") units_.reload(netns_unit(row));
    } catch (const std::exception& e) {
        store_.write([&] { store_.set_loopback(row.num, before); });
        notify();
        throw;
    }
    log::info("Loopback of " + row.name + " is " + std::string(state),
              {{"SUBU_ID", row.id()}, {"SUBU_NAME", row.name}, {"SUBU_CALLER_UID", std::to_string(caller.uid)}});
    return row;
}

}  // namespace subu::service
