// Interface setup over rtnetlink: the messages `ip link set`, `ip address replace` and `ip route replace` send.
#include "wg/iface.h"

#include <net/if.h>

#include "wg/netlink.h"

namespace subu::wg {
namespace {

NlMsg message(int type, int flags, const void* header, std::size_t size) {
    NlMsg msg(nlmsg_alloc_size(256));
    if (!msg) throw std::bad_alloc();
    if (!nlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, type, 0, flags) ||
        nlmsg_append(msg.get(), const_cast<void*>(header), size, NLMSG_ALIGNTO) < 0)
        too_small();
    return msg;
}

void send(NlMsg msg, const std::string& what) {
    NetlinkSocket sock(NETLINK_ROUTE);
    Outcome outcome = sock.request(msg.get());
    if (outcome.error) fail(outcome, what);
}

}  // namespace

unsigned link_index(const std::string& ifname) { return if_nametoindex(ifname.c_str()); }

void set_mtu_and_up(const std::string& ifname, unsigned mtu) {
    validate_ifname(ifname);
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_flags = IFF_UP;
    ifi.ifi_change = IFF_UP;
    NlMsg msg = message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, &ifi, sizeof ifi);
    if (nla_put_string(msg.get(), IFLA_IFNAME, ifname.c_str()) < 0 || nla_put_u32(msg.get(), IFLA_MTU, mtu) < 0)
        too_small();
    send(std::move(msg), "set the MTU of " + ifname + " to " + std::to_string(mtu) + " and bring it up");
}

void add_address(unsigned index, const Cidr& address) {
    ifaddrmsg ifa{};
    ifa.ifa_family = static_cast<std::uint8_t>(address.family);
    ifa.ifa_prefixlen = static_cast<std::uint8_t>(address.prefix);
    ifa.ifa_index = index;
    ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    NlMsg msg = message(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, &ifa, sizeof ifa);
    const int size = static_cast<int>(address_size(address.family));
    if (nla_put(msg.get(), IFA_LOCAL, size, address.addr.data()) < 0 ||
        nla_put(msg.get(), IFA_ADDRESS, size, address.addr.data()) < 0)
        too_small();
    send(std::move(msg), "add the address " + to_string(address));
}

static_assert(RouteKind{}.table == RT_TABLE_MAIN && RouteKind{}.type == RTN_UNICAST &&
              RouteKind{}.scope == RT_SCOPE_LINK);

void add_route(unsigned index, const Cidr& destination, const RouteKind& kind) {
    rtmsg rt{};
    rt.rtm_family = static_cast<std::uint8_t>(destination.family);
    rt.rtm_dst_len = static_cast<std::uint8_t>(destination.prefix);
    rt.rtm_table = kind.table;
    rt.rtm_protocol = RTPROT_STATIC;
    rt.rtm_scope = kind.scope;
    rt.rtm_type = kind.type;
    NlMsg msg = message(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, &rt, sizeof rt);
    const Cidr net = network_of(destination);
    if ((destination.prefix && nla_put(msg.get(), RTA_DST, static_cast<int>(address_size(net.family)),
                                       net.addr.data()) < 0) ||
        nla_put_u32(msg.get(), RTA_OIF, index) < 0 || (kind.metric && nla_put_u32(msg.get(), RTA_PRIORITY, kind.metric) < 0))
        too_small();
    send(std::move(msg), "add the route to " + to_string(net));
}

bool delete_link(const std::string& ifname) {
    validate_ifname(ifname);
    NlMsg msg = link_message(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK);
    if (nla_put_string(msg.get(), IFLA_IFNAME, ifname.c_str()) < 0) too_small();
    NetlinkSocket sock(NETLINK_ROUTE);
    Outcome outcome = sock.request(msg.get());
    if (outcome.error == ENODEV) return false;
    if (outcome.error) fail(outcome, "delete the link " + ifname);
    return true;
}

}  // namespace subu::wg
