// Kernel WireGuard: a small netlink transport, the rtnetlink link messages, and genl set/get from inside a namespace.
#include "wg/kernel.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/wireguard.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <system_error>

#include "core/errors.h"
#include "wg/netlink.h"
#include "wg/system.h"

namespace subu::wg {
namespace {

// The id of the "wireguard" generic netlink family, or nothing if the kernel
// has none (asking makes a kernel that has the module load it).
std::optional<int> wireguard_family(NetlinkSocket& sock) {
    NlMsg msg(nlmsg_alloc_size(256));
    if (!msg) throw std::bad_alloc();
    if (!genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, NLM_F_REQUEST | NLM_F_ACK,
                     CTRL_CMD_GETFAMILY, 1) ||
        nla_put_string(msg.get(), CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME) < 0)
        too_small();
    std::optional<int> id;
    Outcome outcome = sock.request(msg.get(), [&](nlmsghdr* hdr) {
        nlattr* tb[CTRL_ATTR_MAX + 1] = {};
        if (genlmsg_parse(hdr, 0, tb, CTRL_ATTR_MAX, nullptr) == 0 && tb[CTRL_ATTR_FAMILY_ID] &&
            nla_len(tb[CTRL_ATTR_FAMILY_ID]) == sizeof(std::uint16_t))
            id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
    });
    if (outcome.error == ENOENT) return std::nullopt;
    if (outcome.error) fail(outcome, "look up the generic netlink family \"" WG_GENL_NAME "\"");
    if (!id)
        throw Failed("The kernel answered the lookup of the generic netlink family \"" WG_GENL_NAME "\" without an id");
    return id;
}

[[noreturn]] void no_wireguard(const std::string& what, const std::string& how) {
    throw std::system_error(EOPNOTSUPP, std::generic_category(),
                            "Failed to " + what + ": the kernel has no WireGuard (" + how +
                                "; load wireguard.ko, or use the wireguard-go backend)");
}

int require_wireguard_family(NetlinkSocket& sock, const std::string& what) {
    std::optional<int> id = wireguard_family(sock);
    if (!id) no_wireguard(what, "no generic netlink family \"" WG_GENL_NAME "\"");
    return *id;
}

// The kind of the link `ifname` in the caller's namespace: nothing if there
// is no such link, "" if it has no kind (loopback, a physical device).
std::optional<std::string> link_kind(const std::string& ifname) {
    NlMsg msg = link_message(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK);
    if (nla_put_string(msg.get(), IFLA_IFNAME, ifname.c_str()) < 0) too_small();
    NetlinkSocket sock(NETLINK_ROUTE);
    std::optional<std::string> kind;
    Outcome outcome = sock.request(msg.get(), [&](nlmsghdr* hdr) {
        if (hdr->nlmsg_type != RTM_NEWLINK) return;
        kind = "";
        nlattr* tb[IFLA_MAX + 1] = {};
        if (nlmsg_parse(hdr, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr) < 0 || !tb[IFLA_LINKINFO]) return;
        nlattr* info[IFLA_INFO_MAX + 1] = {};
        if (nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], nullptr) < 0 || !info[IFLA_INFO_KIND]) return;
        const char* text = static_cast<const char*>(nla_data(info[IFLA_INFO_KIND]));
        kind = std::string(text, strnlen(text, static_cast<std::size_t>(nla_len(info[IFLA_INFO_KIND]))));
    });
    if (outcome.error == ENODEV) return std::nullopt;
    if (outcome.error) fail(outcome, "look up the link " + ifname);
    return kind;
}

}  // namespace

NlMsg make_new_link(const std::string& ifname, int netns_fd, unsigned mtu) {
    validate_ifname(ifname);
    if (netns_fd < 0) throw InvalidArgument("No namespace to create the link " + ifname + " in");
    NlMsg msg = link_message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    nl_msg* m = msg.get();
    if (nla_put_string(m, IFLA_IFNAME, ifname.c_str()) < 0) too_small();
    if (mtu && nla_put_u32(m, IFLA_MTU, mtu) < 0) too_small();
    if (nla_put_u32(m, IFLA_NET_NS_FD, static_cast<std::uint32_t>(netns_fd)) < 0) too_small();
    nlattr* info = nla_nest_start(m, IFLA_LINKINFO | NLA_F_NESTED);
    if (!info || nla_put_string(m, IFLA_INFO_KIND, "wireguard") < 0 || nla_nest_end(m, info) < 0) too_small();
    return msg;
}

std::vector<std::uint8_t> build_new_link(const std::string& ifname, int netns_fd, unsigned mtu) {
    return message_bytes(make_new_link(ifname, netns_fd, mtu));
}

NlMsg make_move_link(const std::string& ifname, int netns_fd) {
    validate_ifname(ifname);
    if (netns_fd < 0) throw InvalidArgument("No namespace to move the link " + ifname + " into");
    NlMsg msg = link_message(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
    if (nla_put_string(msg.get(), IFLA_IFNAME, ifname.c_str()) < 0 ||
        nla_put_u32(msg.get(), IFLA_NET_NS_FD, static_cast<std::uint32_t>(netns_fd)) < 0)
        too_small();
    return msg;
}

std::vector<std::uint8_t> build_move_link(const std::string& ifname, int netns_fd) {
    return message_bytes(make_move_link(ifname, netns_fd));
}

void move_link_to_namespace(const std::string& ifname, int netns_fd) {
    NlMsg msg = make_move_link(ifname, netns_fd);
    NetlinkSocket sock(NETLINK_ROUTE);
    Outcome outcome = sock.request(msg.get());
    if (outcome.error) fail(outcome, "move the link " + ifname + " into the subu's network namespace");
}

bool KernelWireGuard::available() {
    try {
        NetlinkSocket sock(NETLINK_GENERIC);
        return wireguard_family(sock).has_value();
    } catch (const std::exception&) {
        return false;
    }
}

bool KernelWireGuard::create_link_in_namespace(const std::string& ifname, int netns_fd, unsigned mtu) {
    NlMsg msg = make_new_link(ifname, netns_fd, mtu);
    NetlinkSocket sock(NETLINK_ROUTE);
    Outcome outcome = sock.request(msg.get());
    if (!outcome.error) return true;
    const std::string what = "create the WireGuard link " + ifname;
    if (outcome.error == EOPNOTSUPP)
        no_wireguard(what,
                     "no \"wireguard\" link kind" +
                         (outcome.detail.empty() ? std::string() : ", the kernel says \"" + outcome.detail + "\""));
    if (outcome.error == EEXIST) {
        // NLM_F_EXCL refuses a name taken on either side; an existing
        // WireGuard link inside is this step done before (re-run after a crash).
        std::optional<std::string> kind =
            in_network_namespace(netns_fd, "of the link " + ifname, [&] { return link_kind(ifname); });
        if (kind == "wireguard") return false;
        if (!kind)
            throw Exists("Cannot create the WireGuard link " + ifname + ": the host namespace has a link of that name");
        throw Exists("Cannot create the WireGuard link " + ifname + ": the namespace already has a " +
                     (kind->empty() ? std::string("link") : "\"" + *kind + "\" link") + " of that name");
    }
    fail(outcome, what);
}

KernelWireGuard::KernelWireGuard(std::string netns_path) : netns_path_(std::move(netns_path)) {}

bool KernelWireGuard::create_link(const std::string& ifname, unsigned mtu) {
    Fd ns(::open(netns_path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) throw_errno("open the network namespace " + netns_path_);
    return create_link_in_namespace(ifname, ns.get(), mtu);
}

void KernelWireGuard::configure(const DeviceConfig& config) {
    // Built (and validated) before the trip; the family id is filled in there.
    NlMsg msg = make_set_device(config, 0);
    const std::string what = "configure the WireGuard interface " + config.ifname + " in " + netns_path_;
    in_network_namespace(netns_path_, [&] {
        // The socket is made inside, so the kernel finds the link by its name there.
        NetlinkSocket sock(NETLINK_GENERIC);
        nlmsg_hdr(msg.get())->nlmsg_type = static_cast<std::uint16_t>(require_wireguard_family(sock, what));
        Outcome outcome = sock.request(msg.get());
        if (outcome.error) fail(outcome, what);
    });
}

DeviceStatus KernelWireGuard::status(const std::string& ifname) {
    const std::string what = "read the WireGuard interface " + ifname + " in " + netns_path_;
    return in_network_namespace(netns_path_, [&] {
        NetlinkSocket sock(NETLINK_GENERIC);
        NlMsg msg = make_get_device(ifname, require_wireguard_family(sock, what));
        DeviceStatus status;
        Outcome outcome = sock.request(msg.get(), [&](nlmsghdr* hdr) {
            merge_get_device_reply({reinterpret_cast<const std::uint8_t*>(hdr), hdr->nlmsg_len}, status);
        });
        if (outcome.error) fail(outcome, what);
        return status;
    });
}

}  // namespace subu::wg
