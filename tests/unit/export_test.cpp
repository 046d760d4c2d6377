// The boot export's format and its atomic writing.
#include "export/export.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/files.h"

using namespace subu;

namespace {
std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
std::filesystem::path fresh_dir(const char* name) {
    auto d = std::filesystem::temp_directory_path() / ("subu-export-test-" + std::to_string(getpid()) + "-" + name);
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}
}  // namespace

TEST(TheBootExport, ListsReadySubusOnlyWithTheirParentsUidsAndServices) {
    store::SubuRow a, b, c;
    a.num = 1, a.name = "Thomas_US", a.state = store::RowState::Ready, a.network = "up";
    b.num = 2, b.name = "Thomas_US_Rabbit", b.parent = 1, b.state = store::RowState::Ready, b.loopback = "up";
    c.num = 3, c.name = "Thomas_half", c.state = store::RowState::Creating;
    a.uid = 1001;
    EXPECT_EQ(exporting::render({a, b, c}, {{"probe.service", 1, "Thomas_US"}, {"half.service", 3, "Thomas_half"}}),
              "# subu export 2: written by subu-manager on every change, read by subu-generator at boot. Do not edit.\n"
              "# id\tname\tparent\tnetwork\tloopback\tuid\n"
              "subu_1\tThomas_US\t-\tup\tdown\t1001\n"
              "subu_2\tThomas_US_Rabbit\tsubu_1\tdown\tup\t-\n"
              "# service\tsubu\tunit\tuser\n"
              "service\tsubu_1\tprobe.service\tThomas_US\n");
}

TEST(AnAtomicWrite, ReplacesTheFileWithTheModeAskedAndLeavesNoTemporary) {
    auto d = fresh_dir("replace");
    auto f = d / "subus";
    files::write_atomically(f.string(), "old\n");
    files::write_atomically(f.string(), "new\n", 0600);
    EXPECT_EQ(slurp(f), "new\n");
    struct stat st{};
    ASSERT_EQ(stat(f.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(d), {}), 1);
    std::filesystem::remove_all(d);
}

TEST(AnAtomicWrite, FailsCleanlyAndKeepsTheOldFile) {
    auto d = fresh_dir("fail");
    auto f = d / "subus";
    files::write_atomically(f.string(), "old\n");
    // A directory where the file should go: rename fails, the temp file must go.
    std::filesystem::create_directories(d / "blocked");
    std::filesystem::create_directories(d / "blocked" / "x");
    EXPECT_THROW(files::write_atomically((d / "blocked").string(), "new\n"), std::system_error);
    EXPECT_EQ(slurp(f), "old\n");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(d), {}), 2);
    std::filesystem::remove_all(d);
}

TEST(TheBootExport, IsWrittenFromTheStoreMakingItsDirectory) {
    auto d = fresh_dir("store");
    store::Store s((d / "subu.db").string());
    store::SubuRow a;
    a.num = 1, a.name = "Thomas_US", a.masu = "Thomas", a.state = store::RowState::Ready;
    s.insert_subu(a);
    EXPECT_TRUE(exporting::write(s, (d / "etc" / "subus").string()));
    EXPECT_NE(slurp(d / "etc" / "subus").find("subu_1\tThomas_US\t-\tdown\tdown\t-\n"), std::string::npos);
    EXPECT_FALSE(exporting::write(s, (d / "etc" / "subus").string())) << "the same text again is no change";
    s.insert_service({"probe.service", 1, "Thomas_US"});
    EXPECT_TRUE(exporting::write(s, (d / "etc" / "subus").string()));
    EXPECT_NE(slurp(d / "etc" / "subus").find("service\tsubu_1\tprobe.service\tThomas_US\n"), std::string::npos);
    std::filesystem::remove_all(d);
}
