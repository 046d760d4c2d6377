// The CLI's own checks, before it ever reaches the bus.
#include "cli/cli.h"
#include "cli/json.h"

#include <gtest/gtest.h>

using namespace subu::cli;

TEST(TheCli, RejectsUnknownVerbsAndWrongArityAsUsageErrors) {
    EXPECT_EQ(run({"frobnicate"}), Exit::usage);
    EXPECT_EQ(run({"make"}), Exit::usage);
    EXPECT_EQ(run({"make", "Thomas"}), Exit::usage);
    EXPECT_EQ(run({"info"}), Exit::usage);
    EXPECT_EQ(run({"info", "a", "b"}), Exit::usage);
    EXPECT_EQ(run({"remove", "--force", "x"}), Exit::usage);
    EXPECT_EQ(run({"list", "extra"}), Exit::usage);
    EXPECT_EQ(run({"network", "sideways", "subu_1"}), Exit::usage);
    EXPECT_EQ(run({"network", "up"}), Exit::usage);
    EXPECT_EQ(run({"lo", "UP", "subu_1"}), Exit::usage);
    EXPECT_EQ(run({"WG"}), Exit::usage);
    EXPECT_EQ(run({"WG", "frob"}), Exit::usage);
    EXPECT_EQ(run({"WG", "make"}), Exit::usage);
    EXPECT_EQ(run({"WG", "server_provided_public_key", "WG_1"}), Exit::usage);
    EXPECT_EQ(run({"attach", "subu_1", "WG_1"}), Exit::usage);
    EXPECT_EQ(run({"detach", "WG"}), Exit::usage);
    EXPECT_EQ(run({"WG", "import", "/nonexistent/wg0.conf"}), Exit::not_found);
}

TEST(TheCli, AnswersHelpWithoutTheBus) {
    for (const char* v : {"help", "usage", "example", "version", "--help", "--version"})
        EXPECT_EQ(run({v}), Exit::ok) << v;
}

TEST(TheCli, MapsBusErrorsToDistinctExitCodes) {
    EXPECT_EQ(exit_code_for("org.subu.Error.NotFound"), Exit::not_found);
    EXPECT_EQ(exit_code_for("org.subu.Error.Exists"), Exit::exists);
    EXPECT_EQ(exit_code_for("org.subu.Error.InvalidArgument"), Exit::usage);
    EXPECT_EQ(exit_code_for("org.freedesktop.DBus.Error.AccessDenied"), Exit::denied);
    EXPECT_EQ(exit_code_for("org.subu.Error.Busy"), Exit::busy);
    EXPECT_EQ(exit_code_for("org.freedesktop.DBus.Error.ServiceUnknown"), Exit::unreachable);
    EXPECT_EQ(exit_code_for("org.subu.Error.Failed"), Exit::failed);
}

TEST(TheCli, ChecksTheServiceVerbsBeforeTheBus) {
    EXPECT_EQ(run({"service"}), Exit::usage);
    EXPECT_EQ(run({"service", "frob", "Thomas_US"}), Exit::usage);
    EXPECT_EQ(run({"service", "attach", "Thomas_US"}), Exit::usage);
    EXPECT_EQ(run({"service", "attach", "Thomas_US", "a.service", "b.service"}), Exit::usage);
    EXPECT_EQ(run({"service", "detach", "Thomas_US"}), Exit::usage);
    EXPECT_EQ(run({"service", "list"}), Exit::usage);
    EXPECT_EQ(run({"service", "list", "a", "b"}), Exit::usage);
    EXPECT_EQ(run({"service", "attach", "--force", "a.service"}), Exit::usage);
}

namespace {

// What `subu ARGS...` prints on stdout, and its exit code.
std::pair<std::string, int> output_of(const std::vector<std::string>& args) {
    testing::internal::CaptureStdout();
    const int code = run(args);
    return {testing::internal::GetCapturedStdout(), code};
}

}  // namespace

TEST(TheCli, PrintsTheManualWhenGivenNoVerb) {
    auto [text, code] = output_of({});
    EXPECT_EQ(code, Exit::ok);
    EXPECT_NE(text.find("SYNOPSIS"), std::string::npos);
}

TEST(TheCli, PrintsTheVersionForDashCapitalV) {
    auto [text, code] = output_of({"-V"});
    EXPECT_EQ(code, Exit::ok);
    EXPECT_EQ(text, output_of({"version"}).first);
    EXPECT_EQ(text.rfind("subu ", 0), 0u);
}

TEST(TheCli, AnswersEveryVerbsHelpWithItsUsageAndExitsZero) {
    const std::vector<std::vector<std::string>> verbs = {
        {"make"}, {"remove"}, {"list"}, {"info"}, {"information"}, {"network"}, {"lo"}, {"option"},
        {"option", "set"}, {"option", "get"}, {"option", "list"}, {"option", "remove"}, {"exec"}, {"WG"},
        {"WG", "global"}, {"WG", "make"}, {"WG", "import"}, {"WG", "list"}, {"WG", "info"},
        {"WG", "server_provided_public_key"}, {"WG", "up"}, {"WG", "down"}, {"WG", "remove"}, {"attach"},
        {"detach"}, {"service"}, {"service", "attach"}, {"service", "detach"}, {"service", "list"}, {"init"},
        {"help"}, {"usage"}, {"example"}, {"version"}};
    for (auto args : verbs) {
        const std::string name = args.size() > 1 ? args[0] + " " + args[1] : args[0];
        for (const char* flag : {"--help", "-h"}) {
            auto with = args;
            with.push_back(flag);
            auto [text, code] = output_of(with);
            EXPECT_EQ(code, Exit::ok) << name << " " << flag;
            EXPECT_NE(text.find("subu " + (args[0] == "information" ? std::string("info") : args[0])), std::string::npos)
                << name << " " << flag << ": " << text;
        }
    }
    auto [make, code] = output_of({"make", "Thomas", "--help"});
    EXPECT_EQ(code, Exit::ok);
    EXPECT_EQ(make.rfind("Usage: subu make OWNER NAME", 0), 0u) << make;
    EXPECT_NE(output_of({"option", "remove", "--help"}).first.find("Usage: subu option remove SUBU NAME"), std::string::npos);
    EXPECT_NE(output_of({"WG", "info", "--help"}).first.find("Usage: subu WG info WG [--json]"), std::string::npos);
    EXPECT_EQ(output_of({"help", "make"}).first, make);
    EXPECT_EQ(run({"frobnicate", "--help"}), Exit::usage);
    EXPECT_EQ(run({"help", "frobnicate"}), Exit::usage);
}

TEST(TheCli, TakesJsonOnlyForTheViews) {
    EXPECT_EQ(run({"make", "Thomas", "US", "--json"}), Exit::usage);
    EXPECT_EQ(run({"option", "get", "Thomas_US", "isolation", "--json"}), Exit::usage);
    EXPECT_EQ(run({"service", "attach", "Thomas_US", "a.service", "--json"}), Exit::usage);
    EXPECT_EQ(run({"WG", "make", "h:1", "--json"}), Exit::usage);
    EXPECT_EQ(run({"list", "extra", "--json"}), Exit::usage);
    EXPECT_EQ(run({"info", "--json"}), Exit::usage);
    EXPECT_EQ(run({"option", "list", "--json"}), Exit::usage);
}

TEST(TheCli, ChecksOptionRemoveBeforeTheBus) {
    EXPECT_EQ(run({"option", "remove", "Thomas_US"}), Exit::usage);
    EXPECT_EQ(run({"option", "remove", "Thomas_US", "isolation", "extra"}), Exit::usage);
}

TEST(JsonText, EscapesQuotesBackslashesAndControlCharacters) {
    using subu::cli::json::string;
    EXPECT_EQ(string(""), "\"\"");
    EXPECT_EQ(string("Thomas_US"), "\"Thomas_US\"");
    EXPECT_EQ(string("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
    EXPECT_EQ(string("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
    EXPECT_EQ(string(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\\u007f\"");
    EXPECT_EQ(string(std::string("nul\0here", 8)), "\"nul\\u0000here\"");
}

TEST(JsonText, PassesUtf8ThroughAndReplacesBytesThatAreNot) {
    using subu::cli::json::string;
    EXPECT_EQ(string("Zoë 日本 🦀"), "\"Zoë 日本 🦀\"");
    EXPECT_EQ(string("\xff"), "\"\\ufffd\"");
    EXPECT_EQ(string("a\xc3"), "\"a\\ufffd\"") << "a sequence cut short";
    EXPECT_EQ(string("\xc0\xaf"), "\"\\ufffd\\ufffd\"") << "an overlong '/'";
    EXPECT_EQ(string("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"") << "a surrogate";
}

TEST(JsonText, WritesNumbersBooleansNullsObjectsAndArrays) {
    namespace json = subu::cli::json;
    EXPECT_EQ(json::number(18446744073709551615ull), "18446744073709551615");
    EXPECT_EQ(json::boolean(true), "true");
    EXPECT_EQ(json::string_or_null(""), "null");
    EXPECT_EQ(json::object({}), "{}");
    EXPECT_EQ(json::array({}), "[]");
    EXPECT_EQ(json::object({{"id", json::string("subu_1")}, {"uid", json::number(2001)},
                            {"list", json::array({json::boolean(false), "null"})}}),
              "{\"id\": \"subu_1\", \"uid\": 2001, \"list\": [false, null]}");
}
