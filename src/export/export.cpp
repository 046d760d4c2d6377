// The boot export. The generator runs before /var is mounted and must never
// open the WAL database, so the manager keeps this file in step with it.
#include "export/export.h"

#include <sys/stat.h>

#include "core/errors.h"
#include "core/files.h"
#include "names/names.h"

namespace subu::exporting {

std::string render(const std::vector<store::SubuRow>& rows) {
    std::string out = "# subu export " + std::to_string(format_version) +
                      ": written by subu-manager on every change, read by subu-generator at boot. Do not edit.\n"
                      "# id\tname\tparent\tnetwork\tloopback\n";
    for (const auto& r : rows) {
        if (r.state != store::RowState::Ready) continue;
        out += r.id() + '\t' + r.name + '\t' + (r.parent ? names::subu_id(*r.parent) : std::string("-")) + '\t' +
               r.network + '\t' + r.loopback + '\n';
    }
    return out;
}

void write(store::Store& store, const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        const std::string dir = path.substr(0, slash);
        if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("create " + dir);
    }
    files::write_atomically(path, render(store.subus()), 0644);
}

}  // namespace subu::exporting
