/* A stub plugin that records every call into the file named by its `log` setting, for
 * the pipeline tests.  Compiled by the tests with -DSTUB=stem -DSTUB_NAME="\"name\""
 * (and optionally -DSTUB_PROVIDES="\"role\"").  Settings choose a phase to fail in, an
 * undo to fail, a phase to sleep in (to be killed), and leases to take at create.
 * With `trace = true` each line also names the pipeline and whether the call is forced:
 *   NAME WHAT PIPELINE/PHASE VM [force]
 * (the plain form "NAME WHAT PHASE VM" is what the older tests compare).
 * ABI 2.1: with `prepare` naming phases, prepare() adds the ledger entry "stub-prep"
 * "PHASE:VM" for those phases' hooks (run() adds it too, undo() drops it), and logs
 * "NAME prepare PHASE VM"; `prepare_fail` fails one phase's prepare(); `log_flush` logs
 * "NAME flush".  Built with -DSTUB_ABI20 it is an ABI 2.0 plugin: minor 0, neither
 * callback. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lia/plugin.h>

#ifndef STUB_PROVIDES
#define STUB_PROVIDES NULL
#endif
#ifndef STUB_DESCRIPTION
#define STUB_DESCRIPTION NULL
#endif
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

static const struct lia_option options[] = {
	{ .name = "log",
	  .type = LIA_OPT_STRING,
	  .flags = LIA_OPT_REQUIRED,
	  .help = "file that receives one line per call" },
	{ .name = "fail", .type = LIA_OPT_STRING, .default_value = "", .help = "phase whose run fails" },
	{ .name = "fail_undo",
	  .type = LIA_OPT_STRING,
	  .default_value = "",
	  .help = "phase whose undo fails" },
	{ .name = "sleep",
	  .type = LIA_OPT_STRING,
	  .default_value = "",
	  .help = "phase whose run sleeps 30 s (to be killed)" },
	{ .name = "lease",
	  .type = LIA_OPT_STRING,
	  .default_value = "",
	  .help = "lease kind to take at create (pool 1..lease_max)" },
	{ .name = "lease_min",
	  .type = LIA_OPT_INT,
	  .default_value = "1",
	  LIA_RANGE(1, 1000000),
	  .help = "bottom of the pool of `lease`" },
	{ .name = "lease_max",
	  .type = LIA_OPT_INT,
	  .default_value = "100",
	  LIA_RANGE(1, 1000000),
	  .help = "top of the lease pool" },
	{ .name = "ledger",
	  .type = LIA_OPT_BOOL,
	  .default_value = "false",
	  .help = "add a ledger entry at create, drop it at destroy" },
	{ .name = "ledger_check",
	  .type = LIA_OPT_BOOL,
	  .default_value = "false",
	  .help = "before adding that entry, fail when another VM's ledger owns it (as net-tap does for its TAP)" },
	{ .name = "leases",
	  .type = LIA_OPT_STRINGS,
	  .default_value = "",
	  .help = "more lease kinds to take at create (pool 1..lease_max each); peeked first, peeked only in a dry run" },
	{ .name = "trace",
	  .type = LIA_OPT_BOOL,
	  .default_value = "false",
	  .help = "log lines name the pipeline and vm_force" },
	{ .name = "memo",
	  .type = LIA_OPT_BOOL,
	  .default_value = "false",
	  .help = "each run remembers its phase in the memo (PHASE or PHASE:VM = \"ran\")" },
	{ .name = "memo_wait_ms",
	  .type = LIA_OPT_INT,
	  .default_value = "0",
	  LIA_RANGE(0, 10000),
	  .help = "with memo: read the memo, wait this long, then set the key (a plugin's usual order)" },
	{ .name = "skip",
	  .type = LIA_OPT_STRING,
	  .default_value = "",
	  .help = "phase whose run returns LIA_HOOK_SKIP" },
	{ .name = "stop_timeout",
	  .type = LIA_OPT_INT,
	  .default_value = "10",
	  LIA_RANGE(0, 3600),
	  .help = "as a VMM's graceful stop wait (seconds); logged at stop with log_stop_timeout" },
	{ .name = "prepare",
	  .type = LIA_OPT_STRINGS,
	  .default_value = "",
	  .help = "phases whose hooks have a ledger entry prepared (stub-prep PHASE:VM)" },
	{ .name = "prepare_fail",
	  .type = LIA_OPT_STRING,
	  .default_value = "",
	  .help = "phase whose prepare() fails" },
	{ .name = "log_flush", .type = LIA_OPT_BOOL, .default_value = "false", .help = "log each flush()" },
	{ .name = "log_stop_timeout",
	  .type = LIA_OPT_BOOL,
	  .default_value = "false",
	  .help = "log \"NAME stop_timeout N VM\" when the stop phase runs" },
	{ 0 },
};

static const char *pname(struct lia_ctx *ctx)
{
	static const char *names[64] = {
		[1] = "preflight", [2] = "dirs",      [3] = "install",  [4] = "kernel",
		[5] = "image",     [6] = "network",   [7] = "services", [8] = "verify",
		[16] = "create",   [17] = "net-up",   [18] = "boot",    [19] = "started",
		[20] = "stop",     [21] = "net-down", [22] = "destroy", [32] = "gc",
	};
	int p = (int)ctx->host->phase(ctx);
	return p >= 0 && p < 64 && names[p] ? names[p] : "?";
}

static void record(struct lia_ctx *ctx, const char *what)
{
	const char *log = ctx->host->cfg_str(ctx, "log");
	int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0)
		return;
	char line[512];
	const char *vm = ctx->host->vm_name(ctx);
	int n;
	if (ctx->host->cfg_bool(ctx, "trace"))
		n = snprintf(line, sizeof(line), "%s %s %s/%s%s%s%s\n", STUB_NAME, what,
			     ctx->host->pipeline(ctx), pname(ctx), vm ? " " : "", vm ? vm : "",
			     ctx->host->vm_force(ctx) ? " force" : "");
	else
		n = snprintf(line, sizeof(line), "%s %s %s%s%s\n", STUB_NAME, what, pname(ctx), vm ? " " : "",
			     vm ? vm : "");
	if (write(fd, line, (size_t)n) < 0) {
	}
	close(fd);
}

/* `leases`: for each kind, peek (logged as "NAME peek KIND=V"), then take unless only
 * planning ("NAME take KIND=V", data key stub.lease.KIND) */
static int leases(struct lia_ctx *ctx, int take)
{
	const struct lia_host *h = ctx->host;
	const char *const *kinds;
	size_t n = h->cfg_strings(ctx, "leases", &kinds);
	uint64_t hi = (uint64_t)h->cfg_int(ctx, "lease_max");
	for (size_t i = 0; i < n; i++) {
		char what[200], key[160];
		uint64_t v;
		int e = h->lease_peek(ctx, kinds[i], 1, hi, &v);
		if (e < 0)
			return e;
		snprintf(what, sizeof(what), "peek %s=%llu", kinds[i], (unsigned long long)v);
		record(ctx, what);
		if (!take) {
			h->note(ctx, "would take lease %s=%llu", kinds[i], (unsigned long long)v);
			continue;
		}
		if ((e = h->lease_take(ctx, kinds[i], 1, hi, &v)) < 0)
			return e;
		snprintf(what, sizeof(what), "take %s=%llu", kinds[i], (unsigned long long)v);
		record(ctx, what);
		snprintf(key, sizeof(key), "stub.lease.%s", kinds[i]);
		h->vm_set_int(ctx, key, (int64_t)v);
	}
	return 0;
}

static void leases_release(struct lia_ctx *ctx)
{
	const char *const *kinds;
	size_t n = ctx->host->cfg_strings(ctx, "leases", &kinds);
	for (size_t i = 0; i < n; i++)
		ctx->host->lease_release(ctx, kinds[i]);
}

/* 1 when `prepare` names the current phase; id: "PHASE:VM" */
static int prepared_phase(struct lia_ctx *ctx, char *id, size_t len)
{
	const char *const *ph;
	size_t n = ctx->host->cfg_strings(ctx, "prepare", &ph);
	const char *vm = ctx->host->vm_name(ctx);
	snprintf(id, len, "%s:%s", pname(ctx), vm ? vm : "");
	for (size_t i = 0; i < n; i++)
		if (strcmp(ph[i], pname(ctx)) == 0)
			return 1;
	return 0;
}

#ifndef STUB_ABI20
static int prepare(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	char id[200];
	int want = prepared_phase(ctx, id, sizeof id);
	if (strcmp(h->cfg_str(ctx, "prepare_fail"), pname(ctx)) == 0) {
		record(ctx, "prepare");
		return h->error(ctx, -EIO, "%s was told to fail the prepare of %s", STUB_NAME, pname(ctx));
	}
	if (!want)
		return 0;
	record(ctx, "prepare");
	return h->ledger_add(ctx, "stub-prep", id);
}

static int flush(struct lia_ctx *ctx, void *state)
{
	if (ctx->host->cfg_bool(ctx, "log_flush")) { /* no phase, no VM */
		int fd = open(ctx->host->cfg_str(ctx, "log"), O_WRONLY | O_APPEND | O_CREAT, 0644);
		if (fd >= 0 && write(fd, STUB_NAME " flush\n", strlen(STUB_NAME) + 7) < 0) {
		}
		if (fd >= 0)
			close(fd);
	}
	return 0;
}
#endif

static int run(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	char pid[200];
	record(ctx, "run");
	if (h->cfg_bool(ctx, "memo")) {
		char key[128];
		snprintf(key, sizeof key, "%s%s%s", pname(ctx), h->vm_name(ctx) ? ":" : "",
			 h->vm_name(ctx) ? h->vm_name(ctx) : "");
		h->memo_get(ctx, key);
		usleep((useconds_t)h->cfg_int(ctx, "memo_wait_ms") * 1000);
		int e = h->memo_set(ctx, key, "ran");
		if (e < 0)
			return e;
	}
	if (strcmp(h->cfg_str(ctx, "sleep"), pname(ctx)) == 0)
		sleep(30);
	if (strcmp(h->cfg_str(ctx, "fail"), pname(ctx)) == 0)
		return h->error(ctx, -EIO, "%s was told to fail in %s", STUB_NAME, pname(ctx));
	if (strcmp(h->cfg_str(ctx, "skip"), pname(ctx)) == 0)
		return LIA_HOOK_SKIP;
	if (prepared_phase(ctx, pid, sizeof pid)) {
		int e = h->ledger_add(ctx, "stub-prep", pid); /* its "object" */
		if (e < 0)
			return e;
	}
	if (h->phase(ctx) == LIA_PHASE_NET_DOWN) { /* the start's "objects" go */
		static const char *const up[] = { "net-up", "boot", "started" };
		for (int i = 0; i < 3; i++) {
			snprintf(pid, sizeof pid, "%s:%s", up[i], h->vm_name(ctx));
			h->ledger_del(ctx, "stub-prep", pid);
		}
	}
	if (h->phase(ctx) == LIA_PHASE_STOP && h->cfg_bool(ctx, "log_stop_timeout")) {
		char what[48];
		snprintf(what, sizeof(what), "stop_timeout %lld", (long long)h->cfg_int(ctx, "stop_timeout"));
		record(ctx, what);
	}
	if (h->phase(ctx) == LIA_PHASE_CREATE) {
		const char *kind = h->cfg_str(ctx, "lease");
		if (*kind) {
			uint64_t v;
			int e = h->lease_take(ctx, kind, (uint64_t)h->cfg_int(ctx, "lease_min"),
					      (uint64_t)h->cfg_int(ctx, "lease_max"), &v);
			if (e < 0)
				return e;
			h->vm_set_int(ctx, "stub.lease", (int64_t)v);
		}
		int le = leases(ctx, 1);
		if (le < 0)
			return le;
		if (h->cfg_bool(ctx, "ledger")) {
			if (h->cfg_bool(ctx, "ledger_check") && h->ledger_owned(ctx, "stub", h->vm_name(ctx)))
				return h->error(ctx, -EEXIST,
						"ledger entry stub '%s' belongs to another VM's ledger",
						h->vm_name(ctx));
			int e = h->ledger_add(ctx, "stub", h->vm_name(ctx));
			if (e < 0)
				return e;
		}
	}
	if (h->phase(ctx) == LIA_PHASE_DESTROY) {
		if (*h->cfg_str(ctx, "lease"))
			h->lease_release(ctx, h->cfg_str(ctx, "lease"));
		leases_release(ctx);
		if (h->cfg_bool(ctx, "ledger"))
			h->ledger_del(ctx, "stub", h->vm_name(ctx));
	}
	return 0;
}

static int undo(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	char pid[200];
	record(ctx, "undo");
	if (prepared_phase(ctx, pid, sizeof pid))
		h->ledger_del(ctx, "stub-prep", pid);
	if (strcmp(h->cfg_str(ctx, "fail_undo"), pname(ctx)) == 0)
		return h->error(ctx, -EIO, "%s was told to fail the undo of %s", STUB_NAME, pname(ctx));
	if (h->phase(ctx) == LIA_PHASE_CREATE) {
		if (*h->cfg_str(ctx, "lease"))
			h->lease_release(ctx, h->cfg_str(ctx, "lease"));
		leases_release(ctx);
		if (h->cfg_bool(ctx, "ledger"))
			h->ledger_del(ctx, "stub", h->vm_name(ctx));
	}
	return 0;
}

static int plan(struct lia_ctx *ctx, void *state)
{
	record(ctx, "plan");
	ctx->host->note(ctx, "%s would act in %s", STUB_NAME, pname(ctx));
	if (ctx->host->phase(ctx) == LIA_PHASE_CREATE)
		return leases(ctx, 0);
	return 0;
}

static int gc(struct lia_ctx *ctx, void *state)
{
	record(ctx, "gc");
	return 0;
}

#define H(ph)                                                                                     \
	{                                                                                         \
		.phase = ph, .run = run, .undo = undo, .plan = plan, .summary = STUB_NAME " acts" \
	}
static const struct lia_hook hooks[] = {
	H(LIA_PHASE_PREFLIGHT),
	H(LIA_PHASE_DIRS),
	H(LIA_PHASE_INSTALL),
	H(LIA_PHASE_KERNEL),
	H(LIA_PHASE_IMAGE),
	H(LIA_PHASE_NETWORK),
	H(LIA_PHASE_SERVICES),
	H(LIA_PHASE_VERIFY),
	H(LIA_PHASE_CREATE),
	H(LIA_PHASE_NET_UP),
	H(LIA_PHASE_BOOT),
	H(LIA_PHASE_STARTED),
	H(LIA_PHASE_STOP),
	H(LIA_PHASE_NET_DOWN),
	H(LIA_PHASE_DESTROY),
	{ .phase = LIA_PHASE_GC, .run = gc, .plan = plan, .summary = "gc" },
	{ 0 },
};

/* -DSTUB_LEASE_FACTS: publish the pool of lease kind "num" (lease.num.first/last), as
 * plugins that take leases do for the core's capacity report */
#ifdef STUB_LEASE_FACTS
static const struct lia_fact facts[] = { { "lease.num.first", "lease_min" },
					 { "lease.num.last", "lease_max" },
					 { NULL, NULL } };
#define STUB_FACTS facts
#else
#define STUB_FACTS NULL
#endif

#ifdef STUB_ABI20
LIA_PLUGIN_DEFINE(STUB) = {
	/* LIA_PLUGIN_HEADER as a 2.0 build filled it: prepare and flush were reserved */
	.magic = LIA_PLUGIN_MAGIC,
	.abi_major = 2,
	.abi_minor = 0,
	.size = sizeof(struct lia_plugin),
	.option_size = sizeof(struct lia_option),
	.hook_size = sizeof(struct lia_hook),
	.command_size = sizeof(struct lia_command),
	.fact_size = sizeof(struct lia_fact),
	.name = STUB_NAME,
	.version = "0",
	.provides = STUB_PROVIDES,
	.options = options,
	.hooks = hooks,
	.facts = STUB_FACTS,
	.description = STUB_DESCRIPTION,
};
#else
LIA_PLUGIN_DEFINE(STUB) = {
	LIA_PLUGIN_HEADER,   .name = STUB_NAME,
	.version = "0",      .provides = STUB_PROVIDES,
	.options = options,  .hooks = hooks,
	.facts = STUB_FACTS, .prepare = prepare,
	.flush = flush,      .description = STUB_DESCRIPTION,
};
#endif
