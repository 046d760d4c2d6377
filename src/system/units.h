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

    // What systemd knows of a unit, loading it if need be (LoadUnit): its
    // own name (`id`: an alias gives the unit's name), LoadState ("loaded",
    // "not-found", "masked", "bad-setting", "error"), ActiveState, and for a
    // loaded service the User= it runs as ("" for root or none).
    struct Facts {
        std::string id, load_state, active_state, user;
    };
    virtual Facts describe(const std::string& unit) = 0;
    // Restarts `unit` if it is running, and only then (TryRestartUnit); waits as above.
    virtual void try_restart(const std::string& unit) = 0;
};

}  // namespace subu::system
