// pam_subu's decisions: a user the export names goes into its subu; one it cannot vouch for is refused.
#include "pam/placement.h"

#include <algorithm>

#include "core/errors.h"
#include "core/text.h"
#include "export/parse.h"
#include "names/names.h"
#include "units/render.h"

namespace subu::pam {
namespace {

constexpr std::string_view export_prefix = "export=";

Decision ignore(std::string why) { return {Decision::Kind::Ignore, {}, std::move(why)}; }
Decision refuse(std::string why) { return {Decision::Kind::Refuse, {}, std::move(why)}; }

// What every refusal of an unreadable or damaged export tells the admin to do.
std::string export_remedy(const std::string& path) {
    return "; the session is refused rather than left outside the subu. `systemctl restart subu-manager` "
           "writes " + path + " anew from its store.";
}

}  // namespace

ParsedOptions parse_options(const std::vector<std::string_view>& args) {
    ParsedOptions out;
    out.options.export_path = exporting::default_path;
    for (const auto a : args) {
        if (a == "debug") {
            out.options.debug = true;
        } else if (a.substr(0, export_prefix.size()) == export_prefix) {
            const auto path = a.substr(export_prefix.size());
            if (path.empty() || path.front() != '/')
                out.problems.push_back("the argument " + shown(a, 80) + " needs an absolute path; using " +
                                       out.options.export_path);
            else
                out.options.export_path = std::string(path);
        } else {
            out.problems.push_back("unknown argument " + shown(a, 80) + " ignored; the arguments are debug and "
                                   "export=PATH");
        }
    }
    return out;
}

bool could_be_subu(std::string_view user) {
    if (user.find('_') == std::string_view::npos || !names::plausible_reference(user)) return false;
    std::vector<std::string> tokens;
    std::size_t start = 0;
    for (;;) {
        const auto cut = user.find('_', start);
        tokens.emplace_back(user.substr(start, cut == std::string_view::npos ? cut : cut - start));
        if (cut == std::string_view::npos) break;
        start = cut + 1;
    }
    try {
        names::full_name(tokens);
        return true;
    } catch (const InvalidArgument&) {
        return false;
    }
}

Decision decide(std::string_view user, const std::optional<Account>& account, const ExportFile& file,
                const std::string& export_path) {
    if (!could_be_subu(user)) return ignore(shown(user, 64) + " cannot be the name of a subu");
    // The manager writes the export at every start, so without one no subu was ever made here.
    if (file.state == ExportFile::State::Missing)
        return ignore("there is no " + export_path + ", so no subu on this host");

    const std::string who = account ? account->name : std::string(user);
    const std::string refused = "Refusing the session of " + shown(who, 64) + ": ";
    if (file.state == ExportFile::State::Unreadable)
        return refuse(refused + "the subu export " + export_path + " cannot be read (" + file.error +
                      "), so whether it is a subu cannot be told" + export_remedy(export_path));

    const auto parsed = exporting::parse_export(file.text);
    const auto row = std::find_if(parsed.rows.begin(), parsed.rows.end(), [&](const auto& r) { return r.name == who; });
    if (row == parsed.rows.end()) {
        // A line the parser rejected may be this very subu: no telling it is not.
        if (!parsed.problems.empty())
            return refuse(refused + "the subu export " + export_path + " is damaged (" + parsed.problems.front() +
                          "), so whether it is a subu cannot be told" + export_remedy(export_path));
        return ignore(shown(who, 64) + " is not a subu in " + export_path);
    }
    if (!account)
        return refuse(refused + "the subu has no passwd entry; `subu info " + row->name +
                      "` and `getent passwd " + row->name + "` show what is left of it.");
    // The export says which uid the subu has: a passwd entry of that name with
    // another uid is not the subu the manager made.
    if (row->uid && row->uid != account->uid)
        return refuse(refused + "its uid " + std::to_string(account->uid) + " is not the uid " +
                      std::to_string(row->uid) + " the subu " + row->name + " was made with; `subu info " +
                      row->name + "` and `getent passwd " + row->name + "` show which is right.");

    Decision d{Decision::Kind::Place, {}, {}};
    auto& p = d.placement;
    p.subu = row->name;
    p.num = row->num;
    p.netns_path = names::netns_path(row->num);
    p.resolv_conf = names::resolv_conf_path(row->num);
    p.netns_unit = units::service("subu-netns", row->name);
    return d;
}

}  // namespace subu::pam
