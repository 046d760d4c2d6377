// The one place where subu's errors become named D-Bus errors.
#pragma once
#include <sdbus-c++/Error.h>

#include <functional>

namespace subu::bus {

inline constexpr const char* error_not_found = "org.subu.Error.NotFound";
inline constexpr const char* error_exists = "org.subu.Error.Exists";
inline constexpr const char* error_invalid = "org.subu.Error.InvalidArgument";
inline constexpr const char* error_busy = "org.subu.Error.Busy";
inline constexpr const char* error_failed = "org.subu.Error.Failed";
inline constexpr const char* error_access_denied = "org.freedesktop.DBus.Error.AccessDenied";

// Runs a handler body; any exception leaves as an sdbus::Error with its D-Bus name.
template <typename F>
auto guarded(const char* method, F&& body) -> decltype(body());

[[noreturn]] void rethrow_as_bus_error(const char* method);

template <typename F>
auto guarded(const char* method, F&& body) -> decltype(body()) {
    try {
        return body();
    } catch (...) {
        rethrow_as_bus_error(method);
    }
}

}  // namespace subu::bus
