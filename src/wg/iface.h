// A tunnel interface's layer-3 setup over rtnetlink, in the calling thread's network namespace.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "wg/addr.h"

namespace subu::wg {

// The index of `ifname` here, or 0 when there is no such link.
unsigned link_index(const std::string& ifname);

// Sets the link's MTU and brings it up (RTM_SETLINK). Throws Failed naming
// the link when the kernel refuses (no such link among them).
void set_mtu_and_up(const std::string& ifname, unsigned mtu);

// Puts `address` on link `index`, replacing one that is there (so a re-run
// changes nothing).
void add_address(unsigned index, const Cidr& address);

// What kind of route: by default a unicast route of the main table with scope
// link (a tunnel is point-to-point); `metric` 0 leaves the kernel's default.
struct RouteKind {
    unsigned char table = 254;  // RT_TABLE_MAIN
    unsigned char type = 1;     // RTN_UNICAST
    unsigned char scope = 253;  // RT_SCOPE_LINK
    std::uint32_t metric = 0;
};

// A route to `destination` through link `index`, replacing one to the same
// destination and metric in its table, so a re-run changes nothing.
// 0.0.0.0/0 and ::/0 make the default routes.
void add_route(unsigned index, const Cidr& destination, const RouteKind& kind = {});

// Deletes the link `ifname`; true if it was there.
bool delete_link(const std::string& ifname);

}  // namespace subu::wg
