// Benchmark: subu-generator end to end for 10 to 10000 subus, next to the floor of writing as many files in process.
#include "support/sample_export.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string make_export(std::size_t n) { return subu::samples::sample_export(n); }

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Runs the generator as systemd does (three directories), timed from spawn to exit.
double run_generator(const std::string& generator, const fs::path& input, const fs::path& out) {
    std::string export_env = "SUBU_EXPORT=" + input.string(), log_env = "SYSTEMD_LOG_TARGET=console";
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e) envp.push_back(*e);
    envp.push_back(export_env.data());
    envp.push_back(log_env.data());
    envp.push_back(nullptr);
    std::string a0 = generator, a1 = out.string(), a2 = a1 + ".early", a3 = a1 + ".late";
    char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), nullptr};

    const auto start = Clock::now();
    pid_t pid = -1;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv, envp.data()) != 0) {
        std::fprintf(stderr, "cannot run %s\n", argv[0]);
        std::exit(1);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const double ms = ms_since(start);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "%s failed\n", argv[0]);
        std::exit(1);
    }
    return ms;
}

// The floor: `count` small files made as the generator makes them (O_EXCL, write, close), in process.
double write_files(const fs::path& dir, std::size_t count) {
    const std::string content(150, 'x');  // about the size of a slice unit
    const int dfd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    const auto start = Clock::now();
    for (std::size_t i = 0; i < count; ++i) {
        const std::string name = "f" + std::to_string(i);
        const int fd = openat(dfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size()) ||
            close(fd) < 0) {
            std::perror("floor");
            std::exit(1);
        }
    }
    const double ms = ms_since(start);
    close(dfd);
    return ms;
}

// What the generator made, in an order that makes each directory before its entries.
struct Item {
    std::string path;  // relative to the output directory
    enum class Kind { Dir, File, Symlink } kind;
    std::string data;  // a file's content, a symlink's target
};

std::vector<Item> read_tree(const fs::path& dir) {
    std::vector<Item> items;
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
        const auto rel = it->path().lexically_relative(dir).string();
        const auto st = it->symlink_status();
        if (fs::is_symlink(st)) {
            items.push_back({rel, Item::Kind::Symlink, fs::read_symlink(it->path()).string()});
        } else if (fs::is_directory(st)) {
            items.push_back({rel, Item::Kind::Dir, {}});
        } else {
            std::string text(fs::file_size(it->path()), '\0');
            FILE* f = std::fopen(it->path().c_str(), "rb");
            if (!f || std::fread(text.data(), 1, text.size(), f) != text.size()) std::exit(1);
            std::fclose(f);
            items.push_back({rel, Item::Kind::File, std::move(text)});
        }
    }
    return items;
}

// The second floor: the very same tree (directories, files, links) made in
// process, so what is left of the difference is start-up, parsing and rendering.
double write_tree(const fs::path& dir, const std::vector<Item>& items) {
    const int dfd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    const auto start = Clock::now();
    for (const auto& i : items) {
        bool ok = true;
        if (i.kind == Item::Kind::Dir) {
            ok = mkdirat(dfd, i.path.c_str(), 0755) == 0;
        } else if (i.kind == Item::Kind::Symlink) {
            ok = symlinkat(i.data.c_str(), dfd, i.path.c_str()) == 0;
        } else {
            const int fd = openat(dfd, i.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            ok = fd >= 0 && write(fd, i.data.data(), i.data.size()) == static_cast<ssize_t>(i.data.size()) &&
                 close(fd) == 0;
        }
        if (!ok) {
            std::perror(i.path.c_str());
            std::exit(1);
        }
    }
    const double ms = ms_since(start);
    close(dfd);
    return ms;
}

// Generators write below /run, a tmpfs: measure there, or in /dev/shm, not on a disk.
fs::path default_base() {
    for (const char* d : {"/run", "/dev/shm"}) {
        struct statfs sf {};
        if (statfs(d, &sf) == 0 && sf.f_type == TMPFS_MAGIC && access(d, W_OK) == 0) return d;
    }
    return fs::temp_directory_path();
}

int usage() {
    std::fprintf(stderr,
                 "Usage: subu-bench-generator [--generator PATH] [--dir DIR] [--runs N]\n"
                 "Times subu-generator end to end (spawn to exit, median of N runs, each\n"
                 "into a fresh directory) for 10, 100, 1000 and 10000 subus, next to the\n"
                 "floors, in process: writing as many small files into one fresh directory,\n"
                 "and making the very same tree (directories, files, links).\n"
                 "DIR defaults to a tmpfs (/run or /dev/shm), where generators write.\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string generator = SUBU_GENERATOR_PATH;
    fs::path base = default_base();
    int runs = 9;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--generator" && i + 1 < argc)
            generator = argv[++i];
        else if (a == "--dir" && i + 1 < argc)
            base = argv[++i];
        else if (a == "--runs" && i + 1 < argc)
            runs = std::max(1, std::atoi(argv[++i]));
        else
            return usage();
    }
    const fs::path work = base / ("subu-bench-generator-" + std::to_string(getpid()));
    fs::remove_all(work);
    fs::create_directories(work);

    std::printf("subu-generator, median of %d runs, in %s\n\n", runs, work.c_str());
    std::printf(
        "| subus | files+links | generator ms | floor: as many files ms | ratio | floor: same tree ms | ratio |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|\n");
    for (std::size_t n : {0, 10, 100, 1000, 10000}) {
        const fs::path input = work / ("subus-" + std::to_string(n));
        {
            FILE* f = std::fopen(input.c_str(), "w");
            const auto text = make_export(n);
            std::fwrite(text.data(), 1, text.size(), f);
            std::fclose(f);
        }
        std::vector<double> gen, files, tree;
        std::vector<Item> items;
        std::size_t entries = 0;
        for (int r = 0; r < runs; ++r) {
            const fs::path out = work / "out", plain = work / "plain", same = work / "same";
            fs::create_directory(out);
            gen.push_back(run_generator(generator, input, out));
            if (r == 0) {
                items = read_tree(out);
                entries = std::count_if(items.begin(), items.end(), [](auto& i) { return i.kind != Item::Kind::Dir; });
            }
            fs::create_directory(plain);
            files.push_back(write_files(plain, entries));
            fs::create_directory(same);
            tree.push_back(write_tree(same, items));
            for (const auto& d : {out, plain, same}) fs::remove_all(d);
        }
        const double g = median(gen), f = median(files), t = median(tree);
        if (n == 0)
            std::printf("| 0 (start-up) | 0 | %.2f | - | - | - | - |\n", g);
        else
            std::printf("| %zu | %zu | %.2f | %.2f | %.2f | %.2f | %.2f |\n", n, entries, g, f, g / f, t, g / t);
    }
    fs::remove_all(work);
    return 0;
}
