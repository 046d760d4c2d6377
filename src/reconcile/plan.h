// Reconcile: what a subu's namespace should be × what it is → the steps to get there. Pure.
#pragma once
#include <string_view>
#include <vector>

namespace subu::reconcile {

struct NetnsState {
    bool exists = false;
    bool loopback_up = false;  // meaningful only when it exists
};

enum class Step { MakeNetns, RemoveNetns, LoopbackUp, LoopbackDown };
std::string_view to_string(Step s);

std::vector<Step> plan(const NetnsState& desired, const NetnsState& observed);

}  // namespace subu::reconcile
