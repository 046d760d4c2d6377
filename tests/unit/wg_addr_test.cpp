// Tunnel addresses, networks, endpoints and the address pool: strict parsing and first-free allocation.
#include "wg/addr.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "support/messages.h"
#include <sys/socket.h>

#include <functional>

#include "core/errors.h"

using subu::Error;
using subu::InvalidArgument;
using namespace subu::wg;

using subu::samples::message_of;

namespace {


Cidr v4(const char* text) { return parse_address(text); }

}  // namespace

TEST(ACidr, ParsesAnIpv4Network) {
    const Cidr c = parse_cidr("10.8.0.0/24");
    EXPECT_EQ(c.family, AF_INET);
    EXPECT_EQ(c.addr[0], 10);
    EXPECT_EQ(c.addr[1], 8);
    EXPECT_EQ(c.addr[2], 0);
    EXPECT_EQ(c.addr[3], 0);
    for (std::size_t i = 4; i < 16; ++i) EXPECT_EQ(c.addr[i], 0);
    EXPECT_EQ(c.prefix, 24u);
    EXPECT_EQ(to_string(c), "10.8.0.0/24");
    EXPECT_EQ(to_string(parse_cidr("0.0.0.0/0")), "0.0.0.0/0");
    EXPECT_EQ(to_string(parse_cidr("255.255.255.255/32")), "255.255.255.255/32");
}

TEST(ACidr, ParsesAnIpv6Network) {
    const Cidr c = parse_cidr("fd00:1::/64");
    EXPECT_EQ(c.family, AF_INET6);
    EXPECT_EQ(c.prefix, 64u);
    EXPECT_EQ(to_string(c), "fd00:1::/64");
    EXPECT_EQ(to_string(parse_cidr("::/0")), "::/0");
    EXPECT_EQ(to_string(parse_cidr("2001:DB8:0:0:0:0:0:1/128")), "2001:db8::1/128");
    EXPECT_EQ(to_string(parse_cidr("::ffff:10.0.0.1/128")), "::ffff:10.0.0.1/128");
}

TEST(ACidr, RejectsEveryMalformedSpelling) {
    for (const char* bad :
         {"", "/24", "10.8.0.0", "10.8.0.0/", "1.2.3/24", "1.2.3.4.5/24", "256.1.1.1/24", "1.2.3.4/33", "01.2.3.4/8",
          "1.2.3.04/32", "1.2.3.4/08", "1.2.3.4/+8", "1.2.3.4/-1", " 1.2.3.4/32", "1.2.3.4/32 ", "1.2.3.4 /32",
          "1.2.3.4/ 32", "1..3.4/32", ".1.2.3/32", "1.2.3.4./32", "a.b.c.d/8", "1.2.3.4/32/1", "::1/129", "fd00::/064",
          "fe80::1%eth0/64", "::g/64", ":::/64", "1:2:3:4:5:6:7:8:9/64", "[::1]/128", "1.2.3.4/4294967328",
          "1.2.3.4\n/32"}) {
        EXPECT_THROW(parse_cidr(bad), InvalidArgument) << bad;
    }
    EXPECT_THROW(parse_cidr(std::string_view("1.2.3.4/3\0", 10)), InvalidArgument);
    EXPECT_THROW(parse_cidr(std::string(100000, '1') + "/8"), InvalidArgument);
}

TEST(ACidr, SaysWhatIsWrongAndShowsTheTextSafely) {
    EXPECT_NE(message_of([] { parse_cidr("01.2.3.4/8"); }).find("leading zero"), std::string::npos);
    EXPECT_NE(message_of([] { parse_cidr("256.1.1.1/8"); }).find("more than 255"), std::string::npos);
    EXPECT_NE(message_of([] { parse_cidr("1.2.3/8"); }).find("3 numbers"), std::string::npos);
    EXPECT_NE(message_of([] { parse_cidr("1.2.3.4/33"); }).find("0 to 32"), std::string::npos);
    EXPECT_NE(message_of([] { parse_cidr("10.8.0.0"); }).find("prefix"), std::string::npos);
    const std::string m = message_of([] { parse_cidr("1.2.3.4\x1b[31m/8"); });
    EXPECT_EQ(m.find('\x1b'), std::string::npos) << m;
    EXPECT_NE(m.find("\\x1b"), std::string::npos) << m;
    EXPECT_LT(message_of([] { parse_cidr(std::string(100000, '1') + "/8"); }).size(), 400u);
}

TEST(ACidr, IsCanonicalOnlyWithoutHostBits) {
    EXPECT_TRUE(canonical(parse_cidr("10.8.0.0/24")));
    EXPECT_FALSE(canonical(parse_cidr("10.8.0.1/24")));
    EXPECT_TRUE(canonical(parse_cidr("10.8.0.1/32")));
    EXPECT_TRUE(canonical(parse_cidr("0.0.0.0/0")));
    EXPECT_FALSE(canonical(parse_cidr("128.0.0.0/0")));
    EXPECT_TRUE(canonical(parse_cidr("10.8.0.0/15")));
    EXPECT_FALSE(canonical(parse_cidr("10.9.0.0/15")));
    EXPECT_TRUE(canonical(parse_cidr("::/0")));
    EXPECT_TRUE(canonical(parse_cidr("fd00::/64")));
    EXPECT_FALSE(canonical(parse_cidr("fd00::1/64")));
    EXPECT_FALSE(canonical(parse_cidr("fd00::1/127")));
    EXPECT_TRUE(canonical(parse_cidr("fd00::1/128")));
}

TEST(ACidr, GivesItsNetwork) {
    EXPECT_EQ(to_string(network_of(parse_cidr("10.8.3.7/22"))), "10.8.0.0/22");
    EXPECT_EQ(to_string(network_of(parse_cidr("10.8.3.7/0"))), "0.0.0.0/0");
    EXPECT_EQ(to_string(network_of(parse_cidr("fd00::1:2/112"))), "fd00::1:0/112");
}

TEST(AWgAddress, MayBeBareOrCarryAPrefix) {
    EXPECT_EQ(to_string(parse_address("10.8.0.2")), "10.8.0.2/32");
    EXPECT_EQ(to_string(parse_address("10.8.0.2/24")), "10.8.0.2/24");
    EXPECT_EQ(to_string(parse_address("fd00::2")), "fd00::2/128");
    EXPECT_EQ(to_string(parse_address("fd00::2/64")), "fd00::2/64");
    for (const char* bad : {"", "10.8.0", "10.8.0.2.", "010.8.0.2", "fd00::2%1", "host.example", " 10.8.0.2"})
        EXPECT_THROW(parse_address(bad), InvalidArgument) << bad;
}

TEST(AWgDnsName, FollowsTheHostnameRules) {
    for (const char* good : {"vpn.example.com", "vpn.example.com.", "a", "xn--bcher-kva.example", "a-b.c",
                             "1a.example", "example.a1"})
        EXPECT_TRUE(valid_dns_name(good)) << good;
    for (const char* bad : {"", ".", "..", "a..b", ".a", "-a.example", "a-.example", "a_b.example", "a b",
                            "1.2.3", "10.8.0.2", "example.123", "a.example..", "\xc3\xa9.example"})
        EXPECT_FALSE(valid_dns_name(bad)) << bad;
    EXPECT_TRUE(valid_dns_name(std::string(63, 'a') + ".example"));
    EXPECT_FALSE(valid_dns_name(std::string(64, 'a') + ".example"));
    std::string longest;
    while (longest.size() + 64 <= 253) longest += std::string(63, 'a') + ".";
    longest += std::string(253 - longest.size(), 'b');
    ASSERT_EQ(longest.size(), 253u);
    EXPECT_TRUE(valid_dns_name(longest));
    EXPECT_TRUE(valid_dns_name(longest + "."));
    EXPECT_FALSE(valid_dns_name(longest + "b"));
}

TEST(AnEndpoint, ParsesEachKindOfHost) {
    const Endpoint a = parse_endpoint("198.51.100.7:51820");
    EXPECT_EQ(a.host, "198.51.100.7");
    EXPECT_EQ(a.port, 51820);
    EXPECT_EQ(a.kind, Endpoint::Ipv4);
    const Endpoint b = parse_endpoint("[2001:db8::7]:51820");
    EXPECT_EQ(b.host, "2001:db8::7");
    EXPECT_EQ(b.port, 51820);
    EXPECT_EQ(b.kind, Endpoint::Ipv6);
    const Endpoint c = parse_endpoint("vpn.example.com:1");
    EXPECT_EQ(c.host, "vpn.example.com");
    EXPECT_EQ(c.port, 1);
    EXPECT_EQ(c.kind, Endpoint::Name);
    EXPECT_EQ(parse_endpoint("vpn.example.com.:65535").host, "vpn.example.com.");
    EXPECT_EQ(parse_endpoint("localhost:51820").kind, Endpoint::Name);
}

TEST(AnEndpoint, PrintsAsItIsRead) {
    for (const char* s : {"198.51.100.7:51820", "[2001:db8::7]:51820", "vpn.example.com:443", "[::1]:1"})
        EXPECT_EQ(to_string(parse_endpoint(s)), s);
    EXPECT_EQ(to_string(Endpoint{"::1", 9, Endpoint::Ipv6}), "[::1]:9");
}

TEST(AnEndpoint, RejectsEveryMalformedSpelling) {
    const std::string long_label = std::string(64, 'a') + ".example:1";
    for (const std::string& bad : std::vector<std::string>{
             "", ":51820", "host", "host:", "host:0", "host:65536", "host:+1", "host:-1", "host:01", "host:1 ",
             " host:1", "host :1", "host:0x10", "-bad.example:1", "bad-.example:1", "a..b:1", long_label,
             "1.2.3:1", "1.2.3.4.5:1", "256.1.1.1:1", "01.2.3.4:1", "[::1]", "[::1]:", "[::1]51820", "::1:51820",
             "2001:db8::7:51820", "[::1:51820", "[1.2.3.4]:1", "[host]:1", "[fe80::1%eth0]:1", "ho_st:1",
             "host:99999999999", "h\nost:1", std::string("host:1\0", 7), "[]:1"})
        EXPECT_THROW(parse_endpoint(bad), InvalidArgument) << bad;
}

TEST(AnEndpoint, ExplainsWhyAnUnbracketedIpv6AddressIsRefused) {
    const std::string m = message_of([] { parse_endpoint("::1:51820"); });
    EXPECT_NE(m.find("brackets"), std::string::npos) << m;
    EXPECT_NE(message_of([] { parse_endpoint("host:65536"); }).find("1 to 65535"), std::string::npos);
}

TEST(AnAddressPool, StartsAtTheSecondHostAddress) {
    EXPECT_EQ(to_string(allocate_from_pool(parse_cidr("10.8.0.0/24"), {})), "10.8.0.2/32");
    EXPECT_EQ(to_string(allocate_from_pool(parse_cidr("10.0.0.0/8"), {})), "10.0.0.2/32");
}

TEST(AnAddressPool, GivesTheFirstFreeAddress) {
    const Cidr pool = parse_cidr("10.8.0.0/24");
    EXPECT_EQ(to_string(allocate_from_pool(pool, {v4("10.8.0.2"), v4("10.8.0.3")})), "10.8.0.4/32");
    EXPECT_EQ(to_string(allocate_from_pool(pool, {v4("10.8.0.4"), v4("10.8.0.2")})), "10.8.0.3/32");
    EXPECT_EQ(to_string(allocate_from_pool(pool, {v4("10.8.0.3"), v4("10.8.0.2"), v4("10.8.0.3")})), "10.8.0.4/32");
    // Only the address of a taken entry counts, not its prefix.
    EXPECT_EQ(to_string(allocate_from_pool(pool, {v4("10.8.0.2/24")})), "10.8.0.3/32");
    // Outside the pool, network, server side, broadcast and IPv6: no effect.
    EXPECT_EQ(to_string(allocate_from_pool(pool, {v4("10.9.0.2"), v4("10.8.0.0"), v4("10.8.0.1"), v4("10.8.0.255"),
                                                  v4("fd00::2")})),
              "10.8.0.2/32");
}

TEST(AnAddressPool, FindsAGapInALargeBusyPoolQuickly) {
    std::vector<Cidr> taken;
    for (std::uint32_t i = 2; i < 200000; ++i)
        if (i != 150000) {
            Cidr c = v4("10.0.0.0");
            c.addr[1] = static_cast<std::uint8_t>(i >> 16);
            c.addr[2] = static_cast<std::uint8_t>(i >> 8);
            c.addr[3] = static_cast<std::uint8_t>(i);
            taken.push_back(c);
        }
    EXPECT_EQ(to_string(allocate_from_pool(parse_cidr("10.0.0.0/8"), taken)), "10.2.73.240/32");
}

TEST(AnAddressPool, IsExhaustedWhenASlash30HasItsOneAddressTaken) {
    const Cidr pool = parse_cidr("10.8.0.0/30");
    const Cidr first = allocate_from_pool(pool, {});
    EXPECT_EQ(to_string(first), "10.8.0.2/32");
    EXPECT_THROW(allocate_from_pool(pool, {first}), PoolExhausted);
    try {
        allocate_from_pool(pool, {first});
    } catch (const PoolExhausted& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Busy);
        const std::string m = e.what();
        EXPECT_NE(m.find("10.8.0.0/30"), std::string::npos) << m;
        EXPECT_NE(m.find("1 address"), std::string::npos) << m;
    }
}

TEST(AnAddressPool, IsExhaustedWhenEveryAddressOfASlash29IsTaken) {
    const Cidr pool = parse_cidr("192.168.7.8/29");
    std::vector<Cidr> taken;
    for (int i = 0; i < 5; ++i) taken.push_back(allocate_from_pool(pool, taken));
    EXPECT_EQ(to_string(taken.back()), "192.168.7.14/32");
    const std::string m = message_of([&] { allocate_from_pool(pool, taken); });
    EXPECT_NE(m.find("5 addresses"), std::string::npos) << m;
}

TEST(AnAddressPool, MustBeACanonicalIpv4NetworkFromSlash8ToSlash30) {
    EXPECT_THROW(allocate_from_pool(parse_cidr("10.8.0.1/24"), {}), InvalidArgument);
    EXPECT_NE(message_of([] { allocate_from_pool(parse_cidr("10.8.0.1/24"), {}); }).find("10.8.0.0/24"),
              std::string::npos);
    EXPECT_THROW(allocate_from_pool(parse_cidr("10.8.0.0/31"), {}), InvalidArgument);
    EXPECT_THROW(allocate_from_pool(parse_cidr("10.8.0.0/32"), {}), InvalidArgument);
    EXPECT_THROW(allocate_from_pool(parse_cidr("10.0.0.0/7"), {}), InvalidArgument);
    EXPECT_THROW(allocate_from_pool(Cidr{}, {}), InvalidArgument);
    const std::string m = message_of([] { allocate_from_pool(parse_cidr("fd00::/64"), {}); });
    EXPECT_NE(m.find("only IPv4 pools are supported"), std::string::npos) << m;
    EXPECT_THROW(allocate_from_pool(parse_cidr("fd00::/64"), {}), InvalidArgument);
}
