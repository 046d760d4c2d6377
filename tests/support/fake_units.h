// A stand-in for systemd's job engine in service tests.
#pragma once
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/errors.h"
#include "system/units.h"

namespace subu::samples {

// Records what the service asks of systemd; a unit named in `fail` fails to start.
class FakeUnits : public subu::system::Units {
public:
    std::vector<std::string> calls;  // "start X", "stop X", "reload X", "daemon-reload"
    std::set<std::string> active;
    std::string fail;
    void daemon_reload() override { calls.push_back("daemon-reload"); }
    void start(const std::string& u) override {
        calls.push_back("start " + u);
        if (u == fail) throw subu::Failed("Could not start " + u + " (injected)");
        active.insert(u);
    }
    void stop(const std::string& u) override {
        calls.push_back("stop " + u);
        active.erase(u);
    }
    void reload(const std::string& u) override {
        calls.push_back("reload " + u);
        if (u == fail) throw subu::Failed("Could not reload " + u + " (injected)");
    }
    std::string active_state(const std::string& u) override { return active.count(u) ? "active" : "inactive"; }
    bool did(const std::string& call) const { return std::find(calls.begin(), calls.end(), call) != calls.end(); }
};

}  // namespace subu::samples
