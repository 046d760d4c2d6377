// Name rules: tokens, full names, ids.
#include "names/names.h"

#include <gtest/gtest.h>

#include "core/errors.h"

using subu::InvalidArgument;
using namespace subu::names;

TEST(ASubuPath, JoinsTokensWithUnderscores) {
    EXPECT_EQ(full_name({"Thomas", "US"}), "Thomas_US");
    EXPECT_EQ(full_name({"Thomas", "US", "Rabbit"}), "Thomas_US_Rabbit");
    EXPECT_EQ(full_name({"Thomas", "new-subu"}), "Thomas_new-subu");
}

TEST(ASubuPath, NeedsAtLeastTwoTokens) {
    EXPECT_THROW(full_name({}), InvalidArgument);
    EXPECT_THROW(full_name({"Thomas"}), InvalidArgument);
}

TEST(ASubuName, RejectsUnderscoreInsideAToken) { EXPECT_THROW(full_name({"Thomas", "U_S"}), InvalidArgument); }

TEST(ASubuName, RejectsEveryHostileToken) {
    for (const char* bad : {"", "a/b", "..", ".", "a b", "a\nb", "a%b", "\xc3\xa9", "-x", "a\tb", "a.b", "a;b",
                            "a$b", "a\\b", "a\"b", "*", "a@b"}) {
        EXPECT_THROW(full_name({"Thomas", bad}), InvalidArgument) << "token: " << bad;
        EXPECT_THROW(full_name({bad, "US"}), InvalidArgument) << "owner: " << bad;
    }
}

TEST(ASubuName, AcceptsThirtyOneCharactersAndRejectsThirtyTwo) {
    EXPECT_EQ(full_name({"Thomas", std::string(24, 'a')}).size(), 31u);
    EXPECT_THROW(full_name({"Thomas", std::string(25, 'a')}), InvalidArgument);
}

TEST(ASubuName, ExplainsWhatIsWrong) {
    try {
        full_name({"Thomas", "U_S"});
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("'_'"), std::string::npos) << e.what();
    }
    try {
        full_name({"Thomas", "a\nb"});
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "raw newline in message";
    }
}

TEST(ASubuId, ParsesOnlyCanonicalIds) {
    EXPECT_EQ(parse_subu_id("subu_1"), 1u);
    EXPECT_EQ(parse_subu_id("subu_42"), 42u);
    for (const char* bad : {"subu_", "subu_0", "subu_01", "subu_-1", "subu_1x", "Subu_1", "subu_9999999999", "WG_1", ""})
        EXPECT_FALSE(parse_subu_id(bad).has_value()) << bad;
}

TEST(DerivedNames, FollowTheDesign) {
    EXPECT_EQ(subu_id(7), "subu_7");
    EXPECT_EQ(netns_name(7), "ns-subu_7");
    EXPECT_EQ(parent_name("Thomas_US_Rabbit"), "Thomas_US");
    EXPECT_EQ(incommon_group("Thomas"), "Thomas-incommon");
}

TEST(AReference, IsPlausibleOnlyWhenPrintableAndShort) {
    EXPECT_TRUE(plausible_reference("subu_1"));
    EXPECT_TRUE(plausible_reference("Thomas_US"));
    EXPECT_FALSE(plausible_reference(""));
    EXPECT_FALSE(plausible_reference("a/b"));
    EXPECT_FALSE(plausible_reference("a\nb"));
    EXPECT_FALSE(plausible_reference(std::string(32, 'a')));
}
