// The boot export: what the generator needs of the state, as a small text file under /etc/subu/.
#pragma once
#include <string>
#include <vector>

#include "export/parse.h"
#include "store/store.h"

namespace subu::exporting {

inline constexpr int format_version = 1;

// One line per ready subu, tab-separated: id, name, parent id ("-" at top
// level), network, loopback; after a header naming the format version.
std::string render(const std::vector<store::SubuRow>& rows);

// Renders the store's ready subus and writes them to `path` atomically
// (making its directory, 0755, if missing).
void write(store::Store& store, const std::string& path);

}  // namespace subu::exporting
