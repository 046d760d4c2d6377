// Reading the boot export back: every rule checked, nothing thrown, a bad line costing only its subu and its subtree.
#include "export/parse.h"

#include "core/text.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "core/errors.h"
#include "names/names.h"

namespace subu::exporting {
namespace {

constexpr std::string_view header_prefix = "# subu export 1:";
constexpr std::size_t field_count = 5;

struct Problem {
    std::size_t line;
    std::string text;
};

// A line that has the shape of a row; its fields still need checking.
struct Candidate {
    std::size_t line = 0;
    std::string_view fields[field_count];
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

// Checks a line's fields, and that no other line claims its id or name;
// returns why it is rejected, or "" (and fills in its row).
std::string check_fields(Candidate& c, const std::unordered_map<std::string_view, IdUse>& ids,
                         const std::unordered_map<std::string_view, std::vector<std::size_t>>& names_seen) {
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

    c.depth = tokens.size();
    c.row = ExportRow{
        *num, std::string(id), std::string(name), std::string(parent), std::string(network), std::string(loopback)};
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
    std::unordered_map<std::string_view, std::vector<std::size_t>> names_seen;

    std::size_t pos = 0;
    for (std::size_t line = 1; pos < text.size(); ++line) {
        const auto end = text.find('\n', pos);
        const bool terminated = end != std::string_view::npos;
        const auto l = text.substr(pos, terminated ? end - pos : std::string_view::npos);
        pos = terminated ? end + 1 : text.size();

        if (line == 1) {
            if (l.substr(0, header_prefix.size()) == header_prefix) continue;
            out.problems.push_back("line 1: " + shown(l) + " is not the header of a subu export (\"" +
                                   std::string(header_prefix) + " ...\"); no subu is read from it");
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
            if (n < field_count) c.fields[n] = l.substr(start, tab == std::string_view::npos ? tab : tab - start);
            ++n;
            if (tab == std::string_view::npos) break;
            start = tab + 1;
        }
        if (n != field_count) {
            reject(std::to_string(n) + (n == 1 ? " field" : " fields") +
                   ", not 5 (id, name, parent, network, loopback): " + shown(l));
            continue;
        }
        auto& use = ids[c.fields[0]];
        if (use.lines.empty()) use.candidate = candidates.size();
        use.lines.push_back(line);
        names_seen[c.fields[1]].push_back(line);
        candidates.push_back(c);
    }

    for (auto& c : candidates) {
        if (auto why = check_fields(c, ids, names_seen); !why.empty()) {
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
    std::stable_sort(problems.begin(), problems.end(),
                     [](const Problem& a, const Problem& b) { return a.line < b.line; });
    for (auto& p : problems) out.problems.push_back(std::move(p.text));
    return out;
}

}  // namespace subu::exporting
