// Starts, stops and reloads units and waits for their jobs through JobRemoved,
// pumping a private connection so the manager's own bus is never re-entered.
#include "bus/systemd_units.h"

#include <poll.h>
#include <time.h>

#include "core/errors.h"
#include "core/log.h"

namespace subu::bus {
namespace {

constexpr const char* systemd_iface = "org.freedesktop.systemd1.Manager";
constexpr std::uint64_t job_timeout_us = 120ull * 1000000ull;

std::uint64_t now_us() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000ull + static_cast<std::uint64_t>(ts.tv_nsec) / 1000ull;
}

}  // namespace

SystemdUnits::SystemdUnits()
    : connection_(sdbus::createSystemBusConnection()),
      systemd_(sdbus::createProxy(*connection_, "org.freedesktop.systemd1", "/org/freedesktop/systemd1")) {
    systemd_->uponSignal("JobRemoved")
        .onInterface(systemd_iface)
        .call([this](std::uint32_t, const sdbus::ObjectPath& job, const std::string& unit, const std::string& result) {
            if (job_listener_ && job_listener_(job, unit, result)) return;
            finished_[job] = result;
        });
    systemd_->finishRegistration();
    systemd_->callMethod("Subscribe").onInterface(systemd_iface);
}

std::string SystemdUnits::wait_for(const sdbus::ObjectPath& job, const std::string& unit) {
    const std::uint64_t deadline = now_us() + job_timeout_us;
    for (;;) {
        while (connection_->processPendingRequest()) {
        }
        if (auto it = finished_.find(job); it != finished_.end()) {
            std::string result = it->second;
            finished_.erase(it);
            return result;
        }
        const std::uint64_t now = now_us();
        if (now >= deadline) throw Failed("Timed out waiting for systemd's job on " + unit + ".");
        auto pd = connection_->getEventLoopPollData();
        pollfd p{pd.fd, pd.events, 0};
        std::uint64_t wait = deadline - now;
        if (pd.timeout_usec != UINT64_MAX && pd.timeout_usec > now) wait = std::min(wait, pd.timeout_usec - now);
        if (pd.timeout_usec != UINT64_MAX && pd.timeout_usec <= now) wait = 0;
        poll(&p, 1, static_cast<int>(wait / 1000));
    }
}

void SystemdUnits::run_job(const char* method, const std::string& unit, const char* verb) {
    sdbus::ObjectPath job;
    try {
        systemd_->callMethod(method).onInterface(systemd_iface).withArguments(unit, "replace").storeResultsTo(job);
    } catch (const sdbus::Error& e) {
        throw Failed("systemd refused to " + std::string(verb) + " " + unit + ": " + e.getMessage());
    }
    const std::string result = wait_for(job, unit);
    if (result != "done")
        throw Failed("Could not " + std::string(verb) + " " + unit + " (systemd's job ended with \"" + result +
                     "\"); see `systemctl status '" + unit + "'` and `journalctl -u '" + unit + "'`.");
    log::debug(std::string("systemd: ") + verb + " " + unit + " done", {{"UNIT", unit}});
}

void SystemdUnits::daemon_reload() {
    // Reload returns once the manager has reloaded, generators included.
    systemd_->callMethod("Reload").onInterface(systemd_iface);
}

void SystemdUnits::start(const std::string& unit) { run_job("StartUnit", unit, "start"); }
void SystemdUnits::stop(const std::string& unit) { run_job("StopUnit", unit, "stop"); }
void SystemdUnits::reload(const std::string& unit) { run_job("ReloadUnit", unit, "reload"); }

std::unique_ptr<sdbus::IProxy> SystemdUnits::unit_proxy(const std::string& unit) {
    sdbus::ObjectPath path;
    systemd_->callMethod("LoadUnit").onInterface(systemd_iface).withArguments(unit).storeResultsTo(path);
    return sdbus::createProxy(*connection_, "org.freedesktop.systemd1", path);
}

namespace {

std::string property(sdbus::IProxy& u, const char* iface, const char* name) {
    sdbus::Variant v;
    u.callMethod("Get").onInterface("org.freedesktop.DBus.Properties").withArguments(iface, name).storeResultsTo(v);
    return v.get<std::string>();
}

constexpr const char* unit_iface = "org.freedesktop.systemd1.Unit";

}  // namespace

std::string SystemdUnits::active_state(const std::string& unit) {
    return property(*unit_proxy(unit), unit_iface, "ActiveState");
}

system::Units::Facts SystemdUnits::describe(const std::string& unit) {
    Facts f;
    try {
        auto u = unit_proxy(unit);
        f.id = property(*u, unit_iface, "Id");
        f.load_state = property(*u, unit_iface, "LoadState");
        f.active_state = property(*u, unit_iface, "ActiveState");
        if (f.load_state == "loaded" && f.id.size() > 8 && f.id.compare(f.id.size() - 8, 8, ".service") == 0)
            f.user = property(*u, "org.freedesktop.systemd1.Service", "User");
    } catch (const sdbus::Error& e) {
        throw Failed("systemd could not say what " + unit + " is: " + e.getMessage());
    }
    return f;
}

void SystemdUnits::try_restart(const std::string& unit) { run_job("TryRestartUnit", unit, "restart"); }

}  // namespace subu::bus
