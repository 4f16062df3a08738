/* Logging, errors and dry-run notes of plugins. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "services.h"
#include "util.h"

void svc_log(struct lia_ctx *ctx, int level, const char *fmt, ...)
{
	struct core_ctx *c = CC(ctx);
	if (level >= LIA_LOG_INFO && lia_quiet)
		return;
	if (level >= LIA_LOG_DEBUG && lia_verbose < 1)
		return;
	static const char *lv[] = { "error: ", "warning: ", "", "debug: " };
	va_list ap;
	va_start(ap, fmt);
	progress_break();
	fprintf(stderr, "lia-core: %s%s/%s: ",
		lv[level < 0   ? 0
		   : level > 3 ? 3
			       : level],
		ctx_who(c), c->phase == LIA_PHASE_NONE && c->pipeline ? c->pipeline : phase_name(c->phase));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int svc_error(struct lia_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(CC(ctx)->err, sizeof(CC(ctx)->err), fmt, ap);
	CC(ctx)->errcode = code < 0 ? code : -EIO;
	va_end(ap);
	return CC(ctx)->errcode;
}

void svc_note(struct lia_ctx *ctx, const char *fmt, ...)
{
	struct core_ctx *c = CC(ctx);
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(c->notes, json_string(buf));
	if (!c->app->json && !(lia_quiet && !c->app->dry_run)) {
		progress_break();
		printf("    %s\n", buf);
	}
}
