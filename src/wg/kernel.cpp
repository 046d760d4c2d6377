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
#include "wg/system.h"

namespace subu::wg {
namespace {

// How a request ended: 0 or an errno, and what the kernel said about it
// (extended ack), if anything.
struct Outcome {
    int error = 0;
    std::string detail;
};

// "(the kernel says: Unknown device type)" or nothing.
std::string said(const Outcome& outcome) {
    return outcome.detail.empty() ? std::string() : " (the kernel says: " + outcome.detail + ")";
}

[[noreturn]] void fail(const Outcome& outcome, const std::string& what) {
    throw std::system_error(outcome.error, std::generic_category(), "Failed to " + what + said(outcome));
}

// The receive buffer, 8-byte aligned for the netlink headers and wiped when
// done: a GET_DEVICE reply carries the private key.
class ReceiveBuffer {
public:
    ~ReceiveBuffer() { wipe(words_.data(), words_.size() * sizeof(std::uint64_t)); }
    std::uint8_t* reserve(std::size_t size) {
        const std::size_t words = (size + sizeof(std::uint64_t) - 1) / sizeof(std::uint64_t);
        if (words > words_.size()) {
            wipe(words_.data(), words_.size() * sizeof(std::uint64_t));
            words_.assign(words, 0);
        }
        return reinterpret_cast<std::uint8_t*>(words_.data());
    }

private:
    std::vector<std::uint64_t> words_;
};

// The text of NLMSGERR_ATTR_MSG among the TLVs that follow `payload` bytes
// of an NLMSG_ERROR or NLMSG_DONE message.
std::string extended_ack(const nlmsghdr* hdr, std::size_t payload) {
    if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS)) return {};
    const std::size_t offset = NLMSG_HDRLEN + NLMSG_ALIGN(payload);
    if (offset >= hdr->nlmsg_len) return {};
    auto* head =
        reinterpret_cast<nlattr*>(const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(hdr)) + offset);
    nlattr* attr = nullptr;
    int rem = 0;
    nla_for_each_attr(attr, head, static_cast<int>(hdr->nlmsg_len - offset), rem) {
        if (nla_type(attr) == NLMSGERR_ATTR_MSG && nla_len(attr) > 0) {
            const char* text = static_cast<const char*>(nla_data(attr));
            return std::string(text, strnlen(text, static_cast<std::size_t>(nla_len(attr))));
        }
    }
    return {};
}

// One netlink socket of the namespace it was made in, sending a request and
// reading its replies up to the ack, the error, or the end of a dump.
class NetlinkSocket {
public:
    using Handler = std::function<void(nlmsghdr*)>;

    explicit NetlinkSocket(int protocol) : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol)) {
        if (!fd_) throw_errno("open a netlink socket");
        const int one = 1;
        // Best effort, both: the kernel's explanation of an error, and errors
        // that do not echo the request back (it may hold the private key).
        ::setsockopt(fd_.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
        ::setsockopt(fd_.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
        // The kernel always answers; a bound on the wait still keeps a bug
        // from hanging a unit forever.
        timeval timeout{10, 0};
        if (::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0)
            throw_errno("set a receive timeout on a netlink socket");
    }

    Outcome request(nl_msg* msg, const Handler& on_message = {}) {
        nlmsghdr* req = nlmsg_hdr(msg);
        req->nlmsg_seq = ++seq_;
        req->nlmsg_pid = 0;
        const bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
        const bool acked = (req->nlmsg_flags & NLM_F_ACK) != 0;

        sockaddr_nl kernel{};
        kernel.nl_family = AF_NETLINK;
        ssize_t sent = 0;
        do {
            sent = ::sendto(fd_.get(), req, req->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
        } while (sent < 0 && errno == EINTR);
        if (sent < 0) return {errno, "sending the request failed"};

        ReceiveBuffer buffer;
        for (;;) {
            ssize_t size = ::recv(fd_.get(), nullptr, 0, MSG_PEEK | MSG_TRUNC);
            if (size < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return {ETIMEDOUT, "no answer within 10 s"};
                return {errno, "reading the answer failed"};
            }
            std::uint8_t* data = buffer.reserve(static_cast<std::size_t>(size));
            size = ::recv(fd_.get(), data, static_cast<std::size_t>(size), 0);
            if (size < 0) {
                if (errno == EINTR) continue;
                return {errno, "reading the answer failed"};
            }
            std::size_t left = static_cast<std::size_t>(size);
            std::size_t offset = 0;
            while (left - offset >= sizeof(nlmsghdr)) {
                auto* hdr = reinterpret_cast<nlmsghdr*>(data + offset);
                if (hdr->nlmsg_len < sizeof(nlmsghdr) || hdr->nlmsg_len > left - offset)
                    return {EBADMSG, "a reply with a broken length"};
                offset += NLMSG_ALIGN(hdr->nlmsg_len);
                if (hdr->nlmsg_seq != seq_) continue;  // a late answer to an earlier request
                if (hdr->nlmsg_type == NLMSG_ERROR) {
                    if (hdr->nlmsg_len < NLMSG_HDRLEN + sizeof(nlmsgerr)) return {EBADMSG, "a truncated error"};
                    const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(hdr));
                    if (err->error == 0) return {};
                    std::size_t payload = sizeof(nlmsgerr);
                    if (!(hdr->nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len >= NLMSG_HDRLEN)
                        payload += err->msg.nlmsg_len - NLMSG_HDRLEN;
                    return {-err->error, extended_ack(hdr, payload)};
                }
                if (hdr->nlmsg_type == NLMSG_DONE) {
                    int err = 0;
                    if (hdr->nlmsg_len >= NLMSG_HDRLEN + sizeof err) std::memcpy(&err, NLMSG_DATA(hdr), sizeof err);
                    return {err < 0 ? -err : 0, err < 0 ? extended_ack(hdr, sizeof err) : std::string()};
                }
                if (hdr->nlmsg_type == NLMSG_NOOP || hdr->nlmsg_type == NLMSG_OVERRUN) continue;
                if (on_message) on_message(hdr);
                if (!dump && !acked && !(hdr->nlmsg_flags & NLM_F_MULTI)) return {};
            }
        }
    }

private:
    Fd fd_;
    std::uint32_t seq_ = 0;
};

[[noreturn]] void too_small() { throw Failed("A netlink message outgrew its buffer (a bug in subu)"); }

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

NlMsg link_message(int type, int flags) {
    NlMsg msg(nlmsg_alloc_size(512));
    if (!msg) throw std::bad_alloc();
    nlmsghdr* hdr = nlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, type, 0, flags);
    if (!hdr) too_small();
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    if (nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0) too_small();
    return msg;
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
