// subu-apply: the idempotent steps subu's units run (ExecStart=/ExecStop=/ExecReload=).
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bpf/loopback.h"
#include "bpf/steering.h"
#include "core/errors.h"
#include "core/log.h"
#include "names/names.h"
#include "reconcile/converge.h"
#include "reconcile/steer.h"
#include "store/store.h"
#include "subu/config.h"
#include "system/netns.h"
#include "units/escape.h"

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
  steer        the subu's entry in the socket steering map: its options
               (steer_enabled, local_forwarding) and its tunnel subu_<N> for
               the attached WG_N as found in its namespace, or none (fail
               closed); netns-up and up do this step too, netns-down forgets
               the entry. Run it when the tunnel comes up, changes or goes down.
  bpf-load     load the socket steering program and pin it with its map
               under /sys/fs/bpf/subu/ (subu-bpf.service); a program already
               pinned with the same code is kept

Exit status 0 when the subu is as wanted, 1 when a step failed (the message
says which and why), 2 for bad usage or an instance that names no subu.
)";

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
// kernel has it; returns what it changed ("" for nothing).
std::string steer(subu::store::Store& store, const subu::store::SubuRow& row, const std::string& ns_path) {
    auto wg = store.wg_of_subu(row.num);
    const std::string tunnel = wg ? subu::reconcile::tunnel_name(*wg) : "";
    const std::uint32_t ifindex = wg ? subu::bpf::ifindex_in(ns_path, tunnel) : 0;
    const auto want = subu::reconcile::desired_steering(store.options_of(row.num), wg, ifindex);
    // Loopback routes first: a socket bound to the tunnel needs them for 127/8 and ::1.
    if (want.ifindex) subu::bpf::route_loopback_over(ns_path, want.ifindex);
    subu::bpf::Steering map;
    if (map.get(ns_path) == want) return "";
    map.put(ns_path, want);
    return describe(want, tunnel);
}

int load_bpf() {
    try {
        const auto started = std::chrono::steady_clock::now();
        auto pinned = subu::bpf::load_and_pin();
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
        std::string did;
        for (const auto& p : pinned) did += (did.empty() ? "" : ", ") + p;
        subu::log::info("socket steering program " + (did.empty() ? "already pinned" : "pinned: " + did) + " under " +
                            std::string(subu::bpf::default_pin_dir) + " (" + std::to_string(us) + " us)",
                        {{"SUBU_APPLY_VERB", "bpf-load"}, {"SUBU_APPLY_USEC", std::to_string(us)}});
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "subu-apply: bpf-load: %s\n", e.what());
        subu::log::error(std::string("loading the socket steering program failed: ") + e.what(),
                         {{"SUBU_APPLY_VERB", "bpf-load"}});
        return 1;
    }
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
    if (verb != "netns-up" && verb != "netns-down" && verb != "up" && verb != "steer")
        return usage("unknown verb '" + verb + "'");
    auto name = subu_name_of(args[1]);
    if (!name) return usage("'" + args[1] + "' is not the escaped name of a subu (see systemd-escape)");

    const auto started = std::chrono::steady_clock::now();
    try {
        subu::store::Store store(db, subu::store::Store::ReadOnly{});
        auto row = store.subu_by_name(*name);
        if (!row || row->state == subu::store::RowState::Creating) {
            std::fprintf(stderr, "subu-apply: there is no subu %s in %s; `subu list` shows the subus.\n",
                         name->c_str(), db.c_str());
            return verb == "netns-down" ? 0 : 2;
        }
        const std::string ns = subu::names::netns_name(row->num);
        subu::system::NetnsDirectory netns(subu::config::netns_dir);
        const std::string ns_path = netns.path_of(ns);
        subu::reconcile::NetnsState desired;
        desired.exists = verb != "netns-down";
        desired.loopback_up = row->loopback == "up";
        const auto converging = std::chrono::steady_clock::now();
        std::string did;
        if (verb == "netns-down" && netns.exists(ns)) {
            // The entry is keyed by the namespace, which is about to go.
            try {
                subu::bpf::Steering(std::string(subu::bpf::default_pin_dir)).forget(ns_path);
                did = "steering forgotten";
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
        subu::log::error("subu " + *name + " " + verb + " failed: " + e.what(),
                         {{"SUBU_NAME", *name}, {"SUBU_APPLY_VERB", verb}});
        return 1;
    }
}
