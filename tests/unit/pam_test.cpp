// pam_subu's decisions: its arguments, which users it leaves alone, where a subu's session goes, what it refuses.
#include "pam/placement.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace subu::pam;
using ::testing::HasSubstr;

namespace {

const std::string export_path = "/etc/subu/subus";
const std::string header = "# subu export 1: written by subu-manager on every change, read by subu-generator at boot.\n";
const std::string two_subus = header +
                              "subu_3\tThomas_US\t-\tup\tdown\n"
                              "subu_7\tThomas_US_Rabbit\tsubu_3\tdown\tdown\n"
                              "subu_9\tThomas_new-subu\t-\tup\tup\n";

ExportFile read(std::string text) { return {ExportFile::State::Read, std::move(text), {}}; }
const ExportFile missing{ExportFile::State::Missing, {}, "No such file or directory"};
const ExportFile unreadable{ExportFile::State::Unreadable, {}, "Permission denied"};

std::optional<Account> account(std::string name, std::uint32_t uid = 1003) { return Account{std::move(name), uid}; }

Decision decide_for(std::string_view user, const ExportFile& file = read(two_subus)) {
    return decide(user, account(std::string(user)), file, export_path);
}

}  // namespace

TEST(PamSubuArguments, DefaultToTheBootExportWithoutDebug) {
    const auto p = parse_options({});
    EXPECT_FALSE(p.options.debug);
    EXPECT_EQ(p.options.export_path, "/etc/subu/subus");
    EXPECT_TRUE(p.problems.empty());
}

TEST(PamSubuArguments, TakeDebugAndAnotherExport) {
    const auto p = parse_options({"debug", "export=/var/tmp/test-export"});
    EXPECT_TRUE(p.options.debug);
    EXPECT_EQ(p.options.export_path, "/var/tmp/test-export");
    EXPECT_TRUE(p.problems.empty());
}

TEST(PamSubuArguments, KeepTheBootExportWhenTheOtherIsNotAbsolute) {
    for (const auto* arg : {"export=", "export=subus", "export=./subus"}) {
        const auto p = parse_options({arg});
        EXPECT_EQ(p.options.export_path, "/etc/subu/subus") << arg;
        ASSERT_EQ(p.problems.size(), 1u) << arg;
        EXPECT_THAT(p.problems[0], HasSubstr("needs an absolute path"));
    }
}

TEST(PamSubuArguments, ReportAnUnknownArgumentAndGoOn) {
    const auto p = parse_options({"debgu", "debug"});
    EXPECT_TRUE(p.options.debug);
    ASSERT_EQ(p.problems.size(), 1u);
    EXPECT_THAT(p.problems[0], HasSubstr("unknown argument \"debgu\""));
    EXPECT_THAT(p.problems[0], HasSubstr("debug and export=PATH"));
}

TEST(PamSubuNames, OnlyNamesOfAtLeastTwoValidTokensCouldBeASubu) {
    for (const auto* yes : {"Thomas_US", "Thomas_US_Rabbit", "Thomas_new-subu", "a_b", "u1_2"})
        EXPECT_TRUE(could_be_subu(yes)) << yes;
    for (const auto* no : {"root", "Thomas", "_apt", "Thomas_", "Thomas__US", "Thomas_-US", "thomas.x_US",
                           "Thomas_US\n", "", "Thomas_US_0123456789012345678901"})
        EXPECT_FALSE(could_be_subu(no)) << no;
}

TEST(PamSubuDecision, LeavesRootAndPeopleAloneWhateverTheExport) {
    for (const auto& file : {read(two_subus), missing, unreadable, read("garbage")}) {
        EXPECT_EQ(decide_for("root", file).kind, Decision::Kind::Ignore);
        EXPECT_EQ(decide_for("Thomas", file).kind, Decision::Kind::Ignore);
    }
}

TEST(PamSubuDecision, PlacesASubuInItsNamespaceWithItsDns) {
    const auto d = decide_for("Thomas_US");
    ASSERT_EQ(d.kind, Decision::Kind::Place) << d.message;
    EXPECT_EQ(d.placement.subu, "Thomas_US");
    EXPECT_EQ(d.placement.num, 3u);
    EXPECT_EQ(d.placement.netns_path, "/run/netns/ns-subu_3");
    EXPECT_EQ(d.placement.resolv_conf, "/etc/netns/ns-subu_3/resolv.conf");
    EXPECT_EQ(d.placement.netns_unit, "subu-netns@Thomas_US.service");
}

TEST(PamSubuDecision, PlacesANestedSubuInItsOwnNamespace) {
    const auto d = decide_for("Thomas_US_Rabbit");
    ASSERT_EQ(d.kind, Decision::Kind::Place) << d.message;
    EXPECT_EQ(d.placement.netns_path, "/run/netns/ns-subu_7");
}

TEST(PamSubuDecision, NamesTheNamespaceUnitEscaped) {
    const auto d = decide_for("Thomas_new-subu");
    ASSERT_EQ(d.kind, Decision::Kind::Place) << d.message;
    EXPECT_EQ(d.placement.netns_unit, "subu-netns@Thomas_new\\x2dsubu.service");
}

TEST(PamSubuDecision, GoesByThePasswdSpellingOfTheName) {
    const auto d = decide("thomas_us", account("Thomas_US"), read(two_subus), export_path);
    ASSERT_EQ(d.kind, Decision::Kind::Place) << d.message;
    EXPECT_EQ(d.placement.subu, "Thomas_US");
}

TEST(PamSubuDecision, LeavesAUserNamedLikeASubuButNotInTheExportAlone) {
    const auto d = decide_for("Thomas_DE");
    EXPECT_EQ(d.kind, Decision::Kind::Ignore);
    EXPECT_THAT(d.message, HasSubstr("not a subu in /etc/subu/subus"));
}

TEST(PamSubuDecision, LeavesEveryoneAloneWhereNoExportWasEverWritten) {
    EXPECT_EQ(decide_for("Thomas_US", missing).kind, Decision::Kind::Ignore);
}

TEST(PamSubuDecision, RefusesANameThatCouldBeASubuWhenTheExportCannotBeRead) {
    const auto d = decide_for("Thomas_US", unreadable);
    ASSERT_EQ(d.kind, Decision::Kind::Refuse);
    EXPECT_THAT(d.message, HasSubstr("Refusing the session of \"Thomas_US\""));
    EXPECT_THAT(d.message, HasSubstr("/etc/subu/subus cannot be read (Permission denied)"));
    EXPECT_THAT(d.message, HasSubstr("systemctl restart subu-manager"));
    EXPECT_EQ(decide_for("Thomas_DE", unreadable).kind, Decision::Kind::Refuse);
}

TEST(PamSubuDecision, RefusesANameThatCouldBeASubuWhenTheExportIsDamaged) {
    for (const auto& text : {std::string(), std::string("not an export\n"), header + "subu_3\tThomas_US\t-\tup\n"}) {
        const auto d = decide_for("Thomas_US", read(text));
        ASSERT_EQ(d.kind, Decision::Kind::Refuse) << text;
        EXPECT_THAT(d.message, HasSubstr("/etc/subu/subus is damaged"));
    }
}

TEST(PamSubuDecision, StillPlacesASubuWhoseOwnLineIsSoundInADamagedExport) {
    const auto d = decide_for("Thomas_US", read(two_subus + "subu_4\tThomas_DE\t-\tsideways\tdown\n"));
    EXPECT_EQ(d.kind, Decision::Kind::Place) << d.message;
    EXPECT_EQ(decide_for("Thomas_DE", read(two_subus + "subu_4\tThomas_DE\t-\tsideways\tdown\n")).kind,
              Decision::Kind::Refuse);
}

TEST(PamSubuDecision, RefusesASubuWithoutAPasswdEntry) {
    const auto d = decide("Thomas_US", std::nullopt, read(two_subus), export_path);
    ASSERT_EQ(d.kind, Decision::Kind::Refuse);
    EXPECT_THAT(d.message, HasSubstr("no passwd entry"));
}

TEST(PamSubuDecision, RefusesAPasswdEntryWhoseUidIsNotTheSubusOwn) {
    const std::string v2 = "# subu export 2: written by subu-manager on every change, read by subu-generator at boot.\n"
                           "subu_3\tThomas_US\t-\tup\tdown\t1003\n";
    EXPECT_EQ(decide("Thomas_US", account("Thomas_US", 1003), read(v2), export_path).kind, Decision::Kind::Place);
    const auto d = decide("Thomas_US", account("Thomas_US", 1777), read(v2), export_path);
    EXPECT_EQ(d.kind, Decision::Kind::Refuse);
    EXPECT_THAT(d.message, HasSubstr("not the uid 1003"));
}
