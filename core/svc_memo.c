/* Host-level memory of each plugin: state_dir/host/PLUGIN.json. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services.h"
#include "util.h"

static char *memo_path(struct core_ctx *c)
{
	return xasprintf("%s/host/%s.json", svc_state_dir(&c->pub), ctx_who(c));
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

const char *svc_memo_get(struct lia_ctx *ctx, const char *key)
{
	return json_string_value(json_object_get(memo(CC(ctx)), key));
}

int svc_memo_set(struct lia_ctx *ctx, const char *key, const char *value)
{
	struct core_ctx *c = CC(ctx);
	json_t *m = memo(c);
	if (!m)
		return -EINVAL;
	if (value)
		json_object_set_new(m, key, json_string(value));
	else
		json_object_del(m, key);
	char *dir = xasprintf("%s/host", svc_state_dir(ctx));
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
