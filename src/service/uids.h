// Which uid a new subu gets, so that no person's files reach another's subu.
#pragma once
#include <array>
#include <cstdint>
#include <iterator>
#include <optional>
#include <set>

#include "system/accounts.h"

namespace subu::service {

// Where a removed subu's files outlive it, besides its home: the shared
// writable directories and spools. An entry at the top of one of these (or of
// the home base) owned by a uid keeps that uid from any other subu.
inline constexpr std::array<const char*, 5> leftover_places = {"/tmp", "/var/tmp", "/dev/shm", "/var/mail",
                                                              "/var/spool/cron/crontabs"};

// One above the highest uid of `range` in `taken`, as useradd picks; past the
// end of the range, the lowest uid of it not taken; none when all are.
std::optional<std::uint32_t> pick_uid(system::UidRange range, const std::set<std::uint32_t>& taken);

}  // namespace subu::service
