// Socket steering: the eBPF program on every subu slice and the per-subu data it reads.
#pragma once
#include <netinet/in.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <linux/bpf.h>
#include <linux/types.h>

#include "steer_abi.h"
#include "system/uid_rule.h"

namespace subu::bpf {

// Where subu-bpf.service pins the programs (one file per hook) and the map.
inline constexpr std::string_view default_pin_dir = "/sys/fs/bpf/subu";
inline constexpr std::string_view map_name = "subu_steer";
// The direct-mapped cache in front of it (steer_abi.h).
inline constexpr std::string_view cache_name = "subu_steer_cache";
// The uid rule's map: which namespace each subu's uid belongs in.
inline constexpr std::string_view uid_map_name = "subu_uid";

// A hook: the systemd BPFProgram= type, which is also the pin's file name.
struct Hook {
    std::string_view name;      // "sock_create", as BPFProgram=sock_create:…
    std::string_view program;   // the program's name in the object
};
const std::vector<Hook>& hooks();
// The uid rule's programs, one a hook (the same names; setsockopt only where the
// kernel lets its programs ask for the uid), attached at the cgroup2 root as
// links pinned as pin_dir/uid-<hook>.
const std::vector<Hook>& uid_hooks();
bpf_attach_type attach_type(std::string_view hook);

// Where local_forwarding sends loopback destinations (the peer's side of the tunnel).
struct Peer {
    std::optional<in_addr> v4;
    std::optional<in6_addr> v6;
    bool operator==(const Peer&) const;
};

// What the program knows of one subu.
struct Entry {
    std::uint32_t ifindex = 0;  // the tunnel inside the subu's namespace; 0: down, fail closed
    bool enabled = true;        // steer_enabled
    bool local_forwarding = false;
    Peer peer;
    bool operator==(const Entry&) const;
};

subu_steer encode(const Entry& e);
Entry decode(const subu_steer& v);
// The forwarding target from text ("" for none in a family); InvalidArgument for
// anything that is not a unicast address of its family (0, 127/8, ::, ::1, v4-mapped).
Peer parse_peer(std::string_view v4, std::string_view v6);

// The namespace cookie the program keys its map by, read from a socket made
// inside the namespace at `netns_path` (/run/netns/ns-subu_N).
std::uint64_t netns_cookie(const std::string& netns_path);
// The index of `ifname` inside that namespace, 0 when it is absent or down.
std::uint32_t ifindex_in(const std::string& netns_path, const std::string& ifname);
// The name of `ifindex` inside that namespace, "" when there is none.
std::string ifname_in(const std::string& netns_path, std::uint32_t ifindex);

// Where the cgroup2 hierarchy is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host.
std::string cgroup2_root();

// The loaded program: its skeleton and one fd per hook. Loads with the map
// pinned under `pin_dir` (reusing a pinned map, so entries survive a reload),
// or unpinned when `pin_dir` is empty (tests).
class Program {
public:
    explicit Program(const std::string& pin_dir);
    ~Program();
    Program(Program&&) noexcept;
    Program& operator=(Program&&) = delete;
    int map_fd() const;
    int cache_fd() const;
    int uid_map_fd() const;
    int prog_fd(std::string_view hook) const;
    // -1 for a uid hook this kernel does not load (see uid_hooks()).
    int uid_prog_fd(std::string_view hook) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// subu-bpf.service: loads the program and pins each hook as pin_dir/<hook>,
// idempotently: a pin whose program has the same tag is kept (what systemd
// attached stays valid); a different one is replaced atomically (rename).
// Then attaches each uid program at `cgroup_root` as a link (beside whatever
// else is attached there) pinned as pin_dir/uid-<hook>: a pinned link whose
// program has the same tag is kept, another is updated in place (one atomic
// swap, no moment without the rule). Returns the pins it (re)made.
std::vector<std::string> load_and_pin(const std::string& pin_dir = std::string(default_pin_dir),
                                      const std::string& cgroup_root = cgroup2_root());

// The per-subu data, through the pinned map (or a Program's map in tests).
// Every call is one map operation; changes reach new sockets at once.
class Steering {
public:
    // Opens pin_dir/subu_steer; NotFound when subu-bpf.service has not run.
    explicit Steering(const std::string& pin_dir = std::string(default_pin_dir));
    // Uses the map of a loaded program (tests).
    explicit Steering(const Program& program);
    ~Steering();
    Steering(const Steering&) = delete;
    Steering& operator=(const Steering&) = delete;

    // The whole entry for the subu whose namespace is `netns_path`.
    void put(const std::string& netns_path, const Entry& e);
    std::optional<Entry> get(const std::string& netns_path);
    // The tunnel came up (ifindex inside the namespace; also routes loopback
    // over it, see loopback.h), changed, or went down (0: sockets made from
    // now on are bound to lo and reach nothing but loopback); keeps the options.
    void set_tunnel(const std::string& netns_path, std::uint32_t ifindex, const Peer& peer);
    // steer_enabled and local_forwarding, live; keeps the tunnel.
    void set_options(const std::string& netns_path, bool enabled, bool local_forwarding);
    // The subu is gone: its entry too (absent is fine).
    void forget(const std::string& netns_path);

private:
    // Writes the namespace's cache slot (`value` null: clears it if it is the
    // namespace's).
    void put_cached(std::uint64_t cookie, const subu_steer* value);

    int map_fd_ = -1;
    int cache_fd_ = -1;
    bool owned_ = false;
};

// The uid rule's map, through its pin (or a Program's map in tests): every
// call is one map operation and reaches new sockets at once. A uid has an
// entry only while it is a subu's; the entry names the namespace the uid
// belongs in (its cookie), or none ("closed": no inet socket anywhere).
class Uids {
public:
    // Opens pin_dir/subu_uid; NotFound when subu-bpf.service has not loaded it.
    explicit Uids(const std::string& pin_dir = std::string(default_pin_dir));
    explicit Uids(const Program& program);
    ~Uids();
    Uids(const Uids&) = delete;
    Uids& operator=(const Uids&) = delete;

    // The uid belongs in the namespace with this cookie (0: closed). InvalidArgument
    // for root and for a uid the rule cannot hold (SUBU_UID_SLOTS and above).
    void put(std::uint32_t uid, std::uint64_t netns_cookie);
    // The uid belongs in the namespace at `netns_path`.
    void put(std::uint32_t uid, const std::string& netns_path);
    void close(std::uint32_t uid) { put(uid, std::uint64_t{0}); }
    // Closed, unless the uid has an entry already; returns whether it wrote one.
    bool seed(std::uint32_t uid);
    // The uid is no subu's any more (absent is fine).
    void forget(std::uint32_t uid);
    // The namespace cookie of the uid's entry (0: closed), nullopt: no entry.
    std::optional<std::uint64_t> get(std::uint32_t uid);
    // Every uid with an entry.
    std::vector<std::uint32_t> all();

private:
    int fd_ = -1;
    bool owned_ = false;
};

// Makes the uid map hold exactly `netns_of_uid` (uid -> namespace path, "" or
// a namespace that is gone: closed). Returns what it changed, one line each.
std::vector<std::string> converge_uids(Uids& uids, const std::map<std::uint32_t, std::string>& netns_of_uid);

// The manager's uid rule: the pinned map under `pin_dir`, opened per call (so a
// later load of subu-bpf.service is found); namespaces by name under `netns_dir`.
class PinnedUidRule final : public system::UidRule {
public:
    explicit PinnedUidRule(std::string netns_dir, std::string pin_dir = std::string(default_pin_dir))
        : netns_dir_(std::move(netns_dir)), pin_dir_(std::move(pin_dir)) {}
    void close(std::uint32_t uid) override;
    void forget(std::uint32_t uid) override;
    std::vector<std::string> converge(const std::map<std::uint32_t, std::string>& netns_of_uid) override;

private:
    std::string netns_dir_, pin_dir_;
};

// Whether the pinned sock_create program is attached to the cgroup at
// `cgroup_dir` (the slice's directory under cgroup2_root()).
bool attached(const std::string& cgroup_dir, const std::string& pin_dir = std::string(default_pin_dir));

// What `subu info` and the Subu1 properties show of a subu's steering.
struct Status {
    bool attached = false;  // the program is on the slice's cgroup
    // "on" (pinned to `interface`), "off" (steer_enabled off), "closed" (no
    // tunnel: nothing but loopback), "unloaded" (subu-bpf.service has not run).
    std::string state;
    std::string interface;
};
// `slice_path` is the slice's cgroup relative to the root ("subu.slice/…/subu-Thomas-US.slice").
Status status(const std::string& slice_path, const std::string& netns_path,
              const std::string& pin_dir = std::string(default_pin_dir));

}  // namespace subu::bpf
