#include "config.h"
#include <dlfcn.h>
#include <jansson.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf_valid.h"
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
		msg_err("%s: built for lia ABI %u.%u, this lia-core speaks %d.%d (rebuild the plugin against this lia's <lia/plugin.h>)",
			file, d->abi_major, d->abi_minor, LIA_ABI_MAJOR, LIA_ABI_MINOR);
		return -1;
	}
	if (d->size < offsetof(struct lia_plugin, name) + sizeof(d->name) || d->size > 65536) {
		msg_err("%s: descriptor size %u is impossible for ABI %u.x", file, d->size, d->abi_major);
		return -1;
	}
	return 0;
}

/* copy min(have, want) bytes, zero the rest */
static void copy_sized(void *dst, size_t want, const void *src, size_t have)
{
	memset(dst, 0, want);
	memcpy(dst, src, have < want ? have : want);
}

/* Copy a terminated table whose elements are `esize` bytes in the plugin into an array of
 * the core's `csize`-byte elements; `is_end` tells the terminator (on the copy). */
static void *copy_table(const void *base, uint32_t esize, size_t csize, int (*is_end)(const void *),
			size_t *count)
{
	*count = 0;
	if (!base)
		return NULL;
	size_t cap = 8, n = 0;
	char *out = xcalloc(cap + 1, csize);
	for (;; n++) {
		if (n == cap) {
			out = realloc(out, (cap * 2 + 1) * csize);
			if (!out)
				abort();
			cap *= 2;
		}
		copy_sized(out + n * csize, csize, (const char *)base + n * esize, esize);
		if (is_end(out + n * csize))
			break;
		if (n > 4096) { /* no terminator: refuse rather than walk off */
			free(out);
			*count = (size_t)-1;
			return NULL;
		}
	}
	memset(out + n * csize, 0, csize);
	*count = n;
	return out;
}

static int option_end(const void *p)
{
	return ((const struct lia_option *)p)->name == NULL;
}
static int hook_end(const void *p)
{
	return ((const struct lia_hook *)p)->phase == LIA_PHASE_NONE;
}
static int command_end(const void *p)
{
	return ((const struct lia_command *)p)->name == NULL;
}
static int fact_end(const void *p)
{
	return ((const struct lia_fact *)p)->name == NULL;
}

/* Normalize the exported descriptor into lp->copy (see loader.h).  0 or -1 (printed). */
static int normalize(const char *file, struct loaded_plugin *lp)
{
	const struct lia_plugin *d = lp->raw;
	struct lia_plugin *c = xcalloc(1, sizeof(*c));
	copy_sized(c, sizeof(*c), d, d->size);
	lp->copy = c;
	lp->desc = c;
	struct {
		const char *what;
		uint32_t size;
		size_t min;
		const void *base;
	} t[] = {
		{ "option", c->option_size, offsetof(struct lia_option, help) + sizeof(char *), c->options },
		{ "hook", c->hook_size, offsetof(struct lia_hook, summary) + sizeof(char *), c->hooks },
		{ "command", c->command_size, offsetof(struct lia_command, run) + sizeof(void *),
		  c->vm_commands },
		{ "fact", c->fact_size, offsetof(struct lia_fact, setting) + sizeof(char *), c->facts },
	};
	/* until copied, the table pointers are the plugin's: loader_release must not free them */
	c->options = NULL;
	c->hooks = NULL;
	c->vm_commands = NULL;
	c->facts = NULL;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].base && (t[i].size < t[i].min || t[i].size > 4096)) {
			msg_err("%s: its %s table declares %u-byte elements; ABI %d needs at least %zu (build with LIA_PLUGIN_HEADER)",
				file, t[i].what, t[i].size, LIA_ABI_MAJOR, t[i].min);
			return -1;
		}
	c->options =
		copy_table(t[0].base, c->option_size, sizeof(struct lia_option), option_end, &lp->noptions);
	c->hooks = copy_table(t[1].base, c->hook_size, sizeof(struct lia_hook), hook_end, &lp->nhooks);
	c->vm_commands = copy_table(t[2].base, c->command_size, sizeof(struct lia_command), command_end,
				    &lp->ncommands);
	c->facts = copy_table(t[3].base, c->fact_size, sizeof(struct lia_fact), fact_end, &lp->nfacts);
	if (lp->noptions == (size_t)-1 || lp->nhooks == (size_t)-1 || lp->ncommands == (size_t)-1 ||
	    lp->nfacts == (size_t)-1) {
		msg_err("%s: a table of its descriptor has no terminator within 4096 entries", file);
		return -1;
	}
	return 0;
}

void loader_release(struct loaded_plugin *lp)
{
	if (lp->copy) {
		free((void *)lp->copy->options);
		free((void *)lp->copy->hooks);
		free((void *)lp->copy->vm_commands);
		free((void *)lp->copy->facts);
		free(lp->copy);
	}
	lp->copy = NULL;
	lp->desc = NULL;
	free(lp->file);
	lp->file = NULL;
}

static lt_dlhandle open_handle(const char *file, const char *name)
{
	lt_dladvise adv;
	lt_dladvise_init(&adv);
	lt_dladvise_local(&adv);
	/* not resident: nothing is unloaded mid-run (loader_unload_all runs at exit), and
	 * lt_dlexit can then release every handle */
	lt_dlhandle h = lt_dlopenadvise(file, adv);
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
	}
	return h;
}

/* find, check and normalize the descriptor of an opened module */
static int take_descriptor(const char *name, struct loaded_plugin *lp)
{
	/* the descriptor is STEM_LTX_lia_plugin (STEM: the name with non-alnum as '_'), which
	 * keeps preloaded modules apart; a bare lia_plugin is accepted too */
	char *sym = xasprintf("%s_LTX_lia_plugin", name);
	for (char *q = sym; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
			*q = '_';
	const struct lia_plugin *d = lt_dlsym(lp->handle, sym);
	free(sym);
	if (!d)
		d = lt_dlsym(lp->handle, "lia_plugin");
	if (!d) {
		msg_err("%s: no plugin descriptor (a plugin must export LIA_PLUGIN_DEFINE(%s))", lp->file,
			name);
		return -1;
	}
	if (check_desc(lp->file, name, d) < 0)
		return -1;
	lp->raw = d;
	if (normalize(lp->file, lp) < 0)
		return -1;
	if (!lp->desc->name || strcmp(lp->desc->name, name) != 0) {
		msg_err("%s: descriptor names plugin '%s', but it was loaded as '%s'", lp->file,
			lp->desc->name ? lp->desc->name : "(null)", name);
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
			msg_err("%s:%d: plugin '%s': no file %s.so in %s (is the package that ships it installed?)",
				b->file, b->line, name, name, path);
			return -1;
		}
		lp->file = file;
		char why[200];
		/* dlopen maps what the program headers say: a truncated file would SIGBUS */
		if (elf_valid_file(file, why, sizeof why) < 0) {
			msg_err("%s: cannot load plugin '%s': %s", file, name, why);
			return -1;
		}
		if (!(h = open_handle(file, name)))
			return -1;
	}
	lp->handle = h;
	return take_descriptor(name, lp);
}

int loader_open_file(const char *file, const char *name, struct loaded_plugin *lp)
{
	memset(lp, 0, sizeof(*lp));
	if (init_ltdl() < 0)
		return -1;
	lp->file = xstrdup(file);
	if (!(lp->handle = open_handle(file, name)))
		return -1;
	return take_descriptor(name, lp);
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
			loader_release(&v[k]);
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
					v[i].desc->name, v[i].file, v[j].desc->name, v[j].file,
					v[i].desc->provides);
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
		loader_release(&p[i]);
		json_decref(p[i].memo);
		/* modules stay resident: never dlclose mid-process */
	}
	free(p);
	if (ltdl_ready) {
		lt_dlexit();
		ltdl_ready = 0;
	}
}
