// The seam to systemd's job engine: the service starts, stops and reloads units through it; tests replace it.
#pragma once
#include <string>

namespace subu::system {

class Units {
public:
    virtual ~Units() = default;
    // Each waits for its job to finish and throws Failed naming the unit and
    // the job's result when it did not succeed.
    virtual void daemon_reload() = 0;
    virtual void start(const std::string& unit) = 0;
    virtual void stop(const std::string& unit) = 0;
    virtual void reload(const std::string& unit) = 0;
    // "active", "inactive", "failed", ... as systemd says.
    virtual std::string active_state(const std::string& unit) = 0;
};

}  // namespace subu::system
