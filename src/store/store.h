// The state store: SQLite (WAL, synchronous=FULL, foreign keys) holding the desired state.
#pragma once
#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace subu::store {

// Lifecycle of a subu row: "creating" and "removing" rows are left only by a
// crash, and are undone or finished by recovery.
enum class RowState { Creating, Ready, Removing };
std::string_view to_string(RowState s);

struct SubuRow {
    std::uint32_t num = 0;
    std::string name;
    std::string masu;
    std::optional<std::uint32_t> parent;
    std::optional<std::uint32_t> uid;
    RowState state = RowState::Creating;
    std::string network = "down";
    std::string loopback = "down";
    bool home_kept = false;  // home existed before make: never purged by an undo
    std::int64_t created_at = 0;

    std::string id() const;
};

// The uid of a removed subu whose files may remain (its kept home above
// all): no subu of another name gets it while the row lasts.
struct RetiredUid {
    std::uint32_t uid = 0;
    std::string name;
    std::string masu;
    std::optional<std::uint32_t> masu_uid;  // the owner's uid then; none if the owner was gone
    std::string home;
    std::int64_t retired_at = 0;
};

// A WireGuard tunnel. Its private key (and preshared key) live in key files,
// never here.
struct WgRow {
    std::uint32_t num = 0;
    std::string endpoint;           // host:port as given
    std::string address;            // the subu side, "192.168.112.2/32"
    std::string public_key;         // ours, base64
    std::string server_public_key;  // the peer's, base64, "" until given
    std::string dns;                // comma-separated, "" for none
    std::uint32_t mtu = 1420;
    std::string allowed_ips = "0.0.0.0/0,::/0";
    std::uint32_t keepalive = 0;
    bool has_preshared_key = false;
    std::string state = "up";       // "up"/"down" as the person wants it
    std::optional<std::uint32_t> subu;  // attached subu's num

    std::string id() const;
};

// A system service attached to a subu: it runs in the subu's namespace as `user`.
struct ServiceRow {
    std::string unit;        // "probe.service", systemd's own name for it
    std::uint32_t subu = 0;  // the subu's num
    std::string user;        // the subu's user or a descendant's

    bool operator==(const ServiceRow&) const = default;
};

// Used by one thread at a time (the manager's event loop, or one tool), so
// SQLite's own per-call locking is left out: it doubled the cost of a read.
class Store {
public:
    // Opens (creating if missing) and migrates the database at `path`.
    explicit Store(const std::string& path);
    // Opens an existing database only to read it, without migrating (the
    // apply helper); fails if its schema is not the one this code knows.
    struct ReadOnly {};
    Store(const std::string& path, ReadOnly);

    int schema_version();
    const std::string& path() const { return path_; }

    // Runs `fn` inside BEGIN IMMEDIATE ... COMMIT; rolls back if it throws.
    void write(const std::function<void()>& fn);

    std::optional<SubuRow> subu_by_num(std::uint32_t num);
    std::optional<SubuRow> subu_by_name(std::string_view name);
    // An id ("subu_3") or a name ("Thomas_US").
    std::optional<SubuRow> find_subu(std::string_view ref);
    std::vector<SubuRow> subus();
    std::size_t count_children(std::uint32_t num);
    std::size_t count_subus_of_masu(std::string_view masu);

    // Smallest N >= 1 with no subu_N.
    std::uint32_t first_free_subu_num();

    void insert_subu(const SubuRow& row);
    void set_state(std::uint32_t num, RowState state);
    void set_network(std::uint32_t num, const std::string& state);
    void set_loopback(std::uint32_t num, const std::string& state);
    void delete_subu(std::uint32_t num);

    std::vector<RetiredUid> retired_uids();
    // Records `r`, replacing what was recorded for its uid.
    void retire_uid(const RetiredUid& r);
    void drop_retired_uid(std::uint32_t uid);

    std::optional<WgRow> wg_by_num(std::uint32_t num);
    // An id ("WG_3").
    std::optional<WgRow> find_wg(std::string_view ref);
    std::optional<WgRow> wg_of_subu(std::uint32_t subu_num);
    std::vector<WgRow> wgs();
    std::uint32_t first_free_wg_num();
    void insert_wg(const WgRow& row);
    void set_wg_server_key(std::uint32_t num, const std::string& key);
    void set_wg_subu(std::uint32_t num, std::optional<std::uint32_t> subu);
    void set_wg_state(std::uint32_t num, const std::string& state);
    void delete_wg(std::uint32_t num);

    // A subu's options as set (not the fallbacks).
    std::map<std::string, std::string> options_of(std::uint32_t subu);
    void set_option(std::uint32_t subu, const std::string& name, const std::string& value);
    void remove_option(std::uint32_t subu, const std::string& name);

    // Attached services: all (by subu, then unit), one subu's, one unit's, those run as `user`.
    std::vector<ServiceRow> services();
    std::vector<ServiceRow> services_of(std::uint32_t subu);
    std::optional<ServiceRow> service(std::string_view unit);
    std::vector<ServiceRow> services_run_by(std::string_view user);
    void insert_service(const ServiceRow& row);
    void delete_service(std::string_view unit);

    std::optional<std::string> meta(std::string_view key);
    void set_meta(std::string_view key, std::string_view value);
    void delete_meta(std::string_view key);

private:
    void migrate();
    std::uint32_t first_free_num(const char* table);  // `table` is one of ours, never input
    SubuRow row_from(SQLite::Statement& q);
    WgRow wg_from(SQLite::Statement& q);
    // `condition` is ours, never input; `bind` binds its parameters.
    std::vector<ServiceRow> services_where(const char* condition, const std::function<void(SQLite::Statement&)>& bind);

    std::string path_;
    SQLite::Database db_;
};

}  // namespace subu::store
