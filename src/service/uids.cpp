// The uid rule of subu: useradd's, minus every uid a removed subu's files may still carry.
#include "service/uids.h"

namespace subu::service {

std::optional<std::uint32_t> pick_uid(system::UidRange range, const std::set<std::uint32_t>& taken) {
    if (range.min > range.max) return std::nullopt;
    // The highest taken uid within the range, if any.
    auto above = taken.upper_bound(range.max);
    if (above == taken.begin() || *std::prev(above) < range.min) return range.min;
    const std::uint64_t next = std::uint64_t{*std::prev(above)} + 1;
    if (next <= range.max) return static_cast<std::uint32_t>(next);
    for (std::uint64_t u = range.min; u <= range.max; ++u)
        if (!taken.count(static_cast<std::uint32_t>(u))) return static_cast<std::uint32_t>(u);
    return std::nullopt;
}

}  // namespace subu::service
