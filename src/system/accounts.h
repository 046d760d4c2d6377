// Unix users and groups: looked up through NSS, changed through the shadow tools.
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace subu::system {

struct UnixUser {
    std::string name;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::string home;
    std::string shell;
};

struct NewUser {
    std::string name;
    std::uint32_t primary_gid = 0;
    std::string supplementary_group;
    std::string home;
    std::string shell;
    std::string comment;
    std::optional<std::uint32_t> uid;  // none: useradd picks one
};

// The uids ordinary users get (login.defs' UID_MIN..UID_MAX).
struct UidRange {
    std::uint32_t min = 1000;
    std::uint32_t max = 60000;
};

// UID_MIN and UID_MAX from the text of a login.defs; a value that is missing
// or not a number keeps useradd's default.
UidRange uid_range_from_login_defs(std::string_view text);

// The seam the service changes accounts through; tests replace it.
class Accounts {
public:
    virtual ~Accounts() = default;
    virtual std::optional<UnixUser> user(std::string_view name) = 0;
    virtual std::optional<UnixUser> user_by_uid(std::uint32_t uid) = 0;
    virtual bool group_exists(std::string_view name) = 0;
    virtual bool path_exists(const std::string& path) = 0;
    // Owner uid of `path`, if it exists.
    virtual std::optional<std::uint32_t> path_owner(const std::string& path) = 0;
    // Gives the tree at `path` (not following symlinks) to uid:gid.
    virtual void adopt_tree(const std::string& path, std::uint32_t uid, std::uint32_t gid) = 0;
    // Whether any process runs with this uid (real or effective).
    virtual bool has_processes(std::uint32_t uid) = 0;
    virtual UidRange uid_range() = 0;
    // The uid of every user NSS lists.
    virtual std::set<std::uint32_t> uids_in_use() = 0;
    // The owners of the entries directly inside `dir` (symlinks not followed);
    // none when `dir` does not exist.
    virtual std::set<std::uint32_t> entry_owners(const std::string& dir) = 0;
    // Each of these throws Failed naming the tool and what it said.
    virtual void add_group(std::string_view name) = 0;
    virtual void remove_group(std::string_view name) = 0;  // absent: success
    // With a new home directory; a `user.uid` in use is refused (Exists).
    virtual UnixUser add_user(const NewUser& user) = 0;
    virtual void remove_user(std::string_view name, bool purge_home) = 0;  // absent: success
};

// The real thing: getpwnam_r and /usr/sbin/{useradd,userdel,groupadd,groupdel}.
class ShadowAccounts final : public Accounts {
public:
    std::optional<UnixUser> user(std::string_view name) override;
    std::optional<UnixUser> user_by_uid(std::uint32_t uid) override;
    bool group_exists(std::string_view name) override;
    bool path_exists(const std::string& path) override;
    std::optional<std::uint32_t> path_owner(const std::string& path) override;
    void adopt_tree(const std::string& path, std::uint32_t uid, std::uint32_t gid) override;
    bool has_processes(std::uint32_t uid) override;
    UidRange uid_range() override;
    std::set<std::uint32_t> uids_in_use() override;
    std::set<std::uint32_t> entry_owners(const std::string& dir) override;
    void add_group(std::string_view name) override;
    void remove_group(std::string_view name) override;
    UnixUser add_user(const NewUser& user) override;
    void remove_user(std::string_view name, bool purge_home) override;
};

}  // namespace subu::system
