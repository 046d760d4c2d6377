// Local routes for loopback over a tunnel device, made with one rtnetlink request each.
#include "bpf/loopback.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "core/errors.h"
#include "system/netns.h"

namespace subu::bpf {
namespace {

struct RouteRequest {
    nlmsghdr header;
    rtmsg route;
    char attrs[128];
};

void add_attr(RouteRequest& r, unsigned short type, const void* data, std::size_t len) {
    auto* a = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&r) + NLMSG_ALIGN(r.header.nlmsg_len));
    a->rta_type = type;
    a->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
    std::memcpy(RTA_DATA(a), data, len);
    r.header.nlmsg_len = NLMSG_ALIGN(r.header.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

// Adds `local DST/PREFIX dev IFINDEX table local metric 10`; an existing one is fine.
int add_local_route(int sock, int family, const void* dst, std::size_t dst_len, unsigned char prefix,
                    std::uint32_t ifindex) {
    RouteRequest r{};
    r.header.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
    r.header.nlmsg_type = RTM_NEWROUTE;
    r.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    r.route.rtm_family = static_cast<unsigned char>(family);
    r.route.rtm_dst_len = prefix;
    r.route.rtm_table = RT_TABLE_LOCAL;
    r.route.rtm_protocol = RTPROT_STATIC;
    r.route.rtm_scope = RT_SCOPE_HOST;
    r.route.rtm_type = RTN_LOCAL;
    const std::uint32_t metric = 10;
    add_attr(r, RTA_DST, dst, dst_len);
    add_attr(r, RTA_OIF, &ifindex, sizeof ifindex);
    add_attr(r, RTA_PRIORITY, &metric, sizeof metric);
    if (send(sock, &r, r.header.nlmsg_len, 0) < 0) return errno;
    char reply[512];
    const ssize_t n = recv(sock, reply, sizeof reply, 0);
    if (n < 0) return errno;
    const auto* h = reinterpret_cast<const nlmsghdr*>(reply);
    if (n < static_cast<ssize_t>(NLMSG_LENGTH(sizeof(nlmsgerr))) || h->nlmsg_type != NLMSG_ERROR) return EPROTO;
    const int err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
    return err == EEXIST ? 0 : err;
}

int write_sysctl(const char* path, const char* value) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    const int err = write(fd, value, std::strlen(value)) < 0 ? errno : 0;
    close(fd);
    return err;
}

}  // namespace

void route_loopback_over(const std::string& netns_path, std::uint32_t ifindex) {
    if (ifindex == 0) throw InvalidArgument("There is no tunnel to route loopback over (interface index 0).");
    std::string step;
    const int err = system::in_netns(netns_path, [&] {
        int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (sock < 0) {
            step = "open rtnetlink";
            return errno;
        }
        in_addr v4{};
        inet_pton(AF_INET, "127.0.0.0", &v4);
        int e = add_local_route(sock, AF_INET, &v4, sizeof v4, 8, ifindex);
        if (e) step = "add the route local 127.0.0.0/8";
        if (!e) {
            e = add_local_route(sock, AF_INET6, &in6addr_loopback, sizeof in6addr_loopback, 128, ifindex);
            if (e) step = "add the route local ::1";
        }
        close(sock);
        // The sysctl file is per namespace, of the namespace of the thread that opens it.
        if (!e && (e = write_sysctl("/proc/sys/net/ipv6/ip_nonlocal_bind", "1"))) step = "set net.ipv6.ip_nonlocal_bind";
        return e;
    });
    if (err)
        throw_errno(err, (step.empty() ? std::string("enter") : step + " over interface " + std::to_string(ifindex) +
                                                                     " in") + " " + netns_path);
}

}  // namespace subu::bpf
