/* The per-call context of a plugin callback, and opening the plugins (check, open). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services.h"
#include "util.h"

void ctx_init(struct core_ctx *c, struct app *a, struct loaded_plugin *lp, const char *pipeline,
	      lia_phase_t phase, struct vm_record *vm)
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
	progress_break(); /* a hook's progress ends with the hook */
	json_decref(c->notes);
	c->notes = NULL;
}

const char *ctx_who(struct core_ctx *c)
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

/* Every plugin's check() across its settings; FILE:LINE errors through cfg_error.
 * 0, or EXIT_USAGE when any plugin found a problem. */
int app_check_plugins(struct app *a)
{
	int bad = 0;
	for (size_t i = 0; i < a->nplugins; i++) {
		struct loaded_plugin *lp = &a->plugins[i];
		if (!lp->desc->check)
			continue;
		struct core_ctx c;
		ctx_init(&c, a, lp, "check", LIA_PHASE_NONE, NULL);
		int before = a->cfg_errors;
		int r = lp->desc->check(&c.pub);
		if (r < 0 && a->cfg_errors == before)
			msg_err("%s: %s", lp->file, c.err[0] ? c.err : strerror(-r));
		if (r < 0 || a->cfg_errors != before)
			bad++;
		ctx_fini(&c);
	}
	return bad ? EXIT_USAGE : 0;
}

int app_open_plugins(struct app *a)
{
	if (a->opened)
		return a->open_rc;
	a->opened = 1;
	for (size_t i = 0; i < a->nplugins; i++) {
		struct loaded_plugin *lp = &a->plugins[i];
		if (!lp->desc->open) {
			lp->opened = 1;
			continue;
		}
		struct core_ctx c;
		ctx_init(&c, a, lp, "open", LIA_PHASE_NONE, NULL);
		int before = a->cfg_errors;
		int r = lp->desc->open(&c.pub, &lp->state);
		lp->opened = 1; /* close() accepts a half-opened state */
		if (a->cfg_errors != before) {
			ctx_fini(&c);
			return a->open_rc = EXIT_USAGE;
		}
		if (r < 0) {
			msg_err("%s: cannot start plugin: %s", lp->desc->name,
				c.err[0] ? c.err : strerror(-r));
			ctx_fini(&c);
			return a->open_rc = EXIT_FAIL;
		}
		ctx_fini(&c);
	}
	return 0;
}
