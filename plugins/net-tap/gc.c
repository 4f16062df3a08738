/* gc.c - `lia-core gc`: delete TAPs named tap-vm-* that no VM record's ledger owns.
 * One RTM_DELLINK costs ~17 ms (an RCU sync per device), so orphans are moved into a
 * link group of their own and deleted together with one group delete
 * (what `ip link del group N` does); the kernel syncs once for the whole batch.
 * nt_gc is the hook's run and its plan: a dry run (`lia-core gc --dry-run`) calls only
 * the plan, which names each orphan and deletes nothing. */
#include "net-tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/link.h>

struct scan {
	struct lia_ctx *ctx;
	struct nt_state *st;
	struct rtnl_link **orphans;
	size_t n, cap;
	int foreign_in_gc_group; /* a device we must not delete already sits in gc_group */
	int err;
};

static void scan_cb(struct nl_object *o, void *arg)
{
	struct rtnl_link *l = (struct rtnl_link *)o;
	struct scan *s = arg;
	const char *name = rtnl_link_get_name(l), *type = rtnl_link_get_type(l);
	int ours = name && !strncmp(name, NT_PREFIX, strlen(NT_PREFIX)) && type && !strcmp(type, "tun");

	if (ours && !s->ctx->host->ledger_owned(s->ctx, "tap", name)) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 64;
			void *p = realloc(s->orphans, cap * sizeof *s->orphans);
			if (!p) {
				s->err = -ENOMEM;
				return;
			}
			s->orphans = p;
			s->cap = cap;
		}
		nl_object_get(o);
		s->orphans[s->n++] = l;
	} else if (rtnl_link_get_group(l) == s->st->gc_group) {
		s->foreign_in_gc_group = 1;
	}
}

/* RTM_DELLINK of every device in gc_group (`ip link del group N`): 1, or 0 after saying
 * why it failed (the caller then deletes one by one) */
static int group_delete(struct lia_ctx *ctx, struct nt_state *st)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg *m = nlmsg_alloc_simple(RTM_DELLINK, 0);
	int err = -NLE_NOMEM;

	if (m && ((err = nlmsg_append(m, &ifi, sizeof ifi, NLMSG_ALIGNTO)) < 0 ||
		  (err = nla_put_u32(m, IFLA_GROUP, st->gc_group)) < 0))
		nlmsg_free(m);
	else if (m)
		err = nl_send_sync(st->sk, m); /* frees m, waits for the ACK */
	if (err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND) {
		ctx->host->log(ctx, LIA_LOG_WARN,
			       "group delete of link group %u failed (%s); deleting one by one", st->gc_group,
			       nl_geterror(err));
		return 0;
	}
	return 1;
}

int nt_gc(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	struct nt_state *st = state;
	struct nl_cache *cache = NULL;
	struct scan s = { .ctx = ctx, .st = st };
	size_t i, deleted = 0;
	int err = nt_sock(ctx, st), bulk;

	if (err < 0)
		return err;
	err = rtnl_link_alloc_cache(st->sk, AF_UNSPEC, &cache);
	if (err < 0)
		return h->error(ctx, -EIO, "cannot list network links: %s", nl_geterror(err));
	nl_cache_foreach(cache, scan_cb, &s);
	nl_cache_free(cache);
	if (s.err) {
		err = h->error(ctx, s.err, "out of memory listing orphan TAPs");
		goto out;
	}
	if (!s.n)
		goto out;
	for (i = 0; i < s.n; i++)
		h->note(ctx, "delete orphan TAP %s", rtnl_link_get_name(s.orphans[i]));
	if (h->dry_run(ctx))
		goto out;

	/* a group delete takes every device in the group: only when the group holds
	 * nothing but our orphans; a couple of TAPs are quicker one by one anyway */
	bulk = s.n > 2 && !s.foreign_in_gc_group;
	for (i = 0; bulk && i < s.n; i++) {
		struct rtnl_link *chg = rtnl_link_alloc();
		if (!chg) {
			bulk = 0;
			break;
		}
		rtnl_link_set_group(chg, st->gc_group);
		err = rtnl_link_change(st->sk, s.orphans[i], chg, 0);
		rtnl_link_put(chg);
		if (err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND) {
			h->log(ctx, LIA_LOG_WARN,
			       "cannot move TAP '%s' to link group %u (%s); deleting one by one",
			       rtnl_link_get_name(s.orphans[i]), st->gc_group, nl_geterror(err));
			bulk = 0;
		}
	}
	if (bulk) {
		bulk = group_delete(ctx, st);
		if (bulk)
			deleted = s.n;
	}
	err = 0;
	for (i = 0; !bulk && i < s.n; i++) {
		int r = nt_tap_delete(ctx, st, rtnl_link_get_name(s.orphans[i]));
		if (r < 0)
			err = r;
		else
			deleted += (size_t)r;
	}
	h->log(ctx, LIA_LOG_INFO, "deleted %zu orphan TAP%s%s", deleted, deleted == 1 ? "" : "s",
	       bulk ? " with one group delete" : "");
out:
	for (i = 0; i < s.n; i++)
		rtnl_link_put(s.orphans[i]);
	free(s.orphans);
	return err;
}

/* ---- flush: the TAPs net-down retired ------------------------------------------------ */

static int retired_by_us(const struct nt_state *st, const char *name)
{
	for (size_t i = 0; i < st->nretired; i++)
		if (!strcmp(st->retired[i], name))
			return 1;
	return 0;
}

struct members {
	struct lia_ctx *ctx;
	struct nt_state *st;
	size_t n;    /* TAPs in gc_group on their way out */
	int foreign; /* something else sits there: no group delete */
};

static void member_cb(struct nl_object *o, void *arg)
{
	struct rtnl_link *l = (struct rtnl_link *)o;
	struct members *m = arg;
	const char *name = rtnl_link_get_name(l), *type = rtnl_link_get_type(l);

	if (rtnl_link_get_group(l) != m->st->gc_group)
		return;
	/* ours: retired by this process (its ledger entry goes with the record's next save),
	 * or a TAP of lia's that no ledger owns (gc's orphans, another lia-core's retired ones
	 * whose record is saved) */
	if (name && !strncmp(name, NT_PREFIX, strlen(NT_PREFIX)) && type && !strcmp(type, "tun") &&
	    (retired_by_us(m->st, name) || !m->ctx->host->ledger_owned(m->ctx, "tap", name)))
		m->n++;
	else
		m->foreign = 1;
}

int nt_flush(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	struct nt_state *st = state;
	struct nl_cache *cache = NULL;
	struct members m = { .ctx = ctx, .st = st };
	size_t i, deleted = 0;
	int err, bulk;

	if (st)
		nt_taps_forget(st); /* the batch's dump of TAPs (tap.c) ends with it */
	if (!st || !st->nretired)
		return 0;
	/* a couple of TAPs are as quick one by one, and need no look at the whole group */
	bulk = st->nretired > 2 && nt_sock(ctx, st) == 0 &&
	       rtnl_link_alloc_cache(st->sk, AF_UNSPEC, &cache) == 0;
	if (bulk) {
		nl_cache_foreach(cache, member_cb, &m);
		nl_cache_free(cache);
		bulk = !m.foreign;
	}
	if (bulk) {
		bulk = group_delete(ctx, st);
		if (bulk)
			deleted = m.n;
	}
	err = 0;
	for (i = 0; !bulk && i < st->nretired; i++) {
		int r = nt_tap_delete_retired(ctx, st, st->retired[i]);
		if (r < 0)
			err = r;
		else
			deleted += (size_t)r;
	}
	if (bulk)
		h->log(ctx, LIA_LOG_INFO, "deleted %zu TAP%s with one group delete", deleted,
		       deleted == 1 ? "" : "s");
	st->nretired = 0;
	return err;
}
