// A stand-in for systemd's job engine in service tests.
#pragma once
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/errors.h"
#include "system/units.h"

namespace subu::samples {

// Records what the service asks of systemd; a unit named in `fail` fails to start.
class FakeUnits : public subu::system::Units {
public:
    std::vector<std::string> calls;  // "start X", "stop X", "reload X", "daemon-reload", "describe X", "try-restart X"
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
    // Units systemd knows (name -> User=, "" for root); aliases map a name to a unit's own.
    std::map<std::string, std::string> loaded;
    std::map<std::string, std::string> aliases;
    Facts describe(const std::string& u) override {
        calls.push_back("describe " + u);
        const auto it = aliases.find(u);
        const std::string id = it == aliases.end() ? u : it->second;
        const auto l = loaded.find(id);
        if (l == loaded.end()) return {u, "not-found", "inactive", ""};
        return {id, "loaded", active_state(id), l->second};
    }
    void try_restart(const std::string& u) override {
        calls.push_back("try-restart " + u);
        if (u == fail) throw subu::Failed("Could not restart " + u + " (injected)");
    }
    bool did(const std::string& call) const { return std::find(calls.begin(), calls.end(), call) != calls.end(); }
};

}  // namespace subu::samples
