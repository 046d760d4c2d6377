// The uid rule of new subus and the range it draws from.
#include "service/uids.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

using namespace subu;
using service::pick_uid;

TEST(AUidPick, TakesOneAboveTheHighestInTheRangeAsUseraddDoes) {
    EXPECT_EQ(pick_uid({1000, 60000}, {0, 1000, 1001, 1005, 65534}), 1006u);
}

TEST(AUidPick, StartsAtTheBottomOfAnEmptyRange) {
    EXPECT_EQ(pick_uid({1000, 60000}, {0, 65534}), 1000u);
    EXPECT_EQ(pick_uid({1000, 60000}, {}), 1000u);
}

TEST(AUidPick, SkipsARetiredUidAtTheTopJustAsOneInUse) {
    // 1002 was the removed subu's: useradd would hand out 1002 again.
    EXPECT_EQ(pick_uid({1000, 60000}, {1000, 1001, 1002}), 1003u);
}

TEST(AUidPick, FallsBackToTheLowestFreeOnePastTheEndOfTheRange) {
    EXPECT_EQ(pick_uid({1000, 1005}, {1000, 1002, 1005}), 1001u);
    EXPECT_EQ(pick_uid({1000, 1002}, {1000, 1001, 1002}), std::nullopt);
}

TEST(AUidPick, RefusesAnEmptyRange) { EXPECT_EQ(pick_uid({2000, 1000}, {}), std::nullopt); }

TEST(AUidPick, CopesWithARangeUpToTheLastUid) {
    EXPECT_EQ(pick_uid({4294967290u, 4294967295u}, {4294967295u}), 4294967290u);
}

TEST(ALoginDefs, GivesUidMinAndUidMax) {
    auto r = system::uid_range_from_login_defs("# UID_MIN 5\nUID_MIN\t\t 2000\nGID_MIN 100\nUID_MAX 3000 # no\n");
    EXPECT_EQ(r.min, 2000u);
    EXPECT_EQ(r.max, 3000u);
}

TEST(ALoginDefs, KeepsTheDefaultsForWhatIsMissingOrNotANumber) {
    auto r = system::uid_range_from_login_defs("UID_MIN lots\nUID_MAX -5\n\n   \n#\n");
    EXPECT_EQ(r.min, 1000u);
    EXPECT_EQ(r.max, 60000u);
}

TEST(TheShadowAccounts, ListTheOwnersOfTheEntriesOfADirectoryWithoutFollowingLinks) {
    const auto dir = std::filesystem::temp_directory_path() / ("subu-uids-test-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "sub");
    std::filesystem::create_symlink("/nonexistent", dir / "dangling");
    system::ShadowAccounts accounts;
    EXPECT_EQ(accounts.entry_owners(dir.string()), std::set<std::uint32_t>{getuid()});
    EXPECT_TRUE(accounts.entry_owners((dir / "missing").string()).empty());
    std::filesystem::remove_all(dir);
}

TEST(TheShadowAccounts, ListTheUidsInUse) {
    system::ShadowAccounts accounts;
    EXPECT_TRUE(accounts.uids_in_use().count(0)) << "root is a user everywhere";
}
