// Local routes for loopback over a tunnel device (wg/iface.h's route requests, in the subu's namespace).
#include "bpf/loopback.h"

#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <unistd.h>

#include <cstring>

#include "core/errors.h"
#include "system/inside.h"
#include "wg/addr.h"
#include "wg/iface.h"

namespace subu::bpf {

void route_loopback_over(const std::string& netns_path, std::uint32_t ifindex) {
    if (ifindex == 0) throw InvalidArgument("There is no tunnel to route loopback over (interface index 0).");
    // `local 127.0.0.0/8 dev TUNNEL table local metric 10` and the same for
    // ::1, beside lo's own (metric 0): replacing only themselves on a re-run.
    const wg::RouteKind local{RT_TABLE_LOCAL, RTN_LOCAL, RT_SCOPE_HOST, 10};
    system::in_network_namespace(netns_path, [&] {
        wg::add_route(ifindex, wg::parse_cidr("127.0.0.0/8"), local);
        wg::add_route(ifindex, wg::parse_cidr("::1/128"), local);
        // The sysctl file is per namespace, of the namespace of the thread that opens it.
        const char* sysctl = "/proc/sys/net/ipv6/ip_nonlocal_bind";
        system::Fd fd(open(sysctl, O_WRONLY | O_CLOEXEC));
        if (!fd || write(fd.get(), "1", 1) != 1) throw_errno(std::string("set net.ipv6.ip_nonlocal_bind in ") + netns_path);
    });
}

}  // namespace subu::bpf
