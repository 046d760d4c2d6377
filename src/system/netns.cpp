// Network namespaces the iproute2 way: a shared /run/netns, a file per name, the nsfs bind-mounted on it.
#include "system/netns.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <system_error>
#include <thread>

#include "system/inside.h"
#include "core/errors.h"

namespace subu::system {
namespace {

bool is_nsfs(const std::string& path) {
    struct statfs fs{};
    if (statfs(path.c_str(), &fs) < 0) return false;
    return fs.f_type == NSFS_MAGIC;
}

// SIOCGIFFLAGS/SIOCSIFFLAGS on "lo" from a socket made inside the namespace.
int loopback_flags(bool set, bool up, bool* is_up) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return errno;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    int err = 0;
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
        err = errno;
    } else if (set) {
        if (up) ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
        else ifr.ifr_flags = static_cast<short>(ifr.ifr_flags & ~IFF_UP);
        if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) err = errno;
    } else {
        *is_up = (ifr.ifr_flags & IFF_UP) != 0;
    }
    close(sock);
    return err;
}

}  // namespace

int in_netns(const std::string& path, const std::function<int()>& fn) {
    try {
        return in_network_namespace(path, fn);
    } catch (const std::system_error& e) {
        return e.code().value();  // opening or entering the namespace failed
    }
}

bool NetnsDirectory::loopback_up(std::string_view name) {
    bool up = false;
    int err = in_netns(path_of(name), [&] { return loopback_flags(false, false, &up); });
    if (err) throw_errno(err, "read the loopback state in " + std::string(name));
    return up;
}

void NetnsDirectory::set_loopback(std::string_view name, bool up) {
    int err = in_netns(path_of(name), [&] { return loopback_flags(true, up, nullptr); });
    if (err) throw_errno(err, std::string("bring loopback ") + (up ? "up" : "down") + " in " + std::string(name));
}

void NetnsDirectory::prepare_dir() {
    if (dir_ready_) return;
    if (mkdir(dir_.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("create " + dir_);
    // A shared mount, so namespaces made here are seen from every mount
    // namespace that has /run (as `ip netns add` arranges it).
    if (mount("", dir_.c_str(), "none", MS_SHARED | MS_REC, nullptr) < 0) {
        if (errno != EINVAL) throw_errno("make " + dir_ + " a shared mount");
        if (mount(dir_.c_str(), dir_.c_str(), "none", MS_BIND | MS_REC, nullptr) < 0)
            throw_errno("bind-mount " + dir_ + " onto itself");
        if (mount("", dir_.c_str(), "none", MS_SHARED | MS_REC, nullptr) < 0)
            throw_errno("make " + dir_ + " a shared mount");
    }
    dir_ready_ = true;
}

bool NetnsDirectory::exists(std::string_view name) { return is_nsfs(path_of(name)); }

bool NetnsDirectory::ensure(std::string_view name, bool loopback_up) {
    const std::string path = path_of(name);
    prepare_dir();
    if (is_nsfs(path)) return false;
    int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0);
    if (fd < 0) throw_errno("create the mount point " + path);
    close(fd);

    // unshare() moves only the calling thread into the new namespace, so a
    // short-lived thread makes it and leaves the rest of the process alone.
    int err = 0;
    std::thread maker([&] {
        if (unshare(CLONE_NEWNET) < 0) {
            err = errno;
            return;
        }
        if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) < 0) {
            err = errno;
            return;
        }
        if (loopback_up) err = loopback_flags(true, true, nullptr);
    });
    maker.join();
    if (err) {
        umount2(path.c_str(), MNT_DETACH);
        unlink(path.c_str());
        throw_errno(err, "make the network namespace " + std::string(name));
    }
    return true;
}

void NetnsDirectory::remove(std::string_view name) {
    const std::string path = path_of(name);
    if (umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        throw_errno("unmount the network namespace " + path);
    if (unlink(path.c_str()) < 0 && errno != ENOENT) throw_errno("remove " + path);
}

}  // namespace subu::system
