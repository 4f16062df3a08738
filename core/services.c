/* The services handed to plugins (struct lia_host): logging, errors, settings, paths,
 * the VM record, ledger, leases, memo, programs, progress, downloads. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "app.h"
#include "download.h"
#include "util.h"

extern char **environ;

void ctx_init(struct core_ctx *c, struct app *a, struct loaded_plugin *lp, const char *pipeline,
	      enum lia_phase phase, struct vm_record *vm)
{
	memset(c, 0, sizeof(*c));
	c->pub.host = &lia_host_services;
	c->app = a;
	c->lp = lp;
	c->pipeline = pipeline;
	c->phase = phase;
	c->vm = vm;
	c->notes = json_array();
}

void ctx_fini(struct core_ctx *c)
{
	json_decref(c->notes);
	c->notes = NULL;
}

static const char *who(struct core_ctx *c)
{
	return c->lp ? c->lp->desc->name : "core";
}

static void vset_error(struct core_ctx *c, int code, const char *fmt, va_list ap)
{
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	c->errcode = code < 0 ? code : -EIO;
}

int core_error(struct core_ctx *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset_error(c, code, fmt, ap);
	va_end(ap);
	return c->errcode;
}

static void h_log(struct lia_ctx *ctx, int level, const char *fmt, ...)
{
	struct core_ctx *c = CC(ctx);
	if (level >= LIA_LOG_INFO && lia_quiet)
		return;
	if (level >= LIA_LOG_DEBUG && lia_verbose < 1)
		return;
	static const char *lv[] = { "error: ", "warning: ", "", "debug: " };
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lia-core: %s%s/%s: ", lv[level < 0 ? 0 : level > 3 ? 3 : level], who(c),
		phase_name(c->phase));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int h_error(struct lia_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset_error(CC(ctx), code, fmt, ap);
	va_end(ap);
	return CC(ctx)->errcode;
}

static void h_note(struct lia_ctx *ctx, const char *fmt, ...)
{
	struct core_ctx *c = CC(ctx);
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(c->notes, json_string(buf));
	if (!c->app->json && !(lia_quiet && !c->app->dry_run))
		printf("    %s\n", buf);
}

static void human(double v, char *out, size_t n)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(out, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static void h_progress(struct lia_ctx *ctx, const char *what, uint64_t done, uint64_t total)
{
	struct core_ctx *c = CC(ctx);
	if (lia_quiet || c->app->json)
		return;
	double now = now_ms();
	if (strncmp(c->prog_what, what, sizeof(c->prog_what) - 1) != 0) {
		snprintf(c->prog_what, sizeof(c->prog_what), "%s", what);
		c->prog_start = now;
		c->prog_last = 0;
	}
	int tty = isatty(2);
	int final = total && done >= total;
	if (!final && now - c->prog_last < (tty ? 100 : 5000))
		return;
	c->prog_last = now;
	double secs = (now - c->prog_start) / 1000.0;
	double rate = secs > 0 ? (double)done / secs : 0;
	char d[32], t[32], r[32];
	human((double)done, d, sizeof(d));
	human((double)total, t, sizeof(t));
	human(rate, r, sizeof(r));
	char line[256];
	if (total) {
		double eta = rate > 0 ? (double)(total - (done < total ? done : total)) / rate : 0;
		snprintf(line, sizeof(line), "%s: %5.1f%% %s of %s, %s/s, ETA %.0fs", what,
			 100.0 * (double)done / (double)total, d, t, r, eta);
	} else {
		snprintf(line, sizeof(line), "%s: %s, %s/s", what, d, r);
	}
	if (tty)
		fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
	else
		fprintf(stderr, "lia-core: %s\n", line);
}

static const char *h_pipeline(struct lia_ctx *ctx) { return CC(ctx)->pipeline; }
static enum lia_phase h_phase(struct lia_ctx *ctx) { return CC(ctx)->phase; }
static int h_dry_run(struct lia_ctx *ctx) { return CC(ctx)->app->dry_run; }
static int h_quiet(struct lia_ctx *ctx) { return lia_quiet; }
static const char *h_state_dir(struct lia_ctx *ctx)
{
	return config_global(&CC(ctx)->app->cfg, "state_dir");
}

static int h_path(struct lia_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
{
	char rel[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	int n = snprintf(buf, len, "%s/%s", h_state_dir(ctx), rel);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static const char *h_global(struct lia_ctx *ctx, const char *key)
{
	return config_global(&CC(ctx)->app->cfg, key);
}

static const struct cfg_value *val(struct lia_ctx *ctx, const char *key)
{
	struct core_ctx *c = CC(ctx);
	if (!c->lp)
		return NULL;
	const struct cfg_value *v = block_value(c->lp->block, key);
	if (!v)
		fprintf(stderr, "lia-core: warning: plugin '%s' asked for setting '%s' it did not declare\n",
			who(c), key);
	return v;
}

static const char *h_cfg_str(struct lia_ctx *ctx, const char *key)
{
	const struct cfg_value *v = val(ctx, key);
	return v ? v->str : NULL;
}

static int64_t h_cfg_int(struct lia_ctx *ctx, const char *key)
{
	const struct cfg_value *v = val(ctx, key);
	return v ? v->i : 0;
}

static int h_cfg_bool(struct lia_ctx *ctx, const char *key)
{
	const struct cfg_value *v = val(ctx, key);
	return v ? v->b : 0;
}

static size_t h_cfg_strings(struct lia_ctx *ctx, const char *key, const char *const **items)
{
	static const char *empty[] = { NULL };
	const struct cfg_value *v = val(ctx, key);
	if (!v || !v->list) {
		*items = empty;
		return 0;
	}
	*items = v->list;
	return v->nlist;
}

static int h_cfg_is_set(struct lia_ctx *ctx, const char *key)
{
	const struct cfg_value *v = val(ctx, key);
	return v ? v->is_set : 0;
}

static const char *h_vm_name(struct lia_ctx *ctx)
{
	return CC(ctx)->vm ? CC(ctx)->vm->name : NULL;
}

static json_t *vm_lookup(struct core_ctx *c, const char *key)
{
	if (!c->vm)
		return NULL;
	json_t *v = json_object_get(json_object_get(c->vm->root, "data"), key);
	if (!v && strcmp(key, "data") != 0 && strcmp(key, "ledger") != 0)
		v = json_object_get(c->vm->root, key);
	return v;
}

static const char *h_vm_get(struct lia_ctx *ctx, const char *key)
{
	struct core_ctx *c = CC(ctx);
	if (strcmp(key, "force") == 0)
		return c->force ? "yes" : NULL;
	json_t *v = vm_lookup(c, key);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(c->scratch, sizeof(c->scratch), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return c->scratch;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

static int64_t h_vm_get_int(struct lia_ctx *ctx, const char *key, int64_t dflt)
{
	json_t *v = vm_lookup(CC(ctx), key);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v)) {
		char *end;
		long long x = strtoll(json_string_value(v), &end, 10);
		return *end ? dflt : x;
	}
	return dflt;
}

static int core_key(const char *key)
{
	static const char *keys[] = { "name", "state", "ledger", "data", "owner", "created_at",
				      "updated_at", NULL };
	for (int i = 0; keys[i]; i++)
		if (strcmp(keys[i], key) == 0)
			return 1;
	return 0;
}

static int h_vm_set(struct lia_ctx *ctx, const char *key, const char *value)
{
	struct core_ctx *c = CC(ctx);
	if (!c->vm)
		return -ENOENT;
	if (core_key(key))
		return core_error(c, -EPERM, "'%s' is the core's key of the VM record", key);
	json_t *data = json_object_get(c->vm->root, "data");
	if (value)
		json_object_set_new(data, key, json_string(value));
	else
		json_object_del(data, key);
	c->vm->dirty = 1;
	return 0;
}

static int h_vm_set_int(struct lia_ctx *ctx, const char *key, int64_t value)
{
	struct core_ctx *c = CC(ctx);
	if (!c->vm)
		return -ENOENT;
	if (core_key(key))
		return core_error(c, -EPERM, "'%s' is the core's key of the VM record", key);
	json_object_set_new(json_object_get(c->vm->root, "data"), key, json_integer(value));
	c->vm->dirty = 1;
	return 0;
}

static int h_ledger_add(struct lia_ctx *ctx, const char *kind, const char *id)
{
	struct core_ctx *c = CC(ctx);
	if (!c->vm)
		return core_error(c, -ENOENT, "no VM record to add '%s' %s to", kind, id);
	int e = ledger_add(c->vm, kind, id, who(c));
	if (e < 0)
		return core_error(c, e, "cannot write VM record %s: %s", c->vm->path, strerror(-e));
	return 0;
}

static int h_ledger_del(struct lia_ctx *ctx, const char *kind, const char *id)
{
	struct core_ctx *c = CC(ctx);
	if (!c->vm)
		return -ENOENT;
	int e = ledger_del(c->vm, kind, id);
	if (e < 0)
		return core_error(c, e, "cannot write VM record %s: %s", c->vm->path, strerror(-e));
	return 0;
}

static int h_ledger_owned(struct lia_ctx *ctx, const char *kind, const char *id)
{
	return ledger_owned(&CC(ctx)->app->st, kind, id);
}

static int h_lease_take(struct lia_ctx *ctx, const char *kind, uint64_t lo, uint64_t hi, uint64_t *out)
{
	struct core_ctx *c = CC(ctx);
	if (!c->vm)
		return core_error(c, -ENOENT, "a lease needs a VM");
	int e = lease_take(&c->app->st, c->vm, kind, lo, hi, out, who(c));
	if (e == -ENOSPC)
		return core_error(c, e, "the %s pool %" PRIu64 "..%" PRIu64 " is exhausted: every value is leased to a VM (see `lia-core vm list`, `lia-core gc`)",
				  kind, lo, hi);
	if (e < 0)
		return core_error(c, e, "cannot take a %s lease: %s", kind, strerror(-e));
	return 0;
}

static int h_lease_get(struct lia_ctx *ctx, const char *kind, uint64_t *out)
{
	struct core_ctx *c = CC(ctx);
	return c->vm ? lease_get(c->vm, kind, out) : -ENOENT;
}

static int h_lease_release(struct lia_ctx *ctx, const char *kind)
{
	struct core_ctx *c = CC(ctx);
	if (!c->vm)
		return -ENOENT;
	int e = lease_release(c->vm, kind);
	if (e < 0)
		return core_error(c, e, "cannot write VM record %s: %s", c->vm->path, strerror(-e));
	return 0;
}

static char *memo_path(struct core_ctx *c)
{
	return xasprintf("%s/host/%s.json", h_state_dir(&c->pub), who(c));
}

static json_t *memo(struct core_ctx *c)
{
	if (!c->lp)
		return NULL;
	if (!c->lp->memo) {
		char *p = memo_path(c);
		json_t *j = json_load_file(p, 0, NULL);
		free(p);
		c->lp->memo = json_is_object(j) ? j : json_object();
		if (j && !json_is_object(j))
			json_decref(j);
	}
	return c->lp->memo;
}

static const char *h_memo_get(struct lia_ctx *ctx, const char *key)
{
	return json_string_value(json_object_get(memo(CC(ctx)), key));
}

static int h_memo_set(struct lia_ctx *ctx, const char *key, const char *value)
{
	struct core_ctx *c = CC(ctx);
	json_t *m = memo(c);
	if (!m)
		return -EINVAL;
	if (value)
		json_object_set_new(m, key, json_string(value));
	else
		json_object_del(m, key);
	char *dir = xasprintf("%s/host", h_state_dir(ctx));
	int e = mkdir_p(dir, 0700);
	free(dir);
	char *p = memo_path(c);
	char *text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (e >= 0)
		e = write_file_atomic(p, text, strlen(text), 0600);
	free(text);
	if (e < 0)
		core_error(c, e, "cannot write %s: %s", p, strerror(-e));
	free(p);
	return e < 0 ? e : 0;
}

static int h_run(struct lia_ctx *ctx, const char *const argv[], char *out, size_t outlen, int *status)
{
	struct core_ctx *c = CC(ctx);
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return core_error(c, -errno, "cannot run %s: pipe: %s", argv[0], strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	pid_t pid;
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (e != 0) {
		close(pfd[0]);
		return core_error(c, -e, "cannot run %s: %s", argv[0], strerror(e));
	}
	size_t used = 0;
	char sink[4096];
	for (;;) {
		char *dst = sink;
		size_t room = sizeof(sink);
		if (out && used + 1 < outlen) {
			dst = out + used;
			room = outlen - used - 1;
		}
		ssize_t n = read(pfd[0], dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != sink)
			used += (size_t)n;
	}
	if (out && outlen)
		out[used] = 0;
	close(pfd[0]);
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return core_error(c, -errno, "waiting for %s: %s", argv[0], strerror(errno));
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return 0;
}

static int h_download(struct lia_ctx *ctx, struct lia_download *req)
{
	return lia_download_service(ctx, req);
}

const struct lia_host lia_host_services = {
	.size = sizeof(struct lia_host),
	.abi_major = LIA_ABI_MAJOR,
	.abi_minor = LIA_ABI_MINOR,
	.log = h_log,
	.error = h_error,
	.note = h_note,
	.progress = h_progress,
	.pipeline = h_pipeline,
	.phase = h_phase,
	.dry_run = h_dry_run,
	.quiet = h_quiet,
	.state_dir = h_state_dir,
	.path = h_path,
	.global = h_global,
	.cfg_str = h_cfg_str,
	.cfg_int = h_cfg_int,
	.cfg_bool = h_cfg_bool,
	.cfg_strings = h_cfg_strings,
	.cfg_is_set = h_cfg_is_set,
	.vm_name = h_vm_name,
	.vm_get = h_vm_get,
	.vm_get_int = h_vm_get_int,
	.vm_set = h_vm_set,
	.vm_set_int = h_vm_set_int,
	.ledger_add = h_ledger_add,
	.ledger_del = h_ledger_del,
	.ledger_owned = h_ledger_owned,
	.lease_take = h_lease_take,
	.lease_get = h_lease_get,
	.lease_release = h_lease_release,
	.memo_get = h_memo_get,
	.memo_set = h_memo_set,
	.run = h_run,
	.download = h_download,
};

int app_open_plugins(struct app *a)
{
	if (a->opened)
		return 0;
	a->opened = 1;
	for (size_t i = 0; i < a->nplugins; i++) {
		struct loaded_plugin *lp = &a->plugins[i];
		if (!lp->desc->open) {
			lp->opened = 1;
			continue;
		}
		struct core_ctx c;
		ctx_init(&c, a, lp, "open", LIA_PHASE_NONE, NULL);
		int r = lp->desc->open(&c.pub, &lp->state);
		lp->opened = 1; /* close() accepts a half-opened state */
		if (r < 0) {
			msg_err("%s: cannot start plugin: %s", lp->desc->name, c.err[0] ? c.err : strerror(-r));
			ctx_fini(&c);
			return EXIT_FAIL;
		}
		ctx_fini(&c);
	}
	return 0;
}
