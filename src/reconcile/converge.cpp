// Observe → plan → apply, for one namespace. Every step is idempotent, so a run
// killed half-way is finished by the next.
#include "reconcile/converge.h"

namespace subu::reconcile {

NetnsState observe(system::Namespaces& netns, const std::string& name) {
    NetnsState s;
    s.exists = netns.exists(name);
    if (s.exists) s.loopback_up = netns.loopback_up(name);
    return s;
}

std::vector<Step> converge(system::Namespaces& netns, const std::string& name, const NetnsState& desired) {
    auto steps = plan(desired, observe(netns, name));
    for (std::size_t i = 0; i < steps.size(); ++i) {
        switch (steps[i]) {
            case Step::MakeNetns:
                // Bringing loopback up right after is done from inside, in the same trip.
                if (i + 1 < steps.size() && steps[i + 1] == Step::LoopbackUp) {
                    netns.ensure(name, true);
                    ++i;
                } else {
                    netns.ensure(name);
                }
                break;
            case Step::RemoveNetns: netns.remove(name); break;
            case Step::LoopbackUp: netns.set_loopback(name, true); break;
            case Step::LoopbackDown: netns.set_loopback(name, false); break;
        }
    }
    return steps;
}

}  // namespace subu::reconcile
