// `subu exec`'s transient unit: who, where, DNS, sandbox, and what is refused.
#include "service/exec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>

#include "cli/exec.h"
#include "core/errors.h"

using namespace subu;
using namespace subu::service;

namespace {

ExecSubject thomas_us(std::string isolation = "standard") {
    return {3, "Thomas_US", 1003, "/home/Thomas_US", "/bin/bash", std::move(isolation)};
}

ExecRequest run(std::vector<std::string> argv, bool tty = false, std::string term = {}) {
    return {std::move(argv), tty, std::move(term)};
}

std::optional<std::string> in_usr_bin_only(std::string_view name) {
    if (name == "curl" || name == "id") return "/usr/bin/" + std::string(name);
    return std::nullopt;
}

// A host with curl and id, the subu's resolv.conf and both host resolvers.
const ExecHost in_usr_bin{in_usr_bin_only, [](const std::string&) { return true; }};
const ExecHost bare_host{in_usr_bin_only, [](const std::string& p) { return p.starts_with("/run/netns/"); }};

const UnitProperty* find(const ExecPlan& plan, std::string_view name) {
    auto it = std::find_if(plan.properties.begin(), plan.properties.end(), [&](const auto& p) { return p.name == name; });
    return it == plan.properties.end() ? nullptr : &*it;
}

template <typename T>
T value_of(const ExecPlan& plan, std::string_view name) {
    const auto* p = find(plan, name);
    if (!p) throw std::runtime_error("no property " + std::string(name));
    return std::get<T>(p->value);
}

}  // namespace

TEST(AnExecPlan, RunsAsTheSubuInItsSliceAndNamespace) {
    auto plan = plan_exec(thomas_us(), run({"curl", "https://example.org/"}), in_usr_bin, 7);
    EXPECT_EQ(plan.unit, "subu-exec-subu_3-7.service");
    EXPECT_EQ(plan.path, "/usr/bin/curl");
    EXPECT_THAT(plan.argv, testing::ElementsAre("curl", "https://example.org/"));
    EXPECT_EQ(value_of<std::string>(plan, "User"), "Thomas_US");
    EXPECT_EQ(value_of<std::string>(plan, "Slice"), "subu-Thomas-US.slice");
    EXPECT_EQ(value_of<std::string>(plan, "NetworkNamespacePath"), "/run/netns/ns-subu_3");
    EXPECT_TRUE(value_of<bool>(plan, "AddRef"));
}

TEST(AnExecPlan, AllowsEveryNamespaceButANetworkOneAtEveryLevel) {
    for (const char* level : {"none", "standard", "strict", "quantum"}) {
        auto subject = thomas_us();
        subject.isolation = level;
        const auto allowed = value_of<std::uint64_t>(plan_exec(subject, run({"id"}), in_usr_bin, 1), "RestrictNamespaces");
        EXPECT_EQ(allowed & CLONE_NEWNET, 0u) << level;
        EXPECT_NE(allowed & CLONE_NEWUSER, 0u) << level << ": quantum's user namespace";
        EXPECT_NE(allowed & CLONE_NEWNS, 0u) << level;
    }
}

TEST(AnExecPlan, GivesTheEnvironmentOfALogin) {
    auto plan = plan_exec(thomas_us(), run({"id"}, true, "xterm-256color"), in_usr_bin, 1);
    EXPECT_THAT(value_of<std::vector<std::string>>(plan, "Environment"),
                testing::ElementsAre("HOME=/home/Thomas_US", "USER=Thomas_US", "LOGNAME=Thomas_US", "SHELL=/bin/bash",
                                     testing::StartsWith("PATH=/usr/local/bin:/usr/bin:/bin"), "TERM=xterm-256color"));
    auto piped = plan_exec(thomas_us(), run({"id"}), in_usr_bin, 1);
    for (const auto& e : value_of<std::vector<std::string>>(piped, "Environment")) EXPECT_NE(e.rfind("TERM=", 0), 0u);
}

TEST(AnExecPlan, ShowsTheSubusResolvConfAndHidesTheHostsResolvers) {
    auto plan = plan_exec(thomas_us("none"), run({"id"}), in_usr_bin, 1);
    EXPECT_THAT(value_of<std::vector<BindMount>>(plan, "BindReadOnlyPaths"),
                testing::ElementsAre(BindMount{"/etc/netns/ns-subu_3/resolv.conf", "/etc/resolv.conf", true}));
    EXPECT_THAT(value_of<std::vector<std::string>>(plan, "InaccessiblePaths"),
                testing::ElementsAre("-/run/systemd/resolve", "-/run/nscd"));
}

TEST(AnExecPlan, MountsNothingForDnsThatIsNotThere) {
    auto plan = plan_exec(thomas_us("none"), run({"id"}), bare_host, 1);
    EXPECT_EQ(find(plan, "BindReadOnlyPaths"), nullptr);
    EXPECT_EQ(find(plan, "InaccessiblePaths"), nullptr);
}

TEST(AnExecPlan, KeepsDollarSignsLiteral) {
    auto plan = plan_exec(thomas_us(), run({"/bin/sh", "-c", "echo $HOME ${USER} $$"}), in_usr_bin, 1);
    EXPECT_EQ(plan.argv[2], "echo $$HOME $${USER} $$$$");
}

TEST(AnExecPlan, RefusesBadInput) {
    EXPECT_THROW(plan_exec(thomas_us(), run({}), in_usr_bin, 1), InvalidArgument);
    EXPECT_THROW(plan_exec(thomas_us(), run({""}), in_usr_bin, 1), InvalidArgument);
    EXPECT_THROW(plan_exec(thomas_us(), run({"bin/sh"}), in_usr_bin, 1), InvalidArgument);
    EXPECT_THROW(plan_exec(thomas_us(), run({"nosuch"}), in_usr_bin, 1), NotFound);
    EXPECT_THROW(plan_exec(thomas_us(), run({"id"}, true, "xterm; rm -rf"), in_usr_bin, 1), InvalidArgument);
    EXPECT_THROW(plan_exec(thomas_us(), run(std::vector<std::string>(5000, "x")), in_usr_bin, 1), InvalidArgument);
    EXPECT_THROW(plan_exec(thomas_us("paranoid"), run({"id"}), in_usr_bin, 1), InvalidArgument);
}

TEST(AnExecPlan, NeedsTheSubusNamespace) {
    const ExecHost no_netns{in_usr_bin_only, [](const std::string& p) { return !p.starts_with("/run/netns/"); }};
    EXPECT_THROW(plan_exec(thomas_us(), run({"id"}), no_netns, 1), Failed);
}

TEST(IsolationLevels, AddUpFromNoneToQuantum) {
    EXPECT_TRUE(isolation_properties("none").empty());
    auto standard = isolation_properties("standard");
    auto strict = isolation_properties("strict");
    auto quantum = isolation_properties("quantum");
    EXPECT_THAT(standard, testing::Contains(UnitProperty{"PrivateTmp", true}));
    EXPECT_THAT(standard, testing::Contains(UnitProperty{"ProtectSystem", std::string("full")}));
    EXPECT_THAT(standard, testing::Not(testing::Contains(UnitProperty{"ProtectKernelTunables", true})))
        << "hiding the kernel's knobs costs ~50 ms a start: strict's";
    EXPECT_THAT(strict, testing::Contains(UnitProperty{"ProtectKernelTunables", true}));
    EXPECT_THAT(strict, testing::Contains(UnitProperty{"ProtectControlGroups", true}));
    EXPECT_THAT(strict, testing::Contains(UnitProperty{"ProtectSystem", std::string("strict")}));
    EXPECT_THAT(strict, testing::Contains(UnitProperty{"PrivateIPC", true}));
    EXPECT_THAT(strict, testing::Contains(UnitProperty{"ProtectProc", std::string("invisible")}));
    EXPECT_THAT(strict, testing::Not(testing::Contains(UnitProperty{"PrivateUsers", true})));
    EXPECT_THAT(quantum, testing::Contains(UnitProperty{"PrivateUsers", true}));
    EXPECT_THAT(quantum, testing::Contains(UnitProperty{"ProtectHostname", true}));
    EXPECT_GT(quantum.size(), strict.size());
    EXPECT_GT(strict.size(), standard.size());
    EXPECT_THROW(isolation_properties("Strict"), InvalidArgument);
}

TEST(IsolationLevels, MakeTheProgramRootInsideAtQuantum) {
    auto plan = plan_exec(thomas_us("quantum"), run({"id", "-u"}), in_usr_bin, 1);
    EXPECT_EQ(plan.path, "/usr/bin/unshare");
    EXPECT_THAT(plan.argv, testing::ElementsAre("unshare", "--user", "--map-root-user", "--", "/usr/bin/id", "-u"));
}

TEST(FindInPath, FindsExecutablesOnly) {
    EXPECT_EQ(find_in_path("sh", "/nonexistent:/bin"), "/bin/sh");
    EXPECT_EQ(find_in_path("passwd", "/etc"), std::nullopt) << "/etc/passwd is not executable";
    EXPECT_EQ(find_in_path("sh", ""), std::nullopt);
}

TEST(ExitStatus, IsWhatAShellWouldSay) {
    EXPECT_EQ(cli::shell_status(1, 42), 42);
    EXPECT_EQ(cli::shell_status(2, 15), 143);
    EXPECT_EQ(cli::shell_status(3, 11), 139);
    EXPECT_EQ(cli::shell_status(0, 0), -1);
}
