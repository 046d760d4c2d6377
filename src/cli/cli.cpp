// The `subu` verbs: each builds one or two D-Bus calls and prints a result a person reads.
#include "cli/cli.h"

#include <sdbus-c++/sdbus-c++.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>

#include "core/text.h"
#include "subu/config.h"
#include "subu/dbus/Manager1_proxy.h"

namespace subu::cli {
namespace {

constexpr const char* help_text = R"(NAME
    subu - manage subordinate users: Unix users with their own network namespace

SYNOPSIS
    subu make OWNER NAME [NAME...]
    subu remove [--purge] SUBU
    subu list
    subu info SUBU            (also: information)
    subu network up|down SUBU
    subu lo up|down SUBU
    subu init
    subu help | usage | example | version

DESCRIPTION
    A subu is a Unix user that belongs to a person (its owner, the "masu") and
    lives in its own network namespace. `subu make Thomas US` makes the subu
    Thomas_US: the Unix user Thomas_US (primary group Thomas, also in group
    Thomas-incommon) and the network namespace ns-subu_N, where subu_N is its
    id. `subu make Thomas US Rabbit` makes Thomas_US_Rabbit inside Thomas_US.

    SUBU is an id (subu_1) or a name (Thomas_US). Names are tokens of ASCII
    letters, digits and '-', joined by '_'; a whole name has at most 31
    characters. The owner must be an existing Unix user.

    subu talks to subu-manager (org.subu.Manager1) on the system bus, which
    starts on demand. Root may manage every subu; a person may make, list,
    inspect and remove the subus they own, without sudo.

VERBS
    make OWNER NAME...   Make a subu; prints its id and name.
    remove SUBU          Remove a subu: its Unix user, namespace and record.
                         Its home directory is kept; --purge deletes it too.
                         A subu with child subus cannot be removed.
    list                 The subus you may see, as a table.
    info SUBU            Everything known about one subu.
    network up SUBU      Bring the subu's network up and keep it up across
                         reboots: starts subu@NAME.service (its namespace,
                         loopback up). `network down` stops it; the namespace
                         stays, as after make.
    lo up|down SUBU      The loopback inside the subu's namespace, kept.
    init                 Make sure the state store exists; say where it is.
    help                 This text.        usage     The synopsis only.
    example              A short session.  version   The version.

EXIT STATUS
    0 success, 1 failure, 2 bad usage or invalid argument, 3 not found,
    4 already exists, 5 access denied, 6 busy (e.g. has child subus),
    7 the manager cannot be reached.

FILES
    /var/lib/subu/subu.db    the state store (owned by subu-manager)
    /etc/subu/subus          the boot export subu-generator reads
    /run/netns/ns-subu_N     a subu's network namespace

SYSTEMD
    Every subu is a slice (subu-Thomas-US.slice; nested subus nested) and the
    units subu@NAME.service and subu-netns@NAME.service, NAME escaped as
    systemd-escape does. `systemctl status subu@Thomas_US` tells the truth.
)";

constexpr const char* usage_text = R"(Usage: subu make OWNER NAME [NAME...]
       subu remove [--purge] SUBU
       subu list
       subu info SUBU
       subu network up|down SUBU
       subu lo up|down SUBU
       subu init
       subu help | usage | example | version
)";

constexpr const char* example_text = R"(# As root (or as Thomas, for Thomas's own subus):
useradd -m Thomas
subu make Thomas US            # subu_1  Thomas_US
subu make Thomas US Rabbit     # subu_2  Thomas_US_Rabbit
subu list
subu info Thomas_US            # or: subu info subu_1
ip netns exec ns-subu_1 ip link    # only lo, and it is down
subu network up Thomas_US      # subu@Thomas_US.service starts; lo up; back after reboot
systemctl status subu@Thomas_US
subu lo down Thomas_US
subu remove Thomas_US_Rabbit   # its home /home/Thomas_US_Rabbit stays
subu remove --purge Thomas_US  # and this one's home goes too
)";

class Manager final : public sdbus::ProxyInterfaces<org::subu::Manager1_proxy> {
public:
    explicit Manager(sdbus::IConnection& c) : ProxyInterfaces(c, config::bus_name, config::manager_path) {}
    ~Manager() { unregisterProxy(); }

private:
    void onSubuNew(const std::string&, const sdbus::ObjectPath&) override {}
    void onSubuRemoved(const std::string&, const sdbus::ObjectPath&) override {}
};

int usage_error(const std::string& what) {
    std::fprintf(stderr, "subu: %s\n%s", what.c_str(), usage_text);
    return Exit::usage;
}


std::string pad(const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

std::string when(std::uint64_t t) {
    if (t == 0) return "-";
    std::time_t tt = static_cast<std::time_t>(t);
    char buf[64];
    std::tm tm{};
    localtime_r(&tt, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &tm);
    return buf;
}

int cmd_list(Manager& m) {
    auto rows = m.ListSubus();
    if (rows.empty()) {
        std::printf("No subus. Make one with: subu make OWNER NAME\n");
        return Exit::ok;
    }
    std::size_t wid = 2, wname = 4, wowner = 5;
    for (const auto& r : rows) {
        wid = std::max(wid, r.get<0>().size());
        wname = std::max(wname, r.get<1>().size());
        wowner = std::max(wowner, r.get<2>().size());
    }
    std::printf("%s  %s  %s  %-6s  %s\n", pad("ID", wid).c_str(), pad("NAME", wname).c_str(),
                pad("OWNER", wowner).c_str(), "UID", "NETWORK");
    for (const auto& r : rows)
        std::printf("%s  %s  %s  %-6u  %s\n", pad(r.get<0>(), wid).c_str(), pad(r.get<1>(), wname).c_str(),
                    pad(r.get<2>(), wowner).c_str(), r.get<4>(), r.get<3>().c_str());
    std::printf("\n%zu subu%s.\n", rows.size(), rows.size() == 1 ? "" : "s");
    return Exit::ok;
}

int cmd_info(sdbus::IConnection& c, Manager& m, const std::string& ref) {
    auto path = m.GetSubu(ref);
    auto obj = sdbus::createProxy(c, config::bus_name, path);
    std::map<std::string, sdbus::Variant> props;
    obj->callMethod("GetAll").onInterface("org.freedesktop.DBus.Properties").withArguments("org.subu.Subu1").storeResultsTo(props);
    auto str = [&](const char* k) { return props.count(k) ? props[k].get<std::string>() : std::string("?"); };
    auto u32 = [&](const char* k) { return props.count(k) ? std::to_string(props[k].get<uint32_t>()) : std::string("?"); };
    std::string parent = str("Parent");
    std::printf("Id:                %s\n", str("Id").c_str());
    std::printf("Name:              %s\n", str("Name").c_str());
    std::printf("Owner:             %s (uid %s)\n", str("Owner").c_str(), u32("OwnerUid").c_str());
    std::printf("Parent:            %s\n", parent.empty() ? "(none: top level)" : parent.c_str());
    std::printf("Uid:               %s\n", u32("Uid").c_str());
    std::printf("Home:              %s\n", str("Home").c_str());
    std::printf("Network namespace: %s\n", str("NetworkNamespace").c_str());
    std::printf("Network:           %s\n", str("Network").c_str());
    std::printf("Unit:              %s\n", str("Unit").c_str());
    std::printf("Slice:             %s\n", str("Slice").c_str());
    std::printf("Loopback:          %s\n", str("Loopback").c_str());
    std::printf("Created:           %s\n",
                when(props.count("CreatedAt") ? props["CreatedAt"].get<uint64_t>() : 0).c_str());
    std::printf("Object:            %s\n", path.c_str());
    return Exit::ok;
}

int dispatch(const std::vector<std::string>& args) {
    const std::string& verb = args[0];
    auto rest = std::vector<std::string>(args.begin() + 1, args.end());
    if (verb == "help" || verb == "--help" || verb == "-h") {
        std::fputs(help_text, stdout);
        return Exit::ok;
    }
    if (verb == "usage") {
        std::fputs(usage_text, stdout);
        return Exit::ok;
    }
    if (verb == "example") {
        std::fputs(example_text, stdout);
        return Exit::ok;
    }
    if (verb == "version" || verb == "--version") {
        std::printf("subu %s\n", config::version);
        return Exit::ok;
    }
    static const std::map<std::string, std::pair<std::size_t, std::size_t>> arity = {
        {"make", {2, 64}}, {"remove", {1, 2}}, {"list", {0, 0}}, {"info", {1, 1}},
        {"information", {1, 1}}, {"init", {0, 0}}, {"network", {2, 2}}, {"lo", {2, 2}}};
    auto a = arity.find(verb);
    if (a == arity.end()) return usage_error("unknown verb " + shown(verb));
    bool purge = false;
    if (verb == "remove" && !rest.empty() && rest[0] == "--purge") {
        purge = true;
        rest.erase(rest.begin());
    }
    if (rest.size() < a->second.first || rest.size() > a->second.second)
        return usage_error("'" + verb + "' takes " +
                           (a->second.first == a->second.second ? std::to_string(a->second.first)
                                                                : "at least " + std::to_string(a->second.first)) +
                           " argument(s), got " + std::to_string(rest.size()));
    for (const auto& r : rest)
        if (r.size() > 1 && r[0] == '-') return usage_error("unknown option " + shown(r));

    if ((verb == "network" || verb == "lo") && rest[0] != "up" && rest[0] != "down")
        return usage_error("'" + verb + "' takes up or down, then the subu");

    std::unique_ptr<sdbus::IConnection> connection;
    try {
        connection = sdbus::createSystemBusConnection();
    } catch (const sdbus::Error& e) {
        std::fprintf(stderr, "subu: cannot connect to the system bus: %s\n", e.getMessage().c_str());
        return Exit::unreachable;
    }
    Manager m(*connection);
    if (verb == "make") {
        auto [id, name, object] = m.MakeSubu(rest);
        std::printf("%s  %s\n", id.c_str(), name.c_str());
        return Exit::ok;
    }
    if (verb == "remove") {
        if (purge) m.RemoveSubuWithOptions(rest[0], {{"purge", sdbus::Variant(true)}});
        else m.RemoveSubu(rest[0]);
        std::printf("Removed %s%s\n", rest[0].c_str(),
                    purge ? " and its home directory" : "; its home directory is kept");
        return Exit::ok;
    }
    if (verb == "list") return cmd_list(m);
    if (verb == "network" || verb == "lo") {
        if (verb == "network") m.SetNetwork(rest[1], rest[0]);
        else m.SetLoopback(rest[1], rest[0]);
        std::printf("%s of %s is %s\n", verb == "network" ? "Network" : "Loopback", rest[1].c_str(),
                    rest[0].c_str());
        return Exit::ok;
    }
    if (verb == "info" || verb == "information") return cmd_info(*connection, m, rest[0]);
    // init
    std::string db = m.StateDatabase();
    std::printf("The state store is %s (schema version %u), kept by subu-manager %s.\n", db.c_str(),
                m.SchemaVersion(), m.Version().c_str());
    return Exit::ok;
}

}  // namespace

int exit_code_for(const std::string& name) {
    if (name == "org.subu.Error.InvalidArgument" || name == "org.freedesktop.DBus.Error.InvalidArgs")
        return Exit::usage;
    if (name == "org.subu.Error.NotFound") return Exit::not_found;
    if (name == "org.subu.Error.Exists") return Exit::exists;
    if (name == "org.freedesktop.DBus.Error.AccessDenied") return Exit::denied;
    if (name == "org.subu.Error.Busy") return Exit::busy;
    if (name == "org.freedesktop.DBus.Error.ServiceUnknown" || name == "org.freedesktop.DBus.Error.NoReply" ||
        name == "org.freedesktop.DBus.Error.Spawn.ChildExited" || name == "org.freedesktop.DBus.Error.NoServer" ||
        name == "org.freedesktop.DBus.Error.FileNotFound")
        return Exit::unreachable;
    return Exit::failed;
}

int run(const std::vector<std::string>& args) {
    if (args.empty()) return usage_error("no verb given");
    try {
        return dispatch(args);
    } catch (const sdbus::Error& e) {
        const int code = exit_code_for(e.getName());
        if (code == Exit::unreachable)
            std::fprintf(stderr, "subu: cannot reach subu-manager (%s): %s\nIs subu installed and the system bus running?\n",
                         e.getName().c_str(), e.getMessage().c_str());
        else
            std::fprintf(stderr, "subu: %s\n", e.getMessage().c_str());
        return code;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "subu: %s\n", e.what());
        return Exit::failed;
    }
}

}  // namespace subu::cli
