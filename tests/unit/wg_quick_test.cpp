// wg-quick files: what subu reads, what it ignores with a note, and what it refuses with a line number.
#include "wg/quick.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <functional>

#include "core/errors.h"

using subu::InvalidArgument;
using namespace subu::wg;

namespace {

constexpr const char* private_b64 = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";  // RFC 7748 Alice
constexpr const char* public_b64 = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";   // RFC 7748 Bob's public
constexpr const char* psk_b64 = "XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=";

std::string interface_part() { return std::string("[Interface]\nPrivateKey = ") + private_b64 + "\n"; }
std::string peer_part() { return std::string("[Peer]\nPublicKey = ") + public_b64 + "\nAllowedIPs = 0.0.0.0/0\n"; }
std::string minimal() { return interface_part() + peer_part(); }

// The message parse_wg_quick throws for `text`, or "(accepted)".
std::string error_of(const std::string& text) {
    try {
        parse_wg_quick(text);
    } catch (const InvalidArgument& e) {
        return e.what();
    }
    return "(accepted)";
}

bool has(const std::string& haystack, std::string_view needle) { return haystack.find(needle) != std::string::npos; }

// Every message starts with "line N:" and never holds the private key.
void expect_refused_at(const std::string& text, int line, std::string_view mentions = {}) {
    const std::string m = error_of(text);
    EXPECT_EQ(m.rfind("line " + std::to_string(line) + ": ", 0), 0u) << m << "\n--- for:\n" << text;
    if (!mentions.empty()) {
        EXPECT_TRUE(has(m, mentions)) << m << "\n--- should mention: " << mentions;
    }
    EXPECT_FALSE(has(m, std::string(private_b64).substr(0, 8))) << "private key in: " << m;
    EXPECT_FALSE(has(m, std::string(psk_b64).substr(0, 8))) << "preshared key in: " << m;
}

}  // namespace

TEST(AWgQuickFile, IsReadCompletely) {
    const std::string text = std::string(
                                 "# A provider's configuration for the US exit\n"
                                 "[Interface]\n"
                                 "PrivateKey = ") +
                             private_b64 +
                             "\n"
                             "Address = 10.64.12.7/32, fc00:bbbb:bbbb:bb01::1:c06/128\n"
                             "DNS = 10.64.0.1, 2001:db8::53, corp.example\n"
                             "MTU = 1420\n"
                             "\n"
                             "[Peer]\n"
                             "# us-nyc-wg-301\n"
                             "PublicKey = " +
                             public_b64 +
                             "\n"
                             "PresharedKey = " +
                             psk_b64 +
                             "\n"
                             "AllowedIPs = 0.0.0.0/0, ::/0\n"
                             "Endpoint = 198.51.100.7:51820\n"
                             "PersistentKeepalive = 25\n";
    const QuickConfig c = parse_wg_quick(text);
    EXPECT_EQ(c.private_key, private_key_from_base64(private_b64));
    ASSERT_EQ(c.addresses.size(), 2u);
    EXPECT_EQ(to_string(c.addresses[0]), "10.64.12.7/32");
    EXPECT_EQ(to_string(c.addresses[1]), "fc00:bbbb:bbbb:bb01::1:c06/128");
    EXPECT_EQ(c.dns, (std::vector<std::string>{"10.64.0.1", "2001:db8::53", "corp.example"}));
    EXPECT_EQ(c.mtu, 1420u);
    ASSERT_EQ(c.peers.size(), 1u);
    const auto& p = c.peers[0];
    EXPECT_EQ(p.public_key, key_from_base64(public_b64));
    EXPECT_EQ(p.preshared_key, key_from_base64(psk_b64));
    ASSERT_TRUE(p.endpoint.has_value());
    EXPECT_EQ(to_string(*p.endpoint), "198.51.100.7:51820");
    ASSERT_EQ(p.allowed_ips.size(), 2u);
    EXPECT_EQ(to_string(p.allowed_ips[0]), "0.0.0.0/0");
    EXPECT_EQ(to_string(p.allowed_ips[1]), "::/0");
    EXPECT_EQ(p.persistent_keepalive, 25u);
    EXPECT_TRUE(c.notes.empty()) << c.notes[0];
}

TEST(AWgQuickFile, NeedsOnlyAPrivateKeyAndAPeerPublicKey) {
    const QuickConfig c = parse_wg_quick(std::string("[Interface]\nPrivateKey=") + private_b64 + "\n[Peer]\nPublicKey=" +
                                         public_b64);
    EXPECT_TRUE(c.addresses.empty());
    EXPECT_TRUE(c.dns.empty());
    EXPECT_FALSE(c.mtu);
    EXPECT_FALSE(c.peers[0].preshared_key);
    EXPECT_FALSE(c.peers[0].endpoint);
    EXPECT_FALSE(c.peers[0].persistent_keepalive);
    ASSERT_EQ(c.notes.size(), 1u);
    EXPECT_TRUE(has(c.notes[0], "no AllowedIPs")) << c.notes[0];
}

TEST(AWgQuickFile, IsReadWithWgQuicksLeniencyOnForm) {
    const std::string text = std::string("\xEF\xBB\xBF# made on Windows\r\n"
                                         "[interface]\r\n"
                                         "\tprivatekey\t=  ") +
                             private_b64 +
                             "   # the tunnel's key\r\n"
                             "ADDRESS=10.8.0.2/24\r\n"
                             "address = fd00::2/64 ,10.9.0.2\r\n"
                             "Dns = 10.8.0.1\r\n"
                             "dns = 10.8.0.2\r\n"
                             "   \r\n"
                             "[PEER]\r\n"
                             "publickey = " +
                             public_b64 +
                             "\r\n"
                             "allowedips = 10.8.0.0/24\r\n"
                             "AllowedIps = 10.9.0.0/24, fd00::/64\r\n"
                             "endpoint = [2001:db8::7]:51820\r\n"
                             "persistentkeepalive = off";
    const QuickConfig c = parse_wg_quick(text);
    ASSERT_EQ(c.addresses.size(), 3u);
    EXPECT_EQ(to_string(c.addresses[2]), "10.9.0.2/32");
    EXPECT_EQ(c.dns, (std::vector<std::string>{"10.8.0.1", "10.8.0.2"}));
    EXPECT_EQ(c.peers[0].allowed_ips.size(), 3u);
    EXPECT_EQ(c.peers[0].endpoint->kind, Endpoint::Ipv6);
    EXPECT_EQ(c.peers[0].persistent_keepalive, 0u);
    EXPECT_TRUE(c.notes.empty());
}

TEST(AWgQuickFile, NotesEachIgnoredKeyOnce) {
    const std::string text = interface_part() +
                             "ListenPort = 51820\n"
                             "Table = off\n"
                             "PreUp = echo pre-up\n"
                             "PostUp = iptables -A FORWARD -i %i -j ACCEPT\n"
                             "PostUp = iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE\n"
                             "PreDown = echo pre-down\n"
                             "PostDown = iptables -D FORWARD -i %i -j ACCEPT\n"
                             "SaveConfig = true\n"
                             "FwMark = 0xca6c\n" +
                             peer_part();
    const QuickConfig c = parse_wg_quick(text);
    ASSERT_EQ(c.notes.size(), 8u);
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"line 3: ", "ListenPort"}, {"line 4: ", "Table"},   {"line 5: ", "PreUp"},      {"line 6: ", "PostUp"},
        {"line 8: ", "PreDown"},    {"line 9: ", "PostDown"}, {"line 10: ", "SaveConfig"}, {"line 11: ", "FwMark"}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(c.notes[i].rfind(expected[i].first + expected[i].second, 0), 0u) << c.notes[i];
        EXPECT_TRUE(has(c.notes[i], "ignore") || has(c.notes[i], "not used")) << c.notes[i];
    }
    EXPECT_EQ(c.notes[3], "line 6: PostUp is a wg-quick hook; subu ignores it and runs no commands from the file.");
}

TEST(AWgQuickFile, NotesAnAllowedIpsEntryWithHostBits) {
    const QuickConfig c = parse_wg_quick(interface_part() + "[Peer]\nPublicKey = " + public_b64 +
                                         "\nAllowedIPs = 10.8.0.5/24\n");
    ASSERT_EQ(c.notes.size(), 1u);
    EXPECT_TRUE(has(c.notes[0], "10.8.0.0/24")) << c.notes[0];
}

TEST(AWgQuickFile, AcceptsASearchDomainOnlyWhenItIsAValidName) {
    EXPECT_EQ(parse_wg_quick(interface_part() + "DNS = 10.8.0.1, lan, corp.example.\n" + peer_part()).dns,
              (std::vector<std::string>{"10.8.0.1", "lan", "corp.example."}));
    expect_refused_at(interface_part() + "DNS = 10.8.0.1, bad_name\n" + peer_part(), 3, "bad_name");
    expect_refused_at(interface_part() + "DNS = 10.8.0.1/32\n" + peer_part(), 3, "prefix");
    expect_refused_at(interface_part() + "DNS = 10.8.0\n" + peer_part(), 3);
    expect_refused_at(interface_part() + "DNS = 10.8.0.1,\n" + peer_part(), 3, "empty item");
}

TEST(AWgQuickFile, RefusesAnUnknownKeyOrSection) {
    expect_refused_at(interface_part() + "Colour = blue\n" + peer_part(), 3, "\"Colour\"");
    expect_refused_at(minimal() + "Bogus = 1\n", 6, "\"Bogus\"");
    expect_refused_at(minimal() + "[Wat]\n", 6, "[Wat]");
    expect_refused_at(minimal() + "[Peer\n", 6, "section header");
    expect_refused_at(interface_part() + "PublicKey = " + public_b64 + "\n" + peer_part(), 3, "belongs in [Peer]");
    expect_refused_at(interface_part() + "[Peer]\nMTU = 1420\n", 4, "belongs in [Interface]");
}

TEST(AWgQuickFile, RefusesAKeyOutsideASection) {
    expect_refused_at("MTU = 1420\n" + minimal(), 1, "before any [Interface] or [Peer]");
    expect_refused_at("# comment\n\nWhatever = 1\n" + minimal(), 3, "before any");
}

TEST(AWgQuickFile, RefusesALineThatIsNotKeyEqualsValue) {
    expect_refused_at(interface_part() + "just words\n" + peer_part(), 3, "Key = Value");
    expect_refused_at(interface_part() + "= value\n" + peer_part(), 3, "starts with '='");
    expect_refused_at(interface_part() + "MTU =\n" + peer_part(), 3, "MTU has no value");
    expect_refused_at(interface_part() + "MTU = 14\x01" "20\n" + peer_part(), 3, "\\x01");
    expect_refused_at(interface_part() + "MTU = 1420\r\r\n" + peer_part(), 3, "\\x0d");
    expect_refused_at(interface_part() + "MTU = 14\xc2\xa0" "20\n" + peer_part(), 3, "\\xc2");
    expect_refused_at(interface_part() + std::string("MTU = 1420\0\n", 12) + peer_part(), 3, "\\x00");
    // Non-ASCII in a comment is fine.
    EXPECT_NO_THROW(parse_wg_quick("# Server in M\xc3\xbcnchen\n" + minimal()));
}

TEST(AWgQuickFile, RefusesADuplicateSingleValuedKey) {
    expect_refused_at(interface_part() + "PrivateKey = " + private_b64 + "\n" + peer_part(), 3, "first on line 2");
    expect_refused_at(interface_part() + "MTU = 1420\nmtu = 1380\n" + peer_part(), 4, "MTU");
    expect_refused_at(minimal() + "PublicKey = " + public_b64 + "\n", 6, "PublicKey");
    expect_refused_at(minimal() + "Endpoint = a.example:1\nEndpoint = b.example:1\n", 7, "Endpoint");
    expect_refused_at(minimal() + "PersistentKeepalive = 1\nPersistentKeepalive = 2\n", 7, "PersistentKeepalive");
    expect_refused_at(interface_part() + "Table = off\nTable = auto\n" + peer_part(), 4, "Table");
    expect_refused_at(minimal() + "[Interface]\n", 6, "second [Interface]");
}

TEST(AWgQuickFile, RefusesAMissingPrivateKey) {
    expect_refused_at("[Interface]\nAddress = 10.8.0.2/32\n" + peer_part(), 1, "no PrivateKey");
    expect_refused_at(peer_part(), 3, "no [Interface]");
    expect_refused_at("", 1, "no [Interface]");
    expect_refused_at("# only a comment\n", 1, "no [Interface]");
}

TEST(AWgQuickFile, RefusesAFileWithoutAPeer) {
    expect_refused_at(interface_part() + "Address = 10.8.0.2/32\n", 3, "no [Peer]");
}

TEST(AWgQuickFile, RefusesAPeerWithoutAPublicKey) {
    expect_refused_at(interface_part() + "\n[Peer]\nAllowedIPs = 0.0.0.0/0\n", 4, "no PublicKey");
}

TEST(AWgQuickFile, RefusesASecondPeer) {
    const std::string text = minimal() + "[Peer]\nPublicKey = " + public_b64 + "\n";
    expect_refused_at(text, 6, "exactly one peer");
}

TEST(AWgQuickFile, RefusesABadValueWithItsLineNumber) {
    const std::string i = interface_part();
    const std::string p = peer_part();
    expect_refused_at(i + "Address = 10.8.0.256/32\n" + p, 3, "255");
    expect_refused_at(i + "Address = 10.8.0.2/33\n" + p, 3, "0 to 32");
    expect_refused_at(i + "Address = 10.8.0.2,,10.8.0.3\n" + p, 3, "empty item");
    expect_refused_at(i + "MTU = 575\n" + p, 3, "576 to 65535");
    expect_refused_at(i + "MTU = 65536\n" + p, 3, "576 to 65535");
    expect_refused_at(i + "MTU = 01420\n" + p, 3, "MTU");
    expect_refused_at(i + "MTU = +1420\n" + p, 3, "MTU");
    expect_refused_at(i + "ListenPort = 65536\n" + p, 3, "ListenPort");
    expect_refused_at(minimal() + "Endpoint = ::1:51820\n", 6, "brackets");
    expect_refused_at(minimal() + "Endpoint = host:0\n", 6, "1 to 65535");
    expect_refused_at(minimal() + "AllowedIPs = 10.8.0.0/24 10.9.0.0/24\n", 6);
    expect_refused_at(minimal() + "PersistentKeepalive = 65536\n", 6, "0 to 65535");
    expect_refused_at(minimal() + "PersistentKeepalive = -1\n", 6, "PersistentKeepalive");
    expect_refused_at(minimal() + "PersistentKeepalive = Off\n", 6, "PersistentKeepalive");
    const std::string bad_public = std::string(public_b64).replace(42, 1, "9");
    expect_refused_at(i + "[Peer]\nPublicKey = " + bad_public + "\n", 4, "canonical");
}

TEST(AWgQuickFile, NeverShowsThePrivateOrPresharedKey) {
    const std::string priv = private_b64;
    const std::string psk = psk_b64;
    // A mistyped private key: each message says what is wrong and not what was typed.
    expect_refused_at("[Interface]\nPrivateKey = " + priv.substr(0, 43) + "\n" + peer_part(), 2, "43 characters");
    expect_refused_at("[Interface]\nPrivateKey = " + std::string(priv).replace(42, 1, "p") + "\n" + peer_part(), 2, "canonical");
    expect_refused_at("[Interface]\nPrivateKey = " + std::string(priv).replace(7, 1, "_") + "\n" + peer_part(), 2);
    expect_refused_at("[Interface]\nPrivateKey = " + priv + " " + priv + "\n" + peer_part(), 2);
    // The '=' forgotten: the line splits at the key's own padding.
    expect_refused_at("[Interface]\nPrivateKey " + priv + "\n" + peer_part(), 2);
    expect_refused_at("[Interface]\n" + priv + "\n" + peer_part(), 2);
    expect_refused_at(priv + "\n" + minimal(), 1);
    expect_refused_at(minimal() + "PresharedKey = " + std::string(psk).replace(42, 1, "9") + "\n", 6, "canonical");
    expect_refused_at(minimal() + "PresharedKey " + psk + "\n", 6);
    // A good private key and an error elsewhere.
    expect_refused_at(minimal() + "Endpoint = bad host:1\n", 6, "bad host");
}
