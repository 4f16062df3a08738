/* net-tap - per-VM networking: an IPv4 lease from the pool (create), a persistent TAP
 * on the bridge (net-up), its removal (net-down), the lease's release (destroy), and
 * `lia-core gc` of TAPs no VM record owns.  The guest's parameters go into the VM
 * record under the agreed keys net.ip, net.gateway, net.prefix, net.mac, net.tap. */
#include "config.h"
#include "net-tap.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

static const struct lia_option options[] = {
	{ "bridge", LIA_OPT_STRING, "lia-br0", 0, "bridge the TAPs join (net-bridge.bridge)" },
	{ "pool_start", LIA_OPT_STRING, "172.16.0.100", 0, "first VM address of the pool" },
	{ "pool_end", LIA_OPT_STRING, "172.16.0.254", 0, "last VM address of the pool" },
	{ "gateway", LIA_OPT_STRING, "172.16.0.1", 0,
	  "the VMs' gateway: the bridge address, without prefix" },
	{ "prefix", LIA_OPT_INT, "24", 0, "prefix length of the VM subnet" },
	{ "owner", LIA_OPT_STRING, "", 0,
	  "user (name or uid) that may open the TAPs, for an unprivileged VMM; \"\": root only" },
	{ "link_group", LIA_OPT_INT, "4242", 0, "link group (IFLA_GROUP) of the VMs' TAPs" },
	{ "gc_group", LIA_OPT_INT, "4243", 0,
	  "link group gc moves orphan TAPs into before deleting them in one message" },
	{ NULL, 0, NULL, 0, NULL },
};

static int bad_ip(struct lia_ctx *ctx, const char *key, const char *v)
{
	return NT_HOST(ctx)->error(ctx, -EINVAL, "net-tap.%s '%s' is not an IPv4 address.", key,
				   v ? v : "");
}

static int nt_open(struct lia_ctx *ctx, void **state)
{
	const struct lia_host *h = NT_HOST(ctx);
	const char *br = h->cfg_str(ctx, "bridge"), *owner = h->cfg_str(ctx, "owner");
	const char *lo = h->cfg_str(ctx, "pool_start"), *hi = h->cfg_str(ctx, "pool_end");
	const char *gw = h->cfg_str(ctx, "gateway");
	int64_t prefix = h->cfg_int(ctx, "prefix"), g = h->cfg_int(ctx, "link_group");
	int64_t gg = h->cfg_int(ctx, "gc_group");
	struct nt_state *st = calloc(1, sizeof *st);
	uint32_t mask;

	if (!st)
		return h->error(ctx, -ENOMEM, "Out of memory.");
	*state = st;
	if (!br || !*br || strlen(br) >= IFNAMSIZ)
		return h->error(ctx, -EINVAL, "net-tap.bridge '%s' is not a valid interface name.",
				br ? br : "");
	snprintf(st->bridge, sizeof st->bridge, "%s", br);
	if (nt_parse_ip4(lo, &st->pool_lo) < 0)
		return bad_ip(ctx, "pool_start", lo);
	if (nt_parse_ip4(hi, &st->pool_hi) < 0)
		return bad_ip(ctx, "pool_end", hi);
	if (nt_parse_ip4(gw, &st->gateway) < 0)
		return bad_ip(ctx, "gateway", gw);
	if (prefix < 1 || prefix > 30)
		return h->error(ctx, -EINVAL, "net-tap.prefix %lld is not between 1 and 30.",
				(long long)prefix);
	st->prefix = (int)prefix;
	mask = ~0u << (32 - st->prefix);
	if (st->pool_lo > st->pool_hi)
		return h->error(ctx, -EINVAL, "net-tap.pool_start %s is after pool_end %s.", lo, hi);
	if ((st->pool_lo & mask) != (st->gateway & mask) || (st->pool_hi & mask) != (st->gateway & mask))
		return h->error(ctx, -EINVAL,
			"The pool %s..%s is not inside the gateway's subnet %s/%d.", lo, hi, gw, st->prefix);
	if (st->gateway >= st->pool_lo && st->gateway <= st->pool_hi)
		return h->error(ctx, -EINVAL, "The gateway %s lies inside the pool %s..%s.", gw, lo, hi);
	if ((st->pool_lo & ~mask) == 0 || (st->pool_hi & ~mask) == ~mask)
		return h->error(ctx, -EINVAL,
			"The pool %s..%s includes the network or broadcast address of %s/%d.", lo, hi, gw,
			st->prefix);
	if (g < 0 || g > 0xffffffffLL || gg < 0 || gg > 0xffffffffLL || g == gg || g == 0 || gg == 0)
		return h->error(ctx, -EINVAL,
			"net-tap.link_group %lld and gc_group %lld must be different, non-zero 32-bit numbers.",
			(long long)g, (long long)gg);
	st->group = (uint32_t)g;
	st->gc_group = (uint32_t)gg;
	if (owner && *owner) {
		struct passwd pw, *res = NULL;
		char buf[4096], *end;
		unsigned long uid = strtoul(owner, &end, 10);
		if (*end == 0) {
			st->uid = (uid_t)uid;
			getpwuid_r(st->uid, &pw, buf, sizeof buf, &res);
		} else if (getpwnam_r(owner, &pw, buf, sizeof buf, &res) != 0 || !res) {
			return h->error(ctx, -EINVAL, "net-tap.owner '%s' is not a known user.", owner);
		} else {
			st->uid = pw.pw_uid;
		}
		st->has_owner = 1;
		if (res) {
			st->gid = pw.pw_gid;
			st->has_gid = 1;
		}
	}
	return 0;
}

static void nt_close(void *state)
{
	struct nt_state *st = state;

	if (!st)
		return;
	if (st->sk)
		nl_socket_free(st->sk);
	free(st);
}

/* The VM's TAP name: the one recorded at create, or derived from its name. */
static const char *tap_name(struct lia_ctx *ctx, char buf[IFNAMSIZ])
{
	const char *t = NT_HOST(ctx)->vm_get(ctx, "net.tap");

	if (t && *t && strlen(t) < IFNAMSIZ)
		return t;
	if (nt_tap_name(NT_HOST(ctx)->vm_name(ctx), buf))
		NT_HOST(ctx)->log(ctx, LIA_LOG_INFO,
			"VM name '%s' does not fit an interface name; its TAP is '%s'.",
			NT_HOST(ctx)->vm_name(ctx), buf);
	return buf;
}

/* Test hook for the crash tests: at the end of the hook named by
 * LIA_TEST_NET_TAP_STALL_AT ("create" or, by default, "net-up"), after the lease or
 * the TAP exists and before the core updates the record, create the file named by
 * LIA_TEST_NET_TAP_STALL and wait to be killed. */
static void test_stall(const char *where)
{
	const char *f = getenv("LIA_TEST_NET_TAP_STALL");
	const char *at = getenv("LIA_TEST_NET_TAP_STALL_AT");
	int fd;

	if (!f || !*f || strcmp(at && *at ? at : "net-up", where))
		return;
	fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 600; i++)
		sleep(1);
}

/* ---- create / destroy: the lease ---------------------------------------------------- */

static int nt_create(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = NT_HOST(ctx);
	struct nt_state *st = state;
	char ip[16], gw[16], mac[18], name[IFNAMSIZ];
	const char *tap;
	uint64_t v;
	int r;

	r = h->lease_take(ctx, "ip4", st->pool_lo, st->pool_hi, &v);
	if (r == -ENOSPC) {
		char lo[16], hi[16];
		nt_fmt_ip4(st->pool_lo, lo);
		nt_fmt_ip4(st->pool_hi, hi);
		return h->error(ctx, -ENOSPC,
			"The address pool %s..%s is exhausted (%u addresses, all leased); destroy a VM or widen net-tap.pool_start/pool_end.",
			lo, hi, st->pool_hi - st->pool_lo + 1);
	}
	if (r < 0)
		return r;
	nt_fmt_ip4((uint32_t)v, ip);
	nt_fmt_ip4(st->gateway, gw);
	nt_fmt_mac((uint32_t)v, mac);
	tap = tap_name(ctx, name);
	if ((r = h->vm_set(ctx, "net.ip", ip)) < 0 || (r = h->vm_set(ctx, "net.gateway", gw)) < 0 ||
	    (r = h->vm_set_int(ctx, "net.prefix", st->prefix)) < 0 ||
	    (r = h->vm_set(ctx, "net.mac", mac)) < 0 || (r = h->vm_set(ctx, "net.tap", tap)) < 0)
		return r;
	h->note(ctx, "lease %s (MAC %s, TAP %s)", ip, mac, tap);
	test_stall("create");
	return 0;
}

static int nt_release(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = NT_HOST(ctx);
	int r = h->lease_release(ctx, "ip4");

	if (r < 0 && r != -ENOENT)
		return r;
	return 0;
}

/* ---- net-up / net-down: the TAP ------------------------------------------------------- */

static int nt_net_down(struct lia_ctx *ctx, void *state);

static int nt_net_up(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = NT_HOST(ctx);
	struct nt_state *st = state;
	char buf[IFNAMSIZ], name[IFNAMSIZ];
	int r, created;

	snprintf(name, sizeof name, "%s", tap_name(ctx, buf));
	/* the ledger entry first: a crash after creation leaves a TAP gc can attribute */
	if ((r = h->ledger_add(ctx, "tap", name)) < 0)
		return r;
	r = nt_tap_up(ctx, st, name, &created);
	if (r < 0) {
		h->ledger_del(ctx, "tap", name);
		return r;
	}
	if (created)
		h->note(ctx, "create TAP %s on %s", name, st->bridge);
	if (!h->vm_get(ctx, "net.tap") && (r = h->vm_set(ctx, "net.tap", name)) < 0) {
		nt_net_down(ctx, state);
		return r;
	}
	test_stall("net-up");
	return 0;
}

static int nt_net_down(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = NT_HOST(ctx);
	char buf[IFNAMSIZ], name[IFNAMSIZ];
	int r;

	snprintf(name, sizeof name, "%s", tap_name(ctx, buf));
	r = nt_tap_delete(ctx, state, name);
	if (r < 0)
		return r;
	if (r > 0)
		h->note(ctx, "delete TAP %s", name);
	/* the entry goes after the object */
	r = h->ledger_del(ctx, "tap", name);
	return r == -ENOENT ? 0 : r;
}

/* destroy: a TAP left behind (a VM destroyed without net-down) goes too */
static int nt_destroy(struct lia_ctx *ctx, void *state)
{
	int r = nt_net_down(ctx, state);

	if (r < 0)
		return r;
	return nt_release(ctx, state);
}

static const struct lia_hook hooks[] = {
	{ LIA_PHASE_CREATE, 0, nt_create, nt_release, NULL, "lease an IPv4 address" },
	{ LIA_PHASE_NET_UP, 0, nt_net_up, nt_net_down, NULL, "create the TAP on the bridge" },
	{ LIA_PHASE_NET_DOWN, 0, nt_net_down, NULL, NULL, "delete the TAP" },
	{ LIA_PHASE_DESTROY, 0, nt_destroy, NULL, NULL, "release the address" },
	{ LIA_PHASE_GC, 0, nt_gc, NULL, NULL, "delete TAPs no VM owns" },
	{ 0 },
};

static const char *const needs[] = { "/dev/net/tun", NULL };

LIA_PLUGIN_DEFINE(net_tap) = {
	LIA_PLUGIN_HEADER,
	.name = "net-tap",
	.version = PACKAGE_VERSION,
	.provides = "tap",
	.description = "per-VM IPv4 lease, MAC and persistent TAP on the bridge; gc of orphan TAPs",
	.options = options,
	.hooks = hooks,
	.needs = needs,
	.open = nt_open,
	.close = nt_close,
};
