// Planning a namespace's steps from desired and observed state.
#include "reconcile/plan.h"

#include <gtest/gtest.h>

using namespace subu::reconcile;
using Steps = std::vector<Step>;

TEST(APlan, MakesAMissingNamespaceAndBringsItsLoopbackUpWhenWanted) {
    EXPECT_EQ(plan({true, true}, {false, false}), (Steps{Step::MakeNetns, Step::LoopbackUp}));
    EXPECT_EQ(plan({true, false}, {false, false}), (Steps{Step::MakeNetns}));
}

TEST(APlan, DoesNothingWhenTheKernelAlreadyHasIt) {
    EXPECT_TRUE(plan({true, true}, {true, true}).empty());
    EXPECT_TRUE(plan({true, false}, {true, false}).empty());
    EXPECT_TRUE(plan({false, false}, {false, false}).empty());
}

TEST(APlan, FixesOnlyTheLoopbackOfAnExistingNamespace) {
    EXPECT_EQ(plan({true, false}, {true, true}), (Steps{Step::LoopbackDown}));
    EXPECT_EQ(plan({true, true}, {true, false}), (Steps{Step::LoopbackUp}));
}

TEST(APlan, RemovesANamespaceThatShouldNotBe) {
    EXPECT_EQ(plan({false, false}, {true, true}), (Steps{Step::RemoveNetns}));
}

#include "reconcile/converge.h"

namespace {
// Records how converge drives the namespace seam.
class RecordingNamespaces : public subu::system::Namespaces {
public:
    bool present = false, lo = false;
    std::vector<std::string> calls;
    bool exists(std::string_view) override { return present; }
    bool ensure(std::string_view, bool loopback_up) override {
        calls.push_back(loopback_up ? "ensure+lo" : "ensure");
        present = true;
        lo = loopback_up;
        return true;
    }
    void remove(std::string_view) override {
        calls.push_back("remove");
        present = false;
    }
    bool loopback_up(std::string_view) override { return lo; }
    void set_loopback(std::string_view, bool up) override {
        calls.push_back(up ? "lo up" : "lo down");
        lo = up;
    }
};
}  // namespace

TEST(Converging, MakesANamespaceWithItsLoopbackUpInOneTrip) {
    RecordingNamespaces ns;
    auto steps = converge(ns, "ns-subu_1", {true, true});
    EXPECT_EQ(steps, (Steps{Step::MakeNetns, Step::LoopbackUp}));
    EXPECT_EQ(ns.calls, (std::vector<std::string>{"ensure+lo"}));
}

TEST(Converging, IsANoOpTheSecondTime) {
    RecordingNamespaces ns;
    converge(ns, "ns-subu_1", {true, false});
    ns.calls.clear();
    EXPECT_TRUE(converge(ns, "ns-subu_1", {true, false}).empty());
    EXPECT_TRUE(ns.calls.empty());
    converge(ns, "ns-subu_1", {false, false});
    EXPECT_EQ(ns.calls, (std::vector<std::string>{"remove"}));
}
