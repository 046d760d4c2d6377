// Runs a piece of a test in a forked child (which may change its uid, namespaces or cgroup for good) and returns what it reports.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

namespace subu::testing {

// `body` in a child; its returned text (a problem, a value) is the result. "pipe" when none could be made.
inline std::string in_forked_child(const std::function<std::string()>& body) {
    int fds[2];
    if (pipe(fds) < 0) return "pipe";
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        const std::string out = body();
        (void)!write(fds[1], out.data(), out.size());
        _exit(0);
    }
    close(fds[1]);
    std::string out;
    char buf[512];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    waitpid(pid, nullptr, 0);
    return out;
}

}  // namespace subu::testing
