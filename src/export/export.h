// The boot export: what the generator needs of the state, as a small text file under /etc/subu/.
#pragma once
#include <string>
#include <vector>

#include "export/parse.h"
#include "store/store.h"

namespace subu::exporting {

inline constexpr int format_version = 2;

// After a header naming the format version, one line per ready subu,
// tab-separated: id, name, parent id ("-" at top level), network, loopback,
// uid ("-" if unknown); then one line per service attached to a ready subu:
// "service", the subu's id, the unit, the user it runs as.
std::string render(const std::vector<store::SubuRow>& rows, const std::vector<store::ServiceRow>& services = {});

// Renders the store's ready subus and their services and writes them to
// `path` atomically (making its directory, 0755, if missing). Returns whether
// the file's content changed.
bool write(store::Store& store, const std::string& path);

}  // namespace subu::exporting
