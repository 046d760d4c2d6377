// WireGuard tunnels as desired state: pool, make, import, keys on disk, attach and detach, authorization.
#include "service/wireguards.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <fstream>
#include <sstream>

#include "core/errors.h"
#include "support/fake_units.h"
#include "wg/addr.h"
#include "wg/keys.h"

using namespace subu;
namespace fs = std::filesystem;

namespace {

class NoAccounts : public system::Accounts {
public:
    std::optional<system::UnixUser> user(std::string_view n) override {
        if (n == "Thomas") return system::UnixUser{"Thomas", 1000, 1000, "/home/Thomas", "/bin/sh"};
        return std::nullopt;
    }
    std::optional<system::UnixUser> user_by_uid(std::uint32_t) override { return std::nullopt; }
    bool group_exists(std::string_view) override { return true; }
    bool path_exists(const std::string&) override { return false; }
    std::optional<std::uint32_t> path_owner(const std::string&) override { return std::nullopt; }
    void adopt_tree(const std::string&, std::uint32_t, std::uint32_t) override {}
    bool has_processes(std::uint32_t) override { return false; }
    system::UidRange uid_range() override { return {}; }
    std::set<std::uint32_t> uids_in_use() override { return {1000}; }
    std::set<std::uint32_t> entry_owners(const std::string&) override { return {}; }
    void add_group(std::string_view) override {}
    void remove_group(std::string_view) override {}
    system::UnixUser add_user(const system::NewUser&) override { throw Failed("not here"); }
    void remove_user(std::string_view, bool) override {}
};
class NoNamespaces : public system::Namespaces {
public:
    bool exists(std::string_view) override { return true; }
    bool ensure(std::string_view, bool) override { return false; }
    void remove(std::string_view) override {}
    bool loopback_up(std::string_view) override { return false; }
    void set_loopback(std::string_view, bool) override {}
};
using samples::FakeUnits;

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class TheTunnels : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("subu-wg-test-" + std::to_string(getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
        keys = (dir / "keys").string();
        store = std::make_unique<store::Store>((dir / "subu.db").string());
        subus = std::make_unique<service::Subus>(*store, accounts, netns, units);
        wgs = std::make_unique<service::WireGuards>(*store, *subus, units, keys);
        store::SubuRow r;
        r.num = 1, r.name = "Thomas_US", r.masu = "Thomas", r.uid = 1001, r.state = store::RowState::Ready;
        store->insert_subu(r);
    }
    void TearDown() override { fs::remove_all(dir); }

    std::string dump() {
        std::string out = "pool=" + wgs->pool() + "\n";
        for (const auto& w : store->wgs())
            out += w.id() + " " + w.endpoint + " " + w.address + " " + w.public_key + " " + w.server_public_key + " " +
                   (w.subu ? std::to_string(*w.subu) : "-") + " " + w.state + "\n";
        if (fs::exists(keys))
            for (const auto& e : fs::directory_iterator(keys)) out += "file " + e.path().filename().string() + "\n";
        return out;
    }

    fs::path dir;
    std::string keys;
    NoAccounts accounts;
    NoNamespaces netns;
    FakeUnits units;
    std::unique_ptr<store::Store> store;
    std::unique_ptr<service::Subus> subus;
    std::unique_ptr<service::WireGuards> wgs;
    const auth::Caller root{0}, thomas{1000}, mallory{1001};
};

constexpr const char* server_key = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";

}  // namespace

TEST_F(TheTunnels, FollowTheOriginalExample) {
    wgs->set_pool(root, "192.168.112.0/24");
    auto w = wgs->make(root, "vpn.example.net:51820");
    EXPECT_EQ(w.id(), "WG_1");
    EXPECT_EQ(w.address, "192.168.112.2/32");
    EXPECT_EQ(w.endpoint, "vpn.example.net:51820");
    // Our public key is the one of the private key on disk, which is root's alone.
    auto priv = wg::load_private_key(keys, "WG_1");
    EXPECT_EQ(w.public_key, wg::to_base64(wg::public_key_of(priv)));
    struct stat st {};
    ASSERT_EQ(stat((fs::path(keys) / "WG_1.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(stat(keys.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_EQ(wgs->make(root, "[2001:db8::1]:51820").address, "192.168.112.3/32");

    wgs->set_server_key(root, "WG_1", server_key);
    wgs->attach(root, "subu_1", "WG_1");
    EXPECT_EQ(store->wg_of_subu(1)->id(), "WG_1");
    EXPECT_EQ(wgs->detach(root, "Thomas_US").id(), "WG_1");
    EXPECT_FALSE(store->wg_of_subu(1));
}

TEST_F(TheTunnels, NeverStoreAPrivateKeyInTheDatabase) {
    wgs->set_pool(root, "10.8.0.0/24");
    wgs->make(root, "1.2.3.4:51820");
    const std::string secret = slurp(fs::path(keys) / "WG_1.key");
    ASSERT_EQ(secret.size(), 45u);
    const std::string db = slurp(dir / "subu.db") + slurp(dir / "subu.db-wal");
    EXPECT_EQ(db.find(secret.substr(0, 44)), std::string::npos);
}

TEST_F(TheTunnels, RefuseBadInputWithoutChangingAnything) {
    EXPECT_THROW(wgs->make(root, "1.2.3.4:51820"), InvalidArgument) << "no pool yet";
    for (const char* bad : {"", "10.8.0.0", "10.8.0.1/24", "10.8.0.0/31", "fd00::/64", "10.8.0.0/24\n", "x"})
        EXPECT_THROW(wgs->set_pool(root, bad), Error) << bad;
    wgs->set_pool(root, "10.8.0.0/30");
    const auto before = dump();
    for (const char* bad : {"", "host", "host:0", "host:65536", "::1:51820", "a b:1", "h\n:1", "-x.example:1"})
        EXPECT_THROW(wgs->make(root, bad), InvalidArgument) << bad;
    for (const char* bad : {"", "abc", "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykx=", "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw"})
        EXPECT_THROW(wgs->set_server_key(root, "WG_1", bad), Error) << bad;
    for (const char* bad : {"", "WG_0", "WG_1x", "wg_1", "subu_1", "WG_9"}) {
        EXPECT_THROW(wgs->get(root, bad), Error) << bad;
        EXPECT_THROW(wgs->attach(root, "subu_1", bad), Error) << bad;
        EXPECT_THROW(wgs->remove(root, bad), Error) << bad;
    }
    EXPECT_THROW(wgs->detach(root, "subu_1"), NotFound);
    EXPECT_THROW(wgs->attach(root, "subu_9", "WG_1"), Error);
    EXPECT_EQ(dump(), before);
}

TEST_F(TheTunnels, SayWhenThePoolIsFull) {
    wgs->set_pool(root, "10.8.0.0/30");  // .0 network, .1 server, .3 broadcast: one address
    wgs->make(root, "1.2.3.4:51820");
    const auto before = dump();
    EXPECT_THROW(wgs->make(root, "1.2.3.4:51820"), wg::PoolExhausted);
    EXPECT_EQ(dump(), before) << "no key file left behind";
}

TEST_F(TheTunnels, KeepThePoolAroundTheAddressesInUse) {
    wgs->set_pool(root, "10.8.0.0/24");
    wgs->make(root, "1.2.3.4:51820");
    EXPECT_THROW(wgs->set_pool(root, "10.9.0.0/24"), Busy);
    EXPECT_NO_THROW(wgs->set_pool(root, "10.8.0.0/16"));
}

TEST_F(TheTunnels, AttachOneTunnelToOneSubu) {
    wgs->set_pool(root, "10.8.0.0/24");
    wgs->make(root, "1.2.3.4:51820");
    wgs->make(root, "1.2.3.4:51821");
    store::SubuRow r;
    r.num = 2, r.name = "Thomas_EU", r.masu = "Thomas", r.uid = 1002, r.state = store::RowState::Ready;
    store->insert_subu(r);
    wgs->attach(root, "subu_1", "WG_1");
    EXPECT_THROW(wgs->attach(root, "subu_2", "WG_1"), Busy);
    EXPECT_THROW(wgs->attach(root, "subu_1", "WG_2"), Busy);
    EXPECT_THROW(wgs->remove(root, "WG_1"), Busy);
    EXPECT_NO_THROW(wgs->attach(root, "subu_1", "WG_1")) << "attaching again is no change";
}

TEST_F(TheTunnels, LetOwnersSeeAndDetachTheirOwnOnly) {
    wgs->set_pool(root, "10.8.0.0/24");
    wgs->make(root, "1.2.3.4:51820");
    wgs->make(root, "1.2.3.4:51821");
    EXPECT_THROW(wgs->make(thomas, "1.2.3.4:51820"), AccessDenied);
    EXPECT_THROW(wgs->set_pool(thomas, "10.8.0.0/24"), AccessDenied);
    EXPECT_THROW(wgs->attach(thomas, "subu_1", "WG_1"), AccessDenied);
    wgs->attach(root, "subu_1", "WG_1");
    EXPECT_EQ(wgs->list(thomas).size(), 1u);
    EXPECT_EQ(wgs->list(mallory).size(), 0u);
    EXPECT_EQ(wgs->list(root).size(), 2u);
    EXPECT_NO_THROW(wgs->get(thomas, "WG_1"));
    EXPECT_THROW(wgs->get(thomas, "WG_2"), AccessDenied);
    EXPECT_THROW(wgs->get(mallory, "WG_1"), AccessDenied);
    EXPECT_THROW(wgs->detach(mallory, "subu_1"), AccessDenied);
    EXPECT_NO_THROW(wgs->set_state(thomas, "WG_1", "down"));
    EXPECT_NO_THROW(wgs->detach(thomas, "subu_1"));
}

TEST_F(TheTunnels, DeleteTheKeysOfARemovedTunnel) {
    wgs->set_pool(root, "10.8.0.0/24");
    wgs->make(root, "1.2.3.4:51820");
    wgs->remove(root, "WG_1");
    EXPECT_FALSE(fs::exists(fs::path(keys) / "WG_1.key"));
    EXPECT_TRUE(store->wgs().empty());
}

TEST_F(TheTunnels, DeleteKeyFilesNoTunnelOwnsAtStart) {
    wgs->set_pool(root, "10.8.0.0/24");
    wgs->make(root, "1.2.3.4:51820");
    wg::store_private_key(keys, "WG_7", wg::generate_private_key());  // a crash before the commit
    EXPECT_EQ(wgs->recover(), (std::vector<std::string>{"WG_7.key"}));
    EXPECT_TRUE(fs::exists(fs::path(keys) / "WG_1.key"));
}

TEST_F(TheTunnels, ImportAWgQuickFile) {
    const auto priv = wg::generate_private_key();
    const std::string text = "[Interface]\nPrivateKey = " + wg::to_base64(wg::Key{priv.bytes()}) +
                             "\nAddress = 10.64.0.7/32, fd00::7/128\nDNS = 10.64.0.1\nMTU = 1380\nPostUp = iptables -A x\n"
                             "\n[Peer]\nPublicKey = " + std::string(server_key) +
                             "\nEndpoint = 203.0.113.5:51820\nAllowedIPs = 0.0.0.0/0, ::/0\nPersistentKeepalive = 25\n";
    auto [w, notes] = wgs->import(root, text);
    EXPECT_EQ(w.address, "10.64.0.7/32");
    EXPECT_EQ(w.server_public_key, server_key);
    EXPECT_EQ(w.dns, "10.64.0.1");
    EXPECT_EQ(w.mtu, 1380u);
    EXPECT_EQ(w.keepalive, 25u);
    EXPECT_EQ(w.allowed_ips, "0.0.0.0/0,::/0");
    EXPECT_EQ(w.public_key, wg::to_base64(wg::public_key_of(priv)));
    EXPECT_GE(notes.size(), 2u) << "PostUp and the second Address are noted";
    EXPECT_THROW(wgs->import(root, text), Exists) << "the same key twice";
    EXPECT_THROW(wgs->import(thomas, text), AccessDenied);
    const auto before = dump();
    EXPECT_THROW(wgs->import(root, "[Interface]\nPrivateKey = nope\n"), InvalidArgument);
    EXPECT_EQ(dump(), before);
}

// The tunnel runs as subu-wg@ while its subu's network is up and it is up.
TEST_F(TheTunnels, RunAsTheSubusUnitWhileWantedAndStopOtherwise) {
    wgs->set_pool(root, "192.168.112.0/24");
    auto wg = wgs->make(root, "192.0.2.1:51820");
    store->write([&] { store->set_network(1, "up"); });
    const std::string unit = "subu-wg@Thomas_US.service";
    wgs->attach(root, "Thomas_US", wg.id());
    EXPECT_EQ(units.active.count(unit), 1u);
    wgs->set_server_key(root, wg.id(), server_key);
    EXPECT_EQ(units.calls.back(), "start " + unit) << "a new peer is applied by a fresh start";
    wgs->set_state(root, wg.id(), "down");
    EXPECT_EQ(units.active.count(unit), 0u);
    wgs->set_state(root, wg.id(), "up");
    EXPECT_EQ(units.active.count(unit), 1u);
    wgs->detach(root, "Thomas_US");
    EXPECT_EQ(units.active.count(unit), 0u);
}

TEST_F(TheTunnels, StayStoppedWhileTheSubusNetworkIsDown) {
    wgs->set_pool(root, "192.168.112.0/24");
    auto wg = wgs->make(root, "192.0.2.1:51820");
    wgs->attach(root, "subu_1", wg.id());
    EXPECT_TRUE(units.active.empty());
}

TEST_F(TheTunnels, ThatFailToStartLeaveTheStoreAsItWas) {
    wgs->set_pool(root, "192.168.112.0/24");
    auto wg = wgs->make(root, "192.0.2.1:51820");
    store->write([&] { store->set_network(1, "up"); });
    units.fail = "subu-wg@Thomas_US.service";
    const auto before = dump();
    EXPECT_THROW(wgs->attach(root, "Thomas_US", wg.id()), Failed);
    EXPECT_EQ(dump(), before);
    EXPECT_TRUE(units.active.empty());

    units.fail.clear();
    wgs->attach(root, "Thomas_US", wg.id());
    units.fail = "subu-wg@Thomas_US.service";
    const auto attached = dump();
    EXPECT_THROW(wgs->set_server_key(root, wg.id(), server_key), Failed);
    EXPECT_EQ(dump(), attached);
}

// A manager killed between committing an attach (or detach) and its unit job
// puts the unit right at its next start.
TEST_F(TheTunnels, UnitsAreConvergedAtStartWhereACrashLeftThemWrong) {
    wgs->set_pool(root, "192.168.112.0/24");
    auto wg = wgs->make(root, "192.0.2.1:51820");
    store->write([&] {
        store->set_network(1, "up");
        store->set_wg_subu(wg.num, 1);  // committed; the start never happened
    });
    units.active.insert("subu@Thomas_US.service");
    EXPECT_EQ(wgs->converge_units(), std::vector<std::string>{"Thomas_US"});
    EXPECT_EQ(units.active.count("subu-wg@Thomas_US.service"), 1u);
    EXPECT_TRUE(wgs->converge_units().empty()) << "nothing to do the second time";
    store->write([&] { store->set_wg_subu(wg.num, std::nullopt); });  // a detach whose stop never happened
    EXPECT_EQ(wgs->converge_units(), std::vector<std::string>{"Thomas_US"});
    EXPECT_EQ(units.active.count("subu-wg@Thomas_US.service"), 0u);
    units.active.erase("subu@Thomas_US.service");
    store->write([&] { store->set_wg_subu(wg.num, 1); });
    EXPECT_TRUE(wgs->converge_units().empty()) << "a subu that is not up pulls its tunnel in itself";
}
