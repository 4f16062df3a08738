/* A fake lia host; see fakehost.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/download.h"
#include "fakehost.h"
#include "core/svc_helpers.h"

extern char **environ;

#define MAXKV 64

struct kv {
	char *k[MAXKV], *v[MAXKV];
	int n;
};

struct fake {
	struct lia_ctx ctx; /* first: the host sees only this */
	const char *name, *state_dir;
	const struct lia_option *opts;
	lia_phase_t phase;
	int quiet, dry;
	struct kv globals, cfg, memo;
	char memo_path[4096];
	unsigned progress_calls;
};

static struct fake *F(struct lia_ctx *ctx)
{
	return (struct fake *)ctx;
}

static const char *kv_get(struct kv *kv, const char *k)
{
	for (int i = 0; i < kv->n; i++)
		if (!strcmp(kv->k[i], k))
			return kv->v[i];
	return NULL;
}

static void kv_set(struct kv *kv, const char *k, const char *v)
{
	for (int i = 0; i < kv->n; i++)
		if (!strcmp(kv->k[i], k)) {
			free(kv->v[i]);
			kv->v[i] = v ? strdup(v) : NULL;
			return;
		}
	if (v && kv->n < MAXKV) {
		kv->k[kv->n] = strdup(k);
		kv->v[kv->n++] = strdup(v);
	}
}

static void kv_arg(struct kv *kv, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *k;
	if (!eq) {
		fprintf(stderr, "fakehost: expected KEY=VALUE, got '%s'\n", arg);
		exit(2);
	}
	k = strndup(arg, (size_t)(eq - arg));
	kv_set(kv, k, eq + 1);
	free(k);
}

static const char *lvl[] = { "error", "warn", "info", "debug" };

static void h_log(struct lia_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;
	(void)ctx;
	fprintf(stderr, "%s: ", lvl[level & 3]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int h_error(struct lia_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;
	(void)ctx;
	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code < 0 ? code : -EIO;
}

static void h_note(struct lia_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	(void)ctx;
	fputs("note: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void h_progress(struct lia_ctx *ctx, const char *what, uint64_t done, uint64_t total)
{
	F(ctx)->progress_calls++;
	if (!F(ctx)->quiet)
		fprintf(stderr, "progress: %s %" PRIu64 "/%" PRIu64 "\n", what, done, total);
}

static const char *h_pipeline(struct lia_ctx *ctx)
{
	(void)ctx;
	return "setup";
}
static lia_phase_t h_phase(struct lia_ctx *ctx)
{
	return F(ctx)->phase;
}
static int h_dry_run(struct lia_ctx *ctx)
{
	return F(ctx)->dry;
}
static int h_quiet(struct lia_ctx *ctx)
{
	return F(ctx)->quiet;
}
static const char *h_state_dir(struct lia_ctx *ctx)
{
	return F(ctx)->state_dir;
}

static int h_path(struct lia_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(buf, len, "%s/", F(ctx)->state_dir);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return m < 0 || (size_t)m >= len - (size_t)n ? -ENAMETOOLONG : 0;
}

static const char *h_global(struct lia_ctx *ctx, const char *key)
{
	if (!strcmp(key, "state_dir"))
		return F(ctx)->state_dir;
	return kv_get(&F(ctx)->globals, key);
}

static const struct lia_option *opt(struct lia_ctx *ctx, const char *key)
{
	for (const struct lia_option *o = F(ctx)->opts; o && o->name; o++)
		if (!strcmp(o->name, key))
			return o;
	fprintf(stderr, "fakehost: the plugin read an undeclared setting '%s'\n", key);
	abort();
}

static const char *h_cfg_str(struct lia_ctx *ctx, const char *key)
{
	const char *v = kv_get(&F(ctx)->cfg, key);
	return v ? v : opt(ctx, key)->default_value;
}

static int64_t h_cfg_int(struct lia_ctx *ctx, const char *key)
{
	const char *v = h_cfg_str(ctx, key);
	return v ? strtoll(v, NULL, 10) : 0;
}

static int h_cfg_bool(struct lia_ctx *ctx, const char *key)
{
	const char *v = h_cfg_str(ctx, key);
	return v && (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes"));
}

static int h_cfg_is_set(struct lia_ctx *ctx, const char *key)
{
	opt(ctx, key);
	return kv_get(&F(ctx)->cfg, key) != NULL;
}

static const char *h_memo_get(struct lia_ctx *ctx, const char *key)
{
	return kv_get(&F(ctx)->memo, key);
}

static int h_memo_set(struct lia_ctx *ctx, const char *key, const char *value)
{
	kv_set(&F(ctx)->memo, key, value);
	fake_host_done(ctx); /* persist at once, as the core does */
	return 0;
}

static const struct lia_host host = {
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
	.cfg_is_set = h_cfg_is_set,
	.memo_get = h_memo_get,
	.memo_set = h_memo_set,
	LIA_HOST_HELPERS, /* run, download, mkdirs, sha256_file, ...: the core's own */
};

static void memo_load(struct fake *f)
{
	FILE *fp = fopen(f->memo_path, "r");
	char line[8192];
	if (!fp)
		return;
	while (fgets(line, sizeof line, fp)) {
		line[strcspn(line, "\n")] = 0;
		if (strchr(line, '='))
			kv_arg(&f->memo, line);
	}
	fclose(fp);
}

void fake_host_done(struct lia_ctx *ctx)
{
	struct fake *f = F(ctx);
	FILE *fp;
	if (!f->state_dir)
		return;
	fp = fopen(f->memo_path, "w");
	if (!fp)
		return;
	for (int i = 0; i < f->memo.n; i++)
		if (f->memo.v[i])
			fprintf(fp, "%s=%s\n", f->memo.k[i], f->memo.v[i]);
	fclose(fp);
}

unsigned fake_host_progress_calls(struct lia_ctx *ctx)
{
	return F(ctx)->progress_calls;
}

struct lia_ctx *fake_host_init(int *argc, char ***argv, const char *name, const struct lia_option *opts,
			       lia_phase_t phase)
{
	struct fake *f = calloc(1, sizeof *f);
	int c;

	if (!f)
		exit(2);
	f->ctx.host = &host;
	f->name = name;
	f->opts = opts;
	f->phase = phase;
	while ((c = getopt(*argc, *argv, "+s:g:o:qn")) != -1) {
		switch (c) {
		case 's': f->state_dir = optarg; break;
		case 'g': kv_arg(&f->globals, optarg); break;
		case 'o': kv_arg(&f->cfg, optarg); break;
		case 'q': f->quiet = 1; break;
		case 'n': f->dry = 1; break;
		default: exit(2);
		}
	}
	*argc -= optind;
	*argv += optind;
	if (f->state_dir) {
		snprintf(f->memo_path, sizeof f->memo_path, "%s/fake-memo-%s.txt", f->state_dir, name);
		memo_load(f);
	}
	if (lia_download_global_init() < 0) {
		fprintf(stderr, "fakehost: curl_global_init failed\n");
		exit(2);
	}
	return &f->ctx;
}
