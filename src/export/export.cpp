// The boot export. The generator runs before /var is mounted and must never
// open the WAL database, so the manager keeps this file in step with it.
#include "export/export.h"

#include <sys/stat.h>

#include <set>

#include "core/errors.h"
#include "core/files.h"
#include "names/names.h"

namespace subu::exporting {

std::string render(const std::vector<store::SubuRow>& rows, const std::vector<store::ServiceRow>& services) {
    std::string out = "# subu export " + std::to_string(format_version) +
                      ": written by subu-manager on every change, read by subu-generator at boot. Do not edit.\n"
                      "# id\tname\tparent\tnetwork\tloopback\tuid\n";
    std::set<std::uint32_t> ready;
    for (const auto& r : rows) {
        if (r.state != store::RowState::Ready) continue;
        ready.insert(r.num);
        out += r.id() + '\t' + r.name + '\t' + (r.parent ? names::subu_id(*r.parent) : std::string("-")) + '\t' +
               r.network + '\t' + r.loopback + '\t' + (r.uid ? std::to_string(*r.uid) : std::string("-")) + '\n';
    }
    out += "# service\tsubu\tunit\tuser\n";
    for (const auto& s : services)
        if (ready.count(s.subu)) out += "service\t" + names::subu_id(s.subu) + '\t' + s.unit + '\t' + s.user + '\n';
    return out;
}

bool write(store::Store& store, const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        const std::string dir = path.substr(0, slash);
        if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("create " + dir);
    }
    const auto text = render(store.subus(), store.services());
    if (files::read_if_exists(path) == text) return false;
    files::write_atomically(path, text, 0644);
    return true;
}

}  // namespace subu::exporting
