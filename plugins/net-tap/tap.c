/* tap.c - one persistent TAP per VM.  libnl cannot create tun/tap devices (the kernel
 * refuses RTM_NEWLINK for "tun"), so creation is the TUNSETIFF ioctl; everything else
 * (master, up, link group, delete) is one netlink message each. */
#include "net-tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include "nlroute.h"
#include <netlink/route/link.h>

#define TUN_DEV "/dev/net/tun"

int nt_sock(struct lia_ctx *ctx, struct nt_state *st)
{
	return lia_nl_route_open(ctx, &st->sk);
}

static struct rtnl_link *get_link(struct nt_state *st, const char *name, int *err)
{
	return lia_nl_link_get(st->sk, name, err);
}

static int is_tun(struct rtnl_link *l)
{
	const char *t = rtnl_link_get_type(l);

	return t && !strcmp(t, "tun");
}

/* the link `name`: 1 (*l set), 0 when there is none, or the error */
static int lookup_link(struct lia_ctx *ctx, struct nt_state *st, const char *name, struct rtnl_link **l)
{
	int err = nt_sock(ctx, st);

	*l = NULL;
	if (err < 0)
		return err;
	*l = get_link(st, name, &err);
	if (!*l && err)
		return ctx->host->error(ctx, -EIO, "cannot look up TAP '%s': %s", name, nl_geterror(err));
	return *l != NULL;
}

/* as lookup_link, and a link that is not a TAP is refused (lia leaves it alone) */
static int find_tap(struct lia_ctx *ctx, struct nt_state *st, const char *name, struct rtnl_link **l)
{
	int r = lookup_link(ctx, st, name, l);

	if (r > 0 && !is_tun(*l)) {
		rtnl_link_put(*l);
		*l = NULL;
		return ctx->host->error(ctx, -EEXIST, "link '%s' is not a TAP; lia leaves it alone", name);
	}
	return r;
}

/* TUNSETIFF (with extra flags, e.g. IFF_TUN_EXCL), then persistent: 1 made, 0 there already
 * (EBUSY), or the error.  ifindex (if not NULL): the new device's (SIOCGIFINDEX on the
 * netlink socket while the device is surely there), 0 when that failed */
static int tun_open(struct lia_ctx *ctx, struct nt_state *st, const char *name, int extra, int *ifindex)
{
	struct ifreq ifr;
	int fd = open(TUN_DEV, O_RDWR | O_CLOEXEC), e;

	if (fd < 0)
		return ctx->host->error(ctx, -errno, "cannot open %s to create TAP '%s': %s", TUN_DEV, name,
					strerror(errno));
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	/* the flags Firecracker opens its TAP with */
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | extra);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		close(fd);
		if (e == EBUSY) /* held open by a running VMM, or (IFF_TUN_EXCL) any link of that name */
			return 0;
		return ctx->host->error(ctx, -e, "cannot create TAP '%s' (TUNSETIFF): %s", name, strerror(e));
	}
	if ((st->has_owner && ioctl(fd, TUNSETOWNER, (unsigned long)st->uid) < 0) ||
	    (st->has_gid && ioctl(fd, TUNSETGROUP, (unsigned long)st->gid) < 0) ||
	    ioctl(fd, TUNSETPERSIST, 1UL) < 0) {
		e = errno;
		close(fd); /* not persistent yet, so closing removes it: nothing half-made */
		return ctx->host->error(ctx, -e, "cannot set owner or persistence of TAP '%s': %s", name,
					strerror(e));
	}
	if (ifindex)
		*ifindex = ioctl(nl_socket_get_fd(st->sk), SIOCGIFINDEX, &ifr) == 0 ? ifr.ifr_ifindex : 0;
	close(fd);
	return 1;
}

static int tun_create(struct lia_ctx *ctx, struct nt_state *st, const char *name)
{
	return tun_open(ctx, st, name, 0, NULL);
}

/* delete the link l (and drop it): 1, 0 when it was gone already, or the error */
static int delete_link(struct lia_ctx *ctx, struct nt_state *st, struct rtnl_link *l, const char *name)
{
	int err = rtnl_link_delete(st->sk, l);

	rtnl_link_put(l);
	if (err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND)
		return ctx->host->error(ctx, -EIO, "cannot delete TAP '%s': %s", name, nl_geterror(err));
	return err < 0 ? 0 : 1;
}

int nt_tap_delete(struct lia_ctx *ctx, struct nt_state *st, const char *name)
{
	struct rtnl_link *l;
	int err = find_tap(ctx, st, name, &l);

	if (err <= 0)
		return err;
	return delete_link(ctx, st, l, name);
}

struct nt_tap_index {
	char name[IFNAMSIZ];
	int ifindex;
};

static int cmp_tap(const void *a, const void *b)
{
	return strcmp(((const struct nt_tap_index *)a)->name, ((const struct nt_tap_index *)b)->name);
}

static void keep_tap(struct nl_object *o, void *arg)
{
	struct rtnl_link *l = (struct rtnl_link *)o;
	struct nt_state *st = arg;
	const char *name = rtnl_link_get_name(l);

	if (!name || !is_tun(l) || strlen(name) >= IFNAMSIZ)
		return;
	struct nt_tap_index *t = &st->taps[st->ntaps++];
	snprintf(t->name, sizeof t->name, "%s", name);
	t->ifindex = rtnl_link_get_ifindex(l);
}

/* one dump of the links: the TAPs by name (none kept when the dump fails: each retire
 * then looks its TAP up, as the first one of a batch does) */
static void dump_taps(struct nt_state *st)
{
	struct nl_cache *cache = NULL;

	st->taps_state = 2;
	if (rtnl_link_alloc_cache(st->sk, AF_UNSPEC, &cache) < 0)
		return;
	st->taps = calloc((size_t)nl_cache_nitems(cache) + 1, sizeof *st->taps);
	if (st->taps)
		nl_cache_foreach(cache, keep_tap, st);
	nl_cache_free(cache);
	if (st->ntaps)
		qsort(st->taps, st->ntaps, sizeof *st->taps, cmp_tap);
}

void nt_taps_forget(struct nt_state *st)
{
	free(st->taps);
	st->taps = NULL;
	st->ntaps = 0;
	st->taps_state = 0;
}

/* the ifindex the dump saw for the TAP `name`, 0 when it saw none */
static int dumped_tap(struct nt_state *st, const char *name)
{
	struct nt_tap_index key, *t;

	if (!st->ntaps)
		return 0;
	snprintf(key.name, sizeof key.name, "%s", name);
	t = bsearch(&key, st->taps, st->ntaps, sizeof *st->taps, cmp_tap);
	return t ? t->ifindex : 0;
}

/* down and in gc_group in one RTM_NEWLINK for the device `ifindex` */
static int retire_index(struct nt_state *st, int ifindex)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_change = IFF_UP };
	struct nl_msg *m = nlmsg_alloc_simple(RTM_NEWLINK, 0);

	if (!m)
		return -NLE_NOMEM;
	if (nlmsg_append(m, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(m, IFLA_GROUP, st->gc_group) < 0) {
		nlmsg_free(m);
		return -NLE_NOMEM;
	}
	return nl_send_sync(st->sk, m); /* frees m, waits for the ACK */
}

int nt_tap_retire(struct lia_ctx *ctx, struct nt_state *st, const char *name)
{
	struct rtnl_link *l, *chg;
	int err, idx;

	/* A batch's net-downs: from the second on, the TAP's ifindex comes from one dump of
	 * the links (kept until flush) instead of a lookup each.  An ifindex names one device
	 * for good (the kernel does not hand it out again soon), and the dump only kept TAPs:
	 * a device gone since then is looked up by name below, like a TAP the dump did not see. */
	if ((err = nt_sock(ctx, st)) < 0)
		return err;
	if (st->taps_state == 1)
		dump_taps(st);
	if (st->taps_state == 0)
		st->taps_state = 1;
	if ((idx = dumped_tap(st, name)) > 0) {
		err = retire_index(st, idx);
		if (err >= 0)
			return 1;
		if (err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND)
			return ctx->host->error(ctx, -EIO,
						"cannot set TAP '%s' down and into link group %u: %s", name,
						st->gc_group, nl_geterror(err));
	}
	if ((err = find_tap(ctx, st, name, &l)) <= 0)
		return err;
	chg = rtnl_link_alloc();
	if (!chg) {
		rtnl_link_put(l);
		return ctx->host->error(ctx, -ENOMEM, "out of memory retiring TAP '%s'", name);
	}
	/* down and in gc_group in one message */
	rtnl_link_unset_flags(chg, IFF_UP);
	rtnl_link_set_group(chg, st->gc_group);
	err = rtnl_link_change(st->sk, l, chg, 0);
	rtnl_link_put(chg);
	rtnl_link_put(l);
	if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND)
		return 0;
	if (err < 0)
		return ctx->host->error(ctx, -EIO, "cannot set TAP '%s' down and into link group %u: %s",
					name, st->gc_group, nl_geterror(err));
	return 1;
}

int nt_tap_delete_retired(struct lia_ctx *ctx, struct nt_state *st, const char *name)
{
	struct rtnl_link *l;
	int err = lookup_link(ctx, st, name, &l);

	if (err <= 0)
		return err;
	if (!is_tun(l) || rtnl_link_get_group(l) != st->gc_group) {
		rtnl_link_put(l); /* started again since (net-up took it back), or not ours */
		return 0;
	}
	return delete_link(ctx, st, l, name);
}

/* the bridge's ifindex, looked up once per open() (a batch of VMs, one lookup): 0, or
 * -ENODEV said when there is no bridge */
static int bridge_index(struct lia_ctx *ctx, struct nt_state *st)
{
	struct rtnl_link *br;
	int err;

	st->br_idx = 0;
	br = get_link(st, st->bridge, &err);
	if (!br)
		return ctx->host->error(
			ctx, -ENODEV,
			"bridge '%s' does not exist%s%s; run `lia-core run setup` (net-bridge) first",
			st->bridge, err ? ": " : "", err ? nl_geterror(err) : "");
	st->br_idx = rtnl_link_get_ifindex(br);
	rtnl_link_put(br);
	return 0;
}

/* A TAP this call makes, or 0 when a link of that name exists (the kernel says EBUSY to
 * IFF_TUN_EXCL): one ioctl instead of a lookup first, the common case of a batch start */
static int tun_create_new(struct lia_ctx *ctx, struct nt_state *st, const char *name, int *ifindex)
{
	return tun_open(ctx, st, name, IFF_TUN_EXCL, ifindex);
}

/* master, up and link group in one RTM_NEWLINK for the device `ifindex` (never 0: with 0
 * and IFLA_GROUP the kernel would change every device of that group) */
static int set_up_index(struct nt_state *st, int ifindex)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = IFF_UP, .ifi_change = IFF_UP
	};
	struct nl_msg *m = nlmsg_alloc_simple(RTM_NEWLINK, 0);

	if (!m)
		return -NLE_NOMEM;
	if (nlmsg_append(m, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(m, IFLA_MASTER, (uint32_t)st->br_idx) < 0 ||
	    nla_put_u32(m, IFLA_GROUP, st->group) < 0) {
		nlmsg_free(m);
		return -NLE_NOMEM;
	}
	return nl_send_sync(st->sk, m); /* frees m, waits for the ACK */
}

/* The fast path of net-up: a new TAP, then one message with the cached bridge index.  That
 * index goes stale when the bridge is deleted (and maybe made again) after this process
 * looked it up: the kernel then refuses the master (ifindexes are not handed out again
 * soon), the bridge is looked up again and the message sent once more. */
static int tap_up_new(struct lia_ctx *ctx, struct nt_state *st, const char *name, int ifindex)
{
	int err = set_up_index(st, ifindex), old = st->br_idx;

	if (err < 0) {
		int r = bridge_index(ctx, st);
		if (r < 0)
			return r;
		if (st->br_idx != old)
			err = set_up_index(st, ifindex);
	}
	if (err < 0)
		return ctx->host->error(ctx, -EIO, "cannot enslave TAP '%s' to bridge '%s' and set it up: %s",
					name, st->bridge, nl_geterror(err));
	return 0;
}

int nt_tap_up(struct lia_ctx *ctx, struct nt_state *st, const char *name, int *created)
{
	struct rtnl_link *tap = NULL, *chg;
	int err = nt_sock(ctx, st), br_idx, idx = 0;

	*created = 0;
	if (err < 0)
		return err;
	/* the bridge first: without it we would leave a TAP that goes nowhere */
	if (!st->br_idx && (err = bridge_index(ctx, st)) < 0)
		return err;
	if ((err = tun_create_new(ctx, st, name, &idx)) < 0)
		return err;
	if (err > 0) {
		*created = 1;
		if (idx > 0) {
			if ((err = tap_up_new(ctx, st, name, idx)) < 0)
				goto undo;
			return 0;
		}
		/* no ifindex for it (SIOCGIFINDEX failed): the lookup below */
	}
	/* a link of that name exists: look at it (a TAP a crash left, or a VMM holds) */
	if ((err = bridge_index(ctx, st)) < 0)
		return err;
	br_idx = st->br_idx;
	tap = get_link(st, name, &err);
	if (!tap && err)
		return ctx->host->error(ctx, -EIO, "cannot look up TAP '%s': %s", name, nl_geterror(err));
	if (tap && !is_tun(tap)) {
		rtnl_link_put(tap);
		return ctx->host->error(ctx, -EEXIST,
					"link '%s' exists and is not a TAP; lia will not take it over", name);
	}
	if (!tap) {
		if ((err = tun_create(ctx, st, name)) < 0)
			return err;
		*created = *created || err;
		tap = get_link(st, name, &err);
		if (!tap) {
			if (*created)
				nt_tap_delete(ctx, st, name);
			return ctx->host->error(ctx, -EIO, "TAP '%s' vanished after creation%s%s", name,
						err ? ": " : "", err ? nl_geterror(err) : "");
		}
	}
	if (rtnl_link_get_master(tap) == br_idx && (rtnl_link_get_flags(tap) & IFF_UP) &&
	    rtnl_link_get_group(tap) == st->group) {
		rtnl_link_put(tap);
		return 0; /* already as wanted */
	}
	chg = rtnl_link_alloc();
	if (!chg) {
		rtnl_link_put(tap);
		err = ctx->host->error(ctx, -ENOMEM, "out of memory setting up TAP '%s'", name);
		goto undo;
	}
	/* master, up and link group in one message */
	rtnl_link_set_master(chg, br_idx);
	rtnl_link_set_flags(chg, IFF_UP);
	rtnl_link_set_group(chg, st->group);
	err = rtnl_link_change(st->sk, tap, chg, 0);
	rtnl_link_put(chg);
	rtnl_link_put(tap);
	if (err < 0) {
		err = ctx->host->error(ctx, -EIO, "cannot enslave TAP '%s' to bridge '%s' and set it up: %s",
				       name, st->bridge, nl_geterror(err));
		goto undo;
	}
	return 0;
undo:
	if (*created)
		nt_tap_delete(ctx, st, name);
	*created = 0;
	return err;
}
