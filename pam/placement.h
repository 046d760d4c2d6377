// pam_subu's decisions, pure: its arguments, and whether a session is left alone, placed in a subu, or refused.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace subu::pam {

struct Options {
    bool debug = false;
    std::string export_path;  // the boot export (/etc/subu/subus unless `export=PATH`)
};

// The arguments of the module's line in a PAM file: `debug`, `export=PATH`
// (absolute). An argument it does not know is reported in `problems` and
// otherwise ignored: a typo in a PAM file must not lock every user out, root
// included, and the arguments only tune what the module does.
struct ParsedOptions {
    Options options;
    std::vector<std::string> problems;
};
ParsedOptions parse_options(const std::vector<std::string_view>& args);

// True when `user` could be a subu's name at all (at least two valid tokens
// joined by '_'): a name that cannot is left alone without reading anything.
bool could_be_subu(std::string_view user);

// The boot export as the module found it.
struct ExportFile {
    enum class State { Read, Missing, Unreadable } state = State::Missing;
    std::string text;   // when Read
    std::string error;  // when Unreadable: why ("Permission denied")
};

// The user's passwd entry (getpwnam of the PAM user), when there is one.
struct Account {
    std::string name;  // its own spelling, which is what the export holds
    std::uint32_t uid = 0;
};

// Where a subu's session goes.
struct Placement {
    std::string subu;         // Thomas_US
    std::uint32_t num = 0;    // N of subu_N
    std::string netns_path;   // /run/netns/ns-subu_N
    std::string resolv_conf;  // /etc/netns/ns-subu_N/resolv.conf (bound when it exists)
    std::string netns_unit;   // subu-netns@Thomas_US.service, for messages
};

struct Decision {
    enum class Kind { Ignore, Place, Refuse } kind = Kind::Ignore;
    Placement placement;  // when Place
    // Refuse: what the journal says, naming the user and what to do.
    // Ignore: why, for `debug`.
    std::string message;
};

// The session of `user` (the PAM user) with passwd entry `account`, given
// the export: Ignore for a user who is not a subu; Place for a subu's user;
// Refuse when it cannot be told whether a user whose name could be a subu's
// is one (an unreadable or damaged export), or the passwd entry is missing.
// A missing export means no subu was ever made here: Ignore.
// `export_path` is for messages.
Decision decide(std::string_view user, const std::optional<Account>& account, const ExportFile& file,
                const std::string& export_path);

}  // namespace subu::pam
