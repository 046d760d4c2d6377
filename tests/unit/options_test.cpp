// Per-subu options: known names, canonical values, fallbacks.
#include "options/options.h"

#include <gtest/gtest.h>

#include "core/errors.h"

using namespace subu::options;

TEST(AnOption, IsStoredInItsCanonicalSpelling) {
    EXPECT_EQ(normalized("steer_enabled", "off"), "off");
    EXPECT_EQ(normalized("steer_enabled", "false"), "off");
    EXPECT_EQ(normalized("local_forwarding", "yes"), "on");
    EXPECT_EQ(normalized("isolation", "strict"), "strict");
}

TEST(AnOption, RefusesUnknownNamesAndValuesSayingWhatIsKnown) {
    EXPECT_THROW(normalized("isolation", "maximal"), subu::InvalidArgument);
    EXPECT_THROW(normalized("isolation", "on"), subu::InvalidArgument);
    EXPECT_THROW(normalized("steer_enabled", "maybe"), subu::InvalidArgument);
    EXPECT_THROW(normalized("steer_enabled", ""), subu::InvalidArgument);
    EXPECT_THROW(normalized("colour", "blue"), subu::InvalidArgument);
    try {
        normalized("colour\n", "x");
        FAIL();
    } catch (const subu::InvalidArgument& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("isolation, local_forwarding, steer_enabled"), std::string::npos) << m;
        EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    }
}

TEST(TheOptions, FallBackToTheirDefaults) {
    auto all = effective({{"isolation", "quantum"}});
    EXPECT_EQ(all.at("isolation"), "quantum");
    EXPECT_EQ(all.at("local_forwarding"), "off");
    EXPECT_EQ(all.at("steer_enabled"), "on");
    EXPECT_EQ(all.size(), known().size());
}
