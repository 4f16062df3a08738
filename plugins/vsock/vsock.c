/* plugins/vsock/vsock.c - the vsock plugin: a unique guest CID and socket path per VM,
 * the socket file's life (Firecracker creates it at PUT /vsock and never removes it),
 * the readiness wait after boot, gc of orphaned socket files, and `vm connect`.
 * Record keys: vsock.cid (int), vsock.uds (path), ready ("yes"/"no"). */
#include "config.h"
#include "confine.h"
#include "vsock.h"
#include "proto.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#define U32_LAST 4294967294LL /* 0xffffffff is VMADDR_CID_ANY / VMADDR_PORT_ANY */
#define SUN_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

static const struct lia_option vsock_options[] = {
	{ .name = "cid_min",
	  .type = LIA_OPT_INT,
	  .default_value = "3",
	  LIA_RANGE(3, 4294967294),
	  .help = "lowest guest CID handed out (0-2 are reserved)" },
	{ .name = "cid_max",
	  .type = LIA_OPT_INT,
	  .default_value = "65535",
	  LIA_RANGE(3, 4294967294),
	  .help = "highest guest CID handed out" },
	{ .name = "ready_port",
	  .type = LIA_OPT_INT,
	  .default_value = "52",
	  LIA_RANGE(0, 4294967295),
	  .help = "guest vsock port the agent-sidecar listens on; 0 turns the readiness wait off" },
	{ .name = "ready_timeout",
	  .type = LIA_OPT_INT,
	  .default_value = "30",
	  LIA_RANGE(1, 86400),
	  .help = "seconds `vm start` waits for ready_port" },
	{ .name = "require_ready",
	  .type = LIA_OPT_BOOL,
	  .default_value = "false",
	  .help = "fail `vm start` when the guest is not ready" },
	{ .name = "connect_timeout",
	  .type = LIA_OPT_INT,
	  .default_value = "10",
	  LIA_RANGE(1, 86400),
	  .help = "seconds `vm connect` retries while the guest boots" },
	{ 0 },
};

/* ranges of single settings are checked by the core (options[]); this is the one across */
static int vsock_check(struct lia_ctx *ctx)
{
	const struct lia_host *h = ctx->host;
	if (h->cfg_int(ctx, "cid_min") > h->cfg_int(ctx, "cid_max"))
		return h->cfg_error(
			ctx, "cid_min", "%lld is above cid_max %lld (allowed: cid_min <= cid_max)",
			(long long)h->cfg_int(ctx, "cid_min"), (long long)h->cfg_int(ctx, "cid_max"));
	return 0;
}

static int vsock_open(struct lia_ctx *ctx, void **state)
{
	const struct lia_host *h = ctx->host;
	struct vsock_state *st = calloc(1, sizeof *st);
	if (!st)
		return h->error(ctx, -ENOMEM, "the vsock plugin is out of memory");
	*state = st;
	st->cid_min = (uint64_t)h->cfg_int(ctx, "cid_min");
	st->cid_max = (uint64_t)h->cfg_int(ctx, "cid_max");
	st->ready_port = (uint32_t)h->cfg_int(ctx, "ready_port");
	st->ready_timeout_ms = (long)h->cfg_int(ctx, "ready_timeout") * 1000;
	st->connect_timeout_ms = (long)h->cfg_int(ctx, "connect_timeout") * 1000;
	st->require_ready = h->cfg_bool(ctx, "require_ready");
	return 0;
}

static void vsock_close(void *state)
{
	free(state);
}

/* ---- create / destroy: the CID lease and the socket path ---------------------------- */

/* Take (or get back: lease_take is idempotent) the CID and record both keys. */
static int ensure_identity(struct lia_ctx *ctx, struct vsock_state *st, char *uds, size_t len)
{
	const struct lia_host *h = ctx->host;
	uint64_t cid;
	int r;

	r = h->path(ctx, uds, len, "sockets/%s.vsock", h->vm_name(ctx));
	if (r < 0 || strlen(uds) > SUN_MAX)
		return h->error(ctx, -ENAMETOOLONG,
				"the vsock socket path of VM '%s' under state_dir '%s' is longer "
				"than a Unix socket allows (%zu bytes); choose a shorter state_dir",
				h->vm_name(ctx), h->state_dir(ctx), SUN_MAX);
	if ((r = h->lease_take(ctx, "cid", st->cid_min, st->cid_max, &cid)) < 0)
		return r;
	if ((r = h->vm_set_int(ctx, "vsock.cid", (int64_t)cid)) < 0 ||
	    (r = h->vm_set(ctx, "vsock.uds", uds)) < 0) {
		h->lease_release(ctx, "cid");
		return r;
	}
	return 0;
}

static int hook_create(struct lia_ctx *ctx, void *state)
{
	char uds[4096];
	int r = ensure_identity(ctx, state, uds, sizeof uds);
	if (r < 0)
		return r;
	ctx->host->note(ctx, "guest CID %" PRId64 ", vsock socket %s",
			ctx->host->vm_get_int(ctx, "vsock.cid", -1), uds);
	return LIA_OK;
}

static int undo_create(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	int r = h->lease_release(ctx, "cid");
	if (r < 0 && r != -ENOENT)
		return r;
	h->vm_set(ctx, "vsock.cid", NULL);
	h->vm_set(ctx, "vsock.uds", NULL);
	return LIA_OK;
}

/* Remove the VM's socket file and its ledger entry (net-down, destroy, undo of net-up). */
static int drop_socket(struct lia_ctx *ctx)
{
	const struct lia_host *h = ctx->host;
	char uds[4096]; /* own copy: the record changes below */
	/* only inside sockets/: a hand-edited record must not make root unlink elsewhere */
	int r = lia_vm_path_in(ctx, "vsock.uds", "sockets", uds, sizeof uds);

	if (r == -ENOENT)
		return LIA_HOOK_SKIP;
	if (r < 0)
		return r;
	r = vsock_unlink_socket(uds);
	if (r == -EEXIST)
		h->log(ctx, LIA_LOG_WARN, "'%s' is not a socket; lia leaves it in place", uds);
	else if (r < 0)
		return h->error(ctx, r, "cannot remove vsock socket '%s' of VM '%s': %s", uds,
				h->vm_name(ctx), strerror(-r));
	if ((r = h->ledger_del(ctx, "socket", uds)) < 0)
		return r;
	return LIA_OK;
}

static int hook_destroy(struct lia_ctx *ctx, void *state)
{
	int r = drop_socket(ctx);
	if (r < 0)
		return r;
	return undo_create(ctx, state);
}

/* ---- net-up / net-down: own the socket path while the VM may run --------------------- */

/* 0 when Firecracker can bind the vsock socket `uds` (nothing there, or a stale socket),
 * else the error */
static int socket_bindable(struct lia_ctx *ctx, const char *uds)
{
	const struct lia_host *h = ctx->host;

	switch (vsock_probe(uds)) {
	case VSOCK_LIVE:
		return h->error(ctx, -EADDRINUSE,
				"vsock socket '%s' of VM '%s' is in use by a running process; is "
				"the VM already running?",
				uds, h->vm_name(ctx));
	case VSOCK_OTHER:
		return h->error(ctx, -EEXIST,
				"'%s' exists and is not a stale socket, so Firecracker cannot bind "
				"the vsock socket of VM '%s' there; lia does not remove it",
				uds, h->vm_name(ctx));
	default: return 0;
	}
}

static int hook_net_up(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	char uds[4096];
	int r;

	if ((r = ensure_identity(ctx, state, uds, sizeof uds)) < 0)
		return r;
	if ((r = socket_bindable(ctx, uds)) < 0)
		return r;
	/* ledger first, then the file appears (Firecracker binds it at PUT /vsock) */
	if ((r = h->ledger_add(ctx, "socket", uds)) < 0)
		return r;
	/* a leftover of a run that died: Firecracker's bind would fail on it */
	if ((r = vsock_unlink_socket(uds)) < 0) {
		h->ledger_del(ctx, "socket", uds);
		return h->error(ctx, r, "cannot remove stale vsock socket '%s': %s", uds, strerror(-r));
	}
	return LIA_OK;
}

/* prepare (net-up): the socket path's ledger entry, with run()'s checks, so that the core
 * saves it with the record's "starting"; a VM without its CID lease yet prepares nothing
 * (run() takes the lease, which prepare() must not) */
static int vsock_prepare(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	char uds[4096];
	uint64_t cid;
	int r;

	(void)state;
	if (h->phase(ctx) != LIA_PHASE_NET_UP || h->lease_get(ctx, "cid", &cid) < 0)
		return LIA_OK;
	if (h->path(ctx, uds, sizeof uds, "sockets/%s.vsock", h->vm_name(ctx)) < 0 || strlen(uds) > SUN_MAX)
		return LIA_OK; /* run() says why */
	if ((r = socket_bindable(ctx, uds)) < 0)
		return r;
	return h->ledger_add(ctx, "socket", uds);
}

static int hook_net_down(struct lia_ctx *ctx, void *state)
{
	ctx->host->vm_set(ctx, "ready", NULL);
	return drop_socket(ctx);
}

static int undo_net_up(struct lia_ctx *ctx, void *state)
{
	int r = drop_socket(ctx);
	return r == LIA_HOOK_SKIP ? LIA_OK : r;
}

/* ---- started: is the guest's agent-sidecar there? ------------------------------------ */

static int hook_started(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	struct vsock_state *st = state;
	const char *uds = h->vm_get(ctx, "vsock.uds");
	struct vsock_conn c;
	char err[600];
	long long t0 = vsock_now_ms();
	int r;

	if (st->ready_port == 0 || !uds) {
		h->vm_set(ctx, "ready", NULL);
		return LIA_HOOK_SKIP;
	}
	/* the VMM says it gave the guest no vsock device (qemu-driver on a host without
	 * /dev/vhost-vsock): say so at once instead of waiting ready_timeout for nothing */
	const char *none = h->vm_get(ctx, "vsock.none");
	if (none && *none) {
		h->vm_set(ctx, "ready", "no");
		if (st->require_ready)
			return h->error(ctx, -ENODEV, "VM '%s' cannot be checked for readiness: %s",
					h->vm_name(ctx), none);
		h->log(ctx, LIA_LOG_WARN, "VM '%s' has no vsock, so its readiness is not checked: %s",
		       h->vm_name(ctx), none);
		return LIA_OK;
	}
	r = vsock_dial(uds, st->ready_port, st->ready_timeout_ms, &c, err, sizeof err);
	if (r == 0) {
		close(c.fd);
		h->vm_set(ctx, "ready", "yes");
		h->log(ctx, LIA_LOG_INFO, "VM '%s' is ready: guest port %u answered after %lld ms",
		       h->vm_name(ctx), st->ready_port, vsock_now_ms() - t0);
		return LIA_OK;
	}
	h->vm_set(ctx, "ready", "no");
	if (st->require_ready)
		return h->error(ctx, r, "VM '%s' is not ready: %s", h->vm_name(ctx), err);
	h->log(ctx, LIA_LOG_WARN, "VM '%s' runs but is not ready: %s", h->vm_name(ctx), err);
	return LIA_OK;
}

static int undo_started(struct lia_ctx *ctx, void *state)
{
	ctx->host->vm_set(ctx, "ready", NULL);
	return LIA_OK;
}

/* ---- gc: socket files no VM record owns ----------------------------------------------- */

static int gc_one(struct lia_ctx *ctx, const char *path, int dry)
{
	const struct lia_host *h = ctx->host;
	enum vsock_sock_kind k;

	if (h->ledger_owned(ctx, "socket", path) != 0)
		return 0; /* owned (or cannot tell): keep */
	k = vsock_probe(path);
	if (k == VSOCK_LIVE) {
		h->log(ctx, LIA_LOG_WARN,
		       "vsock socket '%s' belongs to no VM, but a process listens on it; left in "
		       "place",
		       path);
		return 0;
	}
	/* check again: a start may have claimed the path while we looked */
	if (k != VSOCK_STALE || h->ledger_owned(ctx, "socket", path) != 0)
		return 0;
	if (dry) {
		h->note(ctx, "remove orphaned vsock socket %s", path);
		return 0;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return h->error(ctx, -errno, "cannot remove orphaned vsock socket '%s': %s", path,
				strerror(errno));
	h->note(ctx, "removed orphaned vsock socket %s", path);
	return 1;
}

static int gc_scan(struct lia_ctx *ctx, int dry)
{
	const struct lia_host *h = ctx->host;
	char dir[4096], path[4096];
	struct dirent *de;
	DIR *d;
	int r = 0, n = 0;

	if (h->path(ctx, dir, sizeof dir, "sockets") < 0 || !(d = opendir(dir)))
		return LIA_HOOK_SKIP; /* no sockets directory: nothing to collect */
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l <= 6 || strcmp(de->d_name + l - 6, ".vsock") != 0)
			continue;
		if (h->path(ctx, path, sizeof path, "sockets/%s", de->d_name) < 0)
			continue;
		if ((r = gc_one(ctx, path, dry)) < 0)
			break;
		n += r;
	}
	closedir(d);
	if (r < 0)
		return r;
	return n ? LIA_OK : LIA_HOOK_SKIP;
}

static int hook_gc(struct lia_ctx *ctx, void *state)
{
	return gc_scan(ctx, 0);
}

static int plan_gc(struct lia_ctx *ctx, void *state)
{
	return gc_scan(ctx, 1);
}

/* ---- descriptor ------------------------------------------------------------------------ */

static const struct lia_hook vsock_hooks[] = {
	{ LIA_PHASE_CREATE, 0, hook_create, undo_create, NULL,
	  "lease a guest CID and name the vsock socket" },
	{ LIA_PHASE_NET_UP, 0, hook_net_up, undo_net_up, NULL,
	  "claim the vsock socket path, remove a stale socket file" },
	{ LIA_PHASE_STARTED, 0, hook_started, undo_started, NULL,
	  "wait for the guest's ready_port over vsock" },
	{ LIA_PHASE_NET_DOWN, 0, hook_net_down, NULL, NULL, "remove the vsock socket file" },
	{ LIA_PHASE_DESTROY, 0, hook_destroy, NULL, NULL, "remove the vsock socket file, release the CID" },
	{ LIA_PHASE_GC, 0, hook_gc, NULL, plan_gc, "remove vsock socket files no VM owns" },
	{ 0 },
};

static const struct lia_command vsock_commands[] = {
	{ "connect", "connect NAME PORT", vsock_cmd_connect },
	{ NULL, NULL, NULL },
};

LIA_PLUGIN_DEFINE(vsock) = {
	LIA_PLUGIN_HEADER,
	.name = "vsock",
	.version = PACKAGE_VERSION,
	.provides = "vsock",
	.description = "guest CIDs, vsock sockets, readiness wait and `vm connect`",
	.options = vsock_options,
	.hooks = vsock_hooks,
	.check = vsock_check,
	.open = vsock_open,
	.close = vsock_close,
	.prepare = vsock_prepare, /* net-up's socket entry */
	.vm_commands = vsock_commands,
	/* the CID pool's bounds, for the core's capacity report (free CIDs) */
	.facts = (const struct lia_fact[]){ { "lease.cid.first", "cid_min" },
					    { "lease.cid.last", "cid_max" },
					    { NULL, NULL } },
};
