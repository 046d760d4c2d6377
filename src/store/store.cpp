// The SQLite state store: migrations by PRAGMA user_version, every write in BEGIN IMMEDIATE.
#include "store/store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <chrono>

#include "core/errors.h"
#include "names/names.h"
#include "store/migrations.h"

namespace subu::store {
namespace {

constexpr const char* wg_columns =
    "num, endpoint, address, public_key, server_public_key, dns, mtu, allowed_ips, keepalive, state, subu, "
    "preshared_key";

constexpr const char* subu_columns =
    "num, name, masu, parent, uid, state, network, loopback, home_kept, created_at";

// A number or NULL.
void bind_optional(SQLite::Statement& q, int index, std::optional<std::uint32_t> v) {
    if (v) q.bind(index, static_cast<std::int64_t>(*v));
    else q.bind(index);
}

RowState state_from(const std::string& s) {
    if (s == "ready") return RowState::Ready;
    if (s == "creating") return RowState::Creating;
    if (s == "removing") return RowState::Removing;
    throw Failed("The state store holds an unknown subu state \"" + s + "\".");
}

}  // namespace

std::string_view to_string(RowState s) {
    switch (s) {
        case RowState::Creating: return "creating";
        case RowState::Ready: return "ready";
        case RowState::Removing: return "removing";
    }
    return "?";
}

std::string SubuRow::id() const { return names::subu_id(num); }
std::string WgRow::id() const { return names::wg_id(num); }

Store::Store(const std::string& path)
    : path_(path), db_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX) {
    db_.setBusyTimeout(5000);
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec("PRAGMA synchronous=FULL");
    db_.exec("PRAGMA foreign_keys=ON");
    migrate();
}

Store::Store(const std::string& path, ReadOnly) : path_(path), db_(path, SQLite::OPEN_READONLY) {
    db_.setBusyTimeout(5000);
    const int known = migrations().empty() ? 0 : migrations().back().version;
    if (schema_version() != known)
        throw Failed("The state store " + path_ + " has schema version " + std::to_string(schema_version()) +
                     " but this subu knows version " + std::to_string(known) +
                     "; start subu-manager once to migrate it, or install a matching subu.");
}

int Store::schema_version() { return db_.execAndGet("PRAGMA user_version").getInt(); }

void Store::migrate() {
    const auto& all = migrations();
    const int known = all.empty() ? 0 : all.back().version;
    // Read the version under the write lock so two processes never both migrate.
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    const int have = schema_version();
    if (have > known)
        throw Failed("The state store " + path_ + " has schema version " + std::to_string(have) +
                     ", newer than this subu understands (" + std::to_string(known) +
                     "); install a newer subu.");
    for (const auto& m : all) {
        if (m.version <= have) continue;
        db_.exec(m.sql);
        db_.exec("PRAGMA user_version=" + std::to_string(m.version));
    }
    tx.commit();
}

void Store::write(const std::function<void()>& fn) {
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    fn();
    tx.commit();
}

SubuRow Store::row_from(SQLite::Statement& q) {
    SubuRow r;
    r.num = static_cast<std::uint32_t>(q.getColumn(0).getInt64());
    r.name = q.getColumn(1).getString();
    r.masu = q.getColumn(2).getString();
    if (!q.getColumn(3).isNull()) r.parent = static_cast<std::uint32_t>(q.getColumn(3).getInt64());
    if (!q.getColumn(4).isNull()) r.uid = static_cast<std::uint32_t>(q.getColumn(4).getInt64());
    r.state = state_from(q.getColumn(5).getString());
    r.network = q.getColumn(6).getString();
    r.loopback = q.getColumn(7).getString();
    r.home_kept = q.getColumn(8).getInt() != 0;
    r.created_at = q.getColumn(9).getInt64();
    return r;
}

std::optional<SubuRow> Store::subu_by_num(std::uint32_t num) {
    SQLite::Statement q(db_, std::string("SELECT ") + subu_columns + " FROM subu WHERE num = ?");
    q.bind(1, static_cast<std::int64_t>(num));
    if (!q.executeStep()) return std::nullopt;
    return row_from(q);
}

std::optional<SubuRow> Store::subu_by_name(std::string_view name) {
    SQLite::Statement q(db_, std::string("SELECT ") + subu_columns + " FROM subu WHERE name = ?");
    q.bind(1, std::string(name));
    if (!q.executeStep()) return std::nullopt;
    return row_from(q);
}

std::optional<SubuRow> Store::find_subu(std::string_view ref) {
    if (auto num = names::parse_subu_id(ref)) return subu_by_num(*num);
    return subu_by_name(ref);
}

std::vector<SubuRow> Store::subus() {
    SQLite::Statement q(db_, std::string("SELECT ") + subu_columns + " FROM subu ORDER BY num");
    std::vector<SubuRow> out;
    while (q.executeStep()) out.push_back(row_from(q));
    return out;
}

std::size_t Store::count_children(std::uint32_t num) {
    SQLite::Statement q(db_, "SELECT count(*) FROM subu WHERE parent = ?");
    q.bind(1, static_cast<std::int64_t>(num));
    q.executeStep();
    return static_cast<std::size_t>(q.getColumn(0).getInt64());
}

std::size_t Store::count_subus_of_masu(std::string_view masu) {
    SQLite::Statement q(db_, "SELECT count(*) FROM subu WHERE masu = ?");
    q.bind(1, std::string(masu));
    q.executeStep();
    return static_cast<std::size_t>(q.getColumn(0).getInt64());
}

std::uint32_t Store::first_free_num(const char* table) {
    // 1 if free, else the smallest num+1 that is not taken.
    const std::string t(table);
    SQLite::Statement q(db_, "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM " + t + " WHERE num = 1) THEN 1 ELSE "
                             "(SELECT min(a.num) + 1 FROM " + t + " a WHERE NOT EXISTS "
                             "(SELECT 1 FROM " + t + " b WHERE b.num = a.num + 1)) END");
    q.executeStep();
    return static_cast<std::uint32_t>(q.getColumn(0).getInt64());
}

std::uint32_t Store::first_free_subu_num() { return first_free_num("subu"); }

void Store::insert_subu(const SubuRow& r) {
    SQLite::Statement q(db_, std::string("INSERT INTO subu (") + subu_columns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, static_cast<std::int64_t>(r.num));
    q.bind(2, r.name);
    q.bind(3, r.masu);
    bind_optional(q, 4, r.parent);
    bind_optional(q, 5, r.uid);
    q.bind(6, std::string(to_string(r.state)));
    q.bind(7, r.network);
    q.bind(8, r.loopback);
    q.bind(9, r.home_kept ? 1 : 0);
    q.bind(10, r.created_at);
    q.exec();
}

void Store::set_state(std::uint32_t num, RowState state) {
    SQLite::Statement q(db_, "UPDATE subu SET state = ? WHERE num = ?");
    q.bind(1, std::string(to_string(state)));
    q.bind(2, static_cast<std::int64_t>(num));
    q.exec();
}

void Store::set_network(std::uint32_t num, const std::string& state) {
    SQLite::Statement q(db_, "UPDATE subu SET network = ? WHERE num = ?");
    q.bind(1, state);
    q.bind(2, static_cast<std::int64_t>(num));
    q.exec();
}

void Store::set_loopback(std::uint32_t num, const std::string& state) {
    SQLite::Statement q(db_, "UPDATE subu SET loopback = ? WHERE num = ?");
    q.bind(1, state);
    q.bind(2, static_cast<std::int64_t>(num));
    q.exec();
}

void Store::delete_subu(std::uint32_t num) {
    SQLite::Statement q(db_, "DELETE FROM subu WHERE num = ?");
    q.bind(1, static_cast<std::int64_t>(num));
    q.exec();
}

std::vector<RetiredUid> Store::retired_uids() {
    SQLite::Statement q(db_, "SELECT uid, name, masu, masu_uid, home, retired_at FROM retired_uid ORDER BY uid");
    std::vector<RetiredUid> out;
    while (q.executeStep()) {
        RetiredUid r;
        r.uid = static_cast<std::uint32_t>(q.getColumn(0).getInt64());
        r.name = q.getColumn(1).getString();
        r.masu = q.getColumn(2).getString();
        if (!q.getColumn(3).isNull()) r.masu_uid = static_cast<std::uint32_t>(q.getColumn(3).getInt64());
        r.home = q.getColumn(4).getString();
        r.retired_at = q.getColumn(5).getInt64();
        out.push_back(std::move(r));
    }
    return out;
}

void Store::retire_uid(const RetiredUid& r) {
    SQLite::Statement q(db_, "INSERT OR REPLACE INTO retired_uid (uid, name, masu, masu_uid, home, retired_at) "
                             "VALUES (?, ?, ?, ?, ?, ?)");
    q.bind(1, static_cast<std::int64_t>(r.uid));
    q.bind(2, r.name);
    q.bind(3, r.masu);
    bind_optional(q, 4, r.masu_uid);
    q.bind(5, r.home);
    q.bind(6, r.retired_at);
    q.exec();
}

void Store::drop_retired_uid(std::uint32_t uid) {
    SQLite::Statement q(db_, "DELETE FROM retired_uid WHERE uid = ?");
    q.bind(1, static_cast<std::int64_t>(uid));
    q.exec();
}

WgRow Store::wg_from(SQLite::Statement& q) {
    WgRow r;
    r.num = static_cast<std::uint32_t>(q.getColumn(0).getInt64());
    r.endpoint = q.getColumn(1).getString();
    r.address = q.getColumn(2).getString();
    r.public_key = q.getColumn(3).isNull() ? "" : q.getColumn(3).getString();
    r.server_public_key = q.getColumn(4).isNull() ? "" : q.getColumn(4).getString();
    r.dns = q.getColumn(5).isNull() ? "" : q.getColumn(5).getString();
    r.mtu = static_cast<std::uint32_t>(q.getColumn(6).getInt64());
    r.allowed_ips = q.getColumn(7).getString();
    r.keepalive = q.getColumn(8).isNull() ? 0 : static_cast<std::uint32_t>(q.getColumn(8).getInt64());
    r.state = q.getColumn(9).getString();
    if (!q.getColumn(10).isNull()) r.subu = static_cast<std::uint32_t>(q.getColumn(10).getInt64());
    r.has_preshared_key = q.getColumn(11).getInt() != 0;
    return r;
}

std::optional<WgRow> Store::wg_by_num(std::uint32_t num) {
    SQLite::Statement q(db_, std::string("SELECT ") + wg_columns + " FROM wg WHERE num = ?");
    q.bind(1, static_cast<std::int64_t>(num));
    if (!q.executeStep()) return std::nullopt;
    return wg_from(q);
}

std::optional<WgRow> Store::find_wg(std::string_view ref) {
    if (auto num = names::parse_wg_id(ref)) return wg_by_num(*num);
    return std::nullopt;
}

std::optional<WgRow> Store::wg_of_subu(std::uint32_t subu_num) {
    SQLite::Statement q(db_, std::string("SELECT ") + wg_columns + " FROM wg WHERE subu = ?");
    q.bind(1, static_cast<std::int64_t>(subu_num));
    if (!q.executeStep()) return std::nullopt;
    return wg_from(q);
}

std::vector<WgRow> Store::wgs() {
    SQLite::Statement q(db_, std::string("SELECT ") + wg_columns + " FROM wg ORDER BY num");
    std::vector<WgRow> out;
    while (q.executeStep()) out.push_back(wg_from(q));
    return out;
}

std::uint32_t Store::first_free_wg_num() { return first_free_num("wg"); }

void Store::insert_wg(const WgRow& r) {
    SQLite::Statement q(db_, std::string("INSERT INTO wg (") + wg_columns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, static_cast<std::int64_t>(r.num));
    q.bind(2, r.endpoint);
    q.bind(3, r.address);
    q.bind(4, r.public_key);
    if (r.server_public_key.empty()) q.bind(5);
    else q.bind(5, r.server_public_key);
    if (r.dns.empty()) q.bind(6);
    else q.bind(6, r.dns);
    q.bind(7, static_cast<std::int64_t>(r.mtu));
    q.bind(8, r.allowed_ips);
    q.bind(9, static_cast<std::int64_t>(r.keepalive));
    q.bind(10, r.state);
    bind_optional(q, 11, r.subu);
    q.bind(12, r.has_preshared_key ? 1 : 0);
    q.exec();
}

void Store::set_wg_server_key(std::uint32_t num, const std::string& key) {
    SQLite::Statement q(db_, "UPDATE wg SET server_public_key = ? WHERE num = ?");
    q.bind(1, key);
    q.bind(2, static_cast<std::int64_t>(num));
    q.exec();
}

void Store::set_wg_subu(std::uint32_t num, std::optional<std::uint32_t> subu) {
    SQLite::Statement q(db_, "UPDATE wg SET subu = ? WHERE num = ?");
    bind_optional(q, 1, subu);
    q.bind(2, static_cast<std::int64_t>(num));
    q.exec();
}

void Store::set_wg_state(std::uint32_t num, const std::string& state) {
    SQLite::Statement q(db_, "UPDATE wg SET state = ? WHERE num = ?");
    q.bind(1, state);
    q.bind(2, static_cast<std::int64_t>(num));
    q.exec();
}

void Store::delete_wg(std::uint32_t num) {
    SQLite::Statement q(db_, "DELETE FROM wg WHERE num = ?");
    q.bind(1, static_cast<std::int64_t>(num));
    q.exec();
}

std::map<std::string, std::string> Store::options_of(std::uint32_t subu) {
    SQLite::Statement q(db_, "SELECT name, value FROM options WHERE subu = ?");
    q.bind(1, static_cast<std::int64_t>(subu));
    std::map<std::string, std::string> out;
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
    return out;
}

void Store::set_option(std::uint32_t subu, const std::string& name, const std::string& value) {
    SQLite::Statement q(db_, "INSERT INTO options (subu, name, value) VALUES (?, ?, ?) "
                             "ON CONFLICT(subu, name) DO UPDATE SET value = excluded.value");
    q.bind(1, static_cast<std::int64_t>(subu));
    q.bind(2, name);
    q.bind(3, value);
    q.exec();
}

void Store::remove_option(std::uint32_t subu, const std::string& name) {
    SQLite::Statement q(db_, "DELETE FROM options WHERE subu = ? AND name = ?");
    q.bind(1, static_cast<std::int64_t>(subu));
    q.bind(2, name);
    q.exec();
}

std::vector<ServiceRow> Store::services_where(const char* condition,
                                             const std::function<void(SQLite::Statement&)>& bind) {
    SQLite::Statement q(db_, std::string("SELECT unit, subu, user FROM service") + condition + " ORDER BY subu, unit");
    if (bind) bind(q);
    std::vector<ServiceRow> out;
    while (q.executeStep())
        out.push_back({q.getColumn(0).getString(), static_cast<std::uint32_t>(q.getColumn(1).getInt64()),
                       q.getColumn(2).getString()});
    return out;
}

std::vector<ServiceRow> Store::services() { return services_where("", {}); }

std::vector<ServiceRow> Store::services_of(std::uint32_t subu) {
    return services_where(" WHERE subu = ?", [&](SQLite::Statement& q) { q.bind(1, static_cast<std::int64_t>(subu)); });
}

std::optional<ServiceRow> Store::service(std::string_view unit) {
    auto rows = services_where(" WHERE unit = ?", [&](SQLite::Statement& q) { q.bind(1, std::string(unit)); });
    if (rows.empty()) return std::nullopt;
    return rows.front();
}

std::vector<ServiceRow> Store::services_run_by(std::string_view user) {
    return services_where(" WHERE user = ?", [&](SQLite::Statement& q) { q.bind(1, std::string(user)); });
}

void Store::insert_service(const ServiceRow& r) {
    SQLite::Statement q(db_, "INSERT INTO service (unit, subu, user) VALUES (?, ?, ?)");
    q.bind(1, r.unit);
    q.bind(2, static_cast<std::int64_t>(r.subu));
    q.bind(3, r.user);
    q.exec();
}

void Store::delete_service(std::string_view unit) {
    SQLite::Statement q(db_, "DELETE FROM service WHERE unit = ?");
    q.bind(1, std::string(unit));
    q.exec();
}

std::optional<std::string> Store::meta(std::string_view key) {
    SQLite::Statement q(db_, "SELECT value FROM meta WHERE key = ?");
    q.bind(1, std::string(key));
    if (!q.executeStep()) return std::nullopt;
    return q.getColumn(0).getString();
}

void Store::delete_meta(std::string_view key) {
    SQLite::Statement q(db_, "DELETE FROM meta WHERE key = ?");
    q.bind(1, std::string(key));
    q.exec();
}

void Store::set_meta(std::string_view key, std::string_view value) {
    SQLite::Statement q(db_, "INSERT INTO meta (key, value) VALUES (?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    q.bind(1, std::string(key));
    q.bind(2, std::string(value));
    q.exec();
}

}  // namespace subu::store
