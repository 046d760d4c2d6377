/* The data the steering program and subu's user space share: one map entry per subu network
 * namespace, and one per subu uid. */
#ifndef SUBU_STEER_ABI_H
#define SUBU_STEER_ABI_H

/* Kept to fixed-width C types so the BPF side (vmlinux.h) and C++ (<linux/types.h>) agree. */
#define SUBU_STEER_ON 1u         /* steer_enabled: pin sockets; off leaves them alone */
#define SUBU_STEER_LOCAL_FWD 2u  /* local_forwarding: 127/8 (and ::1) go to the peer */

/* lo has index 1 in every network namespace: where sockets are bound while the
 * tunnel is down ("fail closed": loopback works, nothing else is reachable). */
#define SUBU_STEER_LOOPBACK 1u

/* Key: the network namespace cookie (SO_NETNS_COOKIE, bpf_get_netns_cookie) of the subu's namespace. */
struct subu_steer {
    __u32 ifindex;   /* the tunnel's index inside the subu's namespace; 0 = tunnel down */
    __u32 flags;     /* SUBU_STEER_* */
    __u32 peer4;     /* IPv4 forwarding target, network order; 0 = none */
    __u32 peer6[4];  /* IPv6 forwarding target, network order; all 0 = none */
};

/* In front of the hash map, a direct-mapped cache the verifier turns into plain
 * memory reads: slot = cookie % SUBU_STEER_CACHE_SLOTS holds one namespace's
 * entry and its cookie; a slot holding another namespace's (or none, cookie 0:
 * cookies start at 1) sends the program to the hash map, which is the truth.
 * The cookie comes last, so a slot being rewritten shows the old cookie until
 * its entry is whole. */
#define SUBU_STEER_CACHE_SLOTS 4096u

struct subu_steer_slot {
    struct subu_steer steer;
    __u32 pad;
    __u64 cookie;
};

/* The uid rule: which namespace each subu's uid belongs in. An array indexed by
 * the uid (its real uid as the initial user namespace sees it), so the lookup
 * every process of the host pays is an inlined bounds check and a load, not a
 * hash; subu uids are below SUBU_UID_SLOTS (the manager refuses a make that got
 * a larger one). A slot whose flags lack SUBU_UID_SUBU is no subu's: untouched. */
#define SUBU_UID_SLOTS 65536u
#define SUBU_UID_SUBU 1u

struct subu_uid {
    __u64 netns;  /* the cookie of the subu's namespace; 0 = closed (refused everywhere) */
    __u32 flags;  /* SUBU_UID_* */
    __u32 pad;
};

#endif
