// Reading the boot export back (the generator's only input): strict, never throwing, row by row.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace subu::exporting {

// Where the manager writes the export, and every reader looks for it.
inline constexpr const char* default_path = "/etc/subu/subus";

// One accepted line of the export. `num` is N of `id` ("subu_N"); `parent_id`
// is "-" at top level; network and loopback are "up" or "down".
struct ExportRow {
    std::uint32_t num = 0;
    std::string id, name, parent_id;
    std::string network, loopback;
};

// The rows that passed every check, in file order, and one message per
// rejected line ("line 7: ..."), in line order.
struct ParsedExport {
    std::vector<ExportRow> rows;
    std::vector<std::string> problems;
};

// Longest line accepted; a real line is under 70 bytes.
inline constexpr std::size_t max_line_length = 512;

// Parses the text render() writes. A line that breaks a rule yields no row
// and one problem, and so do its descendants (their parent is missing); a
// wrong header or empty text yields no rows at all. Rows may come in any
// order: a child can precede its parent, since ids are reused.
ParsedExport parse_export(std::string_view text);

}  // namespace subu::exporting
