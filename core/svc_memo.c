/* Host-level memory of each plugin: state_dir/host/PLUGIN.json.
 * Several lia-core processes may change one memo (parallel `run setup` before the host lock,
 * a VM pipeline beside a setup): each change is a read-modify-write of the file under
 * host/.memo.lock, so no writer drops another's key (issue 10 #5). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "safe_io.h"
#include "services.h"
#include "util.h"

static char *memo_path(struct core_ctx *c)
{
	return xasprintf("%s/host/%s.json", svc_state_dir(&c->pub), ctx_who(c));
}

/* the memo on disk; an empty one when missing or unreadable (said once, as a warning) */
static json_t *memo_read(const char *path)
{
	json_error_t je;
	int e;
	json_t *j = safe_load_json(path, &je, &e);
	if (!j && e != -ENOENT)
		msg_warn("%s:%d: ignoring the unreadable memo: %s", path, je.line, je.text);
	if (j && !json_is_object(j)) {
		msg_warn("%s: ignoring the memo: not a JSON object", path);
		json_decref(j);
		j = NULL;
	}
	return j ? j : json_object();
}

static json_t *memo(struct core_ctx *c)
{
	if (!c->lp)
		return NULL;
	if (!c->lp->memo) {
		char *p = memo_path(c);
		c->lp->memo = memo_read(p);
		free(p);
	}
	return c->lp->memo;
}

/* Make the cache what is on disk.  A value that did not change keeps its json_t, so a
 * string memo_get returned for another key stays valid (plugin.h's promise). */
static void cache_sync(json_t *cache, json_t *disk)
{
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(cache, tmp, k, v)
	{
		if (!json_object_get(disk, k))
			json_object_del(cache, k);
	}
	json_object_foreach(disk, k, v)
	{
		if (!json_equal(json_object_get(cache, k), v))
			json_object_set(cache, k, v);
	}
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
	char *dir = xasprintf("%s/host", svc_state_dir(ctx));
	char *lock = xasprintf("%s/.memo.lock", dir);
	char *p = memo_path(c);
	int e = mkdir_p(dir, 0700), fd = -1;
	if (e >= 0)
		e = fd = safe_lock(lock, 0);
	if (e >= 0) {
		/* read-modify-write under the lock: only this key changes */
		json_t *disk = memo_read(p);
		if (value)
			json_object_set_new(disk, key, json_string(value));
		else
			json_object_del(disk, key);
		char *text = json_dumps(disk, JSON_INDENT(2) | JSON_SORT_KEYS);
		e = text ? safe_write_atomic(p, text, strlen(text), 0600) : -ENOMEM;
		free(text);
		if (e == 0)
			cache_sync(m, disk);
		json_decref(disk);
		close(fd);
	}
	if (e < 0)
		core_error(c, e, "cannot write %s: %s", p, strerror(-e));
	free(p);
	free(lock);
	free(dir);
	return e < 0 ? e : 0;
}
