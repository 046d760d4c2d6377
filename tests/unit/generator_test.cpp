// subu-generator end to end (golden trees, systemd-analyze verify) and its parts: export parser, escaping, unit names.
#include "support/sample_export.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <utility>

#include "export/export.h"
#include "export/parse.h"
#include "core/text.h"
#include "names/names.h"
#include "units/escape.h"
#include "units/render.h"
#include "units/service_name.h"

extern char** environ;

using namespace subu;
namespace fs = std::filesystem;

namespace {

// Format 1, as an export from before an upgrade has it: still read.
constexpr std::string_view header =
    "# subu export 1: written by subu-manager on every change, read by subu-generator at boot. Do not edit.\n"
    "# id\tname\tparent\tnetwork\tloopback\n";
constexpr std::string_view header_v2 =
    "# subu export 2: written by subu-manager on every change, read by subu-generator at boot. Do not edit.\n"
    "# id\tname\tparent\tnetwork\tloopback\tuid\n";

struct Ran {
    int exit_code = -1;
    std::string output;  // stdout and stderr together
};

// Runs argv[0] (an absolute path) with the test's environment plus `env`, never through a shell.
Ran run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
    std::vector<std::string> env_strings(env);
    for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
    std::vector<char*> envp, args;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_copy(argv);
    for (auto& s : argv_copy) args.push_back(s.data());
    args.push_back(nullptr);

    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) < 0) return {};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid = -1;
    const int err = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    Ran r;
    if (err != 0) {
        close(pipe_fds[0]);
        r.output = "cannot run " + argv[0];
        return r;
    }
    char buf[4096];
    for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        r.output.append(buf, static_cast<std::size_t>(n));
    }
    close(pipe_fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void spill(const fs::path& p, std::string_view text) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

// Generators write to a tmpfs (/run/systemd/generator); a disk here makes the
// big case take seconds, not milliseconds. TMPDIR still wins when set.
fs::path scratch_base() {
    struct statfs sf {};
    if (!std::getenv("TMPDIR") && statfs("/dev/shm", &sf) == 0 && sf.f_type == TMPFS_MAGIC &&
        access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return fs::temp_directory_path();
}

// A fresh directory, removed with all in it when the test ends, passed or not.
class ScratchDir {
public:
    explicit ScratchDir(const std::string& name)
        : path_(scratch_base() / ("subu-generator-test-" + std::to_string(getpid()) + "-" + name)) {
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ScratchDir(ScratchDir&& o) noexcept : path_(std::exchange(o.path_, {})) {}
    ~ScratchDir() {
        std::error_code ec;
        if (!path_.empty()) fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    operator const fs::path&() const { return path_; }
    fs::path operator/(const fs::path& p) const { return path_ / p; }

private:
    fs::path path_;
};

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

// The tree below `root` as one text: per entry in path order "=== PATH" and the
// file's content, or "=== PATH -> TARGET" for a symlink; the generator's
// messages last, after "--- messages ---". The input's own path is shown as /etc/subu/subus, where the
// generator reads it at boot, so the text does not depend on the checkout.
std::string manifest(const fs::path& root, const std::string& messages, const std::string& input_path) {
    std::map<std::string, std::string> entries;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        const auto rel = it->path().lexically_relative(root).string();
        const auto st = it->symlink_status();
        if (fs::is_symlink(st)) {
            entries[rel] = "=== " + rel + " -> " + fs::read_symlink(it->path()).string() + "\n";
        } else if (fs::is_regular_file(st)) {
            auto text = slurp(it->path());
            if (!text.empty() && text.back() != '\n') text += "\n\\ no newline at end of file\n";
            entries[rel] = "=== " + rel + "\n" + text;
        } else if (fs::is_directory(st) && fs::is_empty(it->path())) {
            entries[rel] = "=== " + rel + "/ (empty directory)\n";
        } else if (!fs::is_directory(st)) {
            entries[rel] = "=== " + rel + " (neither file, symlink nor directory)\n";
        }
    }
    std::string out = entries.empty() ? "(nothing generated)\n" : "";
    for (const auto& [path, text] : entries) out += text;
    if (!messages.empty()) out += "--- messages ---\n" + messages;
    return replace_all(out, input_path, exporting::default_path);
}

struct Generated {
    Ran ran;
    ScratchDir dir;
};

// Runs the real binary as systemd would, into a fresh directory, messages on stderr.
Generated generate(const fs::path& input, const std::string& name) {
    ScratchDir dir("out-" + name);
    const auto out = dir.path().string();
    Ran ran = run({SUBU_GENERATOR_PATH, out, out + ".early", out + ".late"},
                  {"SUBU_EXPORT=" + input.string(), "SYSTEMD_LOG_TARGET=console"});
    return {std::move(ran), std::move(dir)};
}

// Passes a generated tree, with the unit templates it extends, through
// `systemd-analyze verify`. A private root keeps the host's units and
// configuration out: the tree goes where runtime units live, the templates and
// the stock targets where installed units do, and each ExecStart= program is a
// stub, as the build host need not have subu installed. systemd-analyze warns
// and still exits 0 on a bad key or link, so any output at all is a failure.
// Verifying a unit costs about 5 ms: for a big tree, `stride` picks every
// n-th slice and service, and multi-user.target still pulls in every link.
Ran verify(const fs::path& tree, const std::string& name, std::size_t stride = 1) {
    const ScratchDir root("verify-" + name);
    const auto runtime = root / "run/systemd/system", installed = root / "lib/systemd/system";
    fs::create_directories(runtime);
    fs::create_directories(installed);
    fs::copy(tree, runtime, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    for (const auto& e : fs::directory_iterator("/lib/systemd/system"))
        if (e.path().extension() == ".target" && fs::is_regular_file(e.path()))
            fs::copy_file(e.path(), installed / e.path().filename());
    // A unit file, installed with a stub for each program it runs.
    const auto install = [&](const fs::path& name, const std::string& text) {
        spill(installed / name, text);
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
            if (line.rfind("Exec", 0) != 0 || line.find('=') == std::string::npos) continue;
            auto cmd = line.substr(line.find('=') + 1);
            cmd.erase(0, cmd.find_first_not_of("-@:+!"));  // systemd.service(5)'s command prefixes
            cmd = cmd.substr(0, cmd.find(' '));
            if (cmd.empty() || cmd[0] != '/') continue;
            spill(root / cmd.substr(1), "#!/bin/sh\nexit 0\n");
            fs::permissions(root / cmd.substr(1),
                            fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
        }
    };
    for (const auto& e : fs::directory_iterator(SUBU_UNITS_DIR))
        if (e.path().extension() == ".service") install(e.path().filename(), slurp(e.path()));
    // What the drop-ins extend: the user manager as the host has it, with
    // its slices, and a stand-in for each attached service (the build host
    // has none of them).
    for (const char* name : {"user@.service", "user-runtime-dir@.service", "user.slice"})
        if (fs::exists(fs::path("/lib/systemd/system") / name))
            install(name, slurp(fs::path("/lib/systemd/system") / name));
    for (const auto& e : fs::directory_iterator(tree)) {
        const auto file = e.path().filename().string();
        if (e.path().extension() != ".d" || file.rfind("user@", 0) == 0) continue;
        auto unit = file.substr(0, file.size() - 2);
        if (const auto at = unit.find('@'); at != std::string::npos) unit = unit.substr(0, at + 1) + ".service";
        install(unit, "[Unit]\nDescription=An attached service's stand-in\n\n[Service]\nExecStart=/usr/bin/stand-in\n");
    }

    std::vector<std::string> argv = {"/usr/bin/systemd-analyze", "verify", "--man=no",
                                     "--root=" + root.path().string()};
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(tree)) {
        const auto file = e.path().filename().string();
        if (file == units::wants_dir) argv.push_back("multi-user.target");
        if (n++ % stride != 0) continue;
        if (e.path().extension() == ".slice") argv.push_back(file);
        if (e.path().extension() == ".d") argv.push_back(file.substr(0, file.size() - 2));
    }
    Ran r = run(argv, {"SYSTEMD_PAGER=cat", "SYSTEMD_COLORS=0"});
    if (r.exit_code == 0 && !r.output.empty()) r.exit_code = 1;
    return r;
}

std::vector<std::string> golden_cases() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(SUBU_GOLDEN_DIR))
        if (e.path().extension() == ".input") out.push_back(e.path().stem().string());
    std::sort(out.begin(), out.end());
    return out;
}

class AGoldenCase : public testing::TestWithParam<std::string> {};

TEST_P(AGoldenCase, GivesExactlyTheExpectedTreeAndMessages) {
    const fs::path input = fs::path(SUBU_GOLDEN_DIR) / (GetParam() + ".input");
    const fs::path expected = fs::path(SUBU_GOLDEN_DIR) / (GetParam() + ".expected");
    const auto g = generate(input, GetParam());
    ASSERT_EQ(g.ran.exit_code, 0) << g.ran.output;
    const auto actual = manifest(g.dir, g.ran.output, input.string());
    if (const char* u = std::getenv("SUBU_UPDATE_GOLDEN"); u && std::string_view(u) == "1") spill(expected, actual);
    ASSERT_TRUE(fs::exists(expected)) << expected << " is missing; SUBU_UPDATE_GOLDEN=1 writes it";
    EXPECT_EQ(actual, slurp(expected));
}

TEST_P(AGoldenCase, PassesSystemdAnalyzeVerify) {
    const auto g = generate(fs::path(SUBU_GOLDEN_DIR) / (GetParam() + ".input"), GetParam());
    ASSERT_EQ(g.ran.exit_code, 0);
    if (fs::is_empty(g.dir)) GTEST_SKIP() << "no units to verify";
    const auto r = verify(g.dir, GetParam());
    EXPECT_EQ(r.exit_code, 0) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Cases, AGoldenCase, testing::ValuesIn(golden_cases()),
                         [](const testing::TestParamInfo<std::string>& i) { return replace_all(i.param, "-", "_"); });

std::string big_export(std::size_t n) { return subu::samples::sample_export(n); }

TEST(TheGenerator, GivesAThousandSubusTheirUnits) {
    const ScratchDir d("thousand-input");
    const auto input = d / "subus";
    spill(input, big_export(1000));
    const auto parsed = exporting::parse_export(big_export(1000));
    ASSERT_TRUE(parsed.problems.empty()) << parsed.problems.front();
    ASSERT_EQ(parsed.rows.size(), 1000u);

    const auto g = generate(input, "thousand");
    ASSERT_EQ(g.ran.exit_code, 0);
    EXPECT_EQ(g.ran.output, "");
    std::size_t slices = 0, others = 0, links = 0, up_links = 0;
    for (auto it = fs::recursive_directory_iterator(g.dir); it != fs::recursive_directory_iterator(); ++it) {
        const auto rel = it->path().lexically_relative(g.dir).string();
        if (it->is_symlink()) {
            ++links;
            if (rel.rfind("multi-user.target.wants/subu@", 0) == 0) ++up_links;
        } else if (it->is_regular_file()) {
            (rel.size() > 6 && rel.substr(rel.size() - 6) == ".slice" ? slices : others)++;
        }
    }
    ASSERT_EQ(parsed.services.size(), 100u);
    EXPECT_EQ(slices, 1000u);
    EXPECT_EQ(others, 1100u) << "a user manager drop-in for each subu, one for each attached service";
    EXPECT_TRUE(fs::is_regular_file(g.dir / "user@100999.service.d/50-subu.conf"));
    EXPECT_TRUE(fs::is_regular_file(g.dir / "svc-1000.service.d/50-subu.conf"));
    EXPECT_EQ(up_links, 500u);
    EXPECT_EQ(links, 2500u) << "each slice and namespace wanted, and the subus that are up";

    // Every fourth subu opens a tree three deep: 997 is masu3_s997, 999 its grandchild.
    const auto row = *std::find_if(parsed.rows.begin(), parsed.rows.end(), [](auto& r) { return r.num == 999; });
    EXPECT_EQ(row.name, "masu3_s997_s998_s999");
    EXPECT_EQ(slurp(g.dir / "subu-masu3-s997-s998-s999.slice"),
              "# Automatically generated by subu-generator\n\n[Unit]\nDescription=subu masu3_s997_s998_s999 "
              "(subu_999)\nSourcePath=" +
                  input.string() +
                  "\nRequires=subu-bpf.service\nAfter=subu-bpf.service\nBefore=slices.target\n\n[Slice]\n"
                  "BPFProgram=sock_create:/sys/fs/bpf/subu/sock_create\nBPFProgram=connect4:/sys/fs/bpf/subu/connect4\n"
                  "BPFProgram=connect6:/sys/fs/bpf/subu/connect6\nBPFProgram=sendmsg4:/sys/fs/bpf/subu/sendmsg4\n"
                  "BPFProgram=sendmsg6:/sys/fs/bpf/subu/sendmsg6\nBPFProgram=setsockopt:/sys/fs/bpf/subu/setsockopt\n");
    EXPECT_EQ(fs::read_symlink(g.dir / "multi-user.target.wants/subu-masu6-s993-s994-s\\x2d995.slice"),
              "../subu-masu6-s993-s994-s\\x2d995.slice");
    EXPECT_EQ(fs::read_symlink(g.dir / "multi-user.target.wants/subu@masu6_s\\x2d1000.service"),
              "/lib/systemd/system/subu@.service");
    EXPECT_FALSE(fs::exists(g.dir / "multi-user.target.wants/subu@masu3_s997_s998_s999.service"));
    EXPECT_TRUE(fs::is_symlink(g.dir / "multi-user.target.wants/subu-netns@masu3_s997_s998_s999.service"));

    const auto r = verify(g.dir, "thousand", 50);
    EXPECT_EQ(r.exit_code, 0) << r.output.substr(0, 2000);
}

TEST(TheVerifyCheck, FailsForABrokenSliceOrLink) {
    const ScratchDir d("broken-input");
    spill(d / "subus", std::string(header) + "subu_1\tThomas_US\t-\tup\tdown\n");
    const auto g = generate(d / "subus", "broken");
    ASSERT_EQ(verify(g.dir, "sound").exit_code, 0);

    const auto unit = g.dir / "subu-Thomas-US.slice";
    const auto good = slurp(unit);
    spill(unit, replace_all(good, "Before=", "Befor="));
    EXPECT_NE(verify(g.dir, "unknown-key").exit_code, 0);
    spill(unit, replace_all(good, "[Slice]", "[Service]"));
    EXPECT_NE(verify(g.dir, "not-a-slice").exit_code, 0);
    spill(unit, good);

    // The drop-ins are verified with the units they extend.
    spill(d / "subus2", std::string(header_v2) + "subu_1\tThomas_US\t-\tup\tdown\t1001\n" +
                            "service\tsubu_1\tprobe.service\tThomas_US\n");
    const auto g2 = generate(d / "subus2", "broken-dropins");
    ASSERT_EQ(verify(g2.dir, "sound-dropins").exit_code, 0);
    for (const char* dropin : {"user@1001.service.d/50-subu.conf", "probe.service.d/50-subu.conf"}) {
        const auto good_dropin = slurp(g2.dir / dropin);
        spill(g2.dir / dropin, replace_all(good_dropin, "NetworkNamespacePath=", "NetworkNamespacePat="));
        EXPECT_NE(verify(g2.dir, "unknown-key-dropin").exit_code, 0) << dropin;
        spill(g2.dir / dropin, good_dropin);
    }

    const auto link = g.dir / "multi-user.target.wants/subu@Thomas_US.service";
    fs::remove(link);
    fs::create_symlink("/lib/systemd/system/subu-netns@.service", link);
    EXPECT_NE(verify(g.dir, "wrong-link").exit_code, 0);
}

TEST(TheGenerator, SaysSoAndMakesNothingWhenTheExportIsMissing) {
    const auto g = generate("/nonexistent/subu/subus", "missing");
    EXPECT_EQ(g.ran.exit_code, 0);
    EXPECT_EQ(g.ran.output,
              "subu-generator: /nonexistent/subu/subus does not exist, so there are no subu units "
              "(subu-manager writes it when it starts)\n");
    EXPECT_TRUE(fs::is_empty(g.dir));
}

TEST(TheGenerator, MakesNothingOfADirectoryInPlaceOfTheExport) {
    const ScratchDir d("dir-input");
    const auto g = generate(d, "dir-input");
    EXPECT_EQ(g.ran.exit_code, 0);
    EXPECT_NE(g.ran.output.find("is not a regular file"), std::string::npos) << g.ran.output;
    EXPECT_TRUE(fs::is_empty(g.dir));
}

TEST(TheGenerator, CapsItsMessagesForAHopelessExport) {
    const ScratchDir d("many-problems");
    std::string text(header);
    for (int i = 1; i <= 50; ++i) text += "subu_" + std::to_string(i) + "\tbad\n";
    spill(d / "subus", text);
    const auto g = generate(d / "subus", "many-problems");
    EXPECT_EQ(g.ran.exit_code, 0);
    EXPECT_EQ(std::count(g.ran.output.begin(), g.ran.output.end(), '\n'), 21);
    EXPECT_NE(g.ran.output.find("subu-generator: ... and 30 more problems\n"), std::string::npos);
}

TEST(TheGenerator, EnablesNothingWhenAUnitFileCannotBeWritten) {
    const ScratchDir d("blocked-input");
    spill(d / "subus", std::string(header) + "subu_1\tThomas_US\t-\tup\tdown\nsubu_2\tThomas_UK\t-\tup\tdown\n");
    const ScratchDir out("blocked-out");
    spill(out / "subu-Thomas-UK.slice", "in the way\n");  // a stale file O_EXCL must not overwrite
    const auto r = run({SUBU_GENERATOR_PATH, out.path().string()},
                       {"SUBU_EXPORT=" + (d / "subus").string(), "SYSTEMD_LOG_TARGET=console"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("cannot write " + out.path().string() + "/subu-Thomas-UK.slice: File exists"),
              std::string::npos)
        << r.output;
    EXPECT_EQ(slurp(out / "subu-Thomas-UK.slice"), "in the way\n");
    EXPECT_FALSE(fs::exists(out / units::wants_dir));
}

TEST(TheGenerator, RefusesWrongUsageButAnswersHelp) {
    EXPECT_EQ(run({SUBU_GENERATOR_PATH}).exit_code, 2);
    EXPECT_EQ(run({SUBU_GENERATOR_PATH, "/tmp", "/tmp"}).exit_code, 2);
    EXPECT_EQ(run({SUBU_GENERATOR_PATH, "--frobnicate"}).exit_code, 2);
    const auto help = run({SUBU_GENERATOR_PATH, "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.output.find("systemd.generator(7)"), std::string::npos);
}

TEST(TheExportParser, ReadsBackWhatTheManagerWrites) {
    store::SubuRow a, b, c;
    a.num = 1, a.name = "Thomas_US", a.state = store::RowState::Ready, a.network = "up";
    b.num = 2, b.name = "Thomas_US_Rabbit", b.parent = 1, b.state = store::RowState::Ready, b.loopback = "up";
    c.num = 3, c.name = "Thomas_new-subu", c.state = store::RowState::Ready;
    const auto p = exporting::parse_export(exporting::render({a, b, c}));
    EXPECT_TRUE(p.problems.empty());
    ASSERT_EQ(p.rows.size(), 3u);
    EXPECT_EQ(p.rows[1].num, 2u);
    EXPECT_EQ(p.rows[1].id, "subu_2");
    EXPECT_EQ(p.rows[1].name, "Thomas_US_Rabbit");
    EXPECT_EQ(p.rows[1].parent_id, "subu_1");
    EXPECT_EQ(p.rows[1].network, "down");
    EXPECT_EQ(p.rows[1].loopback, "up");
    EXPECT_EQ(p.rows[2].parent_id, "-");
}

TEST(TheExportParser, AcceptsAChildListedBeforeItsParent) {
    // Ids are reused: remove subu_1, make a child of subu_2 and it becomes subu_1,
    // and the manager lists rows by id.
    const auto p = exporting::parse_export(std::string(header) +
                                           "subu_1\tThomas_US_Rabbit\tsubu_2\tdown\tdown\n"
                                           "subu_2\tThomas_US\t-\tup\tdown\n");
    EXPECT_TRUE(p.problems.empty()) << p.problems.front();
    ASSERT_EQ(p.rows.size(), 2u);
    EXPECT_EQ(p.rows[0].name, "Thomas_US_Rabbit");
}

TEST(TheExportParser, ReadsNothingFromEmptyTextOrAnUnknownHeader) {
    for (std::string_view text :
         {"", "subu_1\tThomas_US\t-\tup\tdown\n", "# subu export 3: newer\nsubu_1\tThomas_US\t-\tup\tdown\t1\n"}) {
        const auto p = exporting::parse_export(text);
        EXPECT_TRUE(p.rows.empty());
        EXPECT_EQ(p.problems.size(), 1u);
    }
}

TEST(TheExportParser, LeavesOutTheSubusUnderARejectedOne) {
    const auto p = exporting::parse_export(std::string(header) +
                                           "subu_1\tThomas_US\t-\tsideways\tdown\n"
                                           "subu_2\tThomas_US_Rabbit\tsubu_1\tup\tdown\n"
                                           "subu_3\tThomas_US_Rabbit_Hole\tsubu_2\tup\tdown\n"
                                           "subu_4\tThomas_UK\t-\tup\tdown\n");
    ASSERT_EQ(p.rows.size(), 1u);
    EXPECT_EQ(p.rows[0].name, "Thomas_UK");
    ASSERT_EQ(p.problems.size(), 3u);
    EXPECT_EQ(p.problems[1], "line 4: Thomas_US_Rabbit is left out because its parent subu_1 (line 3) was rejected");
    EXPECT_EQ(p.problems[2],
              "line 5: Thomas_US_Rabbit_Hole is left out because its parent subu_2 (line 4) was rejected");
}

TEST(TheExportParser, UsesNeitherOfTwoRowsClaimingOneName) {
    const auto p = exporting::parse_export(std::string(header) +
                                           "subu_1\tThomas_US\t-\tup\tdown\n"
                                           "subu_2\tThomas_US\t-\tup\tdown\n");
    EXPECT_TRUE(p.rows.empty());
    EXPECT_EQ(p.problems.size(), 2u);
}

TEST(TheExportParser, RejectsALastLineWithoutItsNewline) {
    const auto p = exporting::parse_export(std::string(header) + "subu_1\tThomas_US\t-\tup\tdown");
    EXPECT_TRUE(p.rows.empty());
    ASSERT_EQ(p.problems.size(), 1u);
    EXPECT_NE(p.problems[0].find("cut short"), std::string::npos);
}

TEST(TheExportParser, ShowsHostileBytesSafelyAndShortly) {
    EXPECT_EQ(subu::shown("a\tb\r\n\"\\\x01\xff"), R"("a\tb\x0d\x0a\"\\\x01\xff")");
    EXPECT_EQ(subu::shown(std::string(100, 'x'), 4), "\"xxxx\"...");
    const auto p = exporting::parse_export(std::string(header) + "subu_1\tThomas_US\x1b[2J\t-\tup\tdown\n");
    ASSERT_EQ(p.problems.size(), 1u);
    EXPECT_EQ(p.problems[0], "line 3: byte 17 is not printable ASCII: \"subu_1\\tThomas_US\\x1b[2J\\t-\\tup\\tdown\"");
}

TEST(TheExportParser, NeverThrowsAndOnlyReturnsValidRowsForDamagedText) {
    const std::string goods[] = {big_export(60), subu::samples::sample_export(60, 1)};
    std::mt19937 rng(12345);
    for (int round = 0; round < 4000; ++round) {
        std::string text = goods[round % 2];
        const int edits = 1 + static_cast<int>(rng() % 6);
        for (int e = 0; e < edits; ++e) {
            const auto at = rng() % text.size();
            switch (rng() % 4) {
                case 0:
                    text[at] = static_cast<char>(rng() % 256);
                    break;
                case 1:
                    text.erase(at, rng() % 40);
                    break;
                case 2:
                    text.insert(at, 1, "\t\n_-/%.\r\0"[rng() % 9]);
                    break;
                case 3:
                    text.insert(at, text.substr(rng() % text.size(), rng() % 80));
                    break;
            }
            if (text.empty()) text = "x";
        }
        exporting::ParsedExport p;
        ASSERT_NO_THROW(p = exporting::parse_export(text));
        std::set<std::string> ids, names_seen;
        std::map<std::string, std::string> name_of;
        for (const auto& r : p.rows) name_of[r.id] = r.name;
        for (const auto& r : p.rows) {
            ASSERT_TRUE(names::parse_subu_id(r.id));
            ASSERT_TRUE(ids.insert(r.id).second);
            ASSERT_TRUE(names_seen.insert(r.name).second);
            ASSERT_LE(r.name.size(), names::max_name_length);
            ASSERT_TRUE(r.network == "up" || r.network == "down");
            ASSERT_TRUE(r.loopback == "up" || r.loopback == "down");
            if (r.parent_id != "-") {
                ASSERT_TRUE(name_of.count(r.parent_id)) << r.parent_id;
                ASSERT_EQ(name_of[r.parent_id], names::parent_name(r.name));
            }
        }
        std::set<std::string> units_seen;
        for (const auto& sv : p.services) {
            ASSERT_TRUE(units::attach_problem(sv.unit).empty()) << sv.unit;
            ASSERT_TRUE(units_seen.insert(sv.unit).second);
            ASSERT_TRUE(name_of.count(sv.subu_id)) << sv.subu_id;
            const auto& owner = name_of[sv.subu_id];
            ASSERT_TRUE(sv.user == owner || (sv.user.rfind(owner + "_", 0) == 0 && names_seen.count(sv.user)))
                << sv.user;
        }
    }
}

TEST(TheExportParser, ReadsUidsAndServicesBack) {
    store::SubuRow a, b;
    a.num = 1, a.name = "Thomas_US", a.state = store::RowState::Ready, a.uid = 1001;
    b.num = 2, b.name = "Thomas_US_Rabbit", b.parent = 1, b.state = store::RowState::Ready;
    const auto text = exporting::render({a, b}, {{"probe.service", 1, "Thomas_US_Rabbit"}, {"gone.service", 7, "x"}});
    EXPECT_NE(text.find("subu_1\tThomas_US\t-\tdown\tdown\t1001\n"), std::string::npos) << text;
    EXPECT_NE(text.find("subu_2\tThomas_US_Rabbit\tsubu_1\tdown\tdown\t-\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("gone.service"), std::string::npos) << "a service of no ready subu is left out";
    const auto p = exporting::parse_export(text);
    EXPECT_TRUE(p.problems.empty()) << p.problems.front();
    ASSERT_EQ(p.rows.size(), 2u);
    EXPECT_EQ(p.rows[0].uid, 1001u);
    EXPECT_EQ(p.rows[1].uid, 0u);
    ASSERT_EQ(p.services.size(), 1u);
    EXPECT_EQ(p.services[0].subu_num, 1u);
    EXPECT_EQ(p.services[0].subu_id, "subu_1");
    EXPECT_EQ(p.services[0].unit, "probe.service");
    EXPECT_EQ(p.services[0].user, "Thomas_US_Rabbit");
}

TEST(TheExportParser, ReadsAFormatOneExportWithUnknownUidsAndNoServices) {
    const auto p = exporting::parse_export(std::string(header) + "subu_1\tThomas_US\t-\tup\tdown\n" +
                                           "service\tsubu_1\tprobe.service\tThomas_US\n");
    ASSERT_EQ(p.rows.size(), 1u);
    EXPECT_EQ(p.rows[0].name, "Thomas_US");
    EXPECT_EQ(p.rows[0].uid, 0u);
    EXPECT_TRUE(p.services.empty());
    ASSERT_EQ(p.problems.size(), 1u);
    EXPECT_EQ(p.problems[0], "line 4: 4 fields, not 5 (id, name, parent, network, loopback): "
                             "\"service\\tsubu_1\\tprobe.service\\tThomas_US\"");
}

TEST(TheExportParser, RefusesAServiceOfASubuNotInTheExport) {
    const auto p = exporting::parse_export(std::string(header_v2) + "subu_1\tThomas_US\t-\tup\tdown\t1001\n" +
                                           "service\tsubu_2\tprobe.service\tThomas_US\n");
    EXPECT_TRUE(p.services.empty());
    ASSERT_EQ(p.problems.size(), 1u);
    EXPECT_EQ(p.problems[0], "line 4: the subu subu_2 of probe.service is not in the export (or was rejected), so "
                             "the service stays outside every subu");
}

TEST(AServiceName, FollowsSystemdsRules) {
    for (std::string_view good : {"probe.service", "web@blue.service", "a:b-c_d.e\\x2d.service", "x@a@b.service"})
        EXPECT_EQ(units::service_name_problem(good), "") << good;
    for (std::string_view bad : {"", "foo", "foo.socket", ".service", "@x.service", "foo@.service", "../x.service",
                                 "a/b.service", "x y.service", "pct%i.service", "nl\n.service", "a@b/c.service"})
        EXPECT_NE(units::service_name_problem(bad), "") << bad;
    EXPECT_EQ(units::service_name_problem(std::string(247, 'a') + ".service"), "");
    EXPECT_NE(units::service_name_problem(std::string(248, 'a') + ".service"), "");
    EXPECT_EQ(units::service_name_problem("foo@.service"),
              "\"foo@.service\" is a template, which is no unit; name an instance (foo@INSTANCE.service)");
}

TEST(AServiceName, IsRefusedForWhatSubuOrTheSystemNeedsOutside) {
    for (std::string_view own : {"subu@Thomas_US.service", "subu-netns@Thomas_US.service", "subu-wg@Thomas_US.service",
                                 "subu-exec-subu_1-3.service", "subu-manager.service", "subu-bpf.service",
                                 "dbus-org.subu.Manager1.service", "user@1001.service", "user-runtime-dir@1001.service",
                                 "systemd-journald.service", "dbus.service", "polkit.service"})
        EXPECT_NE(units::attach_problem(own), "") << own;
    for (std::string_view fine : {"probe.service", "nginx.service", "subuxyz.service", "users.service"})
        EXPECT_EQ(units::attach_problem(fine), "") << fine;
}

TEST(TheRenderedTree, GivesEachSubuWithAKnownUidAUserManagerDropIn) {
    std::vector<exporting::ExportRow> rows = {{1, "subu_1", "Thomas_new-subu", "-", "down", "down", 1001},
                                              {2, "subu_2", "Thomas_UK", "-", "down", "down", 0}};
    const auto tree = units::render_tree(rows, "/lib/systemd/system", "/etc/subu/subus");
    std::vector<std::string> paths;
    for (const auto& e : tree) paths.push_back(e.path);
    EXPECT_EQ(std::count(paths.begin(), paths.end(), "user@1001.service.d/50-subu.conf"), 1);
    EXPECT_EQ(std::count_if(paths.begin(), paths.end(), [](auto& p) { return p.rfind("user@", 0) == 0; }), 1)
        << "no drop-in for an unknown uid";
    EXPECT_EQ(units::user_manager_dropin(rows[0]),
              "# Automatically generated by subu-generator\n"
              "# The user manager of subu Thomas_new-subu (subu_1), and so every user service, runs in the subu's "
              "network namespace.\n\n"
              "[Unit]\nBindsTo=subu-netns@Thomas_new\\x2dsubu.service\nAfter=subu-netns@Thomas_new\\x2dsubu.service\n\n"
              "[Service]\nNetworkNamespacePath=/run/netns/ns-subu_1\n"
              "BindReadOnlyPaths=-/etc/netns/ns-subu_1/resolv.conf:/etc/resolv.conf\n"
              "InaccessiblePaths=-/run/systemd/resolve\nInaccessiblePaths=-/run/nscd\n");
}

TEST(TheRenderedTree, PutsAnAttachedServiceIntoItsSubu) {
    std::vector<exporting::ExportRow> rows = {{3, "subu_3", "Thomas_US", "-", "up", "down", 1001}};
    const auto tree = units::render_tree(rows, "/lib/systemd/system", "/etc/subu/subus",
                                         {{3, "subu_3", "probe.service", "Thomas_US"}});
    const auto it = std::find_if(tree.begin(), tree.end(), [](auto& e) { return e.path == "probe.service.d/50-subu.conf"; });
    ASSERT_NE(it, tree.end());
    EXPECT_EQ(it->data,
              "# Automatically generated by subu-generator\n"
              "# probe.service is attached to subu Thomas_US (subu_3): it runs in the subu's network namespace and "
              "slice, as Thomas_US.\n\n"
              "[Unit]\nBindsTo=subu@Thomas_US.service\nAfter=subu@Thomas_US.service\n\n"
              "[Service]\nUser=Thomas_US\nSlice=subu-Thomas-US.slice\nNetworkNamespacePath=/run/netns/ns-subu_3\n"
              "BindReadOnlyPaths=-/etc/netns/ns-subu_3/resolv.conf:/etc/resolv.conf\n"
              "InaccessiblePaths=-/run/systemd/resolve\nInaccessiblePaths=-/run/nscd\n");
}

TEST(TheEscaping, MatchesSystemdEscapeByteForByte) {
    std::vector<std::string> samples = {"Thomas_US",
                                        "Thomas_new-subu",
                                        ".hidden",
                                        "a.b",
                                        "x..y",
                                        "/",
                                        "//a",
                                        "a/",
                                        ".",
                                        "..",
                                        "__",
                                        "ab:c",
                                        "a b",
                                        "a%b",
                                        "-x",
                                        "\t",
                                        "\x01\x7f\xff",
                                        "Z\xc3\xbcrich",
                                        "back\\slash",
                                        "q\"uote",
                                        "semi;colon",
                                        "@at",
                                        "9"};
    for (int c = 1; c < 256; ++c) samples.push_back(std::string("k") + static_cast<char>(c));
    std::vector<std::string> argv = {"/usr/bin/systemd-escape", "--"};
    argv.insert(argv.end(), samples.begin(), samples.end());
    const auto r = run(argv);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::string expected;
    for (const auto& s : samples) expected += (expected.empty() ? "" : " ") + units::escape(s);
    EXPECT_EQ(r.output, expected + "\n");
    EXPECT_EQ(units::escape(""), "");
}

TEST(TheEscaping, IsUndoneByUnescape) {
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        std::string s(rng() % 20, '\0');
        for (auto& c : s) c = static_cast<char>(1 + rng() % 255);
        ASSERT_EQ(units::unescape(units::escape(s)), s);
    }
    EXPECT_EQ(units::unescape("Thomas_new\\x2Dsubu"), "Thomas_new-subu");
    EXPECT_EQ(units::unescape("a-b"), "a/b");
}

TEST(TheEscaping, RejectsMalformedEscapes) {
    for (std::string_view bad : {"\\", "a\\x", "a\\x4", "a\\xzz", "a\\n", "a\\\\b", "a\\x00b", "a\\X41"})
        EXPECT_EQ(units::unescape(bad), std::nullopt) << bad;
}

TEST(TheUnitNames, EscapeTheInstanceAsSystemdDoes) {
    EXPECT_EQ(units::instance("Thomas_new-subu"), "Thomas_new\\x2dsubu");
    EXPECT_EQ(units::service("subu", "Thomas_US"), "subu@Thomas_US.service");
    EXPECT_EQ(units::service("subu-netns", "Thomas_new-subu"), "subu-netns@Thomas_new\\x2dsubu.service");
}

TEST(TheUnitNames, NestSlicesAsTheSubusNest) {
    EXPECT_EQ(units::slice("Thomas_US"), "subu-Thomas-US.slice");
    EXPECT_EQ(units::slice("Thomas_US_Rabbit"), "subu-Thomas-US-Rabbit.slice");
    EXPECT_EQ(units::slice("Thomas_new-subu"), "subu-Thomas-new\\x2dsubu.slice");
    EXPECT_EQ(units::slice("Thomas-x_a-b_c"), "subu-Thomas\\x2dx-a\\x2db-c.slice");
}

TEST(TheRenderedTree, PutsFilesBeforeLinksAndEnablesOnlySubusWithTheirNetworkUp) {
    std::vector<exporting::ExportRow> rows = {{1, "subu_1", "Thomas_US", "-", "up", "down"},
                                              {2, "subu_2", "Thomas_UK", "-", "down", "down"}};
    const auto tree = units::render_tree(rows, "/lib/systemd/system", "/etc/subu/subus");
    std::vector<std::string> paths;
    for (const auto& e : tree) paths.push_back(e.path + (e.kind == units::Entry::Kind::Symlink ? " -> " + e.data : ""));
    EXPECT_EQ(paths,
              (std::vector<std::string>{
                  "subu-Thomas-US.slice",
                  "subu-Thomas-UK.slice",
                  "multi-user.target.wants/subu-Thomas-US.slice -> ../subu-Thomas-US.slice",
                  "multi-user.target.wants/subu-netns@Thomas_US.service -> /lib/systemd/system/subu-netns@.service",
                  "multi-user.target.wants/subu@Thomas_US.service -> /lib/systemd/system/subu@.service",
                  "multi-user.target.wants/subu-Thomas-UK.slice -> ../subu-Thomas-UK.slice",
                  "multi-user.target.wants/subu-netns@Thomas_UK.service -> /lib/systemd/system/subu-netns@.service",
              }));
}

TEST(TheRenderedTree, DoublesAPercentSignInTheSourcePath) {
    const auto tree = units::render_tree({{1, "subu_1", "Thomas_US", "-", "up", "down"}}, "/u", "/tmp/100%/subus");
    EXPECT_NE(tree[0].data.find("SourcePath=/tmp/100%%/subus\n"), std::string::npos);
}

}  // namespace
