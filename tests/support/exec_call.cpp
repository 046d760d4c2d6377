// Test client: calls org.subu.Manager1.Exec with raw arguments (busctl cannot pass descriptors),
// so the end-to-end suite can send what the CLI never would.
#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: subu-test-exec-call SUBU [KEY=VALUE...] -- [ARG...]\n");
        return 2;
    }
    std::map<std::string, sdbus::Variant> options;
    int i = 2;
    for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
        std::string kv = argv[i];
        auto eq = kv.find('=');
        options[kv.substr(0, eq)] = sdbus::Variant(eq == std::string::npos ? std::string() : kv.substr(eq + 1));
    }
    std::vector<std::string> args(argv + (i < argc ? i + 1 : argc), argv + argc);
    try {
        auto c = sdbus::createSystemBusConnection();
        auto m = sdbus::createProxy(*c, "org.subu.Manager1", "/org/subu/Manager1");
        std::string unit, result;
        int32_t code = 0, status = 0;
        m->callMethod("Exec")
            .onInterface("org.subu.Manager1")
            .withTimeout(std::chrono::minutes(5))
            .withArguments(std::string(argv[1]), args, sdbus::UnixFd(0), sdbus::UnixFd(1), sdbus::UnixFd(2), options)
            .storeResultsTo(unit, result, code, status);
        std::printf("%s %s %d %d\n", unit.c_str(), result.c_str(), code, status);
        return 0;
    } catch (const sdbus::Error& e) {
        std::printf("%s: %s\n", e.getName().c_str(), e.getMessage().c_str());
        return 1;
    }
}
