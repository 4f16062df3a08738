/* net-tap internal interface.  Non-static symbols carry the nt_ prefix so that a
 * --enable-static-plugins build links all plugins into one binary without clashes. */
#ifndef LIA_NET_TAP_H
#define LIA_NET_TAP_H

#include <stdint.h>
#include <sys/types.h>
#include <net/if.h>
#include <lia/plugin.h>

struct nl_sock;

#define NT_PREFIX "tap-vm-"

struct nt_state {
	char bridge[IFNAMSIZ];
	uint32_t pool_lo, pool_hi, gateway; /* host byte order */
	int prefix;
	int has_owner;
	uid_t uid;
	gid_t gid;
	int has_gid;
	uint32_t group, gc_group;
	int br_idx; /* the bridge's ifindex, 0 until looked up (tap.c: once per open) */
	struct nl_sock *sk;
	/* TAPs net-down retired (down, in gc_group) that flush() deletes */
	char (*retired)[IFNAMSIZ];
	size_t nretired, cap_retired;
	/* the netns's TAPs by name, from one link dump at the second net-down of a batch
	 * (tap.c), so that the others need no lookup; dropped by flush() */
	struct nt_tap_index *taps;
	size_t ntaps;
	int taps_state; /* 0: no retire yet, 1: one (no dump), 2: dumped */
};

/* addr.c: pure logic (unit-tested) */
int nt_parse_ip4(const char *s, uint32_t *out);
void nt_fmt_ip4(uint32_t ip, char out[16]);
void nt_fmt_mac(uint32_t ip, char out[18]); /* 06:00:AC:10:00:64 for 172.16.0.100 */
/* TAP names are unique by construction: "tap-vm-NAME" when the VM name (unique, and
 * [a-z0-9-]) has at most 7 characters, otherwise "tap-vm-_N" where N is the VM's lease
 * of kind "tap", which the core hands out under its state lock (0..NT_TAP_LEASE_MAX, at
 * most 8 characters after the prefix).  The '_' keeps the two forms apart, and apart
 * from the 8-hex-digit hashes older versions recorded.  nt_tap_fits: 1 when the short
 * form applies.  nt_tap_name: 0 short form, 1 lease form, -1 no lease given. */
#define NT_TAP_LEASE_MAX 9999999
int nt_tap_fits(const char *vm);
int nt_tap_name(const char *vm, long long lease, char out[IFNAMSIZ]);

/* tap.c: the TAP device */
int nt_sock(struct lia_ctx *ctx, struct nt_state *st);
/* creates (or finds) the persistent TAP, enslaves it to the bridge, sets it up and in
 * the link group; *created = 1 when this call made the device */
int nt_tap_up(struct lia_ctx *ctx, struct nt_state *st, const char *name, int *created);
/* deletes the TAP; a missing one is success; returns 1 deleted, 0 absent */
int nt_tap_delete(struct lia_ctx *ctx, struct nt_state *st, const char *name);
/* net-down's cheap half: the TAP down and moved into gc_group in one RTM_NEWLINK (a delete
 * costs an RCU sync, ~20 ms, so flush() deletes the retired TAPs of a batch together);
 * returns 1 retired, 0 absent */
int nt_tap_retire(struct lia_ctx *ctx, struct nt_state *st, const char *name);
/* forgets the dumped TAPs (flush, close) */
void nt_taps_forget(struct nt_state *st);
/* deletes the TAP only while it is a TAP in gc_group (not taken back by a net-up); 1
 * deleted, 0 absent or taken back */
int nt_tap_delete_retired(struct lia_ctx *ctx, struct nt_state *st, const char *name);
/* gc.c */
int nt_gc(struct lia_ctx *ctx, void *state);
/* flush(): every retired TAP deleted, with one group delete when gc_group holds nothing
 * else than TAPs on their way out */
int nt_flush(struct lia_ctx *ctx, void *state);

#endif
