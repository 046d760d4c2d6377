// Authorization decisions: root, owners, everyone else.
#include "auth/authz.h"

#include <gtest/gtest.h>

using namespace subu::auth;

TEST(Authorization, LetsRootDoEverything) {
    for (auto a : {Action::List, Action::Inspect, Action::Make, Action::Remove}) {
        EXPECT_TRUE(allowed({0}, a, 1000));
        EXPECT_TRUE(allowed({0}, a, std::nullopt));
    }
}

TEST(Authorization, LetsTheOwnerActOnTheirOwnTree) {
    for (auto a : {Action::Inspect, Action::Make, Action::Remove, Action::Configure}) EXPECT_TRUE(allowed({1000}, a, 1000));
}

TEST(Authorization, DeniesEveryoneElse) {
    for (auto a : {Action::Inspect, Action::Make, Action::Remove, Action::Configure}) {
        EXPECT_FALSE(allowed({1001}, a, 1000));
        EXPECT_FALSE(allowed({1001}, a, std::nullopt)) << "an owner that no longer exists is root's to manage";
    }
}

TEST(Authorization, ShowsAPersonOnlyTheirOwnSubus) {
    EXPECT_TRUE(allowed({1001}, Action::List, 1000));
    EXPECT_TRUE(sees({1000}, 1000));
    EXPECT_FALSE(sees({1001}, 1000));
    EXPECT_TRUE(sees({0}, 1000));
}
