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
	{ .name = "bridge",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_IFNAME,
	  .help = "bridge the TAPs join; only without a bridge plugin (else its fact bridge.name)" },
	{ .name = "gateway",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_CIDR,
	  .help = "the VMs' gateway and prefix (172.16.0.1/24); only without a bridge plugin (else bridge.cidr)" },
	{ .name = "pool_start",
	  .type = LIA_OPT_STRING,
	  .default_value = "172.16.0.100",
	  .kind = LIA_KIND_IPV4,
	  .help = "first VM address of the pool" },
	{ .name = "pool_end",
	  .type = LIA_OPT_STRING,
	  .default_value = "172.16.0.254",
	  .kind = LIA_KIND_IPV4,
	  .help = "last VM address of the pool" },
	{ .name = "owner",
	  .type = LIA_OPT_STRING,
	  .default_value = "",
	  .help = "user (name or uid) that may open the TAPs, for an unprivileged VMM; \"\": root only" },
	{ .name = "link_group",
	  .type = LIA_OPT_INT,
	  .default_value = "4242",
	  LIA_RANGE(1, 2147483647),
	  .help = "link group (IFLA_GROUP) of the VMs' TAPs" },
	{ .name = "gc_group",
	  .type = LIA_OPT_INT,
	  .default_value = "4243",
	  LIA_RANGE(1, 2147483647),
	  .help = "link group gc and net-down move TAPs into, to delete them in one message" },
	{ 0 },
};

/* The bridge and its subnet: the bridge plugin's facts, or this block's own settings when
 * no bridge plugin is enabled.  Never both: one thing is said in one place. */
static int subnet_of(struct lia_ctx *ctx, const char **bridge, const char **cidr, int report)
{
	const struct lia_host *h = ctx->host;
	const char *fb = h->fact(ctx, "bridge.name"), *fc = h->fact(ctx, "bridge.cidr");
	const char *sb = h->cfg_str(ctx, "bridge"), *sc = h->cfg_str(ctx, "gateway");
	int bad = 0;
	if (fb && sb && report)
		bad = h->cfg_error(ctx, "bridge", "is set here and by %s; remove it here",
				   h->fact_where(ctx, "bridge.name"));
	if (fc && sc && report)
		bad = h->cfg_error(ctx, "gateway", "is set here and by %s; remove it here",
				   h->fact_where(ctx, "bridge.cidr"));
	*bridge = fb ? fb : sb;
	*cidr = fc ? fc : sc;
	if ((!*bridge || !*cidr) && report)
		bad = h->cfg_error(
			ctx, NULL,
			"needs a bridge and its subnet: enable a bridge plugin (net-bridge), or set net-tap's bridge and gateway");
	return bad;
}

/* Checks across settings and facts, as configuration errors with FILE:LINE. */
static int nt_check(struct lia_ctx *ctx)
{
	const struct lia_host *h = ctx->host;
	const char *br, *cidr;
	if (subnet_of(ctx, &br, &cidr, 1) < 0)
		return -EINVAL;
	const char *lo = h->cfg_str(ctx, "pool_start"), *hi = h->cfg_str(ctx, "pool_end");
	uint32_t plo, phi, gw;
	int prefix;
	char ip[32];
	const char *slash = strchr(cidr, '/');
	snprintf(ip, sizeof ip, "%.*s", (int)(slash - cidr), cidr);
	nt_parse_ip4(ip, &gw);
	prefix = atoi(slash + 1);
	nt_parse_ip4(lo, &plo);
	nt_parse_ip4(hi, &phi);
	const char *from = h->fact(ctx, "bridge.cidr") ? h->fact_where(ctx, "bridge.cidr")
						       : h->cfg_where(ctx, "gateway");
	if (prefix < 1 || prefix > 30)
		return h->cfg_error(ctx, NULL,
				    "the subnet %s (%s) leaves no room for VMs: its prefix must be 1-30",
				    cidr, from);
	uint32_t mask = ~0u << (32 - prefix);
	if (plo > phi)
		return h->cfg_error(ctx, "pool_start",
				    "%s is after pool_end %s (allowed: pool_start <= pool_end)", lo, hi);
	if ((plo & mask) != (gw & mask) || (phi & mask) != (gw & mask))
		return h->cfg_error(ctx, "pool_start",
				    "the pool %s..%s is not inside the bridge's subnet %s (%s)", lo, hi, cidr,
				    from);
	if (gw >= plo && gw <= phi)
		return h->cfg_error(ctx, "pool_start", "the pool %s..%s holds the gateway %s (%s)", lo, hi,
				    ip, from);
	if ((plo & ~mask) == 0 || (phi & ~mask) == ~mask)
		return h->cfg_error(ctx, "pool_start",
				    "the pool %s..%s holds the network or broadcast address of %s", lo, hi,
				    cidr);
	if (h->cfg_int(ctx, "link_group") == h->cfg_int(ctx, "gc_group"))
		return h->cfg_error(ctx, "gc_group", "equals link_group (they must differ)");
	const char *owner = h->cfg_str(ctx, "owner");
	if (owner && *owner) {
		struct passwd pw, *res = NULL;
		char buf[4096], *end;
		strtoul(owner, &end, 10);
		if (*end && (getpwnam_r(owner, &pw, buf, sizeof buf, &res) != 0 || !res))
			return h->cfg_error(ctx, "owner", "'%s' is not a known user", owner);
	}
	return 0;
}

static int nt_open(struct lia_ctx *ctx, void **state)
{
	const struct lia_host *h = ctx->host;
	const char *br, *cidr, *owner = h->cfg_str(ctx, "owner");
	struct nt_state *st = calloc(1, sizeof *st);
	if (!st)
		return h->error(ctx, -ENOMEM, "out of memory");
	*state = st;
	/* check() has validated every value below */
	subnet_of(ctx, &br, &cidr, 0);
	snprintf(st->bridge, sizeof st->bridge, "%s", br);
	char ip[32];
	const char *slash = strchr(cidr, '/');
	snprintf(ip, sizeof ip, "%.*s", (int)(slash - cidr), cidr);
	nt_parse_ip4(ip, &st->gateway);
	st->prefix = atoi(slash + 1);
	nt_parse_ip4(h->cfg_str(ctx, "pool_start"), &st->pool_lo);
	nt_parse_ip4(h->cfg_str(ctx, "pool_end"), &st->pool_hi);
	int64_t g = h->cfg_int(ctx, "link_group"), gg = h->cfg_int(ctx, "gc_group");
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
			return h->error(ctx, -EINVAL, "net-tap.owner '%s' is not a known user", owner);
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
	free(st->retired);
	nt_taps_forget(st);
	free(st);
}

/* The VM's TAP name: the one recorded at create, or derived from its name or its
 * "tap" lease.  With take, a VM without a lease gets one (create, net-up); otherwise
 * NULL means it has no TAP name (nothing to delete). */
static const char *tap_name(struct lia_ctx *ctx, char buf[IFNAMSIZ], int take)
{
	const struct lia_host *h = ctx->host;
	const char *t = h->vm_get(ctx, "net.tap"), *vm = h->vm_name(ctx);
	uint64_t v;

	if (t && *t && strlen(t) < IFNAMSIZ)
		return t;
	if (nt_tap_fits(vm)) {
		nt_tap_name(vm, -1, buf);
		return buf;
	}
	if (h->lease_get(ctx, "tap", &v) < 0 &&
	    (!take || h->lease_take(ctx, "tap", 0, NT_TAP_LEASE_MAX, &v) < 0))
		return NULL;
	nt_tap_name(vm, (long long)v, buf);
	h->log(ctx, LIA_LOG_INFO, "VM name '%s' does not fit an interface name; its TAP is '%s'", vm, buf);
	return buf;
}

/* Another VM's ledger owns the TAP `name`?  The ledger only answers "any VM", so this
 * VM's own entry goes first (it is added back by net-up).  A crash in between leaves
 * an unowned TAP, which is what gc removes. */
static int owned_by_other(struct lia_ctx *ctx, const char *name, int *err)
{
	const struct lia_host *h = ctx->host;
	int r;

	*err = 0;
	if (!h->ledger_owned(ctx, "tap", name))
		return 0;
	r = h->ledger_del(ctx, "tap", name);
	if (r < 0 && r != -ENOENT) {
		*err = r;
		return 1;
	}
	return h->ledger_owned(ctx, "tap", name);
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
	fd = open(f, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 600; i++)
		sleep(1);
}

/* Test hook: LIA_TEST_NET_TAP_PAUSE=FILE: after the Nth (LIA_TEST_NET_TAP_PAUSE_N, 1)
 * hook named by LIA_TEST_NET_TAP_PAUSE_AT ("net-up", the default, or "net-down") of this
 * process, create FILE and wait (60 s at most) until it is removed: a test changes the
 * bridge or a TAP between two VMs of a batch that way. */
static void test_pause(const char *where)
{
	static int seen;
	const char *f = getenv("LIA_TEST_NET_TAP_PAUSE"), *at = getenv("LIA_TEST_NET_TAP_PAUSE_AT");
	const char *nth = getenv("LIA_TEST_NET_TAP_PAUSE_N");
	int fd;

	if (!f || !*f || strcmp(at && *at ? at : "net-up", where) || ++seen != (nth ? atoi(nth) : 1))
		return;
	fd = open(f, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	close(fd);
	for (int i = 0; i < 3000 && access(f, F_OK) == 0; i++)
		usleep(20000);
}

/* ---- create / destroy: the lease ---------------------------------------------------- */

static int nt_create(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
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
		return h->error(
			ctx, -ENOSPC,
			"the address pool %s..%s is exhausted (%u addresses, all leased); destroy a VM or widen net-tap.pool_start/pool_end",
			lo, hi, st->pool_hi - st->pool_lo + 1);
	}
	if (r < 0)
		return r;
	nt_fmt_ip4((uint32_t)v, ip);
	nt_fmt_ip4(st->gateway, gw);
	nt_fmt_mac((uint32_t)v, mac);
	if (!(tap = tap_name(ctx, name, 1)))
		return h->error(ctx, -ENOSPC, "no TAP name for VM '%s': the tap lease failed",
				h->vm_name(ctx));
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
	const struct lia_host *h = ctx->host;
	int r = h->lease_release(ctx, "ip4");

	if (r < 0 && r != -ENOENT)
		return r;
	r = h->lease_release(ctx, "tap");
	if (r < 0 && r != -ENOENT)
		return r;
	return 0;
}

/* 0 when this VM may use the TAP `name` (no other VM's ledger owns it), else the error */
static int tap_usable(struct lia_ctx *ctx, const char *name)
{
	int r;

	if (!owned_by_other(ctx, name, &r))
		return 0;
	return r < 0 ? r
		     : ctx->host->error(
			       ctx, -EEXIST,
			       "TAP '%s' belongs to another VM's ledger; lia leaves it alone (VM '%s' cannot use it: destroy and re-create this VM)",
			       name, ctx->host->vm_name(ctx));
}

/* ---- net-up / net-down: the TAP ------------------------------------------------------- */

static int nt_net_down(struct lia_ctx *ctx, void *state);

static int nt_net_up(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	struct nt_state *st = state;
	char buf[IFNAMSIZ], name[IFNAMSIZ];
	const char *t = tap_name(ctx, buf, 1);
	int r, created;

	if (!t)
		return h->error(ctx, -ENOSPC, "no TAP name for VM '%s': the tap lease failed",
				h->vm_name(ctx));
	snprintf(name, sizeof name, "%s", t);
	if ((r = tap_usable(ctx, name)) < 0)
		return r;
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
	test_pause("net-up");
	return 0;
}

/* prepare (net-up): the ledger entry of the TAP run() will make, with run()'s ownership
 * check; nothing on the host changes.  A VM whose TAP name needs a lease it does not hold
 * yet prepares nothing (run() takes the lease and adds the entry itself). */
static int nt_prepare(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	char buf[IFNAMSIZ], name[IFNAMSIZ];
	const char *t;
	int r;

	(void)state;
	if (h->phase(ctx) != LIA_PHASE_NET_UP || !(t = tap_name(ctx, buf, 0)))
		return 0;
	snprintf(name, sizeof name, "%s", t);
	if ((r = tap_usable(ctx, name)) < 0)
		return r;
	return h->ledger_add(ctx, "tap", name);
}

/* a retired TAP for flush() to delete */
static int remember_retired(struct lia_ctx *ctx, struct nt_state *st, const char *name)
{
	if (st->nretired == st->cap_retired) {
		size_t cap = st->cap_retired ? 2 * st->cap_retired : 64;
		void *p = realloc(st->retired, cap * sizeof *st->retired);
		if (!p)
			return ctx->host->error(ctx, -ENOMEM, "out of memory");
		st->retired = p;
		st->cap_retired = cap;
	}
	snprintf(st->retired[st->nretired++], IFNAMSIZ, "%s", name);
	return 0;
}

/* The TAP goes down and into gc_group at once (no traffic reaches the VM's address any
 * more); flush() deletes it with the batch's others.  A crash before flush leaves it there,
 * unowned once the record is saved: gc deletes it, and a start takes it back. */
static int nt_net_down(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	struct nt_state *st = state;
	char buf[IFNAMSIZ], name[IFNAMSIZ];
	const char *t = tap_name(ctx, buf, 0);
	int r;

	if (!t)
		return 0; /* never had a TAP name, so never a TAP */
	snprintf(name, sizeof name, "%s", t);
	if (owned_by_other(ctx, name, &r)) {
		if (r < 0)
			return r;
		h->log(ctx, LIA_LOG_WARN, "TAP '%s' belongs to another VM's ledger; left alone", name);
		return 0;
	}
	r = nt_tap_retire(ctx, st, name);
	if (r < 0)
		return r;
	if (r > 0) {
		if ((r = remember_retired(ctx, st, name)) < 0)
			return r;
		h->note(ctx, "delete TAP %s", name);
	}
	test_stall("net-down");
	test_pause("net-down");
	/* the entry goes after the object left service (saved with the record's next save) */
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
	/* nt_gc is its own plan: in a dry run it lists the orphans and stops there (the core
	 * calls plan, never run, in a dry run) */
	{ LIA_PHASE_GC, 0, nt_gc, NULL, nt_gc, "delete TAPs no VM owns" },
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
	.check = nt_check,
	.open = nt_open,
	.close = nt_close,
	.prepare = nt_prepare, /* net-up's TAP entry */
	.flush = nt_flush,     /* the TAPs net-down retired, in one group delete */
	/* the address pool's bounds, for the core's capacity report (free addresses) */
	.facts = (const struct lia_fact[]){ { "lease.ip4.first", "pool_start" },
					    { "lease.ip4.last", "pool_end" },
					    { NULL, NULL } },
};
