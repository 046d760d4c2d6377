// The WireGuard tunnels of subu: the address pool, tunnels with their key pairs, attaching them to subus.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "auth/authz.h"
#include "service/subus.h"
#include "store/store.h"
#include "system/units.h"

namespace subu::service {

class WireGuards {
public:
    // Private (and preshared) keys are kept as files in `key_dir` (0700, root's).
    // A tunnel runs as its subu's subu-wg@ unit, started and stopped through
    // `units` as attachments and states change.
    WireGuards(store::Store& store, Subus& subus, system::Units& units, std::string key_dir)
        : store_(store), subus_(subus), units_(units), key_dir_(std::move(key_dir)) {}

    // The IPv4 pool tunnel addresses come from ("192.168.112.0/24"). A pool
    // that leaves out an address in use is refused.
    void set_pool(const auth::Caller& caller, std::string_view cidr);
    std::string pool();

    // A tunnel to `endpoint` (host:port, [v6]:port) with a fresh key pair and
    // the first free address of the pool.
    store::WgRow make(const auth::Caller& caller, std::string_view endpoint);
    // A tunnel from a wg-quick file's text: its keys, address, DNS, MTU and peer.
    // Returns the row and the notes on what of the file subu ignores.
    std::pair<store::WgRow, std::vector<std::string>> import(const auth::Caller& caller, std::string_view text);
    store::WgRow set_server_key(const auth::Caller& caller, std::string_view wg, std::string_view key);
    store::WgRow set_state(const auth::Caller& caller, std::string_view wg, std::string_view state);
    store::WgRow remove(const auth::Caller& caller, std::string_view wg);

    std::vector<store::WgRow> list(const auth::Caller& caller);
    store::WgRow get(const auth::Caller& caller, std::string_view wg);

    store::WgRow attach(const auth::Caller& caller, std::string_view subu, std::string_view wg);
    store::WgRow detach(const auth::Caller& caller, std::string_view subu);

    // At start: deletes key files no tunnel owns (a crash between writing a
    // key and committing its tunnel leaves one). Returns what it removed.
    std::vector<std::string> recover();
    // At start, after a crash between a committed change and its unit job:
    // for every subu whose subu@ is active, its subu-wg@ runs exactly when it
    // has a tunnel that is up. Returns the subus whose tunnel unit it started
    // or stopped; a unit that fails is logged, not thrown.
    std::vector<std::string> converge_units();

private:
    store::WgRow find_or_throw(std::string_view ref);
    bool may_see(const auth::Caller& caller, const store::WgRow& row);
    void require_root(const auth::Caller& caller, const char* what);
    // Brings the subu's subu-wg@ unit in line with the store: running (and
    // re-read) when the subu's network is up and it has a tunnel that is up,
    // stopped otherwise. On failure runs `undo` (which puts the store back),
    // converges again and rethrows.
    template <class Undo>
    void converge_unit(std::optional<std::uint32_t> subu_num, const std::string& what, Undo&& undo);
    void converge_unit(std::uint32_t subu_num);

    store::Store& store_;
    Subus& subus_;
    system::Units& units_;
    std::string key_dir_;
};

}  // namespace subu::service
