// The one error model of subu: small domain error types and system errors that name the call.
#pragma once
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace subu {

// Base of every error a caller can act on; `kind` selects the D-Bus error name.
class Error : public std::runtime_error {
public:
    enum class Kind { InvalidArgument, NotFound, Exists, AccessDenied, Busy, Failed };
    Error(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};

struct InvalidArgument : Error {
    explicit InvalidArgument(const std::string& m) : Error(Kind::InvalidArgument, m) {}
};
struct NotFound : Error {
    explicit NotFound(const std::string& m) : Error(Kind::NotFound, m) {}
};
struct Exists : Error {
    explicit Exists(const std::string& m) : Error(Kind::Exists, m) {}
};
struct AccessDenied : Error {
    explicit AccessDenied(const std::string& m) : Error(Kind::AccessDenied, m) {}
};
struct Busy : Error {
    explicit Busy(const std::string& m) : Error(Kind::Busy, m) {}
};
struct Failed : Error {
    explicit Failed(const std::string& m) : Error(Kind::Failed, m) {}
};

// A failed syscall: "Failed to <what>: <strerror>".
[[noreturn]] inline void throw_errno(int err, const std::string& what) {
    throw std::system_error(err, std::generic_category(), "Failed to " + what);
}
[[noreturn]] inline void throw_errno(const std::string& what) { throw_errno(errno, what); }

}  // namespace subu
