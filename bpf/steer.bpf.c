// SPDX-License-Identifier: GPL-2.0
/* Socket steering for subus. The steer_* programs, attached to every subu slice, pin each
 * IPv4/IPv6 socket to the tunnel of the subu whose network namespace the socket is made in.
 * The uid_* programs, attached once at the root of the cgroup hierarchy, do the same for
 * every process whose uid is a subu's, wherever it runs, and refuse its sockets anywhere
 * but in that subu's own namespace. */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "steer_abi.h"

#define AF_INET 2
#define AF_INET6 10
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

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, SUBU_STEER_CACHE_SLOTS);
    __type(key, __u32);
    __type(value, struct subu_steer_slot);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} subu_steer_cache SEC(".maps");

static __always_inline struct subu_steer *entry_of(void *ctx)
{
    __u64 cookie = bpf_get_netns_cookie(ctx);
    __u32 slot = (__u32)(cookie % SUBU_STEER_CACHE_SLOTS);
    struct subu_steer_slot *c = bpf_map_lookup_elem(&subu_steer_cache, &slot);
    if (c && c->cookie == cookie)
        return &c->steer;
    return bpf_map_lookup_elem(&subu_steer, &cookie);
}

/* Keyed by the real uid (bpf_get_current_uid_gid reports it as the initial user
 * namespace sees it, so a user namespace of the process's own changes nothing). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, SUBU_UID_SLOTS);
    __type(key, __u32);
    __type(value, struct subu_uid);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} subu_uid SEC(".maps");

/* The uid rule's entry of the calling process, or 0 when its uid is no subu's:
 * for every other process of the host, this lookup is all the uid programs do. */
static __always_inline struct subu_uid *subu_of_caller(void)
{
    __u32 uid = (__u32)bpf_get_current_uid_gid();
    struct subu_uid *u = bpf_map_lookup_elem(&subu_uid, &uid);
    return u && (u->flags & SUBU_UID_SUBU) ? u : 0;
}

/* Whether the socket lives in the namespace the subu's uid belongs in. */
static __always_inline int at_home(void *ctx, const struct subu_uid *u)
{
    return u->netns && bpf_get_netns_cookie(ctx) == u->netns;
}

static __always_inline int is_inet(__u32 family)
{
    return family == AF_INET || family == AF_INET6;
}

/* A tunnel that is down: lo, so loopback keeps working and nothing else is reachable. */
static __always_inline __u32 target_of(const struct subu_steer *s)
{
    return s->ifindex ? s->ifindex : SUBU_STEER_LOOPBACK;
}

/* A new inet socket: pinned as its namespace's entry says. A namespace with no
 * entry is no subu's (the host's, or one made inside a subu): refused. */
static __always_inline int steer_new(struct bpf_sock *sk)
{
    struct subu_steer *s = entry_of(sk);
    if (!s)
        return 0;
    if (s->flags & SUBU_STEER_ON)
        sk->bound_dev_if = target_of(s);
    return 1;
}

SEC("cgroup/sock_create")
int steer_sock_create(struct bpf_sock *sk)
{
    if (!is_inet(sk->family))
        return 1;
    return steer_new(sk);
}

/* Runs after the slice's copies (deepest cgroup first), for the same socket in
 * the same namespace, so it pins it where they did. */
SEC("cgroup/sock_create")
int uid_sock_create(struct bpf_sock *sk)
{
    struct subu_uid *u = subu_of_caller();
    if (!u || !is_inet(sk->family))
        return 1;
    return at_home(sk, u) && steer_new(sk);
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

/* local_forwarding, with the tunnel up and a peer of the destination's family. */
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

/* connect and unconnected sends. A loopback destination that stays local is the
 * subu's own (the kernel keeps it on the socket's device: lo, or the tunnel with its
 * local loopback routes). Anything else leaves only from a socket on the subu's
 * tunnel while it is up; otherwise EPERM. No hook moves a socket: the kernel lets
 * an unprivileged process's sockets be bound once, at sock_create. */
static __always_inline int may_leave(struct bpf_sock_addr *ctx, const struct subu_steer *s, int local)
{
    if (local)
        return 1;
    __u32 bound;
    if (!bound_dev_of(ctx, &bound))
        return 0;
    return s->ifindex && bound == s->ifindex;
}

/* A socket in a namespace with no entry is refused; with steering off, left alone. */
static __always_inline int leave4(struct bpf_sock_addr *ctx)
{
    struct subu_steer *s = entry_of(ctx);
    if (!s)
        return 0;
    if (!(s->flags & SUBU_STEER_ON))
        return 1;
    return may_leave(ctx, s, is_loopback4(ctx->user_ip4) && !forward4(ctx, s));
}

static __always_inline int leave6(struct bpf_sock_addr *ctx)
{
    struct subu_steer *s = entry_of(ctx);
    if (!s)
        return 0;
    if (!(s->flags & SUBU_STEER_ON))
        return 1;
    __u32 a[4];
    load6(ctx, a);
    return may_leave(ctx, s, is_loopback6(a) && !forward6(ctx, s, a));
}

SEC("cgroup/connect4")
int steer_connect4(struct bpf_sock_addr *ctx) { return leave4(ctx); }

SEC("cgroup/connect6")
int steer_connect6(struct bpf_sock_addr *ctx) { return leave6(ctx); }

SEC("cgroup/sendmsg4")
int steer_sendmsg4(struct bpf_sock_addr *ctx) { return leave4(ctx); }

SEC("cgroup/sendmsg6")
int steer_sendmsg6(struct bpf_sock_addr *ctx) { return leave6(ctx); }

/* A subu's uid uses a socket only in its own namespace, whoever made the socket
 * (one passed to it from outside is refused too). */
static __always_inline int uid_leave(struct bpf_sock_addr *ctx, int v6)
{
    struct subu_uid *u = subu_of_caller();
    return !u || (at_home(ctx, u) && (v6 ? leave6(ctx) : leave4(ctx)));
}

SEC("cgroup/connect4")
int uid_connect4(struct bpf_sock_addr *ctx) { return uid_leave(ctx, 0); }

SEC("cgroup/connect6")
int uid_connect6(struct bpf_sock_addr *ctx) { return uid_leave(ctx, 1); }

SEC("cgroup/sendmsg4")
int uid_sendmsg4(struct bpf_sock_addr *ctx) { return uid_leave(ctx, 0); }

SEC("cgroup/sendmsg6")
int uid_sendmsg6(struct bpf_sock_addr *ctx) { return uid_leave(ctx, 1); }

/* Moving an inet socket to another device (SO_BINDTODEVICE, SO_BINDTOIFINDEX):
 * allowed only where steering is off, in a subu's namespace (`home`). */
static __always_inline int may_rebind(struct bpf_sockopt *ctx, int home)
{
    if (ctx->level != SOL_SOCKET || (ctx->optname != SO_BINDTODEVICE && ctx->optname != SO_BINDTOIFINDEX))
        return 1;
    struct bpf_sock *sk = ctx->sk;
    if (!sk || !is_inet(sk->family))
        return 1;
    if (!home)
        return 0;
    struct subu_steer *s = entry_of(ctx);
    return s && !(s->flags & SUBU_STEER_ON);
}

/* A process in the subu may not move its sockets to another device (EPERM). */
SEC("cgroup/setsockopt")
int steer_setsockopt(struct bpf_sockopt *ctx) { return may_rebind(ctx, 1); }

/* Loaded only where the kernel lets sockopt programs ask for the uid. */
SEC("cgroup/setsockopt")
int uid_setsockopt(struct bpf_sockopt *ctx)
{
    struct subu_uid *u = subu_of_caller();
    return !u || may_rebind(ctx, at_home(ctx, u));
}
