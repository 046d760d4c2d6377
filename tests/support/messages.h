// The message a call throws, for tests that check what a person would read.
#pragma once
#include <exception>
#include <functional>
#include <string>

namespace subu::samples {

inline std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no exception)";
}

}  // namespace subu::samples
