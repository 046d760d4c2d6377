// Asks polkit (org.freedesktop.PolicyKit1) whether a bus peer may do an org.subu.* action.
#pragma once
#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/IProxy.h>

#include <functional>
#include <memory>
#include <string>

namespace subu::bus {

class Polkit {
public:
    explicit Polkit(sdbus::IConnection& connection);
    // Whether polkit authorizes the peer `sender` (a unique bus name) for
    // `action`. No interaction unless `interactive` (the caller's message
    // allowed it); false when polkit says no, errs, is absent or times out.
    bool check(const std::string& sender, const std::string& action, bool interactive);
    // The same without waiting: `decided` is called from the bus loop with the answer.
    void check_async(const std::string& sender, const std::string& action, std::function<void(bool)> decided);

private:
    std::unique_ptr<sdbus::IProxy> authority_;
};

}  // namespace subu::bus
