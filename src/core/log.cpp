// Journal logging with structured fields and the code location, as sd_journal_sendv sees them.
#include "core/log.h"

#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <vector>

namespace subu::log {
namespace {
std::atomic<bool> use_stderr{false};
}

void to_stderr(bool on) { use_stderr = on; }

void send(Level level, std::string_view message, std::initializer_list<Field> fields,
          const std::source_location& where) {
    send(level, message, std::span<const Field>(fields.begin(), fields.size()), where);
}

void send(Level level, std::string_view message, std::span<const Field> fields, const std::source_location& where) {
    if (use_stderr) {
        std::string line(message);
        for (const auto& [k, v] : fields) line += " " + std::string(k) + "=" + v;
        std::fprintf(stderr, "%s\n", line.c_str());
        return;
    }
    std::vector<std::string> items;
    items.reserve(fields.size() + 6);
    items.push_back("MESSAGE=" + std::string(message));
    items.push_back("PRIORITY=" + std::to_string(static_cast<int>(level)));
    items.push_back(std::string("SYSLOG_IDENTIFIER=") + program_invocation_short_name);
    items.push_back(std::string("CODE_FILE=") + where.file_name());
    items.push_back("CODE_LINE=" + std::to_string(where.line()));
    items.push_back(std::string("CODE_FUNC=") + where.function_name());
    for (const auto& [k, v] : fields) items.push_back(std::string(k) + "=" + v);
    std::vector<iovec> iov;
    iov.reserve(items.size());
    for (auto& s : items) iov.push_back({s.data(), s.size()});
    if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) < 0)
        std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
}

}  // namespace subu::log
