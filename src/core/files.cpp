// Atomic replacement of small files the daemon owns.
#include "core/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "core/errors.h"

namespace subu::files {

void write_atomically(const std::string& path, std::string_view content, unsigned mode) {
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    std::string tmpl = path + ".XXXXXX";
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');
    int fd = mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0) throw_errno("create a temporary file beside " + path);
    const std::string tmp(name.data());
    try {
        if (fchmod(fd, mode) < 0) throw_errno("set the mode of " + tmp);
        const char* p = content.data();
        std::size_t left = content.size();
        while (left > 0) {
            ssize_t n = write(fd, p, left);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw_errno("write " + tmp);
            }
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        if (fsync(fd) < 0) throw_errno("flush " + tmp);
        if (close(fd) < 0) {
            fd = -1;
            throw_errno("close " + tmp);
        }
        fd = -1;
        if (rename(tmp.c_str(), path.c_str()) < 0) throw_errno("rename " + tmp + " to " + path);
    } catch (...) {
        if (fd >= 0) close(fd);
        unlink(tmp.c_str());
        throw;
    }
    int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

std::optional<std::string> read_if_exists(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return std::nullopt;
    std::string out;
    struct stat st {};
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        char buf[8192];
        for (;;) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                if (n < 0) st.st_mode = 0;
                break;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    } else {
        st.st_mode = 0;
    }
    ::close(fd);
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    return out;
}

}  // namespace subu::files
