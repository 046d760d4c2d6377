// Thin handlers: identify the caller, call the service, publish the result, map errors.
#include "bus/manager_object.h"

#include "bus/errors.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/text.h"
#include "names/names.h"

#include <unistd.h>
#include "subu/config.h"

namespace subu::bus {

ManagerObject::ManagerObject(sdbus::IConnection& connection, store::Store& store, service::Subus& subus,
                             service::WireGuards& wgs, service::Services& services, SystemdUnits& systemd)
    : AdaptorInterfaces(connection, config::manager_path),
      connection_(connection),
      store_(store),
      subus_(subus),
      wgs_(wgs),
      services_(services),
      callers_(connection),
      execs_(systemd) {
    registerAdaptor();
}

ManagerObject::~ManagerObject() {
    objects_.clear();
    wg_objects_.clear();
    unregisterAdaptor();
}

void ManagerObject::publish(const store::SubuRow& row, bool announce) {
    auto obj = std::make_unique<SubuObject>(connection_, row, subus_.owner_uid(row).value_or(0));
    auto* raw = obj.get();
    objects_[row.num] = std::move(obj);
    if (announce) {
        raw->emitInterfacesAddedSignal({"org.subu.Subu1"});
        emitSubuNew(row.id(), raw->getObjectPath());
    }
}

void ManagerObject::publish_all() {
    for (const auto& row : subus_.list(auth::Caller{0})) publish(row, false);
    for (const auto& row : wgs_.list(auth::Caller{0})) publish_wg(row, false);
}

void ManagerObject::publish_wg(const store::WgRow& row, bool announce) {
    auto obj = std::make_unique<WgObject>(connection_, row);
    auto* raw = obj.get();
    wg_objects_[row.num] = std::move(obj);
    if (announce) {
        raw->emitInterfacesAddedSignal({"org.subu.WireGuard1"});
        emitWireGuardNew(row.id(), raw->getObjectPath());
    }
}

void ManagerObject::changed_wg(const store::WgRow& row) {
    if (auto it = wg_objects_.find(row.num); it != wg_objects_.end()) it->second->update(row);
}

// An Exec call while it waits for polkit.
struct ManagerObject::PendingExec {
    ExecReply result;
    std::string subu;
    service::ExecRequest request;
    sdbus::UnixFd in, out, err;
    std::string sender;
};

void ManagerObject::launch(PendingExec& call, const auth::Caller& caller) {
    const auto subject = subus_.exec_subject(caller, call.subu);
    const service::ExecHost host{
        [](std::string_view name) { return service::find_in_path(name, service::login_path); },
        [](const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }};
    const auto plan = service::plan_exec(subject, call.request, host, execs_.next_serial());
    // A subu made a moment ago: its slice's steering (BPFProgram=) arrives
    // with the batched reload, which must come before anything runs in it.
    subus_.flush_reload();
    execs_.start(plan, call.in, call.out, call.err, call.sender, std::move(call.result));
    log::info("Running " + shown(call.request.argv[0], 80) + " as " + subject.name + " in " + plan.unit,
              {{"SUBU_ID", names::subu_id(subject.num)}, {"SUBU_NAME", subject.name}, {"UNIT", plan.unit},
               {"SUBU_ISOLATION", subject.isolation}, {"SUBU_CALLER_UID", std::to_string(caller.uid)}});
}

void ManagerObject::Exec(sdbus::Result<std::string, std::string, int32_t, int32_t>&& result, std::string subu,
                         std::vector<std::string> argv, sdbus::UnixFd in, sdbus::UnixFd out, sdbus::UnixFd err,
                         std::map<std::string, sdbus::Variant> options) {
    auto call = std::make_shared<PendingExec>();
    call->result = std::move(result);
    try {
        guarded("Exec", [&] {
            call->request = {std::move(argv), ::isatty(in.get()) == 1, "vt220"};
            for (const auto& [key, value] : options) {
                if (key != "term" || value.peekValueType() != "s")
                    throw InvalidArgument("Unknown option " + shown(key, 40) + "; the known option is \"term\" (s).");
                call->request.term = value.get<std::string>();
            }
            call->subu = std::move(subu);
            call->in = in;
            call->out = out;
            call->err = err;
            call->sender = getObject().getCurrentlyProcessedMessage()->getSender();
            // Root and owners are decided here; for anyone else polkit is
            // asked without holding up the loop, and the call goes on when it answers.
            auto caller = callers_.uid_of(getObject());
            std::optional<auth::Action> wanted;
            caller.authority = [&wanted](auth::Action a) {
                wanted = a;
                return false;
            };
            try {
                launch(*call, caller);
            } catch (const AccessDenied& denied) {
                if (!wanted) throw;
                const std::string refusal = denied.what();
                callers_.polkit().check_async(
                    call->sender, std::string(auth::polkit_action(*wanted)),
                    [this, call, uid = caller.uid, refusal](bool granted) {
                        try {
                            guarded("Exec", [&] {
                                if (!granted) throw AccessDenied(refusal);
                                launch(*call, auth::Caller{uid, [](auth::Action) { return true; }});
                            });
                        } catch (const sdbus::Error& e) {
                            call->result.returnError(e);
                        }
                    });
            }
        });
    } catch (const sdbus::Error& e) {
        call->result.returnError(e);
    }
}

uint32_t ManagerObject::KillExec(const int32_t& signal) {
    return guarded("KillExec", [&] {
        if (signal < 1 || signal > 64) throw InvalidArgument("Signal " + std::to_string(signal) + " is not 1 to 64.");
        return static_cast<uint32_t>(execs_.kill(getObject().getCurrentlyProcessedMessage()->getSender(), signal));
    });
}

void ManagerObject::SetOption(const std::string& subu, const std::string& name, const std::string& value) {
    guarded("SetOption", [&] { subus_.set_option(callers_.of(getObject()), subu, name, value); });
}

void ManagerObject::RemoveOption(const std::string& subu, const std::string& name) {
    guarded("RemoveOption", [&] { subus_.remove_option(callers_.of(getObject()), subu, name); });
}

std::string ManagerObject::GetOption(const std::string& subu, const std::string& name) {
    return guarded("GetOption", [&] { return subus_.get_option(callers_.of(getObject()), subu, name); });
}

std::map<std::string, std::string> ManagerObject::ListOptions(const std::string& subu) {
    return guarded("ListOptions", [&] { return subus_.list_options(callers_.of(getObject()), subu); });
}

void ManagerObject::SetWireGuardPool(const std::string& cidr) {
    guarded("SetWireGuardPool", [&] { wgs_.set_pool(callers_.of(getObject()), cidr); });
}

std::tuple<std::string, sdbus::ObjectPath> ManagerObject::MakeWireGuard(const std::string& endpoint) {
    return guarded("MakeWireGuard", [&] {
        auto row = wgs_.make(callers_.of(getObject()), endpoint);
        publish_wg(row, true);
        return std::tuple<std::string, sdbus::ObjectPath>{row.id(), wg_object_path(row)};
    });
}

std::tuple<std::string, sdbus::ObjectPath, std::vector<std::string>> ManagerObject::ImportWireGuard(
    const sdbus::UnixFd& config) {
    return guarded("ImportWireGuard", [&] {
        const auto caller = callers_.of(getObject());
        // Read from the caller's descriptor: the caller opened the file with
        // its own rights, so root never opens a path on someone's behalf.
        std::string text;
        char buf[4096];
        for (;;) {
            ssize_t n = ::read(config.get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw_errno("read the configuration passed to ImportWireGuard");
            if (n == 0) break;
            text.append(buf, static_cast<std::size_t>(n));
            if (text.size() > 65536) throw InvalidArgument("The configuration is larger than 64 KiB; it is not a wg-quick file.");
        }
        auto [row, notes] = wgs_.import(caller, text);
        publish_wg(row, true);
        return std::tuple<std::string, sdbus::ObjectPath, std::vector<std::string>>{row.id(), wg_object_path(row), notes};
    });
}

void ManagerObject::SetServerPublicKey(const std::string& wg, const std::string& key) {
    guarded("SetServerPublicKey", [&] { changed_wg(wgs_.set_server_key(callers_.of(getObject()), wg, key)); });
}

void ManagerObject::SetWireGuardState(const std::string& wg, const std::string& state) {
    guarded("SetWireGuardState", [&] { changed_wg(wgs_.set_state(callers_.of(getObject()), wg, state)); });
}

void ManagerObject::RemoveWireGuard(const std::string& wg) {
    guarded("RemoveWireGuard", [&] {
        auto row = wgs_.remove(callers_.of(getObject()), wg);
        if (auto it = wg_objects_.find(row.num); it != wg_objects_.end()) {
            const sdbus::ObjectPath path = it->second->getObjectPath();
            it->second->emitInterfacesRemovedSignal({"org.subu.WireGuard1"});
            wg_objects_.erase(it);
            emitWireGuardRemoved(row.id(), path);
        }
    });
}

std::vector<sdbus::Struct<std::string, std::string, std::string, sdbus::ObjectPath>> ManagerObject::ListWireGuards() {
    return guarded("ListWireGuards", [&] {
        std::vector<sdbus::Struct<std::string, std::string, std::string, sdbus::ObjectPath>> out;
        for (const auto& w : wgs_.list(callers_.of(getObject())))
            out.emplace_back(w.id(), w.endpoint, w.subu ? names::subu_id(*w.subu) : std::string(),
                             sdbus::ObjectPath(wg_object_path(w)));
        return out;
    });
}

sdbus::ObjectPath ManagerObject::GetWireGuard(const std::string& wg) {
    return guarded("GetWireGuard",
                   [&] { return sdbus::ObjectPath(wg_object_path(wgs_.get(callers_.of(getObject()), wg))); });
}

void ManagerObject::Attach(const std::string& subu, const std::string& wg) {
    guarded("Attach", [&] { changed_wg(wgs_.attach(callers_.of(getObject()), subu, wg)); });
}

void ManagerObject::Detach(const std::string& subu) {
    guarded("Detach", [&] { changed_wg(wgs_.detach(callers_.of(getObject()), subu)); });
}

void ManagerObject::AttachService(const std::string& subu, const std::string& unit) {
    guarded("AttachService", [&] { services_.attach(callers_.of(getObject()), subu, unit); });
}

void ManagerObject::DetachService(const std::string& subu, const std::string& unit) {
    guarded("DetachService", [&] { services_.detach(callers_.of(getObject()), subu, unit); });
}

std::vector<std::string> ManagerObject::ListServices(const std::string& subu) {
    return guarded("ListServices", [&] { return services_.list(callers_.of(getObject()), subu); });
}

std::string ManagerObject::WireGuardPool() { return wgs_.pool(); }

std::tuple<std::string, std::string, sdbus::ObjectPath> ManagerObject::MakeSubu(const std::vector<std::string>& path) {
    return guarded("MakeSubu", [&] {
        auto row = subus_.make(callers_.of(getObject()), path);
        publish(row, true);
        return std::tuple<std::string, std::string, sdbus::ObjectPath>{row.id(), row.name, subu_object_path(row)};
    });
}

void ManagerObject::remove(const std::string& subu, bool purge) {
    auto row = subus_.remove(callers_.of(getObject()), subu, purge);
    if (auto it = objects_.find(row.num); it != objects_.end()) {
        const sdbus::ObjectPath path = it->second->getObjectPath();
        it->second->emitInterfacesRemovedSignal({"org.subu.Subu1"});
        objects_.erase(it);
        emitSubuRemoved(row.id(), path);
    }
}

void ManagerObject::RemoveSubu(const std::string& subu) {
    guarded("RemoveSubu", [&] { remove(subu, false); });
}

void ManagerObject::RemoveSubuWithOptions(const std::string& subu,
                                          const std::map<std::string, sdbus::Variant>& options) {
    guarded("RemoveSubuWithOptions", [&] {
        bool purge = false;
        for (const auto& [key, value] : options) {
            if (key != "purge")
                throw InvalidArgument("Unknown option \"" + key.substr(0, 40) + "\"; the known option is \"purge\" (b).");
            if (value.peekValueType() != "b") throw InvalidArgument("The option \"purge\" takes a boolean (b).");
            purge = value.get<bool>();
        }
        remove(subu, purge);
    });
}

std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t, sdbus::ObjectPath>>
ManagerObject::ListSubus() {
    return guarded("ListSubus", [&] {
        std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t, sdbus::ObjectPath>> out;
        for (const auto& r : subus_.list(callers_.of(getObject())))
            out.emplace_back(r.id(), r.name, r.masu, r.network, r.uid.value_or(0),
                             sdbus::ObjectPath(subu_object_path(r)));
        return out;
    });
}

sdbus::ObjectPath ManagerObject::GetSubu(const std::string& subu) {
    return guarded("GetSubu", [&] {
        return sdbus::ObjectPath(subu_object_path(subus_.get(callers_.of(getObject()), subu)));
    });
}

void ManagerObject::changed(const store::SubuRow& row) {
    if (auto it = objects_.find(row.num); it != objects_.end()) it->second->update(row);
}

void ManagerObject::SetNetwork(const std::string& subu, const std::string& state) {
    guarded("SetNetwork", [&] { changed(subus_.set_network(callers_.of(getObject()), subu, state)); });
}

void ManagerObject::SetLoopback(const std::string& subu, const std::string& state) {
    guarded("SetLoopback", [&] { changed(subus_.set_loopback(callers_.of(getObject()), subu, state)); });
}

std::string ManagerObject::Version() { return config::version; }
std::string ManagerObject::StateDatabase() { return store_.path(); }
uint32_t ManagerObject::SchemaVersion() { return static_cast<uint32_t>(store_.schema_version()); }

}  // namespace subu::bus
