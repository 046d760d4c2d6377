// systemd over its D-Bus API (org.freedesktop.systemd1), on a connection of its own so jobs can be awaited.
#pragma once
#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <map>
#include <memory>

#include "system/units.h"

namespace subu::bus {

class SystemdUnits final : public system::Units {
public:
    SystemdUnits();
    void daemon_reload() override;
    void start(const std::string& unit) override;
    void stop(const std::string& unit) override;
    void reload(const std::string& unit) override;
    std::string active_state(const std::string& unit) override;
    Facts describe(const std::string& unit) override;
    void try_restart(const std::string& unit) override;

    // The private connection, for the manager's loop to pump, and the proxy
    // of systemd's manager object on it.
    sdbus::IConnection& connection() { return *connection_; }
    sdbus::IProxy& manager() { return *systemd_; }
    // Called for every JobRemoved(job, unit, result); a listener that returns
    // true takes the job (it is not kept for wait_for()).
    using JobListener = std::function<bool(const sdbus::ObjectPath& job, const std::string& unit, const std::string& result)>;
    void on_job_removed(JobListener listener) { job_listener_ = std::move(listener); }

private:
    void run_job(const char* method, const std::string& unit, const char* verb);
    std::string wait_for(const sdbus::ObjectPath& job, const std::string& unit);
    std::unique_ptr<sdbus::IProxy> unit_proxy(const std::string& unit);

    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<sdbus::IProxy> systemd_;
    std::map<sdbus::ObjectPath, std::string> finished_;  // job → result, from JobRemoved
    JobListener job_listener_;
};

}  // namespace subu::bus
