// The CLI's own checks, before it ever reaches the bus.
#include "cli/cli.h"

#include <gtest/gtest.h>

using namespace subu::cli;

TEST(TheCli, RejectsUnknownVerbsAndWrongArityAsUsageErrors) {
    EXPECT_EQ(run({}), Exit::usage);
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
