// The subu lifecycle over fake accounts and namespaces: effects, authorization, rollback, recovery.
#include "service/subus.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "core/errors.h"
#include "export/export.h"
#include "names/names.h"
#include "service/services.h"
#include "support/fake_units.h"

using namespace subu;

namespace {

// In-memory /etc/passwd + /etc/group with failure injection.
class FakeAccounts : public system::Accounts {
public:
    std::map<std::string, system::UnixUser> users;
    std::set<std::string> groups;
    std::set<std::string> paths;
    std::string fail_add_user_named;  // add_user of this name fails after nothing was made
    bool fail_remove_user_busy = false;

    std::optional<system::UnixUser> user(std::string_view n) override {
        auto it = users.find(std::string(n));
        if (it == users.end()) return std::nullopt;
        return it->second;
    }
    std::optional<system::UnixUser> user_by_uid(std::uint32_t uid) override {
        for (auto& [n, u] : users)
            if (u.uid == uid) return u;
        return std::nullopt;
    }
    bool group_exists(std::string_view n) override { return groups.count(std::string(n)) > 0; }
    bool path_exists(const std::string& p) override { return paths.count(p) > 0; }
    std::map<std::string, std::uint32_t> owners;  // path -> uid, for paths not made by add_user
    std::set<std::uint32_t> busy_uids;
    std::optional<std::uint32_t> path_owner(const std::string& p) override {
        if (!paths.count(p)) return std::nullopt;
        return owners.count(p) ? owners[p] : 4242;
    }
    void adopt_tree(const std::string& p, std::uint32_t uid, std::uint32_t) override { owners[p] = uid; }
    bool has_processes(std::uint32_t uid) override { return busy_uids.count(uid) > 0; }
    system::UidRange range;
    std::set<std::uint32_t> taken_meanwhile;
    system::UidRange uid_range() override { return range; }
    std::set<std::uint32_t> uids_in_use() override {
        std::set<std::uint32_t> out;
        for (auto& [n, u] : users) out.insert(u.uid);
        return out;
    }
    std::set<std::uint32_t> entry_owners(const std::string& dir) override {
        std::set<std::uint32_t> out;
        for (auto& p : paths)
            if (std::filesystem::path(p).parent_path() == dir) out.insert(*path_owner(p));
        return out;
    }
    // What useradd picks when it is not given a uid: one above the highest in use.
    std::uint32_t useradds_pick() {
        std::uint32_t top = range.min - 1;
        for (auto u : uids_in_use())
            if (u >= range.min && u <= range.max) top = std::max(top, u);
        return top + 1;
    }
    void add_group(std::string_view n) override { groups.insert(std::string(n)); }
    void remove_group(std::string_view n) override { groups.erase(std::string(n)); }
    system::UnixUser add_user(const system::NewUser& nu) override {
        if (nu.name == fail_add_user_named) throw Failed("useradd failed (injected)");
        if (nu.uid && (user_by_uid(*nu.uid) || taken_meanwhile.count(*nu.uid))) throw Busy("useradd: UID " + std::to_string(*nu.uid) + " is not unique");
        system::UnixUser u{nu.name, nu.uid ? *nu.uid : useradds_pick(), nu.primary_gid, nu.home, nu.shell};
        users[nu.name] = u;
        // useradd leaves an existing home's owner as it is.
        if (paths.insert(nu.home).second) owners[nu.home] = u.uid;
        return u;
    }
    void remove_user(std::string_view n, bool purge) override {
        if (fail_remove_user_busy) throw Busy("busy (injected)");
        auto it = users.find(std::string(n));
        if (it == users.end()) return;
        if (purge) {
            paths.erase(it->second.home);
            owners.erase(it->second.home);
        }
        users.erase(it);
    }
};

class FakeNamespaces : public system::Namespaces {
public:
    std::set<std::string> names;
    bool fail_ensure = false;
    bool exists(std::string_view n) override { return names.count(std::string(n)) > 0; }
    bool ensure(std::string_view n, bool) override {
        if (fail_ensure) throw Failed("unshare failed (injected)");
        return names.insert(std::string(n)).second;
    }
    void remove(std::string_view n) override { names.erase(std::string(n)); }
    bool loopback_up(std::string_view) override { return false; }
    void set_loopback(std::string_view, bool) override {}
};

using samples::FakeUnits;

class TheSubuService : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::filesystem::temp_directory_path() /
              ("subu-service-test-" + std::to_string(getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        store = std::make_unique<store::Store>((dir / "subu.db").string());
        accounts.users["Thomas"] = {"Thomas", 1000, 1000, "/home/Thomas", "/bin/bash"};
        accounts.users["Mallory"] = {"Mallory", 1001, 1001, "/home/Mallory", "/bin/bash"};
        accounts.groups = {"Thomas", "Mallory"};
        service = std::make_unique<service::Subus>(*store, accounts, netns, units);
    }
    void TearDown() override { std::filesystem::remove_all(dir); }

    // Everything a failed call must leave exactly as it was.
    struct Snapshot {
        std::vector<std::string> rows;
        std::map<std::string, std::uint32_t> users;
        std::set<std::string> groups, paths, netns;
        bool operator==(const Snapshot&) const = default;
    };
    Snapshot snapshot() {
        Snapshot s;
        for (auto& r : store->subus()) s.rows.push_back(r.id() + " " + r.name + " " + std::string(to_string(r.state)));
        for (auto& [n, u] : accounts.users) s.users[n] = u.uid;
        s.groups = accounts.groups;
        s.paths = accounts.paths;
        s.netns = netns.names;
        return s;
    }

    std::filesystem::path dir;
    std::unique_ptr<store::Store> store;
    FakeAccounts accounts;
    FakeNamespaces netns;
    FakeUnits units;
    std::unique_ptr<service::Subus> service;
    const auth::Caller root{0}, thomas{1000}, mallory{1001};
};

}  // namespace

TEST_F(TheSubuService, MakesTheUserGroupsAndNamespace) {
    auto row = service->make(root, {"Thomas", "US"});
    EXPECT_EQ(row.id(), "subu_1");
    EXPECT_EQ(row.name, "Thomas_US");
    ASSERT_TRUE(accounts.users.count("Thomas_US"));
    EXPECT_EQ(accounts.users["Thomas_US"].gid, 1000u);
    EXPECT_TRUE(accounts.groups.count("Thomas-incommon"));
    // The namespace is the unit's to make, after systemd has seen the export.
    EXPECT_EQ(units.calls, (std::vector<std::string>{"start subu-Thomas-US.slice", "start subu-netns@Thomas_US.service"}));
    // systemd's generated view follows once the burst is over, in one reload.
    EXPECT_TRUE(service->flush_reload());
    EXPECT_EQ(units.calls.back(), "daemon-reload");
    EXPECT_FALSE(service->flush_reload()) << "nothing pending any more";
    EXPECT_EQ(store->find_subu("subu_1")->state, store::RowState::Ready);
}

TEST_F(TheSubuService, NestsUnderAnExistingParentOnly) {
    auto before = snapshot();
    EXPECT_THROW(service->make(root, {"Thomas", "US", "Rabbit"}), NotFound);
    EXPECT_EQ(snapshot(), before);
    service->make(root, {"Thomas", "US"});
    auto child = service->make(root, {"Thomas", "US", "Rabbit"});
    EXPECT_EQ(child.parent, 1u);
    EXPECT_EQ(child.id(), "subu_2");
}

TEST_F(TheSubuService, RejectsBadInputWithoutChangingAnything) {
    service->make(root, {"Thomas", "US"});
    auto before = snapshot();
    const std::vector<std::vector<std::string>> bad = {
        {}, {"Thomas"}, {"Thomas", "U_S"}, {"Thomas", "a/b"}, {"Thomas", ".."}, {"Thomas", "a b"},
        {"Thomas", "a\nb"}, {"Thomas", "a%b"}, {"Thomas", "\xc3\xa9t\xc3\xa9"}, {"Thomas", std::string(30, 'x')},
        {"Nobody", "US"}, {"Thomas", "EU", "Rabbit"}, {"Thomas", "US"}};
    for (const auto& path : bad) {
        EXPECT_THROW(service->make(root, path), Error);
        EXPECT_EQ(snapshot(), before);
    }
    for (const char* ref : {"", "subu_9", "Nobody_X", "a/b", "..", "a\nb"}) {
        EXPECT_THROW(service->remove(root, ref, false), Error) << ref;
        EXPECT_THROW(service->get(root, ref), Error) << ref;
        EXPECT_EQ(snapshot(), before);
    }
}

TEST_F(TheSubuService, RefusesAUserNameThatIsNotASubu) {
    accounts.users["Thomas_US"] = {"Thomas_US", 1500, 1500, "/home/Thomas_US", "/bin/sh"};
    auto before = snapshot();
    EXPECT_THROW(service->make(root, {"Thomas", "US"}), Exists);
    EXPECT_EQ(snapshot(), before);
}

TEST_F(TheSubuService, LetsOwnersManageOnlyTheirOwnTree) {
    service->make(thomas, {"Thomas", "US"});
    auto before = snapshot();
    EXPECT_THROW(service->make(mallory, {"Thomas", "EU"}), AccessDenied);
    EXPECT_THROW(service->make(mallory, {"Thomas", "US", "Rabbit"}), AccessDenied);
    EXPECT_THROW(service->remove(mallory, "Thomas_US", false), AccessDenied);
    EXPECT_THROW(service->get(mallory, "subu_1"), AccessDenied);
    EXPECT_EQ(snapshot(), before);
    EXPECT_TRUE(service->list(mallory).empty());
    EXPECT_EQ(service->list(thomas).size(), 1u);
    EXPECT_EQ(service->list(root).size(), 1u);
    service->remove(thomas, "subu_1", false);
}

TEST_F(TheSubuService, RollsBackEverythingWhenTheNamespaceCannotBeMade) {
    auto before = snapshot();
    units.fail = "subu-netns@Thomas_US.service";
    EXPECT_THROW(service->make(root, {"Thomas", "US"}), Failed);
    EXPECT_EQ(snapshot(), before) << "user, home, incommon group and row must be gone";
    EXPECT_TRUE(units.did("stop subu-netns@Thomas_US.service"));
    EXPECT_TRUE(service->flush_reload()) << "systemd must forget the subu again";
}

TEST_F(TheSubuService, RollsBackWhenUseraddFails) {
    auto before = snapshot();
    accounts.fail_add_user_named = "Thomas_US";
    EXPECT_THROW(service->make(root, {"Thomas", "US"}), Failed);
    EXPECT_EQ(snapshot(), before);
}

TEST_F(TheSubuService, KeepsTheHomeOnRemoveUnlessPurged) {
    service->make(root, {"Thomas", "US"});
    service->make(root, {"Thomas", "EU"});
    service->remove(root, "Thomas_US", false);
    EXPECT_TRUE(accounts.paths.count("/home/Thomas_US"));
    EXPECT_FALSE(accounts.users.count("Thomas_US"));
    EXPECT_TRUE(units.did("stop subu@Thomas_US.service"));
    EXPECT_TRUE(units.did("stop subu-netns@Thomas_US.service"));
    EXPECT_TRUE(units.did("stop subu-Thomas-US.slice"));
    service->remove(root, "subu_2", true);
    EXPECT_FALSE(accounts.paths.count("/home/Thomas_EU"));
}

TEST_F(TheSubuService, KeepsTheSharedGroupWhileAKeptHomeMayHoldItsFiles) {
    service->make(root, {"Thomas", "US"});
    service->remove(root, "Thomas_US", false);
    EXPECT_TRUE(accounts.groups.count("Thomas-incommon")) << "its gid must go to no other person's group";
    accounts.paths.erase("/home/Thomas_US");  // root removed the kept home
    service->make(root, {"Thomas", "EU"});
    service->remove(root, "Thomas_EU", true);
    EXPECT_FALSE(accounts.groups.count("Thomas-incommon")) << "the last subu takes the group it made";
}

TEST_F(TheSubuService, NeverDeletesAKeptHomeWhenAMakeFails) {
    accounts.paths.insert("/home/Thomas_US");  // kept by an earlier remove
    units.fail = "subu-netns@Thomas_US.service";
    EXPECT_THROW(service->make(root, {"Thomas", "US"}), Failed);
    EXPECT_TRUE(accounts.paths.count("/home/Thomas_US"));
}

TEST_F(TheSubuService, RefusesToRemoveASubuWithChildren) {
    service->make(root, {"Thomas", "US"});
    service->make(root, {"Thomas", "US", "Rabbit"});
    auto before = snapshot();
    EXPECT_THROW(service->remove(root, "Thomas_US", false), Busy);
    EXPECT_EQ(snapshot(), before);
}

TEST_F(TheSubuService, KeepsASubuWhoseUserIsBusy) {
    service->make(root, {"Thomas", "US"});
    auto before = snapshot();
    accounts.busy_uids.insert(accounts.users["Thomas_US"].uid);
    EXPECT_THROW(service->remove(root, "Thomas_US", false), Busy);
    EXPECT_EQ(snapshot(), before);
    accounts.busy_uids.clear();
    accounts.fail_remove_user_busy = true;
    EXPECT_THROW(service->remove(root, "Thomas_US", false), Busy);
    EXPECT_EQ(snapshot(), before);
}

TEST_F(TheSubuService, GivesAKeptHomeToTheRemadeSubu) {
    service->make(root, {"Thomas", "US"});
    service->remove(root, "Thomas_US", false);
    auto again = service->make(root, {"Thomas", "US"});
    EXPECT_EQ(accounts.owners["/home/Thomas_US"], *again.uid);
}

TEST_F(TheSubuService, RefusesAHomeThatBelongsToSomeoneElse) {
    accounts.paths.insert("/home/Thomas_US");
    accounts.owners["/home/Thomas_US"] = 1001;  // Mallory's
    auto before = snapshot();
    EXPECT_THROW(service->make(root, {"Thomas", "US"}), Exists);
    EXPECT_EQ(snapshot(), before);
}

TEST_F(TheSubuService, UndoesAMakeThatACrashInterrupted) {
    auto before = snapshot();
    // What a manager killed between useradd and the namespace leaves behind.
    store::SubuRow r;
    r.num = 1;
    r.name = "Thomas_US";
    r.masu = "Thomas";
    r.state = store::RowState::Creating;
    store->insert_subu(r);
    accounts.add_user({"Thomas_US", 1000, "Thomas-incommon", "/home/Thomas_US", "/bin/sh", "", std::nullopt});
    auto done = service->recover();
    EXPECT_EQ(done.size(), 1u);
    EXPECT_EQ(snapshot(), before);
}

TEST_F(TheSubuService, FinishesARemoveThatACrashInterrupted) {
    service->make(root, {"Thomas", "US"});
    store->set_state(1, store::RowState::Removing);
    service->recover();
    EXPECT_TRUE(store->subus().empty());
    EXPECT_FALSE(accounts.users.count("Thomas_US"));
    EXPECT_TRUE(units.did("stop subu-netns@Thomas_US.service"));
    EXPECT_TRUE(accounts.paths.count("/home/Thomas_US")) << "a home is never purged by recovery";
}

TEST_F(TheSubuService, StartsTheUnitsOfSubusWhoseNamespaceIsMissing) {
    service->make(root, {"Thomas", "US"});
    service->make(root, {"Thomas", "EU"});
    service->set_network(root, "Thomas_EU", "up");
    netns.names = {"ns-subu_1"};  // only Thomas_US's is there
    units.calls.clear();
    service->recover();
    EXPECT_EQ(units.calls, (std::vector<std::string>{"daemon-reload", "start subu@Thomas_EU.service"}));
}

TEST_F(TheSubuService, LeavesSubusAloneWhoseNamespaceIsThere) {
    service->make(root, {"Thomas", "US"});
    netns.names = {"ns-subu_1"};
    units.calls.clear();
    EXPECT_TRUE(service->recover().empty());
    EXPECT_TRUE(units.calls.empty());
}

TEST_F(TheSubuService, BringsTheNetworkUpAndDownThroughTheUnits) {
    service->make(thomas, {"Thomas", "US"});
    units.calls.clear();
    auto up = service->set_network(thomas, "Thomas_US", "up");
    EXPECT_EQ(up.network, "up");
    EXPECT_EQ(up.loopback, "up") << "a network that is up has its loopback up";
    EXPECT_EQ(store->find_subu("subu_1")->network, "up");
    EXPECT_EQ(units.calls, (std::vector<std::string>{"daemon-reload", "start subu@Thomas_US.service"}))
        << "the slice's steering comes with the reload, before the subu runs";
    units.calls.clear();
    auto down = service->set_network(thomas, "subu_1", "down");
    EXPECT_EQ(store->find_subu("subu_1")->network, "down");
    EXPECT_EQ(units.calls, (std::vector<std::string>{"stop subu@Thomas_US.service", "start subu-netns@Thomas_US.service"}));
    EXPECT_TRUE(service->reload_pending()) << "the wants/ link of subu@ follows at the next reload";
}

TEST_F(TheSubuService, PutsTheOldNetworkStateBackWhenTheUnitFails) {
    service->make(root, {"Thomas", "US"});
    units.fail = "subu@Thomas_US.service";
    EXPECT_THROW(service->set_network(root, "Thomas_US", "up"), Failed);
    auto row = store->find_subu("subu_1");
    EXPECT_EQ(row->network, "down");
    EXPECT_EQ(row->loopback, "down");
}

TEST_F(TheSubuService, RefusesBadNetworkAndLoopbackRequestsWithoutChangingAnything) {
    service->make(root, {"Thomas", "US"});
    auto before = snapshot();
    units.calls.clear();
    EXPECT_THROW(service->set_network(root, "Thomas_US", "sideways"), InvalidArgument);
    EXPECT_THROW(service->set_network(root, "Thomas_US", ""), InvalidArgument);
    EXPECT_THROW(service->set_loopback(root, "Thomas_US", "UP"), InvalidArgument);
    EXPECT_THROW(service->set_network(root, "subu_9", "up"), NotFound);
    EXPECT_THROW(service->set_loopback(root, "a/b", "up"), InvalidArgument);
    EXPECT_THROW(service->set_network(mallory, "Thomas_US", "up"), AccessDenied);
    EXPECT_THROW(service->set_loopback(mallory, "Thomas_US", "up"), AccessDenied);
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(store->find_subu("subu_1")->network, "down");
    EXPECT_TRUE(units.calls.empty());
}

TEST_F(TheSubuService, AppliesLoopbackOnlyToANamespaceThatIsUp) {
    service->make(root, {"Thomas", "US"});
    units.active.clear();
    units.calls.clear();
    service->set_loopback(root, "Thomas_US", "up");
    EXPECT_EQ(store->find_subu("subu_1")->loopback, "up");
    EXPECT_TRUE(units.calls.empty());
    units.active.insert("subu-netns@Thomas_US.service");
    service->set_loopback(root, "Thomas_US", "down");
    EXPECT_EQ(units.calls, (std::vector<std::string>{"reload subu-netns@Thomas_US.service"}));
}

TEST_F(TheSubuService, AppliesSteeringOptionsLiveThroughTheNamespaceUnit) {
    service->make(thomas, {"Thomas", "US"});
    units.calls.clear();
    service->set_option(thomas, "Thomas_US", "isolation", "strict");
    EXPECT_TRUE(units.calls.empty()) << "isolation is read by exec, not by the steering";
    service->set_option(thomas, "Thomas_US", "steer_enabled", "off");
    service->set_option(thomas, "Thomas_US", "local_forwarding", "on");
    EXPECT_EQ(units.calls, (std::vector<std::string>{"reload subu-netns@Thomas_US.service",
                                                     "reload subu-netns@Thomas_US.service"}));
}

TEST_F(TheSubuService, PutsASteeringOptionBackWhenItCannotBeApplied) {
    service->make(thomas, {"Thomas", "US"});
    service->set_option(thomas, "Thomas_US", "local_forwarding", "on");
    units.fail = "subu-netns@Thomas_US.service";
    EXPECT_THROW(service->set_option(thomas, "Thomas_US", "local_forwarding", "off"), Failed);
    EXPECT_EQ(service->get_option(thomas, "Thomas_US", "local_forwarding"), "on");
    EXPECT_THROW(service->set_option(thomas, "Thomas_US", "steer_enabled", "off"), Failed);
    EXPECT_EQ(service->get_option(thomas, "Thomas_US", "steer_enabled"), "on");
}

TEST_F(TheSubuService, PutsAnOptionBackToItsDefaultForTheOwnerOnly) {
    service->make(thomas, {"Thomas", "US"});
    service->set_option(thomas, "Thomas_US", "isolation", "strict");
    service->set_option(thomas, "Thomas_US", "local_forwarding", "on");
    auto before = store->options_of(1);
    EXPECT_THROW(service->remove_option(thomas, "Thomas_US", "nope"), InvalidArgument);
    EXPECT_THROW(service->remove_option(mallory, "Thomas_US", "isolation"), AccessDenied);
    EXPECT_THROW(service->remove_option(root, "subu_9", "isolation"), NotFound);
    EXPECT_EQ(store->options_of(1), before);
    units.calls.clear();
    EXPECT_EQ(service->remove_option(thomas, "Thomas_US", "isolation"), "standard");
    EXPECT_EQ(service->get_option(thomas, "Thomas_US", "isolation"), "standard");
    EXPECT_FALSE(store->options_of(1).count("isolation")) << "forgotten, not set to the default";
    EXPECT_EQ(service->remove_option(root, "Thomas_US", "isolation"), "standard") << "a second time does nothing";
    EXPECT_TRUE(units.calls.empty());
    EXPECT_EQ(service->remove_option(thomas, "Thomas_US", "local_forwarding"), "off");
    EXPECT_EQ(units.calls, (std::vector<std::string>{"reload subu-netns@Thomas_US.service"}));
}

TEST_F(TheSubuService, KeepsARemovedSteeringOptionWhenItCannotBeApplied) {
    service->make(thomas, {"Thomas", "US"});
    service->set_option(thomas, "Thomas_US", "steer_enabled", "off");
    units.fail = "subu-netns@Thomas_US.service";
    EXPECT_THROW(service->remove_option(thomas, "Thomas_US", "steer_enabled"), Failed);
    EXPECT_EQ(store->options_of(1).at("steer_enabled"), "off");
}

TEST_F(TheSubuService, NamesUnitsOfNamesWithDashesTheSystemdWay) {
    service->make(root, {"Thomas", "new-subu"});
    EXPECT_TRUE(units.did("start subu-netns@Thomas_new\\x2dsubu.service"));
}

TEST_F(TheSubuService, ReusesTheFirstFreeId) {
    service->make(root, {"Thomas", "A"});
    service->make(root, {"Thomas", "B"});
    service->remove(root, "subu_1", true);
    EXPECT_EQ(service->make(root, {"Thomas", "C"}).id(), "subu_1");
}

TEST_F(TheSubuService, ReportsEveryCommittedChangeAndNoFailedOne) {
    int changes = 0;
    service->on_change([&] { ++changes; });
    service->make(root, {"Thomas", "US"});
    EXPECT_EQ(changes, 1);
    EXPECT_THROW(service->make(root, {"Thomas", "US"}), Exists);
    units.fail = "subu-netns@Thomas_EU.service";
    const int before_failed_make = changes;
    EXPECT_THROW(service->make(root, {"Thomas", "EU"}), Failed);
    // A failed make is shown to systemd and taken back: the export ends as it began.
    EXPECT_EQ(changes, before_failed_make + 2);
    EXPECT_EQ(store->subus().size(), 1u);
    units.fail.clear();
    changes = 1;
    service->remove(root, "Thomas_US", false);
    EXPECT_EQ(changes, 2);
}

TEST_F(TheSubuService, KeepsAChangeWhenTheHookFails) {
    service->on_change([] { throw std::runtime_error("read-only /etc"); });
    EXPECT_NO_THROW(service->make(root, {"Thomas", "US"}));
    EXPECT_EQ(store->find_subu("Thomas_US")->state, store::RowState::Ready);
}

TEST_F(TheSubuService, KeepsOptionsOwnersSetAndRefusesTheRest) {
    service->make(thomas, {"Thomas", "US"});
    EXPECT_EQ(service->get_option(thomas, "Thomas_US", "steer_enabled"), "on");
    EXPECT_EQ(service->set_option(thomas, "Thomas_US", "isolation", "strict"), "strict");
    EXPECT_EQ(service->list_options(root, "subu_1").at("isolation"), "strict");
    auto before = store->options_of(1);
    EXPECT_THROW(service->set_option(thomas, "Thomas_US", "isolation", "total"), InvalidArgument);
    EXPECT_THROW(service->set_option(thomas, "Thomas_US", "nope", "on"), InvalidArgument);
    EXPECT_THROW(service->set_option(mallory, "Thomas_US", "isolation", "none"), AccessDenied);
    EXPECT_THROW(service->get_option(mallory, "Thomas_US", "isolation"), AccessDenied);
    EXPECT_THROW(service->get_option(thomas, "Thomas_US", "nope"), InvalidArgument);
    EXPECT_THROW(service->set_option(root, "subu_9", "isolation", "none"), NotFound);
    EXPECT_EQ(store->options_of(1), before);
}

TEST_F(TheSubuService, AsksTheAuthorityForSomeoneElsesSubuAndChecksAgainUnderTheWriteLock) {
    service->make(thomas, {"Thomas", "US"});
    int asked = 0;
    auth::Caller admin{1001, [&](auth::Action a) { return a == auth::Action::Configure; }};
    EXPECT_EQ(service->set_option(admin, "Thomas_US", "isolation", "strict"), "strict");
    EXPECT_THROW(service->remove(admin, "Thomas_US", false), AccessDenied);
    EXPECT_THROW(service->exec_subject(admin, "Thomas_US"), AccessDenied);
    // Granted when first asked, withdrawn by the time the change is written.
    auth::Caller fickle{1001, [&](auth::Action) { return ++asked == 1; }};
    auto before = snapshot();
    EXPECT_THROW(service->set_option(fickle, "Thomas_US", "isolation", "none"), AccessDenied);
    EXPECT_EQ(asked, 2);
    EXPECT_EQ(service->get_option(thomas, "Thomas_US", "isolation"), "strict");
    EXPECT_EQ(snapshot(), before);
}

TEST_F(TheSubuService, GivesExecTheSubusUserHomeShellAndIsolation) {
    service->make(thomas, {"Thomas", "US"});
    service->set_option(thomas, "Thomas_US", "isolation", "quantum");
    auto s = service->exec_subject(thomas, "subu_1");
    EXPECT_EQ(s.num, 1u);
    EXPECT_EQ(s.name, "Thomas_US");
    EXPECT_EQ(s.home, "/home/Thomas_US");
    EXPECT_EQ(s.shell, "/bin/bash");
    EXPECT_EQ(s.isolation, "quantum");
    EXPECT_THROW(service->exec_subject(mallory, "Thomas_US"), AccessDenied);
    EXPECT_THROW(service->exec_subject(thomas, "Thomas_XX"), NotFound);
}

TEST_F(TheSubuService, GivesAFreedUidToNoOtherOwnerWhileTheKeptHomeRemains) {
    const auto sec = *service->make(thomas, {"Thomas", "Sec"}).uid;
    accounts.paths.insert("/home/Thomas_Sec/secret.txt");
    accounts.owners["/home/Thomas_Sec/secret.txt"] = sec;
    service->remove(thomas, "Thomas_Sec", false);
    ASSERT_EQ(accounts.useradds_pick(), sec) << "useradd alone would hand the freed uid out again";
    const auto spy = *service->make(mallory, {"Mallory", "Spy"}).uid;
    EXPECT_NE(spy, sec);
    EXPECT_EQ(accounts.users["Mallory_Spy"].uid, spy);
    EXPECT_EQ(accounts.owners["/home/Thomas_Sec"], sec) << "Thomas's home stays his subu's";
    EXPECT_EQ(accounts.owners["/home/Thomas_Sec/secret.txt"], sec);
    // And no other subu of Thomas's either: subus of one person are apart too.
    EXPECT_NE(*service->make(thomas, {"Thomas", "Other"}).uid, sec);
}

TEST_F(TheSubuService, GivesTheOwnerHisHomeAndHisUidBackWhenHeMakesTheSubuAgain) {
    const auto sec = *service->make(thomas, {"Thomas", "Sec"}).uid;
    service->remove(thomas, "Thomas_Sec", false);
    service->make(mallory, {"Mallory", "Spy"});
    auto again = service->make(thomas, {"Thomas", "Sec"});
    EXPECT_EQ(*again.uid, sec);
    EXPECT_EQ(accounts.users["Thomas_Sec"].uid, sec);
    EXPECT_EQ(accounts.owners["/home/Thomas_Sec"], sec);
    EXPECT_EQ(store->subu_by_name("Thomas_Sec")->uid, sec);
    EXPECT_TRUE(store->retired_uids().empty()) << "its files are its own again: the retirement lapsed";
}

TEST_F(TheSubuService, GivesANestedSubuItsUidBackAndNamesNeverCrossOwners) {
    service->make(thomas, {"Thomas", "US"});
    const auto rabbit = *service->make(thomas, {"Thomas", "US", "Rabbit"}).uid;
    service->remove(thomas, "Thomas_US_Rabbit", false);
    // A name starts with its owner: Mallory can neither make Thomas's names
    // nor reach them from her own tree.
    auto before = snapshot();
    EXPECT_THROW(service->make(mallory, {"Thomas", "US", "Rabbit"}), AccessDenied);
    EXPECT_THROW(service->make(mallory, {"Thomas_US", "Rabbit"}), InvalidArgument);
    EXPECT_EQ(snapshot(), before);
    service->make(mallory, {"Mallory", "Thomas"});
    auto hers = service->make(mallory, {"Mallory", "Thomas", "US"});
    EXPECT_EQ(hers.name, "Mallory_Thomas_US");
    EXPECT_NE(*hers.uid, rabbit);
    EXPECT_EQ(*service->make(thomas, {"Thomas", "US", "Rabbit"}).uid, rabbit);
}

TEST_F(TheSubuService, ReusesAUidOnceNothingOfItsSubuIsLeft) {
    const auto a = *service->make(thomas, {"Thomas", "A"}).uid;
    service->remove(thomas, "Thomas_A", true);
    EXPECT_EQ(*service->make(mallory, {"Mallory", "A"}).uid, a) << "a purged subu leaves nothing to protect";
    service->remove(mallory, "Mallory_A", true);
    const auto b = *service->make(thomas, {"Thomas", "B"}).uid;
    service->remove(thomas, "Thomas_B", false);
    accounts.paths.erase("/home/Thomas_B");  // root removed the kept home
    EXPECT_EQ(*service->make(mallory, {"Mallory", "B"}).uid, b);
    EXPECT_TRUE(store->retired_uids().empty());
}

TEST_F(TheSubuService, KeepsAPurgedSubusUidWhileItsFilesRemainElsewhere) {
    const auto a = *service->make(thomas, {"Thomas", "A"}).uid;
    accounts.paths.insert("/tmp/thomas-notes");
    accounts.owners["/tmp/thomas-notes"] = a;
    service->remove(thomas, "Thomas_A", true);
    EXPECT_NE(*service->make(mallory, {"Mallory", "A"}).uid, a);
    EXPECT_EQ(*service->make(thomas, {"Thomas", "A"}).uid, a) << "its own files are its own again";
}

TEST_F(TheSubuService, KeepsTheUidOfAHomeGivenToSomeoneElseFromTheOwnersNextSubu) {
    // A kept home left over from a user removed outside subu, with no record:
    // the uid that owns it is still nobody else's to get.
    accounts.paths.insert("/home/Thomas_Old");
    accounts.owners["/home/Thomas_Old"] = 1002;
    EXPECT_NE(*service->make(mallory, {"Mallory", "Spy"}).uid, 1002u);
}

TEST_F(TheSubuService, RefusesAKeptHomeOfAnEarlierOwnerOfTheSameName) {
    service->make(thomas, {"Thomas", "Sec"});
    service->remove(thomas, "Thomas_Sec", false);
    // Root removed the person Thomas; a new user of that name is someone else.
    accounts.users["Thomas"] = {"Thomas", 1005, 1000, "/home/Thomas", "/bin/bash"};
    auto before = snapshot();
    const auto retired = store->retired_uids();
    try {
        service->make(root, {"Thomas", "Sec"});
        ADD_FAILURE() << "made";
    } catch (const Exists& e) {
        EXPECT_NE(std::string(e.what()).find("earlier user Thomas (uid 1000)"), std::string::npos) << e.what();
    }
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(store->retired_uids().size(), retired.size());
}

TEST_F(TheSubuService, RefusesAKeptHomeWhoseUidRootGaveToAnotherUser) {
    const auto sec = *service->make(thomas, {"Thomas", "Sec"}).uid;
    service->remove(thomas, "Thomas_Sec", false);
    accounts.users["bob"] = {"bob", sec, 100, "/home/bob", "/bin/sh"};  // useradd by root
    auto before = snapshot();
    EXPECT_THROW(service->make(thomas, {"Thomas", "Sec"}), Exists);
    EXPECT_EQ(snapshot(), before);
    EXPECT_NE(*service->make(mallory, {"Mallory", "Spy"}).uid, sec);
}

TEST_F(TheSubuService, SkipsAUidThatStillRunsProcesses) {
    accounts.busy_uids.insert(1002);  // left by a user root removed
    EXPECT_EQ(*service->make(thomas, {"Thomas", "A"}).uid, 1003u);
}

TEST_F(TheSubuService, SaysSoWhenEveryUidIsTaken) {
    accounts.range = {1000, 1002};
    service->make(thomas, {"Thomas", "A"});
    auto before = snapshot();
    EXPECT_THROW(service->make(thomas, {"Thomas", "B"}), Failed);
    EXPECT_EQ(snapshot(), before);
}

TEST_F(TheSubuService, RecordsTheRetirementInTheSameCommitAsTheRemovingState) {
    const auto sec = *service->make(thomas, {"Thomas", "Sec"}).uid;
    // A manager killed right after the remove's first commit.
    store->write([&] {
        store->set_state(1, store::RowState::Removing);
        store->retire_uid({sec, "Thomas_Sec", "Thomas", 1000u, "/home/Thomas_Sec", 1});
    });
    service->recover();
    EXPECT_FALSE(accounts.users.count("Thomas_Sec"));
    EXPECT_NE(*service->make(mallory, {"Mallory", "Spy"}).uid, sec);
    EXPECT_EQ(*service->make(thomas, {"Thomas", "Sec"}).uid, sec);
}

TEST_F(TheSubuService, DropsTheRetirementWhenARemoveIsRefused) {
    service->make(thomas, {"Thomas", "Sec"});
    accounts.busy_uids.insert(accounts.users["Thomas_Sec"].uid);
    EXPECT_THROW(service->remove(thomas, "Thomas_Sec", false), Busy);
    EXPECT_TRUE(store->retired_uids().empty());
    accounts.busy_uids.clear();
    accounts.fail_remove_user_busy = true;
    EXPECT_THROW(service->remove(thomas, "Thomas_Sec", false), Busy);
    EXPECT_TRUE(store->retired_uids().empty());
}

TEST_F(TheSubuService, KeepsTheRetirementWhenAReMakeIsInterrupted) {
    const auto sec = *service->make(thomas, {"Thomas", "Sec"}).uid;
    service->remove(thomas, "Thomas_Sec", false);
    // The re-make dies between useradd (which got the old uid) and ready.
    units.fail = "subu-netns@Thomas_Sec.service";
    EXPECT_THROW(service->make(thomas, {"Thomas", "Sec"}), Failed);
    EXPECT_FALSE(accounts.users.count("Thomas_Sec"));
    EXPECT_TRUE(accounts.paths.count("/home/Thomas_Sec"));
    EXPECT_EQ(store->retired_uids().size(), 1u);
    units.fail.clear();
    EXPECT_NE(*service->make(mallory, {"Mallory", "Spy"}).uid, sec);
    // And a crash at the same point, recovered at the next start.
    store::SubuRow r;
    r.num = 9;
    r.name = "Thomas_Sec";
    r.masu = "Thomas";
    r.uid = sec;
    r.home_kept = true;
    r.state = store::RowState::Creating;
    store->insert_subu(r);
    accounts.add_user({"Thomas_Sec", 1000, "Thomas-incommon", "/home/Thomas_Sec", "/bin/sh", "", sec});
    service->recover();
    EXPECT_FALSE(accounts.users.count("Thomas_Sec"));
    EXPECT_TRUE(accounts.paths.count("/home/Thomas_Sec"));
    EXPECT_EQ(*service->make(thomas, {"Thomas", "Sec"}).uid, sec);
}

TEST_F(TheSubuService, LeavesNothingWhenTheChosenUidIsTakenBeforeUseradd) {
    auto before = snapshot();
    accounts.taken_meanwhile = {1002};  // root's own useradd, in between
    EXPECT_THROW(service->make(thomas, {"Thomas", "A"}), Busy);
    EXPECT_EQ(snapshot(), before);
}

namespace {

// The uid rule as the service keeps it, logged into the units' call list so the order shows.
class FakeUidRule : public system::UidRule {
public:
    explicit FakeUidRule(samples::FakeUnits& units, FakeAccounts& accounts) : units_(units), accounts_(accounts) {}
    std::map<std::uint32_t, std::string> entries;  // uid -> namespace name, "" closed
    bool loaded = true;
    bool user_existed_at_forget = false;
    bool refuse_close = false;  // as the map refuses a uid it cannot hold
    void close(std::uint32_t uid) override {
        check();
        if (refuse_close) throw InvalidArgument("uid " + std::to_string(uid) + " is beyond what the uid rule holds (injected).");
        units_.calls.push_back("uid close " + std::to_string(uid));
        entries[uid] = "";
    }
    void forget(std::uint32_t uid) override {
        check();
        for (const auto& [name, u] : accounts_.users)
            if (u.uid == uid) user_existed_at_forget = true;
        units_.calls.push_back("uid forget " + std::to_string(uid));
        entries.erase(uid);
    }
    std::vector<std::string> converge(const std::map<std::uint32_t, std::string>& want) override {
        check();
        units_.calls.push_back("uid converge");
        entries = want;
        return {};
    }

private:
    void check() const {
        if (!loaded) throw NotFound("The steering map /sys/fs/bpf/subu/subu_uid is not there (injected).");
    }
    samples::FakeUnits& units_;
    FakeAccounts& accounts_;
};

class TheSubuServiceWithTheUidRule : public TheSubuService {
protected:
    void SetUp() override {
        TheSubuService::SetUp();
        service->keep_uid_rule(rule);
    }
    FakeUidRule rule{units, accounts};
};

}  // namespace

TEST_F(TheSubuServiceWithTheUidRule, ClosesAMadeSubusUidBeforeAnythingOfItStarts) {
    auto row = service->make(root, {"Thomas", "US"});
    ASSERT_TRUE(row.uid);
    EXPECT_EQ(units.calls, (std::vector<std::string>{"uid close " + std::to_string(*row.uid),
                                                     "start subu-Thomas-US.slice", "start subu-netns@Thomas_US.service"}));
    EXPECT_EQ(rule.entries, (std::map<std::uint32_t, std::string>{{*row.uid, ""}}));
}

TEST_F(TheSubuServiceWithTheUidRule, ForgetsARemovedSubusUidAfterItsUserIsGone) {
    auto row = service->make(root, {"Thomas", "US"});
    service->remove(root, "Thomas_US", false);
    EXPECT_TRUE(rule.entries.empty());
    EXPECT_FALSE(rule.user_existed_at_forget);
}

TEST_F(TheSubuServiceWithTheUidRule, ForgetsTheUidOfAMakeItUndid) {
    units.fail = "subu-netns@Thomas_US.service";
    EXPECT_THROW(service->make(root, {"Thomas", "US"}), Failed);
    EXPECT_TRUE(rule.entries.empty());
}

TEST_F(TheSubuServiceWithTheUidRule, ConvergesAtStartToEverySubusUidAndNoOther) {
    auto us = service->make(root, {"Thomas", "US"});
    auto eu = service->make(root, {"Thomas", "EU"});
    netns.names = {"ns-subu_1"};
    rule.entries = {{4711, ""}, {*us.uid, ""}};
    service->recover();
    EXPECT_EQ(rule.entries, (std::map<std::uint32_t, std::string>{{*us.uid, "ns-subu_1"}, {*eu.uid, "ns-subu_2"}}));
}

TEST_F(TheSubuServiceWithTheUidRule, MakesAndRemovesAsBeforeWhenTheRuleIsNotLoaded) {
    rule.loaded = false;
    auto row = service->make(root, {"Thomas", "US"});
    EXPECT_EQ(store->find_subu("subu_1")->state, store::RowState::Ready);
    service->recover();
    service->remove(root, "Thomas_US", false);
    EXPECT_TRUE(store->subus().empty());
}

TEST_F(TheSubuServiceWithTheUidRule, UndoesAMakeWhoseUidTheRuleCannotHold) {
    auto before = snapshot();
    rule.refuse_close = true;
    EXPECT_THROW(service->make(root, {"Thomas", "US"}), InvalidArgument);
    EXPECT_EQ(snapshot(), before);
    for (const auto& c : units.calls) EXPECT_NE(c.rfind("start ", 0), 0u) << "nothing of the subu starts: " << c;
    EXPECT_TRUE(rule.entries.empty());
}

namespace {

// Attached services over the same fakes; systemd knows probe.service (run as
// root), mine.service (User=Thomas_US_Rabbit) and web@blue.service, alias web.service.
class TheServicesOfASubu : public TheSubuService {
protected:
    void SetUp() override {
        TheSubuService::SetUp();
        services = std::make_unique<service::Services>(*store, *service, units);
        service->make(root, {"Thomas", "US"});
        service->make(root, {"Thomas", "US", "Rabbit"});
        service->make(root, {"Thomas", "UK"});
        units.loaded = {{"probe.service", ""}, {"mine.service", "Thomas_US_Rabbit"}, {"web@blue.service", "www-data"},
                        {"other.service", "Thomas_UK"}};
        units.aliases = {{"web.service", "web@blue.service"}};
        service->flush_reload();
        units.calls.clear();
    }
    // The store's attachments, and every call made of systemd.
    std::vector<std::string> attached() {
        std::vector<std::string> out;
        for (const auto& s : store->services()) out.push_back(s.unit + " " + names::subu_id(s.subu) + " " + s.user);
        return out;
    }
    std::unique_ptr<service::Services> services;
};

}  // namespace

TEST_F(TheServicesOfASubu, AttachesAServiceAsTheSubusUserAndRestartsItInside) {
    units.active.insert("probe.service");
    const auto row = services->attach(root, "Thomas_US", "probe.service");
    EXPECT_EQ(row.user, "Thomas_US");
    EXPECT_EQ(attached(), (std::vector<std::string>{"probe.service subu_1 Thomas_US"}));
    // The drop-in comes with the reload, which must come before the restart.
    EXPECT_EQ(units.calls,
              (std::vector<std::string>{"describe probe.service", "daemon-reload", "try-restart probe.service"}));
    EXPECT_EQ(services->list(thomas, "subu_1"), (std::vector<std::string>{"probe.service"}));
}

TEST_F(TheServicesOfASubu, KeepsTheUnitsOwnUserWhenItIsASubuBelow) {
    EXPECT_EQ(services->attach(root, "Thomas_US", "mine.service").user, "Thomas_US_Rabbit");
    // Another owner's subu, or no subu at all: the subu's own user.
    EXPECT_EQ(services->attach(root, "Thomas_US", "other.service").user, "Thomas_US");
    EXPECT_EQ(services->attach(root, "Thomas_US_Rabbit", "web@blue.service").user, "Thomas_US_Rabbit");
}

TEST_F(TheServicesOfASubu, RecordsAnAliasUnderTheUnitsOwnName) {
    services->attach(root, "Thomas_US", "web.service");
    EXPECT_EQ(attached(), (std::vector<std::string>{"web@blue.service subu_1 Thomas_US"}));
    EXPECT_THROW(services->attach(root, "Thomas_UK", "web@blue.service"), Busy);
    services->detach(root, "Thomas_US", "web.service");
    EXPECT_TRUE(attached().empty());
}

TEST_F(TheServicesOfASubu, RefusesBadUnitsWithoutChangingAnything) {
    services->attach(root, "Thomas_US", "probe.service");
    units.calls.clear();
    const auto before = snapshot();
    const auto services_before = attached();
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"Thomas_US", "foo"},           {"Thomas_US", "foo@.service"},       {"Thomas_US", "../x.service"},
        {"Thomas_US", "a/b.service"},   {"Thomas_US", "x\n.service"},        {"Thomas_US", "subu@Thomas_US.service"},
        {"Thomas_US", "subu-netns@Thomas_UK.service"}, {"Thomas_US", "user@2000.service"},
        {"Thomas_US", "systemd-logind.service"}, {"Thomas_US", "dbus.service"}, {"Thomas_US", ""}};
    for (const auto& [subu, unit] : bad) EXPECT_THROW(services->attach(root, subu, unit), InvalidArgument) << unit;
    EXPECT_TRUE(units.calls.empty()) << "refused before systemd is asked";
    EXPECT_THROW(services->attach(root, "Thomas_US", "nonexistent.service"), NotFound);
    EXPECT_THROW(services->attach(root, "Thomas_XX", "probe.service"), NotFound);
    EXPECT_THROW(services->attach(root, "Thomas_UK", "probe.service"), Busy) << "attached to Thomas_US";
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(attached(), services_before);
    EXPECT_FALSE(service->reload_pending());
    EXPECT_EQ(std::count_if(units.calls.begin(), units.calls.end(), [](auto& c) { return c.rfind("describe", 0) != 0; }),
              0)
        << "no reload, no restart";
}

TEST_F(TheServicesOfASubu, AttachesAgainWithoutAChange) {
    services->attach(root, "Thomas_US", "probe.service");
    units.calls.clear();
    services->attach(root, "Thomas_US", "probe.service");
    EXPECT_EQ(units.calls, (std::vector<std::string>{"describe probe.service"}));
    EXPECT_EQ(attached(), (std::vector<std::string>{"probe.service subu_1 Thomas_US"}));
}

TEST_F(TheServicesOfASubu, IsRootsOrThePolkitActionsNotTheOwners) {
    EXPECT_THROW(services->attach(thomas, "Thomas_US", "probe.service"), AccessDenied);
    EXPECT_THROW(services->attach(mallory, "Thomas_US", "probe.service"), AccessDenied);
    services->attach(root, "Thomas_US", "probe.service");
    EXPECT_THROW(services->detach(thomas, "Thomas_US", "probe.service"), AccessDenied);
    EXPECT_EQ(attached().size(), 1u);
    std::vector<auth::Action> asked;
    const auth::Caller admin{1002, [&](auth::Action a) {
                                 asked.push_back(a);
                                 return true;
                             }};
    services->detach(admin, "Thomas_US", "probe.service");
    EXPECT_EQ(asked, (std::vector<auth::Action>{auth::Action::ManageServices}));
    EXPECT_TRUE(attached().empty());
    // Listing is looking at the subu: its owner may, Mallory may not.
    EXPECT_TRUE(services->list(thomas, "Thomas_US").empty());
    EXPECT_THROW(services->list(mallory, "Thomas_US"), AccessDenied);
}

TEST_F(TheServicesOfASubu, UndoesAnAttachWhoseRestartFails) {
    units.active.insert("probe.service");
    units.fail = "probe.service";
    EXPECT_THROW(services->attach(root, "Thomas_US", "probe.service"), Failed);
    EXPECT_TRUE(attached().empty());
    EXPECT_EQ(std::count(units.calls.begin(), units.calls.end(), "daemon-reload"), 2) << "in, and out again";
}

TEST_F(TheServicesOfASubu, DetachesAndRestartsTheServiceOutside) {
    services->attach(root, "Thomas_US", "probe.service");
    units.active.insert("probe.service");
    units.calls.clear();
    EXPECT_THROW(services->detach(root, "Thomas_UK", "probe.service"), NotFound) << "attached elsewhere";
    EXPECT_THROW(services->detach(root, "Thomas_US", "probe@.service"), InvalidArgument);
    services->detach(root, "Thomas_US", "probe.service");
    EXPECT_TRUE(attached().empty());
    EXPECT_EQ(units.calls.back(), "try-restart probe.service");
    EXPECT_EQ(units.calls[units.calls.size() - 2], "daemon-reload");
    EXPECT_THROW(services->detach(root, "Thomas_US", "probe.service"), NotFound) << "once only";
}

TEST_F(TheServicesOfASubu, KeepASubuFromBeingRemovedUntilDetached) {
    services->attach(root, "Thomas_US", "probe.service");
    services->attach(root, "Thomas_UK", "mine.service");  // runs as Thomas_US_Rabbit, which is not under Thomas_UK
    services->attach(root, "Thomas_US", "web@blue.service");
    service->remove(root, "Thomas_US_Rabbit", false);  // no service runs as it
    const auto before = snapshot();
    try {
        service->remove(root, "Thomas_US", false);
        FAIL() << "removed a subu with services";
    } catch (const Busy& e) {
        EXPECT_NE(std::string(e.what()).find("subu service detach Thomas_US UNIT"), std::string::npos) << e.what();
    }
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(attached().size(), 3u);
    services->detach(root, "Thomas_US", "probe.service");
    services->detach(root, "Thomas_US", "web@blue.service");
    service->remove(root, "Thomas_US", false);
    EXPECT_FALSE(store->find_subu("Thomas_US"));
}

TEST_F(TheServicesOfASubu, KeepASubuWhoseUserRunsAServiceFromBeingRemoved) {
    services->attach(root, "Thomas_US", "mine.service");
    EXPECT_THROW(service->remove(root, "Thomas_US_Rabbit", false), Busy);
    EXPECT_TRUE(store->find_subu("Thomas_US_Rabbit"));
}

TEST_F(TheServicesOfASubu, AreInTheBootExport) {
    std::string written;
    service->on_change([&] { written = exporting::render(store->subus(), store->services()); });
    services->attach(root, "Thomas_US", "mine.service");
    EXPECT_NE(written.find("service\tsubu_1\tmine.service\tThomas_US_Rabbit\n"), std::string::npos) << written;
    services->detach(root, "Thomas_US", "mine.service");
    EXPECT_EQ(written.find("mine.service"), std::string::npos);
}
