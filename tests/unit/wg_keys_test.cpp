// WireGuard keys: RFC 7748 vectors, canonical base64, and key files only their owner can read.
#include "wg/keys.h"

#include <gtest/gtest.h>

#include "support/messages.h"
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <random>
#include <sstream>

#include "core/errors.h"

using subu::Failed;
using subu::InvalidArgument;
using subu::NotFound;
using namespace subu::wg;

using subu::samples::message_of;

namespace {

// RFC 7748 section 6.1.
constexpr const char* alice_private_hex = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr const char* alice_public_hex = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr const char* bob_private_hex = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr const char* bob_public_hex = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
// The same keys in base64, computed independently (Python's base64 module).
constexpr const char* alice_private_b64 = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
constexpr const char* alice_public_b64 = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";

PrivateKey private_from_hex(const char* hex) { return PrivateKey(key_from_hex(hex).bytes); }


}  // namespace

TEST(AWireGuardKey, MatchesTheRfc7748Vectors) {
    EXPECT_EQ(public_key_of(private_from_hex(alice_private_hex)), key_from_hex(alice_public_hex));
    EXPECT_EQ(public_key_of(private_from_hex(bob_private_hex)), key_from_hex(bob_public_hex));
}

TEST(AWireGuardKey, PrintsAsTheBase64ThatWgPrints) {
    EXPECT_EQ(to_base64(key_from_hex(alice_public_hex)), alice_public_b64);
    EXPECT_EQ(key_from_base64(alice_public_b64), key_from_hex(alice_public_hex));
    EXPECT_EQ(private_key_from_base64(alice_private_b64), private_from_hex(alice_private_hex));
}

TEST(AWireGuardKey, PrintsAsLowercaseHexForTheUapi) {
    EXPECT_EQ(to_hex(key_from_hex(alice_public_hex)), alice_public_hex);
    EXPECT_EQ(to_hex(key_from_hex("8520F0098930A754748B7DDCB43EF75A0DBF3A0D26381AF4EBA4A98EAA9B4E6A")), alice_public_hex);
    EXPECT_THROW(key_from_hex(std::string(alice_public_hex).substr(1)), InvalidArgument);
    EXPECT_THROW(key_from_hex(std::string(alice_public_hex).replace(10, 1, "g")), InvalidArgument);
}

TEST(AWireGuardKey, SurvivesABase64RoundTripForEveryByteValue) {
    std::mt19937 rng(7);
    for (int i = 0; i < 200; ++i) {
        Key k;
        for (auto& b : k.bytes) b = static_cast<std::uint8_t>(rng());
        const std::string s = to_base64(k);
        ASSERT_EQ(s.size(), 44u);
        ASSERT_EQ(s.back(), '=');
        ASSERT_EQ(key_from_base64(s), k) << s;
    }
    Key ones;
    ones.bytes.fill(0xff);
    EXPECT_EQ(key_from_base64(to_base64(ones)), ones);
    EXPECT_EQ(key_from_base64(to_base64(Key{})), Key{});
}

TEST(AWireGuardKey, RejectsANonCanonicalEncoding) {
    // 'o' ends in two zero bits; 'p', 'q' and 'r' differ only there and decode
    // to the same bytes in a lenient decoder.
    std::string s = alice_public_b64;
    ASSERT_EQ(s[42], 'o');
    for (char c : {'p', 'q', 'r'}) {
        s[42] = c;
        EXPECT_THROW(key_from_base64(s), InvalidArgument) << s;
        EXPECT_THROW(private_key_from_base64(s), InvalidArgument) << s;
    }
    EXPECT_NE(message_of([&] { key_from_base64(s); }).find("canonical"), std::string::npos);
}

TEST(AWireGuardKey, RejectsEveryOtherMisspelling) {
    const std::string good = alice_public_b64;
    const std::vector<std::string> bad = {
        "",
        good.substr(0, 43),                     // missing '='
        good.substr(0, 43) + "A",               // '=' replaced
        good + "=",                             // too long
        good.substr(0, 42) + "==",              // a 31-byte value
        " " + good,                             // whitespace around
        good + " ",
        good + "\n",
        good + "\r\n",
        good.substr(0, 10) + " " + good.substr(11),  // whitespace inside, right length
        good.substr(0, 10) + "\n" + good.substr(11),
        std::string(good).replace(good.find('/'), 1, "_"),  // URL-safe alphabet
        std::string(good).replace(0, 1, "-"),
        std::string(good).replace(5, 1, "="),
        std::string(good).replace(5, 1, "\xc3"),
        std::string(good.data(), 20) + std::string(1, '\0') + good.substr(21),
    };
    for (const auto& s : bad) {
        EXPECT_THROW(key_from_base64(s), InvalidArgument) << s;
        EXPECT_THROW(private_key_from_base64(s), InvalidArgument) << s;
    }
}

TEST(AWireGuardKey, ShowsABadPublicKeySafelyInItsMessage) {
    const std::string s = std::string(alice_public_b64).replace(10, 1, "\n");
    const std::string m = message_of([&] { key_from_base64(s); });
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_NE(m.find("\\x0a"), std::string::npos) << m;
    EXPECT_NE(m.find("position 11"), std::string::npos) << m;
    const std::string url = message_of([&] { key_from_base64(std::string(alice_public_b64).replace(0, 1, "-")); });
    EXPECT_NE(url.find("URL-safe"), std::string::npos) << url;
    const std::string huge = message_of([&] { key_from_base64(std::string(100000, 'A')); });
    EXPECT_LT(huge.size(), 400u) << huge;
}

TEST(AWireGuardPrivateKey, NeverShowsItsTextInAMessage) {
    const std::string good = alice_private_b64;
    for (const std::string& s : {good.substr(0, 43), good + " ", std::string(good).replace(42, 1, "p"),
                                 std::string(good).replace(3, 1, "-"), std::string(good).replace(43, 1, "A")}) {
        const std::string m = message_of([&] { private_key_from_base64(s); });
        EXPECT_EQ(m.find(good.substr(0, 6)), std::string::npos) << m;
        EXPECT_EQ(m.find(good.substr(20, 6)), std::string::npos) << m;
    }
}

TEST(AGeneratedWireGuardKey, IsClampedAsWgGenkeyDoes) {
    for (int i = 0; i < 20; ++i) {
        const PrivateKey k = generate_private_key();
        EXPECT_EQ(k.bytes()[0] & 7, 0);
        EXPECT_EQ(k.bytes()[31] & 0x80, 0);
        EXPECT_EQ(k.bytes()[31] & 0x40, 0x40);
    }
}

TEST(AGeneratedWireGuardKey, DiffersFromTheNextOne) {
    const PrivateKey a = generate_private_key();
    const PrivateKey b = generate_private_key();
    EXPECT_FALSE(a == b);
    EXPECT_NE(public_key_of(a), public_key_of(b));
    EXPECT_NE(public_key_of(a), Key{});
}

TEST(AWireGuardPrivateKey, IsWipedWhenMovedFrom) {
    PrivateKey a = private_from_hex(alice_private_hex);
    PrivateKey b = std::move(a);
    EXPECT_EQ(b, private_from_hex(alice_private_hex));
    for (auto byte : a.bytes()) EXPECT_EQ(byte, 0);  // NOLINT(bugprone-use-after-move): wiping is the point
    PrivateKey c = private_from_hex(bob_private_hex);
    c = std::move(b);
    EXPECT_EQ(public_key_of(c), key_from_hex(alice_public_hex));
}

TEST(AWireGuardPrivateKey, PrintsAsAPlaceholderInTestOutput) {
    std::ostringstream os;
    PrintTo(private_from_hex(alice_private_hex), &os);
    EXPECT_EQ(os.str().find("77"), std::string::npos);
    EXPECT_EQ(os.str().find("dwdt"), std::string::npos);
}

// Key files, in a fresh directory per test.
class AWireGuardKeyFile : public ::testing::Test {
protected:
    void SetUp() override {
        base = std::filesystem::temp_directory_path() /
               ("subu-wg-keys-test-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(base);
        std::filesystem::create_directories(base);
        dir = (base / "keys").string();
    }
    void TearDown() override { std::filesystem::remove_all(base); }

    static mode_t mode_of(const std::string& path) {
        struct stat st {};
        EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
        return st.st_mode & 07777;
    }
    static std::string read(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }
    void make_dir(mode_t mode) const {
        ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
        ASSERT_EQ(chmod(dir.c_str(), mode), 0);
    }

    std::filesystem::path base;
    std::string dir;
};

TEST_F(AWireGuardKeyFile, IsWrittenWithMode0600InADirectoryWithMode0700) {
    store_private_key(dir, "WG_3", private_from_hex(alice_private_hex));
    EXPECT_EQ(mode_of(dir), 0700u);
    EXPECT_EQ(mode_of(dir + "/WG_3.key"), 0600u);
    EXPECT_EQ(read(dir + "/WG_3.key"), std::string(alice_private_b64) + "\n");
    EXPECT_EQ(load_private_key(dir, "WG_3"), private_from_hex(alice_private_hex));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1)
        << "no temporary file left behind";
}

TEST_F(AWireGuardKeyFile, KeepsItsModesWhateverTheUmask) {
    const mode_t old = umask(0);
    store_private_key(dir, "WG_1", generate_private_key());
    umask(0777);
    store_private_key(dir, "WG_2", generate_private_key());
    umask(old);
    EXPECT_EQ(mode_of(dir), 0700u);
    EXPECT_EQ(mode_of(dir + "/WG_1.key"), 0600u);
    EXPECT_EQ(mode_of(dir + "/WG_2.key"), 0600u);
}

TEST_F(AWireGuardKeyFile, IsReplacedWhenStoredAgain) {
    store_private_key(dir, "WG_1", private_from_hex(alice_private_hex));
    store_private_key(dir, "WG_1", private_from_hex(bob_private_hex));
    EXPECT_EQ(load_private_key(dir, "WG_1"), private_from_hex(bob_private_hex));
}

TEST_F(AWireGuardKeyFile, IsNotStoredInADirectoryOthersCanEnter) {
    make_dir(0755);
    EXPECT_THROW(store_private_key(dir, "WG_1", generate_private_key()), Failed);
    EXPECT_FALSE(std::filesystem::exists(dir + "/WG_1.key"));
    EXPECT_NE(message_of([&] { store_private_key(dir, "WG_1", generate_private_key()); }).find("0755"),
              std::string::npos);
    ASSERT_EQ(chmod(dir.c_str(), 0710), 0);
    EXPECT_THROW(store_private_key(dir, "WG_1", generate_private_key()), Failed);
}

TEST_F(AWireGuardKeyFile, IsNotLoadedFromADirectoryOthersCanEnter) {
    store_private_key(dir, "WG_1", generate_private_key());
    ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
    EXPECT_THROW(load_private_key(dir, "WG_1"), Failed);
}

TEST_F(AWireGuardKeyFile, IsNotStoredInADirectoryOwnedBySomeoneElse) {
    make_dir(0700);
    if (chown(dir.c_str(), 65534, 65534) != 0) GTEST_SKIP() << "needs root to give the directory away";
    EXPECT_THROW(store_private_key(dir, "WG_1", generate_private_key()), Failed);
    EXPECT_FALSE(std::filesystem::exists(dir + "/WG_1.key"));
}

TEST_F(AWireGuardKeyFile, IsRefusedWhenOthersMayReadIt) {
    store_private_key(dir, "WG_1", generate_private_key());
    ASSERT_EQ(chmod((dir + "/WG_1.key").c_str(), 0644), 0);
    EXPECT_THROW(load_private_key(dir, "WG_1"), Failed);
    ASSERT_EQ(chmod((dir + "/WG_1.key").c_str(), 0640), 0);
    EXPECT_THROW(load_private_key(dir, "WG_1"), Failed);
    ASSERT_EQ(chmod((dir + "/WG_1.key").c_str(), 0700), 0);
    EXPECT_THROW(load_private_key(dir, "WG_1"), Failed);
    ASSERT_EQ(chmod((dir + "/WG_1.key").c_str(), 0400), 0);
    EXPECT_NO_THROW(load_private_key(dir, "WG_1"));
}

TEST_F(AWireGuardKeyFile, IsRefusedWhenOwnedBySomeoneElse) {
    store_private_key(dir, "WG_1", generate_private_key());
    if (chown((dir + "/WG_1.key").c_str(), 65534, 65534) != 0) GTEST_SKIP() << "needs root to give the file away";
    EXPECT_THROW(load_private_key(dir, "WG_1"), Failed);
}

TEST_F(AWireGuardKeyFile, IsRefusedWhenItIsASymlink) {
    store_private_key(dir, "WG_1", private_from_hex(alice_private_hex));
    ASSERT_EQ(symlink((dir + "/WG_1.key").c_str(), (dir + "/WG_2.key").c_str()), 0);
    EXPECT_THROW(load_private_key(dir, "WG_2"), Failed);
    EXPECT_NE(message_of([&] { load_private_key(dir, "WG_2"); }).find("symbolic link"), std::string::npos);
}

TEST_F(AWireGuardKeyFile, IsRefusedWithoutHangingWhenItIsAFifo) {
    make_dir(0700);
    ASSERT_EQ(mkfifo((dir + "/WG_1.key").c_str(), 0600), 0);
    EXPECT_THROW(load_private_key(dir, "WG_1"), Failed);
}

TEST_F(AWireGuardKeyFile, IsRefusedWhenDamagedWithoutShowingItsContent) {
    make_dir(0700);
    const std::string content = std::string(alice_private_b64).replace(42, 1, "p") + "\n";
    {
        std::ofstream(dir + "/WG_1.key") << content;
    }
    ASSERT_EQ(chmod((dir + "/WG_1.key").c_str(), 0600), 0);
    const std::string m = message_of([&] { load_private_key(dir, "WG_1"); });
    EXPECT_EQ(m.find(content.substr(0, 8)), std::string::npos) << m;
    EXPECT_THROW(load_private_key(dir, "WG_1"), Failed);
    {
        std::ofstream(dir + "/WG_1.key") << alice_private_b64 << "\n\n";
    }
    EXPECT_THROW(load_private_key(dir, "WG_1"), Failed);
    {
        std::ofstream(dir + "/WG_1.key") << "";
    }
    EXPECT_THROW(load_private_key(dir, "WG_1"), Failed);
    {
        std::ofstream(dir + "/WG_1.key") << alice_private_b64;  // no newline: still the key
    }
    EXPECT_EQ(load_private_key(dir, "WG_1"), private_from_hex(alice_private_hex));
}

TEST_F(AWireGuardKeyFile, IsNotFoundWhenAbsent) {
    EXPECT_THROW(load_private_key(dir, "WG_1"), NotFound);
    make_dir(0700);
    EXPECT_THROW(load_private_key(dir, "WG_1"), NotFound);
}

TEST_F(AWireGuardKeyFile, IsRemovedAndRemovingItAgainIsFine) {
    store_private_key(dir, "WG_1", generate_private_key());
    remove_private_key(dir, "WG_1");
    EXPECT_FALSE(std::filesystem::exists(dir + "/WG_1.key"));
    EXPECT_NO_THROW(remove_private_key(dir, "WG_1"));
    EXPECT_NO_THROW(remove_private_key(dir + "/nowhere", "WG_1"));
}

TEST_F(AWireGuardKeyFile, NeedsANameOfLettersDigitsAndUnderscores) {
    for (const char* bad : {"", "WG-3", "../WG_1", "a/b", "WG_1.key", ".", "WG 1", "WG_1\n", "\xc3\xa9"}) {
        EXPECT_THROW(store_private_key(dir, bad, generate_private_key()), InvalidArgument) << bad;
        EXPECT_THROW(load_private_key(dir, bad), InvalidArgument) << bad;
        EXPECT_THROW(remove_private_key(dir, bad), InvalidArgument) << bad;
    }
    EXPECT_FALSE(std::filesystem::exists(dir)) << "nothing made for a bad name";
}
