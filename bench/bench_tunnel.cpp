// Benchmark: one subu's tunnel brought up (process, interface inside the subu's namespace with
// its socket outside, keys and peer, MTU, address, routes) the way subu-wg@ does it, beside the
// same done the way shell tools do it (wireguard-go, ip, wg), for 1, 10 and 100 subus at once.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "store/store.h"
#include "system/netns.h"
#include "system/process.h"
#include "common.h"
#include "tunnel/tunnel.h"
#include "wg/addr.h"
#include "wg/keys.h"
#include "wg/kernel.h"
#include "wg/system.h"
#include "wg/uapi.h"

namespace {

using subu::bench::Clock;
using subu::bench::ms_since;
using subu::bench::must;

const std::string keys = "/run/subu-bench-tunnel-keys";
const std::string server_key = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";

// A tunnel row as the store would hold it; its key file is written to `keys`.
subu::store::WgRow row_for(std::uint32_t num) {
    subu::store::WgRow row;
    row.num = num;
    row.endpoint = "10.99.0.2:51820";
    row.address = "192.168." + std::to_string(100 + num / 250) + "." + std::to_string(2 + num % 250) + "/32";
    row.server_public_key = server_key;
    subu::wg::store_private_key(keys, row.id(), subu::wg::generate_private_key());
    return row;
}

std::string ns_path(const std::string& ns) { return "/run/netns/" + ns; }

// The subu way, as subu-wg@ runs it: wireguard-go exec'd on a TUN made on the
// host (subu-apply wg-run), then wg-configure's steps.
struct Phases {
    double start_ms = 0, ready_ms = 0, set_ms = 0, interface_ms = 0;
};

pid_t spawn_wireguard_go(const std::string& ifname, const std::string& netns_path) {
    const pid_t pid = fork();
    if (pid == 0) {
        // Its banner would cut into the table.
        const int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        try {
            subu::tunnel::exec_wireguard_go("/usr/bin/wireguard-go", netns_path, ifname, 1420);
        } catch (...) {
        }
        _exit(127);
    }
    return pid;
}

void subu_way(const subu::store::WgRow& row, const std::string& ns, Phases& p) {
    const std::string ifname = subu::tunnel::interface_name(row.num);
    const auto endpoint = subu::tunnel::resolve(subu::wg::parse_endpoint(row.endpoint), 1);
    subu::wg::DeviceConfig config = subu::tunnel::device_config(row, keys, endpoint);
    // configure_wireguard_go's steps, timed one by one (the TUN was born in
    // the namespace: nothing to move).
    auto t = Clock::now();
    subu::wg::UapiClient uapi(subu::wg::uapi_socket_path(ifname), std::chrono::seconds(10));
    (void)uapi.get();
    p.ready_ms += ms_since(t);
    t = Clock::now();
    uapi.set(config);
    p.set_ms += ms_since(t);
    t = Clock::now();
    subu::tunnel::configure_interface(ns_path(ns), ifname, row);
    p.interface_ms += ms_since(t);
}

void shell_way(const subu::store::WgRow& row, const std::string& ns) {
    const std::string ifname = "shell_" + std::to_string(row.num);
    must({"/usr/bin/wireguard-go", ifname});
    // As a script would: wait for its control socket (`while [ ! -S ... ]`).
    const std::string socket = subu::wg::uapi_socket_path(ifname);
    for (int i = 0; i < 20000 && access(socket.c_str(), F_OK) != 0; ++i) usleep(1000);
    // wireguard-go may still be starting behind its socket: try again, as a script would.
    for (int i = 0; i < 200; ++i) {
        auto r = subu::system::run({"/usr/bin/wg", "set", ifname, "private-key", keys + "/" + row.id() + ".key", "peer",
                                    server_key, "endpoint", row.endpoint, "allowed-ips", "0.0.0.0/0,::/0"});
        if (r.exit_code == 0) break;
        usleep(5000);
    }
    must({"/usr/bin/wg", "set", ifname, "private-key", keys + "/" + row.id() + ".key", "peer", server_key, "endpoint",
          row.endpoint, "allowed-ips", "0.0.0.0/0,::/0"});
    must({"/usr/sbin/ip", "link", "set", ifname, "netns", ns});
    must({"/usr/sbin/ip", "-n", ns, "address", "add", row.address, "dev", ifname});
    must({"/usr/sbin/ip", "-n", ns, "link", "set", ifname, "mtu", "1420", "up"});
    must({"/usr/sbin/ip", "-n", ns, "route", "add", "default", "dev", ifname});
    must({"/usr/sbin/ip", "-n", ns, "-6", "route", "add", "default", "dev", ifname});
}

void kill_and_reap(std::vector<pid_t>& pids) {
    for (pid_t p : pids) kill(p, SIGTERM);
    for (pid_t p : pids) waitpid(p, nullptr, 0);
    pids.clear();
}

// wireguard-go daemons the shell way started (they are not our children).
void kill_shell_daemons() {
    subu::system::run({"/usr/bin/pkill", "-TERM", "-f", "^/usr/bin/wireguard-go shell_"});
    for (int i = 0; i < 500; ++i) {
        if (subu::system::run({"/usr/bin/pgrep", "-f", "^/usr/bin/wireguard-go shell_"}).exit_code != 0) return;
        usleep(20000);
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<int> counts = {1, 10, 100};
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--max" && i + 1 < argc) {
            subu::bench::cap_counts(counts, std::stoi(argv[++i]));
        } else {
            std::fprintf(stderr,
                         "Usage: subu-bench-tunnel [--max N]\n"
                         "Brings up tunnels in namespaces named bench-tun-* and removes them after.\n"
                         "Run as root, inside a container (bench/run-tunnel.sh does that).\n");
            return 2;
        }
    }
    subu::system::NetnsDirectory netns("/run/netns");
    std::printf("backend here: %s\n", subu::tunnel::to_string(subu::tunnel::choose_backend()));
    std::printf("%-6s %14s %14s %14s %8s   %s\n", "subus", "subu ms/subu", "shell ms/subu", "subu ms total", "ratio",
                "subu way, ms/subu: spawn / wireguard-go ready / keys+peer / address+routes");
    for (int n : counts) {
        std::vector<subu::store::WgRow> rows;
        std::vector<std::string> ns_subu, ns_shell;
        for (int i = 0; i < n; ++i) {
            rows.push_back(row_for(static_cast<std::uint32_t>(i + 1)));
            ns_subu.push_back("bench-tun-a-" + std::to_string(i));
            ns_shell.push_back("bench-tun-s-" + std::to_string(i));
            netns.ensure(ns_subu.back(), true);
            netns.ensure(ns_shell.back(), true);
        }
        // The shell way first, and its daemons gone before the subu way runs,
        // so neither shares the machine with the other's processes.
        auto t = Clock::now();
        for (int i = 0; i < n; ++i) shell_way(rows[i], ns_shell[i]);
        const double shell_ms = ms_since(t);
        kill_shell_daemons();
        for (const auto& ns : ns_shell) netns.remove(ns);
        // The subu way: all processes started (as systemd starts the units of
        // a burst together), then each configured.
        Phases phases;
        t = Clock::now();
        std::vector<pid_t> pids;
        for (int i = 0; i < n; ++i)
            pids.push_back(spawn_wireguard_go(subu::tunnel::interface_name(rows[i].num), ns_path(ns_subu[i])));
        phases.start_ms = ms_since(t);
        for (int i = 0; i < n; ++i) subu_way(rows[i], ns_subu[i], phases);
        const double subu_ms = ms_since(t);

        std::printf("%-6d %14.2f %14.2f %14.1f %7.2fx   %.2f / %.2f / %.2f / %.2f\n", n, subu_ms / n, shell_ms / n,
                    subu_ms, shell_ms / subu_ms, phases.start_ms / n, phases.ready_ms / n, phases.set_ms / n,
                    phases.interface_ms / n);
        std::fflush(stdout);

        // Tear-down, timed too: the processes end (their TUNs, inside and the
        // placeholders outside, go with them) and the namespaces are deleted,
        // the kernel batching their cleanup.
        t = Clock::now();
        kill_and_reap(pids);
        for (const auto& ns : ns_subu) netns.remove(ns);
        const double down_ms = ms_since(t);
        for (const auto& r : rows) subu::wg::remove_private_key(keys, r.id());
        std::printf("       tear-down of %d: %.1f ms (%.2f ms/subu)\n", n, down_ms, down_ms / n);
    }
    rmdir(keys.c_str());
    return 0;
}
