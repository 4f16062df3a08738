/* link.c - the bridge, its address and the uplink, all through libnl-route-3
 * (no `ip` subprocess). */
#include "net-bridge.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/netlink.h>
#include "nlroute.h"
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>

int nb_sock(struct lia_ctx *ctx, struct nb_state *st)
{
	return lia_nl_route_open(ctx, &st->sk);
}

static struct rtnl_link *get_link(struct nb_state *st, const char *name, int *err)
{
	return lia_nl_link_get(st->sk, name, err);
}

int nb_link_exists(struct lia_ctx *ctx, struct nb_state *st, const char *name)
{
	int err, r = nb_sock(ctx, st);
	struct rtnl_link *l;

	if (r < 0)
		return r;
	l = get_link(st, name, &err);
	if (!l && err)
		return ctx->host->error(ctx, -EIO, "cannot look up link '%s': %s", name, nl_geterror(err));
	if (l)
		rtnl_link_put(l);
	return l != NULL;
}

int nb_bridge_exists(struct lia_ctx *ctx, struct nb_state *st, int *up)
{
	int err, r = nb_sock(ctx, st);
	struct rtnl_link *l;

	if (r < 0)
		return r;
	l = get_link(st, st->bridge, &err);
	if (!l) {
		if (err)
			return ctx->host->error(ctx, -EIO, "cannot look up bridge '%s': %s", st->bridge,
						nl_geterror(err));
		return 0;
	}
	if (!rtnl_link_is_bridge(l)) {
		char type[32];
		snprintf(type, sizeof type, "%s", rtnl_link_get_type(l) ?: "non-bridge");
		rtnl_link_put(l);
		return ctx->host->error(
			ctx, -EEXIST,
			"link '%s' exists but is a %s device, not a bridge; choose another net-bridge.bridge name",
			st->bridge, type);
	}
	if (up)
		*up = (rtnl_link_get_flags(l) & IFF_UP) != 0;
	rtnl_link_put(l);
	return 1;
}

int nb_bridge_create(struct lia_ctx *ctx, struct nb_state *st)
{
	int err = nb_sock(ctx, st);

	if (err < 0)
		return err;
	err = rtnl_link_bridge_add(st->sk, st->bridge);
	if (err < 0)
		return ctx->host->error(ctx, -EIO, "cannot create bridge '%s': %s", st->bridge,
					nl_geterror(err));
	return nb_bridge_set_up(ctx, st, 1);
}

int nb_bridge_delete(struct lia_ctx *ctx, struct nb_state *st)
{
	struct rtnl_link *l;
	int err = nb_sock(ctx, st);

	if (err < 0)
		return err;
	l = rtnl_link_alloc();
	if (!l)
		return ctx->host->error(ctx, -ENOMEM, "out of memory deleting bridge '%s'", st->bridge);
	rtnl_link_set_name(l, st->bridge);
	err = rtnl_link_delete(st->sk, l);
	rtnl_link_put(l);
	if (err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND)
		return ctx->host->error(ctx, -EIO, "cannot delete bridge '%s': %s", st->bridge,
					nl_geterror(err));
	return 0;
}

int nb_bridge_set_up(struct lia_ctx *ctx, struct nb_state *st, int up)
{
	struct rtnl_link *orig, *chg;
	int err = nb_sock(ctx, st);

	if (err < 0)
		return err;
	orig = get_link(st, st->bridge, &err);
	if (!orig)
		return ctx->host->error(ctx, -ENODEV, "bridge '%s' does not exist%s%s", st->bridge,
					err ? ": " : "", err ? nl_geterror(err) : "");
	chg = rtnl_link_alloc();
	if (!chg) {
		rtnl_link_put(orig);
		return ctx->host->error(ctx, -ENOMEM, "out of memory changing '%s'", st->bridge);
	}
	if (up)
		rtnl_link_set_flags(chg, IFF_UP);
	else
		rtnl_link_unset_flags(chg, IFF_UP);
	err = rtnl_link_change(st->sk, orig, chg, 0);
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	if (err < 0)
		return ctx->host->error(ctx, -EIO, "cannot set bridge '%s' %s: %s", st->bridge,
					up ? "up" : "down", nl_geterror(err));
	return 0;
}

static int bridge_ifindex(struct lia_ctx *ctx, struct nb_state *st)
{
	int err = nb_sock(ctx, st), idx;
	struct rtnl_link *l;

	if (err < 0)
		return err;
	l = get_link(st, st->bridge, &err);
	if (!l)
		return ctx->host->error(ctx, -ENODEV, "bridge '%s' does not exist%s%s", st->bridge,
					err ? ": " : "", err ? nl_geterror(err) : "");
	idx = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return idx;
}

/* A rtnl_addr for our address on the bridge. */
static int make_addr(struct lia_ctx *ctx, struct nb_state *st, struct rtnl_addr **out)
{
	struct nl_addr *local = NULL;
	struct rtnl_addr *a;
	int idx = bridge_ifindex(ctx, st), err;

	if (idx < 0)
		return idx;
	err = nl_addr_parse(st->address, AF_INET, &local);
	if (err < 0)
		return ctx->host->error(ctx, -EINVAL, "address '%s' is not an IPv4 prefix: %s", st->address,
					nl_geterror(err));
	a = rtnl_addr_alloc();
	if (!a) {
		nl_addr_put(local);
		return ctx->host->error(ctx, -ENOMEM, "out of memory building '%s'", st->address);
	}
	rtnl_addr_set_ifindex(a, idx);
	rtnl_addr_set_family(a, AF_INET);
	err = rtnl_addr_set_local(a, local);
	nl_addr_put(local);
	if (err < 0) {
		rtnl_addr_put(a);
		return ctx->host->error(ctx, -EINVAL, "cannot use address '%s': %s", st->address,
					nl_geterror(err));
	}
	*out = a;
	return 0;
}

struct addr_find {
	int ifindex, prefix, found;
	struct nl_addr *want;
};

static void addr_cb(struct nl_object *o, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)o;
	struct addr_find *f = arg;
	struct nl_addr *local = rtnl_addr_get_local(a);

	if (rtnl_addr_get_ifindex(a) == f->ifindex && rtnl_addr_get_family(a) == AF_INET && local &&
	    nl_addr_get_len(local) == 4 && rtnl_addr_get_prefixlen(a) == f->prefix &&
	    !memcmp(nl_addr_get_binary_addr(local), nl_addr_get_binary_addr(f->want), 4))
		f->found = 1;
}

int nb_addr_present(struct lia_ctx *ctx, struct nb_state *st)
{
	struct nl_cache *cache = NULL;
	struct addr_find f = { .prefix = st->prefix };
	int err = nb_sock(ctx, st);

	if (err < 0)
		return err;
	f.ifindex = bridge_ifindex(ctx, st);
	if (f.ifindex < 0)
		return f.ifindex;
	err = nl_addr_parse(st->address, AF_INET, &f.want);
	if (err < 0)
		return ctx->host->error(ctx, -EINVAL, "address '%s' is not an IPv4 prefix", st->address);
	err = rtnl_addr_alloc_cache(st->sk, &cache);
	if (err < 0) {
		nl_addr_put(f.want);
		return ctx->host->error(ctx, -EIO, "cannot list addresses: %s", nl_geterror(err));
	}
	nl_cache_foreach(cache, addr_cb, &f);
	nl_cache_free(cache);
	nl_addr_put(f.want);
	return f.found;
}

int nb_addr_add(struct lia_ctx *ctx, struct nb_state *st)
{
	struct rtnl_addr *a;
	int err = make_addr(ctx, st, &a);

	if (err < 0)
		return err;
	err = rtnl_addr_add(st->sk, a, 0);
	rtnl_addr_put(a);
	if (err < 0 && err != -NLE_EXIST)
		return ctx->host->error(ctx, -EIO, "cannot add address %s to bridge '%s': %s", st->address,
					st->bridge, nl_geterror(err));
	return 0;
}

int nb_addr_del(struct lia_ctx *ctx, struct nb_state *st)
{
	struct rtnl_addr *a;
	int err = make_addr(ctx, st, &a);

	if (err == -ENODEV)
		return 0; /* no bridge, no address */
	if (err < 0)
		return err;
	err = rtnl_addr_delete(st->sk, a, 0);
	rtnl_addr_put(a);
	if (err < 0 && err != -NLE_NOADDR && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV)
		return ctx->host->error(ctx, -EIO, "cannot remove address %s from bridge '%s': %s",
					st->address, st->bridge, nl_geterror(err));
	return 0;
}

struct route_find {
	int ifindex;
	uint32_t best_prio;
};

static void route_cb(struct nl_object *o, void *arg)
{
	struct rtnl_route *r = (struct rtnl_route *)o;
	struct route_find *f = arg;
	struct nl_addr *dst = rtnl_route_get_dst(r);
	struct rtnl_nexthop *nh;

	if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_family(r) != AF_INET)
		return;
	if (dst && nl_addr_get_prefixlen(dst) != 0)
		return;
	if (rtnl_route_get_nnexthops(r) < 1 || !(nh = rtnl_route_nexthop_n(r, 0)))
		return;
	/* several default routes: the kernel prefers the lowest metric */
	if (f->ifindex <= 0 || rtnl_route_get_priority(r) < f->best_prio) {
		f->ifindex = rtnl_route_nh_get_ifindex(nh);
		f->best_prio = rtnl_route_get_priority(r);
	}
}

int nb_uplink(struct lia_ctx *ctx, struct nb_state *st, char out[IFNAMSIZ])
{
	const char *want = ctx->host->cfg_str(ctx, "uplink");
	struct nl_cache *routes = NULL, *links = NULL;
	struct route_find f = { 0 };
	int err;

	if (want && *want && strcmp(want, "auto") != 0) {
		snprintf(out, IFNAMSIZ, "%s", want);
		return 0;
	}
	err = nb_sock(ctx, st);
	if (err < 0)
		return err;
	err = rtnl_route_alloc_cache(st->sk, AF_INET, 0, &routes);
	if (err < 0)
		return ctx->host->error(ctx, -EIO, "cannot list routes: %s", nl_geterror(err));
	nl_cache_foreach(routes, route_cb, &f);
	nl_cache_free(routes);
	if (f.ifindex <= 0)
		return ctx->host->error(
			ctx, -ENETUNREACH,
			"there is no IPv4 default route in this network namespace, so uplink \"auto\" "
			"cannot choose the interface for NAT; set net-bridge.uplink to the outgoing "
			"interface or nat = false");
	err = rtnl_link_alloc_cache(st->sk, AF_UNSPEC, &links);
	if (err < 0)
		return ctx->host->error(ctx, -EIO, "cannot list links: %s", nl_geterror(err));
	if (!rtnl_link_i2name(links, f.ifindex, out, IFNAMSIZ)) {
		nl_cache_free(links);
		return ctx->host->error(ctx, -ENODEV, "the default route's interface (index %d) has no name",
					f.ifindex);
	}
	nl_cache_free(links);
	return 0;
}
