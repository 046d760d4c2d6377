// subu-manager: the org.subu.Manager1 system service.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "bpf/steering.h"
#include "bus/manager_object.h"
#include "bus/systemd_units.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/files.h"
#include "export/export.h"
#include "service/services.h"
#include "service/subus.h"
#include "service/wireguards.h"
#include "store/store.h"
#include "subu/config.h"
#include "system/accounts.h"
#include "system/netns.h"
#include "units/render.h"

namespace {

constexpr const char* help_text = R"(Usage: subu-manager [OPTIONS]

The subu system service. It owns org.subu.Manager1 on the system bus, keeps
the desired state of every subu in its SQLite store, and makes the Unix users
that subus are. Their namespaces and networks it leaves to systemd: it starts,
stops and reloads subu@NAME.service and subu-netns@NAME.service, and keeps the
boot export that subu-generator turns into units (slices, and drop-ins that
put each subu's user manager and attached services into its namespace). It
is started by D-Bus activation (or `systemctl start subu-manager`); people
use `subu` or busctl.

On start it finishes or undoes whatever a crash interrupted (a half-made or
half-removed subu), starts the units of subus whose namespace is missing, and
rewrites the boot export; if that changed it (an upgrade from format 1), it
reloads systemd and restarts running user managers of subus into their subu.

Options:
  --state-db PATH   use this database instead of the default
  --export PATH     write the boot export here instead of /etc/subu/subus
  --stderr          log to stderr instead of the journal
  -h, --help        show this help
  --version         show the version

Files:
  )";

int usage_error(const std::string& what) {
    std::fprintf(stderr, "subu-manager: %s\nTry 'subu-manager --help'.\n", what.c_str());
    return 2;
}

// How long the bus must be quiet before a pending systemd reload runs.
constexpr int reload_after_idle_ms = 300;

// Serves the bus until SIGTERM or SIGINT; reloads systemd once a burst of changes is over.
// The private systemd connection is pumped here too: what it brings (the end
// of an exec'd program) is answered by `manager.settle()`.
void serve(sdbus::IConnection& connection, subu::bus::SystemdUnits& systemd, subu::bus::ManagerObject& manager,
           subu::service::Subus& subus) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (sfd < 0) subu::throw_errno("create a signalfd");
    for (;;) {
        while (connection.processPendingRequest() || systemd.connection().processPendingRequest()) {
        }
        manager.settle();
        auto pd = connection.getEventLoopPollData();
        auto spd = systemd.connection().getEventLoopPollData();
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        const uint64_t now_us = static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
        int timeout_ms = -1;
        for (uint64_t t : {pd.timeout_usec, spd.timeout_usec}) {
            if (t == UINT64_MAX) continue;
            const int ms = t <= now_us ? 0 : static_cast<int>((t - now_us + 999) / 1000);
            if (timeout_ms < 0 || ms < timeout_ms) timeout_ms = ms;
        }
        if (subus.reload_pending() && (timeout_ms < 0 || timeout_ms > reload_after_idle_ms))
            timeout_ms = reload_after_idle_ms;
        pollfd fds[3] = {{pd.fd, pd.events, 0}, {sfd, POLLIN, 0}, {spd.fd, spd.events, 0}};
        int ready = poll(fds, 3, timeout_ms);
        if (ready < 0) {
            if (errno == EINTR) continue;
            subu::throw_errno("poll the bus");
        }
        if (ready == 0) subus.flush_reload();
        if (fds[1].revents & POLLIN) {
            signalfd_siginfo si{};
            if (read(sfd, &si, sizeof si) == sizeof si) {
                subu::log::info(std::string("Stopping on ") + strsignal(static_cast<int>(si.ssi_signo)));
                // A reload still pending is left to the next boot or start:
                // the generator reads the export, which is already written.
                close(sfd);
                return;
            }
        }
    }
}

// recover() has rewritten the export; when that changed it (an upgrade from
// format 1, an edit, a restore), systemd reloads now, so the generated units
// are the store's before anyone logs in. After format 1, which had no uids,
// running user managers of subus started outside their subu: they restart
// into it (their user services restart with them).
void catch_up_boot_view(subu::store::Store& store, subu::bus::SystemdUnits& units,
                        const std::optional<std::string>& before, const std::optional<std::string>& after) {
    if (before == after) return;
    try {
        units.daemon_reload();
        if (!before || before->rfind("# subu export 1:", 0) != 0) return;
        for (const auto& r : store.subus()) {
            if (r.state != subu::store::RowState::Ready || !r.uid) continue;
            const std::string unit = subu::units::user_manager(*r.uid);
            if (units.active_state(unit) != "active") continue;
            units.try_restart(unit);
            subu::log::info("Restarted " + unit + " into the namespace of " + r.name + " after the upgrade of the export",
                            {{"SUBU_ID", r.id()}, {"SUBU_NAME", r.name}, {"UNIT", unit}});
        }
    } catch (const std::exception& e) {
        subu::log::error(std::string("Could not bring systemd in line with the rewritten boot export: ") + e.what());
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string db = subu::config::state_db;
    std::string export_path = subu::exporting::default_path;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::printf("%s%s    the state store\n  %s    the boot export (what subu-generator reads)\n", help_text,
                        subu::config::state_db, subu::exporting::default_path);
            return 0;
        }
        if (a == "--version") {
            std::printf("subu-manager %s\n", subu::config::version);
            return 0;
        }
        if (a == "--stderr") {
            subu::log::to_stderr(true);
        } else if (a == "--export") {
            if (++i >= argc) return usage_error("--export needs a path");
            export_path = argv[i];
        } else if (a == "--state-db") {
            if (++i >= argc) return usage_error("--state-db needs a path");
            db = argv[i];
        } else {
            return usage_error("unknown argument '" + a + "'");
        }
    }
    try {
        umask(0077);
        std::string dir = db.substr(0, db.rfind('/'));
        if (!dir.empty() && mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) subu::throw_errno("create " + dir);
        subu::store::Store store(db);
        subu::system::ShadowAccounts accounts;
        subu::system::NetnsDirectory netns(subu::config::netns_dir);
        subu::bus::SystemdUnits units;
        subu::service::Subus subus(store, accounts, netns, units);
        subu::bpf::PinnedUidRule uid_rule(subu::config::netns_dir);
        subus.keep_uid_rule(uid_rule);
        subus.on_change([&] { subu::exporting::write(store, export_path); });
        const auto export_before = subu::files::read_if_exists(export_path);
        subus.recover();
        catch_up_boot_view(store, units, export_before, subu::files::read_if_exists(export_path));
        subu::service::Services services(store, subus, units);
        subu::service::WireGuards wgs(store, subus, units, dir + "/keys");
        wgs.recover();
        wgs.converge_units();

        auto connection = sdbus::createSystemBusConnection();
        subu::bus::ManagerObject manager(*connection, store, subus, wgs, services, units);
        manager.publish_all();
        // The name is taken last: a caller activated by it finds every object in place.
        connection->requestName(subu::config::bus_name);
        subu::log::info(std::string("Serving ") + subu::config::bus_name + " with state in " + db,
                        {{"SUBU_STATE_DB", db}, {"SUBU_SCHEMA_VERSION", std::to_string(store.schema_version())}});
        serve(*connection, units, manager, subus);
        connection->releaseName(subu::config::bus_name);
        return 0;
    } catch (const std::exception& e) {
        subu::log::error(std::string("subu-manager cannot run: ") + e.what());
        std::fprintf(stderr, "subu-manager: %s\n", e.what());
        return 1;
    }
}
