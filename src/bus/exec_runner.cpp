// Transient units for `subu exec`: StartTransientUnit with the caller's descriptors and AddRef,
// PropertiesChanged and JobRemoved to notice the end, the exit status read before the unit is let go.
#include "bus/exec_runner.h"

#include <systemd/sd-bus.h>

#include <cstdlib>
#include <ctime>
#include <type_traits>
#include <variant>

#include "bus/errors.h"
#include "core/errors.h"
#include "core/log.h"

namespace subu::bus {
namespace {

constexpr const char* systemd_iface = "org.freedesktop.systemd1.Manager";
constexpr const char* unit_iface = "org.freedesktop.systemd1.Unit";
constexpr const char* service_iface = "org.freedesktop.systemd1.Service";

using Property = sdbus::Struct<std::string, sdbus::Variant>;
using BindEntry = sdbus::Struct<std::string, std::string, bool, std::uint64_t>;

sdbus::ObjectPath unit_path(const std::string& unit) {
    char* path = nullptr;
    if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit.c_str(), &path) < 0 || !path)
        throw Failed("Cannot name the D-Bus object of " + unit + ".");
    sdbus::ObjectPath p(path);
    free(path);
    return p;
}

sdbus::Variant as_variant(const service::UnitProperty& p) {
    return std::visit(
        [](const auto& v) -> sdbus::Variant {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::vector<service::BindMount>>) {
                std::vector<BindEntry> binds;
                for (const auto& b : v) binds.emplace_back(b.source, b.destination, b.optional, std::uint64_t{0});
                return sdbus::Variant(binds);
            } else {
                return sdbus::Variant(v);
            }
        },
        p.value);
}

sdbus::Variant get(sdbus::IProxy& unit, const char* iface, const char* name) {
    sdbus::Variant v;
    unit.callMethod("Get").onInterface("org.freedesktop.DBus.Properties").withArguments(iface, name).storeResultsTo(v);
    return v;
}

}  // namespace

ExecRunner::ExecRunner(SystemdUnits& systemd)
    : systemd_(systemd), serial_(static_cast<std::uint64_t>(::time(nullptr)) % 1000000 * 1000) {
    systemd_.on_job_removed([this](const sdbus::ObjectPath&, const std::string& unit, const std::string&) {
        auto it = running_.find(unit);
        if (it == running_.end()) return false;
        it->second->job_pending = false;
        it->second->dirty = true;
        return true;
    });
    // One match for every unit, installed once: a match per exec would cost
    // a round trip to the bus daemon each time.
    match_ = systemd_.connection().addMatch(
        "type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.DBus.Properties',"
        "member='PropertiesChanged',path_namespace='/org/freedesktop/systemd1/unit'",
        [this](sdbus::Message& m) { changed(m); });
}

void ExecRunner::changed(sdbus::Message& message) {
    if (running_.empty()) return;
    const std::string path = message.getPath();
    Running* r = nullptr;
    for (auto& [unit, run] : running_)
        if (run->path == path) r = run.get();
    if (!r) return;
    r->dirty = true;
    // systemd sends the new values along; what it leaves out is asked for later.
    try {
        std::string iface;
        std::map<std::string, sdbus::Variant> values;
        message >> iface >> values;
        auto take = [&](const char* name, auto& into) {
            if (auto it = values.find(name); it != values.end())
                into = it->second.get<typename std::decay_t<decltype(into)>::value_type>();
        };
        if (iface == unit_iface) {
            take("ActiveState", r->state);
            if (auto it = values.find("Job"); it != values.end())
                r->job_pending = it->second.get<sdbus::Struct<std::uint32_t, sdbus::ObjectPath>>().get<0>() != 0;
        } else if (iface == service_iface) {
            take("ExecMainCode", r->code);
            take("ExecMainStatus", r->status);
            take("Result", r->result);
        }
    } catch (const sdbus::Error&) {
        r->state.reset();
    }
}

ExecRunner::~ExecRunner() {
    systemd_.on_job_removed({});
    for (auto& [unit, r] : running_) r->reply.returnError(sdbus::Error(error_failed, "subu-manager is stopping."));
}

void ExecRunner::start(const service::ExecPlan& plan, const sdbus::UnixFd& in, const sdbus::UnixFd& out,
                       const sdbus::UnixFd& err, const std::string& owner, ExecReply&& reply) {
    std::vector<Property> props;
    for (const auto& p : plan.properties) props.emplace_back(p.name, as_variant(p));
    props.emplace_back("ExecStart", sdbus::Variant(std::vector<sdbus::Struct<std::string, std::vector<std::string>, bool>>{
                                        {plan.path, plan.argv, false}}));
    props.emplace_back("StandardInputFileDescriptor", sdbus::Variant(in));
    props.emplace_back("StandardOutputFileDescriptor", sdbus::Variant(out));
    props.emplace_back("StandardErrorFileDescriptor", sdbus::Variant(err));

    auto r = std::make_unique<Running>();
    r->unit = plan.unit;
    r->path = unit_path(plan.unit);
    r->owner = owner;
    sdbus::ObjectPath job;
    try {
        systemd_.manager()
            .callMethod("StartTransientUnit")
            .onInterface(systemd_iface)
            .withArguments(plan.unit, "fail", props, std::vector<sdbus::Struct<std::string, std::vector<Property>>>{})
            .storeResultsTo(job);
    } catch (const sdbus::Error& e) {
        throw Failed("systemd refused to start " + plan.unit + ": " + e.getMessage());
    }
    r->reply = std::move(reply);
    running_[plan.unit] = std::move(r);
}

std::size_t ExecRunner::kill(const std::string& owner, int signal) {
    std::size_t n = 0;
    for (auto& [unit, r] : running_) {
        if (r->owner != owner) continue;
        try {
            systemd_.manager().callMethod("KillUnit").onInterface(systemd_iface).withArguments(unit, "all", signal);
            ++n;
        } catch (const sdbus::Error& e) {
            log::warning("Could not signal " + unit + ": " + e.getMessage(), {{"UNIT", unit}});
        }
    }
    return n;
}

bool ExecRunner::finished(Running& r) {
    // Before its start job is over a new unit is "inactive" too.
    if (r.job_pending) return false;
    if (!r.state) {
        auto unit = sdbus::createProxy(systemd_.connection(), "org.freedesktop.systemd1", r.path);
        r.state = get(*unit, unit_iface, "ActiveState").get<std::string>();
    }
    return r.state == "inactive" || r.state == "failed";
}

void ExecRunner::answer(Running& r) {
    auto unit = sdbus::createProxy(systemd_.connection(), "org.freedesktop.systemd1", r.path);
    if (!r.code) r.code = get(*unit, service_iface, "ExecMainCode").get<std::int32_t>();
    if (!r.status) r.status = get(*unit, service_iface, "ExecMainStatus").get<std::int32_t>();
    if (!r.result) r.result = get(*unit, service_iface, "Result").get<std::string>();
    const std::int32_t code = *r.code, status = *r.status;
    const std::string result = *r.result;
    // Let go of the unit; systemd collects it. Nothing to wait for.
    auto unref = unit->createMethodCall(unit_iface, "Unref");
    unref.dontExpectReply();
    unit->callMethod(unref);
    log::info(r.unit + " ended: " + result + ", code " + std::to_string(code) + ", status " + std::to_string(status),
              {{"UNIT", r.unit}, {"SUBU_EXEC_RESULT", result}, {"SUBU_EXEC_STATUS", std::to_string(status)}});
    r.reply.returnResults(r.unit, result, code, status);
}

void ExecRunner::settle() {
    for (auto it = running_.begin(); it != running_.end();) {
        Running& r = *it->second;
        if (!r.dirty) {
            ++it;
            continue;
        }
        r.dirty = false;
        try {
            if (!finished(r)) {
                ++it;
                continue;
            }
            answer(r);
        } catch (const sdbus::Error& e) {
            log::error("Lost track of " + r.unit + ": " + e.getMessage(), {{"UNIT", r.unit}});
            r.reply.returnError(sdbus::Error(error_failed, "Lost track of " + r.unit + ": " + e.getMessage()));
        }
        it = running_.erase(it);
    }
}

}  // namespace subu::bus
