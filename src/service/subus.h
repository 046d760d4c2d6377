// The subu lifecycle over the store and the system seams: make, remove, list, get, recover.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authz.h"
#include "service/exec.h"
#include "store/store.h"
#include "system/accounts.h"
#include "system/netns.h"
#include "system/uid_rule.h"
#include "system/units.h"

namespace subu::service {

class Subus {
public:
    // `netns` is only observed; namespaces are made and removed by the
    // subu-netns@ units that `units` starts and stops.
    Subus(store::Store& store, system::Accounts& accounts, system::Namespaces& netns, system::Units& units)
        : store_(store), accounts_(accounts), netns_(netns), units_(units) {}

    // Makes the subu named by `path` ([masu, token...]): the row, the Unix
    // user and (through its subu-netns@ unit) the network namespace, or none of them.
    store::SubuRow make(const auth::Caller& caller, const std::vector<std::string>& path);

    // Removes a subu by id or name; the home directory is kept unless `purge_home`.
    store::SubuRow remove(const auth::Caller& caller, std::string_view ref, bool purge_home);

    std::vector<store::SubuRow> list(const auth::Caller& caller);

    // Persists the subu's network as up (with its loopback) or down, and
    // starts or stops subu@NAME.service; on failure the old state is back.
    store::SubuRow set_network(const auth::Caller& caller, std::string_view ref, std::string_view state);
    // Options: set one (validated, canonical), read one or all (with fallbacks).
    std::string set_option(const auth::Caller& caller, std::string_view ref, std::string_view name,
                           std::string_view value);
    // The option back to its default (forgotten; nothing to do if unset); returns the default.
    std::string remove_option(const auth::Caller& caller, std::string_view ref, std::string_view name);
    std::string get_option(const auth::Caller& caller, std::string_view ref, std::string_view name);
    std::map<std::string, std::string> list_options(const auth::Caller& caller, std::string_view ref);

    // Persists the loopback state and applies it if the namespace is up.
    store::SubuRow set_loopback(const auth::Caller& caller, std::string_view ref, std::string_view state);
    store::SubuRow get(const auth::Caller& caller, std::string_view ref);

    // Who a program runs as, and how isolated, when `caller` may exec into the subu.
    ExecSubject exec_subject(const auth::Caller& caller, std::string_view ref);

    // At start: undoes makes and finishes removes a crash interrupted, and
    // ensures every ready subu's namespace exists. Returns what it changed.
    std::vector<std::string> recover();

    // The kernel's uid rule, kept from here on: a made subu's uid closed
    // before anything of it starts, a removed one's entry gone, and at
    // recover() every subu's uid as its namespace is. Without it (or with the
    // rule not loaded) subus are made and removed as before.
    void keep_uid_rule(system::UidRule& rule) { uid_rule_ = &rule; }

    // Called after every committed change of the set of subus (the manager
    // keeps the boot export in step with it).
    void on_change(std::function<void()> hook) { changed_ = std::move(hook); }

    // Reloads systemd if a change since the last call wants it (the generated
    // units follow the export); the manager calls it when it is idle. Returns
    // whether it reloaded. A failed reload is logged, or thrown if `must`.
    bool flush_reload(bool must = false);
    // After a committed change the export shows: writes the export now, and
    // reloads systemd at the next flush_reload().
    void reload_units();
    bool reload_pending() const { return reload_pending_; }

    // uid of a subu's masu, if that user still exists.
    std::optional<std::uint32_t> owner_uid(const store::SubuRow& row);

    // The subu `ref` (an id or a name), made and not being made; no authorization.
    store::SubuRow find_or_throw(std::string_view ref);

private:
    // Inside a write: throws NotFound unless `row` is still there and ready,
    // and AccessDenied unless `caller` may still do `action` on it.
    void require_still_allowed(const auth::Caller& caller, const store::SubuRow& row, auth::Action action);
    // A changed option the steering reads takes effect live; if that fails, the options are `before` again.
    void apply_option(const store::SubuRow& row, std::string_view name,
                      const std::map<std::string, std::string>& before);
    // The subu `ref`, once `state` is "up"/"down" and `caller` may configure it.
    store::SubuRow configurable(const auth::Caller& caller, std::string_view ref, std::string_view state,
                                const char* what);
    // Inside the make's write: the uid the subu `name` of `owner` gets (its own
    // old one if it is a re-make and that is free), dropping retirements that
    // lapsed; `own` is set to the subu's own retirement, if it has one.
    std::uint32_t choose_uid(const std::string& name, const system::UnixUser& owner,
                             std::optional<store::RetiredUid>& own);
    // Inside the remove's write: keeps the subu's uid from anyone else while
    // its files may remain. Returns the uid retired, if the subu had one.
    std::optional<std::uint32_t> retire_uid(const store::SubuRow& row);
    void undo_make(const store::SubuRow& row, bool user_made);
    // The last steps of undoing a make once its user is gone: the uid
    // retired if it was given a kept home, the shared group, the row.
    void forget_made(const store::SubuRow& row);
    void stop_units(const store::SubuRow& row);
    void finish_remove(const store::SubuRow& row, bool purge_home);
    void drop_incommon_if_last(const std::string& masu);
    // One step on the uid rule; false when the rule is not loaded (logged).
    bool on_uid_rule(const std::string& what, const std::function<void(system::UidRule&)>& step);
    void converge_uid_rule();
    // Called after the user is gone, so a later user given the same uid is
    // nobody's subu; a failure is logged (the next start converges).
    void forget_uid(const store::SubuRow& row);

    store::Store& store_;
    system::Accounts& accounts_;
    system::Namespaces& netns_;
    system::Units& units_;
    system::UidRule* uid_rule_ = nullptr;
    std::function<void()> changed_;
    bool reload_pending_ = false;
    void notify();
};

}  // namespace subu::service
