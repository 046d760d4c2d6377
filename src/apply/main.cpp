// subu-apply: the idempotent steps subu's units run (ExecStart=/ExecStop=/ExecReload=).
#include <net/if.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <algorithm>
#include <vector>

#include "bpf/loopback.h"
#include "bpf/steering.h"
#include "core/errors.h"
#include "core/files.h"
#include "core/log.h"
#include "export/export.h"
#include "export/parse.h"
#include "names/names.h"
#include "reconcile/converge.h"
#include "reconcile/steer.h"
#include "store/store.h"
#include "subu/config.h"
#include "system/netns.h"
#include "tunnel/tunnel.h"
#include "units/escape.h"
#include "wg/addr.h"
#include "wg/system.h"
#include "wg/uapi.h"

namespace {

constexpr const char* help_text = R"(Usage: subu-apply VERB INSTANCE [--state-db PATH]
       subu-apply bpf-load

The steps systemd runs for a subu's units. INSTANCE is the unit instance, the
subu's name escaped as systemd-escape does (%i in the unit files). Each verb
compares what the state store wants with what the kernel has and does only
what is missing, so it is safe to run again at any time, also after it was
killed half-way.

Verbs:
  netns-up     the namespace ns-subu_N exists, its loopback as the store says
               (subu-netns@.service ExecStart=, ExecReload=)
  netns-down   the namespace is gone (subu-netns@.service ExecStop=)
  up           the subu's network as the store says: namespace and loopback
               (subu@.service ExecStart=, ExecReload=)
  wg-wanted    exit 0 if the subu has a tunnel that is up, 1 (with the reason)
               if not (subu-wg@.service ExecCondition=)
  wg-run       the tunnel's process: wireguard-go in the foreground on a TUN
               made inside the subu's namespace (with a placeholder of its name
               on the host, which it holds), or, with the kernel's WireGuard, a
               holder that waits for SIGTERM (subu-wg@.service ExecStart=)
  wg-configure the tunnel configured: the interface inside ns-subu_N with its
               socket outside, keys, peer (a host name endpoint looked up, with
               retries), MTU, address, routes, and /etc/netns/ns-subu_N/resolv.conf
               when it has DNS (ExecStartPost=, ExecReload=)
  wg-down      no tunnel interface left in the namespace or on the host, no
               resolv.conf (subu-wg@.service ExecStopPost=)
  steer        the subu's entry in the socket steering map: its options
               (steer_enabled, local_forwarding) and its tunnel subu_<N> for
               the attached WG_N as found in its namespace, or none (fail
               closed); and its uid's entry in the uid rule: this namespace.
               netns-up and up do this step too, netns-down forgets the
               namespace's entry and closes the uid's. Run it when the tunnel
               comes up, changes or goes down.
  bpf-load     load the socket steering program and pin it with its maps
               under /sys/fs/bpf/subu/ (subu-bpf.service), attach the uid rule
               at the root of the cgroup hierarchy (links pinned there too),
               and close the uid of every subu in /etc/subu/subus that has no
               entry yet; a program already pinned with the same code is kept

Exit status 0 when the subu is as wanted, 1 when a step failed (the message
says which and why), 2 for bad usage or an instance that names no subu;
wg-wanted exits 1 for "not wanted" and 255 when it cannot tell.
)";

using Clock = std::chrono::steady_clock;

long long usec_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

// Deletes every tunnel interface ("subu_<digits>") in the subu's namespace,
// whichever tunnel it belonged to: after a detach the store no longer says.
std::vector<std::string> remove_tunnels(const std::string& netns_path) {
    std::vector<std::string> removed;
    if (access(netns_path.c_str(), F_OK) != 0) return removed;
    auto names = subu::wg::in_network_namespace(netns_path, [] {
        std::vector<std::string> found;
        if (struct if_nameindex* list = if_nameindex()) {
            for (auto* i = list; i->if_index; ++i) {
                std::string n = i->if_name;
                if (n.size() > 5 && n.rfind("subu_", 0) == 0 &&
                    n.find_first_not_of("0123456789", 5) == std::string::npos)
                    found.push_back(n);
            }
            if_freenameindex(list);
        }
        return found;
    });
    for (const auto& n : names)
        for (auto& r : subu::tunnel::tear_down(netns_path, n)) removed.push_back(r);
    return removed;
}

// The holder of a kernel tunnel: nothing to run, so wait to be stopped.
int hold_until_stopped() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    int sig = 0;
    sigwait(&set, &sig);
    return 0;
}

int usage(const std::string& what) {
    std::fprintf(stderr, "subu-apply: %s\nTry 'subu-apply --help'.\n", what.c_str());
    return 2;
}

// The subu name of a unit instance, accepted only in its canonical escaped form
// so that one subu can never have two instances of the same unit.
std::optional<std::string> subu_name_of(const std::string& instance) {
    auto name = subu::units::unescape(instance);
    if (!name || subu::units::escape(*name) != instance) return std::nullopt;
    std::vector<std::string> tokens;
    std::size_t start = 0;
    for (;;) {
        auto cut = name->find('_', start);
        tokens.push_back(name->substr(start, cut == std::string::npos ? std::string::npos : cut - start));
        if (cut == std::string::npos) break;
        start = cut + 1;
    }
    try {
        if (subu::names::full_name(tokens) != *name) return std::nullopt;
    } catch (const subu::Error&) {
        return std::nullopt;
    }
    return name;
}

std::string describe(const subu::bpf::Entry& e, const std::string& tunnel) {
    if (!e.enabled) return "steering off";
    if (!e.ifindex) return "steering on, no tunnel: fail closed";
    return "steering on " + tunnel + " (index " + std::to_string(e.ifindex) + ")" +
           (e.local_forwarding ? ", local forwarding" : "");
}

// The subu's steering entry as the store wants it, with its tunnel as the
// kernel has it, and its uid in this namespace; returns what it changed ("" for nothing).
std::string steer(subu::store::Store& store, const subu::store::SubuRow& row, const std::string& ns_path) {
    auto wg = store.wg_of_subu(row.num);
    const std::string tunnel = wg ? subu::reconcile::tunnel_name(*wg) : "";
    const std::uint32_t ifindex = wg ? subu::bpf::ifindex_in(ns_path, tunnel) : 0;
    const auto want = subu::reconcile::desired_steering(store.options_of(row.num), wg, ifindex);
    // Loopback routes first: a socket bound to the tunnel needs them for 127/8 and ::1.
    if (want.ifindex) subu::bpf::route_loopback_over(ns_path, want.ifindex);
    subu::bpf::Steering map;
    std::string did;
    if (!(map.get(ns_path) == want)) {
        map.put(ns_path, want);
        did = describe(want, tunnel);
    }
    // The uid after the entry: it may use only what the entry allows.
    if (row.uid) {
        subu::bpf::Uids uids;
        const std::uint64_t cookie = subu::bpf::netns_cookie(ns_path);
        if (uids.get(*row.uid) != cookie) {
            uids.put(*row.uid, cookie);
            did += (did.empty() ? "" : ", ") + std::string("uid ") + std::to_string(*row.uid) + " in its namespace";
        }
    }
    return did;
}

// The uids of the subus in the boot export (a format 1 export, from before an
// upgrade, has none: there their Unix users' say).
std::vector<std::uint32_t> export_uids(const std::string& path) {
    std::vector<std::uint32_t> uids;
    for (const auto& row : subu::exporting::parse_export(subu::files::read_if_exists(path).value_or("")).rows) {
        if (row.uid) uids.push_back(row.uid);
        else if (const passwd* pw = getpwnam(row.name.c_str())) uids.push_back(pw->pw_uid);
    }
    return uids;
}

// From boot on a subu's uid is refused until its namespace puts it there.
std::string seed_uids() {
    std::string closed;
    subu::bpf::Uids uids;
    for (const auto uid : export_uids(subu::exporting::default_path)) {
        try {
            if (uids.seed(uid)) closed += (closed.empty() ? "" : ", ") + std::to_string(uid);
        } catch (const subu::InvalidArgument& e) {
            subu::log::error(std::string("a subu's uid is outside the uid rule: ") + e.what(),
                             {{"SUBU_APPLY_VERB", "bpf-load"}});
        }
    }
    return closed.empty() ? "" : "; uids closed: " + closed;
}

int load_bpf() {
    try {
        const auto started = std::chrono::steady_clock::now();
        auto pinned = subu::bpf::load_and_pin();
        const std::string seeded = seed_uids();
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
        std::string did;
        for (const auto& p : pinned) did += (did.empty() ? "" : ", ") + p;
        subu::log::info("socket steering program " + (did.empty() ? "already pinned" : "pinned: " + did) + " under " +
                            std::string(subu::bpf::default_pin_dir) + seeded + " (" + std::to_string(us) + " us)",
                        {{"SUBU_APPLY_VERB", "bpf-load"}, {"SUBU_APPLY_USEC", std::to_string(us)}});
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "subu-apply: bpf-load: %s\n", e.what());
        subu::log::error(std::string("loading the socket steering program failed: ") + e.what(),
                         {{"SUBU_APPLY_VERB", "bpf-load"}});
        return 1;
    }
}

int tunnel_verb(const std::string& verb, subu::store::Store& store, const subu::store::SubuRow& subu,
                const std::string& db, const std::string& ns, const std::string& netns_path, Clock::time_point started) {
    const auto wg = store.wg_of_subu(subu.num);
    const subu::log::Fields base = {{"SUBU_ID", subu.id()}, {"SUBU_NAME", subu.name}, {"SUBU_APPLY_VERB", verb}};
    if (verb == "wg-down") {
        auto removed = remove_tunnels(netns_path);
        subu::tunnel::remove_resolv_conf(subu::config::etc_netns_dir, ns);
        std::string did;
        for (const auto& r : removed) did += (did.empty() ? "" : ", ") + r;
        // With the tunnel gone the steering entry says so: sockets fail closed.
        // (Its interface is gone too, so a stale entry steers into nothing.)
        try {
            if (access(netns_path.c_str(), F_OK) == 0) {
                const std::string steered = steer(store, subu, netns_path);
                if (!steered.empty()) did += (did.empty() ? "" : ", ") + steered;
            }
        } catch (const std::exception& e) {
            subu::log::warning("subu " + subu.name + " wg-down: the steering entry was not updated: " + e.what(), base);
        }
        subu::log::info("subu " + subu.name + " wg-down: " + (did.empty() ? "no tunnel interface left" : "removed " + did),
                        base);
        return 0;
    }
    if (verb == "wg-wanted") {
        if (!wg) {
            std::printf("subu %s has no tunnel: `subu attach WG %s WG_N` gives it one.\n", subu.name.c_str(), subu.id().c_str());
            return 1;
        }
        if (wg->state != "up") {
            std::printf("The tunnel %s of subu %s is down: `subu WG up %s` brings it up.\n", wg->id().c_str(),
                        subu.name.c_str(), wg->id().c_str());
            return 1;
        }
        return 0;
    }
    if (!wg) {
        std::fprintf(stderr, "subu-apply: subu %s has no tunnel attached.\n", subu.name.c_str());
        return 1;
    }
    const std::string ifname = subu::tunnel::interface_name(wg->num);
    auto fields = base;
    fields.push_back({"SUBU_WG_ID", wg->id()});
    fields.push_back({"SUBU_WG_INTERFACE", ifname});
    const auto backend = subu::tunnel::choose_backend();
    fields.push_back({"SUBU_WG_BACKEND", subu::tunnel::to_string(backend)});
    if (verb == "wg-run") {
        // Whatever an earlier life left (a crash before wg-down ran) goes first.
        remove_tunnels(netns_path);
        if (backend == subu::tunnel::Backend::Kernel) return hold_until_stopped();
        subu::tunnel::exec_wireguard_go(subu::config::wireguard_go, netns_path, ifname, wg->mtu);
    }
    // wg-configure
    std::optional<subu::wg::PeerEndpoint> endpoint;
    if (!wg->server_public_key.empty()) endpoint = subu::tunnel::resolve(subu::wg::parse_endpoint(wg->endpoint));
    const auto resolved = Clock::now();
    subu::wg::DeviceConfig config = subu::tunnel::device_config(*wg, subu::tunnel::key_dir_for(db), endpoint);
    if (backend == subu::tunnel::Backend::Kernel)
        subu::tunnel::configure_kernel(netns_path, ifname, config, wg->mtu);
    else {
        subu::tunnel::configure_wireguard_go(ifname, config);
        // wireguard-go set its placeholder to its default MTU when it started;
        // it follows the placeholder's, which is the tunnel's.
        subu::wg::set_link_mtu(ifname, wg->mtu);
    }
    subu::tunnel::configure_interface(netns_path, ifname, *wg);
    const bool dns = subu::tunnel::write_resolv_conf(subu::config::etc_netns_dir, ns, *wg);
    // The second wall: sockets made under the subu's slice are pinned to it.
    const std::string steered = steer(store, subu, netns_path);
    const auto us = usec_since(resolved);
    fields.push_back({"SUBU_APPLY_USEC", std::to_string(us)});
    subu::log::info("subu " + subu.name + " wg-configure: " + ifname + " (" + wg->id() + ", " +
                        subu::tunnel::to_string(backend) + ") inside " + ns + " with " + wg->address +
                        (wg->server_public_key.empty() ? ", no peer yet (the server's key is not set)"
                                                       : ", peer " + wg->endpoint) +
                        (dns ? ", DNS " + wg->dns : "") + (steered.empty() ? "" : ", " + steered) + " (" +
                        std::to_string(us) + " us; " +
                        std::to_string(usec_since(started)) + " us in all)",
                    fields);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args;
    std::string db = subu::config::state_db;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::fputs(help_text, stdout);
            return 0;
        }
        if (a == "--state-db") {
            if (++i >= argc) return usage("--state-db needs a path");
            db = argv[i];
        } else {
            args.push_back(a);
        }
    }
    if (args.size() == 1 && args[0] == "bpf-load") return load_bpf();
    if (args.size() != 2) return usage("expected VERB INSTANCE");
    const std::string& verb = args[0];
    static const std::vector<std::string> verbs = {"netns-up", "netns-down", "up", "steer",
                                                   "wg-wanted", "wg-run", "wg-configure", "wg-down"};
    if (std::find(verbs.begin(), verbs.end(), verb) == verbs.end()) return usage("unknown verb '" + verb + "'");
    auto name = subu_name_of(args[1]);
    if (!name) return usage("'" + args[1] + "' is not the escaped name of a subu (see systemd-escape)");

    const auto started = std::chrono::steady_clock::now();
    try {
        subu::store::Store store(db, subu::store::Store::ReadOnly{});
        auto row = store.subu_by_name(*name);
        if (!row || row->state == subu::store::RowState::Creating) {
            std::fprintf(stderr, "subu-apply: there is no subu %s in %s; `subu list` shows the subus.\n",
                         name->c_str(), db.c_str());
            if (verb == "wg-wanted") return 1;
            return verb == "netns-down" || verb == "wg-down" ? 0 : 2;
        }
        const std::string ns = subu::names::netns_name(row->num);
        const std::string netns_path = std::string(subu::config::netns_dir) + "/" + ns;
        if (verb.rfind("wg-", 0) == 0) return tunnel_verb(verb, store, *row, db, ns, netns_path, started);
        subu::system::NetnsDirectory netns(subu::config::netns_dir);
        const std::string ns_path = netns.path_of(ns);
        subu::reconcile::NetnsState desired;
        desired.exists = verb != "netns-down";
        desired.loopback_up = row->loopback == "up";
        const auto converging = std::chrono::steady_clock::now();
        std::string did;
        if (verb == "netns-down" && netns.exists(ns)) {
            // The entry is keyed by the namespace, which is about to go; the
            // uid has nowhere to be until it is back.
            try {
                if (row->uid) {
                    subu::bpf::Uids().close(*row->uid);
                    did = "uid closed";
                }
            } catch (const subu::NotFound&) {
            }
            try {
                subu::bpf::Steering(std::string(subu::bpf::default_pin_dir)).forget(ns_path);
                did += (did.empty() ? "" : ", ") + std::string("steering forgotten");
            } catch (const subu::NotFound&) {
            }
        }
        if (verb != "steer")
            for (auto s : subu::reconcile::converge(netns, ns, desired))
                did += (did.empty() ? "" : ", ") + std::string(subu::reconcile::to_string(s));
        if (verb != "netns-down") {
            if (!netns.exists(ns)) throw subu::NotFound("the namespace " + ns + " does not exist (start subu-netns@" + args[1] + ")");
            try {
                if (auto changed = steer(store, *row, ns_path); !changed.empty())
                    did += (did.empty() ? "" : ", ") + changed;
            } catch (const subu::NotFound& e) {
                // Without the program no slice of a subu starts, so nothing runs unsteered.
                if (verb == "steer") throw;
                subu::log::warning(std::string("no socket steering for subu ") + *name + ": " + e.what(),
                                   {{"SUBU_ID", row->id()}, {"SUBU_NAME", *name}});
            }
        }
        const auto now = std::chrono::steady_clock::now();
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - converging).count();
        const auto total_us = std::chrono::duration_cast<std::chrono::microseconds>(now - started).count();
        subu::log::info("subu " + *name + " " + verb + ": " + (did.empty() ? "already as wanted" : did) + " (" +
                            std::to_string(us) + " us; " + std::to_string(total_us) + " us with reading the store)",
                        {{"SUBU_ID", row->id()}, {"SUBU_NAME", *name}, {"SUBU_APPLY_VERB", verb},
                         {"SUBU_APPLY_USEC", std::to_string(us)}, {"SUBU_APPLY_TOTAL_USEC", std::to_string(total_us)}});
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "subu-apply: %s %s: %s\n", verb.c_str(), name->c_str(), e.what());
        if (verb == "wg-wanted") return 255;
        subu::log::error("subu " + *name + " " + verb + " failed: " + e.what(),
                         {{"SUBU_NAME", *name}, {"SUBU_APPLY_VERB", verb}});
        return 1;
    }
}
