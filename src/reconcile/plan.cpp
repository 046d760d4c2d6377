// The pure planning of namespace steps; applying them is converge()'s job.
#include "reconcile/plan.h"

namespace subu::reconcile {

std::string_view to_string(Step s) {
    switch (s) {
        case Step::MakeNetns: return "make the namespace";
        case Step::RemoveNetns: return "remove the namespace";
        case Step::LoopbackUp: return "bring loopback up";
        case Step::LoopbackDown: return "bring loopback down";
    }
    return "?";
}

std::vector<Step> plan(const NetnsState& desired, const NetnsState& observed) {
    std::vector<Step> steps;
    if (!desired.exists) {
        if (observed.exists) steps.push_back(Step::RemoveNetns);
        return steps;
    }
    // A namespace the kernel just made has its loopback down.
    const bool lo_now = observed.exists && observed.loopback_up;
    if (!observed.exists) steps.push_back(Step::MakeNetns);
    if (desired.loopback_up && !lo_now) steps.push_back(Step::LoopbackUp);
    if (!desired.loopback_up && lo_now) steps.push_back(Step::LoopbackDown);
    return steps;
}

}  // namespace subu::reconcile
