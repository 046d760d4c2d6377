// The steering program's user side: loading and pinning it, and its per-subu map.
#include "bpf/steering.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bpf/loopback.h"
#include "core/errors.h"
#include "core/log.h"
#include "steer.skel.h"
#include "system/netns.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

namespace subu::bpf {
namespace {

// libbpf's own messages: warnings (a verifier refusal among them) go to the
// journal, its debug chatter nowhere unless SUBU_BPF_VERBOSE is set (then all to stderr).
int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
    static const bool verbose = std::getenv("SUBU_BPF_VERBOSE") != nullptr;
    if (verbose) return std::vfprintf(stderr, fmt, args);
    if (level == LIBBPF_DEBUG) return 0;
    char buf[512];
    std::vsnprintf(buf, sizeof buf, fmt, args);
    std::string m(buf);
    while (!m.empty() && m.back() == '\n') m.pop_back();
    subu::log::warning("libbpf: " + m, {{"SUBU_BPF", "libbpf"}});
    return 0;
}

void quiet_libbpf() {
    static const bool once = (libbpf_set_print(libbpf_print), true);
    (void)once;
}

bpf_program* program_in(steer_bpf* skel, const std::vector<Hook>& set, std::string_view hook) {
    for (const auto& h : set)
        if (h.name == hook) return bpf_object__find_program_by_name(skel->obj, std::string(h.program).c_str());
    throw InvalidArgument("There is no steering hook \"" + std::string(hook) + "\".");
}

// Whether sockopt programs may call bpf_get_current_uid_gid on this kernel.
bool sockopt_knows_uid() {
    return libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_FUNC_get_current_uid_gid, nullptr) == 1;
}

std::string prog_tag(int fd) {
    bpf_prog_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) return {};
    return std::string(reinterpret_cast<const char*>(info.tag), sizeof info.tag);
}

std::uint32_t prog_id(int fd) {
    bpf_prog_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) return 0;
    return info.id;
}

// The tag of the program a link runs, "" when it cannot tell.
std::string link_prog_tag(int link) {
    bpf_link_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(link, &info, &len) < 0) return {};
    const int prog = bpf_prog_get_fd_by_id(info.prog_id);
    if (prog < 0) return {};
    std::string tag = prog_tag(prog);
    close(prog);
    return tag;
}

void ensure_dir(const std::string& dir) {
    if (mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) throw_errno("make " + dir);
}

}  // namespace

const std::vector<Hook>& hooks() {
    static const std::vector<Hook> all = {
        {"sock_create", "steer_sock_create"}, {"connect4", "steer_connect4"},
        {"connect6", "steer_connect6"},       {"sendmsg4", "steer_sendmsg4"},
        {"sendmsg6", "steer_sendmsg6"},       {"setsockopt", "steer_setsockopt"},
    };
    return all;
}

const std::vector<Hook>& uid_hooks() {
    static const std::vector<Hook> all = [] {
        std::vector<Hook> v = {
            {"sock_create", "uid_sock_create"}, {"connect4", "uid_connect4"}, {"connect6", "uid_connect6"},
            {"sendmsg4", "uid_sendmsg4"},       {"sendmsg6", "uid_sendmsg6"},
        };
        if (sockopt_knows_uid()) v.push_back({"setsockopt", "uid_setsockopt"});
        return v;
    }();
    return all;
}

bpf_attach_type attach_type(std::string_view hook) {
    if (hook == "sock_create") return BPF_CGROUP_INET_SOCK_CREATE;
    if (hook == "connect4") return BPF_CGROUP_INET4_CONNECT;
    if (hook == "connect6") return BPF_CGROUP_INET6_CONNECT;
    if (hook == "sendmsg4") return BPF_CGROUP_UDP4_SENDMSG;
    if (hook == "sendmsg6") return BPF_CGROUP_UDP6_SENDMSG;
    if (hook == "setsockopt") return BPF_CGROUP_SETSOCKOPT;
    throw InvalidArgument("There is no steering hook \"" + std::string(hook) + "\".");
}

bool Peer::operator==(const Peer& o) const {
    auto same4 = v4.has_value() == o.v4.has_value() && (!v4 || v4->s_addr == o.v4->s_addr);
    auto same6 = v6.has_value() == o.v6.has_value() && (!v6 || std::memcmp(&*v6, &*o.v6, sizeof(in6_addr)) == 0);
    return same4 && same6;
}

bool Entry::operator==(const Entry& o) const {
    return ifindex == o.ifindex && enabled == o.enabled && local_forwarding == o.local_forwarding && peer == o.peer;
}

subu_steer encode(const Entry& e) {
    subu_steer v{};
    v.ifindex = e.ifindex;
    v.flags = (e.enabled ? SUBU_STEER_ON : 0u) | (e.local_forwarding ? SUBU_STEER_LOCAL_FWD : 0u);
    if (e.peer.v4) v.peer4 = e.peer.v4->s_addr;
    if (e.peer.v6) std::memcpy(v.peer6, &*e.peer.v6, sizeof v.peer6);
    return v;
}

Entry decode(const subu_steer& v) {
    Entry e;
    e.ifindex = v.ifindex;
    e.enabled = (v.flags & SUBU_STEER_ON) != 0;
    e.local_forwarding = (v.flags & SUBU_STEER_LOCAL_FWD) != 0;
    if (v.peer4) e.peer.v4 = in_addr{v.peer4};
    if (v.peer6[0] | v.peer6[1] | v.peer6[2] | v.peer6[3]) {
        in6_addr a{};
        std::memcpy(&a, v.peer6, sizeof a);
        e.peer.v6 = a;
    }
    return e;
}

Peer parse_peer(std::string_view v4, std::string_view v6) {
    Peer p;
    if (!v4.empty()) {
        in_addr a{};
        if (inet_pton(AF_INET, std::string(v4).c_str(), &a) != 1 || a.s_addr == 0 || (ntohl(a.s_addr) >> 24) == 127)
            throw InvalidArgument("\"" + std::string(v4) + "\" is not an IPv4 peer address (a.b.c.d, not 0 or 127/8).");
        p.v4 = a;
    }
    if (!v6.empty()) {
        in6_addr a{};
        if (inet_pton(AF_INET6, std::string(v6).c_str(), &a) != 1 || IN6_IS_ADDR_UNSPECIFIED(&a) ||
            IN6_IS_ADDR_LOOPBACK(&a) || IN6_IS_ADDR_V4MAPPED(&a))
            throw InvalidArgument("\"" + std::string(v6) + "\" is not an IPv6 peer address (not ::, ::1 or v4-mapped).");
        p.v6 = a;
    }
    return p;
}

std::uint64_t netns_cookie(const std::string& netns_path) {
    std::uint64_t cookie = 0;
    int err = system::in_netns(netns_path, [&] {
        int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0) return errno;
        socklen_t len = sizeof cookie;
        int e = getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0 ? errno : 0;
        close(s);
        return e;
    });
    if (err) throw_errno(err, "read the namespace cookie of " + netns_path);
    return cookie;
}

std::uint32_t ifindex_in(const std::string& netns_path, const std::string& ifname) {
    if (ifname.empty() || ifname.size() >= IFNAMSIZ || ifname.find('/') != std::string::npos)
        throw InvalidArgument("\"" + ifname + "\" is not an interface name.");
    std::uint32_t index = 0;
    int err = system::in_netns(netns_path, [&] {
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0) return errno;
        ifreq ifr{};
        std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
        int e = 0;
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
            e = errno == ENODEV ? 0 : errno;
        } else if (ifr.ifr_flags & IFF_UP) {
            if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) e = errno;
            else index = static_cast<std::uint32_t>(ifr.ifr_ifindex);
        }
        close(s);
        return e;
    });
    if (err) throw_errno(err, "look up " + ifname + " in " + netns_path);
    return index;
}

std::string ifname_in(const std::string& netns_path, std::uint32_t ifindex) {
    char name[IF_NAMESIZE] = {};
    int err = system::in_netns(netns_path, [&] {
        if (!if_indextoname(ifindex, name)) name[0] = '\0';
        return 0;
    });
    if (err) throw_errno(err, "enter " + netns_path);
    return name;
}

struct Program::Impl {
    steer_bpf* skel = nullptr;
    ~Impl() { steer_bpf__destroy(skel); }
};

Program::Program(const std::string& pin_dir) : impl_(std::make_unique<Impl>()) {
    quiet_libbpf();
    LIBBPF_OPTS(bpf_object_open_opts, opts);
    if (!pin_dir.empty()) opts.pin_root_path = pin_dir.c_str();
    impl_->skel = steer_bpf__open_opts(&opts);
    if (!impl_->skel) throw_errno("open the steering program");
    if (pin_dir.empty() && (bpf_map__set_pin_path(impl_->skel->maps.subu_steer, nullptr) < 0 ||
                            bpf_map__set_pin_path(impl_->skel->maps.subu_steer_cache, nullptr) < 0 ||
                            bpf_map__set_pin_path(impl_->skel->maps.subu_uid, nullptr) < 0))
        throw_errno("unpin the steering maps");
    // The one program an older kernel's verifier would refuse (see uid_hooks()).
    if (uid_hooks().size() < hooks().size() && bpf_program__set_autoload(impl_->skel->progs.uid_setsockopt, false) < 0)
        throw_errno("leave the uid setsockopt program out");
    if (int err = steer_bpf__load(impl_->skel))
        throw_errno(-err, "load the steering program (the kernel's verifier refused it, or the pinned map " +
                              pin_dir + "/" + std::string(map_name) + " is of an older layout)");
}

Program::~Program() = default;
Program::Program(Program&&) noexcept = default;

int Program::map_fd() const { return bpf_map__fd(impl_->skel->maps.subu_steer); }
int Program::cache_fd() const { return bpf_map__fd(impl_->skel->maps.subu_steer_cache); }
int Program::uid_map_fd() const { return bpf_map__fd(impl_->skel->maps.subu_uid); }
int Program::prog_fd(std::string_view hook) const { return bpf_program__fd(program_in(impl_->skel, hooks(), hook)); }
int Program::uid_prog_fd(std::string_view hook) const {
    for (const auto& h : uid_hooks())
        if (h.name == hook) return bpf_program__fd(program_in(impl_->skel, uid_hooks(), hook));
    return -1;
}

namespace {

// The uid program of `hook` attached at `cgroup_root` by a link pinned at `path`;
// returns whether it made or changed the link.
bool ensure_uid_link(const Program& program, std::string_view hook, const std::string& path,
                     const std::string& cgroup_root) {
    const int fd = program.uid_prog_fd(hook);
    if (int link = bpf_obj_get(path.c_str()); link >= 0) {
        const bool same = link_prog_tag(link) == prog_tag(fd);
        const int rc = same ? 0 : bpf_link_update(link, fd, nullptr);
        const int err = errno;
        close(link);
        if (rc < 0) throw_errno(err, "put the new uid program in the link " + path);
        return !same;
    }
    const int cg = open(cgroup_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0) throw_errno("open the cgroup root " + cgroup_root);
    const int link = bpf_link_create(fd, cg, attach_type(hook), nullptr);
    const int err = errno;
    close(cg);
    if (link < 0)
        throw_errno(err, "attach the uid program for " + std::string(hook) + " at " + cgroup_root +
                             " (a program attached there without multi-attach blocks it)");
    // Until it is pinned the link lives only in this fd: an error detaches it.
    const int rc = bpf_obj_pin(link, path.c_str());
    const int pin_err = errno;
    close(link);
    if (rc < 0) throw_errno(pin_err, "pin the uid program's link at " + path);
    return true;
}

}  // namespace

std::vector<std::string> load_and_pin(const std::string& pin_dir, const std::string& cgroup_root) {
    ensure_dir(pin_dir);
    Program program(pin_dir);
    std::vector<std::string> pinned;
    for (const auto& h : hooks()) {
        const std::string path = pin_dir + "/" + std::string(h.name);
        const int fd = program.prog_fd(h.name);
        if (int old = bpf_obj_get(path.c_str()); old >= 0) {
            const bool same = prog_tag(old) == prog_tag(fd);
            close(old);
            if (same) continue;
        }
        // Pinned aside, then renamed over the old pin: the path always names a
        // program. (bpffs refuses names with a dot.)
        const std::string fresh = pin_dir + "/new-" + std::string(h.name);
        unlink(fresh.c_str());
        if (bpf_obj_pin(fd, fresh.c_str()) < 0) throw_errno("pin the steering program at " + fresh);
        if (rename(fresh.c_str(), path.c_str()) < 0) {
            int err = errno;
            unlink(fresh.c_str());
            throw_errno(err, "move the steering program to " + path);
        }
        pinned.emplace_back(h.name);
    }
    for (const auto& h : uid_hooks()) {
        const std::string name = "uid-" + std::string(h.name);
        if (ensure_uid_link(program, h.name, pin_dir + "/" + name, cgroup_root)) pinned.push_back(name);
    }
    return pinned;
}

namespace {

int open_pinned_map(const std::string& path) {
    const int fd = bpf_obj_get(path.c_str());
    if (fd < 0) {
        if (errno == ENOENT)
            throw NotFound("The steering map " + path + " is not there: subu-bpf.service loads it (systemctl start subu-bpf).");
        throw_errno("open the steering map " + path);
    }
    return fd;
}

}  // namespace

Steering::Steering(const std::string& pin_dir) : owned_(true) {
    map_fd_ = open_pinned_map(pin_dir + "/" + std::string(map_name));
    try {
        cache_fd_ = open_pinned_map(pin_dir + "/" + std::string(cache_name));
    } catch (...) {
        close(map_fd_);
        throw;
    }
}

Steering::Steering(const Program& program) : map_fd_(program.map_fd()), cache_fd_(program.cache_fd()) {}

Steering::~Steering() {
    if (owned_ && map_fd_ >= 0) close(map_fd_);
    if (owned_ && cache_fd_ >= 0) close(cache_fd_);
}

void Steering::put_cached(std::uint64_t cookie, const subu_steer* value) {
    const std::uint32_t slot = static_cast<std::uint32_t>(cookie % SUBU_STEER_CACHE_SLOTS);
    subu_steer_slot now{};
    if (bpf_map_lookup_elem(cache_fd_, &slot, &now) < 0) throw_errno("read a steering cache slot");
    if (!value && now.cookie != cookie) return;  // another namespace's (or empty): nothing of ours
    subu_steer_slot fresh{};
    if (value) {
        // A slot of another namespace first goes empty, so no reader pairs
        // that namespace's cookie with this entry while it is written.
        if (now.cookie && now.cookie != cookie) {
            const subu_steer_slot empty{};
            if (bpf_map_update_elem(cache_fd_, &slot, &empty, BPF_ANY) < 0) throw_errno("clear a steering cache slot");
        }
        fresh.steer = *value;
        fresh.cookie = cookie;
    }
    if (bpf_map_update_elem(cache_fd_, &slot, &fresh, BPF_ANY) < 0) throw_errno("write a steering cache slot");
}

void Steering::put(const std::string& netns_path, const Entry& e) {
    const std::uint64_t key = netns_cookie(netns_path);
    const subu_steer value = encode(e);
    if (bpf_map_update_elem(map_fd_, &key, &value, BPF_ANY) < 0) throw_errno("set the steering of " + netns_path);
    put_cached(key, &value);
}

std::optional<Entry> Steering::get(const std::string& netns_path) {
    const std::uint64_t key = netns_cookie(netns_path);
    subu_steer value{};
    if (bpf_map_lookup_elem(map_fd_, &key, &value) < 0) {
        if (errno == ENOENT) return std::nullopt;
        throw_errno("read the steering of " + netns_path);
    }
    return decode(value);
}

void Steering::set_tunnel(const std::string& netns_path, std::uint32_t ifindex, const Peer& peer) {
    if (ifindex) route_loopback_over(netns_path, ifindex);
    Entry e = get(netns_path).value_or(Entry{});
    e.ifindex = ifindex;
    e.peer = peer;
    put(netns_path, e);
}

void Steering::set_options(const std::string& netns_path, bool enabled, bool local_forwarding) {
    Entry e = get(netns_path).value_or(Entry{});
    e.enabled = enabled;
    e.local_forwarding = local_forwarding;
    put(netns_path, e);
}

void Steering::forget(const std::string& netns_path) {
    const std::uint64_t key = netns_cookie(netns_path);
    put_cached(key, nullptr);
    if (bpf_map_delete_elem(map_fd_, &key) < 0 && errno != ENOENT) throw_errno("forget the steering of " + netns_path);
}

Uids::Uids(const std::string& pin_dir) : fd_(open_pinned_map(pin_dir + "/" + std::string(uid_map_name))), owned_(true) {}

Uids::Uids(const Program& program) : fd_(program.uid_map_fd()) {}

Uids::~Uids() {
    if (owned_ && fd_ >= 0) ::close(fd_);
}

namespace {

std::uint32_t checked_uid(std::uint32_t uid) {
    if (uid == 0) throw InvalidArgument("root cannot be a subu's uid.");
    if (uid >= SUBU_UID_SLOTS)
        throw InvalidArgument("uid " + std::to_string(uid) + " is beyond what the uid rule holds (below " +
                              std::to_string(SUBU_UID_SLOTS) + "); set UID_MAX in /etc/login.defs below it.");
    return uid;
}

}  // namespace

void Uids::put(std::uint32_t uid, std::uint64_t netns_cookie) {
    const std::uint32_t key = checked_uid(uid);
    subu_uid value{};
    value.netns = netns_cookie;
    value.flags = SUBU_UID_SUBU;
    if (bpf_map_update_elem(fd_, &key, &value, BPF_ANY) < 0) throw_errno("set the uid rule of uid " + std::to_string(uid));
}

void Uids::put(std::uint32_t uid, const std::string& netns_path) { put(uid, netns_cookie(netns_path)); }

bool Uids::seed(std::uint32_t uid) {
    if (get(uid)) return false;
    close(uid);
    return true;
}

void Uids::forget(std::uint32_t uid) {
    if (uid >= SUBU_UID_SLOTS) return;  // never held
    const subu_uid none{};
    if (bpf_map_update_elem(fd_, &uid, &none, BPF_ANY) < 0) throw_errno("forget the uid rule of uid " + std::to_string(uid));
}

std::optional<std::uint64_t> Uids::get(std::uint32_t uid) {
    if (uid >= SUBU_UID_SLOTS) return std::nullopt;
    subu_uid value{};
    if (bpf_map_lookup_elem(fd_, &uid, &value) < 0) throw_errno("read the uid rule of uid " + std::to_string(uid));
    if (!(value.flags & SUBU_UID_SUBU)) return std::nullopt;
    return value.netns;
}

std::vector<std::uint32_t> Uids::all() {
    // In batches: one system call a few thousand slots, not one a slot.
    std::vector<std::uint32_t> found;
    constexpr std::uint32_t batch = 4096;
    std::vector<std::uint32_t> keys(batch);
    std::vector<subu_uid> values(batch);
    std::uint32_t in = 0, out = 0;
    bool first = true;
    for (;;) {
        __u32 count = batch;
        LIBBPF_OPTS(bpf_map_batch_opts, opts);
        const int rc = bpf_map_lookup_batch(fd_, first ? nullptr : &in, &out, keys.data(), values.data(), &count, &opts);
        if (rc < 0 && errno != ENOENT) throw_errno("read the uid rule");
        for (__u32 i = 0; i < count; ++i)
            if (values[i].flags & SUBU_UID_SUBU) found.push_back(keys[i]);
        if (rc < 0) break;  // ENOENT: that was the last batch
        in = out;
        first = false;
    }
    return found;
}

std::vector<std::string> converge_uids(Uids& uids, const std::map<std::uint32_t, std::string>& netns_of_uid) {
    std::vector<std::string> did;
    const auto cookie_of = [](const std::string& path) -> std::uint64_t {
        if (path.empty() || access(path.c_str(), F_OK) != 0) return 0;
        try {
            return netns_cookie(path);
        } catch (const std::system_error&) {
            return 0;  // gone meanwhile: closed, as a namespace that is not there
        }
    };
    for (const auto& [uid, path] : netns_of_uid) {
        std::uint64_t cookie = cookie_of(path);
        if (uids.get(uid) == cookie) continue;
        uids.put(uid, cookie);
        // A namespace coming up meanwhile put its cookie, which the write
        // above may have undone: look again. (A stale cookie is harmless: a
        // gone namespace's never comes back.)
        if (!cookie && (cookie = cookie_of(path))) uids.put(uid, cookie);
        did.push_back("uid " + std::to_string(uid) + (cookie ? " in " + path : " closed"));
    }
    for (const auto uid : uids.all())
        if (!netns_of_uid.count(uid)) {
            uids.forget(uid);
            did.push_back("uid " + std::to_string(uid) + " is no subu's");
        }
    return did;
}

void PinnedUidRule::close(std::uint32_t uid) { Uids(pin_dir_).close(uid); }

void PinnedUidRule::forget(std::uint32_t uid) { Uids(pin_dir_).forget(uid); }

std::vector<std::string> PinnedUidRule::converge(const std::map<std::uint32_t, std::string>& netns_of_uid) {
    std::map<std::uint32_t, std::string> paths;
    for (const auto& [uid, name] : netns_of_uid) paths[uid] = name.empty() ? "" : netns_dir_ + "/" + name;
    Uids uids(pin_dir_);
    return converge_uids(uids, paths);
}

bool attached(const std::string& cgroup_dir, const std::string& pin_dir) {
    const std::string path = pin_dir + "/sock_create";
    int prog = bpf_obj_get(path.c_str());
    if (prog < 0) return false;
    const std::uint32_t want = prog_id(prog);
    close(prog);
    int cg = open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0) return false;
    __u32 ids[64];
    __u32 count = 64;
    const int rc = bpf_prog_query(cg, BPF_CGROUP_INET_SOCK_CREATE, 0, nullptr, ids, &count);
    close(cg);
    if (rc < 0) return false;
    for (__u32 i = 0; i < count; ++i)
        if (ids[i] == want) return true;
    return false;
}

std::string cgroup2_root() {
    struct statfs fs {};
    if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) return "/sys/fs/cgroup";
    return "/sys/fs/cgroup/unified";
}

Status status(const std::string& slice_path, const std::string& netns_path, const std::string& pin_dir) {
    Status st;
    st.attached = attached(cgroup2_root() + "/" + slice_path, pin_dir);
    std::optional<Entry> e;
    try {
        e = Steering(pin_dir).get(netns_path);
    } catch (const NotFound&) {
        st.state = "unloaded";
        return st;
    } catch (const std::system_error&) {
        // No namespace: no socket of the subu can be made in it either.
    }
    if (e && !e->enabled) {
        st.state = "off";
    } else if (e && e->ifindex) {
        st.interface = ifname_in(netns_path, e->ifindex);
        st.state = st.interface.empty() ? "closed" : "on";
    } else {
        st.state = "closed";
    }
    return st;
}

}  // namespace subu::bpf
