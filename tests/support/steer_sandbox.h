// A place to run the real steering program: a cgroup of its own with the program attached, and
// children in fresh network namespaces with a TUN "subu_9" standing in for the tunnel (root only).
// With the uid rule: a cgroup standing in for the root of the hierarchy, with the uid programs
// attached as links, and a slice below it with the slice's programs.
#pragma once
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/ipv6.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bpf/steering.h"
#include "support/child.h"

namespace subu::testing {

class SteerSandbox {
public:
    // Makes the cgroup `name`-PID (and `nested` below it when asked) under the
    // cgroup2 root and attaches a freshly loaded, unpinned program to each;
    // with `uid_rule`, also `name`-PID-uid with the uid programs and its `slice`.
    explicit SteerSandbox(const std::string& name, bool nested = false, bool uid_rule = false) {
        root_ = bpf::cgroup2_root();
        cgroup_ = root_ + "/" + name + "-" + std::to_string(getpid());
        make_and_attach(cgroup_);
        if (nested) {
            nested_ = cgroup_ + "/nested";
            make_and_attach(nested_);
        }
        if (uid_rule) {
            uid_cgroup_ = cgroup_ + "-uid";
            make_and_link(uid_cgroup_);
            uid_slice_ = uid_cgroup_ + "/slice";
            make_and_attach(uid_slice_);
        }
    }
    ~SteerSandbox() {
        for (int link : links_) close(link);
        for (const auto* dir : {&nested_, &cgroup_, &uid_slice_, &uid_cgroup_})
            if (!dir->empty()) rmdir(dir->c_str());  // detaches what the test attached
    }
    SteerSandbox(const SteerSandbox&) = delete;
    SteerSandbox& operator=(const SteerSandbox&) = delete;

    const bpf::Program& program() const { return program_; }
    const std::string& cgroup() const { return cgroup_; }
    const std::string& nested() const { return nested_; }
    const std::string& root() const { return root_; }
    // Where the uid programs are (the stand-in for the root), and a slice below it.
    const std::string& uid_cgroup() const { return uid_cgroup_; }
    const std::string& uid_slice() const { return uid_slice_; }

    // Moves the calling process into `cgroup` (a path from above, or root()).
    static std::string join(const std::string& cgroup) {
        const std::string procs = cgroup + "/cgroup.procs";
        int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
        const std::string me = std::to_string(getpid());
        const bool ok = fd >= 0 && write(fd, me.data(), me.size()) == static_cast<ssize_t>(me.size());
        if (fd >= 0) close(fd);
        return ok ? "" : "join " + procs + ": " + std::strerror(errno);
    }

    // Runs `body` in a child in a fresh network namespace (lo up, a TUN
    // "subu_9" up with 10.9.0.2/24 and fd09::2/64); `body` gets the TUN's
    // index and returns what it wants to report (a problem, a number).
    std::string in_child(const std::function<std::string(unsigned)>& body) {
        return in_forked_child([&] {
            std::string out = prepare_netns();
            return out.empty() ? body(if_nametoindex("subu_9")) : out;
        });
    }

private:
    void make_and_attach(const std::string& dir) {
        if (mkdir(dir.c_str(), 0755) < 0) throw std::runtime_error("mkdir " + dir + ": " + std::strerror(errno));
        int cg = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg < 0) throw std::runtime_error("open " + dir);
        for (const auto& h : bpf::hooks())
            if (bpf_prog_attach(program_.prog_fd(h.name), cg, bpf::attach_type(h.name), BPF_F_ALLOW_MULTI) < 0) {
                close(cg);
                throw std::runtime_error("attach " + std::string(h.name) + ": " + std::strerror(errno));
            }
        close(cg);
    }

    // The uid programs on `dir`, as links (as subu-bpf.service attaches them at the root).
    void make_and_link(const std::string& dir) {
        if (mkdir(dir.c_str(), 0755) < 0) throw std::runtime_error("mkdir " + dir + ": " + std::strerror(errno));
        int cg = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg < 0) throw std::runtime_error("open " + dir);
        for (const auto& h : bpf::uid_hooks()) {
            int link = bpf_link_create(program_.uid_prog_fd(h.name), cg, bpf::attach_type(h.name), nullptr);
            if (link < 0) {
                close(cg);
                throw std::runtime_error("link uid " + std::string(h.name) + ": " + std::strerror(errno));
            }
            links_.push_back(link);
        }
        close(cg);
    }

    static std::string set_up(int sock, const char* name) {
        ifreq f{};
        std::strcpy(f.ifr_name, name);
        ioctl(sock, SIOCGIFFLAGS, &f);
        f.ifr_flags = static_cast<short>(f.ifr_flags | IFF_UP);
        return ioctl(sock, SIOCSIFFLAGS, &f) < 0 ? std::string("up ") + name : "";
    }

    static std::string prepare_netns() {
        if (unshare(CLONE_NEWNET) < 0) return "unshare";
        int tun = open("/dev/net/tun", O_RDWR | O_CLOEXEC);  // kept open: the device lives as long as the child
        if (tun < 0) return "open /dev/net/tun";
        ifreq ifr{};
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
        std::strcpy(ifr.ifr_name, "subu_9");
        if (ioctl(tun, TUNSETIFF, &ifr) < 0) return "TUNSETIFF";
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        for (const char* name : {"lo", "subu_9"})
            if (auto e = set_up(s, name); !e.empty()) return e;
        ifreq a{};
        std::strcpy(a.ifr_name, "subu_9");
        auto* sin = reinterpret_cast<sockaddr_in*>(&a.ifr_addr);
        sin->sin_family = AF_INET;
        inet_pton(AF_INET, "10.9.0.2", &sin->sin_addr);
        if (ioctl(s, SIOCSIFADDR, &a) < 0) return "address";
        close(s);
        // An IPv6 address too, the source for ::1 over the tunnel.
        int s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        in6_ifreq a6{};
        inet_pton(AF_INET6, "fd09::2", &a6.ifr6_addr);
        a6.ifr6_prefixlen = 64;
        a6.ifr6_ifindex = static_cast<int>(if_nametoindex("subu_9"));
        if (ioctl(s6, SIOCSIFADDR, &a6) < 0) return "v6 address";
        close(s6);
        return "";
    }

    std::string root_, cgroup_, nested_, uid_cgroup_, uid_slice_;
    std::vector<int> links_;
    bpf::Program program_{""};
};

}  // namespace subu::testing
