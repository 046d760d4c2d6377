// A small rtnetlink/generic netlink transport shared by the WireGuard backends and the tunnel's interface setup.
#pragma once
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include "core/errors.h"
#include "wg/device.h"
#include "wg/genl.h"
#include "wg/system.h"

namespace subu::wg {

// How a request ended: 0 or an errno, and what the kernel said about it
// (extended ack), if anything.
struct Outcome {
    int error = 0;
    std::string detail;
};

// "(the kernel says: Unknown device type)" or nothing.
inline std::string said(const Outcome& outcome) {
    return outcome.detail.empty() ? std::string() : " (the kernel says: " + outcome.detail + ")";
}

[[noreturn]] inline void fail(const Outcome& outcome, const std::string& what) {
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
inline std::string extended_ack(const nlmsghdr* hdr, std::size_t payload) {
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

[[noreturn]] inline void too_small() { throw Failed("A netlink message outgrew its buffer (a bug in subu)"); }

inline NlMsg link_message(int type, int flags) {
    NlMsg msg(nlmsg_alloc_size(512));
    if (!msg) throw std::bad_alloc();
    nlmsghdr* hdr = nlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, type, 0, flags);
    if (!hdr) too_small();
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    if (nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0) too_small();
    return msg;
}


}  // namespace subu::wg
