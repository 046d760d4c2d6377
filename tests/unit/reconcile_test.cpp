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
