// Named network namespaces, bind-mounted under /run/netns as iproute2 does, made in-process.
#pragma once
#include <functional>
#include <string>
#include <string_view>

namespace subu::system {

// Runs `fn` on a thread that has joined the network namespace at `path`, so the
// rest of the process stays where it is. Returns the errno `fn` reports, or 0.
int in_netns(const std::string& path, const std::function<int()>& fn);

// The seam the service changes namespaces through; tests replace it.
class Namespaces {
public:
    virtual ~Namespaces() = default;
    virtual bool exists(std::string_view name) = 0;
    // Ensures the namespace exists; returns true if this call made it. A
    // namespace made here gets its loopback up when `loopback_up` (one trip
    // into the namespace instead of two).
    virtual bool ensure(std::string_view name, bool loopback_up = false) = 0;
    // Ensures it is gone; absent is success.
    virtual void remove(std::string_view name) = 0;
    // The loopback link inside the namespace (which must exist).
    virtual bool loopback_up(std::string_view name) = 0;
    virtual void set_loopback(std::string_view name, bool up) = 0;
};

class NetnsDirectory final : public Namespaces {
public:
    explicit NetnsDirectory(std::string dir = "/run/netns") : dir_(std::move(dir)) {}
    bool exists(std::string_view name) override;
    bool ensure(std::string_view name, bool loopback_up = false) override;
    void remove(std::string_view name) override;
    bool loopback_up(std::string_view name) override;
    void set_loopback(std::string_view name, bool up) override;
    std::string path_of(std::string_view name) const { return dir_ + "/" + std::string(name); }

private:
    void prepare_dir();
    std::string dir_;
    bool dir_ready_ = false;
};

}  // namespace subu::system
