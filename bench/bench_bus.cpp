// Benchmark: GetSubu and ListSubus against a trivial call (Peer.Ping) on the same bus, in one run.
#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Result {
    double per_call_us;  // the median: one slow call (the machine, a reload) does not move it
    double mean_us;
    double calls_per_s;
};

template <typename F>
Result measure(int iterations, F&& call) {
    for (int i = 0; i < std::min(iterations / 10, 200); ++i) call(i);  // warm up
    std::vector<double> each;
    each.reserve(static_cast<std::size_t>(iterations));
    auto start = Clock::now();
    for (int i = 0; i < iterations; ++i) {
        auto t = Clock::now();
        call(i);
        each.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
    }
    double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    std::sort(each.begin(), each.end());
    return {each[each.size() / 2], us / iterations, iterations / (us / 1e6)};
}

int usage() {
    std::fprintf(stderr,
                 "Usage: subu-bench-bus [--subus N] [--owner USER] [--iterations N]\n"
                 "Makes N subus for USER (if missing) through subu-manager, then times\n"
                 "Peer.Ping, GetSubu and ListSubus on the system bus. Run as root.\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    int subus = 1000, iterations = 20000;
    std::string owner = "benchowner";
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--subus" && i + 1 < argc) subus = std::stoi(argv[++i]);
        else if (a == "--owner" && i + 1 < argc) owner = argv[++i];
        else if (a == "--iterations" && i + 1 < argc) iterations = std::stoi(argv[++i]);
        else return usage();
    }
    auto conn = sdbus::createSystemBusConnection();
    auto mgr = sdbus::createProxy(*conn, "org.subu.Manager1", "/org/subu/Manager1");
    const char* iface = "org.subu.Manager1";

    using Row = sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t, sdbus::ObjectPath>;
    std::vector<Row> rows;
    mgr->callMethod("ListSubus").onInterface(iface).storeResultsTo(rows);
    std::vector<std::string> names;
    for (auto& r : rows) names.push_back(r.get<1>());
    auto setup_start = Clock::now();
    for (int n = static_cast<int>(rows.size()); n < subus; ++n) {
        std::string token = "b" + std::to_string(n);
        std::tuple<std::string, std::string, sdbus::ObjectPath> made;
        mgr->callMethod("MakeSubu").onInterface(iface).withArguments(std::vector<std::string>{owner, token}).storeResultsTo(made);
        names.push_back(std::get<1>(made));
    }
    double setup_s = std::chrono::duration<double>(Clock::now() - setup_start).count();
    // The manager reloads systemd once it has been idle a moment after the
    // makes; let that happen (a call waits for it) before anything is timed.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    mgr->callMethod("ListSubus").onInterface(iface).storeResultsTo(rows);
    std::printf("subus in the store: %zu (setup took %.1f s)\n", rows.size(), setup_s);

    auto ping = measure(iterations, [&](int) { mgr->callMethod("Ping").onInterface("org.freedesktop.DBus.Peer"); });
    auto get = measure(iterations, [&](int i) {
        sdbus::ObjectPath p;
        mgr->callMethod("GetSubu").onInterface(iface).withArguments(names[static_cast<size_t>(i) % names.size()]).storeResultsTo(p);
    });
    auto list = measure(std::max(50, iterations / 100), [&](int) {
        std::vector<Row> r;
        mgr->callMethod("ListSubus").onInterface(iface).storeResultsTo(r);
    });

    // The same call with its reply left undecoded: what the bus and the
    // manager cost, without the client's own unmarshalling.
    auto list_raw = measure(std::max(50, iterations / 100), [&](int) {
        auto m = mgr->createMethodCall(iface, "ListSubus");
        auto reply = mgr->callMethod(m);
        (void)reply;
    });
    std::printf("%-28s %12s %12s %12s\n", "call", "median us", "mean us", "calls/s");
    std::printf("%-28s %12.1f %12.1f %12.0f\n", "Peer.Ping (trivial)", ping.per_call_us, ping.mean_us, ping.calls_per_s);
    std::printf("%-28s %12.1f %12.1f %12.0f\n", "GetSubu", get.per_call_us, get.mean_us, get.calls_per_s);
    std::printf("%-28s %12.1f %12.1f %12.0f\n", ("ListSubus (" + std::to_string(rows.size()) + ")").c_str(),
                list.per_call_us, list.mean_us, list.calls_per_s);
    std::printf("%-28s %12.1f %12.1f %12.0f\n", "ListSubus, reply undecoded", list_raw.per_call_us, list_raw.mean_us,
                list_raw.calls_per_s);
    std::printf("GetSubu / Ping time ratio: %.2fx (goal <= 1.5x)\n", get.per_call_us / ping.per_call_us);
    std::printf("ListSubus of %zu: %.2f ms (goal < 5 ms)\n", rows.size(), list.per_call_us / 1000.0);
    return 0;
}
