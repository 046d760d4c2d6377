// A tunnel interface's layer-3 setup over rtnetlink, in the calling thread's network namespace.
#pragma once
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

// A route to `destination` through link `index` (scope link: the tunnel is
// point-to-point), replacing one to the same destination in the main table.
// 0.0.0.0/0 and ::/0 make the default routes.
void add_route(unsigned index, const Cidr& destination);

// Deletes the link `ifname`; true if it was there.
bool delete_link(const std::string& ifname);

}  // namespace subu::wg
