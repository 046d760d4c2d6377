// The state store on a temporary database: migrations, pragmas, rows, id allocation.
#include "store/store.h"

#include <gtest/gtest.h>
#include <SQLiteCpp/Database.h>
#include <unistd.h>

#include <filesystem>

#include "store/migrations.h"

using namespace subu::store;

namespace {
class AStore : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::filesystem::temp_directory_path() / ("subu-store-test-" + std::to_string(getpid()) + "-" +
                                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        path = (dir / "subu.db").string();
    }
    void TearDown() override { std::filesystem::remove_all(dir); }
    SubuRow row(std::uint32_t num, const std::string& name, std::optional<std::uint32_t> parent = {}) {
        SubuRow r;
        r.num = num;
        r.name = name;
        r.masu = "Thomas";
        r.parent = parent;
        r.state = RowState::Ready;
        r.created_at = 1;
        return r;
    }
    std::filesystem::path dir;
    std::string path;
};
}  // namespace

TEST_F(AStore, MigratesANewDatabaseToTheLatestVersion) {
    Store s(path);
    EXPECT_EQ(s.schema_version(), migrations().back().version);
}

TEST_F(AStore, UsesWalFullSyncAndForeignKeys) {
    Store s(path);
    SQLite::Database db(path);
    EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
    s.insert_subu(row(1, "Thomas_US"));
    // Foreign keys are enforced on the store's own connection.
    EXPECT_THROW(s.insert_subu(row(2, "Thomas_US_Rabbit", 99)), SQLite::Exception);
}

TEST_F(AStore, ReopensWithoutMigratingAgain) {
    { Store s(path); s.insert_subu(row(1, "Thomas_US")); }
    Store again(path);
    EXPECT_EQ(again.subus().size(), 1u);
}

TEST_F(AStore, RefusesASchemaNewerThanItKnows) {
    { Store s(path); }
    { SQLite::Database db(path, SQLite::OPEN_READWRITE); db.exec("PRAGMA user_version=999"); }
    EXPECT_THROW(Store{path}, std::exception);
}

TEST_F(AStore, FindsSubusByIdOrName) {
    Store s(path);
    s.insert_subu(row(3, "Thomas_US"));
    EXPECT_EQ(s.find_subu("subu_3")->name, "Thomas_US");
    EXPECT_EQ(s.find_subu("Thomas_US")->num, 3u);
    EXPECT_FALSE(s.find_subu("subu_4"));
    EXPECT_FALSE(s.find_subu("Nobody_X"));
}

TEST_F(AStore, AllocatesTheFirstFreeId) {
    Store s(path);
    EXPECT_EQ(s.first_free_subu_num(), 1u);
    s.insert_subu(row(1, "Thomas_A"));
    s.insert_subu(row(2, "Thomas_B"));
    s.insert_subu(row(4, "Thomas_D"));
    EXPECT_EQ(s.first_free_subu_num(), 3u);
    s.insert_subu(row(3, "Thomas_C"));
    EXPECT_EQ(s.first_free_subu_num(), 5u);
    s.delete_subu(1);
    EXPECT_EQ(s.first_free_subu_num(), 1u);
}

TEST_F(AStore, RollsBackAWriteThatThrows) {
    Store s(path);
    EXPECT_THROW(s.write([&] {
        s.insert_subu(row(1, "Thomas_US"));
        throw std::runtime_error("boom");
    }), std::runtime_error);
    EXPECT_TRUE(s.subus().empty());
}

TEST_F(AStore, CountsChildrenAndRefusesToDeleteAParentWithChildren) {
    Store s(path);
    s.insert_subu(row(1, "Thomas_US"));
    s.insert_subu(row(2, "Thomas_US_Rabbit", 1));
    EXPECT_EQ(s.count_children(1), 1u);
    EXPECT_THROW(s.delete_subu(1), SQLite::Exception);
}

TEST_F(AStore, RejectsUnknownStatesAndDuplicateNames) {
    Store s(path);
    s.insert_subu(row(1, "Thomas_US"));
    EXPECT_THROW(s.insert_subu(row(2, "Thomas_US")), SQLite::Exception);
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    EXPECT_THROW(db.exec("UPDATE subu SET state = 'weird' WHERE num = 1"), SQLite::Exception);
}

TEST_F(AStore, KeepsMetaValues) {
    Store s(path);
    EXPECT_FALSE(s.meta("k"));
    s.set_meta("k", "v1");
    s.set_meta("k", "v2");
    EXPECT_EQ(s.meta("k"), "v2");
    s.delete_meta("k");
    EXPECT_FALSE(s.meta("k"));
}

TEST_F(AStore, KeepsRetiredUidsOnePerUid) {
    Store s(path);
    s.retire_uid({1002, "Thomas_Sec", "Thomas", 1000u, "/home/Thomas_Sec", 7});
    s.retire_uid({1003, "Thomas_Old", "Thomas", std::nullopt, "/home/Thomas_Old", 8});
    s.retire_uid({1002, "Thomas_Sec", "Thomas", 1000u, "/home/Thomas_Sec", 9});
    auto all = s.retired_uids();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].uid, 1002u);
    EXPECT_EQ(all[0].masu_uid, 1000u);
    EXPECT_EQ(all[0].retired_at, 9);
    EXPECT_EQ(all[1].masu_uid, std::nullopt);
    s.drop_retired_uid(1002);
    EXPECT_EQ(s.retired_uids().size(), 1u);
}

TEST_F(AStore, KeepsAttachedServicesOneSubuAUnit) {
    Store s(path);
    s.insert_subu(row(1, "Thomas_US"));
    s.insert_subu(row(2, "Thomas_US_Rabbit", 1));
    s.insert_service({"probe.service", 1, "Thomas_US_Rabbit"});
    s.insert_service({"a.service", 1, "Thomas_US"});
    EXPECT_EQ(s.services_of(1), (std::vector<ServiceRow>{{"a.service", 1, "Thomas_US"},
                                                          {"probe.service", 1, "Thomas_US_Rabbit"}}));
    EXPECT_TRUE(s.services_of(2).empty());
    EXPECT_EQ(s.service("probe.service")->user, "Thomas_US_Rabbit");
    EXPECT_FALSE(s.service("nope.service"));
    EXPECT_EQ(s.services_run_by("Thomas_US_Rabbit").size(), 1u);
    EXPECT_ANY_THROW(s.insert_service({"probe.service", 2, "Thomas_US_Rabbit"})) << "one subu a unit";
    EXPECT_ANY_THROW(s.insert_service({"x.socket", 1, "Thomas_US"})) << "services only";
    EXPECT_ANY_THROW(s.insert_service({"y.service", 9, "Thomas_US"})) << "of a subu that exists";
    s.delete_service("a.service");
    EXPECT_EQ(s.services().size(), 1u);
}

TEST_F(AStore, RefusesToDeleteASubuWithAServiceAttached) {
    Store s(path);
    s.insert_subu(row(1, "Thomas_US"));
    s.insert_service({"probe.service", 1, "Thomas_US"});
    EXPECT_ANY_THROW(s.delete_subu(1));
    s.delete_service("probe.service");
    s.delete_subu(1);
    EXPECT_FALSE(s.subu_by_num(1));
}
