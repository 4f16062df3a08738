/* net-bridge - the host side of VM networking: a bridge with the VMs' gateway address,
 * IPv4 forwarding, NAT out of the uplink in an nftables table lia owns, accept rules in
 * a host FORWARD chain that drops (on request), and the boot-time systemd unit.
 * Everything run() creates is recorded in the plugin memo first, so teardown (undo)
 * removes exactly what lia created and nothing that was there before. */
#include "config.h"
#include "net-bridge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <nftables/libnftables.h>

#ifndef LIA_BINDIR
#define LIA_BINDIR "/usr/local/bin"
#endif

static const struct lia_option options[] = {
	{ .name = "bridge",
	  .type = LIA_OPT_STRING,
	  .default_value = "lia-br0",
	  .kind = LIA_KIND_IFNAME,
	  .help = "name of the bridge the VMs' TAPs join" },
	{ .name = "address",
	  .type = LIA_OPT_STRING,
	  .default_value = "172.16.0.1/24",
	  .kind = LIA_KIND_CIDR,
	  .help = "the bridge's IPv4 address and prefix: the VMs' gateway and subnet" },
	{ .name = "uplink",
	  .type = LIA_OPT_STRING,
	  .default_value = "auto",
	  .help = "interface NAT goes out of; \"auto\": the interface of the IPv4 default route" },
	{ .name = "nat",
	  .type = LIA_OPT_BOOL,
	  .default_value = "true",
	  .help = "masquerade the VM subnet out of the uplink" },
	{ .name = "open_host_forward",
	  .type = LIA_OPT_BOOL,
	  .default_value = "false",
	  .help = "add accept rules to a host FORWARD chain whose policy is drop (Docker)" },
	{ .name = "unit_dir",
	  .type = LIA_OPT_STRING,
	  .default_value = "/etc/systemd/system",
	  .kind = LIA_KIND_ABSPATH,
	  .help = "where the services phase installs lia-network.service" },
	{ .name = "enable_unit",
	  .type = LIA_OPT_BOOL,
	  .default_value = "true",
	  .help = "link the unit into multi-user.target.wants (what systemctl enable does)" },
	{ .name = "lia_core_path",
	  .type = LIA_OPT_STRING,
	  .default_value = LIA_BINDIR "/lia-core",
	  .kind = LIA_KIND_ABSPATH,
	  .help = "the lia-core the unit runs at boot" },
	{ .name = "unit_config",
	  .type = LIA_OPT_STRING,
	  .default_value = "",
	  .kind = LIA_KIND_ABSPATH,
	  .flags = LIA_OPT_EMPTY_OK,
	  .help = "configuration file the unit passes with -c; \"\": lia-core's default" },
	{ 0 },
};

/* ---- configuration ------------------------------------------------------------------ */

static int nb_open(struct lia_ctx *ctx, void **state)
{
	const struct lia_host *h = ctx->host;
	const char *br = h->cfg_str(ctx, "bridge"), *addr = h->cfg_str(ctx, "address");
	const char *up = h->cfg_str(ctx, "uplink");
	struct nb_state *st = calloc(1, sizeof *st);
	char ip[64], *slash, *end;
	struct in_addr ia;
	long prefix;
	uint32_t mask;

	if (!st)
		return h->error(ctx, -ENOMEM, "out of memory");
	*state = st;
	if (!br || !*br || strlen(br) >= IFNAMSIZ || strpbrk(br, "/: \t\n%"))
		return h->error(
			ctx, -EINVAL,
			"net-bridge.bridge '%s' is not a valid interface name (1 to %d characters, no '/', ':', '%%' or spaces)",
			br ? br : "", IFNAMSIZ - 1);
	snprintf(st->bridge, sizeof st->bridge, "%s", br);
	if (up && strlen(up) >= IFNAMSIZ)
		return h->error(ctx, -EINVAL, "net-bridge.uplink '%s' is longer than %d characters", up,
				IFNAMSIZ - 1);
	snprintf(ip, sizeof ip, "%s", addr ? addr : "");
	slash = strchr(ip, '/');
	if (slash)
		*slash = 0;
	prefix = slash ? strtol(slash + 1, &end, 10) : -1;
	if (!slash || *end || end == slash + 1 || prefix < 1 || prefix > 30 ||
	    inet_pton(AF_INET, ip, &ia) != 1)
		return h->error(
			ctx, -EINVAL,
			"net-bridge.address '%s' is not an IPv4 address with a prefix length of 1 to 30, like \"172.16.0.1/24\"",
			addr ? addr : "");
	snprintf(st->address, sizeof st->address, "%s", addr);
	st->addr = ntohl(ia.s_addr);
	st->prefix = (int)prefix;
	mask = ~0u << (32 - st->prefix);
	if ((st->addr & ~mask) == 0 || (st->addr & ~mask) == ~mask)
		return h->error(ctx, -EINVAL,
				"net-bridge.address '%s' is the network or broadcast address of its subnet",
				addr);
	ia.s_addr = htonl(st->addr & mask);
	inet_ntop(AF_INET, &ia, st->subnet, sizeof st->subnet);
	return 0;
}

static void nb_close(void *state)
{
	struct nb_state *st = state;

	if (!st)
		return;
	if (st->sk)
		nl_socket_free(st->sk);
	free(st);
}

/* The uplink for NAT, checked to exist; *up = "" when nat is off. */
static int want_uplink(struct lia_ctx *ctx, struct nb_state *st, char up[IFNAMSIZ])
{
	int r;

	up[0] = 0;
	if (!ctx->host->cfg_bool(ctx, "nat"))
		return 0;
	if ((r = nb_uplink(ctx, st, up)) < 0)
		return r;
	if ((r = nb_link_exists(ctx, st, up)) < 0)
		return r;
	if (!r)
		return ctx->host->error(
			ctx, -ENODEV,
			"the uplink interface '%s' does not exist in this network namespace; set net-bridge.uplink",
			up);
	return 0;
}

/* ---- preflight: report a host FORWARD chain that would drop VM traffic --------------- */

static int warn_foreign(struct lia_ctx *ctx, struct nb_state *st, json_t *rs, const char *up)
{
	struct nb_fwchain ch[16];
	int n = nb_hostfw_scan(ctx, st, rs, up, ch, 16), bad = 0;

	for (int k = 0; k < n; k++) {
		if (ch[k].has_ours)
			continue;
		bad++;
		ctx->host->log(
			ctx, LIA_LOG_WARN,
			"the host chain '%s %s %s' has policy drop at hook forward: VM traffic between '%s' and '%s' will be dropped there%s",
			ch[k].family, ch[k].table, ch[k].chain, st->bridge, up,
			ctx->host->cfg_bool(ctx, "open_host_forward")
				? " until the network phase adds lia's accept rules"
				: "; set net-bridge.open_host_forward = true to add accept rules");
	}
	return bad;
}

static int nb_preflight(struct lia_ctx *ctx, void *state)
{
	struct nb_state *st = state;
	struct nft_ctx *nft;
	json_t *rs;
	char up[IFNAMSIZ];
	int r;

	if ((r = want_uplink(ctx, st, up)) < 0)
		return r;
	if (!*up)
		return 0;
	if (!(nft = nb_nft_open(ctx)))
		return -ENOMEM;
	rs = nb_nft_ruleset(ctx, nft);
	if (!rs) {
		nb_nft_close(nft);
		return -EIO;
	}
	warn_foreign(ctx, st, rs, up);
	json_decref(rs);
	nb_nft_close(nft);
	return 0;
}

/* ---- network ---------------------------------------------------------------------- */

enum { DID_BRIDGE = 1, DID_FORWARD = 2 };

/* Undo this run's own changes after a later step failed (not earlier runs' work). */
static void rollback(struct lia_ctx *ctx, struct nb_state *st, int did)
{
	const struct lia_host *h = ctx->host;

	if (did & DID_FORWARD && h->memo_get(ctx, "ip_forward_before")) {
		nb_forward_set(ctx, h->memo_get(ctx, "ip_forward_before"));
		h->memo_set(ctx, "ip_forward_before", NULL);
	}
	if (did & DID_BRIDGE) {
		nb_bridge_delete(ctx, st);
		h->memo_set(ctx, "bridge_created", NULL);
	}
}

static int network(struct lia_ctx *ctx, struct nb_state *st, int dry)
{
	const struct lia_host *h = ctx->host;
	int r, up = 0, exists, did = 0, fwd;
	struct nft_ctx *nft = NULL;
	json_t *rs = NULL;
	char upl[IFNAMSIZ];

	/* everything that can be refused is checked before the first change */
	if ((r = want_uplink(ctx, st, upl)) < 0)
		return r;
	if ((exists = nb_bridge_exists(ctx, st, &up)) < 0)
		return exists;
	if (!(nft = nb_nft_open(ctx)))
		return -ENOMEM;
	if (!(rs = nb_nft_ruleset(ctx, nft))) {
		r = -EIO;
		goto out;
	}

	if (!exists) {
		h->note(ctx, "create bridge %s", st->bridge);
		if (!dry) {
			/* memo before the object: a crash in between still lets teardown find it */
			if ((r = h->memo_set(ctx, "bridge_created", "1")) < 0 ||
			    (r = nb_bridge_create(ctx, st)) < 0)
				goto fail;
			did |= DID_BRIDGE;
		}
	} else if (!up) {
		h->note(ctx, "set bridge %s up", st->bridge);
		if (!dry &&
		    (!h->memo_get(ctx, "bridge_created") && (r = h->memo_set(ctx, "bridge_upped", "1")) < 0))
			goto fail;
		if (!dry && (r = nb_bridge_set_up(ctx, st, 1)) < 0)
			goto fail;
	}

	r = (exists || !dry) ? nb_addr_present(ctx, st) : 0;
	if (r < 0)
		goto fail;
	if (!r) {
		h->note(ctx, "add address %s to %s", st->address, st->bridge);
		if (!dry && !h->memo_get(ctx, "bridge_created") &&
		    (r = h->memo_set(ctx, "address_added", "1")) < 0)
			goto fail;
		if (!dry && (r = nb_addr_add(ctx, st)) < 0)
			goto fail;
	}

	if ((r = nb_forward_get(ctx, &fwd)) < 0)
		goto fail;
	if (!fwd) {
		h->note(ctx, "turn on IPv4 forwarding (net.ipv4.ip_forward = 1)");
		if (!dry) {
			if (!h->memo_get(ctx, "ip_forward_before") &&
			    (r = h->memo_set(ctx, "ip_forward_before", "0")) < 0)
				goto fail;
			did |= DID_FORWARD;
			if ((r = nb_forward_set(ctx, "1\n")) < 0)
				goto fail;
		}
	}

	if (*upl) {
		r = nb_nat_check(ctx, st, rs, upl);
		if (r != 1) {
			h->note(ctx, "%s nftables table ip %s: masquerade %s/%d out of %s, forward %s <-> %s",
				r < 0 ? "create" : "replace", NB_TABLE, st->subnet, st->prefix, upl,
				st->bridge, upl);
			if (!dry && (r = nb_nat_replace(ctx, st, nft, upl)) < 0)
				goto fail;
		}
	} else if (nb_table_exists(rs)) {
		h->note(ctx, "delete nftables table ip %s (nat = false)", NB_TABLE);
		if (!dry && (r = nb_nat_delete(ctx, nft)) < 0)
			goto fail;
	}

	if (*upl && h->cfg_bool(ctx, "open_host_forward")) {
		if (dry)
			warn_foreign(ctx, st, rs, upl);
		else if ((r = nb_hostfw_open(ctx, st, nft, rs, upl)) < 0)
			goto fail;
	} else {
		int n = nb_hostfw_count(ctx, rs);
		if (n < 0) {
			r = n;
			goto fail;
		}
		if (n) {
			h->note(ctx, "remove lia's %d accept rules from host FORWARD chains", n);
			if (!dry && (r = nb_hostfw_close(ctx, nft, rs)) < 0)
				goto fail;
		}
		if (*upl)
			warn_foreign(ctx, st, rs, upl);
	}
	r = 0;
	goto out;
fail:
	rollback(ctx, st, did);
out:
	json_decref(rs);
	nb_nft_close(nft);
	return r;
}

static int nb_network(struct lia_ctx *ctx, void *state)
{
	return network(ctx, state, 0);
}

static int nb_network_plan(struct lia_ctx *ctx, void *state)
{
	return network(ctx, state, 1);
}

/* teardown: reverse order of run(), driven by the memo and by what exists */
static int nb_network_undo(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	struct nb_state *st = state;
	struct nft_ctx *nft = nb_nft_open(ctx);
	json_t *rs;
	const char *before;
	int r = 0, n;

	if (!nft)
		return -ENOMEM;
	rs = nb_nft_ruleset(ctx, nft);
	if (!rs) {
		nb_nft_close(nft);
		return -EIO;
	}
	n = nb_hostfw_close(ctx, nft, rs);
	if (n > 0)
		h->note(ctx, "remove lia's %d accept rules from host FORWARD chains", n);
	if (n >= 0 && nb_table_exists(rs)) {
		h->note(ctx, "delete nftables table ip %s", NB_TABLE);
		n = nb_nat_delete(ctx, nft);
	}
	json_decref(rs);
	nb_nft_close(nft);
	if (n < 0)
		return n;

	before = h->memo_get(ctx, "ip_forward_before");
	if (before) {
		char v[8];
		snprintf(v, sizeof v, "%s\n", before);
		h->note(ctx, "restore net.ipv4.ip_forward = %s", before);
		if ((r = nb_forward_set(ctx, v)) < 0)
			return r;
		h->memo_set(ctx, "ip_forward_before", NULL);
	}

	if (h->memo_get(ctx, "bridge_created")) {
		if ((r = nb_bridge_exists(ctx, st, NULL)) < 0)
			return r;
		if (r) {
			h->note(ctx, "delete bridge %s", st->bridge);
			if ((r = nb_bridge_delete(ctx, st)) < 0)
				return r;
		}
		h->memo_set(ctx, "bridge_created", NULL);
	} else {
		/* a bridge that existed before lia: take back only our address and "up" */
		if (h->memo_get(ctx, "address_added")) {
			h->note(ctx, "remove address %s from %s", st->address, st->bridge);
			if ((r = nb_addr_del(ctx, st)) < 0)
				return r;
		}
		if (h->memo_get(ctx, "bridge_upped") && nb_bridge_exists(ctx, st, NULL) == 1) {
			h->note(ctx, "set bridge %s down", st->bridge);
			if ((r = nb_bridge_set_up(ctx, st, 0)) < 0)
				return r;
		}
	}
	h->memo_set(ctx, "address_added", NULL);
	h->memo_set(ctx, "bridge_upped", NULL);
	return 0;
}

/* ---- services ----------------------------------------------------------------------- */

static int nb_services(struct lia_ctx *ctx, void *state)
{
	return nb_unit_install(ctx, 0);
}

static int nb_services_plan(struct lia_ctx *ctx, void *state)
{
	return nb_unit_install(ctx, 1);
}

static int nb_services_undo(struct lia_ctx *ctx, void *state)
{
	return nb_unit_remove(ctx);
}

/* ---- verify: one line per problem ------------------------------------------------- */

static int nb_verify(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	struct nb_state *st = state;
	int bad = 0, up = 0, r, fwd = 0;
	char upl[IFNAMSIZ] = "";

	r = nb_bridge_exists(ctx, st, &up);
	if (r <= 0) {
		h->log(ctx, LIA_LOG_ERROR, "bridge '%s' %s", st->bridge,
		       r < 0 ? "exists but is not a bridge" : "does not exist");
		bad++;
	} else {
		if (!up) {
			h->log(ctx, LIA_LOG_ERROR, "bridge '%s' is down", st->bridge);
			bad++;
		}
		if (nb_addr_present(ctx, st) != 1) {
			h->log(ctx, LIA_LOG_ERROR, "bridge '%s' does not have address %s", st->bridge,
			       st->address);
			bad++;
		}
	}
	if (nb_forward_get(ctx, &fwd) < 0 || !fwd) {
		h->log(ctx, LIA_LOG_ERROR, "IPv4 forwarding is off (net.ipv4.ip_forward = 0)");
		bad++;
	}
	if (h->cfg_bool(ctx, "nat")) {
		if (want_uplink(ctx, st, upl) < 0) {
			h->log(ctx, LIA_LOG_ERROR,
			       "NAT has no uplink: uplink '%s' has no default route or does not exist",
			       h->cfg_str(ctx, "uplink"));
			bad++;
			upl[0] = 0;
		}
	}
	struct nft_ctx *nft = nb_nft_open(ctx);
	json_t *rs = nft ? nb_nft_ruleset(ctx, nft) : NULL;
	if (!rs) {
		h->log(ctx, LIA_LOG_ERROR, "cannot read the nftables ruleset");
		bad++;
	} else if (*upl) {
		if (nb_nat_check(ctx, st, rs, upl) != 1) {
			h->log(ctx, LIA_LOG_ERROR,
			       "the nftables table ip %s is missing or does not masquerade %s/%d out of '%s'",
			       NB_TABLE, st->subnet, st->prefix, upl);
			bad++;
		}
		struct nb_fwchain ch[16];
		int n = nb_hostfw_scan(ctx, st, rs, upl, ch, 16);
		if (n < 0) {
			h->log(ctx, LIA_LOG_ERROR, "cannot read the iptables FORWARD chain");
			bad++;
		}
		for (int k = 0; k < n; k++)
			if (!ch[k].has_ours) {
				h->log(ctx, LIA_LOG_ERROR,
				       "the host chain '%s %s %s' has policy drop at hook forward and no lia accept rules: VM traffic between '%s' and '%s' is dropped (set net-bridge.open_host_forward = true)",
				       ch[k].family, ch[k].table, ch[k].chain, st->bridge, upl);
				bad++;
			}
	}
	json_decref(rs);
	nb_nft_close(nft);
	if (bad)
		return h->error(ctx, -EIO, "the host network has %d problem%s (listed above)", bad,
				bad == 1 ? "" : "s");
	return 0;
}

static const struct lia_hook hooks[] = {
	{ LIA_PHASE_PREFLIGHT, 0, nb_preflight, NULL, nb_preflight,
	  "find the uplink and host FORWARD chains that would drop VM traffic" },
	{ LIA_PHASE_NETWORK, 0, nb_network, nb_network_undo, nb_network_plan,
	  "create bridge, address, IPv4 forwarding and NAT table" },
	{ LIA_PHASE_SERVICES, 0, nb_services, nb_services_undo, nb_services_plan,
	  "install lia-network.service" },
	{ LIA_PHASE_VERIFY, 0, nb_verify, NULL, NULL, /* a dry run has nothing to verify yet */
	  "check bridge, address, forwarding and NAT" },
	{ 0 },
};

static const char *const needs[] = { "/proc/sys/net/ipv4/ip_forward", NULL };

LIA_PLUGIN_DEFINE(net_bridge) = {
	LIA_PLUGIN_HEADER,
	.name = "net-bridge",
	.version = PACKAGE_VERSION,
	.provides = "bridge",
	.description = "bridge, IPv4 forwarding and NAT for the VMs (libnl, nftables)",
	.options = options,
	.hooks = hooks,
	.needs = needs,
	.open = nb_open,
	/* net-tap (or any tap plugin) reads these instead of repeating the settings */
	.facts = (const struct lia_fact[]){ { "bridge.name", "bridge" },
					    { "bridge.cidr", "address" },
					    { NULL, NULL } },
	.close = nb_close,
};
