// SPDX-License-Identifier: GPL-2.0
/* Socket steering for subus: attached to every subu slice, it pins each IPv4/IPv6 socket
 * to the tunnel of the subu whose network namespace the socket is made in. */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "steer_abi.h"

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOL_SOCKET 1
#define SO_BINDTODEVICE 25
#define SO_BINDTOIFINDEX 62

char LICENSE[] SEC("license") = "GPL";

/* Keyed by network namespace, not by cgroup: the program runs in the socket maker's
 * namespace, so a nested subu (whose slice runs its own and its ancestors' copies of
 * this program, deepest first) gets its own tunnel from every copy, and a namespace
 * made inside a subu has no entry and fails closed. Pinned by name, so entries
 * survive reloading the program. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, __u64);
    __type(value, struct subu_steer);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} subu_steer SEC(".maps");

static __always_inline struct subu_steer *entry_of(void *ctx)
{
    __u64 cookie = bpf_get_netns_cookie(ctx);
    return bpf_map_lookup_elem(&subu_steer, &cookie);
}

static __always_inline int steered(const struct subu_steer *s)
{
    return !s || (s->flags & SUBU_STEER_ON);
}

/* No entry (a namespace we do not know) or a tunnel that is down: nowhere. */
static __always_inline __u32 target_of(const struct subu_steer *s)
{
    return s && s->ifindex ? s->ifindex : SUBU_STEER_NOWHERE;
}

SEC("cgroup/sock_create")
int steer_sock_create(struct bpf_sock *sk)
{
    if (sk->family != AF_INET && sk->family != AF_INET6)
        return 1;
    struct subu_steer *s = entry_of(sk);
    if (steered(s))
        sk->bound_dev_if = target_of(s);
    return 1;
}

/* Moves the socket to `ifindex` if it is elsewhere; bpf_setsockopt is the only way a
 * sock_addr program can, and it is allowed in the bind and connect hooks. */
static __always_inline int bound_dev_of(struct bpf_sock_addr *ctx, __u32 *bound);

static __always_inline int rebind(struct bpf_sock_addr *ctx, __u32 ifindex)
{
    __u32 bound;
    if (!bound_dev_of(ctx, &bound))
        return 0;
    if (bound == ifindex)
        return 1;
    int idx = ifindex;
    return bpf_setsockopt(ctx, SOL_SOCKET, SO_BINDTOIFINDEX, &idx, sizeof(idx)) == 0;
}

static __always_inline int is_loopback4(__u32 addr_be)
{
    return (bpf_ntohl(addr_be) >> 24) == 127;
}

static __always_inline int is_mapped4(const __u32 a[4])
{
    return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
}

static __always_inline int is_loopback6(const __u32 a[4])
{
    return (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == bpf_htonl(1)) ||
           (is_mapped4(a) && is_loopback4(a[3]));
}

static __always_inline int has_peer6(const struct subu_steer *s)
{
    return s->peer6[0] | s->peer6[1] | s->peer6[2] | s->peer6[3];
}

/* local_forwarding: the address a loopback destination is sent to instead, in the
 * destination's family; 0 when it stays local. */
static __always_inline int forwards4(const struct subu_steer *s)
{
    return s && (s->flags & SUBU_STEER_LOCAL_FWD) && s->ifindex && s->peer4;
}

static __always_inline int forwards6(const struct subu_steer *s)
{
    return s && (s->flags & SUBU_STEER_LOCAL_FWD) && s->ifindex && has_peer6(s);
}

/* Rewrites a v4 loopback destination to the peer; returns 1 when it did. */
static __always_inline int forward4(struct bpf_sock_addr *ctx, const struct subu_steer *s)
{
    if (!forwards4(s))
        return 0;
    ctx->user_ip4 = s->peer4;
    return 1;
}

/* Rewrites a v6 loopback destination to the peer: ::1 to the v6 peer, a v4-mapped
 * 127/8 to the v4-mapped v4 peer. Returns 1 when it did. */
static __always_inline int forward6(struct bpf_sock_addr *ctx, const struct subu_steer *s, const __u32 a[4])
{
    if (is_mapped4(a)) {
        if (!forwards4(s))
            return 0;
        ctx->user_ip6[3] = s->peer4;
        return 1;
    }
    if (!forwards6(s))
        return 0;
    ctx->user_ip6[0] = s->peer6[0];
    ctx->user_ip6[1] = s->peer6[1];
    ctx->user_ip6[2] = s->peer6[2];
    ctx->user_ip6[3] = s->peer6[3];
    return 1;
}

static __always_inline void load6(struct bpf_sock_addr *ctx, __u32 a[4])
{
    a[0] = ctx->user_ip6[0];
    a[1] = ctx->user_ip6[1];
    a[2] = ctx->user_ip6[2];
    a[3] = ctx->user_ip6[3];
}

/* connect: loopback stays on lo (or goes to the peer), everything else goes to the
 * tunnel, or is refused (EPERM) while there is none. */
SEC("cgroup/connect4")
int steer_connect4(struct bpf_sock_addr *ctx)
{
    struct subu_steer *s = entry_of(ctx);
    if (!steered(s))
        return 1;
    if (is_loopback4(ctx->user_ip4) && !forward4(ctx, s))
        return rebind(ctx, SUBU_STEER_LOOPBACK);
    if (!s || !s->ifindex)
        return 0;
    return rebind(ctx, s->ifindex);
}

SEC("cgroup/connect6")
int steer_connect6(struct bpf_sock_addr *ctx)
{
    struct subu_steer *s = entry_of(ctx);
    if (!steered(s))
        return 1;
    __u32 a[4];
    load6(ctx, a);
    if (is_loopback6(a) && !forward6(ctx, s, a))
        return rebind(ctx, SUBU_STEER_LOOPBACK);
    if (!s || !s->ifindex)
        return 0;
    return rebind(ctx, s->ifindex);
}

/* The device a sock_addr hook's socket is bound to, read once: clang would otherwise
 * merge the reads of several branches into pointer arithmetic on the socket, which
 * the verifier refuses. */
static __always_inline int bound_dev_of(struct bpf_sock_addr *ctx, __u32 *bound)
{
    struct bpf_sock *sk = ctx->sk;
    if (!sk)
        return 0;
    __u32 b = sk->bound_dev_if;
    asm volatile("" : "+r"(b));
    *bound = b;
    return 1;
}

/* Unconnected sends cannot move the socket: a socket on the tunnel may send to the
 * tunnel (and, forwarding, to the peer for loopback); one on lo only to loopback. */
/* `local`: the destination is loopback and stays so. */
static __always_inline int may_send(struct bpf_sock_addr *ctx, const struct subu_steer *s, int local)
{
    __u32 bound;
    if (!bound_dev_of(ctx, &bound))
        return 0;
    if (local)
        return bound == SUBU_STEER_LOOPBACK;
    return s && s->ifindex && bound == s->ifindex;
}

SEC("cgroup/sendmsg4")
int steer_sendmsg4(struct bpf_sock_addr *ctx)
{
    struct subu_steer *s = entry_of(ctx);
    if (!steered(s))
        return 1;
    return may_send(ctx, s, is_loopback4(ctx->user_ip4) && !forward4(ctx, s));
}

SEC("cgroup/sendmsg6")
int steer_sendmsg6(struct bpf_sock_addr *ctx)
{
    struct subu_steer *s = entry_of(ctx);
    if (!steered(s))
        return 1;
    __u32 a[4];
    load6(ctx, a);
    return may_send(ctx, s, is_loopback6(a) && !forward6(ctx, s, a));
}

/* bind: a server on a loopback address is moved to lo, so clients in the subu reach
 * it; a TCP server on the wildcard address is unbound from any device, so it is
 * reached over lo and the tunnel alike (its connections answer where they came from,
 * and only lo and the tunnel lead into the subu's namespace). */
SEC("cgroup/bind4")
int steer_bind4(struct bpf_sock_addr *ctx)
{
    struct subu_steer *s = entry_of(ctx);
    if (!steered(s))
        return 1;
    if (is_loopback4(ctx->user_ip4))
        return rebind(ctx, SUBU_STEER_LOOPBACK);
    if (ctx->user_ip4 == 0 && ctx->type == SOCK_STREAM)
        return rebind(ctx, 0);
    return 1;
}

SEC("cgroup/bind6")
int steer_bind6(struct bpf_sock_addr *ctx)
{
    struct subu_steer *s = entry_of(ctx);
    if (!steered(s))
        return 1;
    __u32 a[4];
    load6(ctx, a);
    if (is_loopback6(a))
        return rebind(ctx, SUBU_STEER_LOOPBACK);
    if ((a[0] | a[1] | a[2] | a[3]) == 0 && ctx->type == SOCK_STREAM)
        return rebind(ctx, 0);
    return 1;
}

/* A process in the subu may not move its sockets to another device (EPERM). */
SEC("cgroup/setsockopt")
int steer_setsockopt(struct bpf_sockopt *ctx)
{
    if (ctx->level != SOL_SOCKET || (ctx->optname != SO_BINDTODEVICE && ctx->optname != SO_BINDTOIFINDEX))
        return 1;
    struct bpf_sock *sk = ctx->sk;
    if (!sk || (sk->family != AF_INET && sk->family != AF_INET6))
        return 1;
    return !steered(entry_of(ctx));
}
