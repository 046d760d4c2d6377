// Reading the boot export back: every rule checked, nothing thrown, a bad line costing only its subu and its subtree.
#include "export/parse.h"

#include "core/text.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "core/errors.h"
#include "names/names.h"
#include "units/service_name.h"

namespace subu::exporting {
namespace {

// Format 1 lacks the uid and the service lines; it is read until the manager rewrites it.
constexpr std::string_view header_v1 = "# subu export 1:";
constexpr std::string_view header_v2 = "# subu export 2:";
constexpr std::size_t max_fields = 6;
constexpr std::size_t service_fields = 4;
constexpr std::string_view service_tag = "service";

struct Problem {
    std::size_t line;
    std::string text;
};

// A line that has the shape of a row; its fields still need checking.
struct Candidate {
    std::size_t line = 0;
    std::string_view fields[max_fields];
    std::size_t depth = 0;  // tokens in the name
    enum class State { Pending, Accepted, Rejected } state = State::Pending;
    ExportRow row;
};

// Where an id was seen, so a child of a rejected line is told why it is out.
struct IdUse {
    std::vector<std::size_t> lines;
    std::size_t candidate = SIZE_MAX;  // SIZE_MAX: its first line never became a candidate
};

bool printable(unsigned char c) { return (c >= 0x20 && c < 0x7f) || c == '\t'; }

// "lines 4 and 9", "lines 4, 9 and 12".
std::string line_list(const std::vector<std::size_t>& lines) {
    std::string out = "lines ";
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) out += i + 1 == lines.size() ? " and " : ", ";
        out += std::to_string(lines[i]);
    }
    return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto at = s.find(sep, start);
        out.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) return out;
        start = at + 1;
    }
}

// A uid field: "-" (unknown, 0) or a uid a subu can have: decimal without a
// leading zero, neither root's nor either "-1" (65535, 4294967295).
std::optional<std::uint32_t> parse_uid(std::string_view s) {
    if (s == "-") return 0;
    if (s.empty() || s.size() > 10 || s[0] == '0' ||
        std::any_of(s.begin(), s.end(), [](char c) { return c < '0' || c > '9'; }))
        return std::nullopt;
    const auto v = std::stoull(std::string(s));
    if (v >= 0xffffffffull || v == 0xffff) return std::nullopt;
    return static_cast<std::uint32_t>(v);
}

// Checks a line's fields, and that no other line claims its id, name or uid;
// returns why it is rejected, or "" (and fills in its row).
std::string check_fields(Candidate& c, const std::unordered_map<std::string_view, IdUse>& ids,
                         const std::unordered_map<std::string_view, std::vector<std::size_t>>& names_seen,
                         const std::unordered_map<std::string_view, std::vector<std::size_t>>& uids_seen, int format) {
    const auto id = c.fields[0], name = c.fields[1], parent = c.fields[2], network = c.fields[3],
               loopback = c.fields[4];
    const auto num = names::parse_subu_id(id);
    if (!num) return "the id " + shown(id) + " is not of the form subu_N";
    if (const auto& use = ids.at(id); use.lines.size() > 1)
        return "the id " + std::string(id) + " is on " + line_list(use.lines) + "; none of them is used";

    const auto tokens = split(name, '_');
    try {
        names::full_name(tokens);
    } catch (const InvalidArgument& e) {
        return "the name " + shown(name) + " is not valid: " + e.what();
    }
    if (const auto& lines = names_seen.at(name); lines.size() > 1)
        return "the name " + std::string(name) + " is on " + line_list(lines) + "; none of them is used";

    if (parent != "-" && !names::parse_subu_id(parent))
        return "the parent " + shown(parent) + " is neither \"-\" nor an id";
    if (tokens.size() == 2 && parent != "-")
        return std::string(name) + " is a top-level subu, yet its parent is given as " + std::string(parent);
    if (tokens.size() > 2 && parent == "-")
        return std::string(name) + " has no parent, yet its name puts it under " + names::parent_name(name);

    if (network != "up" && network != "down")
        return "the network of " + std::string(name) + " is " + shown(network) + ", not \"up\" or \"down\"";
    if (loopback != "up" && loopback != "down")
        return "the loopback of " + std::string(name) + " is " + shown(loopback) + ", not \"up\" or \"down\"";

    std::uint32_t uid = 0;
    if (format >= 2) {
        const auto u = parse_uid(c.fields[5]);
        if (!u)
            return "the uid of " + std::string(name) + " is " + shown(c.fields[5]) +
                   ", not \"-\" or a user's uid (1 to 4294967294, not 65535)";
        if (const auto& lines = uids_seen.at(c.fields[5]); *u != 0 && lines.size() > 1)
            return "the uid " + std::string(c.fields[5]) + " is on " + line_list(lines) + "; none of them is used";
        uid = *u;
    }

    c.depth = tokens.size();
    c.row = ExportRow{*num,
                      std::string(id),
                      std::string(name),
                      std::string(parent),
                      std::string(network),
                      std::string(loopback),
                      uid};
    return {};
}

// A service line, once every subu line is decided: why it is rejected, or "" (and `out` filled in).
std::string check_service(const std::string_view (&f)[max_fields], const std::vector<ExportRow>& rows,
                          const std::unordered_map<std::string_view, std::vector<std::size_t>>& units_seen,
                          ExportService& out) {
    const auto id = f[1], unit = f[2], user = f[3];
    if (auto why = units::attach_problem(unit); !why.empty()) return why;
    if (const auto& lines = units_seen.at(unit); lines.size() > 1)
        return "the service " + std::string(unit) + " is on " + line_list(lines) + "; none of them is used";
    const auto num = names::parse_subu_id(id);
    if (!num) return "the subu " + shown(id) + " of " + std::string(unit) + " is not of the form subu_N";
    const auto subu = std::find_if(rows.begin(), rows.end(), [&](const ExportRow& r) { return r.num == *num; });
    if (subu == rows.end())
        return "the subu " + std::string(id) + " of " + std::string(unit) +
               " is not in the export (or was rejected), so the service stays outside every subu";
    const bool own = user == subu->name;
    const bool below = user.size() > subu->name.size() + 1 && user.substr(0, subu->name.size()) == subu->name &&
                       user[subu->name.size()] == '_' &&
                       std::any_of(rows.begin(), rows.end(), [&](const ExportRow& r) { return r.name == user; });
    if (!own && !below)
        return "the user " + shown(user) + " of " + std::string(unit) + " is neither " + subu->name +
               " nor a subu under it in the export";
    out = ExportService{*num, std::string(id), std::string(unit), std::string(user)};
    return {};
}

}  // namespace


ParsedExport parse_export(std::string_view text) {
    ParsedExport out;
    if (text.empty()) {
        out.problems.push_back("empty, without even a header; no subu is read from it");
        return out;
    }

    std::vector<Problem> problems;
    std::vector<Candidate> candidates;
    std::unordered_map<std::string_view, IdUse> ids;
    std::unordered_map<std::string_view, std::vector<std::size_t>> names_seen, uids_seen, units_seen;
    struct ServiceLine {
        std::size_t line;
        std::string_view fields[max_fields];
    };
    std::vector<ServiceLine> service_lines;
    int format = 0;

    std::size_t pos = 0;
    for (std::size_t line = 1; pos < text.size(); ++line) {
        const auto end = text.find('\n', pos);
        const bool terminated = end != std::string_view::npos;
        const auto l = text.substr(pos, terminated ? end - pos : std::string_view::npos);
        pos = terminated ? end + 1 : text.size();

        if (line == 1) {
            if (l.substr(0, header_v2.size()) == header_v2) format = 2;
            else if (l.substr(0, header_v1.size()) == header_v1) format = 1;
            if (format != 0) continue;
            out.problems.push_back("line 1: " + shown(l) + " is not the header of a subu export (\"" +
                                   std::string(header_v2) + " ...\", or format 1 from before an upgrade); "
                                   "no subu is read from it");
            return out;
        }
        if (!l.empty() && l.front() == '#') continue;

        auto reject = [&](const std::string& why) {
            problems.push_back({line, "line " + std::to_string(line) + ": " + why});
            // A child naming this id hears that its parent was rejected, not that it is unknown.
            const auto id = l.substr(0, l.find('\t'));
            if (names::parse_subu_id(id)) ids[id].lines.push_back(line);
        };
        if (l.size() > max_line_length) {
            reject(std::to_string(l.size()) + " bytes long, more than " + std::to_string(max_line_length) + ": " +
                   shown(l));
            continue;
        }
        if (auto bad = std::find_if(l.begin(), l.end(), [](char c) { return !printable(c); }); bad != l.end()) {
            reject("byte " + std::to_string(bad - l.begin() + 1) + " is not printable ASCII: " + shown(l, 80));
            continue;
        }
        if (!terminated) {
            reject("no newline at its end, so the file may be cut short: " + shown(l));
            continue;
        }
        Candidate c;
        c.line = line;
        std::size_t n = 0, start = 0;
        for (;;) {
            const auto tab = l.find('\t', start);
            if (n < max_fields) c.fields[n] = l.substr(start, tab == std::string_view::npos ? tab : tab - start);
            ++n;
            if (tab == std::string_view::npos) break;
            start = tab + 1;
        }
        if (format >= 2 && c.fields[0] == service_tag) {
            if (n != service_fields) {
                problems.push_back({line, "line " + std::to_string(line) + ": " + std::to_string(n) +
                                              (n == 1 ? " field" : " fields") +
                                              ", not 4 (service, subu id, unit, user): " + shown(l)});
                continue;
            }
            ServiceLine sl{line, {}};
            std::copy(std::begin(c.fields), std::end(c.fields), std::begin(sl.fields));
            units_seen[sl.fields[2]].push_back(line);
            service_lines.push_back(sl);
            continue;
        }
        const std::size_t field_count = format >= 2 ? 6 : 5;
        if (n != field_count) {
            reject(std::to_string(n) + (n == 1 ? " field" : " fields") + ", not " + std::to_string(field_count) +
                   (format >= 2 ? " (id, name, parent, network, loopback, uid): "
                                : " (id, name, parent, network, loopback): ") +
                   shown(l));
            continue;
        }
        auto& use = ids[c.fields[0]];
        if (use.lines.empty()) use.candidate = candidates.size();
        use.lines.push_back(line);
        names_seen[c.fields[1]].push_back(line);
        if (format >= 2) uids_seen[c.fields[5]].push_back(line);
        candidates.push_back(c);
    }

    for (auto& c : candidates) {
        if (auto why = check_fields(c, ids, names_seen, uids_seen, format); !why.empty()) {
            c.state = Candidate::State::Rejected;
            problems.push_back({c.line, "line " + std::to_string(c.line) + ": " + why});
        }
    }

    // Parents first: a subu is decided only once the subu it hangs under is.
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < candidates.size(); ++i)
        if (candidates[i].state == Candidate::State::Pending) order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return candidates[a].depth < candidates[b].depth; });
    for (const auto i : order) {
        auto& c = candidates[i];
        std::string why;
        if (c.row.parent_id != "-") {
            const auto it = ids.find(c.row.parent_id);
            const auto& name = c.row.name;
            if (it == ids.end()) {
                why = "the parent " + c.row.parent_id + " of " + name + " is not in the export";
            } else if (it->second.lines.size() > 1 || it->second.candidate == SIZE_MAX ||
                       candidates[it->second.candidate].state == Candidate::State::Rejected) {
                why = name + " is left out because its parent " + c.row.parent_id + " (line " +
                      std::to_string(it->second.lines.front()) + ") was rejected";
            } else if (const auto& p = candidates[it->second.candidate]; p.row.name != names::parent_name(name)) {
                why = "the parent " + c.row.parent_id + " is " + shown(p.fields[1]) + ", but " + name +
                      " belongs under " + names::parent_name(name);
            }
        }
        if (why.empty()) {
            c.state = Candidate::State::Accepted;
        } else {
            c.state = Candidate::State::Rejected;
            problems.push_back({c.line, "line " + std::to_string(c.line) + ": " + why});
        }
    }

    for (auto& c : candidates)
        if (c.state == Candidate::State::Accepted) out.rows.push_back(std::move(c.row));
    for (const auto& sl : service_lines) {
        ExportService svc;
        if (auto why = check_service(sl.fields, out.rows, units_seen, svc); !why.empty())
            problems.push_back({sl.line, "line " + std::to_string(sl.line) + ": " + why});
        else
            out.services.push_back(std::move(svc));
    }
    std::stable_sort(problems.begin(), problems.end(),
                     [](const Problem& a, const Problem& b) { return a.line < b.line; });
    for (auto& p : problems) out.problems.push_back(std::move(p.text));
    return out;
}

}  // namespace subu::exporting
