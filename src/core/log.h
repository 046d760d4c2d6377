// Structured logging to the journal (falls back to stderr when there is no journal).
#pragma once
#include <initializer_list>
#include <source_location>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace subu::log {

using Field = std::pair<std::string_view, std::string>;
// Fields built up along the way (the keys must outlive the call: literals).
using Fields = std::vector<Field>;

enum class Level { Error = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7 };

void send(Level level, std::string_view message, std::initializer_list<Field> fields,
          const std::source_location& where);
void send(Level level, std::string_view message, std::span<const Field> fields, const std::source_location& where);

// Send to stderr instead of the journal (for tools run by hand and tests).
void to_stderr(bool on);

inline void error(std::string_view m, std::initializer_list<Field> f = {},
                  const std::source_location& w = std::source_location::current()) {
    send(Level::Error, m, f, w);
}
inline void warning(std::string_view m, std::initializer_list<Field> f = {},
                    const std::source_location& w = std::source_location::current()) {
    send(Level::Warning, m, f, w);
}
inline void info(std::string_view m, std::initializer_list<Field> f = {},
                 const std::source_location& w = std::source_location::current()) {
    send(Level::Info, m, f, w);
}
inline void error(std::string_view m, const Fields& f, const std::source_location& w = std::source_location::current()) {
    send(Level::Error, m, std::span<const Field>(f), w);
}
inline void warning(std::string_view m, const Fields& f,
                    const std::source_location& w = std::source_location::current()) {
    send(Level::Warning, m, std::span<const Field>(f), w);
}
inline void info(std::string_view m, const Fields& f, const std::source_location& w = std::source_location::current()) {
    send(Level::Info, m, std::span<const Field>(f), w);
}
inline void debug(std::string_view m, std::initializer_list<Field> f = {},
                  const std::source_location& w = std::source_location::current()) {
    send(Level::Debug, m, f, w);
}

}  // namespace subu::log
