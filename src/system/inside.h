// Owned file descriptors and short trips into a network namespace: the one way subu enters a namespace.
#pragma once
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "core/errors.h"

namespace subu::system {

// A move-only file descriptor, closed on destruction.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    int release() noexcept { return std::exchange(fd_, -1); }
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

// Runs `fn` on a short-lived thread that has joined the network namespace
// `netns_fd` and returns what it returns (or rethrows what it throws).
// setns() moves only the calling thread, so the rest of the process, and every
// socket it already has, stays where it is; sockets `fn` makes stay inside.
// `name` is for messages.
template <class Fn>
auto in_network_namespace(int netns_fd, const std::string& name, Fn&& fn) -> std::invoke_result_t<Fn&> {
    using Result = std::invoke_result_t<Fn&>;
    std::exception_ptr error;
    std::conditional_t<std::is_void_v<Result>, bool, std::optional<Result>> result{};
    std::thread worker([&] {
        try {
            if (::setns(netns_fd, CLONE_NEWNET) < 0) throw_errno("enter the network namespace " + name);
            if constexpr (std::is_void_v<Result>)
                fn();
            else
                result.emplace(fn());
        } catch (...) {
            error = std::current_exception();
        }
    });
    worker.join();
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<Result>) return std::move(*result);
}

// The same, for a namespace named by a path (/run/netns/NAME, /proc/PID/ns/net).
template <class Fn>
auto in_network_namespace(const std::string& netns_path, Fn&& fn) -> std::invoke_result_t<Fn&> {
    Fd ns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) throw_errno("open the network namespace " + netns_path);
    return in_network_namespace(ns.get(), netns_path, std::forward<Fn>(fn));
}

}  // namespace subu::system
