// The `subu` verbs: each builds one or two D-Bus calls and prints a result a person reads.
#include "cli/cli.h"
#include "cli/exec.h"
#include "cli/json.h"

#include <sdbus-c++/sdbus-c++.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
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
    subu list [--json]
    subu info SUBU [--json]   (also: information)
    subu network up|down SUBU
    subu lo up|down SUBU
    subu option set SUBU NAME VALUE | get SUBU NAME | list SUBU [--json]
    subu option remove SUBU NAME
    subu exec SUBU [--] PROGRAM [ARGUMENT...]
    subu WG global CIDR | make HOST:PORT | import FILE | list [--json]
    subu WG info WG [--json]
    subu WG server_provided_public_key WG KEY | up WG | down WG | remove WG
    subu attach WG SUBU WG_N
    subu detach WG SUBU
    subu service attach SUBU UNIT | detach SUBU UNIT | list SUBU [--json]
    subu init
    subu help [VERB] | usage | example | version | -V
    subu VERB [SUB-VERB] --help

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
    inspect, remove and run programs in the subus they own, without sudo.

VERBS
    make OWNER NAME...   Make a subu; prints its id and name.
    remove SUBU          Remove a subu: its Unix user, namespace and record.
                         Its home directory is kept; --purge deletes it too.
                         A subu with child subus cannot be removed.
    list                 The subus you may see, as a table. list, info,
                         WG list, WG info, option list and service list
                         take --json: one JSON document (see subu(1)).
    info SUBU            Everything known about one subu.
    network up SUBU      Bring the subu's network up and keep it up across
                         reboots: starts subu@NAME.service (its namespace,
                         loopback up). `network down` stops it; the namespace
                         stays, as after make.
    lo up|down SUBU      The loopback inside the subu's namespace, kept.
    option set SUBU NAME VALUE
                         Set an option of the subu; `option get SUBU NAME`
                         and `option list SUBU` show them, `option remove
                         SUBU NAME` puts one back to its default. The options:
                         isolation none|standard|strict|quantum (standard),
                         local_forwarding on|off (off), steer_enabled on|off (on).
    exec SUBU -- PROGRAM [ARGUMENT...]
                         Run a program as the subu, in its namespace, with
                         its DNS; stdio (or a terminal) pass through and subu
                         exits with the program's status. `subu exec --help`
                         says more, isolation levels included.
    WG global CIDR       The IPv4 pool tunnel addresses come from (root).
    WG make HOST:PORT    A tunnel to that server ([v6]:port too), with a key
                         pair made on this host and the pool's first free
                         address; prints its id. `WG info` shows OUR public
                         key, to give to the server. Private keys stay in
                         root-only files and are never shown.
    WG import FILE       A tunnel from a wg-quick file (keys, Address, DNS,
                         MTU, the peer); keys wg-quick alone uses are noted.
    WG server_provided_public_key WG KEY
                         The server's public key (44 characters of base64).
    WG up|down WG        Whether the tunnel runs while its subu's is up.
    WG list | info WG | remove WG
    attach WG SUBU WG_N  Give a subu its tunnel (root).
    detach WG SUBU       Take it away again.
    service attach SUBU UNIT
                         Run the system service UNIT (NAME.service) inside
                         the subu, now and from boot: in its namespace, slice
                         and DNS, as the subu's user (or as the user the unit
                         names, if that is a subu under it). A running unit
                         restarts inside; starting it brings the subu's
                         network up. Root (or polkit's manage-services) only.
    service detach SUBU UNIT
                         Back outside, as its own user; restarted if running.
    service list SUBU    The services attached to the subu. A subu with
                         services attached cannot be removed: detach first.
    init                 Make sure the state store exists; say where it is.
    help                 This text.        usage     The synopsis only.
    example              A short session.  version   The version (also -V).
    VERB --help          One verb's usage and description.

EXIT STATUS
    0 success, 1 failure, 2 bad usage or invalid argument, 3 not found,
    4 already exists, 5 access denied, 6 busy (e.g. has child subus or
    attached services, or the service is attached to another subu),
    7 the manager cannot be reached.

FILES
    /var/lib/subu/subu.db    the state store (owned by subu-manager)
    /etc/subu/subus          the boot export subu-generator reads
    /run/netns/ns-subu_N     a subu's network namespace

SYSTEMD
    Every subu is a slice (subu-Thomas-US.slice; nested subus nested) and the
    units subu@NAME.service and subu-netns@NAME.service, NAME escaped as
    systemd-escape does. `systemctl status subu@Thomas_US` tells the truth.
    The subu's user manager (user@UID.service, so every user service and
    `systemd-run --user`, lingering or not) and its attached services run in
    its namespace through drop-ins subu-generator writes (50-subu.conf):
    `systemctl cat user@UID.service` shows them.
)";

constexpr const char* usage_text = R"(Usage: subu make OWNER NAME [NAME...]
       subu remove [--purge] SUBU
       subu list [--json]
       subu info SUBU [--json]
       subu network up|down SUBU
       subu lo up|down SUBU
       subu option set SUBU NAME VALUE | get SUBU NAME | list SUBU [--json]
       subu option remove SUBU NAME
       subu exec SUBU [--] PROGRAM [ARGUMENT...]
       subu WG global CIDR | make HOST:PORT | import FILE | list [--json] | info WG [--json]
       subu WG server_provided_public_key WG KEY | up WG | down WG | remove WG
       subu attach WG SUBU WG_N | detach WG SUBU
       subu service attach SUBU UNIT | detach SUBU UNIT | list SUBU [--json]
       subu init
       subu help [VERB] | usage | example | version | -V
       subu VERB [SUB-VERB] --help
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
    void onWireGuardNew(const std::string&, const sdbus::ObjectPath&) override {}
    void onWireGuardRemoved(const std::string&, const sdbus::ObjectPath&) override {}
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

int cmd_list(Manager& m, bool as_json) {
    auto rows = m.ListSubus();
    if (as_json) {
        std::vector<std::string> items;
        for (const auto& r : rows)
            items.push_back(json::object({{"id", json::string(r.get<0>())},
                                          {"name", json::string(r.get<1>())},
                                          {"owner", json::string(r.get<2>())},
                                          {"network", json::string(r.get<3>())},
                                          {"uid", json::number(r.get<4>())},
                                          {"object", json::string(r.get<5>())}}));
        std::printf("%s\n", json::object({{"subus", json::array(items)}}).c_str());
        return Exit::ok;
    }
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

std::map<std::string, sdbus::Variant> properties_of(sdbus::IConnection& c, const sdbus::ObjectPath& path,
                                                   const char* iface) {
    auto obj = sdbus::createProxy(c, config::bus_name, path);
    std::map<std::string, sdbus::Variant> props;
    obj->callMethod("GetAll").onInterface("org.freedesktop.DBus.Properties").withArguments(iface).storeResultsTo(props);
    return props;
}

// A property's value, or `none` when the object does not have it.
template <typename T>
T property(std::map<std::string, sdbus::Variant>& props, const char* name, T none = T{}) {
    return props.count(name) ? props[name].get<T>() : none;
}

// How a property shows in JSON.
enum class Kind { text, text_or_null, u32, u64, flag };
struct JsonField {
    const char* key;
    const char* property;
    Kind kind;
};

// Prints the properties `fields` names, then the object path, as one JSON object.
int print_json(std::map<std::string, sdbus::Variant>& props, const std::vector<JsonField>& fields,
               const std::string& path) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& f : fields) {
        switch (f.kind) {
        case Kind::text: out.emplace_back(f.key, json::string(property<std::string>(props, f.property))); break;
        case Kind::text_or_null:
            out.emplace_back(f.key, json::string_or_null(property<std::string>(props, f.property)));
            break;
        case Kind::u32: out.emplace_back(f.key, json::number(property<uint32_t>(props, f.property))); break;
        case Kind::u64: out.emplace_back(f.key, json::number(property<uint64_t>(props, f.property))); break;
        case Kind::flag: out.emplace_back(f.key, json::boolean(property<bool>(props, f.property))); break;
        }
    }
    out.emplace_back("object", json::string(path));
    std::printf("%s\n", json::object(out).c_str());
    return Exit::ok;
}

// `subu info --json`: the schema subu(1) documents.
const std::vector<JsonField> subu_json = {
    {"id", "Id", Kind::text},
    {"name", "Name", Kind::text},
    {"owner", "Owner", Kind::text},
    {"owner_uid", "OwnerUid", Kind::u32},
    {"parent", "Parent", Kind::text_or_null},
    {"uid", "Uid", Kind::u32},
    {"home", "Home", Kind::text},
    {"network_namespace", "NetworkNamespace", Kind::text},
    {"network", "Network", Kind::text},
    {"unit", "Unit", Kind::text},
    {"slice", "Slice", Kind::text},
    {"loopback", "Loopback", Kind::text},
    {"steering", "Steering", Kind::text},
    {"steering_interface", "SteeringInterface", Kind::text_or_null},
    {"steering_attached", "SteeringAttached", Kind::flag},
    {"created_at", "CreatedAt", Kind::u64},
};

// `subu WG info --json`: the public keys, never a private or preshared one.
const std::vector<JsonField> wg_json = {
    {"id", "Id", Kind::text},
    {"endpoint", "Endpoint", Kind::text},
    {"address", "Address", Kind::text},
    {"public_key", "PublicKey", Kind::text},
    {"server_public_key", "ServerPublicKey", Kind::text_or_null},
    {"attached_subu", "AttachedSubu", Kind::text_or_null},
    {"state", "State", Kind::text},
    {"dns", "Dns", Kind::text_or_null},
    {"mtu", "Mtu", Kind::u32},
    {"allowed_ips", "AllowedIPs", Kind::text},
    {"persistent_keepalive", "PersistentKeepalive", Kind::u32},
    {"has_preshared_key", "HasPresharedKey", Kind::flag},
    {"backend", "Backend", Kind::text},
    {"interface", "Interface", Kind::text},
    {"running", "Running", Kind::flag},
    {"latest_handshake_us", "LatestHandshake", Kind::u64},
    {"rx_bytes", "RxBytes", Kind::u64},
    {"tx_bytes", "TxBytes", Kind::u64},
};

int cmd_info(sdbus::IConnection& c, Manager& m, const std::string& ref, bool as_json) {
    auto path = m.GetSubu(ref);
    auto props = properties_of(c, path, "org.subu.Subu1");
    if (as_json) return print_json(props, subu_json, path);
    auto str = [&](const char* k) { return property<std::string>(props, k, "?"); };
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
    const std::string steering = str("Steering"), tunnel = str("SteeringInterface");
    const bool on_slice = props.count("SteeringAttached") && props["SteeringAttached"].get<bool>();
    std::printf("Steering:          %s%s, %s\n", steering.c_str(), tunnel.empty() ? "" : (" " + tunnel).c_str(),
                on_slice ? "attached to the slice" : "not attached to the slice");
    std::printf("Created:           %s\n",
                when(props.count("CreatedAt") ? props["CreatedAt"].get<uint64_t>() : 0).c_str());
    std::printf("Object:            %s\n", path.c_str());
    return Exit::ok;
}

int cmd_wg_info(sdbus::IConnection& c, Manager& m, const std::string& ref, bool as_json) {
    auto path = m.GetWireGuard(ref);
    auto props = properties_of(c, path, "org.subu.WireGuard1");
    if (as_json) return print_json(props, wg_json, path);
    auto str = [&](const char* k) { return props.count(k) ? props[k].get<std::string>() : std::string("?"); };
    auto u32 = [&](const char* k) { return props.count(k) ? props[k].get<uint32_t>() : 0u; };
    auto or_none = [](const std::string& s, const char* none) { return s.empty() ? std::string(none) : s; };
    std::printf("Id:                  %s\n", str("Id").c_str());
    std::printf("Endpoint:            %s\n", str("Endpoint").c_str());
    std::printf("Address:             %s\n", str("Address").c_str());
    std::printf("Our public key:      %s   (give this to the server)\n", str("PublicKey").c_str());
    std::printf("Server public key:   %s\n", or_none(str("ServerPublicKey"), "(none yet: subu WG server_provided_public_key)").c_str());
    std::printf("Attached subu:       %s\n", or_none(str("AttachedSubu"), "(none)").c_str());
    std::printf("State:               %s\n", str("State").c_str());
    std::printf("DNS:                 %s\n", or_none(str("Dns"), "(none)").c_str());
    std::printf("MTU:                 %u\n", u32("Mtu"));
    std::printf("Allowed IPs:         %s\n", str("AllowedIPs").c_str());
    const uint32_t keepalive = u32("PersistentKeepalive");
    std::printf("Keepalive:           %s\n", keepalive ? (std::to_string(keepalive) + " s").c_str() : "off");
    std::printf("Preshared key:       %s\n",
                props.count("HasPresharedKey") && props["HasPresharedKey"].get<bool>() ? "yes (kept on the host)" : "no");
    auto u64 = [&](const char* k) { return props.count(k) ? props[k].get<uint64_t>() : uint64_t{0}; };
    const bool running = props.count("Running") && props["Running"].get<bool>();
    std::printf("Backend:             %s\n", str("Backend").c_str());
    std::printf("Interface:           %s%s\n", str("Interface").c_str(),
                running ? " (running)" : " (not running: attach it to a subu whose network is up)");
    if (running) {
        const uint64_t handshake = u64("LatestHandshake");
        std::string age = "none yet";
        if (handshake) {
            const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
            const long long seconds = (static_cast<long long>(now) - static_cast<long long>(handshake)) / 1000000;
            age = std::to_string(seconds < 0 ? 0 : seconds) + " s ago";
        }
        std::printf("Latest handshake:    %s\n", age.c_str());
        std::printf("Received:            %llu bytes\n", static_cast<unsigned long long>(u64("RxBytes")));
        std::printf("Sent:                %llu bytes\n", static_cast<unsigned long long>(u64("TxBytes")));
    }
    std::printf("Object:              %s\n", path.c_str());
    return Exit::ok;
}

int cmd_wg_list(Manager& m, bool as_json) {
    auto rows = m.ListWireGuards();
    if (as_json) {
        std::vector<std::string> items;
        for (const auto& r : rows)
            items.push_back(json::object({{"id", json::string(r.get<0>())},
                                          {"endpoint", json::string(r.get<1>())},
                                          {"subu", json::string_or_null(r.get<2>())}}));
        std::printf("%s\n", json::object({{"tunnels", json::array(items)}}).c_str());
        return Exit::ok;
    }
    if (rows.empty()) {
        std::printf("No tunnels. Make one with: subu WG make HOST:PORT\n");
        return Exit::ok;
    }
    std::size_t wid = 2, wep = 8;
    for (const auto& r : rows) {
        wid = std::max(wid, r.get<0>().size());
        wep = std::max(wep, r.get<1>().size());
    }
    std::printf("%s  %s  %s\n", pad("ID", wid).c_str(), pad("ENDPOINT", wep).c_str(), "SUBU");
    for (const auto& r : rows)
        std::printf("%s  %s  %s\n", pad(r.get<0>(), wid).c_str(), pad(r.get<1>(), wep).c_str(),
                    r.get<2>().empty() ? "-" : r.get<2>().c_str());
    return Exit::ok;
}

// The WireGuard verbs of the original specification: `WG ...`, `attach WG ...`, `detach WG ...`.
int wg_verbs(const std::string& verb, const std::vector<std::string>& rest, bool as_json) {
    static const std::map<std::string, std::size_t> wg_arity = {
        {"global", 1}, {"make", 1}, {"import", 1}, {"list", 0}, {"info", 1}, {"information", 1},
        {"server_provided_public_key", 2}, {"up", 1}, {"down", 1}, {"remove", 1}};
    if (verb == "attach" || verb == "detach") {
        const std::size_t want = verb == "attach" ? 3 : 2;
        if (rest.size() != want || rest[0] != "WG")
            return usage_error(verb == "attach" ? "usage: subu attach WG SUBU WG_N" : "usage: subu detach WG SUBU");
    } else {
        if (rest.empty()) return usage_error("'WG' needs a verb: global, make, import, list, info, "
                                             "server_provided_public_key, up, down or remove");
        auto a = wg_arity.find(rest[0]);
        if (a == wg_arity.end()) return usage_error("unknown WG verb " + shown(rest[0]));
        if (rest.size() - 1 != a->second)
            return usage_error("'WG " + rest[0] + "' takes " + std::to_string(a->second) + " argument(s)");
    }
    // The file is opened here, with the caller's own rights, and handed over as a descriptor.
    sdbus::UnixFd config_fd;
    if (verb == "WG" && rest[0] == "import") {
        int fd = ::open(rest[1].c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            std::fprintf(stderr, "subu: cannot open %s: %s\n", shown(rest[1], 200).c_str(), std::strerror(errno));
            return Exit::not_found;
        }
        config_fd = sdbus::UnixFd(fd, sdbus::adopt_fd);
    }
    auto connection = sdbus::createSystemBusConnection();
    Manager m(*connection);
    if (verb == "attach") {
        m.Attach(rest[1], rest[2]);
        std::printf("Attached %s to %s\n", rest[2].c_str(), rest[1].c_str());
        return Exit::ok;
    }
    if (verb == "detach") {
        m.Detach(rest[1]);
        std::printf("Detached the tunnel of %s\n", rest[1].c_str());
        return Exit::ok;
    }
    const std::string& sub = rest[0];
    if (sub == "global") {
        m.SetWireGuardPool(rest[1]);
        std::printf("Tunnel addresses come from %s\n", m.WireGuardPool().c_str());
    } else if (sub == "make") {
        auto [id, path] = m.MakeWireGuard(rest[1]);
        auto props = properties_of(*connection, path, "org.subu.WireGuard1");
        std::printf("%s  %s\n", id.c_str(), props["Address"].get<std::string>().c_str());
    } else if (sub == "import") {
        auto [id, path, notes] = m.ImportWireGuard(config_fd);
        for (const auto& n : notes) std::fprintf(stderr, "subu: note: %s\n", n.c_str());
        std::printf("%s\n", id.c_str());
    } else if (sub == "list") {
        return cmd_wg_list(m, as_json);
    } else if (sub == "info" || sub == "information") {
        return cmd_wg_info(*connection, m, rest[1], as_json);
    } else if (sub == "server_provided_public_key") {
        m.SetServerPublicKey(rest[1], rest[2]);
        std::printf("The server key of %s is set\n", rest[1].c_str());
    } else if (sub == "up" || sub == "down") {
        m.SetWireGuardState(rest[1], sub);
        std::printf("%s is %s\n", rest[1].c_str(), sub.c_str());
    } else if (sub == "remove") {
        m.RemoveWireGuard(rest[1]);
        std::printf("Removed %s and its keys\n", rest[1].c_str());
    }
    return Exit::ok;
}

// Whether `rest` is one of `group`'s verbs (`choices`, for the message) with
// its count of arguments: Exit::ok, or the usage error, said.
int check_verb(const std::string& group, const std::string& choices,
               const std::map<std::string, std::size_t>& arity, const std::vector<std::string>& rest) {
    if (rest.empty()) return usage_error("'" + group + "' needs " + choices);
    auto a = arity.find(rest[0]);
    if (a == arity.end()) return usage_error("unknown " + group + " verb " + shown(rest[0]));
    if (rest.size() - 1 != a->second)
        return usage_error("'" + group + " " + rest[0] + "' takes " + std::to_string(a->second) + " argument(s)");
    return Exit::ok;
}

int option_verbs(const std::vector<std::string>& rest, bool as_json) {
    static const std::map<std::string, std::size_t> arity = {{"set", 3}, {"get", 2}, {"list", 1}, {"remove", 2}};
    if (int bad = check_verb("option", "set, get, list or remove", arity, rest)) return bad;
    auto connection = sdbus::createSystemBusConnection();
    Manager m(*connection);
    if (rest[0] == "set") {
        m.SetOption(rest[1], rest[2], rest[3]);
        std::printf("%s of %s is %s\n", rest[2].c_str(), rest[1].c_str(), m.GetOption(rest[1], rest[2]).c_str());
    } else if (rest[0] == "get") {
        std::printf("%s\n", m.GetOption(rest[1], rest[2]).c_str());
    } else if (rest[0] == "remove") {
        m.RemoveOption(rest[1], rest[2]);
        std::printf("%s of %s is back to its default, %s\n", rest[2].c_str(), rest[1].c_str(),
                    m.GetOption(rest[1], rest[2]).c_str());
    } else if (as_json) {
        std::vector<std::pair<std::string, std::string>> options;
        for (const auto& [name, value] : m.ListOptions(rest[1])) options.emplace_back(name, json::string(value));
        std::printf("%s\n", json::object({{"subu", json::string(rest[1])}, {"options", json::object(options)}}).c_str());
    } else {
        for (const auto& [name, value] : m.ListOptions(rest[1])) std::printf("%-18s %s\n", name.c_str(), value.c_str());
    }
    return Exit::ok;
}

// `service attach SUBU UNIT`, `service detach SUBU UNIT`, `service list SUBU`.
int service_verbs(const std::vector<std::string>& rest, bool as_json) {
    static const std::map<std::string, std::size_t> arity = {{"attach", 2}, {"detach", 2}, {"list", 1}};
    if (int bad = check_verb("service", "attach SUBU UNIT, detach SUBU UNIT or list SUBU", arity, rest)) return bad;
    for (std::size_t i = 1; i < rest.size(); ++i)
        if (rest[i].size() > 1 && rest[i][0] == '-') return usage_error("unknown option " + shown(rest[i]));
    auto connection = system_bus();
    if (!connection) return Exit::unreachable;
    Manager m(*connection);
    if (rest[0] == "attach") {
        m.AttachService(rest[1], rest[2]);
        std::printf("%s runs in %s\n", rest[2].c_str(), rest[1].c_str());
    } else if (rest[0] == "detach") {
        m.DetachService(rest[1], rest[2]);
        std::printf("%s runs outside %s again\n", rest[2].c_str(), rest[1].c_str());
    } else if (as_json) {
        std::vector<std::string> units;
        for (const auto& unit : m.ListServices(rest[1])) units.push_back(json::string(unit));
        std::printf("%s\n", json::object({{"subu", json::string(rest[1])}, {"services", json::array(units)}}).c_str());
    } else {
        for (const auto& unit : m.ListServices(rest[1])) std::printf("%s\n", unit.c_str());
    }
    return Exit::ok;
}

// One verb's usage and what it does, for `subu VERB --help` and `subu help VERB`.
struct VerbHelp {
    const char* verb;  // "make", or "WG make" for a sub-verb
    const char* usage;
    const char* text;
};

const VerbHelp verb_helps[] = {
    {"make", "subu make OWNER NAME [NAME...]",
     "Make a subu of OWNER (an existing Unix user); prints its id and name. More NAMEs\n"
     "make a subu inside the one named so far: `subu make Thomas US Rabbit` makes\n"
     "Thomas_US_Rabbit inside Thomas_US."},
    {"remove", "subu remove [--purge] SUBU",
     "Remove a subu: its Unix user, namespace and record. Its home directory is\n"
     "kept; --purge deletes it too. A subu with child subus or attached services\n"
     "cannot be removed."},
    {"list", "subu list [--json]", "The subus you may see, as a table; --json prints them as JSON (see subu(1))."},
    {"info", "subu info SUBU [--json]",
     "Everything known about one subu (also: information); --json prints it as JSON."},
    {"network", "subu network up|down SUBU",
     "Bring the subu's network up (subu@NAME.service, kept across reboots) or down;\n"
     "the namespace stays."},
    {"lo", "subu lo up|down SUBU", "The loopback inside the subu's namespace, kept."},
    {"option",
     "subu option set SUBU NAME VALUE | get SUBU NAME | list SUBU [--json] | remove SUBU NAME",
     "A subu's options: isolation none|standard|strict|quantum (standard),\n"
     "local_forwarding on|off (off), steer_enabled on|off (on)."},
    {"option set", "subu option set SUBU NAME VALUE", "Set an option of the subu."},
    {"option get", "subu option get SUBU NAME", "One option's value (its default when unset)."},
    {"option list", "subu option list SUBU [--json]", "Every option with its value; --json prints them as JSON."},
    {"option remove", "subu option remove SUBU NAME",
     "The option back to its default; nothing to do if it is not set."},
    {"WG",
     "subu WG global CIDR | make HOST:PORT | import FILE | list [--json] | info WG [--json]\n"
     "       subu WG server_provided_public_key WG KEY | up WG | down WG | remove WG",
     "WireGuard tunnels; `subu WG VERB --help` says more about each."},
    {"WG global", "subu WG global CIDR", "The IPv4 pool tunnel addresses come from (root)."},
    {"WG make", "subu WG make HOST:PORT",
     "A tunnel to that server ([v6]:port too), with a key pair made on this host and\n"
     "the pool's first free address; prints its id."},
    {"WG import", "subu WG import FILE", "A tunnel from a wg-quick file; keys wg-quick alone uses are noted."},
    {"WG list", "subu WG list [--json]", "The tunnels; --json prints them as JSON."},
    {"WG info", "subu WG info WG [--json]",
     "One tunnel, with OUR public key to give to the server; private keys are never\n"
     "shown. --json prints it as JSON."},
    {"WG server_provided_public_key", "subu WG server_provided_public_key WG KEY",
     "The server's public key (44 characters of base64)."},
    {"WG up", "subu WG up WG", "The tunnel runs while its subu's network is up."},
    {"WG down", "subu WG down WG", "The tunnel does not run."},
    {"WG remove", "subu WG remove WG", "Remove the tunnel and its keys."},
    {"attach", "subu attach WG SUBU WG_N", "Give a subu its tunnel (root)."},
    {"detach", "subu detach WG SUBU", "Take a subu's tunnel away again."},
    {"service", "subu service attach SUBU UNIT | detach SUBU UNIT | list SUBU [--json]",
     "System services run inside a subu; `subu service VERB --help` says more."},
    {"service attach", "subu service attach SUBU UNIT",
     "Run the system service UNIT inside the subu, now and from boot: in its\n"
     "namespace, slice and DNS, as the subu's user. Root (or polkit's\n"
     "manage-services) only."},
    {"service detach", "subu service detach SUBU UNIT", "Back outside, as its own user; restarted if running."},
    {"service list", "subu service list SUBU [--json]",
     "The services attached to the subu; --json prints them as JSON."},
    {"init", "subu init", "Make sure the state store exists; say where it is."},
    {"help", "subu help [VERB [SUB-VERB]]", "The manual, or one verb's usage (as `subu VERB --help`)."},
    {"usage", "subu usage", "The synopsis only."},
    {"example", "subu example", "A short session."},
    {"version", "subu version | -V | --version", "The version."},
};

// Prints the usage and description of `verb` (its sub-verb when `rest` starts with one).
int verb_help(std::string verb, const std::vector<std::string>& rest) {
    if (verb == "exec") {
        std::fputs(exec_help_text, stdout);
        return Exit::ok;
    }
    if (verb == "information") verb = "info";
    if (verb == "-V" || verb == "--version") verb = "version";
    const VerbHelp* found = nullptr;
    for (const auto& h : verb_helps) {
        if (verb == h.verb) found = &h;
    }
    if (!found) return usage_error("unknown verb " + shown(verb));
    if (!rest.empty()) {
        const std::string sub = verb + " " + (rest[0] == "information" ? "info" : rest[0]);
        for (const auto& h : verb_helps)
            if (sub == h.verb) found = &h;
    }
    std::printf("Usage: %s\n\n%s\n", found->usage, found->text);
    return Exit::ok;
}

// Whether `flag` is among `args`; takes it out.
bool take_flag(std::vector<std::string>& args, const std::string& flag) {
    auto it = std::find(args.begin(), args.end(), flag);
    if (it == args.end()) return false;
    args.erase(std::remove(args.begin(), args.end(), flag), args.end());
    return true;
}

// Whether `verb rest...` is one of the views with a --json form.
bool speaks_json(const std::string& verb, const std::vector<std::string>& rest) {
    if (verb == "list" || verb == "info" || verb == "information") return true;
    if (rest.empty()) return false;
    if (verb == "WG") return rest[0] == "list" || rest[0] == "info" || rest[0] == "information";
    return (verb == "option" || verb == "service") && rest[0] == "list";
}

int dispatch(const std::vector<std::string>& args) {
    const std::string& verb = args[0];
    auto rest = std::vector<std::string>(args.begin() + 1, args.end());
    if (verb == "help" || verb == "--help" || verb == "-h") {
        if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) return verb_help("help", {});
        if (!rest.empty()) return verb_help(rest[0], std::vector<std::string>(rest.begin() + 1, rest.end()));
        std::fputs(help_text, stdout);
        return Exit::ok;
    }
    if (verb != "exec" && std::any_of(rest.begin(), rest.end(), [](const std::string& a) { return a == "--help" || a == "-h"; }))
        return verb_help(verb, rest);
    const bool as_json = verb != "exec" && take_flag(rest, "--json");
    if (as_json && !speaks_json(verb, rest))
        return usage_error("--json is for list, info, WG list, WG info, option list and service list");
    if (verb == "usage") {
        std::fputs(usage_text, stdout);
        return Exit::ok;
    }
    if (verb == "example") {
        std::fputs(example_text, stdout);
        return Exit::ok;
    }
    if (verb == "version" || verb == "--version" || verb == "-V") {
        std::printf("subu %s\n", config::version);
        return Exit::ok;
    }
    if (verb == "WG" || verb == "attach" || verb == "detach") return wg_verbs(verb, rest, as_json);
    if (verb == "option") return option_verbs(rest, as_json);
    if (verb == "service") return service_verbs(rest, as_json);
    if (verb == "exec") return exec_verb(rest);
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

    auto connection = system_bus();
    if (!connection) return Exit::unreachable;
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
    if (verb == "list") return cmd_list(m, as_json);
    if (verb == "network" || verb == "lo") {
        if (verb == "network") m.SetNetwork(rest[1], rest[0]);
        else m.SetLoopback(rest[1], rest[0]);
        std::printf("%s of %s is %s\n", verb == "network" ? "Network" : "Loopback", rest[1].c_str(),
                    rest[0].c_str());
        return Exit::ok;
    }
    if (verb == "info" || verb == "information") return cmd_info(*connection, m, rest[0], as_json);
    // init
    std::string db = m.StateDatabase();
    std::printf("The state store is %s (schema version %u), kept by subu-manager %s.\n", db.c_str(),
                m.SchemaVersion(), m.Version().c_str());
    return Exit::ok;
}

}  // namespace

std::unique_ptr<sdbus::IConnection> system_bus() {
    try {
        return sdbus::createSystemBusConnection();
    } catch (const sdbus::Error& e) {
        std::fprintf(stderr, "subu: cannot connect to the system bus: %s\n", e.getMessage().c_str());
        return nullptr;
    }
}

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
    if (args.empty()) {
        std::fputs(help_text, stdout);
        return Exit::ok;
    }
    try {
        return dispatch(args);
    } catch (const sdbus::Error& e) {
        const int code = exit_code_for(e.getName());
        if (code == Exit::unreachable)
            std::fprintf(stderr,
                         "subu: cannot reach subu-manager (%s: %s); check that subu is installed and the system bus runs\n",
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
