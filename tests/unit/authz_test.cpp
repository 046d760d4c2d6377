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

TEST(Authorization, AsksTheAuthorityOnlyForSomeoneElsesSubu) {
    int asked = 0;
    Caller mallory{1001, [&](Action) { ++asked; return false; }};
    EXPECT_FALSE(allowed(mallory, Action::Exec, 1000));
    EXPECT_EQ(asked, 1);
    Caller thomas{1000, [&](Action) { ++asked; return false; }};
    EXPECT_TRUE(allowed(thomas, Action::Exec, 1000));
    EXPECT_TRUE(allowed({0, [&](Action) { ++asked; return false; }}, Action::Remove, 1000));
    EXPECT_EQ(asked, 1) << "root and the owner are decided here, without a round trip";
}

TEST(Authorization, LetsTheAuthorityGrantWhatItGrants) {
    Caller admin{1002, [](Action a) { return a == Action::Configure; }};
    EXPECT_TRUE(allowed(admin, Action::Configure, 1000));
    EXPECT_FALSE(allowed(admin, Action::Exec, 1000));
    EXPECT_FALSE(sees(admin, 1000)) << "a list shows one's own subus only";
}

TEST(Authorization, MapsEachKindOfVerbToItsPolkitAction) {
    EXPECT_EQ(polkit_action(Action::Inspect), "org.subu.Manager1.inspect");
    EXPECT_EQ(polkit_action(Action::Make), "org.subu.Manager1.manage-any");
    EXPECT_EQ(polkit_action(Action::Remove), "org.subu.Manager1.manage-any");
    EXPECT_EQ(polkit_action(Action::Configure), "org.subu.Manager1.manage-any");
    EXPECT_EQ(polkit_action(Action::Exec), "org.subu.Manager1.exec-any");
}

TEST(Authorization, LeavesServicesToRootAndTheAuthorityNotTheOwner) {
    EXPECT_TRUE(allowed({0}, Action::ManageServices, 1000));
    EXPECT_FALSE(allowed({1000}, Action::ManageServices, 1000));
    EXPECT_TRUE(allowed({1000, [](Action a) { return a == Action::ManageServices; }}, Action::ManageServices, 1000));
    EXPECT_EQ(polkit_action(Action::ManageServices), "org.subu.Manager1.manage-services");
}
