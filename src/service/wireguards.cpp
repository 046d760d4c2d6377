// WireGuard tunnels as desired state: rows in the store, keys in root-only files.
// Every change is one write transaction; a key file is written before the row
// that owns it commits and removed if it does not, so no row is ever without
// its key, and recover() deletes the keys a crash left without a row.
#include "service/wireguards.h"

#include <dirent.h>

#include <algorithm>

#include "core/errors.h"
#include "core/log.h"
#include "core/text.h"
#include "names/names.h"
#include "tunnel/tunnel.h"
#include "units/render.h"
#include "wg/addr.h"
#include "wg/keys.h"
#include "wg/quick.h"

namespace subu::service {
namespace {

constexpr const char* pool_key = "wg_pool";

std::string psk_name(const store::WgRow& row) { return tunnel::preshared_key_name(row); }

template <typename T>
std::string joined(const std::vector<T>& items, std::string (*fmt)(const T&)) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ",") + fmt(i);
    return out;
}

std::string as_is(const std::string& s) { return s; }
std::string cidr_text(const wg::Cidr& c) { return wg::to_string(c); }

}  // namespace

void WireGuards::converge_unit(std::uint32_t subu_num) {
    const auto subu = store_.subu_by_num(subu_num);
    if (!subu || subu->state != store::RowState::Ready) return;
    const std::string unit = units::service("subu-wg", subu->name);
    const auto wg = store_.wg_of_subu(subu_num);
    if (subu->network == "up" && wg && wg->state == "up") {
        // A fresh start, so a new tunnel, key or peer is what runs.
        if (units_.active_state(unit) == "active") units_.stop(unit);
        units_.start(unit);
        // ExecCondition= says no without failing; here it must have said yes.
        if (units_.active_state(unit) != "active")
            throw Failed("The tunnel " + wg->id() + " of " + subu->name + " did not come up (`systemctl status " + unit +
                         "` and `journalctl -u " + unit + "` say why).");
    } else {
        units_.stop(unit);
    }
}

template <class Undo>
void WireGuards::converge_unit(std::optional<std::uint32_t> subu_num, const std::string& what, Undo&& undo) {
    if (!subu_num) return;
    try {
        converge_unit(*subu_num);
    } catch (const std::exception& e) {
        log::warning("Could not " + what + ", so it is undone: " + e.what(),
                     {{"SUBU_ID", names::subu_id(*subu_num)}});
        undo();
        try {
            converge_unit(*subu_num);
        } catch (const std::exception& again) {
            log::error("Putting the tunnel of " + names::subu_id(*subu_num) + " back failed too: " + again.what(),
                       {{"SUBU_ID", names::subu_id(*subu_num)}});
        }
        throw;
    }
}

void WireGuards::require_root(const auth::Caller& caller, const char* what) {
    if (caller.uid != 0) throw AccessDenied(std::string("Only root may ") + what + ".");
}

store::WgRow WireGuards::find_or_throw(std::string_view ref) {
    if (!names::parse_wg_id(ref))
        throw InvalidArgument(shown(ref, 40) + " is not a WireGuard id (WG_N); `subu WG list` shows them.");
    auto row = store_.find_wg(ref);
    if (!row) throw NotFound("There is no WireGuard tunnel " + shown(ref, 40) + ".");
    return *row;
}

bool WireGuards::may_see(const auth::Caller& caller, const store::WgRow& row) {
    if (caller.uid == 0) return true;
    if (!row.subu) return false;
    auto subu = store_.subu_by_num(*row.subu);
    return subu && auth::sees(caller, subus_.owner_uid(*subu));
}

std::string WireGuards::pool() { return store_.meta(pool_key).value_or(""); }

void WireGuards::set_pool(const auth::Caller& caller, std::string_view text) {
    require_root(caller, "set the tunnel address pool");
    const auto pool = wg::parse_cidr(text);
    // The pool's own rules (IPv4, canonical, /8../30) are checked by an allocation.
    (void)wg::allocate_from_pool(pool, {});
    store_.write([&] {
        for (const auto& w : store_.wgs()) {
            // Only pool addresses (/32) bind a pool; an imported tunnel keeps its own network.
            const auto addr = wg::parse_address(w.address);
            if (addr.family != pool.family || addr.prefix != 32) continue;
            if (wg::network_of({addr.family, addr.addr, pool.prefix}) != pool)
                throw Busy("The tunnel " + w.id() + " has the address " + w.address + ", outside " +
                           wg::to_string(pool) + "; remove it or pick a pool that holds it.");
        }
        store_.set_meta(pool_key, wg::to_string(pool));
    });
    log::info("The tunnel address pool is " + wg::to_string(pool), {{"SUBU_WG_POOL", wg::to_string(pool)}});
}

store::WgRow WireGuards::make(const auth::Caller& caller, std::string_view endpoint_text) {
    require_root(caller, "make WireGuard tunnels");
    const auto endpoint = wg::parse_endpoint(endpoint_text);
    const auto pool_text = store_.meta(pool_key);
    if (!pool_text)
        throw InvalidArgument("There is no address pool for tunnels yet; set one first, e.g. "
                              "`subu WG global 192.168.112.0/24`.");
    const auto pool = wg::parse_cidr(*pool_text);
    auto key = wg::generate_private_key();

    store::WgRow row;
    row.endpoint = wg::to_string(endpoint);
    row.public_key = wg::to_base64(wg::public_key_of(key));
    store_.write([&] {
        std::vector<wg::Cidr> taken;
        for (const auto& w : store_.wgs()) taken.push_back(wg::parse_address(w.address));
        row.num = store_.first_free_wg_num();
        row.address = wg::to_string(wg::allocate_from_pool(pool, taken));
        wg::store_private_key(key_dir_, row.id(), key);
        try {
            store_.insert_wg(row);
        } catch (...) {
            wg::remove_private_key(key_dir_, row.id());
            throw;
        }
    });
    log::info("Made tunnel " + row.id() + " to " + row.endpoint + " with address " + row.address,
              {{"SUBU_WG_ID", row.id()}, {"SUBU_WG_ENDPOINT", row.endpoint}, {"SUBU_WG_ADDRESS", row.address}});
    return row;
}

std::pair<store::WgRow, std::vector<std::string>> WireGuards::import(const auth::Caller& caller,
                                                                     std::string_view text) {
    require_root(caller, "import WireGuard tunnels");
    auto conf = wg::parse_wg_quick(text);
    const auto& peer = conf.peers.at(0);
    if (!peer.endpoint) throw InvalidArgument("The [Peer] has no Endpoint; subu needs one to reach the server.");
    if (conf.addresses.empty()) throw InvalidArgument("The [Interface] has no Address.");

    store::WgRow row;
    row.endpoint = wg::to_string(*peer.endpoint);
    row.address = wg::to_string(conf.addresses.front());
    row.public_key = wg::to_base64(wg::public_key_of(conf.private_key));
    row.server_public_key = wg::to_base64(peer.public_key);
    row.dns = joined<std::string>(conf.dns, as_is);
    row.mtu = conf.mtu.value_or(1420);
    if (!peer.allowed_ips.empty()) row.allowed_ips = joined<wg::Cidr>(peer.allowed_ips, cidr_text);
    row.keepalive = peer.persistent_keepalive.value_or(0);
    row.has_preshared_key = peer.preshared_key.has_value();
    auto notes = conf.notes;
    if (conf.addresses.size() > 1) notes.push_back("only the first Address= is used: " + row.address);
    store_.write([&] {
        for (const auto& w : store_.wgs()) {
            if (w.address == row.address) throw Exists("The tunnel " + w.id() + " already has the address " + row.address + ".");
            if (w.public_key == row.public_key) throw Exists("The tunnel " + w.id() + " already has this private key.");
        }
        row.num = store_.first_free_wg_num();
        wg::store_private_key(key_dir_, row.id(), conf.private_key);
        try {
            if (peer.preshared_key) wg::store_private_key(key_dir_, psk_name(row), wg::PrivateKey(peer.preshared_key->bytes));
            store_.insert_wg(row);
        } catch (...) {
            wg::remove_private_key(key_dir_, row.id());
            wg::remove_private_key(key_dir_, psk_name(row));
            throw;
        }
    });
    for (const auto& n : notes) log::info("Import of " + row.id() + ": " + n, {{"SUBU_WG_ID", row.id()}});
    log::info("Imported tunnel " + row.id() + " to " + row.endpoint + " with address " + row.address,
              {{"SUBU_WG_ID", row.id()}, {"SUBU_WG_ENDPOINT", row.endpoint}, {"SUBU_WG_ADDRESS", row.address}});
    return {row, notes};
}

store::WgRow WireGuards::set_server_key(const auth::Caller& caller, std::string_view wg, std::string_view key) {
    require_root(caller, "set a tunnel's server key");
    auto row = find_or_throw(wg);
    const std::string canonical = wg::to_base64(wg::key_from_base64(key));
    const std::string before = row.server_public_key;
    store_.write([&] { store_.set_wg_server_key(row.num, canonical); });
    converge_unit(row.subu, "give " + row.id() + " the server key",
                  [&] { store_.write([&] { store_.set_wg_server_key(row.num, before); }); });
    row.server_public_key = canonical;
    log::info("Tunnel " + row.id() + " has the server key " + canonical, {{"SUBU_WG_ID", row.id()}});
    return row;
}

store::WgRow WireGuards::set_state(const auth::Caller& caller, std::string_view wg, std::string_view state) {
    if (state != "up" && state != "down") throw InvalidArgument("A tunnel's state is \"up\" or \"down\".");
    auto row = find_or_throw(wg);
    if (!may_see(caller, row)) throw AccessDenied("Only root or the owner of its subu may turn " + row.id() + " " + std::string(state) + ".");
    const std::string before = row.state;
    store_.write([&] { store_.set_wg_state(row.num, std::string(state)); });
    converge_unit(row.subu, "turn " + row.id() + " " + std::string(state),
                  [&] { store_.write([&] { store_.set_wg_state(row.num, before); }); });
    row.state = std::string(state);
    log::info("Tunnel " + row.id() + " is " + row.state, {{"SUBU_WG_ID", row.id()}});
    return row;
}

store::WgRow WireGuards::remove(const auth::Caller& caller, std::string_view wg) {
    require_root(caller, "remove WireGuard tunnels");
    auto row = find_or_throw(wg);
    store_.write([&] {
        auto now = store_.wg_by_num(row.num);
        if (now && now->subu)
            throw Busy("The tunnel " + row.id() + " is attached to " + names::subu_id(*now->subu) +
                       "; detach it first (`subu detach WG " + names::subu_id(*now->subu) + "`).");
        store_.delete_wg(row.num);
    });
    // The row is gone, so the keys are no one's: deleting them cannot fail a user.
    try {
        wg::remove_private_key(key_dir_, row.id());
        wg::remove_private_key(key_dir_, psk_name(row));
    } catch (const std::exception& e) {
        log::error("Could not delete the keys of the removed tunnel " + row.id() + ": " + e.what(),
                   {{"SUBU_WG_ID", row.id()}});
    }
    log::info("Removed tunnel " + row.id() + " and its keys", {{"SUBU_WG_ID", row.id()}});
    return row;
}

std::vector<store::WgRow> WireGuards::list(const auth::Caller& caller) {
    auto all = store_.wgs();
    std::erase_if(all, [&](const store::WgRow& r) { return !may_see(caller, r); });
    return all;
}

store::WgRow WireGuards::get(const auth::Caller& caller, std::string_view wg) {
    auto row = find_or_throw(wg);
    if (!may_see(caller, row)) throw AccessDenied("Only root or the owner of its subu may look at " + row.id() + ".");
    return row;
}

store::WgRow WireGuards::attach(const auth::Caller& caller, std::string_view subu_ref, std::string_view wg) {
    require_root(caller, "attach tunnels");
    const auto subu = subus_.get(caller, subu_ref);
    auto row = find_or_throw(wg);
    store_.write([&] {
        auto now = store_.wg_by_num(row.num);
        if (!now) throw NotFound("There is no WireGuard tunnel " + row.id() + ".");
        if (now->subu && *now->subu != subu.num)
            throw Busy("The tunnel " + row.id() + " is attached to " + names::subu_id(*now->subu) + "; detach it first.");
        if (auto other = store_.wg_of_subu(subu.num); other && other->num != row.num)
            throw Busy("The subu " + subu.name + " already has the tunnel " + other->id() + "; detach it first.");
        store_.set_wg_subu(row.num, subu.num);
    });
    converge_unit(subu.num, "attach " + row.id() + " to " + subu.name,
                  [&] { store_.write([&] { store_.set_wg_subu(row.num, std::nullopt); }); });
    row.subu = subu.num;
    log::info("Attached tunnel " + row.id() + " to " + subu.name,
              {{"SUBU_WG_ID", row.id()}, {"SUBU_ID", subu.id()}, {"SUBU_NAME", subu.name}});
    return row;
}

store::WgRow WireGuards::detach(const auth::Caller& caller, std::string_view subu_ref) {
    const auto subu = subus_.get(caller, subu_ref);
    std::optional<store::WgRow> row;
    store_.write([&] {
        row = store_.wg_of_subu(subu.num);
        if (!row) throw NotFound("The subu " + subu.name + " has no tunnel attached.");
        store_.set_wg_subu(row->num, std::nullopt);
    });
    converge_unit(subu.num, "detach " + row->id() + " from " + subu.name,
                  [&] { store_.write([&] { store_.set_wg_subu(row->num, subu.num); }); });
    row->subu.reset();
    log::info("Detached tunnel " + row->id() + " from " + subu.name,
              {{"SUBU_WG_ID", row->id()}, {"SUBU_ID", subu.id()}, {"SUBU_NAME", subu.name}});
    return *row;
}

std::vector<std::string> WireGuards::converge_units() {
    std::vector<std::string> changed;
    for (const auto& subu : store_.subus()) {
        if (subu.state != store::RowState::Ready || subu.network != "up") continue;
        const auto wg = store_.wg_of_subu(subu.num);
        const bool wanted = wg && wg->state == "up";
        const bool running = units_.active_state(units::service("subu-wg", subu.name)) == "active";
        if (wanted == running) continue;  // one question a subu when all is well
        // A subu that is not up pulls its tunnel in itself when it starts.
        if (wanted && units_.active_state(units::service("subu", subu.name)) != "active") continue;
        try {
            converge_unit(subu.num);
        } catch (const std::exception& e) {
            log::warning("The tunnel of " + subu.name + " did not come up at start: " + e.what(),
                         {{"SUBU_ID", subu.id()}, {"SUBU_NAME", subu.name}});
        }
        changed.push_back(subu.name);
        log::info(std::string("At start, the tunnel unit of ") + subu.name + (wanted ? " was started" : " was stopped"),
                  {{"SUBU_ID", subu.id()}, {"SUBU_NAME", subu.name}});
    }
    return changed;
}

std::vector<std::string> WireGuards::recover() {
    std::vector<std::string> removed;
    DIR* d = opendir(key_dir_.c_str());
    if (!d) return removed;
    std::vector<std::string> files;
    while (dirent* e = readdir(d)) files.emplace_back(e->d_name);
    closedir(d);
    for (const auto& f : files) {
        constexpr std::string_view suffix = ".key";
        if (f.size() <= suffix.size() || f.compare(f.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
        std::string name = f.substr(0, f.size() - suffix.size());
        std::string id = name;
        if (id.size() > 4 && id.compare(id.size() - 4, 4, "_psk") == 0) id.resize(id.size() - 4);
        if (names::parse_wg_id(id) && store_.find_wg(id)) continue;
        wg::remove_private_key(key_dir_, name);
        removed.push_back(f);
        log::info("Deleted the key file " + f + ", which no tunnel owns", {{"SUBU_WG_KEY_FILE", f}});
    }
    return removed;
}

}  // namespace subu::service
