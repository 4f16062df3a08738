/* net-bridge internal interface: one file per job (bridge link, forwarding, NAT table,
 * host FORWARD chains, systemd unit).  Every non-static symbol carries the nb_ prefix
 * so that a --enable-static-plugins build can link all plugins into one binary. */
#ifndef LIA_NET_BRIDGE_H
#define LIA_NET_BRIDGE_H

#include <stdint.h>
#include <net/if.h>
#include <lia/plugin.h>

struct nl_sock;
struct nft_ctx;
typedef struct json_t json_t;

struct nb_state {
	char bridge[IFNAMSIZ];
	char address[64];   /* "172.16.0.1/24" as configured */
	uint32_t addr;      /* bridge address, host byte order */
	int prefix;         /* 1..30 */
	char subnet[24];    /* "172.16.0.0" */
	struct nl_sock *sk; /* NETLINK_ROUTE, connected on first use */
};

/* link.c: the bridge, its address, the uplink */
int nb_sock(struct lia_ctx *ctx, struct nb_state *st);
/* 1 exists and is a bridge, 0 missing; < 0 error (exists but is no bridge) */
int nb_bridge_exists(struct lia_ctx *ctx, struct nb_state *st, int *up);
int nb_bridge_create(struct lia_ctx *ctx, struct nb_state *st);
int nb_bridge_delete(struct lia_ctx *ctx, struct nb_state *st);
int nb_bridge_set_up(struct lia_ctx *ctx, struct nb_state *st, int up);
/* 1 the bridge has the address, 0 not */
int nb_addr_present(struct lia_ctx *ctx, struct nb_state *st);
int nb_addr_add(struct lia_ctx *ctx, struct nb_state *st);
int nb_addr_del(struct lia_ctx *ctx, struct nb_state *st);
/* the uplink: configured name, or the interface of the IPv4 default route ("auto") */
int nb_uplink(struct lia_ctx *ctx, struct nb_state *st, char out[IFNAMSIZ]);
/* 1 the link exists, 0 not */
int nb_link_exists(struct lia_ctx *ctx, struct nb_state *st, const char *name);

/* forward.c: net.ipv4.ip_forward of this network namespace */
int nb_forward_get(struct lia_ctx *ctx, int *on);
int nb_forward_set(struct lia_ctx *ctx, const char *value);

/* nft.c: libnftables with JSON in and out, opened on first use (dlopen); NULL: error
 * recorded (the library missing, or out of memory) */
struct nft_ctx *nb_nft_open(struct lia_ctx *ctx);
void nb_nft_close(struct nft_ctx *nft); /* NULL: nothing */
/* run the batch {"nftables": cmds}; steals cmds */
int nb_nft_run(struct lia_ctx *ctx, struct nft_ctx *nft, json_t *cmds, const char *what);
/* the whole ruleset as the array under "nftables" (new reference) or NULL (error recorded) */
json_t *nb_nft_ruleset(struct lia_ctx *ctx, struct nft_ctx *nft);
/* small JSON builders shared by nat.c and hostfw.c */
json_t *nb_match_name(const char *key, const char *ifname); /* meta iifname/oifname == */
json_t *nb_match_ct_established(void);

/* nat.c: our own table "ip lia" */
#define NB_TABLE "lia"
/* 1 the table holds exactly the wanted chains and rules, 0 not, -1 missing */
int nb_nat_check(struct lia_ctx *ctx, struct nb_state *st, json_t *ruleset, const char *uplink);
int nb_nat_replace(struct lia_ctx *ctx, struct nb_state *st, struct nft_ctx *nft, const char *uplink);
int nb_nat_delete(struct lia_ctx *ctx, struct nft_ctx *nft);
int nb_table_exists(json_t *ruleset);

/* hostfw.c: foreign base chains at hook forward with policy drop (Docker, iptables -P) */
struct nb_fwchain {
	char family[16], table[64], chain[64];
	int has_ours; /* both lia accept rules for the current bridge/uplink are in it */
};
/* fills up to max chains, returns the count or < 0 (error recorded) */
int nb_hostfw_scan(struct lia_ctx *ctx, struct nb_state *st, json_t *ruleset, const char *uplink,
		   struct nb_fwchain *out, int max);
int nb_hostfw_open(struct lia_ctx *ctx, struct nb_state *st, struct nft_ctx *nft, json_t *ruleset,
		   const char *uplink);
/* delete every rule carrying lia's host-forward comment; returns the count or < 0 */
int nb_hostfw_close(struct lia_ctx *ctx, struct nft_ctx *nft, json_t *ruleset);
int nb_hostfw_count(struct lia_ctx *ctx, json_t *ruleset);

/* unit.c: lia-network.service */
int nb_unit_text(struct lia_ctx *ctx, char *buf, size_t len);
int nb_unit_install(struct lia_ctx *ctx, int dry);
int nb_unit_remove(struct lia_ctx *ctx);

#endif
