#include "config.h"
#include <dlfcn.h>
#include <jansson.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "loader.h"
#include "util.h"

static int ltdl_ready;

static int init_ltdl(void)
{
	if (ltdl_ready)
		return 0;
#if defined(LIA_STATIC_PLUGINS) && !defined(LIA_NO_PRELOAD)
	LTDL_SET_PRELOADED_SYMBOLS();
#endif
	if (lt_dlinit() != 0) {
		msg_err("cannot initialise libltdl: %s", lt_dlerror());
		return -1;
	}
	ltdl_ready = 1;
	return 0;
}

/* The search path: LIA_PLUGIN_PATH (colon-separated) overrides plugin_dir. */
static const char *search_path(const struct lia_config *c)
{
	const char *env = getenv("LIA_PLUGIN_PATH");
	if (env && *env)
		return env;
	return config_global(c, "plugin_dir");
}

/* Find NAME.so in the search path; returns a malloc'd path or NULL. */
static char *find_file(const char *path, const char *name)
{
	char *copy = xstrdup(path), *save = NULL;
	char *found = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		if (*dir != '/')
			continue; /* never load from a relative directory */
		char *p = xasprintf("%s/%s.so", dir, name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			found = p;
		else
			free(p);
	}
	free(copy);
	return found;
}

static int valid_name(const char *n)
{
	if (!*n || strlen(n) > 64)
		return 0;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

static int check_desc(const char *file, const char *name, const struct lia_plugin *d)
{
	if (d->magic != LIA_PLUGIN_MAGIC) {
		msg_err("%s: not a lia plugin (bad magic 0x%08x in its descriptor)", file, d->magic);
		return -1;
	}
	if (d->abi_major != LIA_ABI_MAJOR || d->abi_minor > LIA_ABI_MINOR) {
		msg_err("%s: built for lia ABI %u.%u, this lia-core speaks %d.%d", file,
			d->abi_major, d->abi_minor, LIA_ABI_MAJOR, LIA_ABI_MINOR);
		return -1;
	}
	if (d->size < offsetof(struct lia_plugin, vm_commands)) {
		msg_err("%s: descriptor too small (%u bytes)", file, d->size);
		return -1;
	}
	if (!d->name || strcmp(d->name, name) != 0) {
		msg_err("%s: descriptor names plugin '%s', but it was loaded as '%s'", file,
			d->name ? d->name : "(null)", name);
		return -1;
	}
	return 0;
}

static int load_one(const struct lia_config *c, struct plugin_block *b, struct loaded_plugin *lp)
{
	const char *name = b->name;
	memset(lp, 0, sizeof(*lp));
	lp->block = b;
	if (!valid_name(name)) {
		msg_err("%s:%d: '%s' is not a plugin name ([a-z0-9_-], at most 64)", b->file, b->line, name);
		return -1;
	}
	lt_dlhandle h = NULL;
#if defined(LIA_STATIC_PLUGINS) && !defined(LIA_NO_PRELOAD)
	/* preloaded modules answer to their bare name before any file is tried */
	h = lt_dlopen(name);
	if (!h) {
		/* libltdl canonicalises a bare name ('-' -> '_'); the archive name matches as is */
		char *a = xasprintf("%s.a", name);
		h = lt_dlopen(a);
		free(a);
	}
	if (h)
		lp->file = xasprintf("%s (built in)", name);
#endif
	if (!h) {
		const char *path = search_path(c);
		char *file = find_file(path, name);
		if (!file) {
			msg_err("%s:%d: plugin '%s': no file %s.so in %s", b->file, b->line, name, name, path);
			return -1;
		}
		lt_dladvise adv;
		lt_dladvise_init(&adv);
		lt_dladvise_local(&adv);
		/* not resident: nothing is unloaded mid-run (loader_unload_all runs at exit), and
		 * lt_dlexit can then release every handle */
		h = lt_dlopenadvise(file, adv);
		lt_dladvise_destroy(&adv);
		if (!h) {
			/* lt_dlerror says "file not found" for nearly everything: ask dlopen why */
			const char *why = lt_dlerror();
			void *dh = dlopen(file, RTLD_NOW | RTLD_LOCAL);
			if (!dh)
				why = dlerror();
			else
				dlclose(dh);
			msg_err("%s: cannot load plugin '%s': %s", file, name, why ? why : "unknown reason");
			free(file);
			return -1;
		}
		lp->file = file;
	}
	lp->handle = h;
	/* the descriptor is STEM_LTX_lia_plugin (STEM: the name with non-alnum as '_'), which
	 * keeps preloaded modules apart; a bare lia_plugin is accepted too */
	char *sym = xasprintf("%s_LTX_lia_plugin", name);
	for (char *q = sym; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
			*q = '_';
	const struct lia_plugin *d = lt_dlsym(h, sym);
	free(sym);
	if (!d)
		d = lt_dlsym(h, "lia_plugin");
	if (!d) {
		msg_err("%s: no plugin descriptor (a plugin must export LIA_PLUGIN_DEFINE(%s))", lp->file, name);
		return -1;
	}
	if (check_desc(lp->file, name, d) < 0)
		return -1;
	lp->desc = d;
	return 0;
}

int loader_load_all(struct lia_config *c, struct loaded_plugin **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (init_ltdl() < 0)
		return EXIT_USAGE;
	struct loaded_plugin *v = xcalloc(c->nblocks + 1, sizeof(*v));
	size_t k = 0;
	int bad = 0;
	for (size_t i = 0; i < c->nblocks; i++) {
		if (!c->blocks[i].enabled)
			continue;
		if (load_one(c, &c->blocks[i], &v[k]) < 0) {
			free(v[k].file);
			bad++;
			continue;
		}
		k++;
	}
	/* two plugins with one role: the packager must choose */
	for (size_t i = 0; i < k; i++)
		for (size_t j = i + 1; j < k; j++)
			if (v[i].desc->provides && v[j].desc->provides &&
			    strcmp(v[i].desc->provides, v[j].desc->provides) == 0) {
				msg_err("plugins '%s' (%s) and '%s' (%s) both provide '%s': set enabled = false; in one of their blocks",
					v[i].desc->name, v[i].file, v[j].desc->name, v[j].file, v[i].desc->provides);
				bad++;
			}
	for (size_t i = 0; i < k; i++)
		if (config_bind(v[i].block, v[i].desc) > 0)
			bad++;
	*out = v;
	*n = k;
	return bad ? EXIT_USAGE : 0;
}

void loader_unload_all(struct loaded_plugin *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i].opened && p[i].desc->close)
			p[i].desc->close(p[i].state);
		free(p[i].file);
		json_decref(p[i].memo);
		/* modules stay resident: never dlclose mid-process */
	}
	free(p);
	if (ltdl_ready) {
		lt_dlexit();
		ltdl_ready = 0;
	}
}
