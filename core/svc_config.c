/* Where a callback runs, global settings, the plugin's own settings and facts. */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "services.h"
#include "util.h"

const char *svc_pipeline(struct lia_ctx *ctx)
{
	return CC(ctx)->pipeline;
}
lia_phase_t svc_phase(struct lia_ctx *ctx)
{
	return CC(ctx)->phase;
}
int svc_dry_run(struct lia_ctx *ctx)
{
	return CC(ctx)->app->dry_run;
}
int svc_quiet(struct lia_ctx *ctx)
{
	return lia_quiet;
}
const char *svc_state_dir(struct lia_ctx *ctx)
{
	return config_global(&CC(ctx)->app->cfg, "state_dir");
}

int svc_path(struct lia_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
{
	char rel[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	int n = snprintf(buf, len, "%s/%s", svc_state_dir(ctx), rel);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

const char *svc_global(struct lia_ctx *ctx, const char *key)
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
			ctx_who(c), key);
	return v;
}

const char *svc_cfg_str(struct lia_ctx *ctx, const char *key)
{
	const struct cfg_value *v = val(ctx, key);
	return v ? v->str : NULL;
}

int64_t svc_cfg_int(struct lia_ctx *ctx, const char *key)
{
	const struct cfg_value *v = val(ctx, key);
	return v ? v->i : 0;
}

int svc_cfg_bool(struct lia_ctx *ctx, const char *key)
{
	const struct cfg_value *v = val(ctx, key);
	return v ? v->b : 0;
}

size_t svc_cfg_strings(struct lia_ctx *ctx, const char *key, const char *const **items)
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

int svc_cfg_is_set(struct lia_ctx *ctx, const char *key)
{
	const struct cfg_value *v = val(ctx, key);
	return v ? v->is_set : 0;
}

/* "FILE:LINE" of a setting of this plugin (or of its block) */
const char *svc_cfg_where(struct lia_ctx *ctx, const char *key)
{
	struct core_ctx *c = CC(ctx);
	if (!c->lp)
		return "?";
	const struct plugin_block *b = c->lp->block;
	const struct cfg_value *v = key ? block_value(b, key) : NULL;
	if (v && v->is_set)
		snprintf(c->where, sizeof(c->where), "%s:%d", v->file, v->line);
	else
		snprintf(c->where, sizeof(c->where), "%s:%d", b->file, b->line);
	return c->where;
}

int svc_cfg_error(struct lia_ctx *ctx, const char *key, const char *fmt, ...)
{
	struct core_ctx *c = CC(ctx);
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "lia-core: %s: %s%s%s: %s\n", svc_cfg_where(ctx, key), ctx_who(c), key ? "." : "",
		key ? key : "", msg);
	c->app->cfg_errors++;
	snprintf(c->err, sizeof(c->err), "%s", msg);
	c->errcode = -EINVAL;
	return -EINVAL;
}

static const struct fact_value *find_fact(struct app *a, const char *name)
{
	for (size_t i = 0; i < a->nfacts; i++)
		if (strcmp(a->facts[i].name, name) == 0)
			return &a->facts[i];
	return NULL;
}

const char *svc_fact(struct lia_ctx *ctx, const char *name)
{
	const struct fact_value *f = find_fact(CC(ctx)->app, name);
	return f ? f->value : NULL;
}

const char *svc_fact_where(struct lia_ctx *ctx, const char *name)
{
	const struct fact_value *f = find_fact(CC(ctx)->app, name);
	return f ? f->where : NULL;
}
