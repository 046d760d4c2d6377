// Runs `subu exec` programs as transient units and answers each Exec call when its unit has ended,
// without ever blocking the manager's loop for the duration of a program.
#pragma once
#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "bus/systemd_units.h"
#include "service/exec.h"

namespace subu::bus {

// Exec's reply: unit, systemd's result, ExecMainCode (1 exited, 2 killed, 3 dumped, 0 never ran), ExecMainStatus.
using ExecReply = sdbus::Result<std::string, std::string, std::int32_t, std::int32_t>;

class ExecRunner {
public:
    explicit ExecRunner(SystemdUnits& systemd);
    ~ExecRunner();

    // A name no running unit has.
    std::uint64_t next_serial() { return serial_++; }

    // Starts `plan` with the caller's descriptors as stdin, stdout and stderr;
    // `reply` is answered once the unit has ended (or now, if systemd refuses).
    void start(const service::ExecPlan& plan, const sdbus::UnixFd& in, const sdbus::UnixFd& out,
               const sdbus::UnixFd& err, const std::string& owner, ExecReply&& reply);

    // Sends `signal` to every program that the bus peer `owner` runs; returns how many.
    std::size_t kill(const std::string& owner, int signal);

    // Answers the calls whose units have ended; the manager's loop calls it
    // after handling what arrived on the private systemd connection.
    void settle();

private:
    // What PropertiesChanged and JobRemoved told about one running unit.
    struct Running {
        std::string unit;
        sdbus::ObjectPath path;
        std::string owner;
        ExecReply reply;
        bool dirty = false;
        bool job_pending = true;  // its start job
        std::optional<std::string> state, result;
        std::optional<std::int32_t> code, status;
    };
    void changed(sdbus::Message& message);
    bool finished(Running& r);
    void answer(Running& r);

    SystemdUnits& systemd_;
    std::map<std::string, std::unique_ptr<Running>> running_;  // by unit name
    sdbus::Slot match_;
    std::uint64_t serial_;
};

}  // namespace subu::bus
