// Applying a plan: observes a namespace, plans, and carries out the steps.
#pragma once
#include <string>
#include <vector>

#include "reconcile/plan.h"
#include "system/netns.h"

namespace subu::reconcile {

NetnsState observe(system::Namespaces& netns, const std::string& name);

// Brings namespace `name` to `desired`; returns the steps it took (none when already there).
std::vector<Step> converge(system::Namespaces& netns, const std::string& name, const NetnsState& desired);

}  // namespace subu::reconcile
