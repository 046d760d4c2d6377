// Reading the boot export back (the generator's only input): strict, never throwing, row by row.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace subu::exporting {

// Where the manager writes the export, and every reader looks for it.
inline constexpr const char* default_path = "/etc/subu/subus";

// One accepted subu line of the export. `num` is N of `id` ("subu_N");
// `parent_id` is "-" at top level; network and loopback are "up" or "down";
// `uid` is the subu's Unix uid, 0 when unknown (a format 1 export, or "-").
struct ExportRow {
    std::uint32_t num = 0;
    std::string id, name, parent_id;
    std::string network, loopback;
    std::uint32_t uid = 0;
};

// One accepted service line: the system service `unit` runs in the subu
// `subu_id` (N = `subu_num`, a row of the same export) as `user`, which is
// that subu's name or the name of a subu under it.
struct ExportService {
    std::uint32_t subu_num = 0;
    std::string subu_id, unit, user;
};

// The rows and services that passed every check, in file order, and one
// message per rejected line ("line 7: ..."), in line order.
struct ParsedExport {
    std::vector<ExportRow> rows;
    std::vector<ExportService> services;
    std::vector<std::string> problems;
};

// Longest line accepted; a real line is under 70 bytes.
inline constexpr std::size_t max_line_length = 512;

// Parses the text render() writes, in format 2 (subu lines of six fields,
// service lines) or 1 (subu lines of five fields, from before an upgrade,
// until the manager rewrites it). A line that breaks a rule yields no row and
// one problem, and so do its descendants (their parent is missing) and its
// services; a wrong header or empty text yields no rows at all. Rows may come
// in any order: a child can precede its parent, since ids are reused.
ParsedExport parse_export(std::string_view text);

}  // namespace subu::exporting
