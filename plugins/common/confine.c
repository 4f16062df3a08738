#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "confine.h"

/* path resolved, or (when it does not exist) as written; 0 or -1 */
static int resolved(const char *path, char *out)
{
	if (realpath(path, out))
		return 0;
	if (errno != ENOENT || strlen(path) >= PATH_MAX)
		return -1;
	strcpy(out, path);
	return 0;
}

/* 1 when dir is base or a folder under it */
static int under(const char *dir, const char *base)
{
	size_t n = strlen(base);
	return strncmp(dir, base, n) == 0 && (dir[n] == 0 || dir[n] == '/' || (n == 1 && base[0] == '/'));
}

int lia_vm_path_in(struct lia_ctx *ctx, const char *key, const char *folder, char *out, size_t len)
{
	const struct lia_host *h = ctx->host;
	const char *v = h->vm_get(ctx, key);
	char want[PATH_MAX], rwant[PATH_MAX], parent[PATH_MAX], rparent[PATH_MAX];
	want[0] = 0;
	if (len)
		out[0] = 0;
	if (!v)
		return -ENOENT;
	/* no "." or ".." on the way: a folder that does not exist (yet) cannot hide a way out */
	int dots = strstr(v, "/./") || strstr(v, "/../");
	const char *slash = strrchr(v, '/'), *base = slash ? slash + 1 : v;
	int ok = !dots && v[0] == '/' && strlen(v) < len && strlen(v) < sizeof parent && *base &&
		 strcmp(base, ".") && strcmp(base, "..") &&
		 h->path(ctx, want, sizeof want, "%s", folder) == 0 && resolved(want, rwant) == 0;
	if (ok) {
		snprintf(parent, sizeof parent, "%.*s", slash == v ? 1 : (int)(slash - v), v);
		ok = resolved(parent, rparent) == 0 && under(rparent, rwant);
	}
	if (!ok)
		return h->error(ctx, -EPERM,
				"the record %s/vms/%s.json says %s = '%s', which is not in %s; lia does not "
				"touch it (correct or remove that key)",
				h->state_dir(ctx), h->vm_name(ctx), key, v, want[0] ? want : folder);
	snprintf(out, len, "%s", v);
	return 0;
}
